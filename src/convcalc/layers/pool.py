"""Pooling: windowed max/average, adaptive and global pooling (their 1-D and 3-D
kinds are in :mod:`.nd`).

Windowed pooling follows PyTorch (stride defaults to the kernel; ``ceil_mode``
rounds up but drops a last window that would start in the right padding;
padding may be at most half the kernel). ``same``/``valid`` padding follow
Keras. Pooling has no parameters and, by convention, no MACs.
"""

from __future__ import annotations

from fractions import Fraction
from math import gcd, prod
from typing import ClassVar

from ..errors import SpecError
from ..shapes import Shape
from .base import LayerResult, LayerSpec, option
from .conv import _windows
from .geometry import AxisStep, Span, WholeMap, fraction_text, operand
from .options import Padding, flag, optional, padding, pair
from .window import AXES, Sliding, Window, window_lines

__all__ = [
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "AvgPool2d",
    "GlobalAvgPool2d",
    "GlobalMaxPool2d",
    "MaxPool2d",
]

_NO_COUNTS = "params: none; MACs: none (pooling)"


class _Windowed(Sliding, LayerSpec):
    """Shared by max and average pooling."""

    pools = True
    rank: ClassVar[int] = 2

    def validate(self) -> None:
        p = self.padding  # type: ignore[attr-defined]
        if p.mode != "explicit":
            if self.ceil_mode:  # type: ignore[attr-defined]
                raise SpecError(
                    f"ceil_mode applies to numeric padding, not {p.mode!r}; drop one of them",
                    option="ceil_mode",
                )
            return
        sides = [
            (pad, k, axis)
            for (before, after), k, axis in zip(p.pads(), self.kernel, AXES[self.rank])  # type: ignore[attr-defined]
            for pad in (before, after)
        ]
        for pad, k, axis in sides:
            if pad > k // 2:
                raise SpecError(
                    f"padding {pad} along {axis} is more than half the kernel {k}; "
                    f"PyTorch allows at most {k // 2}",
                    option="padding",
                )

    @property
    def strides(self) -> tuple[int, ...]:
        return self.stride or self.kernel  # type: ignore[attr-defined]

    def windows(self, x: Shape) -> tuple[Window, ...]:
        sizes = x.require_spatial(self.kind, self.rank).spatial
        return _windows(
            self.kernel,  # type: ignore[attr-defined]
            self.strides,
            getattr(self, "dilation", (1,) * self.rank),
            self.padding,  # type: ignore[attr-defined]
            sizes,
            self.ceil_mode,  # type: ignore[attr-defined]
        )

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        return LayerResult(Shape((*(w.out for w in self.windows(x)), x.channels)))

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        return [*window_lines(self.windows(inputs[0]), self.padding.mode), _NO_COUNTS]  # type: ignore[attr-defined]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        """The padded copy (with a stride more for ceil_mode) and, for the
        average, its mask."""
        cells = prod(w.padded + s for w, s in zip(self.windows(inputs[0]), self.strides))
        return cells * inputs[0].channels + cells


_stride = option(optional(pair), None, "step between windows; defaults to the kernel")
_ceil = option(flag, False, "round the output size up (PyTorch ceil_mode)")


class MaxPool2d(_Windowed):
    """Max over each window."""

    kind = "maxpool2d"
    aliases = ("maxpool", "MaxPooling2D")
    kernel: tuple[int, int] = option(pair, doc="window size, e.g. 3")
    stride: tuple[int, int] | None = _stride
    padding: Padding = option(padding, 0, "padding (filled with −∞): pixels, [h, w], [t, b, l, r], same or valid")
    dilation: tuple[int, int] = option(pair, 1, "spacing between window taps")
    ceil_mode: bool = _ceil


class AvgPool2d(_Windowed):
    """Mean over each window (count_include_pad only changes values)."""

    kind = "avgpool2d"
    aliases = ("avgpool", "AveragePooling2D")
    kernel: tuple[int, int] = option(pair, doc="window size, e.g. 2")
    stride: tuple[int, int] | None = _stride
    padding: Padding = option(padding, 0, "zero padding: pixels, [h, w], [t, b, l, r], same or valid")
    ceil_mode: bool = _ceil
    count_include_pad: bool = option(flag, True, "divide by the whole window, padding included")


class _Adaptive(LayerSpec):
    """PyTorch's adaptive windows ``⌊o·in/out⌋ … ⌈(o + 1)·in/out⌉ − 1``."""

    merges = False
    positional = "output_size"
    rank: ClassVar[int] = 2

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        x.require_spatial(self.kind, self.rank)
        return LayerResult(Shape((*self.output_size, x.channels)))  # type: ignore[attr-defined]

    def field_steps(self, x: Shape, out: Shape) -> tuple[AxisStep, ...]:
        steps = []
        for size, n in zip(x.spatial, self.output_size):  # type: ignore[attr-defined]
            a = Fraction(size, n)
            slack = 1 - Fraction(gcd(size, n), n)
            steps.append(
                AxisStep(
                    a - 1 + 2 * slack,
                    a,
                    slack,
                    f"adaptive windows ⌊o·{size}/{n}⌋ … ⌈(o + 1)·{size}/{n}⌉ − 1: stride {fraction_text(a)}, "
                    f"p = 1 − gcd({size}, {n})/{n} = {fraction_text(slack)}, "
                    f"e = {operand(a)} − 1 + 2·{operand(slack)} = {fraction_text(a - 1 + 2 * slack)}",
                )
            )
        return tuple(steps)

    def taps(self, x: Shape, out: Shape, axis: int, span: Span) -> Span | None:
        n, m = x.spatial[axis], self.output_size[axis]  # type: ignore[attr-defined]
        a, b = span
        return (a * n) // m, -(-(b + 1) * n // m) - 1

    def trailing_padding(self, before: tuple[int, ...]) -> tuple[int, ...]:
        return (0,) * len(before)

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        size = "×".join(map(str, self.output_size))  # type: ignore[attr-defined]
        given = "×".join(map(str, inputs[0].spatial))
        return [f"output size fixed at {size}, windows adapt to {given}"]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        """The intermediate reduced along the first axis, pieces and concatenation."""
        x = inputs[0]
        return 2 * self.output_size[0] * prod(x.spatial[1:]) * x.channels + output.size  # type: ignore[attr-defined]


