"""Layers that cut or refold channels: ``slice``, ``split``, ``pixel_shuffle``
and ``pixel_unshuffle``. None has parameters or MACs.

``split`` (PyTorch ``chunk``/``split``) is written once in a file and becomes
one ``slice`` per part, ``s.0``, ``s.1``, … (the loader expands it with
:meth:`Split.slices`), so every part can be named in ``from:``; on its own
(``convcalc layer -t split``) it shows the last part, which is what the next
layer reads.

``pixel_shuffle`` follows PyTorch's channel order: output channel c at
sub-pixel (i, j) is input channel c·r² + i·r + j. TensorFlow's
``depth_to_space`` (an alias) orders them (i·r + j)·C + c; the shapes and
counts are the same.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..errors import ShapeError, SpecError
from ..shapes import Shape
from .base import LayerResult, LayerSpec, option
from .geometry import AxisStep, Pointwise, Span, fraction_text
from .options import EXPR, non_negative, optional, whole

__all__ = ["PixelShuffle", "PixelUnshuffle", "Slice", "Split"]

_NO_COUNTS = "params: none; MACs: none"
MAX_PARTS = 100_000
"""Most parts a split may have: each becomes a layer, and a file has at most 100,000."""


def _divisors(n: int, most: int = 6) -> str:
    """The first few divisors of ``n`` above 1, for messages: ``2, 4, 29, 58``.

    >>> _divisors(116)
    '2, 4, 29, 58, 116'
    """
    found = [d for d in range(2, min(n, 10_000) + 1) if n % d == 0][:most]
    return ", ".join(map(str, found)) + (", …" if len(found) == most else "") if found else "none"


class Slice(Pointwise, LayerSpec):
    """Channels start … stop − 1 of the input (or chunk i of n equal chunks)."""

    kind = "slice"
    start: int = option(non_negative, 0, "first channel kept")
    stop: int | None = option(optional(whole), None, "channel after the last one kept; the end if not given")
    chunk: int | None = option(optional(non_negative), None, "which equal chunk to keep, from 0 (with chunks)")
    chunks: int | None = option(optional(whole), None, "how many equal chunks the channels are cut into")
    total: int | None = option(optional(whole), None, "the channels the input must have (a split's sizes add up to it)")

    def validate(self) -> None:
        if (self.chunk is None) != (self.chunks is None):
            raise SpecError("slice needs both 'chunk' and 'chunks', or neither", option="chunks" if self.chunk is not None else "chunk")
        if self.chunk is not None:
            if self.start or self.stop is not None:
                raise SpecError("slice takes 'start'/'stop' or 'chunk'/'chunks', not both", option="chunk")
            if self.chunk >= self.chunks:  # type: ignore[operator]
                raise SpecError(f"chunk {self.chunk} is not one of the {self.chunks} chunks; use 0 to {self.chunks - 1}", option="chunk")  # type: ignore[operator]
        elif self.stop is not None and self.stop <= self.start:
            raise SpecError(f"stop {self.stop} must be after start {self.start}", option="stop")

    def bounds(self, channels: int) -> tuple[int, int]:
        """The channels kept, [start, stop), for an input of ``channels``."""
        if self.total is not None and self.total != channels:
            raise ShapeError(
                f"the split's sizes add up to {self.total} channels but its input has {channels}; "
                f"make the sizes add up to {channels}",
                option="sizes",
            )
        if self.chunks is not None:
            if channels % self.chunks:
                raise ShapeError(
                    f"cannot cut {channels} channels into {self.chunks} equal parts; "
                    f"use a number of parts that divides {channels} ({_divisors(channels)}), or give sizes",
                    option="chunks",
                )
            size = channels // self.chunks
            return self.chunk * size, (self.chunk + 1) * size  # type: ignore[operator]
        stop = channels if self.stop is None else self.stop
        if stop > channels:
            raise ShapeError(f"stop {stop} is past the {channels} channels; use at most {channels}", option="stop")
        if self.start >= channels:
            raise ShapeError(f"start {self.start} is past the {channels} channels; use at most {channels - 1}", option="start")
        return self.start, stop

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        start, stop = self.bounds(x.channels)
        return LayerResult(Shape((*x.dims[:-1], stop - start)))

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        c = inputs[0].channels
        start, stop = self.bounds(c)
        how = f"chunk {self.chunk} of {self.chunks}: " if self.chunks is not None else ""
        return [f"{how}channels {start} … {stop - 1} of {c}: {stop - start} channels", _NO_COUNTS]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return 0  # one copy, the output


def _sizes(name: str, value: Any) -> tuple[int, ...]:
    if isinstance(value, (list, tuple)) and len(value) >= 2 and all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value
    ):
        return tuple(value)
    raise SpecError(f"{name} must be a list of at least 2 positive whole numbers (got {value!r})", option=name)


_sizes.schema = {"anyOf": [{"type": "array", "items": {"anyOf": [{"type": "integer", "minimum": 1}, EXPR]}, "minItems": 2}, EXPR]}  # type: ignore[attr-defined]


class Split(Pointwise, LayerSpec):
    """Cuts the channels into parts, each usable by name (s.0, s.1, …); the next layer reads the last."""

    kind = "split"
    aliases = ("chunk",)
    positional = "parts"
    parts: int | None = option(optional(whole), None, "how many equal parts (PyTorch chunk); must divide the channels")
    sizes: tuple[int, ...] | None = option(optional(_sizes), None, "channels in each part (PyTorch split); must add up to the channels")

    def validate(self) -> None:
        if (self.parts is None) == (self.sizes is None):
            raise SpecError("split needs exactly one of 'parts' and 'sizes'", option="parts")
        if self.parts == 1:
            raise SpecError("parts must be at least 2 (got 1)", option="parts")
        if self.parts is not None and self.parts > MAX_PARTS:
            raise SpecError(f"parts must be at most {MAX_PARTS:,}, one layer each (got {self.parts:,})", option="parts")

    def slices(self) -> list[dict[str, int]]:
        """The options of each part's ``slice``, in order."""
        if self.parts is not None:
            return [{"chunk": i, "chunks": self.parts} for i in range(self.parts)]
        total, start, out = sum(self.sizes), 0, []  # type: ignore[arg-type]
        for size in self.sizes:  # type: ignore[union-attr]
            out.append({"start": start, "stop": start + size, "total": total})
            start += size
        return out

    def parts_of(self, channels: int) -> list[tuple[int, int]]:
        """Each part's [start, stop) for an input of ``channels``."""
        return [Slice(**options).bounds(channels) for options in self.slices()]

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        start, stop = self.parts_of(x.channels)[-1]
        return LayerResult(Shape((*x.dims[:-1], stop - start)))

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        c = inputs[0].channels
        parts = self.parts_of(c)
        listed = ", ".join(f".{i}: {a} … {b - 1}" for i, (a, b) in enumerate(parts))
        return [f"{c} channels cut into {len(parts)} parts ({listed}); the next layer reads the last", _NO_COUNTS]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return 0


