"""The layer engine: every kind convcalc knows, and how to build and apply one.

>>> spec = make_layer("conv2d", {"filters": 64, "kernel": 7, "stride": 2, "padding": 3})
>>> r = apply(spec, Shape.of(224, 224, 3))
>>> r.output.format(), r.trainable, r.macs        # (7·7·3 + 1)·64 = 9,472
('112×112×64', 9472, 118013952)
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from importlib import import_module
from typing import Any

from ..errors import SpecError
from ..shapes import Shape
from .base import LayerResult, LayerSpec

__all__ = [
    "ALIASES",
    "KINDS",
    "Kind",
    "LayerResult",
    "LayerSpec",
    "apply",
    "canonical_kind",
    "make_layer",
    "spec_class",
]

# Kind → (module, class). Modules are imported when a kind is first used, so
# the command line pays only for the layers it touches.
_LOCATIONS: dict[str, tuple[str, str]] = {
    "conv2d": ("conv", "Conv2d"),
    "conv_transpose2d": ("conv", "ConvTranspose2d"),
    "maxpool2d": ("pool", "MaxPool2d"),
    "avgpool2d": ("pool", "AvgPool2d"),
    "adaptive_avgpool2d": ("pool", "AdaptiveAvgPool2d"),
    "adaptive_maxpool2d": ("pool", "AdaptiveMaxPool2d"),
    "global_avgpool2d": ("pool", "GlobalAvgPool2d"),
    "global_maxpool2d": ("pool", "GlobalMaxPool2d"),
    "zeropad2d": ("resample", "ZeroPad2d"),
    "batchnorm2d": ("norm", "BatchNorm2d"),
    "layernorm": ("norm", "LayerNorm"),
    "dense": ("dense", "Dense"),
    "flatten": ("dense", "Flatten"),
    "dropout": ("elementwise", "Dropout"),
    **{
        name: ("elementwise", name)
        for name in (
            "relu", "relu6", "sigmoid", "tanh", "gelu", "silu", "hardswish", "hardsigmoid", "softmax",
        )
    },
    "leaky_relu": ("elementwise", "LeakyReLU"),
    "upsample": ("resample", "Upsample"),
    "channel_shuffle": ("resample", "ChannelShuffle"),
    "add": ("merge", "Add"),
    "multiply": ("merge", "Multiply"),
    "concat": ("merge", "Concat"),
}

KINDS: tuple[str, ...] = tuple(_LOCATIONS)
"""Every layer kind by its canonical name."""

ALIASES = {"linear": "dense", "batchnorm": "batchnorm2d", "swish": "silu", "conv": "conv2d"}
"""Other names accepted for a kind."""

Kind = Enum("Kind", {name.upper(): name for name in [*KINDS, *ALIASES]}, type=str)  # type: ignore[misc]
Kind.__doc__ = "A layer kind's name, for option types and validation."


def canonical_kind(name: str) -> str:
    """``'linear'`` → ``'dense'``; an unknown name raises with a did-you-mean."""
    name = ALIASES.get(name, name)
    if name in _LOCATIONS:
        return name
    from difflib import get_close_matches

    close = get_close_matches(name, [*KINDS, *ALIASES], n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known kinds: {', '.join(KINDS)}"
    raise SpecError(f"unknown layer kind {name!r}{hint}")


def spec_class(kind: str) -> type[LayerSpec]:
    """The spec class of a kind (or alias), imported on first use."""
    module, attr = _LOCATIONS[canonical_kind(kind)]
    found = import_module(f"{__name__}.{module}")
    if module == "elementwise" and attr == attr.lower():
        return found.activation(attr)
    return getattr(found, attr)


def make_layer(kind: str, options: Mapping[str, Any] | None = None) -> LayerSpec:
    """Build the spec of ``kind`` from user options, normalised and checked."""
    name = canonical_kind(kind)
    return spec_class(name).build(options or {}, kind=name)


def apply(spec: LayerSpec, *inputs: Shape) -> LayerResult:
    """Check the number of inputs, then infer output shape and counts."""
    spec.check_arity(inputs)
    return spec.infer(*inputs)