class AdaptiveAvgPool2d(_Adaptive):
    """Average pooling to a fixed output size, PyTorch's windows."""

    kind = "adaptive_avgpool2d"
    aliases = ("adaptive_avgpool",)
    output_size: tuple[int, int] = option(pair, doc="output size, e.g. 7 or [6, 6]")


class AdaptiveMaxPool2d(_Adaptive):
    """Max pooling to a fixed output size."""

    kind = "adaptive_maxpool2d"
    aliases = ("adaptive_maxpool",)
    output_size: tuple[int, int] = option(pair, doc="output size, e.g. 7 or [6, 6]")


class _Global(WholeMap, LayerSpec):
    reads_as = "global pooling"
    rank: ClassVar[int] = 2

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        c = x.require_spatial(self.kind, self.rank).channels
        return LayerResult(Shape((*(1,) * self.rank, c)) if self.keepdims else Shape.of(c))  # type: ignore[attr-defined]

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        given = "×".join(map(str, inputs[0].spatial))
        return [f"reduces {given} to one value per channel: {result.output.format()}"]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return 0  # NumPy reduces in one pass into the output


_keepdims = option(flag, False, "keep a 1×1×C map instead of a C vector")


class GlobalAvgPool2d(_Global):
    """Mean over H and W: H×W×C → C (or 1×1×C with keepdims)."""

    kind = "global_avgpool2d"
    aliases = ("gap", "GlobalAveragePooling2D", "GlobalAvgPool2D")
    keepdims: bool = _keepdims


class GlobalMaxPool2d(_Global):
    """Max over H and W: H×W×C → C (or 1×1×C with keepdims)."""

    kind = "global_maxpool2d"
    aliases = ("gmp", "GlobalMaxPooling2D", "GlobalMaxPool2D")
    keepdims: bool = _keepdims


