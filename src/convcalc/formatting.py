"""Pure helpers that turn counts into text for tables.

>>> count(9472)
'9,472'
>>> si(118_013_952)
'118.0 M'
>>> si(4_089_184_256)
'4.09 G'
>>> si(999_999)         # 999.999 k rounds to 1000.0 k, so the next unit
'1.0 M'
>>> si(950)
'950'
>>> binary_bytes(102_760_448)
'98.0 MiB'
"""

from __future__ import annotations

__all__ = ["binary_bytes", "count", "si"]


def count(n: int) -> str:
    """Exact count with thousands separators."""
    return f"{n:,}"


def _scaled(n: int, base: int, units: tuple[str, ...]) -> str:
    """``n`` in the largest unit that keeps it below ``base``, as '1.5 k'.

    The unit is chosen after rounding, so 999,999 reads '1.0 M', not '1000.0 k'.
    """
    value, i = float(n), 0
    while abs(value) >= base and i < len(units) - 1:
        value /= base
        i += 1
    text = _short(value)
    if abs(float(text)) >= base and i < len(units) - 1:
        value /= base
        i += 1
        text = _short(value)
    return f"{text} {units[i]}"


def _short(value: float) -> str:
    """Three significant digits, at least one decimal: 4.09, 98.0, 118.0."""
    text = f"{value:.3g}" if abs(value) < 100 else f"{value:.1f}"
    return text if "." in text else f"{value:.1f}"


def si(n: int) -> str:
    """Three significant digits with k, M, G, T (powers of 1000)."""
    if abs(n) < 1000:
        return str(n)
    return _scaled(n, 1000, ("", "k", "M", "G", "T", "P"))


def binary_bytes(n: int) -> str:
    """Bytes in B, KiB, MiB, GiB (powers of 1024), three significant digits."""
    if n < 1024:
        return f"{n} B"
    return _scaled(n, 1024, ("B", "KiB", "MiB", "GiB", "TiB"))
