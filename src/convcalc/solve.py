"""Working backwards: the layer options that give a size, and the input sizes
a model handles cleanly.

:func:`solve_layer` lists every (kernel, stride, padding, dilation) within
bounds that maps one length to another; :func:`solve_output_padding` finds the
``output_padding`` with which a transposed convolution restores a size (a
U-Net decoder matching its encoder); :func:`clean_input_sizes` scans input
sizes for the ones where no layer drops rows by rounding down.

The rules are the layers' own (:class:`~convcalc.layers.window.Window`,
:class:`~convcalc.layers.conv.TransposedAxis`), applied to each candidate::

    conv:        out = ⌊(n + p_before + p_after − span) / s⌋ + 1,  span = (k − 1)·d + 1
    transposed:  out = (n − 1)·s − p_before − p_after + span + output_padding

Worked: 224 → 112 with kernel 7. Stride 1 gives at least 224 + 0 − 7 + 1 =
218; stride 2 needs ⌊(217 + 2p) / 2⌋ = 111, so 217 + 2p ∈ {222, 223}: p = 3
((224 + 6 − 7) / 2 + 1 = 112.5 → 112; the half is padding, no input row is
lost); stride 3 would need p ≥ 58, past the bound. Dilation 2, 3, 4 (span 13,
19, 25) give p = 6, 9, 12 the same way, and ``same`` padding splits
(112 − 1)·2 + 7 − 224 = 5 as 2 + 3, which is exact.

Every search is bounded before it starts (see ``docs/limits.md``): the
paddings that fit are solved for, not tried one by one (the rule above gives
2p within one stride-wide range), lengths and options are at most
:data:`MAX_VALUE`, at most :data:`MAX_SOLUTIONS` are listed, and a model's
input sizes are scanned for at most :data:`MAX_SCAN_WORK` layer analyses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any, NamedTuple

from .check import trailing_padding
from .errors import ConvCalcError, InputError, ShapeError
from .layers import apply, make_layer
from .layers.conv import TransposedAxis
from .layers.options import Padding
from .layers.window import Window, same_padding
from .model import INPUT, Model
from .shapes import MAX_DIM, Shape

__all__ = [
    "MAX_SCAN_WORK",
    "MAX_SOLUTIONS",
    "MAX_VALUE",
    "CleanSizes",
    "Solution",
    "clean_input_sizes",
    "describe_sizes",
    "solve_layer",
    "solve_output_padding",
]

MAX_KERNEL = 11
MAX_STRIDE = 8
MAX_DILATION = 4
MAX_VALUE = MAX_DIM
"""Largest length or option the solver takes: 2,147,483,647, as for any size read from text."""
MAX_SOLUTIONS = 10_000
"""Most configurations :func:`solve_layer` lists (the default search finds < 2,000)."""
MAX_COMBINATIONS = 100_000
"""Most (kernel, stride, dilation) triples one search may try (the default is 11·8·4 = 352)."""
MAX_SCAN_WORK = 500_000
"""Most layer analyses :func:`clean_input_sizes` does: sizes tried × layers."""


class Solution(NamedTuple):
    """One layer configuration that produces the wanted length."""

    kernel: int
    stride: int
    padding: int | str
    """Pixels on each side, or ``'same'`` (TensorFlow/Keras; see the split)."""
    dilation: int
    pad_before: int
    pad_after: int
    exact: bool
    """No rounding: (n + padding − span) is a multiple of the stride."""
    dropped: int
    """Input rows at the end that no window reads because of rounding down."""
    output_padding: int = 0
    """Rows added after a transposed convolution's output."""
    transposed: bool = False

    @property
    def span(self) -> int:
        """Input extent of one window: (k − 1)·d + 1."""
        return (self.kernel - 1) * self.dilation + 1

    def options(self) -> dict[str, Any]:
        """The options a layer entry takes, defaults left out:
        ``{"kernel": 7, "stride": 2, "padding": 3}``."""
        out: dict[str, Any] = {"kernel": self.kernel, "stride": self.stride, "padding": self.padding}
        if self.dilation > 1:
            out["dilation"] = self.dilation
        if self.output_padding:
            out["output_padding"] = self.output_padding
        return out

    def formula(self, size: int) -> str:
        """The size rule with this solution's numbers, as ``--explain`` writes it.

        >>> solve_layer(224, 112, kernel=7, dilation=1, padding=3)[0].formula(224)
        '(224 + 2·3 − 7) / 2 + 1 = 112.5 → 112'
        """
        pads = f"2·{self.pad_before}" if self.pad_before == self.pad_after else f"{self.pad_before} + {self.pad_after}"
        span = str(self.span) if self.dilation == 1 else f"({self.dilation}·({self.kernel} − 1) + 1)"
        if self.transposed:
            extra = f" + {self.output_padding}" if self.output_padding else ""
            crop = f"2·{self.pad_before}" if self.pad_before == self.pad_after else f"{self.pad_before} − {self.pad_after}"
            out = (size - 1) * self.stride - self.pad_before - self.pad_after + self.span + self.output_padding
            return f"({size} − 1)·{self.stride} − {crop} + {span}{extra} = {out}"
        reach = size + self.pad_before + self.pad_after - self.span
        out = reach // self.stride + 1
        text = f"({size} + {pads} − {span}) / {self.stride} + 1"
        if reach % self.stride == 0:
            return f"{text} = {out}"
        return f"{text} = {_decimal(reach, self.stride)} → {out}"


