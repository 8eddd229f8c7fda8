"""Fully connected layers, flattening and reshaping.

``dense`` acts on the last axis, so it serves 1-D features (2048 → 1000) and
channels-last maps alike (a 1×1 convolution in disguise)::

    params = in_features·units + units          2048·1000 + 1000 = 2,049,000
    MACs   = output elements × in_features      1000 × 2048 = 2,048,000
"""

from __future__ import annotations

from math import prod
from typing import Any

from ..errors import ShapeError, SpecError
from ..shapes import Shape
from .base import LayerResult, LayerSpec, option
from .geometry import Pointwise, WholeMap
from .options import EXPR, flag, whole

__all__ = ["Dense", "Flatten", "Reshape"]


def _dims(shape: Shape) -> str:
    return "·".join(str(d) for d in shape.dims)


class Dense(Pointwise, LayerSpec):
    """y = x·W + b on the last axis (PyTorch Linear, Keras Dense)."""

    kind = "dense"
    aliases = ("linear", "fc")
    positional = "units"
    units: int = option(whole, doc="number of output features")
    bias: bool = option(flag, True, "one bias per output feature")

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        n = x.channels
        out = Shape((*x.dims[:-1], self.units))
        return LayerResult(
            out,
            trainable=n * self.units + (self.units if self.bias else 0),
            macs=out.size * n,
        )

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        n = inputs[0].channels
        bias = f" + {self.units}" if self.bias else ""
        return [
            f"acts on the last axis: {n} → {self.units} features",
            f"params: {n}·{self.units}{bias} = {result.trainable:,}",
            f"MACs: {_dims(result.output)} outputs × {n} = {result.macs:,}",
        ]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return 0  # one matmul into the output


class Flatten(WholeMap, LayerSpec):
    """H×W×C (or L×C, D×H×W×C) → H·W·C features (7·7·512 = 25,088)."""

    kind = "flatten"
    is_view = True

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        return LayerResult(Shape.of(x.size))

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        return [f"{_dims(inputs[0])} = {result.output.size:,} features"]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return 0  # a view


def _target(name: str, value: Any) -> tuple[int, ...]:
    given = value
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if (
        isinstance(value, (list, tuple))
        and 1 <= len(value) <= 4
        and all(isinstance(v, int) and not isinstance(v, bool) and (v >= 1 or v == -1) for v in value)
        and list(value).count(-1) <= 1
    ):
        return tuple(value)
    raise SpecError(
        f"{name} must be 1 to 4 positive whole numbers, channels last, one of which may be -1 (got {given!r})",
        option=name,
    )


_target.schema = {  # type: ignore[attr-defined]
    "anyOf": [
        {"type": "array", "items": {"anyOf": [{"type": "integer", "minimum": -1, "not": {"const": 0}}, EXPR]}, "minItems": 1, "maxItems": 4},
        {"type": "integer", "minimum": 1},
        EXPR,
    ]
}


class Reshape(WholeMap, LayerSpec):
    """The same numbers in a new shape, channels last (Keras Reshape): [1, 1, 960]."""

    kind = "reshape"
    positional = "shape"
    is_view = True
    shape: tuple[int, ...] = option(_target, doc="target shape without the batch axis, channels last; one entry may be -1")

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        dims = list(self.shape)
        known = prod(d for d in dims if d != -1)
        if -1 in dims:
            if x.size % known:
                raise ShapeError(
                    f"reshape cannot fit {x.describe()} ({x.size:,} numbers) into {self._text()}: "
                    f"{x.size:,} is not a multiple of {known:,}",
                    option="shape",
                )
            dims[dims.index(-1)] = x.size // known
        elif known != x.size:
            raise ShapeError(
                f"reshape cannot fit {x.describe()} ({x.size:,} numbers) into {self._text()} "
                f"({known:,} numbers); the sizes must match",
                option="shape",
            )
        return LayerResult(Shape(tuple(dims)))

    def _text(self) -> str:
        return "[" + ", ".join(map(str, self.shape)) + "]"

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        x = inputs[0]
        return [f"{x.format()} → {result.output.format()}: the same {x.size:,} numbers; no parameters, no MACs"]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return 0  # a view
