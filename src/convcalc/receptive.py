"""Receptive fields: which input pixels each layer's outputs can see.

Along each spatial axis a feature map's field is three numbers, in model-input
pixels (input pixel ``x`` sits at coordinate ``x``, the first at 0):

* ``size`` r — how many input pixels one output's field spans;
* ``jump`` j — the distance, in input pixels, between neighbouring outputs
  (the effective stride);
* ``start`` — the centre of output 0's field. Output ``i`` is centred on
  ``start + i·j`` and spans ``start + i·j ± (r − 1)/2``; the *effective
  padding* ``(r − 1)/2 − start`` is how far output 0's field reaches before
  the input.

The model input is ``r = 1, j = 1, start = 0``. A conv or pooling layer with
kernel k, stride s, padding p (before) and dilation d gives (the standard
recurrence, as in Araujo et al., *Computing receptive fields of convolutional
neural networks*, Distill 2019)::

    r_out     = r_in + (k − 1)·d·j_in
    j_out     = j_in·s
    start_out = start_in + ((k − 1)·d/2 − p)·j_in

ResNet-50's stem, worked: conv1 (7, stride 2, padding 3) gives
r = 1 + 6·1 = 7, j = 1·2 = 2, start = 0 + (3 − 3)·1 = 0; the max pool
(3, stride 2, padding 1) then r = 7 + 2·2 = 11, j = 2·2 = 4,
start = 0 + (1 − 1)·2 = 0: each 56×56 output sees 11×11 input pixels,
4 apart, the first centred on pixel 0 (effective padding (11 − 1)/2 − 0 = 5).

Every other kind is written as the same recurrence with an *equivalent
window* — output ``o`` reads layer-input positions ``o·s − p … o·s − p + e``
(``e = (k − 1)·d`` for a convolution), so ``r_out = r_in + e·j_in``,
``j_out = j_in·s``, ``start_out = start_in + (e/2 − p)·j_in``:

* transposed convolution (span ``σ = (k − 1)·d + 1``): ``e = (σ − 1)/s``,
  step ``1/s``, ``p = (σ − 1 − pad)/s``; the jump *divides* by the stride,
  so fields are :class:`~fractions.Fraction` in general;
* upsampling: nearest reads ``⌊o·a⌋`` (``a = in/out`` in lowest terms n/m),
  so ``e = p = (m − 1)/m``, step ``a``; bilinear reads two pixels around
  ``a·(o + ½) − ½`` (``o·a`` with ``align_corners``), bounded by ``e = 2``;
* adaptive pooling (PyTorch's windows ``⌊o·in/out⌋ … ⌈(o + 1)·in/out⌉ − 1``):
  step ``a = in/out``, ``p = 1 − gcd(in, out)/out``, ``e = a − 1 + 2p``;
* global pooling and ``flatten`` of a map: the whole map is one window
  (``e = size − 1``); a ``dense`` layer on a vector keeps it (whole input);
* ``zeropad2d``: ``e = 0``, ``p`` = the rows added before;
* everything acting on each position alone (activations, norms, ``dense``
  on a map — a 1×1 convolution —, dropout, channel shuffle): unchanged.

Merges (``add``, ``multiply``, ``concat``) take the *union*: the smallest
field holding every input's field at each position, so through branches the
largest field wins. Inputs whose jumps or centres differ are not *aligned*
(the same output position mixes features from different places); the merge's
:class:`Field` says so with a warning. An input broadcast along an axis
(1 position against many, squeeze-and-excitation's 1×1 gate) is one fixed
field there and is left out of the alignment check.

**Bounds and exact pixels.** ``size`` is the span from the first to the
last input pixel that *can* affect an output: the interval hull (pixels
inside it may have no effect where a stride exceeds the window or a dilated
window has holes). With whole jumps the interval is exact. After a
transposed convolution or resampling neighbouring outputs read different
numbers of pixels; the affine interval bounds them all.
:meth:`FieldAxis.extent` cuts the interval to the input; it equals the
input gradient's nonzero rows at every output of VGG-16, ResNet-50 and
MobileNetV2, and can overstate at the border of a dilated window, for rows
``zeropad2d`` adds or rounding drops, and after resampling.
:func:`field_pixels` follows one output's taps back through the graph and is
exact in those cases too.

**Size beyond the input.** ``size`` is the theoretical field, which may
exceed the input (ResNet-50's last stage: 427 > 224); pixels outside the
input are padding. :attr:`FieldAxis.clipped` is the part inside the input
for the best-placed output (the one nearest the input's centre), i.e. the
most input pixels any one output actually sees.

Layers reached only through vectors (after ``flatten`` or global pooling)
have one position per axis whose field holds the whole map it came from.

**Any spatial rank.** The recurrence runs along each spatial axis of the
model input on its own: L for a 1-D network, H and W for 2-D, D, H and W
for 3-D. A :class:`Field` holds one :class:`FieldAxis` per axis (``.h`` and
``.w`` name the 2-D ones); its JSON keys are the axis names in lower case.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import ceil, floor
from typing import Any, NamedTuple

from .errors import ShapeError
from .layers.geometry import IDENTITY, AxisStep, Span, fraction_text, positions
from .layers.geometry import operand as _operand
from .layers.window import AXES, axis_unit
from .model import INPUT, Summary
from .shapes import Shape

__all__ = ["Field", "FieldAxis", "explain_field", "field_pixels", "fraction_text", "receptive_fields"]

Q = Fraction


def _number(q: Fraction) -> int | float:
    """A JSON number: an int when whole."""
    return int(q) if q.denominator == 1 else float(q)


class FieldAxis(NamedTuple):
    """A feature map's receptive field along one axis, in model-input pixels."""

    size: Fraction
    """Input pixels one output's field spans (the theoretical size)."""
    jump: Fraction
    """Input pixels between neighbouring outputs (the effective stride)."""
    start: Fraction
    """Centre of output 0's field (input pixel x is at x)."""
    positions: int
    """Outputs along this axis (1 for a vector)."""
    input: int
    """The model input's length along this axis."""

    @property
    def padding(self) -> Fraction:
        """Effective padding: how far output 0's field reaches before the input,
        ``(size − 1)/2 − start``."""
        return (self.size - 1) / 2 - self.start

    def bounds(self, i: int) -> tuple[Fraction, Fraction]:
        """First and last input coordinate of output ``i``'s field, unclipped."""
        centre = self.start + i * self.jump
        half = (self.size - 1) / 2
        return centre - half, centre + half

    def extent(self, i: int) -> tuple[int, int] | None:
        """The input pixels output ``i`` can see, ``(first, last)`` clipped to
        the input, or None if its field lies wholly in padding.

        >>> FieldAxis(Q(7), Q(2), Q(0), 112, 224).extent(0)   # pixels −3…3, clipped
        (0, 3)
        """
        low, high = self.bounds(i)
        first, last = max(ceil(low), 0), min(floor(high), self.input - 1)
        return (first, last) if first <= last else None

    @property
    def clipped(self) -> int:
        """Input pixels the best-placed output sees: the theoretical field cut
        to the input, for the output nearest the input's centre."""
        ideal = ((Q(self.input - 1) / 2 - self.start) / self.jump) if self.jump else Q(0)
        near = floor(ideal)
        candidates = {0, self.positions - 1, *range(near - 1, near + 3)}
        best = 0
        for i in candidates:
            if 0 <= i < self.positions:
                e = self.extent(i)
                if e is not None:
                    best = max(best, e[1] - e[0] + 1)
        return best

    def text(self) -> str:
        """``7 (jump 2, start 0)``."""
        return f"{fraction_text(self.size)} (jump {fraction_text(self.jump)}, start {fraction_text(self.start)})"

    def as_dict(self) -> dict[str, int | float]:
        return {
            "size": _number(self.size),
            "clipped": self.clipped,
            "jump": _number(self.jump),
            "start": _number(self.start),
            "padding": _number(self.padding),
        }


