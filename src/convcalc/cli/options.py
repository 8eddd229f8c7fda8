"""Options several commands take, declared once, and the parsing of option text."""

import re
from enum import Enum
from typing import Annotated, Any

import typer

from ..errors import InputError

__all__ = ["Format", "FormatOption", "batch_option", "numbers", "output_option"]


class Format(str, Enum):
    """How ``layer`` and ``solve`` print their result."""

    TABLE = "table"
    JSON = "json"


FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]


def batch_option(help_text: str) -> Any:
    """``--batch``: the batch size of a verifying forward pass, at least 1."""
    return typer.Option("--batch", min=1, help=help_text)


def output_option(help_text: str) -> Any:
    """``--output``/``-o``: a file to write instead of the terminal."""
    return typer.Option("--output", "-o", help=help_text, show_default=False, dir_okay=False)


_NUMBER_LIST = re.compile(r"\s*[x×,]\s*|\s+")


def numbers(flag: str, text: str, *, floats: bool = False, lengths: tuple[int, ...] = (1, 2)) -> Any:
    """``'3'`` → 3, ``'3x5'`` / ``'3,5'`` → [3, 5]; words such as 'same' pass through."""
    parts = _NUMBER_LIST.split(text.strip())
    try:
        values = [float(p) if floats and not p.isdigit() else int(p) for p in parts]
    except ValueError:
        shapes = {1: "a number", 2: "two like 3x5", 4: "four like 1,1,2,2"}
        *first, last = (shapes[n] for n in lengths)
        wanted = f"{', '.join(first)} or {last}" if first else last
        raise InputError(f"{flag} {text!r} is not understood; give {wanted}") from None
    if len(values) not in lengths:
        raise InputError(f"{flag} {text!r} has {len(values)} numbers; give {' or '.join(map(str, lengths))}")
    return values[0] if len(values) == 1 else values
