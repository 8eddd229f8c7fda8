"""Shape-preserving layers: activations and dropout (no parameters, no MACs)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, partial

from ..shapes import Shape
from .base import LayerResult, LayerSpec, option
from .options import number

__all__ = ["Activation", "Dropout", "LeakyReLU", "activation"]


class Activation(LayerSpec):
    """An element-wise function; ``softmax`` normalises over the last axis."""

    __slots__ = ()

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        return LayerResult(x)


_FUNCTIONS = {
    "relu": "max(x, 0)",
    "relu6": "min(max(x, 0), 6)",
    "sigmoid": "1 / (1 + exp(−x))",
    "tanh": "tanh(x)",
    "gelu": "x·Φ(x), Φ the standard normal CDF",
    "silu": "x·sigmoid(x), also called swish",
    "hardswish": "x·relu6(x + 3) / 6",
    "hardsigmoid": "relu6(x + 3) / 6",
    "softmax": "exp(x) / Σ exp(x) over the last axis",
}
"""The option-less activations: kind → formula."""


@cache
def activation(kind: str) -> type[Activation]:
    """The spec class of an option-less activation, made on first use."""
    cls = type(kind.title().replace("_", ""), (Activation,), {"kind": kind, "__doc__": _FUNCTIONS[kind]})
    return dataclass(frozen=True, slots=True)(cls)


@dataclass(frozen=True, slots=True)
class LeakyReLU(Activation):
    """x if x > 0 else negative_slope·x."""

    kind = "leaky_relu"
    negative_slope: float = option(number, 0.01)


@dataclass(frozen=True, slots=True)
class Dropout(LayerSpec):
    """Zeroes a fraction ``rate`` during training; identity at inference."""

    kind = "dropout"
    rate: float = option(partial(number, below=1.0), 0.5)

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        return LayerResult(x)
