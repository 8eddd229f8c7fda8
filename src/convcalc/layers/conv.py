"""Convolutions: ``conv2d`` and ``conv_transpose2d`` (``conv1d``, ``conv3d`` and
their transposes are the same rules in :mod:`.nd`).

Parameters (bias adds one per filter; the kernel has one size per spatial
axis: k for 1-D, kh·kw for 2-D, kd·kh·kw for 3-D)::

    conv2d:            kh·kw·(C_in / groups)·filters + filters
                       (7·7·3 + 1)·64 = 9,472
    conv3d:            (3·3·3·3 + 1)·64 = 5,248
    conv_transpose2d:  kh·kw·(filters / groups)·C_in + filters

MACs (one sample)::

    conv2d:            output elements × kh·kw·(C_in / groups)
                       112·112·64 × 7·7·3 = 118,013,952
    conv3d:            16·112·112·64 × 3·3·3·3 = 1,040,449,536
    conv_transpose2d:  input elements × kh·kw·(filters / groups)
"""

from __future__ import annotations

from fractions import Fraction
from math import prod
from typing import ClassVar, NamedTuple

from ..errors import ShapeError, SpecError
from ..shapes import Shape
from .base import LayerResult, LayerSpec, option
from .geometry import AxisStep, Span, fraction_text, transposed_taps
from .options import Padding, flag, non_negative_pair, padding, pair, whole
from .window import AXES, Sliding, Window, same_padding, window_lines

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


