"""Pure helpers that turn counts into text for tables.

>>> count(9472)
'9,472'
>>> si(118_013_952)
'118.0 M'
>>> si(4_089_184_256)
'4.09 G'
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


def _scaled(n: float, base: int, units: tuple[str, ...]) -> tuple[float, str]:
    value = float(n)
    unit = units[0]
    for unit in units:
        if abs(value) < base:
            break
        value /= base
    else:  # pragma: no cover - beyond the largest unit
        value *= base
    return value, unit


def _short(value: float) -> str:
    """Three significant digits, at least one decimal: 4.09, 98.0, 118.0."""
    text = f"{value:.3g}" if value < 100 else f"{value:.1f}"
    return text if "." in text else f"{value:.1f}"


def si(n: int) -> str:
    """Three significant digits with k, M, G, T (powers of 1000)."""
    if abs(n) < 1000:
        return str(n)
    value, unit = _scaled(n, 1000, ("", "k", "M", "G", "T", "P"))
    return f"{_short(value)} {unit}"


def binary_bytes(n: int) -> str:
    """Bytes in B, KiB, MiB, GiB (powers of 1024), three significant digits."""
    if n < 1024:
        return f"{n} B"
    value, unit = _scaled(n, 1024, ("B", "KiB", "MiB", "GiB", "TiB"))
    return f"{_short(value)} {unit}"
