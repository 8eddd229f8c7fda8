"""Normalisation over channels: batch, layer, group and instance norm.

``batchnorm2d``: γ and β are trained (2·C); the running mean and variance are
stored but not trained (2·C non-trainable), as Keras counts them. PyTorch's
``num_batches_tracked`` counter is a buffer, not a parameter, and is not
counted. ``layernorm`` normalises each position over its C features and trains
γ and β (2·C); ``groupnorm`` normalises groups of channels over the whole map
(2·C); ``instancenorm`` each channel over the map (2·C if affine, 2·C running
statistics if it tracks them). ``normalization`` is Keras' preprocessing layer:
a fixed mean and variance per channel and a sample count, 2·C + 1 numbers,
none trained. ``eps`` and ``momentum`` change values, never counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ShapeError, SpecError
from ..shapes import Shape
from .base import LayerResult, LayerSpec, option
from .geometry import Pointwise
from .options import EXPR, flag, optional, positive_number, whole

__all__ = ["BatchNorm2d", "GroupNorm", "InstanceNorm", "LayerNorm", "Normalization"]


def _momentum(name: str, value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    raise SpecError(f"{name} must be a number from 0 to 1 (got {value!r})", option=name)


_momentum.schema = {"anyOf": [{"type": "number", "minimum": 0, "maximum": 1}, EXPR]}  # type: ignore[attr-defined]

_EPS_DOC = "added to the variance before the square root"
_affine = option(flag, True, "learn a scale γ and a shift β per channel")


def _gamma_beta(c: int, affine: bool, total: int) -> str:
    return f"trainable: 2·{c} = {total:,} (γ scale, β shift)" if affine else "trainable: 0 (affine off)"


class _Norm(Pointwise, LayerSpec):
    __slots__ = ()

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        """Centred copy and squares: about twice the input."""
        return 2 * inputs[0].size


@dataclass(frozen=True, slots=True)
class BatchNorm2d(_Norm):
    """Batch normalisation: 2·C trainable (if affine), 2·C running statistics."""

    kind = "batchnorm2d"
    aliases = ("batchnorm", "bn", "BatchNormalization")
    affine: bool = _affine
    eps: float = option(positive_number, 1e-5, _EPS_DOC)
    momentum: float | None = option(optional(_momentum), 0.1, "running-statistics update rate (PyTorch's convention)")

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        c = x.channels
        return LayerResult(x, trainable=2 * c if self.affine else 0, non_trainable=2 * c)

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        c = inputs[0].channels
        return [
            _gamma_beta(c, self.affine, result.trainable),
            f"non-trainable: 2·{c} = {result.non_trainable:,} (running mean and variance)",
        ]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return 0  # x·scale + shift, in the output


@dataclass(frozen=True, slots=True)
class LayerNorm(_Norm):
    """Layer normalisation over the last axis: 2·C trainable (if affine)."""

    kind = "layernorm"
    aliases = ("ln", "LayerNormalization")
    affine: bool = _affine
    eps: float = option(positive_number, 1e-5, _EPS_DOC)

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        return LayerResult(x, trainable=2 * x.channels if self.affine else 0)

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        c = inputs[0].channels
        return [f"normalises each position over its {c} features", _gamma_beta(c, self.affine, result.trainable)]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return int(1.5 * inputs[0].size)


@dataclass(frozen=True, slots=True)
class GroupNorm(_Norm):
    """Group normalisation: channels in groups, each over the whole map; 2·C trainable."""

    kind = "groupnorm"
    aliases = ("gn", "GroupNormalization")
    positional = "groups"
    groups: int = option(whole, doc="number of channel groups; must divide the channels")
    affine: bool = _affine
    eps: float = option(positive_number, 1e-5, _EPS_DOC)

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        if x.channels % self.groups:
            raise ShapeError(
                f"groupnorm: groups={self.groups} does not divide the {x.channels} channels; "
                f"use a divisor of {x.channels}",
                option="groups",
            )
        return LayerResult(x, trainable=2 * x.channels if self.affine else 0)

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        x = inputs[0]
        c, g = x.channels, self.groups
        return [
            f"normalises {g} groups of {c // g} channels, each over all {x.size // c:,} positions",
            _gamma_beta(c, self.affine, result.trainable),
        ]


@dataclass(frozen=True, slots=True)
class InstanceNorm(_Norm):
    """Instance normalisation: each channel over the map (PyTorch's defaults: no affine, no running stats)."""

    kind = "instancenorm"
    aliases = ("InstanceNorm2d",)
    affine: bool = option(flag, False, "learn a scale γ and a shift β per channel")
    track_running_stats: bool = option(flag, False, "keep running mean and variance (2·C non-trainable)")
    eps: float = option(positive_number, 1e-5, _EPS_DOC)
    momentum: float | None = option(optional(_momentum), 0.1, "running-statistics update rate")

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        x.require_map(self.kind)
        c = x.channels
        return LayerResult(
            x,
            trainable=2 * c if self.affine else 0,
            non_trainable=2 * c if self.track_running_stats else 0,
        )

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        x = inputs[0]
        c = x.channels
        stats = (
            f"non-trainable: 2·{c} = {result.non_trainable:,} (running mean and variance)"
            if self.track_running_stats
            else "non-trainable: 0 (no running statistics)"
        )
        return [f"normalises each of the {c} channels over its {x.size // c:,} positions", _gamma_beta(c, self.affine, result.trainable), stats]


@dataclass(frozen=True, slots=True)
class Normalization(_Norm):
    """Keras' Normalization: fixed mean and variance per channel, 2·C + 1 non-trainable."""

    kind = "normalization"

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        return LayerResult(x, non_trainable=2 * x.channels + 1)

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        c = inputs[0].channels
        return [f"(x − mean) / √variance per channel; non-trainable: 2·{c} + 1 = {result.non_trainable:,} (mean, variance and Keras' sample count)"]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return 0
