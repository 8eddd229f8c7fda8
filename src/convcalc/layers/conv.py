"""Convolutions: ``conv2d`` and ``conv_transpose2d``.

Parameters (bias adds one per filter)::

    conv2d:            kh·kw·(C_in / groups)·filters + filters
                       (7·7·3 + 1)·64 = 9,472
    conv_transpose2d:  kh·kw·(filters / groups)·C_in + filters

MACs (one sample)::

    conv2d:            output elements × kh·kw·(C_in / groups)
                       112·112·64 × 7·7·3 = 118,013,952
    conv_transpose2d:  input elements × kh·kw·(filters / groups)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

from ..errors import ShapeError, SpecError
from ..shapes import Shape
from .base import LayerResult, LayerSpec, option
from .options import Padding, flag, pair, whole
from .window import Window, same_padding

__all__ = ["Conv2d", "ConvTranspose2d", "TransposedAxis"]

_padding = option(lambda n, v: Padding.parse(v, n), 0, "pixels, [h, w], [t, b, l, r], same or valid")


def _check_groups(kind: str, groups: int, channels: int, filters: int) -> None:
    if channels % groups:
        raise ShapeError(
            f"{kind}: groups={groups} does not divide the {channels} input channels; "
            f"use a divisor of {channels}"
        )
    if filters % groups:
        raise ShapeError(
            f"{kind}: groups={groups} does not divide the {filters} filters; "
            f"use a multiple of {groups} filters"
        )


@dataclass(frozen=True, slots=True)
class Conv2d(LayerSpec):
    """2-D convolution with PyTorch semantics and TensorFlow's ``same``."""

    kind = "conv2d"
    filters: int = option(whole, doc="number of output channels")
    kernel: tuple[int, int] = option(pair, doc="kernel size, e.g. 3 or [1, 7]")
    stride: tuple[int, int] = option(pair, 1)
    padding: Padding = _padding
    dilation: tuple[int, int] = option(pair, 1)
    groups: int = option(whole, 1)
    bias: bool = option(flag, True)

    def windows(self, x: Shape) -> tuple[Window, Window]:
        """The sliding window along H and along W, padding resolved."""
        h, w = x.require_map(self.kind).hw
        return _windows(self.kernel, self.stride, self.dilation, self.padding, (h, w))

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        wh, ww = self.windows(x)
        c = x.channels
        _check_groups(self.kind, self.groups, c, self.filters)
        per_output = self.kernel[0] * self.kernel[1] * (c // self.groups)
        out = Shape.of(wh.out, ww.out, self.filters)
        return LayerResult(
            output=out,
            trainable=per_output * self.filters + (self.filters if self.bias else 0),
            macs=out.size * per_output,
        )


def _windows(
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    padding: Padding,
    hw: tuple[int, int],
    ceil_mode: bool = False,
) -> tuple[Window, Window]:
    if padding.mode == "explicit":
        pads = ((padding.top, padding.bottom), (padding.left, padding.right))
    elif padding.mode == "valid":
        pads = ((0, 0), (0, 0))
    else:
        pads = tuple(
            same_padding(size, d * (k - 1) + 1, s)
            for size, k, s, d in zip(hw, kernel, stride, dilation)
        )
    return tuple(  # type: ignore[return-value]
        Window(axis, size, k, s, before, after, d, ceil_mode)
        for axis, size, k, s, d, (before, after) in zip(
            "HW", hw, kernel, stride, dilation, pads
        )
    )


class TransposedAxis(NamedTuple):
    """One axis of a transposed convolution.

    The full output ``(size − 1)·stride + span`` is cropped by the padding and
    extended by ``output_padding`` at the end::

        out = (size − 1)·stride − pad_before − pad_after + span + output_padding
    """

    axis: str
    size: int
    kernel: int
    stride: int
    dilation: int
    pad_before: int
    pad_after: int
    output_padding: int

    @property
    def span(self) -> int:
        return self.dilation * (self.kernel - 1) + 1

    @property
    def full(self) -> int:
        return (self.size - 1) * self.stride + self.span

    @property
    def out(self) -> int:
        out = self.full - self.pad_before - self.pad_after + self.output_padding
        if out < 1:
            raise ShapeError(
                f"padding {self.pad_before}+{self.pad_after} crops the whole "
                f"{self.full}-pixel output along {self.axis} "
                f"({self.axis}={self.size}, kernel {self.kernel}, stride {self.stride})"
            )
        return out


@dataclass(frozen=True, slots=True)
class ConvTranspose2d(LayerSpec):
    """Transposed ('de-') convolution, PyTorch's ``ConvTranspose2d``.

    Numeric padding crops the output as in PyTorch. ``same`` gives Keras'
    ``size·stride`` (the crop split with the extra pixel at the end) and
    ``valid`` Keras' ``max((size − 1)·stride + span, size·stride)``.
    """

    kind = "conv_transpose2d"
    filters: int = option(whole, doc="number of output channels")
    kernel: tuple[int, int] = option(pair, doc="kernel size, e.g. 4 or [3, 3]")
    stride: tuple[int, int] = option(pair, 1)
    padding: Padding = _padding
    output_padding: tuple[int, int] = option(partial(pair, minimum=0), 0)
    dilation: tuple[int, int] = option(pair, 1)
    groups: int = option(whole, 1)
    bias: bool = option(flag, True)

    def validate(self) -> None:
        for op, s, d, axis in zip(self.output_padding, self.stride, self.dilation, "HW"):
            if op >= max(s, d):
                raise SpecError(
                    f"output_padding {op} along {axis} must be smaller than the "
                    f"stride ({s}) or the dilation ({d})"
                )
        if self.padding.mode != "explicit" and any(self.output_padding):
            raise SpecError(
                f"output_padding cannot be combined with padding {self.padding.mode!r}, "
                "which sets the output size itself; give numeric padding instead"
            )

    def axes(self, x: Shape) -> tuple[TransposedAxis, TransposedAxis]:
        h, w = x.require_map(self.kind).hw
        p = self.padding
        result = []
        for i, (axis, size) in enumerate(zip("HW", (h, w))):
            k, s, d, op = self.kernel[i], self.stride[i], self.dilation[i], self.output_padding[i]
            before, after = (p.top, p.bottom) if i == 0 else (p.left, p.right)
            if p.mode != "explicit":
                span = d * (k - 1) + 1
                target = size * s if p.mode == "same" else max((size - 1) * s + span, size * s)
                crop = (size - 1) * s + span - target
                before, after = (crop // 2, crop - crop // 2) if crop > 0 else (0, 0)
                op = max(-crop, 0)
            result.append(TransposedAxis(axis, size, k, s, d, before, after, op))
        return result[0], result[1]

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        ah, aw = self.axes(x)
        c = x.channels
        _check_groups(self.kind, self.groups, c, self.filters)
        per_input = self.kernel[0] * self.kernel[1] * (self.filters // self.groups)
        return LayerResult(
            output=Shape.of(ah.out, aw.out, self.filters),
            trainable=per_input * c + (self.filters if self.bias else 0),
            macs=x.size * per_input,
        )
