"""Working backwards: the layer options that give a size, and the input sizes
a model handles cleanly.

:func:`solve_layer` lists every (kernel, stride, padding, dilation) within
bounds that maps one length to another; :func:`solve_output_padding` finds the
``output_padding`` with which a transposed convolution restores a size (a
U-Net decoder matching its encoder); :func:`clean_input_sizes` scans input
sizes for the ones where no layer drops rows by rounding down.

Every rule acts on one spatial axis at a time, so a 1-D or 3-D layer is
solved axis by axis (:func:`solve_axes`: 16×112×112 → 8×56×56 with kernel
[3, 7, 7] is 16 → 8 with kernel 3 along D and 112 → 56 with kernel 7 along H
and W), and a model's clean sizes are scanned per group of axes that behave
alike (a video network's D apart from its H×W).

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

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from .check import trailing_padding
from .errors import ConvCalcError, InputError, ShapeError
from .layers import apply, make_layer
from .layers.conv import TransposedAxis
from .layers.options import Padding
from .layers.window import AXES, Window, axis_unit, same_padding
from .model import INPUT, Model
from .shapes import MAX_DIM, Shape

__all__ = [
    "MAX_SCAN_WORK",
    "MAX_SOLUTIONS",
    "MAX_VALUE",
    "AxisSizes",
    "AxisSolutions",
    "CleanSizes",
    "Solution",
    "clean_input_sizes",
    "describe_sizes",
    "layer_options",
    "solve_axes",
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
    rank: int = 2,
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
    fits, saying what was searched (naming the ``rank``-D kind: conv2d by
    default; :func:`solve_axes` solves each axis of a 1-D or 3-D layer).

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
        raise ShapeError(_nothing_fits(n, out, kernel, stride, padding, dilation, transposed, max_kernel, max_stride, max_dilation, rank))
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
    dilation: int | None, transposed: bool, max_kernel: int, max_stride: int, max_dilation: int, rank: int = 2,
) -> str:
    kind = f"conv_transpose{rank}d" if transposed else f"conv{rank}d"
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


class AxisSolutions(NamedTuple):
    """:func:`solve_layer`'s answer along one or more axes that ask the same question."""

    axes: str
    """'D', 'L', 'HW', …: the axes with this input, output and held options."""
    input: int
    output: int
    solutions: tuple[Solution, ...]


def solve_axes(
    input: Sequence[int],
    output: Sequence[int] | int,
    kernel: Sequence[int] | int | None = None,
    stride: Sequence[int] | int | None = None,
    padding: Sequence[int] | int | str | None = None,
    dilation: Sequence[int] | int | None = None,
    transposed: bool = False,
) -> list[AxisSolutions]:
    """:func:`solve_layer` along each spatial axis of a 1-, 2- or 3-D layer.

    A convolution's or pooling's rule acts on each axis alone (kernel
    ``[3, 7, 7]`` slides 3 along D, 7 along H and W), so the layers that map
    ``input`` to ``output`` are exactly one solution per axis, combined.
    ``input`` has one length per axis (L; H, W; D, H, W); ``output`` and the
    held options are one value for every axis or one per axis. Axes asking
    the same question share one answer, in axis order. Each axis is its own
    search, with :func:`solve_layer`'s bounds; an axis where nothing fits
    raises, naming it.

    >>> [(a.axes, a.solutions[0].options()) for a in solve_axes((16, 112, 112), (8, 56, 56), kernel=(3, 7, 7), stride=2)]
    [('D', {'kernel': 3, 'stride': 2, 'padding': 1}), ('HW', {'kernel': 7, 'stride': 2, 'padding': 3})]
    """
    sizes = tuple(input)
    if not 1 <= len(sizes) <= 3:
        raise InputError(f"give 1, 2 or 3 input lengths (L; H, W; D, H, W), got {len(sizes)}")
    names = AXES[len(sizes)]

    def per_axis(name: str, value: Any) -> tuple[Any, ...]:
        if value is None or isinstance(value, (int, str)):
            return (value,) * len(sizes)
        values = tuple(value)
        if len(values) == 1:
            return values * len(sizes)
        if len(values) != len(sizes):
            raise InputError(
                f"{name} has {len(values)} values for {len(sizes)} axes ({_cross(names)}); give one, or one per axis",
                option=name,
            )
        return values

    questions = list(zip(
        sizes, per_axis("output size", output), per_axis("kernel", kernel), per_axis("stride", stride),
        per_axis("padding", padding), per_axis("dilation", dilation),
    ))
    shared: dict[tuple[Any, ...], str] = {}
    for axis, question in zip(names, questions):
        shared[question] = shared.get(question, "") + axis
    out = []
    for (n, m, k, s, p, d), axis in shared.items():
        try:
            found = solve_layer(n, m, k, s, p, d, transposed, rank=len(sizes))
        except ConvCalcError as e:
            raise type(e)(f"along {_cross(axis)}: {e}") from None
        out.append(AxisSolutions(axis, n, m, tuple(found)))
    return out