def _decimal(reach: int, stride: int) -> str:
    value = reach / stride + 1
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text if round(float(text) * stride) == reach + stride else text + "…"


def _whole(name: str, value: Any, minimum: int = 1, maximum: int = MAX_VALUE) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        want = "a positive whole number" if minimum == 1 else f"a whole number ≥ {minimum}"
        raise InputError(f"{name} must be {want} (got {value!r})", option=name)
    if value > maximum:
        raise InputError(f"{name} {_short(value)} is above {maximum:,}, the largest accepted (docs/limits.md)", option=name)
    return value


def _short(value: int) -> str:
    """A number for a message, however long: ``1,000,000`` or ``10**30``-sized as its digit count.

    >>> _short(10**6), _short(10**40)
    ('1,000,000', 'of 41 digits')
    """
    if value.bit_length() > 64:
        return f"of {len(str(value)) if value.bit_length() < 14_000 else 'thousands of'} digits"
    return f"{value:,}"


def _padding_choices(padding: int | str | None) -> list[int | str] | None:
    """None: search; else the one padding asked for."""
    if padding is None:
        return None
    if isinstance(padding, str):
        word = padding.strip().lower()
        if word in ("same", "valid"):
            return [word]
        raise InputError(f"padding {padding!r} is not understood; use a whole number ≥ 0, 'same' or 'valid'")
    return [_whole("padding", padding, minimum=0)]


def _range(name: str, given: int | None, bound: int) -> range:
    if given is None:
        return range(1, bound + 1)
    return range(_whole(name, given), given + 1)


def solve_layer(
    input: int,
    output: int,
    kernel: int | None = None,
    stride: int | None = None,
    padding: int | str | None = None,
    dilation: int | None = None,
    transposed: bool = False,
    max_kernel: int = MAX_KERNEL,
    max_stride: int = MAX_STRIDE,
    max_dilation: int = MAX_DILATION,
) -> list[Solution]:
    """Every configuration within bounds that maps length ``input`` to ``output``.

    Options given are held fixed; the others are searched, whole numbers only:
    kernel 1 … ``max_kernel`` (11), stride 1 … ``max_stride`` (8), dilation
    1 … ``max_dilation`` (4), symmetric padding 0 … span − 1 (a larger padding
    makes windows that read only zeros), and ``same``. A ``same`` whose split
    is even is the number already listed and is not repeated. A given kernel
    may exceed the bound.

    Convolutions come back with those that lose no input row first, then by
    dilation, kernel, stride and padding (a number before ``same``); ``exact`` says whether any rounding
    happened at all, ``dropped`` how many input rows rounding down leaves
    unread (as ``convcalc check`` CC201). Transposed convolutions: those
    without ``output_padding`` first. Raises :class:`ShapeError` when nothing
    fits, saying what was searched.

    >>> [(s.kernel, s.stride, s.padding, s.dilation) for s in solve_layer(224, 112, kernel=7)][:4]
    [(7, 2, 3, 1), (7, 2, 'same', 1), (7, 2, 6, 2), (7, 2, 'same', 2)]
    """
    n, out = _whole("input size", input), _whole("output size", output)
    pads = _padding_choices(padding)
    kernels = _range("kernel", kernel, max_kernel)
    strides = _range("stride", stride, max_stride)
    dilations = _range("dilation", dilation, max_dilation)
    tried = len(kernels) * len(strides) * len(dilations)
    if tried > MAX_COMBINATIONS:
        raise InputError(
            f"the search would try {tried:,} kernel, stride and dilation combinations, more than "
            f"{MAX_COMBINATIONS:,}; lower max_kernel, max_stride or max_dilation, or hold one fixed"
        )
    solve = _transposed if transposed else _conv
    plans = [(k, st, d, solve(n, out, k, st, d, pads)) for d in dilations for k in kernels for st in strides]
    # Counted before any is built: a large stride or dilation allows one padding per two rows of it.
    count = sum(len(paddings) + len(named) for _, _, _, (paddings, named) in plans)
    if count > MAX_SOLUTIONS:
        raise InputError(
            f"{count:,} configurations map {n} to {out}, more than the {MAX_SOLUTIONS:,} convcalc lists; "
            f"hold more options fixed (--kernel, --stride, --padding, --dilation) to narrow the search"
        )
    found = [s for k, st, d, plan in plans for s in _solutions(n, out, k, st, d, plan, transposed)]
    if transposed:
        found.sort(key=lambda s: (s.output_padding > 0, s.dilation, s.kernel, s.stride, s.padding == "same", s.pad_before + s.pad_after))
    else:
        found.sort(key=lambda s: (s.dropped > 0, s.dilation, s.kernel, s.stride, s.padding == "same", s.pad_before + s.pad_after))
    if not found:
        raise ShapeError(_nothing_fits(n, out, kernel, stride, padding, dilation, transposed, max_kernel, max_stride, max_dilation))
    return found


