"""Normalisation over the channel (last) axis.

``batchnorm2d``: γ and β are trained (2·C); the running mean and variance are
stored but not trained (2·C non-trainable), as Keras counts them. PyTorch's
``num_batches_tracked`` counter is a buffer, not a parameter, and is not
counted. ``layernorm`` normalises each position over its C features and trains
γ and β (2·C).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..shapes import Shape
from .base import LayerResult, LayerSpec, option
from .options import flag

__all__ = ["BatchNorm2d", "LayerNorm"]


@dataclass(frozen=True, slots=True)
class BatchNorm2d(LayerSpec):
    """Batch normalisation: 2·C trainable (if affine), 2·C running statistics."""

    kind = "batchnorm2d"
    affine: bool = option(flag, True)

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        c = x.channels
        return LayerResult(x, trainable=2 * c if self.affine else 0, non_trainable=2 * c)


@dataclass(frozen=True, slots=True)
class LayerNorm(LayerSpec):
    """Layer normalisation over the last axis: 2·C trainable (if affine)."""

    kind = "layernorm"
    affine: bool = option(flag, True)

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        return LayerResult(x, trainable=2 * x.channels if self.affine else 0)