def layer_options(answers: Sequence[AxisSolutions], rank: int) -> dict[str, Any] | None:
    """One layer's options from the first solution along each axis that drops
    nothing and pads both sides alike, or None when an axis has none.

    ``{"kernel": [3, 7, 7], "stride": 2, "padding": [1, 3, 3]}``: a value
    shared by every axis is written once.
    """
    first: dict[str, Solution] = {}
    for a in answers:
        best = next((s for s in a.solutions if s.dropped == 0 and isinstance(s.padding, int)), None)
        if best is None:
            return None
        for axis in a.axes:
            first[axis] = best
    chosen = [first[axis] for axis in AXES[rank]]
    names = ["kernel", "stride", "padding", "dilation", "output_padding"]
    out: dict[str, Any] = {}
    for name in names:
        values = [getattr(s, name) for s in chosen]
        if name in ("dilation", "output_padding") and not any(v != (1 if name == "dilation" else 0) for v in values):
            continue
        out[name] = values[0] if len(set(values)) == 1 else values
    return out


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
DEFAULT_LOW = 32
"""Smallest side ``clean_input_sizes`` tries by default along L, H and W."""
DEFAULT_HIGH = 1024
"""Largest side it tries by default, along every axis."""
_DEFAULT_LOWS = {"D": 1}
"""Axes whose default range starts lower: D counts frames or slices, often 8 or 16."""


