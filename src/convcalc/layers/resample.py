"""Layers that move pixels or channels around: zero padding, upsampling and
channel shuffling. None has parameters or MACs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import ShapeError, SpecError
from ..shapes import Shape
from .base import LayerResult, LayerSpec, option
from .options import Padding, flag, pair, whole

__all__ = ["ChannelShuffle", "Upsample", "ZeroPad2d"]


def _explicit_padding(name: str, value: Any) -> Padding:
    p = Padding.parse(value, name)
    if p.mode != "explicit":
        raise SpecError(f"{name} of zeropad2d must be numbers, not {p.mode!r}")
    return p


@dataclass(frozen=True, slots=True)
class ZeroPad2d(LayerSpec):
    """Adds zero rows and columns: H + top + bottom, W + left + right."""

    kind = "zeropad2d"
    padding: Padding = option(_explicit_padding, doc="pixels, [h, w] or [t, b, l, r]")

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        h, w = x.require_map(self.kind).hw
        p = self.padding
        return LayerResult(Shape.of(h + p.top + p.bottom, w + p.left + p.right, x.channels))


def _scale(name: str, value: Any) -> tuple[float, float] | None:
    if value is None:
        return None
    given = value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = (value, value)
    if (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < math.inf for v in value)
    ):
        return (float(value[0]), float(value[1]))
    raise SpecError(f"{name} must be a positive finite number or a pair [h, w] of them (got {given!r})")


def _size(name: str, value: Any) -> tuple[int, int] | None:
    return None if value is None else pair(name, value)


def _mode(name: str, value: Any) -> str:
    if value not in ("nearest", "bilinear"):
        raise SpecError(f"{name} must be 'nearest' or 'bilinear' (got {value!r})")
    return value


def _text(value: Any) -> str:
    """A normalised pair as the user would type it: ``2`` or ``[1.5, 2]``."""
    h, w = value
    return f"{h:g}" if h == w else f"[{h:g}, {w:g}]"


@dataclass(frozen=True, slots=True)
class Upsample(LayerSpec):
    """Resize by ``scale`` (output floor(H·scale), as PyTorch) or to ``size``."""

    kind = "upsample"
    scale: tuple[float, float] | None = option(_scale, None)
    size: tuple[int, int] | None = option(_size, None)
    mode: str = option(_mode, "nearest")
    align_corners: bool = option(flag, False)

    def validate(self) -> None:
        if (self.scale is None) == (self.size is None):
            given = (
                f"got both (scale {_text(self.scale)}, size {_text(self.size)})"
                if self.scale is not None
                else "got neither"
            )
            raise SpecError(f"upsample needs exactly one of 'scale' and 'size', {given}")
        if self.align_corners and self.mode != "bilinear":
            raise SpecError(
                f"align_corners applies only to mode 'bilinear', not {self.mode!r}"
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
                    "use a scale that keeps at least 1 pixel on each axis"
                )
        return LayerResult(Shape.of(oh, ow, x.channels))


@dataclass(frozen=True, slots=True)
class ChannelShuffle(LayerSpec):
    """ShuffleNet's shuffle: C channels as groups × C/groups, transposed."""

    kind = "channel_shuffle"
    groups: int = option(whole, doc="number of channel groups")

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        if x.channels % self.groups:
            raise ShapeError(
                f"channel_shuffle: groups={self.groups} does not divide the "
                f"{x.channels} channels; use a divisor of {x.channels}"
            )
        return LayerResult(x)
