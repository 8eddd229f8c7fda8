"""Layers that move pixels or channels around: zero padding, upsampling and
channel shuffling. None has parameters or MACs.

``upsample`` serves maps of any spatial rank: ``scale`` and ``size`` are one
number for every axis or a list with one per axis ([l], [h, w], [d, h, w]);
``bilinear`` is linear interpolation along each axis (PyTorch's ``linear``,
``bilinear`` or ``trilinear`` by the input's rank; those spellings are
accepted too).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, ClassVar

from ..errors import ShapeError, SpecError
from ..shapes import Shape
from .base import LayerResult, LayerSpec, option
from .geometry import AxisStep, Pointwise, Span, fraction_text, operand
from .options import EXPR, Padding, explicit_padding, flag, optional, whole
from .window import AXES, axis_unit

__all__ = ["ChannelShuffle", "Upsample", "ZeroPad2d"]

Q = Fraction


class _ZeroPadNd(LayerSpec):
    """Adds zeros before and after each spatial axis."""

    positional = "padding"
    merges = False
    rank: ClassVar[int] = 2

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        sizes = x.require_spatial(self.kind, self.rank).spatial
        pads = self.padding.pads()  # type: ignore[attr-defined]
        return LayerResult(Shape((*(n + a + b for n, (a, b) in zip(sizes, pads)), x.channels)))

    def field_steps(self, x: Shape, out: Shape) -> tuple[AxisStep, ...]:
        return tuple(
            AxisStep(Q(0), Q(1), Q(before), f"adds {before} {axis_unit(axis)}s before: p = {before}, e = 0")
            for axis, (before, _) in zip(AXES[self.rank], self.padding.pads())  # type: ignore[attr-defined]
        )

    def taps(self, x: Shape, out: Shape, axis: int, span: Span) -> Span | None:
        before = self.padding.pads()[axis][0]  # type: ignore[attr-defined]
        first, last = max(span[0] - before, 0), min(span[1] - before, x.spatial[axis] - 1)
        return (first, last) if first <= last else None

    def trailing_padding(self, before: tuple[int, ...]) -> tuple[int, ...]:
        pads = self.padding.pads()  # type: ignore[attr-defined]
        if len(before) != len(pads):  # the rank changed on the way (a reshape): nothing carries over
            before = (0,) * len(pads)
        return tuple(b + after for b, (_, after) in zip(before, pads))

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        return [
            f"{axis}: {n} + {a} + {b} = {n + a + b}"
            for axis, n, (a, b) in zip(AXES[self.rank], inputs[0].spatial, self.padding.pads())  # type: ignore[attr-defined]
        ]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return 0  # written straight into the output


class ZeroPad2d(_ZeroPadNd):
    """Adds zero rows and columns: H + top + bottom, W + left + right."""

    kind = "zeropad2d"
    aliases = ("pad", "zeropad", "ZeroPadding2D")
    padding: Padding = option(explicit_padding, doc="pixels, [h, w] or [t, b, l, r]")


class _Each(tuple):  # type: ignore[type-arg]
    """One number given for every axis, stored as a pair (so a 2-D spec
    reads as it always has) and spread over as many axes as the input has."""

    __slots__ = ()


def _per_axis(value: Any, rank: int) -> tuple[Any, ...] | None:
    """A normalised scale or size for an input with ``rank`` spatial axes,
    or None when the list has another length."""
    if isinstance(value, _Each):
        return (value[0],) * rank
    return tuple(value) if len(value) == rank else None


def _positive(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < math.inf


def _scale(name: str, value: Any) -> tuple[float, ...]:
    given = value
    if _positive(value):
        return _Each((float(value), float(value)))
    if isinstance(value, (list, tuple)) and 1 <= len(value) <= 3 and all(map(_positive, value)):
        return tuple(float(v) for v in value)
    raise SpecError(
        f"{name} must be a positive finite number or a pair [h, w] of them (got {given!r})",
        option=name,
    )


_scale.schema = {  # type: ignore[attr-defined]
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0},
        {"type": "array", "items": {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, EXPR]}, "minItems": 1, "maxItems": 3},
        EXPR,
    ]
}


def _whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def _size(name: str, value: Any) -> tuple[int, ...]:
    given = value
    if _whole(value):
        return _Each((value, value))
    if isinstance(value, (list, tuple)) and 1 <= len(value) <= 3 and all(map(_whole, value)):
        return tuple(value)
    raise SpecError(
        f"{name} must be a positive whole number, or a pair [h, w] of them (got {given!r})",
        option=name,
    )


_size.schema = {  # type: ignore[attr-defined]
    "anyOf": [
        {"type": "integer", "minimum": 1},
        {"type": "array", "items": {"$ref": "#/definitions/positive_int"}, "minItems": 1, "maxItems": 3},
        EXPR,
    ]
}

_MODES = {"nearest": "nearest", "bilinear": "bilinear", "linear": "bilinear", "trilinear": "bilinear"}


def _mode(name: str, value: Any) -> str:
    if isinstance(value, str) and value in _MODES:
        return _MODES[value]
    raise SpecError(f"{name} must be 'nearest' or 'bilinear' (got {value!r})", option=name)


_mode.schema = {"anyOf": [{"enum": list(_MODES)}, EXPR]}  # type: ignore[attr-defined]


def _text(value: Any) -> str:
    """A normalised scale or size as the user would type it: ``2`` or ``[1.5, 2]``."""
    if len(set(value)) == 1 and (isinstance(value, _Each) or len(value) == 2):
        return f"{value[0]:g}"
    return "[" + ", ".join(f"{v:g}" for v in value) + "]"


MAX_SCALE = 1 << 16
"""Largest upsampling factor accepted: far past any real network, and small
enough that sizes stay exact in floating point."""


class Upsample(LayerSpec):
    """Resize by scale (output floor(H·scale), as PyTorch) or to size."""

    kind = "upsample"
    aliases = ("up",)
    positional = "scale"
    merges = False
    scale: tuple[float, ...] | None = option(optional(_scale), None, "output size floor(H·scale); one number or one per axis; give scale or size")
    size: tuple[int, ...] | None = option(optional(_size), None, "output size: 56, [h, w] (one per axis); give scale or size")
    mode: str = option(_mode, "nearest", "interpolation (bilinear: linear along each axis); shapes do not depend on it")
    align_corners: bool = option(flag, False, "bilinear only")

    def validate(self) -> None:
        if (self.scale is None) == (self.size is None):
            given = (
                f"got both (scale {_text(self.scale)}, size {_text(self.size)})"
                if self.scale is not None
                else "got neither"
            )
            raise SpecError(f"upsample needs exactly one of 'scale' and 'size', {given}")
        if self.scale is not None and max(self.scale) > MAX_SCALE:
            raise SpecError(
                f"scale must be at most {MAX_SCALE:,} (got {_text(self.scale)}); give the output 'size' instead",
                option="scale",
            )
        if self.align_corners and self.mode != "bilinear":
            raise SpecError(
                f"align_corners applies only to mode 'bilinear', not {self.mode!r}", option="align_corners"
            )

    def factors(self, x: Shape) -> tuple[Any, ...]:
        """The scale (or size) per spatial axis of ``x``."""
        if x.rank == 1:
            x.require_map(self.kind)
        rank = x.spatial_rank
        name, value = ("size", self.size) if self.size is not None else ("scale", self.scale)
        found = _per_axis(value, rank)
        if found is None:
            listed = "[" + ", ".join(f"{v:g}" for v in value) + "]"  # type: ignore[union-attr]
            raise ShapeError(
                f"{name} {listed} has {len(value)} numbers but the input, {x.describe()}, has "  # type: ignore[arg-type]
                f"{rank} spatial ax{'is' if rank == 1 else 'es'}; give one number, or one per axis",
                option=name,
            )
        return found

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        factors = self.factors(x)
        sizes = x.spatial
        if self.size is not None:
            out = factors
        else:
            out = tuple(math.floor(n * s) for n, s in zip(sizes, factors))
            if min(out) < 1:
                raise ShapeError(
                    f"scale {_text(self.scale)} shrinks the {'×'.join(map(str, sizes))} input to "
                    f"{'×'.join(map(str, out))}; use a scale that keeps at least 1 pixel on each axis",
                    option="scale",
                )
        return LayerResult(Shape((*out, x.channels)))

    def ratio(self, axis: int, size: int, out: int) -> Fraction:
        """Input pixels per output pixel, as PyTorch's ``interpolate`` maps them:
        ``1/scale`` when a scale is given (exactly ``in/out`` when the output is the
        input or twice it), ``in/out`` for a size; with ``align_corners``
        ``(in − 1)/(out − 1)``."""
        if self.mode == "bilinear" and self.align_corners:
            return Q(size - 1, out - 1) if out > 1 else Q(0)
        if self.scale is not None and out not in (size, 2 * size):
            return 1 / Q(repr(self.scale[0] if isinstance(self.scale, _Each) else self.scale[axis]))
        return Q(size, out)

    def field_steps(self, x: Shape, out: Shape) -> tuple[AxisStep, ...]:
        """Nearest reads ⌊o·a⌋ (a = in/out = n/m in lowest terms), so
        e = p = (m − 1)/m; bilinear reads the two pixels around its source."""
        result = []
        for axis, (size, n) in enumerate(zip(x.spatial, out.spatial)):
            a = self.ratio(axis, size, n)
            if self.mode == "nearest":
                slack = Q(a.denominator - 1, a.denominator)
                result.append(
                    AxisStep(
                        slack,
                        a,
                        slack,
                        f"nearest: output o copies input ⌊o·{operand(a)}⌋: stride {fraction_text(a)}, "
                        f"e = p = 1 − 1/{a.denominator} = {fraction_text(slack)}",
                    )
                )
            elif self.align_corners:
                result.append(
                    AxisStep(Q(2), a, Q(1), f"bilinear (align_corners): blends the 2 pixels around o·{operand(a)}: stride {fraction_text(a)}, e = 2, p = 1")
                )
            else:
                result.append(
                    AxisStep(
                        Q(2),
                        a,
                        (3 - a) / 2,
                        f"bilinear: blends the 2 pixels around {operand(a)}·(o + ½) − ½: "
                        f"stride {fraction_text(a)}, e = 2, p = 1 − ({operand(a)} − 1)/2 = {fraction_text((3 - a) / 2)}",
                    )
                )
        return tuple(result)

    def taps(self, x: Shape, out: Shape, axis: int, span: Span) -> Span | None:
        """Nearest: input min(⌊o·r⌋, n − 1). Bilinear: ⌊src⌋ and, unless its weight
        src − ⌊src⌋ is 0, the next pixel (both monotone in o)."""
        n = x.spatial[axis]
        r = self.ratio(axis, n, out.spatial[axis])
        a, b = span
        if self.mode == "nearest":
            return min(math.floor(a * r), n - 1), min(math.floor(b * r), n - 1)

        def source(o: int) -> Fraction:
            return o * r if self.align_corners else max(r * (o + Q(1, 2)) - Q(1, 2), Q(0))

        first, last = source(a), source(b)
        return min(math.floor(first), n - 1), min(math.floor(last) + (last != math.floor(last)), n - 1)

    def trailing_padding(self, before: tuple[int, ...]) -> tuple[int, ...]:
        return (0,) * len(before)

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        x, out = inputs[0], result.output
        if self.size is not None:
            return [f"resized to {'×'.join(map(str, out.spatial))} ({self.mode})"]
        return [
            *(
                f"{axis}: ⌊{n} · {s:g}⌋ = {o}"
                for axis, n, s, o in zip(AXES[x.spatial_rank], x.spatial, self.factors(x), out.spatial)
            ),
            f"mode: {self.mode}",
        ]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        """Nearest: the intermediate gathered along the first axis; bilinear: its blends too."""
        x = inputs[0]
        rows = output.dims[0] * math.prod(x.spatial[1:]) * x.channels
        return rows if self.mode == "nearest" else 3 * rows + 3 * output.size


class ChannelShuffle(Pointwise, LayerSpec):
    """ShuffleNet's shuffle: C channels as groups × C/groups, transposed."""

    kind = "channel_shuffle"
    aliases = ("shuffle", "ChannelShuffle")
    positional = "groups"
    groups: int = option(whole, doc="number of channel groups")

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        if x.channels % self.groups:
            raise ShapeError(
                f"channel_shuffle: groups={self.groups} does not divide the "
                f"{x.channels} channels; use a divisor of {x.channels}",
                option="groups",
            )
        return LayerResult(x)

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        c, g = inputs[0].channels, self.groups
        return [f"{c} channels seen as {g} groups × {c // g}, transposed to {c // g} × {g}"]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return 0  # one transposed copy, which is the output
