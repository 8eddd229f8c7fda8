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
from fractions import Fraction
from typing import NamedTuple

from ..errors import ShapeError, SpecError
from ..shapes import Shape
from .base import LayerResult, LayerSpec, option
from .geometry import AxisStep, Span, fraction_text, transposed_taps
from .options import Padding, flag, non_negative_pair, padding, pair, whole
from .window import Sliding, Window, same_padding, window_lines

__all__ = ["Conv2d", "ConvTranspose2d", "TransposedAxis"]

_padding = option(padding, 0, "zero padding: pixels, [h, w], [top, bottom, left, right], same or valid")


def _check_groups(kind: str, groups: int, channels: int, filters: int) -> None:
    if channels % groups:
        raise ShapeError(
            f"{kind}: groups={groups} does not divide the {channels} input channels; "
            f"use a divisor of {channels}",
            option="groups",
        )
    if filters % groups:
        raise ShapeError(
            f"{kind}: groups={groups} does not divide the {filters} filters; "
            f"use a multiple of {groups} filters",
            option="groups",
        )


def _dims(shape: Shape) -> str:
    return "·".join(str(d) for d in shape.dims)


def _groups_note(groups: int, channels: int, side: str) -> str:
    if groups == 1:
        return ""
    if groups == channels and side == "input":
        return f"  (depthwise: groups = channels = {channels}, each filter sees 1 channel)"
    return f"  (groups={groups}: each filter sees {channels} / {groups} = {channels // groups} channels)"


