"""Normalisation over channels: batch, layer, group and instance norm.

``batchnorm2d`` (``batchnorm1d`` on L×C maps or F features, ``batchnorm3d`` on
D×H×W×C maps): γ and β are trained (2·C); the running mean and variance are
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

def _stats(name: str, value: Any) -> float | tuple[float, ...]:
    """A number, or a list of numbers (one per channel)."""

    def ok(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    if ok(value):
        return float(value)
    if isinstance(value, (list, tuple)) and value and all(ok(v) for v in value):
        return tuple(float(v) for v in value)
    raise SpecError(f"{name} must be a number or a list of numbers (got {value!r})", option=name)


_stats.schema = {"anyOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}, "minItems": 1}, EXPR]}  # type: ignore[attr-defined]

_EPS_DOC = "added to the variance before the square root"
_affine = option(flag, True, "learn a scale γ and a shift β per channel")


def _gamma_beta(c: int, affine: bool, total: int) -> str:
    return f"trainable: 2·{c} = {total:,} (γ scale, β shift)" if affine else "trainable: 0 (affine off)"


class _Norm(Pointwise, LayerSpec):
    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        """Centred copy and squares: about twice the input."""
        return 2 * inputs[0].size


class _BatchNorm(_Norm):
    def check(self, x: Shape) -> None:
        """Refuse an input of the wrong rank (``batchnorm2d`` takes any, as Keras'
        BatchNormalization does)."""

    def learned(self) -> tuple[bool, bool]:
        """Whether γ (scale) and β (shift) are learned: PyTorch's ``affine``, and
        Keras' ``scale`` and ``center`` where the kind has them."""
        affine = self.affine  # type: ignore[attr-defined]
        return affine and getattr(self, "scale", True), affine and getattr(self, "center", True)

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        self.check(x)
        c = x.channels
        return LayerResult(x, trainable=c * sum(self.learned()), non_trainable=2 * c)

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        c = inputs[0].channels
        gamma, beta = self.learned()
        if gamma != beta:
            which = "γ scale only, center false" if gamma else "β shift only, scale false"
            trained = f"trainable: {c:,} ({which})"
        else:
            trained = _gamma_beta(c, gamma, result.trainable)
        return [trained, f"non-trainable: 2·{c} = {result.non_trainable:,} (running mean and variance)"]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return 0  # x·scale + shift, in the output


_bn_momentum = option(optional(_momentum), 0.1, "running-statistics update rate (PyTorch's convention)")
_scale = option(flag, True, "learn γ (Keras' scale; false trains only β)")
_center = option(flag, True, "learn β (Keras' center; false trains only γ)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation: 2·C trainable (if affine), 2·C running statistics."""

    kind = "batchnorm2d"
    aliases = ("batchnorm", "bn", "BatchNormalization")
    affine: bool = _affine
    eps: float = option(positive_number, 1e-5, _EPS_DOC)
    momentum: float | None = _bn_momentum
    scale: bool = _scale
    center: bool = _center


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
        if x.rank == 1:
            x.require_map(self.kind)  # a map of any spatial rank will do
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


class Normalization(_Norm):
    """Keras' Normalization: a fixed mean and variance per channel; 2·C + 1 non-trainable when adapted, none when given."""

    kind = "normalization"
    mean: Any = option(optional(_stats), None, "the mean, if given in the layer (Keras then stores no weights)")
    variance: Any = option(optional(_stats), None, "the variance, if given in the layer (with mean)")

    def validate(self) -> None:
        if (self.mean is None) != (self.variance is None):
            raise SpecError("normalization takes both 'mean' and 'variance', or neither", option="variance" if self.mean is not None else "mean")

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        for name in ("mean", "variance"):
            value = getattr(self, name)
            if isinstance(value, tuple) and len(value) not in (1, x.channels):
                raise ShapeError(
                    f"normalization's {name} has {len(value)} values but the input has {x.channels} channels; "
                    f"give one value or {x.channels}",
                    option=name,
                )
        # Keras 3 creates mean, variance and count as weights only when it will adapt them.
        return LayerResult(x, non_trainable=0 if self.mean is not None else 2 * x.channels + 1)

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        c = inputs[0].channels
        if self.mean is not None:
            return ["(x − mean) / √variance per channel, with mean and variance fixed in the layer: no weights"]
        return [f"(x − mean) / √variance per channel; non-trainable: 2·{c} + 1 = {result.non_trainable:,} (mean, variance and Keras' sample count)"]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return 0
