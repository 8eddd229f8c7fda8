"""1-D and 3-D kinds: L×C maps (audio, time series) and D×H×W×C maps (video, volumes).

Each is its 2-D family's rule with another number of spatial axes: the
generic classes (``_ConvNd``, ``_Windowed``, ``_Adaptive``, ``_Global``,
``_ZeroPadNd``, ``_BatchNorm``) live beside the 2-D kinds, and these thin
subclasses only declare the rank and the options, which take one number for
every axis or one per axis (``kernel: [3, 1, 1]``). PyTorch's semantics;
Keras' names (``Conv1D``, ``MaxPooling3D``, …) are accepted. Parameters and
MACs follow the 2-D formulas with the kernel's product over its axes::

    conv3d:   (kd·kh·kw·C_in / groups + 1)·filters      (3·3·3·3 + 1)·64 = 5,248
              MACs = output elements × kd·kh·kw·C_in / groups
              16·112·112·64 × 3·3·3·3 = 1,040,449,536

A kind of one rank refuses a map of another in one sentence: "conv3d takes a
D×H×W×C map (3 spatial axes), got a 56×56×64 map (2 spatial axes)".

PyTorch's ``AvgPool3d`` (unlike its 1-D and 2-D siblings) also refuses an input
axis shorter than the window, whatever the padding; ``avgpool3d`` does too.
"""

from __future__ import annotations

from ..errors import ShapeError
from ..shapes import Shape
from .base import LayerResult, option
from .conv import _ConvNd, _ConvTransposeNd
from .norm import _EPS_DOC, _affine, _BatchNorm, _bn_momentum, _center, _scale
from .options import (
    Padding,
    flag,
    non_negative_single,
    non_negative_triple,
    optional,
    padding1d,
    padding3d,
    pixels1d,
    pixels3d,
    positive_number,
    single,
    triple,
    whole,
)
from .pool import _Adaptive, _ceil, _Global, _Windowed
from .resample import _ZeroPadNd

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool3d",
    "AvgPool1d",
    "AvgPool3d",
    "BatchNorm1d",
    "BatchNorm3d",
    "Conv1d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose3d",
    "GlobalAvgPool1d",
    "GlobalAvgPool3d",
    "GlobalMaxPool1d",
    "GlobalMaxPool3d",
    "MaxPool1d",
    "MaxPool3d",
    "ZeroPad1d",
    "ZeroPad3d",
]

_padding1d = option(padding1d, 0, "zero padding: positions, [before, after], same or valid")
_padding3d = option(padding3d, 0, "zero padding: pixels, [d, h, w], [front, back, top, bottom, left, right], same or valid")
_stride1d = option(optional(single), None, "step between windows; defaults to the kernel")
_stride3d = option(optional(triple), None, "step between windows: 2 or [d, h, w]; defaults to the kernel")
_keepdims1d = option(flag, False, "keep a 1×C map instead of a C vector")
_keepdims3d = option(flag, False, "keep a 1×1×1×C map instead of a C vector")


# ------------------------------------------------------------------ convolution
class Conv1d(_ConvNd):
    """1-D convolution over L×C (audio, time series), PyTorch's Conv1d."""

    kind = "conv1d"  # Keras' Conv1D is the same name, case folded
    positional = "filters"
    rank = 1
    filters: int = option(whole, doc="number of output channels")
    kernel: tuple[int] = option(single, doc="kernel size, e.g. 3")
    stride: tuple[int] = option(single, 1, "step between windows")
    padding: Padding = _padding1d
    dilation: tuple[int] = option(single, 1, "spacing between kernel taps")
    groups: int = option(whole, 1, "channel groups; must divide the input channels and filters")
    bias: bool = option(flag, True, "one bias per output channel")


class Conv3d(_ConvNd):
    """3-D convolution over D×H×W×C (video, volumes), PyTorch's Conv3d."""

    kind = "conv3d"  # Keras' Conv3D is the same name, case folded
    positional = "filters"
    rank = 3
    filters: int = option(whole, doc="number of output channels")
    kernel: tuple[int, int, int] = option(triple, doc="kernel size, e.g. 3 or [3, 1, 1]")
    stride: tuple[int, int, int] = option(triple, 1, "step between windows: 2 or [d, h, w]")
    padding: Padding = _padding3d
    dilation: tuple[int, int, int] = option(triple, 1, "spacing between kernel taps")
    groups: int = option(whole, 1, "channel groups; must divide the input channels and filters")
    bias: bool = option(flag, True, "one bias per output channel")


