"""Layers that join several inputs: ``add``, ``multiply`` and ``concat``.

``add`` and ``multiply`` broadcast as NumPy and PyTorch do, aligning the
channels-last shapes from the right, so squeeze-and-excitation's
56×56×64 · 1×1×64 gives 56×56×64. ``concat`` joins along channels.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ShapeError
from ..shapes import Shape
from .base import LayerResult, LayerSpec

__all__ = ["Add", "Concat", "Multiply", "broadcast"]


def broadcast(kind: str, shapes: tuple[Shape, ...]) -> Shape:
    """The broadcast shape, or an error quoting the shapes that disagree.

    >>> broadcast("multiply", (Shape.of(56, 56, 64), Shape.of(1, 1, 64))).dims
    (56, 56, 64)
    """
    rank = max(s.rank for s in shapes)
    dims = []
    for axis in range(-rank, 0):
        sizes = {s.dims[axis] for s in shapes if s.rank >= -axis}
        big = sizes - {1}
        if len(big) > 1:
            listed = " and ".join(s.format() for s in shapes)
            # The clashing sizes in input order, and the axis they clash on.
            differ = " and ".join(
                str(n) for n in dict.fromkeys(s.dims[axis] for s in shapes if s.rank >= -axis)
                if n != 1
            )
            where = f"along {'HWC'[axis]}" if rank == 3 else f"on axis {rank + axis}"
            raise ShapeError(
                f"{kind} cannot broadcast {listed}: sizes {differ} differ {where}; "
                "sizes must match or be 1"
            )
        dims.append(big.pop() if big else 1)
    return Shape(tuple(dims))


@dataclass(frozen=True, slots=True)
class Add(LayerSpec):
    """Element-wise sum (residual connections)."""

    kind = "add"
    arity = (2, None)

    def infer(self, *inputs: Shape) -> LayerResult:
        return LayerResult(broadcast(self.kind, inputs))


@dataclass(frozen=True, slots=True)
class Multiply(LayerSpec):
    """Element-wise product (squeeze-and-excitation gating)."""

    kind = "multiply"
    arity = (2, None)

    def infer(self, *inputs: Shape) -> LayerResult:
        return LayerResult(broadcast(self.kind, inputs))


@dataclass(frozen=True, slots=True)
class Concat(LayerSpec):
    """Join along channels; every other axis must agree."""

    kind = "concat"
    arity = (2, None)

    def infer(self, *inputs: Shape) -> LayerResult:
        first = inputs[0]
        for other in inputs[1:]:
            if other.dims[:-1] != first.dims[:-1]:
                listed = " and ".join(s.format() for s in inputs)
                raise ShapeError(
                    f"concat joins along channels, so all but the last axis must "
                    f"match; got {listed}"
                )
        return LayerResult(Shape((*first.dims[:-1], sum(s.channels for s in inputs))))