def _default_ranges(axes: str, own: Sequence[int], layers: int, max_work: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The default ``low`` and ``high`` per axis: 32 (1 along D) to 1024, or,
    along an axis where the model's own input is longer than 1024 (audio:
    16,000 or 32,000 samples), a range centred on that size, as wide as half
    of it on each side and as three quarters of the scan's work cap allow."""
    lows, highs = [], []
    for a, size in zip(axes, own):
        if size <= DEFAULT_HIGH:
            lows.append(_DEFAULT_LOWS.get(a, DEFAULT_LOW))
            highs.append(DEFAULT_HIGH)
            continue
        half = max(1, min(size // 2, 3 * max_work // (8 * layers * len(axes))))  # a quarter left to find the smallest
        lows.append(max(DEFAULT_LOW, size - half))
        highs.append(size + half)
    return tuple(lows), tuple(highs)


class AxisSizes(NamedTuple):
    """The sides one group of alike axes takes, those axes set to n together."""

    axes: str
    """The axes set to n: 'L', 'D', 'H', 'W', or several scanned together ('HW': H = W = n)."""
    low: int
    high: int
    smallest: int | None
    """Smallest n, counting from 1, on which every layer runs (None: none up to
    ``high``, or the search below ``low`` reached the work cap first)."""
    runs: tuple[int, ...]
    """The n from ``low`` to ``high`` on which every layer runs."""
    clean: tuple[int, ...]
    """Those on which no layer drops input along these axes by rounding down."""


class CleanSizes(NamedTuple):
    """Which input sizes a model takes, and which lose no input to rounding.

    ``together`` sets every spatial side to n (a line, a square, a cube) and
    is scanned when every axis has the same range; ``apart`` scans each group
    of alike axes with the other axes held at the model's input, when the
    axes are not all alike. The fields of the 2-D report (``low``, ``runs``,
    ``clean``, ``heights``, …) read from them.
    """

    axes: str
    """The model input's spatial axes: 'L', 'HW' or 'DHW'."""
    input: tuple[int, ...]
    """The model's own spatial sizes, at which ``apart`` holds the other axes."""
    together: AxisSizes | None
    apart: tuple[AxisSizes, ...] = ()

    @property
    def low(self) -> int | None:
        return self.together.low if self.together else None

    @property
    def high(self) -> int | None:
        return self.together.high if self.together else None

    @property
    def smallest(self) -> int | None:
        """Smallest side n of an all-n input on which every layer runs."""
        return self.together.smallest if self.together else None

    @property
    def runs(self) -> tuple[int, ...] | None:
        return self.together.runs if self.together else None

    @property
    def clean(self) -> tuple[int, ...] | None:
        return self.together.clean if self.together else None

    @property
    def heights(self) -> tuple[int, ...] | None:
        """2-D: clean heights with the width held at the model's; None when H and W behave alike."""
        return self._apart("H")

    @property
    def widths(self) -> tuple[int, ...] | None:
        """2-D: clean widths with the height held at the model's."""
        return self._apart("W")

    def _apart(self, axis: str) -> tuple[int, ...] | None:
        if self.axes != "HW":
            return None
        return next((g.clean for g in self.apart if g.axes == axis), None)

    def title(self) -> str:
        """``input sides 32 to 1024``, or what each group's range is."""
        if self.together is not None:
            sides = "lengths" if self.axes == "L" else "sides"
            return f"input {sides} {self.together.low} to {self.together.high}"
        return f"input sides per axis, the other axes held at the model's {_cross(self.input)}"

    def lines(self) -> list[str]:
        """``clean: multiples of 32 from 32 to 1024`` and the like, for the CLI."""
        out: list[str] = []
        if self.together is not None:
            out += self._scan_lines(self.together)
            for g in self.apart:
                name = {"H": "heights", "W": "widths"}.get(g.axes) if self.axes == "HW" else None
                label = f"clean {name}" if name else f"clean along {_cross(g.axes)} ({self._held(g)})"
                out.append(f"{label}: {describe_sizes(g.clean, g.low, g.high)}")
            return out
        for g in self.apart:
            out.append(f"{_cross(g.axes)} from {g.low} to {g.high}, {self._held(g)}:")
            out += [f"  {line}" for line in self._scan_lines(g)]
        return out

    def _scan_lines(self, g: AxisSizes) -> list[str]:
        units = [axis_unit(a) for a in g.axes]
        lost = units[0] if len(units) == 1 else f"{', '.join(units[:-1])} or {units[-1]}"
        shown = f"; smallest input: {_cross(self._shape(g, g.smallest))}" if g.smallest is not None else ""
        return [
            f"runs: {describe_sizes(g.runs, g.low, g.high)}{shown}",
            f"clean (no {lost} dropped): {describe_sizes(g.clean, g.low, g.high)}",
        ]

    def _shape(self, g: AxisSizes, n: int) -> tuple[int, ...]:
        """The spatial input with ``g``'s axes at n, the others at the model's."""
        return tuple(n if a in g.axes else size for a, size in zip(self.axes, self.input))

    def _held(self, g: AxisSizes) -> str:
        """'H×W at 112×112', 'D at 16'."""
        others = [(a, size) for a, size in zip(self.axes, self.input) if a not in g.axes]
        return f"{_cross(a for a, _ in others)} at {_cross(size for _, size in others)}"


def _cross(values: Iterable[Any]) -> str:
    """'16×112×112', 'H×W'."""
    return "×".join(map(str, values))


def _ranges(axes: str, name: str, given: int | Sequence[int] | None, default: dict[str, int], fallback: int) -> tuple[int, ...]:
    """One bound per spatial axis: the default, one number for all, or one per axis."""
    if given is None:
        return tuple(default.get(a, fallback) for a in axes)
    values = [given] if isinstance(given, int) else list(given)
    if len(values) == 1:
        values = values * len(axes)
    if len(values) != len(axes):
        raise InputError(
            f"{name} has {len(values)} sizes but the model input has {len(axes)} spatial "
            f"ax{'is' if len(axes) == 1 else 'es'} ({_cross(axes)}); give one size, or one per axis",
            option=name,
        )
    return tuple(_whole(name, v) for v in values)


def clean_input_sizes(
    model: Model,
    low: int | Sequence[int] | None = None,
    high: int | Sequence[int] | None = None,
    max_work: int = MAX_SCAN_WORK,
) -> CleanSizes:
    """Input sizes from ``low`` to ``high`` for which no layer drops pixels.

    A size is *clean* when every conv and pooling window rule is whole or
    leaves only padding unread (``Window.dropped`` is 0 along the axes
    scanned; rows a ``zeropad`` added do not count, as in ``convcalc check``
    CC201). Sizes where a layer cannot run are left out.

    ``low`` and ``high`` are one side for every spatial axis or one per axis
    (``(1, 32, 32)`` for D, H, W); by default 32 to 1024, and 1 to 1024
    along D, where clips and volumes are a few frames or slices deep. Axes
    are *alike* when the model input is the same size along them and every
    layer's options (kernel, stride, padding, …) are too, and their ranges
    agree. When every axis has one range, inputs with every side n are
    analysed afresh (``together``: H = W = n for an image network); when the
    axes are not all alike, each group of alike axes is also scanned
    ``apart``, the other axes held at the model's input (a video network's
    D, then its H×W). ResNet-50 (≈ 1,000 analyses per side) takes about a
    second.

    Along an axis where the model's own input is longer than 1024 (audio),
    the default range is centred on it instead (see :func:`_default_ranges`).

    The work, layers × sides from ``low`` to ``high``, must stay within
    ``max_work`` (:data:`MAX_SCAN_WORK`); it is checked before the scan. The
    search for the smallest side that runs, upwards from 1, spends what is
    left and stops there (``smallest`` is then None).

    >>> from convcalc.loader import parse_model
    >>> m = parse_model("input: [64, 64, 3]\\nlayers: [maxpool2d: {kernel: 2}, maxpool2d: {kernel: 2}]")
    >>> r = clean_input_sizes(m, 8, 40)
    >>> r.smallest, describe_sizes(r.clean, 8, 40)
    (4, 'multiples of 4 from 8 to 40')
    """
    if not model.input.rank > 1:
        raise ShapeError(
            f"input sizes apply to a model whose input is a map (L×C, H×W×C or D×H×W×C); "
            f"{model.name!r} takes {model.input.describe()}"
        )
    axes = AXES[model.input.spatial_rank]
    layers = max(len(model.nodes), 1)
    default_lows, default_highs = _default_ranges(axes, model.input.spatial, layers, max_work)
    lows = _ranges(axes, "low", low, dict(zip(axes, default_lows)), DEFAULT_LOW)
    highs = _ranges(axes, "high", high, dict(zip(axes, default_highs)), DEFAULT_HIGH)
    for a, lo, hi in zip(axes, lows, highs):
        if hi < lo:
            along = f" along {a}" if len(set(zip(lows, highs))) > 1 else ""
            raise InputError(f"high ({hi:,}) must not be below low ({lo:,}){along}")
    groups = _groups(model, axes, lows, highs)
    scans = ([axes] if len(set(zip(lows, highs))) == 1 else []) + (groups if len(groups) > 1 else [])
    top = {g: highs[axes.index(g[0])] for g in scans}
    sizes_tried = sum(highs[axes.index(g[0])] - lows[axes.index(g[0])] + 1 for g in scans)
    if sizes_tried * layers > max_work:
        sides = "lengths" if axes == "L" else "sides"
        most = [min(high, _level(list(top.values()), max_work // layers)) for high in highs]
        raise InputError(
            f"scanning input {sides} up to {_per_axis(highs)} means {sizes_tried:,} analyses of {layers:,} layers, "
            f"more than the {max_work:,} layer analyses of one scan; lower --high to about {_per_axis(most)} or less",
            option="high",
        )
    padding = trailing_padding(model)
    memo: list[Any] = [None] * len(model.nodes)
    spare = [max_work // layers - sizes_tried]  # sides left for the searches below low
    found = [_scan(model, g, lows[axes.index(g[0])], highs[axes.index(g[0])], padding, memo, spare) for g in scans]
    together = found[0] if scans and scans[0] == axes else None
    apart = tuple(found[1:] if together is not None else found)
    return CleanSizes(axes, model.input.spatial, together, apart)


def _level(highs: list[int], budget: int) -> int:
    """The largest t with Σ min(high, t) ≤ budget: the cap on ``--high`` that lowers the largest ranges first.

    >>> _level([64, 100_000], 7462), _level([1000, 1000, 1000], 900)
    (7398, 300)
    """
    rest = sorted(highs)
    spent = 0
    for i, high in enumerate(rest):
        share = (budget - spent) // (len(rest) - i)
        if share < high:
            return share
        spent += high
    return rest[-1]


def _per_axis(values: Sequence[int]) -> str:
    """'1,024' when every axis agrees, else '64x1024x1024' as ``--high`` reads it."""
    return f"{values[0]:,}" if len(set(values)) == 1 else "x".join(map(str, values))


def _scan(model: Model, group: str, low: int, high: int, padding: list[tuple[int, ...]], memo: list[Any], spare: list[int]) -> AxisSizes:
    """Sides ``low`` … ``high`` of ``group``'s axes, and the smallest that runs
    searched upwards from 1, within the ``spare`` sides the work cap leaves
    (when they run out first, the smallest is not known: None)."""
    axes = AXES[model.input.spatial_rank]
    picked = [i for i, a in enumerate(axes) if a in group]
    base, c = model.input.spatial, model.input.channels

    def lost(n: int) -> tuple[bool, ...] | None:
        return _lost(model, Shape((*(n if i in picked else s for i, s in enumerate(base)), c)), padding, memo)

    smallest, searched = None, True
    for n in range(1, low):
        if spare[0] <= 0:
            searched = False
            break
        spare[0] -= 1
        if lost(n) is not None:
            smallest = n
            break
    sizes = range(low, high + 1)
    seen = {n: lost(n) for n in sizes}
    runs = tuple(n for n in sizes if seen[n] is not None)
    if smallest is None and searched and runs:
        smallest = runs[0]
    clean = tuple(n for n in runs if not any(seen[n][i] for i in picked))  # type: ignore[index]
    return AxisSizes(group, low, high, smallest, runs, clean)


def _lost(model: Model, shape: Shape, padding: list[tuple[int, ...]], memo: list[Any]) -> tuple[bool, ...] | None:
    """Along which spatial axes some layer drops input on ``shape``; None if a layer cannot run.

    Shapes only, layer by layer, as :func:`~convcalc.model.analyse` infers
    them but without its rows and totals: the scan repeats this per size.
    ``memo`` keeps each layer's last answer: sides scanned in order reach a
    strided layer's later readers with the same shape several times running.
    """
    shapes: list[Shape] = []
    rank = shape.spatial_rank
    lost = [False] * rank
    for k, node in enumerate(model.nodes):
        inputs = tuple(shape if i == INPUT else shapes[i] for i in node.inputs)
        last = memo[k]
        if last is not None and last[0] == inputs:
            out, dropped = last[1]
        else:
            try:
                out = apply(node.spec, *inputs).output
            except ConvCalcError:
                return None
            dropped = _dropped(node, inputs[0], padding, rank)
            memo[k] = (inputs, (out, dropped))
        shapes.append(out)
        for axis in dropped:
            lost[axis] = True
    return tuple(lost)


def _dropped(node: Any, x: Shape, padding: list[tuple[int, ...]], rank: int) -> tuple[int, ...]:
    """The axes along which ``node`` leaves input rows unread, as CC201 counts them."""
    windows = getattr(node.spec, "windows", None)
    if windows is None or x.rank == 1:
        return ()
    found = windows(x)
    source = node.inputs[0]
    pads = padding[source] if source != INPUT else ()
    if len(pads) != len(found):  # the model input, or a rank change on the way
        pads = (0,) * len(found)
    if len(found) != rank:
        return ()
    return tuple(axis for axis, (w, pad) in enumerate(zip(found, pads)) if w.dropped > pad and not w.ceil_mode)


def _groups(model: Model, axes: str, lows: Sequence[int], highs: Sequence[int]) -> list[str]:
    """The spatial axes in groups that behave alike: the same input size, range and
    per-axis options (kernel, stride, padding, …) in every layer. 'DHW' → ['D', 'HW']
    for a video network."""
    keys: list[list[Any]] = [[model.input.spatial[i], lows[i], highs[i]] for i in range(len(axes))]
    for node in model.nodes:
        for option in node.spec.declared():
            value = getattr(node.spec, option.name)
            if isinstance(value, Padding):
                value = value.pads() if value.rank == len(axes) else None
            if isinstance(value, tuple) and len(value) == len(axes):
                for key, v in zip(keys, value):
                    key.append(v)
    out: dict[tuple[Any, ...], str] = {}
    for a, key in zip(axes, keys):
        out[tuple(key)] = out.get(tuple(key), "") + a
    return list(out.values())


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
