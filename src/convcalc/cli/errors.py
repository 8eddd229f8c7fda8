"""The CLI's one error boundary: a :class:`ConvCalcError` becomes ``error: …`` and exit 2."""

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from ..errors import ConvCalcError

__all__ = ["EXIT_BAD_INPUT", "reported_errors"]

EXIT_BAD_INPUT = 2


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn a :class:`ConvCalcError` into one sentence on stderr and exit 2."""
    try:
        yield
    except ConvCalcError as error:
        from rich.console import Console
        from rich.text import Text

        # Text, not markup: messages quote values such as '[h, w]' that markup
        # would swallow; soft_wrap keeps the sentence on one line for grep.
        message = Text.assemble(("error:", "bold red"), " ", error.message)
        Console(stderr=True, highlight=False).print(message, soft_wrap=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