class _ConvNd(Sliding, LayerSpec):
    """Convolution over ``rank`` spatial axes; the kinds differ only in rank."""

    rank: ClassVar[int]

    def windows(self, x: Shape) -> tuple[Window, ...]:
        """The sliding window along each spatial axis, padding resolved."""
        sizes = x.require_spatial(self.kind, self.rank).spatial
        return _windows(self.kernel, self.stride, self.dilation, self.padding, sizes)  # type: ignore[attr-defined]

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        windows = self.windows(x)
        c = x.channels
        filters, groups = self.filters, self.groups  # type: ignore[attr-defined]
        _check_groups(self.kind, groups, c, filters)
        per_output = prod(self.kernel) * (c // groups)  # type: ignore[attr-defined]
        out = Shape((*(w.out for w in windows), filters))
        return LayerResult(
            output=out,
            trainable=per_output * filters + (filters if self.bias else 0),  # type: ignore[attr-defined]
            macs=out.size * per_output,
        )

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        (x,) = inputs
        c = x.channels
        filters, groups = self.filters, self.groups  # type: ignore[attr-defined]
        inner = "·".join(map(str, (*self.kernel, c // groups)))  # type: ignore[attr-defined]
        params = f"({inner} + 1) · {filters}" if self.bias else f"{inner} · {filters}"  # type: ignore[attr-defined]
        return [
            *window_lines(self.windows(x), self.padding.mode),  # type: ignore[attr-defined]
            f"params: {params} = {result.trainable:,}" + _groups_note(groups, c, "input"),
            f"MACs: {_dims(result.output)} outputs × {inner} = {result.macs:,}",
        ]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        """The padded copy and the im2col buffer (output positions · kernel · C),
        or the depthwise product buffer, or the grouped GEMM's columns and product."""
        x = inputs[0]
        c, f = x.channels, output.channels
        positions = prod(output.spatial)
        taps = prod(self.kernel)  # type: ignore[attr-defined]
        windows = self.windows(x)
        padded_sizes = tuple(w.padded for w in windows)
        padded = prod(padded_sizes) * c if padded_sizes != x.spatial else 0
        if self.groups == 1:  # type: ignore[attr-defined]
            ones = (1,) * self.rank
            strided = self.kernel != ones or self.stride != ones or padded  # type: ignore[attr-defined]
            return padded + (positions * taps * c if strided else 0)
        if c == f == self.groups:  # type: ignore[attr-defined]
            return padded + positions * c
        return padded + positions * taps * c + positions * f


class Conv2d(_ConvNd):
    """2-D convolution with PyTorch semantics and TensorFlow's same."""

    kind = "conv2d"
    aliases = ("conv",)
    positional = "filters"
    rank = 2
    filters: int = option(whole, doc="number of output channels")
    kernel: tuple[int, int] = option(pair, doc="kernel size, e.g. 3 or [1, 7]")
    stride: tuple[int, int] = option(pair, 1, "step between windows: 2 or [h, w]")
    padding: Padding = _padding
    dilation: tuple[int, int] = option(pair, 1, "spacing between kernel taps")
    groups: int = option(whole, 1, "channel groups; must divide the input channels and filters")
    bias: bool = option(flag, True, "one bias per output channel")


def _windows(
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    padding: Padding,
    sizes: tuple[int, ...],
    ceil_mode: bool = False,
) -> tuple[Window, ...]:
    """One :class:`Window` per spatial axis (named L; H, W; or D, H, W)."""
    if padding.mode == "explicit":
        pads = padding.pads()
    elif padding.mode == "valid":
        pads = ((0, 0),) * len(sizes)
    else:
        pads = tuple(
            same_padding(size, d * (k - 1) + 1, s)
            for size, k, s, d in zip(sizes, kernel, stride, dilation)
        )
    return tuple(
        Window(axis, size, k, s, before, after, d, ceil_mode)
        for axis, size, k, s, d, (before, after) in zip(
            AXES[len(sizes)], sizes, kernel, stride, dilation, pads
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


class _ConvTransposeNd(LayerSpec):
    """Transposed convolution over ``rank`` spatial axes.

    Numeric padding crops the output as in PyTorch. ``same`` gives Keras'
    ``size·stride`` (the crop split with the extra pixel at the end) and
    ``valid`` Keras' ``max((size − 1)·stride + span, size·stride)``.
    """

    rank: ClassVar[int]
    merges = False

    def validate(self) -> None:
        for op, s, d, axis in zip(self.output_padding, self.stride, self.dilation, AXES[self.rank]):  # type: ignore[attr-defined]
            if op >= max(s, d):
                raise SpecError(
                    f"output_padding {op} along {axis} must be smaller than the "
                    f"stride ({s}) or the dilation ({d})",
                    option="output_padding",
                )
        if self.padding.mode != "explicit" and any(self.output_padding):  # type: ignore[attr-defined]
            raise SpecError(
                f"output_padding cannot be combined with padding {self.padding.mode!r}, "  # type: ignore[attr-defined]
                "which sets the output size itself; give numeric padding instead",
                option="output_padding",
            )

    def axes(self, x: Shape) -> tuple[TransposedAxis, ...]:
        sizes = x.require_spatial(self.kind, self.rank).spatial
        p = self.padding  # type: ignore[attr-defined]
        result = []
        for i, (axis, size) in enumerate(zip(AXES[self.rank], sizes)):
            k, s, d, op = self.kernel[i], self.stride[i], self.dilation[i], self.output_padding[i]  # type: ignore[attr-defined]
            before, after = p.pads()[i] if p.mode == "explicit" else (0, 0)
            if p.mode != "explicit":
                span = d * (k - 1) + 1
                target = size * s if p.mode == "same" else max((size - 1) * s + span, size * s)
                crop = (size - 1) * s + span - target
                before, after = (crop // 2, crop - crop // 2) if crop > 0 else (0, 0)
                op = max(-crop, 0)
            result.append(TransposedAxis(axis, size, k, s, d, before, after, op))
        return tuple(result)

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        axes = self.axes(x)
        c = x.channels
        filters, groups = self.filters, self.groups  # type: ignore[attr-defined]
        _check_groups(self.kind, groups, c, filters)
        per_input = prod(self.kernel) * (filters // groups)  # type: ignore[attr-defined]
        return LayerResult(
            output=Shape((*(a.out for a in axes), filters)),
            trainable=per_input * c + (filters if self.bias else 0),  # type: ignore[attr-defined]
            macs=x.size * per_input,
        )

    def field_steps(self, x: Shape, out: Shape) -> tuple[AxisStep, ...]:
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
        return tuple(steps)

    def taps(self, x: Shape, out: Shape, axis: int, span: Span) -> Span | None:
        t = self.axes(x)[axis]
        return transposed_taps(span[0], span[1], t.kernel, t.stride, t.dilation, t.pad_before, t.size)

    def trailing_padding(self, before: tuple[int, ...]) -> tuple[int, ...]:
        return (0,) * len(before)

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        (x,) = inputs
        filters, groups = self.filters, self.groups  # type: ignore[attr-defined]
        per = "·".join(map(str, (*self.kernel, filters // groups)))  # type: ignore[attr-defined]
        bias = f" + {filters}" if self.bias else ""  # type: ignore[attr-defined]
        lines = [_transposed_line(a) for a in self.axes(x)]
        if self.padding.mode != "explicit":  # type: ignore[attr-defined]
            lines.append(f"   padding {self.padding.mode!r} resolved to the crops and output padding shown")  # type: ignore[attr-defined]
        return [
            *lines,
            f"params: {per}·{x.channels}{bias} = {result.trainable:,}" + _groups_note(groups, x.channels, "output"),
            f"MACs: {_dims(x)} inputs × {per} = {result.macs:,}",
        ]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        """The zero-inserted input (padded by span − 1 each side plus up to a
        stride more), its im2col, the uncropped output, and for groups the
        grouped product."""
        x = inputs[0]
        c, f = x.channels, output.channels
        spans = [d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation)]  # type: ignore[attr-defined]
        zero = [(n - 1) * s + 1 + 2 * (span - 1) + s for n, s, span in zip(x.spatial, self.stride, spans)]  # type: ignore[attr-defined]
        full = prod(z - span + 1 for z, span in zip(zero, spans))
        grouped = full * f if self.groups > 1 else 0  # type: ignore[attr-defined]
        return prod(zero) * c + full * prod(self.kernel) * c + full * f + grouped  # type: ignore[attr-defined]


class ConvTranspose2d(_ConvTransposeNd):
    """Transposed ('de-') convolution, PyTorch's ``ConvTranspose2d``.

    Numeric padding crops the output as in PyTorch. ``same`` gives Keras'
    ``size·stride`` (the crop split with the extra pixel at the end) and
    ``valid`` Keras' ``max((size − 1)·stride + span, size·stride)``.
    """

    kind = "conv_transpose2d"
    aliases = ("deconv", "convt", "Conv2DTranspose")
    positional = "filters"
    rank = 2
    filters: int = option(whole, doc="number of output channels")
    kernel: tuple[int, int] = option(pair, doc="kernel size, e.g. 4 or [3, 3]")
    stride: tuple[int, int] = option(pair, 1, "upsampling factor: 2 or [h, w]")
    padding: Padding = option(padding, 0, "pixels cropped from the output (PyTorch), or same / valid (Keras)")
    output_padding: tuple[int, int] = option(non_negative_pair, 0, "extra rows and columns at the end of the output")
    dilation: tuple[int, int] = option(pair, 1, "spacing between kernel taps")
    groups: int = option(whole, 1, "channel groups; must divide the input channels and filters")
    bias: bool = option(flag, True, "one bias per output channel")


def _transposed_line(a: TransposedAxis) -> str:
    span = str(a.span) if a.dilation == 1 else f"{a.dilation}·({a.kernel} − 1) + 1"
    crop = f" − 2·{a.pad_before}" if a.pad_before == a.pad_after else f" − {a.pad_before} − {a.pad_after}"
    extra = f" + {a.output_padding}" if a.output_padding else ""
    return f"{a.axis}: ({a.size} − 1)·{a.stride}{crop} + {span}{extra} = {a.out}"
