"""Options several commands take, declared once, and the parsing of option text.

Every number typed as an option follows the rule of :func:`~convcalc.shapes.parse_shape`:
ASCII digits only (``str.isdigit`` and ``int`` also take '²' and '２２４'),
and no size above :data:`~convcalc.shapes.MAX_DIM`. :class:`Whole` and
:class:`Real` apply it to Typer's typed options, :func:`numbers` to option text.
"""

import math
import re
from enum import Enum
from typing import Annotated, Any

import typer

from ..errors import InputError
from ..shapes import DIGITS, MAX_DIM

try:  # typer 0.2x vendors Click; before that it uses the click package
    from typer._click import types as click_types
except ImportError:  # pragma: no cover - depends on the typer release
    from click import types as click_types  # type: ignore[no-redef]

__all__ = [
    "BATCH_HELP", "REAL", "SIZE", "WHOLE", "Format", "FormatOption", "MaxMemoryOption", "Real", "Whole", "batch_option", "numbers",
    "output_option",
]


class Format(str, Enum):
    """How ``layer`` and ``solve`` print their result."""

    TABLE = "table"
    JSON = "json"


FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]

_REAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z")
"""A decimal number in ASCII: 2, 1.5, .5, 1e-3 (no 'inf', 'nan' or '１.５')."""

_TOO_MANY_DIGITS = len(str(MAX_DIM))


def _whole(text: str) -> int | None:
    """``text`` as an integer if it is ASCII digits with an optional sign, else None.

    More digits than :data:`MAX_DIM` has are read as MAX_DIM + 1 (any value
    over the cap is refused alike), so Python's 4,300-digit limit never applies.
    """
    sign, digits = (text[0], text[1:]) if text[:1] in "+-" and len(text) > 1 else ("", text)
    if not DIGITS.match(digits):
        return None
    significant = digits.lstrip("0")
    value = MAX_DIM + 1 if len(significant) > _TOO_MANY_DIGITS else int(significant or "0")
    return -value if sign == "-" else value


class Whole(click_types.IntRange):
    """A Typer/Click integer type: ASCII digits, from ``minimum`` to :data:`MAX_DIM`.

    ``--help`` still reads ``INTEGER RANGE``; a bad value is a usage error,
    one line with exit 2.
    """

    name = "int"

    def __init__(self, minimum: int | None = 1) -> None:
        super().__init__(min=minimum, max=MAX_DIM)

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, int):
            return super().convert(value, param, ctx)
        number = _whole(str(value).strip())
        if number is None:
            self.fail(f"{str(value)!r} is not a whole number written with the digits 0-9", param, ctx)
        if number > MAX_DIM:
            self.fail(f"{str(value)!r} is above {MAX_DIM:,}, the largest accepted (docs/limits.md)", param, ctx)
        return super().convert(number, param, ctx)


class Real(click_types.FloatParamType):
    """A Typer/Click float type: an ASCII decimal (``0.2``, ``1e-3``), finite."""

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, float):
            return value
        text = str(value).strip()
        if not _REAL.match(text) or not math.isfinite(float(text)):
            self.fail(f"{text!r} is not a finite decimal number like 0.2 or 1e-3", param, ctx)
        return float(text)


WHOLE = Whole(1)
"""An option at least 1 (``--filters``, ``--batch``)."""
SIZE = Whole(None)
"""An input size (``-H``), whose lower bound the command checks and words itself."""
REAL = Real()
"""A finite decimal option (``--rate``)."""


BATCH_HELP = (
    "Batch size N, the same in every command: shapes show N first, MACs and activation memory are for N samples, "
    "and --verify (and model's --optimizer) run at N [default: one sample, no batch axis]."
)


def batch_option(help_text: str = BATCH_HELP) -> Any:
    """``--batch``: the batch size, at least 1, with one meaning everywhere (:data:`BATCH_HELP`)."""
    return typer.Option("--batch", click_type=WHOLE, help=help_text, show_default=False)


MaxMemoryOption = Annotated[str, typer.Option("--max-memory", help="Refuse a forward pass estimated to need more memory than this.")]
"""``--max-memory``: the verifying forward pass's memory guard (``4GiB``, ``512MB``)."""


def output_option(help_text: str) -> Any:
    """``--output``/``-o``: a file to write instead of the terminal (``-``: stdout)."""
    return typer.Option("--output", "-o", help=help_text, show_default=False, dir_okay=False)


_NUMBER_LIST = re.compile(r"\s*[x×,]\s*|\s+")


def numbers(flag: str, text: str, *, floats: bool = False, lengths: tuple[int, ...] = (1, 2)) -> Any:
    """``'3'`` → 3, ``'3x5'`` / ``'3,5'`` → [3, 5]; ASCII digits only, at most :data:`MAX_DIM`.

    >>> numbers("--kernel", "3x5")
    [3, 5]
    >>> numbers("--kernel", "²")
    Traceback (most recent call last):
      ...
    convcalc.errors.InputError: --kernel '²' is not understood; give a number or two like 3x5
    """
    parts = _NUMBER_LIST.split(text.strip())
    values: list[int | float] = []
    for part in parts:
        whole = _whole(part)
        if whole is None and floats and _REAL.match(part) and math.isfinite(float(part)):
            values.append(float(part))
        elif whole is None:
            shapes = {1: "a number", 2: "two like 3x5", 3: "three like 3x1x1", 4: "four like 1,1,2,2", 6: "six like 1,1,0,0,2,2"}
            *first, last = (shapes[n] for n in lengths)
            wanted = f"{', '.join(first)} or {last}" if first else last
            raise InputError(f"{flag} {text!r} is not understood; give {wanted}")
        else:
            values.append(whole)
        if abs(values[-1]) > MAX_DIM:
            raise InputError(f"{flag} {text!r} has a value above {MAX_DIM:,}, the largest accepted (docs/limits.md)")
    if len(values) not in lengths:
        raise InputError(f"{flag} {text!r} has {len(values)} numbers; give {' or '.join(map(str, lengths))}")
    return values[0] if len(values) == 1 else values
