"""``convcalc export``: a network written as PyTorch or Keras code."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..dtypes import Target
from .errors import reported_errors
from .options import output_option
from .output import write_output

__all__ = ["export"]


def export(
    source: Annotated[str, typer.Argument(help="An architecture file, or a bundled model's name (see 'convcalc models').", show_default=False)],
    to: Annotated[Target, typer.Option("--to", help="The framework to write for.")] = Target.PYTORCH,
    output: Annotated[Path | None, output_option("Write the code to this file instead of stdout.")] = None,
) -> None:
    """Write a network as a self-contained PyTorch module or Keras builder.

    [dim]Example: convcalc export resnet50 --to pytorch -o resnet50.py[/]
    """
    with reported_errors():
        from ..export import export_source

        code = export_source(source, to).code
        if output is None:
            sys.stdout.write(code)
            return
        read = (source,) if Path(source).exists() else ()
        write_output(output, code, read)
