"""Pure helpers that turn counts and untrusted text into text for tables and messages.

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
>>> escape_controls("net\\x1b]0;title\\x07")
'net\\\\x1b]0;title\\\\x07'
"""

from __future__ import annotations

import math
import re

__all__ = ["MAX_MESSAGE", "binary_bytes", "count", "escape_controls", "scientific", "shorten", "si"]


_HUGE_BITS = 13_000
"""Past about 3,900 digits Python refuses ``str(int)``; such counts are shown as ``1.23e+4000``."""


def count(n: int) -> str:
    """Exact count with thousands separators (scientific past about 3,900 digits)."""
    if abs(n).bit_length() > _HUGE_BITS:
        return scientific(n)
    return f"{n:,}"


def scientific(n: int) -> str:
    """Three significant digits of an integer of any size, exactly truncated.

    ``math.log10`` takes integers of any size, so no float overflows:

    >>> scientific(12_345)
    '1.23e+4'
    >>> scientific(-(10**400))
    '-1.00e+400'
    """
    sign, n = ("-" if n < 0 else ""), abs(n)
    if n == 0:
        return "0"
    exponent = math.floor(math.log10(n))
    while 10**exponent > n:  # log10 of a huge integer may be off by one
        exponent -= 1
    while 10 ** (exponent + 1) <= n:
        exponent += 1
    digits = n // 10 ** (exponent - 2) if exponent >= 2 else n * 10 ** (2 - exponent)
    return f"{sign}{digits // 100}.{digits % 100:02d}e+{exponent}"


def _scaled(n: int, base: int, units: tuple[str, ...]) -> str:
    """``n`` in the largest unit that keeps it below ``base``, as '1.5 k'.

    The unit is chosen after rounding, so 999,999 reads '1.0 M', not '1000.0 k'.
    Units are chosen by integer comparison, so a count too large for a float
    (10**400) still gets one: '1.00e+385 P'.
    """
    i = 0
    while abs(n) >= base ** (i + 1) and i < len(units) - 1:
        i += 1
    try:
        value = n / base**i
    except OverflowError:
        return f"{scientific(n // base**i)} {units[i]}"
    text = _short(value)
    if abs(float(text)) >= base and i < len(units) - 1:
        value /= base
        i += 1
        text = _short(value)
    return f"{text} {units[i]}"


def _short(value: float) -> str:
    """Three significant digits, at least one decimal: 4.09, 98.0, 118.0 (1.00e+06 from a million)."""
    if abs(value) >= 1e6:
        return f"{value:.2e}".replace("e+0", "e+")
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


# ------------------------------------------------------------ untrusted text


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape_controls(text: str, *, newlines: bool = False) -> str:
    """``text`` safe for a terminal: control characters shown as escapes, as yamllint does.

    C0 and C1 controls (ESC, BEL, CR, …) and the bidirectional overrides that
    reorder what a reader sees (U+202E, "Trojan Source") become ``\\xNN`` or
    ``\\uNNNN``; a tab stays, and a newline stays only with ``newlines=True``
    (else it is ``\\n``) so a finding stays one line. A backslash is left alone:
    paths on Windows use it.

    >>> escape_controls("a\\x1b[2Jb\\u202ec")
    'a\\\\x1b[2Jb\\\\u202ec'
    >>> escape_controls("two\\nlines")
    'two\\\\nlines'
    """
    pattern = _CONTROLS if newlines else _CONTROLS_AND_NEWLINE
    return pattern.sub(_escape_one, text)


_CONTROLS_AND_NEWLINE = re.compile(_CONTROLS.pattern[:-1] + r"\n]")


def _escape_one(match: re.Match[str]) -> str:
    char = match[0]
    if char == "\n":
        return "\\n"
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


MAX_MESSAGE = 500
"""Longest message printed, in characters; the middle of a longer one is cut."""


def shorten(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut in the middle to at most ``limit`` characters.

    The start (where) and the end (the fix) are what a reader needs, so the
    middle goes — typically a long quoted value:

    >>> shorten("file.yaml:1:8: input [" + "1, " * 300 + "1] has 301 numbers; give 3", 100)
    'file.yaml:1:8: input [1, 1, 1, 1, 1,  … (874 characters cut) … , 1, 1, 1, 1] has 301 numbers; give 3'
    """
    if len(text) <= limit:
        return text
    room = limit - len(f" … ({len(text):,} characters cut) … ")
    head = room // 2
    tail = room - head
    return f"{text[:head]} … ({len(text) - room:,} characters cut) … {text[-tail:]}"
