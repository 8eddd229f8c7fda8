"""Layers that join several inputs: ``add``, ``multiply`` and ``concat``.

``add`` and ``multiply`` broadcast as NumPy and PyTorch do, aligning the
channels-last shapes from the right, so squeeze-and-excitation's
56×56×64 · 1×1×64 gives 56×56×64. ``concat`` joins along channels.
"""

from __future__ import annotations

from ..errors import ShapeError
from ..shapes import Shape
from .base import LayerResult, LayerSpec
from .geometry import Merge

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


class _Elementwise(Merge, LayerSpec):
    """Shared by add and multiply, which take no options."""

    arity = (2, None)

    def infer(self, *inputs: Shape) -> LayerResult:
        return LayerResult(broadcast(self.kind, inputs))

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        shapes = " and ".join(s.format() for s in inputs)
        return [f"element-wise over {shapes}, broadcast to {result.output.format()}"]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        """Inputs past the second are folded in place; a broadcast that grows
        the running result makes a new array."""
        return max(len(inputs) - 2, 0) * output.size


class Add(_Elementwise):
    """Element-wise sum (residual connections)."""

    kind = "add"


class Multiply(_Elementwise):
    """Element-wise product (squeeze-and-excitation gating)."""

    kind = "multiply"
    aliases = ("mul",)


class Concat(Merge, LayerSpec):
    """Join along channels; every other axis must agree."""

    kind = "concat"
    aliases = ("cat", "Concatenate")
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

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        return [f"channels: {' + '.join(str(s.channels) for s in inputs)} = {result.output.channels}"]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return 0  # written straight into the output