class ConvTranspose1d(_ConvTransposeNd):
    """Transposed 1-D convolution over L×C, PyTorch's ``ConvTranspose1d``."""

    kind = "conv_transpose1d"
    aliases = ("Conv1DTranspose",)
    positional = "filters"
    rank = 1
    filters: int = option(whole, doc="number of output channels")
    kernel: tuple[int] = option(single, doc="kernel size, e.g. 4")
    stride: tuple[int] = option(single, 1, "upsampling factor")
    padding: Padding = option(padding1d, 0, "positions cropped from the output (PyTorch): p or [before, after], or same / valid (Keras)")
    output_padding: tuple[int] = option(non_negative_single, 0, "extra positions at the end of the output")
    dilation: tuple[int] = option(single, 1, "spacing between kernel taps")
    groups: int = option(whole, 1, "channel groups; must divide the input channels and filters")
    bias: bool = option(flag, True, "one bias per output channel")


class ConvTranspose3d(_ConvTransposeNd):
    """Transposed 3-D convolution over D×H×W×C, PyTorch's ``ConvTranspose3d``."""

    kind = "conv_transpose3d"
    aliases = ("Conv3DTranspose",)
    positional = "filters"
    rank = 3
    filters: int = option(whole, doc="number of output channels")
    kernel: tuple[int, int, int] = option(triple, doc="kernel size, e.g. 2 or [1, 2, 2]")
    stride: tuple[int, int, int] = option(triple, 1, "upsampling factor: 2 or [d, h, w]")
    padding: Padding = option(padding3d, 0, "pixels cropped from the output (PyTorch): p, [d, h, w] or six sides, or same / valid (Keras)")
    output_padding: tuple[int, int, int] = option(non_negative_triple, 0, "extra planes, rows and columns at the end of the output")
    dilation: tuple[int, int, int] = option(triple, 1, "spacing between kernel taps")
    groups: int = option(whole, 1, "channel groups; must divide the input channels and filters")
    bias: bool = option(flag, True, "one bias per output channel")


class MaxPool1d(_Windowed):
    """Max over each window of an L×C map."""

    kind = "maxpool1d"
    aliases = ("MaxPooling1D",)
    rank = 1
    kernel: tuple[int] = option(single, doc="window size, e.g. 3")
    stride: tuple[int] | None = _stride1d
    padding: Padding = option(padding1d, 0, "padding (filled with −∞): positions, [before, after], same or valid")
    dilation: tuple[int] = option(single, 1, "spacing between window taps")
    ceil_mode: bool = _ceil


class MaxPool3d(_Windowed):
    """Max over each window of a D×H×W×C map."""

    kind = "maxpool3d"
    aliases = ("MaxPooling3D",)
    rank = 3
    kernel: tuple[int, int, int] = option(triple, doc="window size, e.g. 3 or [1, 3, 3]")
    stride: tuple[int, int, int] | None = _stride3d
    padding: Padding = option(padding3d, 0, "padding (filled with −∞): pixels, [d, h, w], six sides, same or valid")
    dilation: tuple[int, int, int] = option(triple, 1, "spacing between window taps")
    ceil_mode: bool = _ceil


class AvgPool1d(_Windowed):
    """Mean over each window of an L×C map."""

    kind = "avgpool1d"
    aliases = ("AveragePooling1D",)
    rank = 1
    kernel: tuple[int] = option(single, doc="window size, e.g. 2")
    stride: tuple[int] | None = _stride1d
    padding: Padding = option(padding1d, 0, "zero padding: positions, [before, after], same or valid")
    ceil_mode: bool = _ceil
    count_include_pad: bool = option(flag, True, "divide by the whole window, padding included")


class AvgPool3d(_Windowed):
    """Mean over each window of a D×H×W×C map."""

    kind = "avgpool3d"
    aliases = ("AveragePooling3D",)
    rank = 3
    kernel: tuple[int, int, int] = option(triple, doc="window size, e.g. 2 or [1, 2, 2]")
    stride: tuple[int, int, int] | None = _stride3d
    padding: Padding = option(padding3d, 0, "zero padding: pixels, [d, h, w], six sides, same or valid")
    ceil_mode: bool = _ceil
    count_include_pad: bool = option(flag, True, "divide by the whole window, padding included")

    def infer(self, *inputs: Shape) -> LayerResult:
        """PyTorch's AvgPool3d (unlike the 1-D and 2-D ones) also needs every
        input axis at least as long as the window, padding aside."""
        (x,) = inputs
        for w in self.windows(x):
            if self.padding.mode == "explicit" and w.size < w.kernel:
                raise ShapeError(
                    f"kernel {w.kernel} is larger than the input {w.axis}={w.size}; PyTorch's AvgPool3d "
                    "needs each input axis at least as long as the window, whatever the padding"
                )
        return LayerResult(Shape((*(w.out for w in self.windows(x)), x.channels)))


