"""Normalising layer options once, when a spec is built.

``int | (h, w)`` becomes a ``(h, w)`` tuple here (``int | [l]`` an ``(l,)``
and ``int | [d, h, w]`` a ``(d, h, w)`` for 1-D and 3-D kinds) so no later code branches on
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
>>> triple("kernel", [3, 1, 1])
(3, 1, 1)
>>> Padding.parse([1, 2], rank=1).pads()
((1, 2),)
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
    "non_negative_single",
    "non_negative_triple",
    "number",
    "optional",
    "padding",
    "padding1d",
    "padding3d",
    "padding_for",
    "pair",
    "per_axis",
    "pixels1d",
    "pixels3d",
    "positive_number",
    "single",
    "triple",
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


def _axes_tuple(name: str, value: Any, rank: int, minimum: int) -> tuple[int, ...]:
    given = value
    if _is_int(value):
        value = (value,) * rank
    if (
        not isinstance(value, (tuple, list))
        or len(value) != rank
        or not all(_is_int(v) and v >= minimum for v in value)
    ):
        listed = "a list [l] of one" if rank == 1 else "a list [d, h, w] of them"
        raise _fail(name, f"must be {_whole_text(minimum)}, or {listed} (got {given!r})")
    return tuple(value)


def per_axis(rank: int, minimum: int = 1) -> Normaliser:
    """The normaliser of an option with one whole number per spatial axis:
    :func:`pair` for rank 2, :func:`single` and :func:`triple` for 1 and 3."""
    return {
        (1, 1): single, (2, 1): pair, (3, 1): triple,
        (1, 0): non_negative_single, (2, 0): non_negative_pair, (3, 0): non_negative_triple,
    }[(rank, minimum)]


@_with_schema({"$ref": "#/definitions/single"})
def single(name: str, value: Any) -> tuple[int]:
    """A 1-D option: one positive integer, or ``[l]``."""
    return _axes_tuple(name, value, 1, 1)  # type: ignore[return-value]


@_with_schema({"$ref": "#/definitions/non_negative_single"})
def non_negative_single(name: str, value: Any) -> tuple[int]:
    """As :func:`single`, with 0 allowed."""
    return _axes_tuple(name, value, 1, 0)  # type: ignore[return-value]


@_with_schema({"$ref": "#/definitions/triple"})
def triple(name: str, value: Any) -> tuple[int, int, int]:
    """A 3-D option: one positive integer for every axis, or ``[d, h, w]``."""
    return _axes_tuple(name, value, 3, 1)  # type: ignore[return-value]


@_with_schema({"$ref": "#/definitions/non_negative_triple"})
def non_negative_triple(name: str, value: Any) -> tuple[int, int, int]:
    """As :func:`triple`, with 0 allowed."""
    return _axes_tuple(name, value, 3, 0)  # type: ignore[return-value]


def _finite(value: Any) -> bool:
    """A real number a float can hold: no bool, inf, nan, or int past 1.8e308
    (``math.isfinite`` would raise on that int rather than answer)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value.bit_length() <= 1023
    return isinstance(value, float) and math.isfinite(value)


def _number(name: str, value: Any, minimum: float, below: float | None, above: bool = False) -> float:
    ok = _finite(value)
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
    if _finite(value):
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


_SHAPES = {
    1: "[before, after]",
    2: "[h, w], [top, bottom, left, right]",
    3: "[d, h, w], [front, back, top, bottom, left, right]",
}
"""The lists :meth:`Padding.parse` reads besides one number, per spatial rank."""