@dataclass(frozen=True, slots=True)
class Conv2d(Sliding, LayerSpec):
    """2-D convolution with PyTorch semantics and TensorFlow's same."""

    kind = "conv2d"
    aliases = ("conv",)
    positional = "filters"
    filters: int = option(whole, doc="number of output channels")
    kernel: tuple[int, int] = option(pair, doc="kernel size, e.g. 3 or [1, 7]")
    stride: tuple[int, int] = option(pair, 1, "step between windows: 2 or [h, w]")
    padding: Padding = _padding
    dilation: tuple[int, int] = option(pair, 1, "spacing between kernel taps")
    groups: int = option(whole, 1, "channel groups; must divide the input channels and filters")
    bias: bool = option(flag, True, "one bias per output channel")

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

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        (x,) = inputs
        c = x.channels
        kh, kw = self.kernel
        inner = f"{kh}·{kw}·{c // self.groups}"
        params = f"({inner} + 1) · {self.filters}" if self.bias else f"{inner} · {self.filters}"
        return [
            *window_lines(self.windows(x), self.padding.mode),
            f"params: {params} = {result.trainable:,}" + _groups_note(self.groups, c, "input"),
            f"MACs: {_dims(result.output)} outputs × {inner} = {result.macs:,}",
        ]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        """The padded copy and the im2col buffer (Ho·Wo·kh·kw·C), or the
        depthwise product buffer, or the grouped GEMM's columns and product."""
        h, w, c = inputs[0].dims
        oh, ow, f = output.dims
        kh, kw = self.kernel
        wh, ww = self.windows(inputs[0])
        padded = wh.padded * ww.padded * c if (wh.padded, ww.padded) != (h, w) else 0
        if self.groups == 1:
            strided = (kh, kw) != (1, 1) or self.stride != (1, 1) or padded
            return padded + (oh * ow * kh * kw * c if strided else 0)
        if c == f == self.groups:
            return padded + oh * ow * c
        return padded + oh * ow * kh * kw * c + oh * ow * f


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
    aliases = ("deconv", "convt", "Conv2DTranspose")
    positional = "filters"
    merges = False
    filters: int = option(whole, doc="number of output channels")
    kernel: tuple[int, int] = option(pair, doc="kernel size, e.g. 4 or [3, 3]")
    stride: tuple[int, int] = option(pair, 1, "upsampling factor: 2 or [h, w]")
    padding: Padding = option(padding, 0, "pixels cropped from the output (PyTorch), or same / valid (Keras)")
    output_padding: tuple[int, int] = option(non_negative_pair, 0, "extra rows and columns at the end of the output")
    dilation: tuple[int, int] = option(pair, 1, "spacing between kernel taps")
    groups: int = option(whole, 1, "channel groups; must divide the input channels and filters")
    bias: bool = option(flag, True, "one bias per output channel")

    def validate(self) -> None:
        for op, s, d, axis in zip(self.output_padding, self.stride, self.dilation, "HW"):
            if op >= max(s, d):
                raise SpecError(
                    f"output_padding {op} along {axis} must be smaller than the "
                    f"stride ({s}) or the dilation ({d})",
                    option="output_padding",
                )
        if self.padding.mode != "explicit" and any(self.output_padding):
            raise SpecError(
                f"output_padding cannot be combined with padding {self.padding.mode!r}, "
                "which sets the output size itself; give numeric padding instead",
                option="output_padding",
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

    def field_steps(self, x: Shape, out: Shape) -> tuple[AxisStep, AxisStep]:
        """Output o reads inputs (o + p − (k − 1)·d)/s … (o + p)/s: the jump
        divides by the stride."""
        steps = []
        for a in self.axes(x):
            s, e = Fraction(a.stride), Fraction(a.span - 1)
            steps.append(
                AxisStep(
                    e / s,
                    1 / s,
                    (e - a.pad_before) / s,
                    f"transposed, kernel {a.kernel}"
                    + (f", dilation {a.dilation}" if a.dilation > 1 else "")
                    + f", stride {a.stride}, padding {a.pad_before} before: output o reads inputs "
                    f"(o + p − (k − 1)·d)/s … (o + p)/s, so e = (k − 1)·d/s = {a.span - 1}/{a.stride}"
                    f" = {fraction_text(e / s)}, stride 1/{a.stride}, "
                    f"p = ((k − 1)·d − p)/s = ({a.span - 1} − {a.pad_before})/{a.stride} = {fraction_text((e - a.pad_before) / s)}",
                )
            )
        return steps[0], steps[1]

    def taps(self, x: Shape, out: Shape, axis: int, span: Span) -> Span | None:
        t = self.axes(x)[axis]
        return transposed_taps(span[0], span[1], t.kernel, t.stride, t.dilation, t.pad_before, t.size)

    def trailing_padding(self, before: tuple[int, int]) -> tuple[int, int]:
        return (0, 0)

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        (x,) = inputs
        per = f"{self.kernel[0]}·{self.kernel[1]}·{self.filters // self.groups}"
        bias = f" + {self.filters}" if self.bias else ""
        lines = [_transposed_line(a) for a in self.axes(x)]
        if self.padding.mode != "explicit":
            lines.append(f"   padding {self.padding.mode!r} resolved to the crops and output padding shown")
        return [
            *lines,
            f"params: {per}·{x.channels}{bias} = {result.trainable:,}" + _groups_note(self.groups, x.channels, "output"),
            f"MACs: {_dims(x)} inputs × {per} = {result.macs:,}",
        ]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        """The zero-inserted input (padded by span − 1 each side plus up to a
        stride more), its im2col, the uncropped output, and for groups the
        grouped product."""
        h, w, c = inputs[0].dims
        f = output.channels
        kh, kw = self.kernel
        spans = [d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation)]
        zh = (h - 1) * self.stride[0] + 1 + 2 * (spans[0] - 1) + self.stride[0]
        zw = (w - 1) * self.stride[1] + 1 + 2 * (spans[1] - 1) + self.stride[1]
        fh, fw = zh - spans[0] + 1, zw - spans[1] + 1
        grouped = fh * fw * f if self.groups > 1 else 0
        return zh * zw * c + fh * fw * kh * kw * c + fh * fw * f + grouped


def _transposed_line(a: TransposedAxis) -> str:
    span = str(a.span) if a.dilation == 1 else f"{a.dilation}·({a.kernel} − 1) + 1"
    crop = f" − 2·{a.pad_before}" if a.pad_before == a.pad_after else f" − {a.pad_before} − {a.pad_after}"
    extra = f" + {a.output_padding}" if a.output_padding else ""
    return f"{a.axis}: ({a.size} − 1)·{a.stride}{crop} + {span}{extra} = {a.out}"
