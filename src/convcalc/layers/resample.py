"""Layers that move pixels or channels around: zero padding, upsampling and
channel shuffling. None has parameters or MACs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ..errors import ShapeError, SpecError
from ..shapes import Shape
from .base import LayerResult, LayerSpec, option
from .geometry import AxisStep, Pointwise, Span, fraction_text, operand
from .options import EXPR, Padding, choice, explicit_padding, flag, optional, pair, whole

__all__ = ["ChannelShuffle", "Upsample", "ZeroPad2d"]

Q = Fraction


@dataclass(frozen=True, slots=True)
class ZeroPad2d(LayerSpec):
    """Adds zero rows and columns: H + top + bottom, W + left + right."""

    kind = "zeropad2d"
    aliases = ("pad", "zeropad", "ZeroPadding2D")
    positional = "padding"
    merges = False
    padding: Padding = option(explicit_padding, doc="pixels, [h, w] or [t, b, l, r]")

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        h, w = x.require_map(self.kind).hw
        p = self.padding
        return LayerResult(Shape.of(h + p.top + p.bottom, w + p.left + p.right, x.channels))

    def field_steps(self, x: Shape, out: Shape) -> tuple[AxisStep, AxisStep]:
        p = self.padding
        return (
            AxisStep(Q(0), Q(1), Q(p.top), f"adds {p.top} rows before: p = {p.top}, e = 0"),
            AxisStep(Q(0), Q(1), Q(p.left), f"adds {p.left} columns before: p = {p.left}, e = 0"),
        )

    def taps(self, x: Shape, out: Shape, axis: int, span: Span) -> Span | None:
        before = self.padding.top if axis == 0 else self.padding.left
        first, last = max(span[0] - before, 0), min(span[1] - before, x.hw[axis] - 1)
        return (first, last) if first <= last else None

    def trailing_padding(self, before: tuple[int, int]) -> tuple[int, int]:
        return before[0] + self.padding.bottom, before[1] + self.padding.right

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        p = self.padding
        h, w = inputs[0].hw
        return [
            f"H: {h} + {p.top} + {p.bottom} = {h + p.top + p.bottom}",
            f"W: {w} + {p.left} + {p.right} = {w + p.left + p.right}",
        ]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return 0  # written straight into the output


def _scale(name: str, value: Any) -> tuple[float, float]:
    given = value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = (value, value)
    if (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < math.inf for v in value)
    ):
        return (float(value[0]), float(value[1]))
    raise SpecError(
        f"{name} must be a positive finite number or a pair [h, w] of them (got {given!r})", option=name
    )


_scale.schema = {  # type: ignore[attr-defined]
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0},
        {"type": "array", "items": {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, EXPR]}, "minItems": 2, "maxItems": 2},
        EXPR,
    ]
}


def _text(value: Any) -> str:
    """A normalised pair as the user would type it: ``2`` or ``[1.5, 2]``."""
    h, w = value
    return f"{h:g}" if h == w else f"[{h:g}, {w:g}]"


MAX_SCALE = 1 << 16
"""Largest upsampling factor accepted: far past any real network, and small
enough that sizes stay exact in floating point."""


@dataclass(frozen=True, slots=True)
class Upsample(LayerSpec):
    """Resize by scale (output floor(H·scale), as PyTorch) or to size."""

    kind = "upsample"
    aliases = ("up",)
    positional = "scale"
    merges = False
    scale: tuple[float, float] | None = option(optional(_scale), None, "output size floor(H·scale); give scale or size")
    size: tuple[int, int] | None = option(optional(pair), None, "output size: 56 or [h, w]; give scale or size")
    mode: str = option(choice("nearest", "bilinear"), "nearest", "interpolation; shapes do not depend on it")
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

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        h, w = x.require_map(self.kind).hw
        if self.size is not None:
            oh, ow = self.size
        else:
            oh, ow = (math.floor(n * s) for n, s in zip((h, w), self.scale))  # type: ignore[arg-type]
            if oh < 1 or ow < 1:
                raise ShapeError(
                    f"scale {_text(self.scale)} shrinks the {h}×{w} input to {oh}×{ow}; "
                    "use a scale that keeps at least 1 pixel on each axis",
                    option="scale",
                )
        return LayerResult(Shape.of(oh, ow, x.channels))

    def ratio(self, axis: int, size: int, out: int) -> Fraction:
        """Input pixels per output pixel, as PyTorch's ``interpolate`` maps them:
        ``1/scale`` when a scale is given (exactly ``in/out`` when the output is the
        input or twice it), ``in/out`` for a size; with ``align_corners``
        ``(in − 1)/(out − 1)``."""
        if self.mode == "bilinear" and self.align_corners:
            return Q(size - 1, out - 1) if out > 1 else Q(0)
        if self.scale is not None and out not in (size, 2 * size):
            return 1 / Q(repr(self.scale[axis]))
        return Q(size, out)

    def field_steps(self, x: Shape, out: Shape) -> tuple[AxisStep, AxisStep]:
        """Nearest reads ⌊o·a⌋ (a = in/out = n/m in lowest terms), so
        e = p = (m − 1)/m; bilinear reads the two pixels around its source."""
        result = []
        for axis, (size, n) in enumerate(zip(x.hw, out.hw)):
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
        return result[0], result[1]

    def taps(self, x: Shape, out: Shape, axis: int, span: Span) -> Span | None:
        """Nearest: input min(⌊o·r⌋, n − 1). Bilinear: ⌊src⌋ and, unless its weight
        src − ⌊src⌋ is 0, the next pixel (both monotone in o)."""
        n = x.hw[axis]
        r = self.ratio(axis, n, out.hw[axis])
        a, b = span
        if self.mode == "nearest":
            return min(math.floor(a * r), n - 1), min(math.floor(b * r), n - 1)

        def source(o: int) -> Fraction:
            return o * r if self.align_corners else max(r * (o + Q(1, 2)) - Q(1, 2), Q(0))

        first, last = source(a), source(b)
        return min(math.floor(first), n - 1), min(math.floor(last) + (last != math.floor(last)), n - 1)

    def trailing_padding(self, before: tuple[int, int]) -> tuple[int, int]:
        return (0, 0)

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        h, w = inputs[0].hw
        oh, ow = result.output.hw
        if self.size is not None:
            return [f"resized to {oh}×{ow} ({self.mode})"]
        sh, sw = self.scale  # type: ignore[misc]
        return [f"H: ⌊{h} · {sh:g}⌋ = {oh}", f"W: ⌊{w} · {sw:g}⌋ = {ow}", f"mode: {self.mode}"]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        """Nearest: the row-gathered intermediate; bilinear: its blends too."""
        x = inputs[0]
        rows = output.dims[0] * x.dims[1] * x.channels
        return rows if self.mode == "nearest" else 3 * rows + 3 * output.size


@dataclass(frozen=True, slots=True)
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