class PixelShuffle(LayerSpec):
    """H×W×C·r² → rH×rW×C: sub-pixel convolution's rearrangement (PyTorch order)."""

    kind = "pixel_shuffle"
    aliases = ("depth_to_space", "PixelShuffle")
    positional = "factor"
    merges = False
    factor: int = option(whole, doc="upscaling factor r")

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        h, w = x.require_map(self.kind).hw
        r2 = self.factor**2
        if x.channels % r2:
            raise ShapeError(
                f"pixel_shuffle needs channels divisible by r² = {self.factor}² = {r2}, got {x.channels}; "
                f"use a multiple of {r2} channels",
                option="factor",
            )
        return LayerResult(Shape.of(h * self.factor, w * self.factor, x.channels // r2))

    def field_steps(self, x: Shape, out: Shape) -> tuple[AxisStep, AxisStep]:
        r = self.factor
        slack = Fraction(r - 1, r)
        step = AxisStep(slack, Fraction(1, r), slack, f"output o reads input ⌊o/{r}⌋: stride 1/{r}, e = p = 1 − 1/{r} = {fraction_text(slack)}")
        return step, step

    def taps(self, x: Shape, out: Shape, axis: int, span: Span) -> Span | None:
        return span[0] // self.factor, span[1] // self.factor

    def trailing_padding(self, before: tuple[int, int]) -> tuple[int, int]:
        return (0, 0)

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        x, r = inputs[0], self.factor
        h, w = x.hw
        return [
            f"H: {h}·{r} = {h * r}; W: {w}·{r} = {w * r}; channels: {x.channels} / {r}² = {x.channels // (r * r)}",
            _NO_COUNTS,
        ]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return 0  # one transposed copy, the output


class PixelUnshuffle(LayerSpec):
    """H×W×C → H/r×W/r×C·r²: the inverse of pixel_shuffle."""

    kind = "pixel_unshuffle"
    aliases = ("space_to_depth", "PixelUnshuffle")
    positional = "factor"
    merges = False
    factor: int = option(whole, doc="downscaling factor r; must divide H and W")

    def infer(self, *inputs: Shape) -> LayerResult:
        (x,) = inputs
        h, w = x.require_map(self.kind).hw
        r = self.factor
        for axis, n in (("H", h), ("W", w)):
            if n % r:
                raise ShapeError(
                    f"pixel_unshuffle needs {axis} divisible by the factor {r}, got {axis}={n}",
                    option="factor",
                )
        return LayerResult(Shape.of(h // r, w // r, x.channels * r * r))

    def field_steps(self, x: Shape, out: Shape) -> tuple[AxisStep, AxisStep]:
        r = self.factor
        step = AxisStep(Fraction(r - 1), Fraction(r), Fraction(0), f"output o reads inputs {r}·o … {r}·o + {r - 1}: e = {r - 1}, stride {r}")
        return step, step

    def taps(self, x: Shape, out: Shape, axis: int, span: Span) -> Span | None:
        r = self.factor
        return span[0] * r, span[1] * r + r - 1

    def trailing_padding(self, before: tuple[int, int]) -> tuple[int, int]:
        return (0, 0)

    def explain(self, inputs: tuple[Shape, ...], result: LayerResult) -> list[str]:
        x, r = inputs[0], self.factor
        h, w = x.hw
        return [
            f"H: {h} / {r} = {h // r}; W: {w} / {r} = {w // r}; channels: {x.channels}·{r}² = {x.channels * r * r}",
            _NO_COUNTS,
        ]

    def scratch(self, inputs: tuple[Shape, ...], output: Shape) -> int:
        return 0
