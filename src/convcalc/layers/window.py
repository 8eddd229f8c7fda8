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

from typing import NamedTuple

from ..errors import ShapeError

__all__ = ["Window", "same_padding"]


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
    """'H' or 'W', for messages."""
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
