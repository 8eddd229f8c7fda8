"""``convcalc shell``: build a network layer by layer, interactively or from a piped script."""

from typing import Annotated

import typer

from ..shapes import Layout
from .errors import reported_errors

__all__ = ["shell"]


def _readable_or_new(path: str) -> None:
    """Refuse FILE now, in one sentence, unless it is a readable architecture file or does not exist yet.

    A FIFO, a device, a file over the size cap or a name too long for the
    system would otherwise block the shell or stop it with a traceback.
    """
    import os

    from ..files import read_source

    try:
        os.stat(path)
    except FileNotFoundError:
        return  # a new file: 'save' will create it
    except OSError:
        pass  # read_source says why in words
    read_source(path)


def shell(
    path: Annotated[str | None, typer.Argument(help="An architecture file to start from.", show_default=False)] = None,
    input_shape: Annotated[str | None, typer.Option("--input", "-i", help="Input shape to start with, e.g. 224x224x3.", show_default=False)] = None,
    layout: Annotated[Layout | None, typer.Option("--layout", help="Axis order to read, show and save shapes in (default: FILE's, else hwc); the 'layout' command changes it.", show_default=False)] = None,
) -> None:
    """Build a network layer by layer and watch the shapes flow.

    Type a layer ('conv 64 k7 s2 p3'), 'show', 'undo', 'save net.yaml', 'help'.
    With a script piped in, runs it and exits 2 at the first bad line.
    """
    from ..shell import run_shell

    if path is not None:
        with reported_errors():
            _readable_or_new(path)
    code = run_shell(input_shape, path, layout=layout)
    if code:
        raise typer.Exit(code)
