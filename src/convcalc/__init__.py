"""convcalc: exact shapes, parameters and compute of convolutional networks.

The public API is the layer engine (build a spec, apply it to shapes) and the
error tree; the command line lives in :mod:`convcalc.cli`.

>>> from convcalc import Shape, apply, make_layer
>>> apply(make_layer("conv2d", {"filters": 2, "kernel": 3, "stride": 2, "padding": 1}), Shape.of(5, 5, 3)).output
Shape(dims=(3, 3, 2))
"""

from .errors import ConvCalcError, InputError, ShapeError, SpecError
from .layers import KINDS, Kind, LayerResult, LayerSpec, apply, make_layer
from .shapes import Layout, Shape, parse_shape

__version__ = "0.1.0"

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
