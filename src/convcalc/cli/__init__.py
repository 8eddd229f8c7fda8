"""The ``convcalc`` command line: thin commands that load, compute and render.

Exit codes: 0 success; 1 a check failed (reserved for ``--verify`` and
``check``); 2 bad input — a wrong flag, a malformed file, an impossible layer —
or an internal error (one line; the traceback with ``--debug``).

One module per command (``layer``; ``model`` with ``models`` and ``schema``;
``show``; ``check``; ``solve``; ``shell``; ``import``; ``diff``; ``export``), and beside them what several commands share:
``errors`` (the one boundary: a ConvCalcError becomes ``error: …``, a usage
error one line, a bug ``internal error: …``, each exit 2),
``options`` (shared option declarations and option-text parsing), ``output``
(stdout and ``--output`` files) and ``verify`` (the ``--verify`` forward pass).
"""

import sys
from typing import Annotated

import typer

from . import check, diff, export, import_, layer, model, shell, show, solve
from .errors import Group, debugging, reported_errors

__all__ = ["app", "main", "reported_errors"]

app = typer.Typer(
    help="Exact shapes, parameters and MACs of convolutional-network layers.",
    cls=Group,
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion; costs no import until used
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _show_version(value: bool) -> None:
    if value:
        from .. import __version__

        sys.stdout.write(f"convcalc {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", envvar="CONVCALC_DEBUG", help="Show the traceback of an internal error.")] = False,
    version: Annotated[bool, typer.Option("--version", "-V", callback=_show_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """Exact shapes, parameters and MACs of convolutional-network layers.

    Exit codes: 0 success, 1 a check failed, 2 bad input (or an internal error).
    """
    debugging(debug)


# Registered here rather than by decorators in each module, so that --help
# lists the commands in this order whatever order the modules import in.
for command in (layer.layer, model.model, model.models, show.show, check.check, solve.solve, shell.shell, model.schema):
    app.command()(command)
app.command("import")(import_.import_)
app.command("diff")(diff.diff)
app.command("export")(export.export)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="convcalc")