_Plan = tuple[range, list[Solution]]
"""Symmetric paddings still to build into solutions, and those already built (``same``, ``valid``)."""


def _half_range(low: int, high: int, cap: int) -> range:
    """The p in 0 … cap − 1 with low ≤ 2p ≤ high.

    >>> _half_range(3, 6, 10)
    range(2, 4)
    """
    return range(max(0, -(-low // 2)), min(cap, high // 2 + 1))


def _conv(n: int, out: int, k: int, s: int, d: int, pads: list[int | str] | None) -> _Plan:
    """The paddings of a convolution that give ``out``, solved rather than tried.

    ⌊(n + 2p − span) / s⌋ + 1 = out  ⇔  (out − 1)·s ≤ n + 2p − span ≤ (out − 1)·s + s − 1,
    so 2p lies in one range of s numbers: at most ⌈s / 2⌉ paddings, below the span.
    """
    span = (k - 1) * d + 1
    low = (out - 1) * s - n + span
    if pads is None:
        paddings = _half_range(low, low + s - 1, span)
        named: list[Solution] = []
        before, after = same_padding(n, span, s)
        if not (before == after and before in paddings):
            found = _window(n, out, k, s, d, before, after)
            if found is not None:
                named.append(found._replace(padding="same"))
        return paddings, named
    (p,) = pads
    if p == "same":
        before, after = same_padding(n, span, s)
        found = _window(n, out, k, s, d, before, after)
        return range(0), [found._replace(padding="same")] if found is not None else []
    if p == "valid":
        found = _window(n, out, k, s, d, 0, 0)
        return range(0), [found._replace(padding="valid")] if found is not None else []
    p = int(p)
    return (range(p, p + 1) if low <= 2 * p <= low + s - 1 else range(0)), []


def _window(n: int, out: int, k: int, s: int, d: int, before: int, after: int) -> Solution | None:
    w = Window("H", n, k, s, before, after, d)
    try:
        got = w.out
    except ConvCalcError:
        return None
    return Solution(k, s, before, d, before, after, w.exact, w.dropped) if got == out else None


def _transposed(n: int, out: int, k: int, s: int, d: int, pads: list[int | str] | None) -> _Plan:
    """The paddings of a transposed convolution that give ``out``, each with its output_padding.

    (n − 1)·s − 2p + span + op = out with 0 ≤ op < max(s, d): op = 2p − ((n − 1)·s + span − out),
    so 2p lies in one range of max(s, d) numbers.
    """
    span = (k - 1) * d + 1
    low = (n - 1) * s + span - out
    high = low + max(s, d) - 1
    if pads is None:
        choices: list[int | str] = ["same"]
        paddings = _half_range(low, high, span)
    else:
        choices = [p for p in pads if isinstance(p, str)]
        given = [int(p) for p in pads if not isinstance(p, str)]
        paddings = range(given[0], given[0] + 1) if given and low <= 2 * given[0] <= high else range(0)
    named = []
    for p in choices:
        # Keras' strings, resolved by the layer itself.
        try:
            spec = make_layer("conv_transpose2d", {"filters": 1, "kernel": k, "stride": s, "dilation": d, "padding": p})
            axis = spec.axes(Shape.of(n, n, 1))[0]  # type: ignore[attr-defined]
        except ConvCalcError:
            continue
        same_as_listed = (
            pads is None and axis.pad_before == axis.pad_after and axis.pad_before in paddings
            and 2 * axis.pad_before - low == axis.output_padding
        )
        if _out(axis) == out and not same_as_listed:
            named.append(Solution(k, s, p, d, axis.pad_before, axis.pad_after, True, 0, axis.output_padding, True))
    return paddings, named


def _solutions(n: int, out: int, k: int, s: int, d: int, plan: _Plan, transposed: bool) -> list[Solution]:
    """The plan's solutions: numbered paddings first, then ``same`` / ``valid``."""
    paddings, named = plan
    if transposed:
        low = (n - 1) * s + (k - 1) * d + 1 - out
        numbered = [Solution(k, s, p, d, p, p, True, 0, 2 * p - low, True) for p in paddings]
    else:
        numbered = [w for p in paddings if (w := _window(n, out, k, s, d, p, p)) is not None]
    return numbered + named


def _out(axis: TransposedAxis) -> int | None:
    try:
        return axis.out
    except ConvCalcError:
        return None


def _nothing_fits(
    n: int, out: int, kernel: int | None, stride: int | None, padding: int | str | None,
    dilation: int | None, transposed: bool, max_kernel: int, max_stride: int, max_dilation: int,
) -> str:
    kind = "conv_transpose2d" if transposed else "conv2d"
    searched = [
        f"kernel {kernel}" if kernel is not None else f"kernel 1–{max_kernel}",
        f"stride {stride}" if stride is not None else f"stride 1–{max_stride}",
        f"dilation {dilation}" if dilation is not None else f"dilation 1–{max_dilation}",
        f"padding {padding}" if padding is not None else "padding 0 to span − 1 or same",
    ]
    message = f"no {kind} maps {n} to {out} with {', '.join(searched)}"
    if not transposed and out > n:
        message += (
            f"; a convolution gives at most n + 2·padding − span + 1, and padding stays below the span, "
            f"so {out} > {n} needs a transposed convolution"
        )
    elif transposed and out < n:
        message += f"; a transposed convolution with stride ≥ 1 rarely shrinks {n} to {out}: use a convolution"
    return message


def solve_output_padding(
    input: int, target: int, kernel: int, stride: int, padding: int = 0, dilation: int = 1
) -> int:
    """The ``output_padding`` that makes a transposed convolution give ``target``.

    ``out = (n − 1)·s − 2·p + (k − 1)·d + 1 + output_padding``, and PyTorch
    requires ``0 ≤ output_padding < max(stride, dilation)``. A U-Net decoder
    undoing a 3×3 stride-2 padding-1 convolution that took 225 to 113:
    (113 − 1)·2 − 2·1 + 3 = 225, so 0; for 224 → 112 it is (112 − 1)·2 − 2 + 3
    = 223, so 1.

    >>> solve_output_padding(112, 224, kernel=3, stride=2, padding=1)
    1
    """
    n, want = _whole("input size", input), _whole("target size", target)
    k, s = _whole("kernel", kernel), _whole("stride", stride)
    p, d = _whole("padding", padding, minimum=0), _whole("dilation", dilation)
    base = (n - 1) * s - 2 * p + (k - 1) * d + 1
    op = want - base
    limit = max(s, d)
    if 0 <= op < limit:
        return op
    sum_text = f"({n} − 1)·{s} − 2·{p} + ({k} − 1)·{d} + 1 = {base}"
    if op < 0:
        raise ShapeError(
            f"conv_transpose2d already gives {base} from {n} without output_padding "
            f"({sum_text}), more than the target {want}; output_padding only adds rows"
        )
    raise ShapeError(
        f"output_padding would have to be {op} to reach {want} from {n} ({sum_text}); "
        f"it must be below the stride {s} or the dilation {d}, so 0 to {limit - 1}"
    )


# ------------------------------------------------------------ clean input sizes
class CleanSizes(NamedTuple):
    """Which input sizes a model takes, and which lose no row to rounding."""

    low: int
    high: int
    smallest: int | None
    """Smallest square side, counting from 1, on which every layer runs (None: none up to ``high``)."""
    runs: tuple[int, ...]
    """Square sides from ``low`` to ``high`` on which every layer runs."""
    clean: tuple[int, ...]
    """Those on which no layer drops a row or column by rounding down."""
    heights: tuple[int, ...] | None = None
    """Clean heights with the width fixed at the model's; None when H and W behave alike."""
    widths: tuple[int, ...] | None = None
    """Clean widths with the height fixed at the model's."""

    def lines(self) -> list[str]:
        """``clean: multiples of 32 from 32 to 1024`` and the like, for the CLI."""
        out = [
            f"runs: {describe_sizes(self.runs, self.low, self.high)}"
            + (f"; smallest input: {self.smallest}×{self.smallest}" if self.smallest is not None else ""),
            f"clean (no row or column dropped): {describe_sizes(self.clean, self.low, self.high)}",
        ]
        if self.heights is not None and self.widths is not None:
            out.append(f"clean heights: {describe_sizes(self.heights, self.low, self.high)}")
            out.append(f"clean widths: {describe_sizes(self.widths, self.low, self.high)}")
        return out


def clean_input_sizes(model: Model, low: int = 32, high: int = 1024, max_work: int = MAX_SCAN_WORK) -> CleanSizes:
    """Input sizes from ``low`` to ``high`` for which no layer drops pixels.

    A size is *clean* when every conv and pooling window rule is whole or
    leaves only padding unread (``Window.dropped`` is 0 along both axes; rows
    a ``zeropad2d`` added do not count, as in ``convcalc check`` CC201). Each
    square side H = W = n is analysed afresh; sizes where a layer cannot run
    are left out. When some layer treats H and W differently (``[1, 7]``
    kernels, a non-square input) heights and widths are also scanned apart,
    the other side kept at the model's. ResNet-50 (≈ 1,000 analyses) takes
    about a second.

    The work, layers × sizes (counting the sides below ``low`` scanned for
    the smallest, and the heights and widths apart), must stay within
    ``max_work`` (:data:`MAX_SCAN_WORK`); it is checked before the scan.

    >>> from convcalc.loader import parse_model
    >>> m = parse_model("input: [64, 64, 3]\\nlayers: [maxpool2d: {kernel: 2}, maxpool2d: {kernel: 2}]")
    >>> r = clean_input_sizes(m, 8, 40)
    >>> r.smallest, describe_sizes(r.clean, 8, 40)
    (4, 'multiples of 4 from 8 to 40')
    """
    low, high = _whole("low", low), _whole("high", high)
    if high < low:
        raise InputError(f"high ({high:,}) must not be below low ({low:,})")
    if not model.input.is_map:
        raise ShapeError(f"input sizes apply to an H×W×C model input; {model.name!r} takes {model.input.describe()}")
    symmetric = _symmetric(model)
    layers = max(len(model.nodes), 1)
    sizes_tried = high + (0 if symmetric else 2 * (high - low + 1))
    if sizes_tried * layers > max_work:
        most = max_work // layers // (1 if symmetric else 3)
        raise InputError(
            f"scanning input sides up to {high:,} means {sizes_tried:,} analyses of {layers:,} layers, "
            f"more than the {max_work:,} layer analyses of one scan; lower --high to about {most:,} or less",
            option="high",
        )
    padding = trailing_padding(model)
    h0, w0, c = model.input.dims
    smallest = next((n for n in range(1, low) if _lost(model, Shape.of(n, n, c), padding) is not None), None)
    sizes = range(low, high + 1)
    square = {n: _lost(model, Shape.of(n, n, c), padding) for n in sizes}
    runs = tuple(n for n in sizes if square[n] is not None)
    if smallest is None and runs:
        smallest = runs[0]
    clean = tuple(n for n in runs if not any(square[n]))  # type: ignore[arg-type]
    heights = widths = None
    if not symmetric:
        heights = tuple(n for n in sizes if (lost := _lost(model, Shape.of(n, w0, c), padding)) is not None and not lost[0])
        widths = tuple(n for n in sizes if (lost := _lost(model, Shape.of(h0, n, c), padding)) is not None and not lost[1])
    return CleanSizes(low, high, smallest, runs, clean, heights, widths)


def _lost(model: Model, shape: Shape, padding: list[tuple[int, int]]) -> tuple[bool, bool] | None:
    """Whether some layer drops rows (H) and columns (W) on ``shape``; None if it does not run.

    Shapes only, layer by layer, as :func:`~convcalc.model.analyse` infers
    them but without its rows and totals: the scan repeats this per size.
    """
    shapes: list[Shape] = []
    lost = [False, False]
    for node in model.nodes:
        inputs = tuple(shape if i == INPUT else shapes[i] for i in node.inputs)
        try:
            shapes.append(apply(node.spec, *inputs).output)
        except ConvCalcError:
            return None
        windows = getattr(node.spec, "windows", None)
        if windows is None or not inputs[0].is_map:
            continue
        source = node.inputs[0]
        pads = padding[source] if source != INPUT else (0, 0)
        for axis, (w, pad) in enumerate(zip(windows(inputs[0]), pads)):
            if w.dropped > pad and not w.ceil_mode:
                lost[axis] = True
    return lost[0], lost[1]


def _symmetric(model: Model) -> bool:
    """Whether swapping H and W changes nothing: a square input and every
    pair option (kernel, stride, padding, …) equal along both axes."""
    h, w = model.input.hw
    if h != w:
        return False
    for node in model.nodes:
        for f in fields(node.spec):  # type: ignore[arg-type]
            value = getattr(node.spec, f.name)
            if isinstance(value, Padding):
                if (value.top, value.bottom) != (value.left, value.right):
                    return False
            elif isinstance(value, tuple) and len(value) == 2 and value[0] != value[1]:
                return False
    return True


def describe_sizes(sizes: Iterable[int], low: int, high: int) -> str:
    """A set of sizes in words: a progression when it is one, else ranges.

    >>> describe_sizes(range(32, 1025, 32), 32, 1024)
    'multiples of 32 from 32 to 1024'
    >>> describe_sizes([33, 65, 97], 32, 100)
    '32·k + 1 from 33 to 97'
    >>> describe_sizes([63, 64, 65, 95, 96, 97, 127, 128], 32, 128)
    '32·k − 1, 32·k, 32·k + 1 from 63 to 128'
    >>> describe_sizes([40, 41, 42, 50], 32, 60)
    '40–42, 50'
    """
    values = sorted(set(sizes))
    if not values:
        return f"none from {low} to {high}"
    if values == list(range(low, high + 1)):
        return f"every size from {low} to {high}"
    first, last = values[0], values[-1]
    period = _period(values)
    if period is not None:
        step, residues = period
        if len(residues) == 1 and first % step == 0:
            return f"multiples of {step} from {first} to {last}"
        terms = ", ".join(_term(step, r) for r in residues)
        return f"{terms} from {first} to {last}"
    runs: list[str] = []
    start = prev = values[0]
    for v in [*values[1:], None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        runs.append(str(start) if start == prev else f"{start}–{prev}")
        if v is not None:
            start = prev = v
    if len(runs) > 8:
        return ", ".join(runs[:8]) + f", … ({len(values)} sizes up to {last})"
    return ", ".join(runs)


def _period(values: list[int]) -> tuple[int, list[int]] | None:
    """The shortest step m and the few residues r such that ``values`` are
    exactly the numbers ≡ r (mod m) between its ends; None if there is none
    with at most 4 residues, each met at least twice.

    Linear, not a trial of every step: ``values`` is such a union of
    ``count`` residue classes exactly when each value recurs ``count``
    places later, m higher (the ``count`` values before ``first + m`` start
    the progressions, and the last ``count`` end them), so m can only be
    ``values[count] − values[0]``, for count 1 … 4.

    >>> _period([33, 49, 65, 81]), _period([47, 48, 63, 64, 79, 80])
    ((16, [1]), (16, [15, 0]))
    """
    found: list[tuple[int, list[int]]] = []
    for count in range(1, 5):
        if len(values) < 2 * count:
            break
        step = values[count] - values[0]
        if 2 * count > step:
            continue
        if all(values[i + count] - values[i] == step for i in range(len(values) - count)):
            # Order the residues as they appear after a multiple of the step: −1, 0, +1.
            residues = sorted({v % step for v in values[:count]}, key=lambda r: r - step if r > step // 2 else r)
            found.append((step, residues))
    return min(found, key=lambda f: f[0]) if found else None


def _term(step: int, r: int) -> str:
    """``32·k``, ``32·k + 1``, ``32·k − 1``."""
    if r == 0:
        return f"{step}·k"
    return f"{step}·k + {r}" if r <= step // 2 else f"{step}·k − {step - r}"
