"""The CLI's error boundary: every failure becomes one line on stderr and an exit code.

- a :class:`ConvCalcError` (bad input) → ``error: …``, exit 2;
- a usage error Typer/Click finds (unknown flag, missing argument, bad
  choice) → ``error: convcalc layer: …``, exit 2, one line instead of a box;
- anything else is a bug → ``internal error: …; please report it``, exit 2,
  with the traceback only under ``--debug`` or ``CONVCALC_DEBUG=1``.

Exit 1 stays reserved for a check that ran and failed. :class:`Group` puts
the boundary around the whole application, so it holds for every command,
for ``python -m convcalc`` and for Typer's ``CliRunner`` alike.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import typer
from typer.core import TyperGroup

try:  # typer 0.2x vendors Click; before that it uses the click package
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - depends on the typer release
    from click import exceptions as click_errors  # type: ignore[no-redef]

from ..errors import ConvCalcError
from ..formatting import escape_controls, shorten

__all__ = ["EXIT_BAD_INPUT", "Group", "debugging", "reported_errors", "run_guarded"]

EXIT_BAD_INPUT = 2
_NO_ARGS_IS_HELP = getattr(click_errors, "NoArgsIsHelpError", ())  # Click 8.2 and later
EXIT_INTERRUPTED = 130

_debug = [False]  # set by the root --debug option for the run in progress


def debugging(on: bool | None = None) -> bool:
    """Whether tracebacks are wanted: ``--debug`` was given or ``CONVCALC_DEBUG`` is set (not 0)."""
    if on is not None:
        _debug[0] = on
    return _debug[0] or os.environ.get("CONVCALC_DEBUG", "").strip() not in ("", "0")


def _say(prefix: str, text: str) -> None:
    """One line on stderr: ``prefix`` in bold red on a terminal, then ``text`` made safe."""
    line = shorten(escape_controls(text))
    if not sys.stderr.isatty():
        sys.stderr.write(f"{prefix} {line}\n")
        sys.stderr.flush()
        return
    from rich.console import Console
    from rich.text import Text

    # Text, not markup: messages quote values such as '[h, w]' that markup
    # would swallow; soft_wrap keeps the sentence on one line for grep.
    Console(stderr=True, highlight=False).print(Text.assemble((prefix, "bold red"), " ", line), soft_wrap=True)


def report_error(error: ConvCalcError) -> int:
    """``error: <message>`` on stderr; returns the exit code, 2."""
    _say("error:", error.message)
    return EXIT_BAD_INPUT


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn a :class:`ConvCalcError` into one sentence on stderr and exit 2."""
    try:
        yield
    except ConvCalcError as error:
        raise typer.Exit(report_error(error)) from None


def _usage_message(error: Any, program: str) -> str:
    """A Click usage error as one clause: 'convcalc layer: no such option '--kernal'; did you mean …'."""
    if isinstance(error, click_errors.NoSuchOption):
        text = f"no such option {error.option_name!r}"
        if error.possibilities:
            text += f"; did you mean {' or '.join(repr(p) for p in sorted(error.possibilities))}?"
    else:
        text = " ".join(error.format_message().split())  # one line whatever Click wrapped
        if text[:1].isupper() and text[1:2].islower():
            text = text[0].lower() + text[1:]
        text = text.replace(". Did you mean", "; did you mean").removesuffix(".")
    where = error.ctx.command_path if getattr(error, "ctx", None) is not None else program
    return f"{where}: {text} (see '{where} --help')"


def _internal(error: BaseException) -> int:
    """A bug: one line, and the traceback only when asked for."""
    if debugging():
        import traceback

        traceback.print_exception(error)
    what = type(error).__name__
    detail = str(error)
    hint = "" if debugging() else " (CONVCALC_DEBUG=1 or --debug shows the traceback)"
    _say("internal error:", f"{what}{': ' + detail if detail else ''}; please report it{hint}")
    return EXIT_BAD_INPUT


def run_guarded(call: Callable[[], Any], program: str = "convcalc") -> int:
    """Run the application's ``main`` (non-standalone) and return the exit code it earned."""
    try:
        code = call()
    except _NO_ARGS_IS_HELP as error:  # the help is already printed (Rich) or in the message
        if error.format_message().strip():
            sys.stdout.write(error.format_message() + "\n")
        return EXIT_BAD_INPUT
    except click_errors.UsageError as error:
        _say("error:", _usage_message(error, program))
        return EXIT_BAD_INPUT
    except click_errors.ClickException as error:  # pragma: no cover - file options are not used
        _say("error:", error.format_message())
        return EXIT_BAD_INPUT
    except ConvCalcError as error:  # a command without its own reported_errors
        return report_error(error)
    except typer.Exit as error:
        return error.exit_code
    except (typer.Abort, KeyboardInterrupt):
        _say("error:", "interrupted")
        return EXIT_INTERRUPTED
    except Exception as error:  # the boundary: every bug (MemoryError included) becomes one line
        return _internal(error)
    return code if isinstance(code, int) else 0


class Group(TyperGroup):
    """The application's click group, with :func:`run_guarded` around every run."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        def call() -> Any:
            return super(Group, self).main(args, prog_name, complete_var, standalone_mode=False, **extra)

        if not standalone_mode:
            return call()
        debugging(False)
        sys.exit(run_guarded(call, prog_name or "convcalc"))
