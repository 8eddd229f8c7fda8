"""``convcalc shell``: build a network layer by layer, interactively or from a piped script."""

from typing import Annotated

import typer

__all__ = ["shell"]


def shell(
    path: Annotated[str | None, typer.Argument(help="An architecture file to start from.", show_default=False)] = None,
    input_shape: Annotated[str | None, typer.Option("--input", "-i", help="Input shape to start with, e.g. 224x224x3.", show_default=False)] = None,
) -> None:
    """Build a network layer by layer and watch the shapes flow.

    Type a layer ('conv 64 k7 s2 p3'), 'show', 'undo', 'save net.yaml', 'help'.
    With a script piped in, runs it and exits 2 at the first bad line.
    """
    from ..shell import run_shell

    code = run_shell(input_shape, path)
    if code:
        raise typer.Exit(code)