class Field(NamedTuple):
    """One layer's receptive field, per spatial axis, and whether its merge is aligned."""

    axes: tuple[FieldAxis, ...]
    """One per spatial axis of the model input: (L,), (H, W) or (D, H, W)."""
    aligned: bool = True
    """False when a merge joins fields with different jumps or centres."""
    warning: str | None = None
    """Why the merge is not aligned, naming its inputs; None otherwise."""

    @property
    def names(self) -> str:
        """The axes' names: 'L', 'HW' or 'DHW'."""
        return AXES[len(self.axes)]

    def along(self, name: str) -> FieldAxis:
        """The field along the axis called ``name`` ('D', 'H', 'W' or 'L')."""
        if name not in self.names:
            raise AttributeError(f"a field along {', '.join(self.names)} has no {name} axis")
        return self.axes[self.names.index(name)]

    @property
    def h(self) -> FieldAxis:
        return self.along("H")

    @property
    def w(self) -> FieldAxis:
        return self.along("W")

    def as_dict(self) -> dict[str, Any]:
        """Plain values for JSON: ``{"h": {...}, "w": {...}, "aligned", "warning"}``
        (``"l"``, or ``"d"``, ``"h"``, ``"w"`` for 1-D and 3-D networks)."""
        return {
            **{name.lower(): axis.as_dict() for name, axis in zip(self.names, self.axes)},
            "aligned": self.aligned,
            "warning": self.warning,
        }


