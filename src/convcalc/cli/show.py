"""``convcalc show NAME``: a bundled model's architecture file, to read or start from."""

from typing import Annotated

import typer

from .errors import reported_errors
from .output import write_stdout

__all__ = ["show"]


def _names() -> list[str]:
    from ..catalog import bundled

    return list(bundled())


def show(
    name: Annotated[str, typer.Argument(help="A bundled model's name (see 'convcalc models').", autocompletion=_names, show_default=False)],
) -> None:
    """Print a bundled model's architecture file (YAML), comments and all.

    [dim]Example: convcalc show resnet50 > mynet.yaml[/]
    """
    with reported_errors():
        from ..catalog import bundled_file

        write_stdout(bundled_file(name).read_bytes())
