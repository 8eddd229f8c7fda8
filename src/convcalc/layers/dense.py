"""Fully connected layers and flattening.

``dense`` acts on the last axis, so it serves 1-D features (2048 → 1000) and
channels-last maps alike (a 1×1 convolution in disguise)::

    params = in_features·units + units          2048·1000 + 1000 = 2,049,000
    MACs   = output elements × in_features      1000 × 2048 = 2,048,000
"""

from __future__ import annotations

from dataclasses import dataclass

from ..shapes import Shape
from .base import LayerResult, LayerSpec, option
from .options import flag, whole

__all__ = ["Dense", "Flatten"]


@dataclass(frozen=True, slots=True)
class Dense(LayerSpec):
    """``y = x·W + b`` on the last axis (PyTorch ``Linear``, Keras ``Dense``)."""

    kind = "dense"
    units: int = option(whole, doc="number of output features")
    bias: bool = option(flag, True)

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        n = x.channels
        out = Shape((*x.dims[:-1], self.units))
        return LayerResult(
            out,
            trainable=n * self.units + (self.units if self.bias else 0),
            macs=out.size * n,
        )


@dataclass(frozen=True, slots=True)
class Flatten(LayerSpec):
    """H×W×C → H·W·C features (7·7·512 = 25,088)."""

    kind = "flatten"

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        return LayerResult(Shape.of(x.size))