def _apply(step: AxisStep, f: FieldAxis, positions: int) -> FieldAxis:
    return FieldAxis(
        size=f.size + step.reach * f.jump,
        jump=f.jump * step.stride,
        start=f.start + (step.reach / 2 - step.offset) * f.jump,
        positions=positions,
        input=f.input,
    )


def _merge(fields: list[FieldAxis], positions: int) -> FieldAxis:
    """The smallest field holding every input's field at every position.

    An input with one position against several is broadcast: its field is
    the same for every output (slope 0). Bounds are affine in the position,
    so their extremes over 0 … positions − 1 are at the two ends.
    """
    broadcast = [f.positions == 1 and positions > 1 for f in fields]
    jump = next((f.jump for f, b in zip(fields, broadcast) if not b), fields[0].jump)
    ends = (0, positions - 1)
    lows, highs = [], []
    for f, b in zip(fields, broadcast):
        slope = Q(0) if b else f.jump
        low0, high0 = f.bounds(0)
        for i in ends:
            lows.append(low0 + i * slope - i * jump)
            highs.append(high0 + i * slope - i * jump)
    low, high = min(lows), max(highs)
    return FieldAxis(high - low + 1, jump, (low + high) / 2, positions, fields[0].input)


def _misaligned(names: list[str], fields: list[tuple[FieldAxis, ...]], positions: tuple[int, ...]) -> str | None:
    """Each axis on which the non-broadcast inputs' jumps or centres differ."""
    parts = []
    for axis, label in enumerate(AXES[len(positions)]):
        moving = [(n, f[axis]) for n, f in zip(names, fields) if not (f[axis].positions == 1 and positions[axis] > 1)]
        if len({f.jump for _, f in moving}) > 1 or len({f.start for _, f in moving}) > 1:
            shown = "; ".join(f"{n!r} jump {fraction_text(f.jump)}, start {fraction_text(f.start)}" for n, f in moving)
            parts.append(f"along {label} ({shown})")
    return " and ".join(parts) if parts else None


def receptive_fields(summary: Summary) -> list[Field]:
    """Every layer's receptive field, aligned with ``summary.rows``.

    The model output's field is ``receptive_fields(summary)[summary.model.output]``.
    Raises :class:`~convcalc.errors.ShapeError` for a model whose input is
    a vector. Linear in the number of layers.

    >>> from convcalc.loader import parse_model
    >>> from convcalc.model import analyse
    >>> s = analyse(parse_model("input: [32, 32, 3]\\nlayers: [conv2d: {filters: 8, kernel: 3}, "
    ...                         "maxpool2d: {kernel: 2}, conv2d: {filters: 8, kernel: 3}]"))
    >>> [fraction_text(f.h.size) for f in receptive_fields(s)]   # 1 + 2; 3 + 1·1; 4 + 2·2
    ['3', '4', '8']
    """
    model = summary.model
    if model.input.rank == 1:
        raise ShapeError(
            f"receptive fields need a map as the model input (L×C, H×W×C or D×H×W×C); {model.name!r} takes {model.input.describe()}"
        )
    rank = model.input.spatial_rank
    source = _input_field(model.input)
    fields: list[Field] = []
    for row in summary.rows:
        node = row.node
        inputs = [source if i == INPUT else fields[i] for i in node.inputs]
        counts = _counts(row, rank)
        if node.spec.merges:
            merged = tuple(_merge([f.axes[a] for f in inputs], counts[a]) for a in range(rank))
            names = [model.nodes[i].name if i != INPUT else "input" for i in node.inputs]
            why = _misaligned(names, [f.axes for f in inputs], counts)
            warning = None
            if why:
                warning = (
                    f"layer {node.name!r} ({node.spec.kind}) merges fields that are not aligned {why}: "
                    "one output position mixes features centred on different input pixels"
                )
            fields.append(Field(merged, why is None, warning))
        else:
            steps = _steps(row, rank)
            fields.append(Field(tuple(_apply(s, f, n) for s, f, n in zip(steps, inputs[0].axes, counts))))
    return fields


