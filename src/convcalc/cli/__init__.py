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
from importlib import import_module
from typing import Annotated, Any

import typer

from .errors import Group, debugging, reported_errors

__all__ = ["COMMANDS", "app", "main", "reported_errors"]

COMMANDS: dict[str, tuple[str, str]] = {
    "layer": ("layer", "layer"),
    "model": ("model", "model"),
    "models": ("model", "models"),
    "show": ("show", "show"),
    "check": ("check", "check"),
    "solve": ("solve", "solve"),
    "shell": ("shell", "shell"),
    "schema": ("model", "schema"),
    "import": ("import_", "import_"),
    "diff": ("diff", "diff"),
    "export": ("export", "export"),
}
"""Each command's name → its module and function, in the order ``--help`` lists them."""


def _show_version(value: bool) -> None:
    if value:
        from .. import __version__

        sys.stdout.write(f"convcalc {__version__}\n")
        raise typer.Exit(0)


def _root(
    debug: Annotated[bool, typer.Option("--debug", envvar="CONVCALC_DEBUG", help="Show the traceback of an internal error.")] = False,
    version: Annotated[bool, typer.Option("--version", "-V", callback=_show_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """Exact shapes, parameters and MACs of convolutional-network layers.

    Exit codes: 0 success, 1 a check failed, 2 bad input (or an internal error).
    """
    debugging(debug)


def application(only: str | None = None) -> typer.Typer:
    """The Typer application with every command, or with just ``only``: a run
    names its command first, and building the other ten commands' options
    (and importing their modules) would cost more than the run itself."""
    built = typer.Typer(
        help="Exact shapes, parameters and MACs of convolutional-network layers.",
        cls=Group,
        no_args_is_help=True,
        add_completion=True,  # --install-completion / --show-completion; costs no import until used
        context_settings={"help_option_names": ["-h", "--help"]},
        pretty_exceptions_enable=False,
        rich_markup_mode="rich",
    )
    built.callback()(_root)
    for name, (module, function) in COMMANDS.items():
        if only in (None, name):
            built.command(name)(getattr(import_module(f"{__name__}.{module}"), function))
    return built


def __getattr__(name: str) -> Any:
    """``app``, the whole application (for tests and embedding), made on first use."""
    if name == "app":
        globals()["app"] = found = application()
        return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point: builds only the command the run names
    (anything else, ``--help`` or a misspelt command, gets them all)."""
    first = sys.argv[1] if len(sys.argv) > 1 else None
    application(first if first in COMMANDS else None)(prog_name="convcalc")
