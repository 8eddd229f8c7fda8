"""One spatial axis of a sliding window: the arithmetic behind conv and pooling.

PyTorch's rule, with the padded length ``L = size + pad_before + pad_after``
and the dilated kernel ``span = dilation·(kernel − 1) + 1``::

    out = floor((L − span) / stride) + 1                 (ceil_mode: ceil)

With ``ceil_mode`` a last window that would start in the right padding is
dropped, so ``out`` falls by one when ``(out − 1)·stride ≥ size + pad_before``;
rounding up also lets one window overhang a padded input shorter than ``span``
(``ceil(−1 / 2) + 1 = 1``), as PyTorch does.

>>> Window("H", size=224, kernel=7, stride=2, pad_before=3, pad_after=3).out
112
>>> w = Window("H", size=230, kernel=7, stride=2, pad_before=0, pad_after=0)
>>> w.out, w.dropped      # (230 − 7) / 2 + 1 = 112.5: row 229 is never read
(112, 1)
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from ..errors import ShapeError
from .geometry import AxisStep, Span, window_taps

if TYPE_CHECKING:
    from ..shapes import Shape

__all__ = ["AXES", "Sliding", "Window", "axis_unit", "decimal", "same_padding", "signed", "window_lines"]

AXES = {1: "L", 2: "HW", 3: "DHW"}
"""The spatial axes' names by spatial rank: length; height and width; depth too."""

_UNITS = {"L": "position", "D": "plane", "H": "row", "W": "column"}


def axis_unit(axis: str) -> str:
    """What one step along an axis is called in messages: 'row' along H,
    'column' along W, 'plane' along D, 'position' along L."""
    return _UNITS.get(axis, "position")