def _rank_change(row: Any, shape: Shape, rank: int) -> ShapeError:
    node = row.node
    return ShapeError(
        f"receptive fields cannot follow layer {node.name!r} ({node.spec.kind}): "
        f"{shape.describe()} has {shape.spatial_rank} spatial axes where the model input has {rank}"
    )


def _counts(row: Any, rank: int) -> tuple[int, ...]:
    """Positions along each axis of the layer's output (1 each for a vector)."""
    out = row.result.output
    if out.rank > 1 and out.spatial_rank != rank:
        raise _rank_change(row, out, rank)
    return positions(out, rank)


def _steps(row: Any, rank: int) -> tuple[AxisStep, ...]:
    """The layer's equivalent window per axis; a vector input keeps every field."""
    x = row.inputs[0]
    if x.rank == 1:
        return (IDENTITY,) * rank
    if x.spatial_rank != rank:
        raise _rank_change(row, x, rank)
    return row.node.spec.field_steps(x, row.result.output)


# ------------------------------------------------------------ exact pixels


def field_pixels(summary: Summary, index: int, position: tuple[int, ...] | None = None) -> tuple[Span | None, ...]:
    """The first and last input row, and column, that one output can depend on
    (one span per spatial axis: L; H, W; or D, H, W).

    Unlike :meth:`FieldAxis.extent`, which cuts the affine bound
    ``start + i·j ± (r − 1)/2`` to the input, this follows the output's
    window taps back through the graph, position by position: the hull of
    the input pixels with a path to the output (what the input gradient of a
    network with positive weights is nonzero on). It is exact where the
    bound is loose: at the borders of dilated windows, through transposed
    convolutions and resampling, and for the rows ``zeropad2d`` adds (None:
    they read no input). The axes are independent: the output's pixels are
    the rows × the columns, none at all when either is None. ``position``
    is ``(row, column)`` of layer ``index``'s output (one index per axis),
    all zeros by default and for a vector. Costs one pass over the layers
    before ``index``.

    >>> from convcalc.loader import parse_model
    >>> from convcalc.model import analyse
    >>> s = analyse(parse_model("input: [9, 9, 1]\\nlayers: [conv2d: {filters: 1, kernel: 3, dilation: 2, padding: 2}]"))
    >>> field_pixels(s, 0, (1, 4))       # taps at rows −1, 1, 3 and columns 2, 4, 6
    ((1, 3), (2, 6))
    >>> receptive_fields(s)[0].h.extent(1)   # the bound: rows −1…3, cut to 0…3
    (0, 3)
    """
    row = summary.rows[index]
    rank = summary.model.input.spatial_rank if summary.model.input.rank > 1 else 2
    counts = _counts(row, rank)
    position = (0,) * rank if position is None else tuple(position)
    names = AXES[rank]
    if len(position) != rank:
        raise ShapeError(f"give one output position per axis ({', '.join(names)}), got {len(position)}")
    for p, n, axis in zip(position, counts, names):
        if not 0 <= p < n:
            raise ShapeError(
                f"output {_label(axis)} {p} is outside the {'×'.join(map(str, counts))} positions "
                f"of layer {row.node.name!r}; use 0 to {n - 1}"
            )
    return tuple(_pixels(summary, index, p, axis) for axis, p in enumerate(position))


def _label(axis: str) -> str:
    """'row', 'column', 'plane' or 'position', as in the 2-D messages."""
    return axis_unit(axis)


def _pixels(summary: Summary, index: int, p: int, axis: int) -> Span | None:
    need: dict[int, Span] = {index: (p, p)}
    found: Span | None = None
    for k in range(index, -1, -1):
        span = need.pop(k, None)
        if span is None:
            continue
        row = summary.rows[k]
        for source, shape in zip(row.node.inputs, row.inputs):
            sub = row.node.spec.taps(shape, row.result.output, axis, span)
            if sub is None:
                continue
            if source == INPUT:
                found = _hull(found, sub)
            else:
                need[source] = _hull(need.get(source), sub)
    return found


