"""Tensor shapes, without the batch axis, always stored channels-last.

A shape is its spatial axes followed by channels: ``Shape((L, C))`` for a
1-D map (audio, time series), ``Shape((H, W, C))`` for an image's feature
map, ``Shape((D, H, W, C))`` for a volume or a clip of video frames; a
feature vector is ``Shape((F,))``, with no spatial axes. Channels-last is
the convention of the formulas (and of Keras); the channels-first order
PyTorch prints (C×L, C×H×W, C×D×H×W) is a display choice made at the edges
with :class:`Layout`.

>>> Shape.of(224, 224, 3).format()
'224×224×3'
>>> Shape.of(224, 224, 3).format(Layout.CHW)
'3×224×224'
>>> parse_shape("3x224x224", Layout.CHW)
Shape(dims=(224, 224, 3))
>>> parse_shape("3x16x112x112", Layout.CHW).spatial   # C×D×H×W read channels-first
(16, 112, 112)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from math import prod

from .errors import InputError, ShapeError

__all__ = ["DIGITS", "MAX_DIM", "Layout", "Shape", "parse_shape"]


class Layout(str, Enum):
    """Axis order used to read and print a feature map.

    ``hwc`` is channels-last (L×C, H×W×C, D×H×W×C); ``chw`` is channels-first
    for a map of any spatial rank (C×L, C×H×W, C×D×H×W). Vectors read the same
    in both.
    """

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
    def spatial(self) -> tuple[int, ...]:
        """The spatial sizes: ``(L,)``, ``(H, W)`` or ``(D, H, W)``; ``()`` for a vector."""
        return self.dims[:-1]

    @property
    def spatial_rank(self) -> int:
        """Number of spatial axes: 1, 2 or 3 for a map, 0 for a vector."""
        return len(self.dims) - 1

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

    def require_spatial(self, kind: str, rank: int) -> Shape:
        """Return self if it is a map with ``rank`` spatial axes, else raise
        one sentence naming the rank ``kind`` takes and the rank it got.

        >>> Shape.of(56, 56, 64).require_spatial("conv3d", 3)
        Traceback (most recent call last):
          ...
        convcalc.errors.ShapeError: conv3d takes a D×H×W×C map (3 spatial axes), got a 56×56×64 map (2 spatial axes)
        """
        if self.spatial_rank == rank:
            return self
        if rank == 2 and self.rank == 1:
            return self.require_map(kind)  # the 2-D kinds' own wording for a vector
        got = self.describe() if self.rank == 1 else f"{_article(self.dims[0])} {self.format()} map ({_axes(self.spatial_rank)})"
        raise ShapeError(f"{kind} takes {_MAP_NAMES[rank]} map ({_axes(rank)}), got {got}")

    def ordered(self, layout: Layout = Layout.HWC) -> tuple[int, ...]:
        """Dims in ``layout`` order: channels first with ``chw`` for a map
        of any spatial rank (vectors are the same in both)."""
        if layout is Layout.CHW and self.rank >= 2:
            return (self.dims[-1], *self.dims[:-1])
        return self.dims

    def format(self, layout: Layout = Layout.HWC) -> str:
        return "×".join(str(d) for d in self.ordered(layout))

    def describe(self) -> str:
        """Words for error messages: 'a vector of 2048 features', 'a 7×7×512 map',
        'an 8×8×3 map'."""
        if self.rank == 1:
            return f"a vector of {self.dims[0]:,} features"
        a = _article(self.dims[0])
        if self.is_map:
            return f"{a} {self.format()} map"
        if self.rank in _AXIS_LETTERS:
            return f"{a} {self.format()} map ({_AXIS_LETTERS[self.rank]})"
        return f"{a} {self.format()} tensor"


def _article(n: int) -> str:
    """'an' before a number said with a vowel first (eight, eleven, eighteen,
    eighty, eight hundred, eleven thousand …), else 'a'.

    >>> [_article(n) for n in (7, 8, 11, 18, 80, 110, 180, 800, 11000, 112)]
    ['a', 'an', 'an', 'an', 'an', 'a', 'a', 'an', 'an', 'a']
    """
    digits = str(n)
    return "an" if digits[0] == "8" or (digits[:2] in ("11", "18") and len(digits) % 3 == 2) else "a"


_AXIS_LETTERS = {2: "L×C", 4: "D×H×W×C"}
"""How :meth:`Shape.describe` names the axes of the maps that are not H×W×C."""

_MAP_NAMES = {1: "an L×C", 2: "an H×W×C", 3: "a D×H×W×C"}


def _axes(n: int) -> str:
    """'1 spatial axis', '3 spatial axes'."""
    return f"{n} spatial axis" if n == 1 else f"{n} spatial axes"


_SEPARATOR = re.compile(r"\s*[x×,*]\s*|\s+")

MAX_DIM = 2**31 - 1
"""Largest size of one axis read from text: 2,147,483,647.

Far above any real map side, channel or feature count, it is the bound most
frameworks and kernels index with (int32), and it keeps every product of a
shape (at most 2**93) inside a float, so memory figures stay exact enough.
"""

DIGITS = re.compile(r"[0-9]+\Z")
"""The one rule for a number read from text: ASCII digits 0-9 only.

``str.isdigit`` and ``int`` also accept '²' and full-width '２２４'; a size
that reads differently on another keyboard is refused rather than guessed.
"""


def parse_shape(text: str, layout: Layout = Layout.HWC) -> Shape:
    """Read ``224x224x3`` (H×W×C, or C×H×W with ``layout=chw``), ``16000x1``
    (L×C), ``16x112x112x3`` (D×H×W×C) or ``2048`` (features).

    Sizes are ASCII digits (:data:`DIGITS`) from 1 to :data:`MAX_DIM`.

    >>> parse_shape("230 x 230 x 3").dims
    (230, 230, 3)
    >>> parse_shape("2048").dims
    (2048,)
    >>> parse_shape("16000x1").describe()
    'a 16000×1 map (L×C)'
    >>> parse_shape("２２４")
    Traceback (most recent call last):
      ...
    convcalc.errors.InputError: input shape '２２４' has '２２４' where a positive whole number was expected
    """
    parts = [p for p in _SEPARATOR.split(text.strip().lower()) if p]
    if not 1 <= len(parts) <= 4:
        raise InputError(
            f"input shape {text!r} should be H×W×C like 224x224x3 (L×C like 16000x1, "
            "D×H×W×C like 16x112x112x3), or a feature count like 2048"
        )
    dims = []
    for part in parts:
        significant = part.lstrip("0")
        if not DIGITS.match(part) or not significant:
            raise InputError(
                f"input shape {text!r} has {part!r} where a positive whole number "
                "was expected"
            )
        if len(significant) > len(str(MAX_DIM)) or int(significant) > MAX_DIM:
            raise InputError(
                f"input shape {text!r} has a size above {MAX_DIM:,}, the largest accepted (docs/limits.md)"
            )
        dims.append(int(significant))
    if len(dims) >= 2 and layout is Layout.CHW:
        dims = [*dims[1:], dims[0]]
    return Shape(tuple(dims))
