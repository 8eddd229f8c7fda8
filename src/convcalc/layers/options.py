"""Normalising layer options once, when a spec is built.

``int | (h, w)`` becomes a ``(h, w)`` tuple here so no later code branches on
the type (the tinygrad ``make_tuple`` habit). Every function raises
:class:`~convcalc.errors.SpecError` naming the option, the bad value and what
was expected.

>>> pair("kernel", 3)
(3, 3)
>>> pair("stride", [2, 1])
(2, 1)
>>> Padding.parse(1)
Padding(mode='explicit', top=1, bottom=1, left=1, right=1)
>>> Padding.parse("same").mode
'same'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import SpecError

__all__ = ["Padding", "flag", "number", "pair", "whole"]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _whole_text(minimum: int) -> str:
    """'a positive whole number' or 'a whole number ≥ 0', for messages."""
    return "a positive whole number" if minimum == 1 else f"a whole number ≥ {minimum}"


def whole(name: str, value: Any, minimum: int = 1) -> int:
    """An integer option of at least ``minimum``."""
    if not _is_int(value) or value < minimum:
        raise SpecError(f"{name} must be {_whole_text(minimum)} (got {value!r})")
    return value


def pair(name: str, value: Any, minimum: int = 1) -> tuple[int, int]:
    """An option given as one integer for both axes or as ``[h, w]``."""
    given = value
    if _is_int(value):
        value = (value, value)
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(_is_int(v) and v >= minimum for v in value)
    ):
        raise SpecError(
            f"{name} must be {_whole_text(minimum)}, or a pair [h, w] of them "
            f"(got {given!r})"
        )
    return (value[0], value[1])


def number(name: str, value: Any, minimum: float = 0.0, below: float | None = None) -> float:
    """A real-valued option in ``[minimum, below)``."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and value >= minimum and (below is None or value < below):
        return float(value)
    bound = (
        f"from {minimum:g} up to (not including) {below:g}"
        if below is not None
        else f"≥ {minimum:g}"
    )
    raise SpecError(f"{name} must be a number {bound} (got {value!r})")


def flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"{name} must be true or false (got {value!r})")
    return value


@dataclass(frozen=True, slots=True)
class Padding:
    """Zero padding on the four sides, or a rule resolved against the input.

    ``mode`` is ``'explicit'`` (the four numbers hold), ``'same'`` (TensorFlow:
    output = ceil(input / stride), total padding split with the extra pixel at
    the bottom/right) or ``'valid'`` (no padding).
    """

    mode: str
    top: int = 0
    bottom: int = 0
    left: int = 0
    right: int = 0

    @classmethod
    def parse(cls, value: Any, name: str = "padding") -> Padding:
        """Read ``p``, ``[ph, pw]``, ``[top, bottom, left, right]``, ``'same'``, ``'valid'``."""
        if isinstance(value, Padding):
            return value
        if isinstance(value, str):
            word = value.strip().lower()
            if word in ("same", "valid"):
                return cls(word)
            raise SpecError(
                f"{name} {value!r} is not understood; use a number, [h, w], "
                "[top, bottom, left, right], 'same' or 'valid'"
            )
        given = value
        if _is_int(value):
            value = [value]
        if (
            isinstance(value, (list, tuple))
            and len(value) in (1, 2, 4)
            and all(_is_int(v) and v >= 0 for v in value)
        ):
            if len(value) == 1:
                value = [value[0]] * 4
            elif len(value) == 2:
                value = [value[0], value[0], value[1], value[1]]
            return cls("explicit", *value)
        raise SpecError(
            f"{name} must be a whole number ≥ 0, [h, w], [top, bottom, left, right], "
            f"'same' or 'valid' (got {given!r})"
        )

    @property
    def is_symmetric(self) -> bool:
        return self.top == self.bottom and self.left == self.right

    def text(self) -> str:
        """How the option reads back: ``3``, ``[1, 2]``, ``[0, 1, 0, 1]``, ``same``."""
        if self.mode != "explicit":
            return self.mode
        if self.is_symmetric and self.top == self.left:
            return str(self.top)
        if self.is_symmetric:
            return f"[{self.top}, {self.left}]"
        return f"[{self.top}, {self.bottom}, {self.left}, {self.right}]"

    def as_value(self) -> int | str | list[int]:
        """The shortest value that :meth:`parse` reads back to this padding."""
        if self.mode != "explicit":
            return self.mode
        if self.is_symmetric and self.top == self.left:
            return self.top
        if self.is_symmetric:
            return [self.top, self.left]
        return [self.top, self.bottom, self.left, self.right]
