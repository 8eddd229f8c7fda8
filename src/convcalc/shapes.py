"""Tensor shapes, without the batch axis, always stored channels-last.

A feature map is ``Shape((H, W, C))``; a feature vector is ``Shape((F,))``.
Channels-last is the convention of the formulas (and of Keras); the C×H×W
order PyTorch prints is a display choice made at the edges with
:class:`Layout`.

>>> Shape.of(224, 224, 3).format()
'224×224×3'
>>> Shape.of(224, 224, 3).format(Layout.CHW)
'3×224×224'
>>> parse_shape("3x224x224", Layout.CHW)
Shape(dims=(224, 224, 3))
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from math import prod

from .errors import InputError, ShapeError

__all__ = ["Layout", "Shape", "parse_shape"]


class Layout(str, Enum):
    """Axis order used to read and print a feature map."""

    HWC = "hwc"
    CHW = "chw"


@dataclass(frozen=True, slots=True)
class Shape:
    """A tensor shape without the batch axis, channels last."""

    dims: tuple[int, ...]
    """Sizes, e.g. ``(112, 112, 64)`` for a map or ``(1000,)`` for a vector."""

    @classmethod
    def of(cls, *dims: int) -> Shape:
        return cls(tuple(dims))

    @property
    def rank(self) -> int:
        return len(self.dims)

    @property
    def size(self) -> int:
        """Number of elements: 112·112·64 = 802,816."""
        return prod(self.dims)

    @property
    def channels(self) -> int:
        """The last axis: channels of a map, features of a vector."""
        return self.dims[-1]

    @property
    def is_map(self) -> bool:
        return self.rank == 3

    @property
    def hw(self) -> tuple[int, int]:
        """Spatial size of a feature map; callers check :meth:`require_map` first."""
        return self.dims[0], self.dims[1]

    def require_map(self, kind: str) -> Shape:
        """Return self if it is an H×W×C map, else raise naming ``kind``."""
        if not self.is_map:
            raise ShapeError(
                f"{kind} needs an H×W×C feature map, got {self.describe()}"
            )
        return self

    def ordered(self, layout: Layout = Layout.HWC) -> tuple[int, ...]:
        """Dims in ``layout`` order (vectors are the same in both)."""
        if layout is Layout.CHW and self.is_map:
            h, w, c = self.dims
            return (c, h, w)
        return self.dims

    def format(self, layout: Layout = Layout.HWC) -> str:
        return "×".join(str(d) for d in self.ordered(layout))

    def describe(self) -> str:
        """Words for error messages: 'a vector of 2048 features', 'a 7×7×512 map'."""
        if self.rank == 1:
            return f"a vector of {self.dims[0]:,} features"
        if self.is_map:
            return f"a {self.format()} map"
        return f"a {self.format()} tensor"


_SEPARATOR = re.compile(r"\s*[x×,*]\s*|\s+")


def parse_shape(text: str, layout: Layout = Layout.HWC) -> Shape:
    """Read ``224x224x3`` (H×W×C, or C×H×W with ``layout=chw``) or ``2048``.

    >>> parse_shape("230 x 230 x 3").dims
    (230, 230, 3)
    >>> parse_shape("2048").dims
    (2048,)
    """
    parts = [p for p in _SEPARATOR.split(text.strip().lower()) if p]
    if len(parts) not in (1, 3):
        raise InputError(
            f"input shape {text!r} should be H×W×C like 224x224x3, "
            "or a feature count like 2048"
        )
    dims = []
    for part in parts:
        if not part.isdigit() or int(part) < 1:
            raise InputError(
                f"input shape {text!r} has {part!r} where a positive whole number "
                "was expected"
            )
        dims.append(int(part))
    if len(dims) == 3 and layout is Layout.CHW:
        c, h, w = dims
        dims = [h, w, c]
    return Shape(tuple(dims))