def same_padding(size: int, span: int, stride: int) -> tuple[int, int]:
    """TensorFlow's ``same``: output ceil(size / stride), extra pixel after.

    >>> same_padding(224, 7, 2)   # out 112: (112 − 1)·2 + 7 − 224 = 5 → 2 + 3
    (2, 3)
    >>> same_padding(5, 3, 2)
    (1, 1)
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


class Window(NamedTuple):
    """A kernel sliding along one axis of length ``size``."""

    axis: str
    """'H' or 'W' ('L' in 1-D, 'D' in 3-D), for messages."""
    size: int
    kernel: int
    stride: int
    pad_before: int
    pad_after: int
    dilation: int = 1
    ceil_mode: bool = False

    @property
    def span(self) -> int:
        """Input extent one window touches: dilation·(kernel − 1) + 1."""
        return self.dilation * (self.kernel - 1) + 1

    @property
    def padded(self) -> int:
        return self.size + self.pad_before + self.pad_after

    @property
    def out(self) -> int:
        reach = self.padded - self.span
        if not self.ceil_mode:
            if reach < 0:
                raise ShapeError(self._too_large())
            return reach // self.stride + 1
        # PyTorch rounds up even when the kernel overhangs the padded input
        # (MaxPool2d(3, 2, ceil_mode=True) maps 2×2 to 1×1): ceil(−1 / 2) + 1 = 1.
        out = -(-reach // self.stride) + 1
        if out < 1:
            raise ShapeError(self._too_large())
        if (out - 1) * self.stride >= self.size + self.pad_before:
            out -= 1
        return out

    @property
    def exact(self) -> bool:
        """Whether (L − span) / stride is whole, so no rounding happened."""
        return (self.padded - self.span) % self.stride == 0

    @property
    def dropped(self) -> int:
        """Input rows (or columns) at the end lost because a window did not fit.

        Rows after the last window that a further window would have read, had
        the input been long enough; the gap a stride larger than the window
        leaves after every window is not counted (see :attr:`skipped`). Only
        flooring drops rows: in ceil mode the last window overhangs instead.

        >>> Window("H", 230, kernel=7, stride=2, pad_before=0, pad_after=0).dropped
        1
        >>> Window("H", 56, kernel=1, stride=2, pad_before=0, pad_after=0).dropped  # a stride gap
        0
        """
        end = (self.out - 1) * self.stride + self.span
        next_start = self.out * self.stride
        return max(self.pad_before + self.size - max(end, next_start), 0)

    @property
    def skipped(self) -> int:
        """Rows between consecutive windows that none reads (stride > span)."""
        return max(self.stride - self.span, 0)

    def _too_large(self) -> str:
        what = f"kernel {self.kernel}"
        if self.dilation > 1:
            what = f"dilated kernel {self.span} (kernel {self.kernel}, dilation {self.dilation})"
        pads = (
            f"padding={self.pad_before}"
            if self.pad_before == self.pad_after
            else f"padding={self.pad_before}+{self.pad_after}"
        )
        return (
            f"{what} is larger than the padded input {self.padded} "
            f"({self.axis}={self.size}, {pads})"
        )


class Sliding:
    """Geometry of a kind that slides a window (convolution, pooling): the
    kind defines ``windows(x)``, one :class:`Window` per spatial axis."""

    __slots__ = ()
    merges: ClassVar[bool] = False

    def windows(self, x: Shape) -> tuple[Window, ...]:  # pragma: no cover - each kind's own
        raise NotImplementedError

    def field_steps(self, x: Shape, out: Shape) -> tuple[AxisStep, ...]:
        return tuple(  # type: ignore[return-value]
            AxisStep(
                Fraction(w.dilation * (w.kernel - 1)),
                Fraction(w.stride),
                Fraction(w.pad_before),
                f"window {w.kernel}"
                + (f", dilation {w.dilation}" if w.dilation > 1 else "")
                + f", stride {w.stride}, padding {w.pad_before} before: "
                f"e = (k − 1)·d = ({w.kernel} − 1)·{w.dilation} = {w.dilation * (w.kernel - 1)}",
            )
            for w in self.windows(x)
        )

    def taps(self, x: Shape, out: Shape, axis: int, span: Span) -> Span | None:
        w = self.windows(x)[axis]
        return window_taps(span[0], span[1], w.kernel, w.stride, w.dilation, w.pad_before, w.size)

    def trailing_padding(self, before: tuple[int, ...]) -> tuple[int, ...]:
        return (0,) * len(before)


# ------------------------------------------------------------ explain text


def window_lines(windows: tuple[Window, ...], mode: str) -> list[str]:
    lines = []
    for w in windows:
        if mode == "same":
            out = -(-w.size // w.stride)
            # The raw total can be negative (stride > kernel); it is then clamped to 0.
            total = (out - 1) * w.stride + w.span - w.size
            split = (
                f"→ {w.pad_before} before, {w.pad_after} after"
                if total >= 0
                else "< 0 → no padding"
            )
            lines.append(
                f"{w.axis}: same padding → ⌈{w.size} / {w.stride}⌉ = {out}; "
                f"padding ({out} − 1)·{w.stride} + {w.span} − {w.size} = {signed(total)} {split}"
            )
        lines.append(f"{w.axis}: {_window_formula(w)}")
        lines.extend(f"   {note}" for note in _window_notes(w))
    return lines


def _window_formula(w: Window) -> str:
    pads = (
        f"2·{w.pad_before}"
        if w.pad_before == w.pad_after
        else f"{w.pad_before} + {w.pad_after}"
    )
    span = str(w.span)
    if w.dilation > 1:
        span = f"({w.dilation}·({w.kernel} − 1) + 1)"
    text = f"({w.size} + {pads} − {span}) / {w.stride} + 1"
    if w.ceil_mode:
        ratio = Fraction(w.padded - w.span, w.stride)
        text = f"⌈({w.size} + {pads} − {span}) / {w.stride}⌉ + 1"
        rounded = -(-ratio.numerator // ratio.denominator) + 1
        if ratio.denominator != 1:
            text += f" = ⌈{decimal(ratio)}⌉ + 1"
        return f"{text} = {rounded}" + (f" → {w.out}" if rounded != w.out else "")
    quotient = Fraction(w.padded - w.span, w.stride) + 1
    if quotient.denominator == 1:
        return f"{text} = {w.out}"
    return f"{text} = {decimal(quotient)} → {w.out}"


def _window_notes(w: Window) -> list[str]:
    unit = axis_unit(w.axis)
    notes = []
    if w.dilation > 1:
        notes.append(f"dilation {w.dilation} spreads the {w.kernel}-tap kernel over {w.span} {unit}s")
    if not w.exact:
        q = decimal(Fraction(w.padded - w.span, w.stride) + 1)
        if w.ceil_mode:
            if w.out == -(-(w.padded - w.span) // w.stride) + 1:
                notes.append("rounded up (ceil_mode): the last window overhangs the end")
            else:
                start = w.out * w.stride
                where = ", in the right padding" if start < w.padded else ""
                lost = ""
                if w.dropped:
                    lost = f"; then {_rows(w.dropped, unit)} {'are' if w.dropped > 1 else 'is'} read by no window"
                notes.append(
                    f"rounded up (ceil_mode), but that last window would start at padded "
                    f"position {start}, past the input "
                    f"({w.pad_before}–{w.pad_before + w.size - 1}){where}, so PyTorch drops it{lost}"
                )
        else:
            missing = w.stride - (w.padded - w.span) % w.stride
            if w.dropped:
                plural = _rows(w.dropped, unit)
                notes.append(
                    f"{q} is rounded down: {plural} ({w.axis}={w.size}) "
                    f"{'are' if w.dropped > 1 else 'is'} covered by no window and dropped"
                )
            elif w.pad_before + w.size > (w.out - 1) * w.stride + w.span:
                notes.append(
                    f"{q} is rounded down: the {unit}s after the last window are the gap that "
                    f"stride {w.stride} leaves after every window (a further window would start past the input)"
                )
            else:
                notes.append(
                    f"{q} is rounded down: the last window would need {missing} more {unit}"
                    f"{'s' if missing > 1 else ''}; only padding goes unread (no input {unit} is lost)"
                )
    if w.skipped:
        notes.append(f"stride {w.stride} > window {w.span}: {w.skipped} {unit}(s) between windows are never read")
    return notes


def _rows(n: int, unit: str) -> str:
    """'the last input row' or '3 input rows'."""
    return f"{n} input {unit}s" if n > 1 else f"the last input {unit}"


def signed(n: int) -> str:
    """An integer with a typographic minus, as in the formulas: −1."""
    return f"−{-n}" if n < 0 else str(n)


def decimal(q: Fraction) -> str:
    """113.5, 56.333…, −0.5: enough digits to show the fraction is not whole."""
    text = f"{float(abs(q)):.3f}".rstrip("0").rstrip(".")
    sign = "−" if q < 0 else ""
    return sign + (text if Fraction(text) == abs(q) else text + "…")


