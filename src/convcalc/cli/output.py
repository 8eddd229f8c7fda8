"""Where results go: a grid on stdout, or text into an ``--output`` file (``-``: stdout)."""

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import InputError

__all__ = ["print_grid", "table_width", "write_output", "write_stdout"]


def table_width() -> int | None:
    """The width a table must fit: ``COLUMNS`` when set, else the terminal's;
    None (no limit) for a pipe or file without ``COLUMNS``, so scripts get the
    full table whatever window they run in."""
    import os

    text = os.environ.get("COLUMNS", "").strip()
    if text.isascii() and text.isdigit() and int(text) > 0:
        return int(text)
    if not sys.stdout.isatty():
        return None
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns or None
    except (OSError, ValueError):
        return None


def print_grid(grid: Any) -> None:
    """A :class:`~convcalc.render.Grid` on stdout: plain text to a pipe, Rich on a terminal."""
    if not sys.stdout.isatty():
        sys.stdout.write(grid.plain())
        return
    from rich.console import Console

    Console(highlight=False).print(grid, crop=False)


def write_stdout(text: str | bytes) -> None:
    """``text`` on stdout as UTF-8 whatever the locale says (bytes as they are)."""
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    if hasattr(sys.stdout, "buffer"):
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
    else:  # a test runner's text stream
        sys.stdout.write(data.decode("utf-8", "replace"))
    sys.stdout.flush()


def write_output(path: Path, text: str | bytes, inputs: Iterable[str | Path] = ()) -> None:
    """Write ``text`` to ``path`` atomically (``-``: stdout); a failure names the ``--output`` file.

    Only a new path or a regular file is written, never one of ``inputs``
    (the files the command read): see :func:`convcalc.files.write_atomically`.
    """
    if str(path) == "-":
        write_stdout(text)
        return
    from ..files import write_atomically

    try:
        write_atomically(path, text, inputs=inputs)
    except InputError as error:
        raise error.within(f"--output {str(path)!r}") from None