def _hull(a: Span | None, b: Span) -> Span:
    return b if a is None else (min(a[0], b[0]), max(a[1], b[1]))


def explain_field(summary: Summary, index: int, fields: Sequence[Field] | None = None) -> list[str]:
    """The recurrence for layer ``index`` with its numbers substituted.

    >>> from convcalc.loader import parse_model
    >>> from convcalc.model import analyse
    >>> s = analyse(parse_model("input: [224, 224, 3]\\nlayers: "
    ...     "[conv2d: {filters: 64, kernel: 7, stride: 2, padding: 3}, maxpool2d: {kernel: 3, stride: 2, padding: 1}]"))
    >>> print("\\n".join(explain_field(s, 1)))
    H, W: window 3, stride 2, padding 1 before: e = (k − 1)·d = (3 − 1)·1 = 2
       size  r = r_in + e·j_in = 7 + 2·2 = 11
       jump  j = j_in·s = 2·2 = 4
       start = start_in + (e/2 − p)·j_in = 0 + (2/2 − 1)·2 = 0
    field 11×11, jump 4×4, effective padding 5×5; inside the 224×224 input: at most 11×11
    """
    fields = receptive_fields(summary) if fields is None else fields
    row = summary.rows[index]
    node = row.node
    field = fields[index]
    names_ = field.names
    source = _input_field(summary.model.input)
    inputs = [source if i == INPUT else fields[i] for i in node.inputs]
    lines: list[str]
    if node.spec.merges:
        names = [summary.model.nodes[i].name if i != INPUT else "input" for i in node.inputs]
        lines = []
        for a, label in enumerate(names_):
            parts = ", ".join(f"{n!r} {f.axes[a].text()}" for n, f in zip(names, inputs))
            lines.append(f"{label}: union of the inputs' fields: {parts} → {field.axes[a].text()}")
        if field.warning:
            lines.append(f"warning: {field.warning}")
    else:
        steps = _steps(row, len(names_))
        unchanged = (
            f"{node.spec.kind} acts on each position alone"
            if row.inputs[0].rank > 1
            else f"{node.spec.kind} on a vector: each feature already sees the whole map it came from"
        )
        per_axis = [
            _step_lines(s, f) if s is not IDENTITY else [f"field unchanged: {f.text()} ({unchanged})"]
            for s, f in zip(steps, inputs[0].axes)
        ]
        if all(body == per_axis[0] for body in per_axis):
            lines = [f"{', '.join(names_)}: {per_axis[0][0]}", *(f"   {line}" for line in per_axis[0][1:])]
        else:
            lines = []
            for label, body in zip(names_, per_axis):
                lines += [f"{label}: {body[0]}", *(f"   {line}" for line in body[1:])]
    axes = field.axes

    def across(values: Any) -> str:
        return "×".join(map(str, values))

    lines.append(
        f"field {across(fraction_text(a.size) for a in axes)}, jump {across(fraction_text(a.jump) for a in axes)}, "
        f"effective padding {across(fraction_text(a.padding) for a in axes)}; "
        f"inside the {across(a.input for a in axes)} input: at most {across(a.clipped for a in axes)}"
    )
    return lines


def _input_field(shape: Shape) -> Field:
    """The model input's own field: each pixel sees itself."""
    return Field(tuple(FieldAxis(Q(1), Q(1), Q(0), n, n) for n in shape.spatial))


def _step_lines(step: AxisStep, f: FieldAxis) -> list[str]:
    t, o = fraction_text, _operand
    e, s, p = step.reach, step.stride, step.offset
    return [
        step.why,
        f"size  r = r_in + e·j_in = {o(f.size)} + {o(e)}·{o(f.jump)} = {t(f.size + e * f.jump)}",
        f"jump  j = j_in·s = {o(f.jump)}·{o(s)} = {t(f.jump * s)}",
        f"start = start_in + (e/2 − p)·j_in = {o(f.start)} + ({o(e)}/2 − {o(p)})·{o(f.jump)} = "
        f"{t(f.start + (e / 2 - p) * f.jump)}",
    ]
