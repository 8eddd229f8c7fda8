"""convcalc: exact shapes, parameters and compute of convolutional networks.

The public API is the layer engine (build a spec, apply it to shapes) and the
error tree; the command line lives in :mod:`convcalc.cli`.

>>> from convcalc import Shape, apply, make_layer
>>> apply(make_layer("conv2d", {"filters": 2, "kernel": 3, "stride": 2, "padding": 1}), Shape.of(5, 5, 3)).output
Shape(dims=(3, 3, 2))
"""

from .errors import ConvCalcError, InputError, ShapeError, SpecError
from .layers import KINDS, LayerResult, LayerSpec, apply, make_layer
from .shapes import Layout, Shape, parse_shape

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """``Kind`` comes from :mod:`convcalc.layers` on first use (it is costly to build)."""
    if name == "Kind":
        from . import layers

        return layers.Kind
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "KINDS",
    "ConvCalcError",
    "InputError",
    "Kind",
    "LayerResult",
    "LayerSpec",
    "Layout",
    "Shape",
    "ShapeError",
    "SpecError",
    "apply",
    "make_layer",
    "parse_shape",
]
