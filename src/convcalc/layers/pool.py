"""Pooling: windowed max/average, adaptive and global pooling.

Windowed pooling follows PyTorch (stride defaults to the kernel; ``ceil_mode``
rounds up but drops a last window that would start in the right padding;
padding may be at most half the kernel). ``same``/``valid`` padding follow
Keras. Pooling has no parameters and, by convention, no MACs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import SpecError
from ..shapes import Shape
from .base import LayerResult, LayerSpec, option
from .conv import _windows
from .options import Padding, flag, pair
from .window import Window

__all__ = [
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "AvgPool2d",
    "GlobalAvgPool2d",
    "GlobalMaxPool2d",
    "MaxPool2d",
]



def _stride(name: str, value: object) -> tuple[int, int] | None:
    return None if value is None else pair(name, value)


class _Windowed(LayerSpec):
    """Shared by max and average pooling."""

    __slots__ = ()

    def _check_padding(self) -> None:
        p = self.padding  # type: ignore[attr-defined]
        if p.mode != "explicit":
            if self.ceil_mode:  # type: ignore[attr-defined]
                raise SpecError(
                    f"ceil_mode applies to numeric padding, not {p.mode!r}; drop one of them"
                )
            return
        kh, kw = self.kernel  # type: ignore[attr-defined]
        for pad, k, axis in ((p.top, kh, "H"), (p.bottom, kh, "H"), (p.left, kw, "W"), (p.right, kw, "W")):
            if pad > k // 2:
                raise SpecError(
                    f"padding {pad} along {axis} is more than half the kernel {k}; "
                    f"PyTorch allows at most {k // 2}"
                )

    @property
    def strides(self) -> tuple[int, int]:
        return self.stride or self.kernel  # type: ignore[attr-defined]

    def windows(self, x: Shape) -> tuple[Window, Window]:
        hw = x.require_map(self.kind).hw
        return _windows(
            self.kernel,  # type: ignore[attr-defined]
            self.strides,
            getattr(self, "dilation", (1, 1)),
            self.padding,  # type: ignore[attr-defined]
            hw,
            self.ceil_mode,  # type: ignore[attr-defined]
        )

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        wh, ww = self.windows(x)
        return LayerResult(Shape.of(wh.out, ww.out, x.channels))


_padding = option(lambda n, v: Padding.parse(v, n), 0)


@dataclass(frozen=True, slots=True)
class MaxPool2d(_Windowed):
    """Max over each window."""

    kind = "maxpool2d"
    kernel: tuple[int, int] = option(pair, doc="window size, e.g. 3")
    stride: tuple[int, int] | None = option(_stride, None)
    padding: Padding = _padding
    dilation: tuple[int, int] = option(pair, 1)
    ceil_mode: bool = option(flag, False)

    def validate(self) -> None:
        self._check_padding()


@dataclass(frozen=True, slots=True)
class AvgPool2d(_Windowed):
    """Mean over each window (``count_include_pad`` only changes values)."""

    kind = "avgpool2d"
    kernel: tuple[int, int] = option(pair, doc="window size, e.g. 2")
    stride: tuple[int, int] | None = option(_stride, None)
    padding: Padding = _padding
    ceil_mode: bool = option(flag, False)
    count_include_pad: bool = option(flag, True)

    def validate(self) -> None:
        self._check_padding()


class _Adaptive(LayerSpec):
    __slots__ = ()

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        x.require_map(self.kind)
        h, w = self.output_size  # type: ignore[attr-defined]
        return LayerResult(Shape.of(h, w, x.channels))


@dataclass(frozen=True, slots=True)
class AdaptiveAvgPool2d(_Adaptive):
    """Average pooling to a fixed output size, PyTorch's windows."""

    kind = "adaptive_avgpool2d"
    output_size: tuple[int, int] = option(pair, doc="output size, e.g. 7 or [6, 6]")


@dataclass(frozen=True, slots=True)
class AdaptiveMaxPool2d(_Adaptive):
    """Max pooling to a fixed output size."""

    kind = "adaptive_maxpool2d"
    output_size: tuple[int, int] = option(pair, doc="output size, e.g. 7 or [6, 6]")


class _Global(LayerSpec):
    __slots__ = ()

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        c = x.require_map(self.kind).channels
        return LayerResult(Shape.of(1, 1, c) if self.keepdims else Shape.of(c))  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class GlobalAvgPool2d(_Global):
    """Mean over H and W: H×W×C → C (or 1×1×C with ``keepdims``)."""

    kind = "global_avgpool2d"
    keepdims: bool = option(flag, False)


@dataclass(frozen=True, slots=True)
class GlobalMaxPool2d(_Global):
    """Max over H and W: H×W×C → C (or 1×1×C with ``keepdims``)."""

    kind = "global_maxpool2d"
    keepdims: bool = option(flag, False)
