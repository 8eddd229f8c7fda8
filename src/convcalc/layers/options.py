"""Normalising layer options once, when a spec is built.

``int | (h, w)`` becomes a ``(h, w)`` tuple here so no later code branches on
the type (the tinygrad ``make_tuple`` habit). Every function raises
:class:`~convcalc.errors.SpecError` naming the option (as the ``option``
field, and first in the text), the bad value and what was expected.

Each normaliser also carries the JSON Schema fragment of the values it
accepts (``.schema``), from which ``schema.json`` is generated.

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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import SpecError

__all__ = [
    "Normaliser",
    "Padding",
    "choice",
    "explicit_padding",
    "flag",
    "fraction",
    "non_negative",
    "non_negative_pair",
    "number",
    "optional",
    "padding",
    "pair",
    "positive_number",
    "whole",
]

Normaliser = Callable[[str, Any], Any]
"""``norm(option name, user value) -> normalised value``; has a ``.schema``."""

EXPR = {"$ref": "#/definitions/expression"}


def _with_schema(fragment: dict[str, Any]) -> Callable[[Callable], Callable]:
    def attach(f: Callable) -> Callable:
        f.schema = fragment  # type: ignore[attr-defined]
        return f

    return attach


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _fail(name: str, text: str) -> SpecError:
    return SpecError(f"{name} {text}", option=name)


def _whole_text(minimum: int) -> str:
    """'a positive whole number' or 'a whole number ≥ 0', for messages."""
    return "a positive whole number" if minimum == 1 else f"a whole number ≥ {minimum}"


def _whole(name: str, value: Any, minimum: int) -> int:
    if not _is_int(value) or value < minimum:
        raise _fail(name, f"must be {_whole_text(minimum)} (got {value!r})")
    return value


@_with_schema({"$ref": "#/definitions/positive_int"})
def whole(name: str, value: Any) -> int:
    """A positive integer option."""
    return _whole(name, value, 1)


@_with_schema({"$ref": "#/definitions/non_negative_int"})
def non_negative(name: str, value: Any) -> int:
    """An integer option ≥ 0."""
    return _whole(name, value, 0)


def _pair(name: str, value: Any, minimum: int) -> tuple[int, int]:
    given = value
    if _is_int(value):
        value = (value, value)
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(_is_int(v) and v >= minimum for v in value)
    ):
        raise _fail(name, f"must be {_whole_text(minimum)}, or a pair [h, w] of them (got {given!r})")
    return (value[0], value[1])


@_with_schema({"$ref": "#/definitions/pair"})
def pair(name: str, value: Any) -> tuple[int, int]:
    """An option given as one positive integer for both axes or as ``[h, w]``."""
    return _pair(name, value, 1)


@_with_schema({"$ref": "#/definitions/non_negative_pair"})
def non_negative_pair(name: str, value: Any) -> tuple[int, int]:
    """As :func:`pair`, with 0 allowed."""
    return _pair(name, value, 0)


def _number(name: str, value: Any, minimum: float, below: float | None, above: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    low_ok = ok and (value > minimum if above else value >= minimum)
    if low_ok and (below is None or value < below):
        return float(value)
    low = f"> {minimum:g}" if above else f"≥ {minimum:g}"
    bound = f"from {minimum:g} up to (not including) {below:g}" if below is not None else low
    raise _fail(name, f"must be a number {bound} (got {value!r})")


@_with_schema({"anyOf": [{"type": "number", "minimum": 0}, EXPR]})
def number(name: str, value: Any) -> float:
    """A finite real option ≥ 0."""
    return _number(name, value, 0.0, None)


@_with_schema({"anyOf": [{"type": "number", "exclusiveMinimum": 0}, EXPR]})
def positive_number(name: str, value: Any) -> float:
    """A finite real option > 0 (``eps``, ``beta``)."""
    return _number(name, value, 0.0, None, above=True)


@_with_schema({"anyOf": [{"type": "number", "minimum": 0, "exclusiveMaximum": 1}, EXPR]})
def fraction(name: str, value: Any) -> float:
    """A rate in [0, 1): dropout, stochastic depth."""
    return _number(name, value, 0.0, 1.0)


def real(name: str, value: Any) -> float:
    """Any finite real number (a rescaling offset may be negative)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    raise _fail(name, f"must be a finite number (got {value!r})")


real.schema = {"anyOf": [{"type": "number"}, EXPR]}  # type: ignore[attr-defined]


@_with_schema({"$ref": "#/definitions/boolean"})
def flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(name, f"must be true or false (got {value!r})")
    return value


def choice(*values: str) -> Normaliser:
    """One of a few words: ``choice('nearest', 'bilinear')``."""

    def norm(name: str, value: Any) -> str:
        if value not in values:
            words = " or ".join(", ".join(map(repr, values)).rsplit(", ", 1))
            raise _fail(name, f"must be {words} (got {value!r})")
        return value

    norm.schema = {"anyOf": [{"enum": list(values)}, EXPR]}  # type: ignore[attr-defined]
    return norm


def optional(norm: Normaliser) -> Normaliser:
    """``norm``, or None for "not given"."""

    def maybe(name: str, value: Any) -> Any:
        return None if value is None else norm(name, value)

    maybe.schema = {"anyOf": [norm.schema, {"type": "null"}]}  # type: ignore[attr-defined]
    return maybe


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
            raise _fail(
                name,
                f"{value!r} is not understood; use a number, [h, w], "
                "[top, bottom, left, right], 'same' or 'valid'",
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
        raise _fail(
            name,
            "must be a whole number ≥ 0, [h, w], [top, bottom, left, right], "
            f"'same' or 'valid' (got {given!r})",
        )

    @property
    def is_symmetric(self) -> bool:
        return self.top == self.bottom and self.left == self.right

    def text(self) -> str:
        """How the option reads back: ``3``, ``[1, 2]``, ``[0, 1, 0, 1]``, ``same``."""
        value = self.as_value()
        return value if isinstance(value, str) else str(value).replace("'", "")

    def as_value(self) -> int | str | list[int]:
        """The shortest value that :meth:`parse` reads back to this padding."""
        if self.mode != "explicit":
            return self.mode
        if self.is_symmetric and self.top == self.left:
            return self.top
        if self.is_symmetric:
            return [self.top, self.left]
        return [self.top, self.bottom, self.left, self.right]


@_with_schema({"$ref": "#/definitions/padding"})
def padding(name: str, value: Any) -> Padding:
    """Numbers, ``same`` or ``valid``."""
    return Padding.parse(value, name)


@_with_schema({"$ref": "#/definitions/pixels"})
def explicit_padding(name: str, value: Any) -> Padding:
    """Numbers only (``zeropad2d``)."""
    p = Padding.parse(value, name)
    if p.mode != "explicit":
        raise _fail(name, f"of zeropad2d must be numbers, not {p.mode!r}")
    return p
