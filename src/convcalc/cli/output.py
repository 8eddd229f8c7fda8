"""Where results go: a grid on stdout, or text into an ``--output`` file."""

import sys
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["print_grid", "write_output"]


def print_grid(grid: Any) -> None:
    """A :class:`~convcalc.render.Grid` on stdout: plain text to a pipe, Rich on a terminal."""
    if not sys.stdout.isatty():
        sys.stdout.write(grid.plain())
        return
    from rich.console import Console

    Console(highlight=False).print(grid, crop=False)


def write_output(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically; a failure names the ``--output`` file."""
    from ..files import write_atomically

    try:
        write_atomically(path, text)
    except InputError as error:
        raise error.within(f"--output {str(path)!r}") from None
