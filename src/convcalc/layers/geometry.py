"""Window geometry every kind declares: how its outputs read its input, per axis.

Receptive fields (:mod:`convcalc.receptive`), ``--explain LAYER``, ``solve``
and check's dropped-pixel rule all ask the kind, never a table of kinds:

* :meth:`field_steps` — the layer as an *equivalent window* along each
  spatial axis (L; H and W; D, H and W), an :class:`AxisStep`: output ``o`` reads layer-input positions
  ``o·stride − offset … o·stride − offset + reach``;
* :meth:`taps` — the exact first and last input positions that a run of
  output positions reads (None when they read only padding);
* :meth:`trailing_padding` — how many of the output's last positions along
  each axis are zero padding a ``zeropad2d`` (``zeropad1d``, ``zeropad3d``)
  added (so a later rounding that drops them loses no input).

A vector has no spatial axes; the rules answer for it as a 2-D kind always
has, with two identity steps, and :mod:`convcalc.receptive` reads them as
"unchanged" along however many axes the model input has.

Three mixins give the common answers, and a kind takes one on purpose:
:class:`Pointwise` (each position alone: activations, norms, ``dense`` on a
map), :class:`WholeMap` (the whole map is one window: global pooling,
``flatten``) and :class:`Merge` (several inputs, a union of fields).
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, ClassVar, NamedTuple

if TYPE_CHECKING:
    from ..shapes import Shape

__all__ = [
    "IDENTITY",
    "AxisStep",
    "Merge",
    "Pointwise",
    "Span",
    "WholeMap",
    "fraction_text",
    "operand",
    "positions",
    "transposed_taps",
    "window_taps",
]

Q = Fraction
Span = tuple[int, int]
"""First and last position of an interval, inclusive."""


class AxisStep(NamedTuple):
    """One layer along one axis as an equivalent window over its input."""

    reach: Fraction
    """e: positions past the first that one window covers ((k − 1)·d for a conv)."""
    stride: Fraction
    offset: Fraction
    """p: how far before position 0 window 0 starts (the padding before)."""
    why: str
    """The kind's rule with its numbers, for --explain."""


IDENTITY = AxisStep(Q(0), Q(1), Q(0), "")
"""A layer that keeps every position where it is."""


def fraction_text(q: Fraction | int) -> str:
    """``7``, ``1/2``, ``−3/2``: whole numbers plainly, else the exact fraction.

    >>> fraction_text(Fraction(7)), fraction_text(Fraction(-3, 2))
    ('7', '−3/2')
    """
    q = Q(q)
    sign = "−" if q < 0 else ""
    q = abs(q)
    return f"{sign}{q.numerator}" if q.denominator == 1 else f"{sign}{q.numerator}/{q.denominator}"


def operand(q: Fraction | int) -> str:
    """A number inside a formula: fractions and negatives in parentheses."""
    q = Q(q)
    text = fraction_text(q)
    return f"({text})" if q < 0 or q.denominator != 1 else text


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def window_taps(a: int, b: int, k: int, s: int, d: int, p: int, n: int) -> Span | None:
    """Hull of the input pixels 0 … n − 1 that windows a … b tap:
    window o, tap t reads o·s + t·d − p.

    >>> window_taps(1, 1, 3, 1, 2, 2, 9)   # taps at −1, 1, 3
    (1, 3)
    """
    low = high = None
    for t in range(k):
        offset = t * d - p
        o = max(a, _ceil_div(-offset, s))  # first window whose tap t is ≥ 0
        if o <= b and o * s + offset <= n - 1:
            low = o * s + offset if low is None else min(low, o * s + offset)
        o = min(b, (n - 1 - offset) // s)  # last window whose tap t is ≤ n − 1
        if o >= a and o * s + offset >= 0:
            high = o * s + offset if high is None else max(high, o * s + offset)
    return None if low is None or high is None else (low, high)


def transposed_taps(a: int, b: int, k: int, s: int, d: int, p: int, n: int) -> Span | None:
    """Hull of the inputs i that reach outputs a … b: i·s + t·d − p = o."""
    low = high = None
    for t in range(k):
        offset = t * d - p
        i = max(0, _ceil_div(a - offset, s))
        if i <= n - 1 and i * s + offset <= b:
            low = i if low is None else min(low, i)
        i = min(n - 1, (b - offset) // s)
        if i >= 0 and i * s + offset >= a:
            high = i if high is None else max(high, i)
    return None if low is None or high is None else (low, high)


def positions(shape: Shape, rank: int = 2) -> tuple[int, ...]:
    """Positions along each spatial axis: the map's size, or 1 per axis
    (``rank`` of them) for a vector."""
    return shape.spatial if shape.rank > 1 else (1,) * rank


def _along(shape: Shape, axis: int) -> int:
    """Positions along one axis: 1 for a vector."""
    return shape.spatial[axis] if axis < shape.spatial_rank else 1


def _identities(x: Shape) -> tuple[AxisStep, ...]:
    return (IDENTITY,) * (x.spatial_rank if x.rank > 1 else 2)


class Pointwise:
    """Acts on each position alone: the field, the taps and padding pass through."""

    __slots__ = ()
    merges: ClassVar[bool] = False

    def field_steps(self, x: Shape, out: Shape) -> tuple[AxisStep, ...]:
        return _identities(x)

    def taps(self, x: Shape, out: Shape, axis: int, span: Span) -> Span | None:
        return span

    def trailing_padding(self, before: tuple[int, ...]) -> tuple[int, ...]:
        return before


class WholeMap:
    """Reads the whole map for every output: global pooling, flatten, reshape."""

    __slots__ = ()
    merges: ClassVar[bool] = False
    reads_as: ClassVar[str | None] = None
    """How --explain names the operation; the kind by default."""

    def field_steps(self, x: Shape, out: Shape) -> tuple[AxisStep, ...]:
        if x.rank == 1:  # a vector: each feature already sees its whole map
            return IDENTITY, IDENTITY
        what = self.reads_as or self.kind  # type: ignore[attr-defined]
        return tuple(
            AxisStep(Q(n - 1), Q(n), Q(0), f"{what} reads the whole {n}-pixel axis: e = {n} − 1 = {n - 1}")
            for n in x.spatial
        )

    def taps(self, x: Shape, out: Shape, axis: int, span: Span) -> Span | None:
        return (0, _along(x, axis) - 1) if x.rank > 1 else span

    def trailing_padding(self, before: tuple[int, ...]) -> tuple[int, ...]:
        return (0,) * len(before)


class Merge:
    """Joins several inputs: the field is the union of theirs.

    An input with one position against several (squeeze-and-excitation's 1×1
    gate) is broadcast: every output reads its only position.
    """

    __slots__ = ()
    merges: ClassVar[bool] = True

    def field_steps(self, x: Shape, out: Shape) -> tuple[AxisStep, ...]:
        return _identities(x)  # per input; receptive fields take the union

    def taps(self, x: Shape, out: Shape, axis: int, span: Span) -> Span | None:
        return (0, 0) if _along(x, axis) == 1 and _along(out, axis) > 1 else span

    def trailing_padding(self, before: tuple[int, ...]) -> tuple[int, ...]:
        return (0,) * len(before)