class AdaptiveAvgPool1d(_Adaptive):
    """Average pooling of an L×C map to a fixed length, PyTorch's windows."""

    kind = "adaptive_avgpool1d"
    rank = 1
    output_size: tuple[int] = option(single, doc="output length, e.g. 1")


class AdaptiveAvgPool3d(_Adaptive):
    """Average pooling of a D×H×W×C map to a fixed output size, PyTorch's windows."""

    kind = "adaptive_avgpool3d"
    rank = 3
    output_size: tuple[int, int, int] = option(triple, doc="output size, e.g. 1 or [1, 7, 7]")


class AdaptiveMaxPool1d(_Adaptive):
    """Max pooling of an L×C map to a fixed length."""

    kind = "adaptive_maxpool1d"
    rank = 1
    output_size: tuple[int] = option(single, doc="output length, e.g. 1")


class AdaptiveMaxPool3d(_Adaptive):
    """Max pooling of a D×H×W×C map to a fixed output size."""

    kind = "adaptive_maxpool3d"
    rank = 3
    output_size: tuple[int, int, int] = option(triple, doc="output size, e.g. 1 or [1, 7, 7]")


class GlobalAvgPool1d(_Global):
    """Mean over L: L×C → C (or 1×C with keepdims)."""

    kind = "global_avgpool1d"
    aliases = ("GlobalAveragePooling1D", "GlobalAvgPool1D")
    rank = 1
    keepdims: bool = _keepdims1d


class GlobalAvgPool3d(_Global):
    """Mean over D, H and W: D×H×W×C → C (or 1×1×1×C with keepdims)."""

    kind = "global_avgpool3d"
    aliases = ("GlobalAveragePooling3D", "GlobalAvgPool3D")
    rank = 3
    keepdims: bool = _keepdims3d


class GlobalMaxPool1d(_Global):
    """Max over L: L×C → C (or 1×C with keepdims)."""

    kind = "global_maxpool1d"
    aliases = ("GlobalMaxPooling1D", "GlobalMaxPool1D")
    rank = 1
    keepdims: bool = _keepdims1d


class GlobalMaxPool3d(_Global):
    """Max over D, H and W: D×H×W×C → C (or 1×1×1×C with keepdims)."""

    kind = "global_maxpool3d"
    aliases = ("GlobalMaxPooling3D", "GlobalMaxPool3D")
    rank = 3
    keepdims: bool = _keepdims3d


class ZeroPad1d(_ZeroPadNd):
    """Adds zeros before and after L: L + before + after."""

    kind = "zeropad1d"
    aliases = ("ZeroPadding1D",)
    rank = 1
    padding: Padding = option(pixels1d, doc="positions, or [before, after]")


class ZeroPad3d(_ZeroPadNd):
    """Adds zero planes, rows and columns: D + front + back, H + top + bottom, W + left + right."""

    kind = "zeropad3d"
    aliases = ("ZeroPadding3D",)
    rank = 3
    padding: Padding = option(pixels3d, doc="pixels, [d, h, w] or [front, back, top, bottom, left, right]")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of an L×C map or of F features (PyTorch's BatchNorm1d)."""

    kind = "batchnorm1d"
    affine: bool = _affine
    eps: float = option(positive_number, 1e-5, _EPS_DOC)
    momentum: float | None = _bn_momentum
    scale: bool = _scale
    center: bool = _center

    def check(self, x: Shape) -> None:
        if x.rank > 2:
            raise ShapeError(
                f"batchnorm1d takes an L×C map (1 spatial axis) or a vector of features, "
                f"got a {x.format()} map ({x.spatial_rank} spatial axes)"
            )


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of a D×H×W×C map (PyTorch's BatchNorm3d)."""

    kind = "batchnorm3d"
    affine: bool = _affine
    eps: float = option(positive_number, 1e-5, _EPS_DOC)
    momentum: float | None = _bn_momentum
    scale: bool = _scale
    center: bool = _center

    def check(self, x: Shape) -> None:
        x.require_spatial(self.kind, 3)
