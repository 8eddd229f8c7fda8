"""Shape-preserving layers: activations, dropout, identity, and the per-channel
multipliers ``scale`` and ``prelu``.

None has MACs (an element-wise product is not a multiply-accumulate, by
convcalc's convention); ``prelu`` and ``scale`` have parameters.
"""

from __future__ import annotations

from typing import ClassVar

from ..errors import ShapeError
from ..shapes import Shape
from .base import LayerResult, LayerSpec, option
from .geometry import Pointwise
from .options import choice, fraction, number, optional, positive_number, real, whole

__all__ = [
    "Activation",
    "DropPath",
    "Dropout",
    "Identity",
    "LeakyReLU",
    "PReLU",
    "Rescaling",
    "Scale",
]


def unchanged(x: Shape) -> str:
    """The explain line of a layer that keeps its input's shape and has no counts."""
    return f"shape unchanged ({x.format()}); no parameters, no MACs"


class Activation(Pointwise, LayerSpec):
    """An element-wise function; the class docstring is its formula."""

    scratch_factor: ClassVar[float] = 0
    """Temporaries of its NumPy kernel, as a multiple of the input."""

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        return LayerResult(x)

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        return [unchanged(inputs[0])]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return int(self.scratch_factor * inputs[0].size)


class Function(Activation):
    """An element-wise function without options."""


class ReLU(Function):
    """max(x, 0)"""

    kind = "relu"


class ReLU6(Function):
    """min(max(x, 0), 6)"""

    kind = "relu6"


class Sigmoid(Function):
    """1 / (1 + exp(−x))"""

    kind = "sigmoid"
    scratch_factor = 1


class Tanh(Function):
    """tanh(x)"""

    kind = "tanh"


class GELU(Function):
    """x·Φ(x), Φ the standard normal CDF"""

    kind = "gelu"
    scratch_factor = 8


class SiLU(Function):
    """x·sigmoid(x), also called swish"""

    kind = "silu"
    aliases = ("swish",)
    scratch_factor = 2


class Hardswish(Function):
    """x·relu6(x + 3) / 6"""

    kind = "hardswish"
    aliases = ("hard_swish",)
    scratch_factor = 2


class Hardsigmoid(Function):
    """relu6(x + 3) / 6"""

    kind = "hardsigmoid"
    aliases = ("hard_sigmoid",)
    scratch_factor = 1


class Softmax(Function):
    """exp(x) / Σ exp(x) over the last axis"""

    kind = "softmax"
    scratch_factor = 2


class Mish(Function):
    """x·tanh(softplus(x))"""

    kind = "mish"
    scratch_factor = 4


class LeakyReLU(Activation):
    """x if x > 0 else negative_slope·x."""

    kind = "leaky_relu"
    aliases = ("lrelu", "LeakyReLU")
    positional = "negative_slope"
    scratch_factor = 1.25
    negative_slope: float = option(number, 0.01, "slope for x < 0")


class ELU(Activation):
    """x if x > 0 else alpha·(exp(x) − 1)."""

    kind = "elu"
    positional = "alpha"
    scratch_factor = 2
    alpha: float = option(number, 1.0, "value approached for x → −∞ is −alpha")


class Softplus(Activation):
    """log(1 + exp(beta·x)) / beta, linear above threshold."""

    kind = "softplus"
    scratch_factor = 3
    beta: float = option(positive_number, 1.0, "sharpness")
    threshold: float = option(positive_number, 20.0, "above beta·x > threshold the output is x")


class Dropout(Activation):
    """Zeroes a fraction rate during training; identity at inference."""

    kind = "dropout"
    aliases = ("drop", "SpatialDropout2D")
    positional = "rate"
    rate: float = option(fraction, 0.5, "fraction zeroed during training, from 0 up to 1")


class DropPath(Activation):
    """Stochastic depth: drops the whole sample's branch with probability rate while training; identity at inference."""

    kind = "drop_path"
    aliases = ("stochastic_depth", "StochasticDepth", "droppath")
    positional = "rate"
    rate: float = option(fraction, 0.0, "probability of dropping the branch during training")


class Identity(Function):
    """Passes its input through unchanged."""

    kind = "identity"


class Rescaling(Activation):
    """x·scale + offset (Keras Rescaling): no parameters."""

    kind = "rescaling"
    positional = "scale"
    scale: float = option(real, 1.0, "multiplier")
    offset: float = option(real, 0.0, "added after scaling")


class Scale(Activation):
    """A learnable multiplier per channel (ConvNeXt's layer scale, Keras LayerScale): C parameters."""

    kind = "scale"
    aliases = ("layer_scale", "LayerScale")
    positional = "init"
    init: float = option(real, 1.0, "initial value of every multiplier")
    channels: int | None = option(optional(whole), None, "the channels it was made for (Keras projection_dim); must match the input")

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        if self.channels is not None and self.channels != x.channels:
            raise ShapeError(
                f"scale was made for {self.channels:,} channels but gets {x.describe()}; "
                f"set channels to {x.channels:,} or feed it {self.channels:,} channels",
                option="channels",
            )
        return LayerResult(x, trainable=x.channels)

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        x = inputs[0]
        return [
            f"multiplies each of the {x.channels:,} channels by its own learned γ",
            f"params: {x.channels:,} (γ); MACs: none (one multiply per element, not accumulated)",
        ]


_PER = {"tensor": "one slope for the whole tensor", "channel": "one slope per channel", "element": "one slope per element"}


class PReLU(Activation):
    """x if x > 0 else a·x, a learned: one a (PyTorch's default), one per channel, or one per element (Keras' default)."""

    kind = "prelu"
    positional = "per"
    scratch_factor = 1.25
    per: str = option(choice("tensor", "channel", "element"), "tensor", "which slopes are learned: tensor (1), channel (C) or element (H·W·C)")

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        count = {"tensor": 1, "channel": x.channels, "element": x.size}[self.per]
        return LayerResult(x, trainable=count)

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        x = inputs[0]
        how = {"tensor": "1", "channel": f"C = {x.channels:,}", "element": f"{'·'.join(map(str, x.dims))} = {x.size:,}"}[self.per]
        return [f"x if x > 0 else a·x, {_PER[self.per]}", f"params: {how}; MACs: none"]