@dataclass(frozen=True, slots=True, repr=False)
class Padding:
    """Zero padding before and after each spatial axis, or a rule resolved
    against the input.

    ``mode`` is ``'explicit'`` (the numbers hold), ``'same'`` (TensorFlow:
    output = ceil(input / stride) on every axis, total padding split with the
    extra pixel after) or ``'valid'`` (no padding). A 2-D padding uses
    top/bottom (H) and left/right (W); a 1-D one (``rank=1``) keeps its L axis
    in left/right; a 3-D one adds front/back for D.
    """

    mode: str
    top: int = 0
    bottom: int = 0
    left: int = 0
    right: int = 0
    front: int = 0
    back: int = 0
    rank: int = 2
    """Spatial axes the padding is for: 1, 2 or 3."""

    def __repr__(self) -> str:
        sides = {"top": self.top, "bottom": self.bottom, "left": self.left, "right": self.right}
        if self.rank == 1:
            sides = {"left": self.left, "right": self.right}
        elif self.rank == 3:
            sides = {"front": self.front, "back": self.back, **sides}
        fields = ", ".join(f"{k}={v}" for k, v in sides.items())
        rank = f", rank={self.rank}" if self.rank != 2 else ""
        return f"Padding(mode={self.mode!r}, {fields}{rank})"

    @classmethod
    def parse(cls, value: Any, name: str = "padding", rank: int = 2) -> Padding:
        """Read ``p``, ``'same'``, ``'valid'``, or per rank: ``[before, after]``
        (1-D); ``[ph, pw]``, ``[top, bottom, left, right]`` (2-D); ``[pd, ph, pw]``,
        ``[front, back, top, bottom, left, right]`` (3-D)."""
        if isinstance(value, Padding):
            if value.rank != rank:
                raise _fail(name, f"is a {value.rank}-D padding where a {rank}-D one is needed")
            return value
        if isinstance(value, str):
            word = value.strip().lower()
            if word in ("same", "valid"):
                return cls(word, rank=rank)
            raise _fail(
                name,
                f"{value!r} is not understood; use a number, {_SHAPES[rank]}, 'same' or 'valid'",
            )
        given = value
        if _is_int(value):
            value = [value]
        lengths = {1: (1, 2), 2: (1, 2, 4), 3: (1, 3, 6)}[rank]
        if (
            isinstance(value, (list, tuple))
            and len(value) in lengths
            and all(_is_int(v) and v >= 0 for v in value)
        ):
            if len(value) == 1:
                value = [value[0]] * 2 * rank
            elif len(value) == rank:
                value = [v for v in value for _ in (0, 1)]
            sides = [(value[i], value[i + 1]) for i in range(0, 2 * rank, 2)]
            return cls.of(sides)
        raise _fail(
            name,
            f"must be a whole number ≥ 0, {_SHAPES[rank]}, 'same' or 'valid' (got {given!r})",
        )

    @classmethod
    def of(cls, pads: Any) -> Padding:
        """Explicit padding from ``(before, after)`` per axis, in axis order.

        >>> Padding.of([(1, 1), (0, 2), (3, 3)]).as_value()
        [1, 1, 0, 2, 3, 3]
        """
        pads = [tuple(p) for p in pads]
        if len(pads) == 1:
            return cls("explicit", left=pads[0][0], right=pads[0][1], rank=1)
        if len(pads) == 2:
            return cls("explicit", *pads[0], *pads[1])
        (f, b), (t, bo), (lt, r) = pads
        return cls("explicit", t, bo, lt, r, f, b, rank=3)

    def pads(self) -> tuple[tuple[int, int], ...]:
        """``(before, after)`` per spatial axis, in axis order (D, H, W)."""
        if self.rank == 1:
            return ((self.left, self.right),)
        hw = ((self.top, self.bottom), (self.left, self.right))
        return ((self.front, self.back), *hw) if self.rank == 3 else hw

    @property
    def is_symmetric(self) -> bool:
        return all(before == after for before, after in self.pads())

    def text(self) -> str:
        """How the option reads back: ``3``, ``[1, 2]``, ``[0, 1, 0, 1]``, ``same``."""
        value = self.as_value()
        return value if isinstance(value, str) else str(value).replace("'", "")

    def as_value(self) -> int | str | list[int]:
        """The shortest value that :meth:`parse` reads back to this padding."""
        if self.mode != "explicit":
            return self.mode
        pads = self.pads()
        if self.is_symmetric and len({before for before, _ in pads}) == 1:
            return pads[0][0]
        if self.is_symmetric and self.rank > 1:
            return [before for before, _ in pads]
        return [n for side in pads for n in side]


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


@_with_schema({"$ref": "#/definitions/padding1d"})
def padding1d(name: str, value: Any) -> Padding:
    """Numbers (``p`` or ``[before, after]``), ``same`` or ``valid``, for one spatial axis."""
    return Padding.parse(value, name, rank=1)


@_with_schema({"$ref": "#/definitions/padding3d"})
def padding3d(name: str, value: Any) -> Padding:
    """Numbers (``p``, ``[d, h, w]`` or six sides), ``same`` or ``valid``, for three axes."""
    return Padding.parse(value, name, rank=3)


def _explicit(rank: int, kind: str) -> Normaliser:
    def norm(name: str, value: Any) -> Padding:
        p = Padding.parse(value, name, rank=rank)
        if p.mode != "explicit":
            raise _fail(name, f"of {kind} must be numbers, not {p.mode!r}")
        return p

    norm.__doc__ = f"Numbers only ({kind})."
    norm.schema = {"$ref": f"#/definitions/pixels{rank}d"}  # type: ignore[attr-defined]
    return norm


pixels1d = _explicit(1, "zeropad1d")
pixels3d = _explicit(3, "zeropad3d")


def padding_for(rank: int) -> Normaliser:
    """The ``padding`` normaliser of a kind with ``rank`` spatial axes."""
    return {1: padding1d, 2: padding, 3: padding3d}[rank]
