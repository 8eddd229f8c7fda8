"""The terminal around a :class:`~convcalc.shell.session.Session`: ``convcalc shell``.

:func:`run_shell` opens FILE and applies ``--input``, then either reads
lines at a prompt — line editing, a history file (``CONVCALC_HISTORY``,
empty for none) and tab completion through the standard library's readline,
asking before a command that would lose something — or, when a script is
piped in, runs the lines in order with no prompts and no colour, stopping
with exit code 2 at the first error, whose message names the line. The
only module of the shell that prints.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from ..errors import ConvCalcError
from ..shapes import Layout, parse_shape
from .session import NeedsConfirmation, Note, Session, swapped_warning

__all__ = ["EXIT_BAD_INPUT", "run_shell"]

EXIT_BAD_INPUT = 2
"""The exit code when FILE, ``--input`` or a piped line cannot be run."""


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _start(session: Session, input_shape: str | None, path: str | None, layout: Layout | None = None) -> list[Any]:
    """Open FILE (or remember it as new), switch to --layout, and apply --input (read in that layout)."""
    out: list[Any] = []
    if path is not None:
        if Path(path).exists():
            out += session.load(path)
        else:
            session.path = Path(path)
            out.append(f"{path} does not exist yet; 'save' will create it")
    if layout is not None and layout is not session.state.layout:
        if session.state.entries:
            out += session.set_layout(layout.value)
        else:
            session.state = session.saved = replace(session.state, layout=layout)
    if input_shape is not None:
        if session.state.entries:
            out += [item for item in session.set_input(input_shape) if not isinstance(item, Note)]
        else:
            session.state = replace(session.state, input=parse_shape(input_shape, session.state.layout))
            session.saved = session.state
        assert session.state.input is not None
        warning = swapped_warning(session.state.input, session.state.layout)
        if warning:
            out.append(Note(f"warning: --input {warning}"))
    session.forget_history()
    return out


def run_shell(
    input_shape: str | None = None,
    path: str | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    layout: Layout | None = None,
) -> int:
    """``convcalc shell [--input SHAPE] [--layout hwc|chw] [FILE]``; returns the exit code.

    With ``stdin`` a terminal: an interactive prompt. Otherwise the lines
    are run in order without prompts or colour, stopping with exit code 2
    at the first error, whose message names the line. ``layout`` (default:
    FILE's, else hwc) is the axis order shapes are read, shown and saved in.
    """
    from rich.console import Console

    stdin = stdin or sys.stdin
    with contextlib.suppress(AttributeError, ValueError, OSError):
        # Bytes that are not UTF-8 arrive as lone surrogates, refused line by
        # line with their column (Session.execute), rather than failing the read.
        stdin.reconfigure(errors="surrogateescape")  # type: ignore[attr-defined]
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    interactive = _isatty(stdin)
    session = Session(layout=layout or Layout.HWC)
    session.ask_before_quit = interactive
    if interactive:
        out = Console(file=stdout, highlight=False)
        err = Console(file=stderr, highlight=False)
    else:
        out = Console(file=stdout, highlight=False, color_system=None, width=160, soft_wrap=False)
        err = Console(file=stderr, highlight=False, color_system=None, width=160)
    try:
        _show(out, _start(session, input_shape, path, layout), err=err)
    except ConvCalcError as error:
        _error(err, error.message)
        return EXIT_BAD_INPUT
    if interactive:
        return _interactive(session, stdin, stdout, out, err)
    return _piped(session, stdin, stdout, out, err)


def _show(console: Any, reply: list[Any], plain: TextIO | None = None, *, err: Any = None, page: bool = False) -> None:
    """Print a reply; with ``plain`` (a piped script's stdout), text goes straight
    to it: rich costs a third of a long script's time and adds nothing there.
    A :class:`Note` (a warning or hint) goes to ``err``. With ``page`` (a
    person at a terminal), a table taller than the terminal goes through the
    pager."""
    for item in reply:
        if isinstance(item, Note) and err is not None:
            err.print(item, markup=False, soft_wrap=True, emoji=False, style="yellow")
        elif isinstance(item, str) and plain is not None:
            plain.write(item + "\n")
        elif isinstance(item, str):
            console.print(item, markup=False, soft_wrap=True, emoji=False)
        elif page:
            _paged(console, item)
        else:
            console.print(item)


def _paged(console: Any, item: Any) -> None:
    """Print ``item``, through the pager (``$PAGER``, else less) when it is taller than the terminal.

    The pager gets plain text: ``less`` shows colour codes as garbage unless
    told ``-R``, and a user's ``$PAGER`` may be anything.
    """
    with console.capture() as captured:
        console.print(item)
    text = captured.get()
    if text.count("\n") < console.height - 1:
        console.file.write(text)
        console.file.flush()
        return
    with console.pager(styles=False):
        console.print(item)


def _error(console: Any, message: str) -> None:
    from rich.text import Text

    console.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)


def _piped(session: Session, stdin: TextIO, stdout: TextIO, out: Any, err: Any) -> int:
    number = 0
    try:
        for number, line in enumerate(stdin, 1):  # noqa: B007 - number is reported after the loop
            _show(out, session.execute(line), stdout, err=err)
            if session.finished:
                break
    except ConvCalcError as error:
        _error(err, f"line {number}: {error.message}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _error(err, f"interrupted at line {number}")
        return 130
    except Exception as error:  # a bug; still one sentence, not a traceback
        _error(err, f"line {number}: internal error ({type(error).__name__}: {error}); please report it")
        return EXIT_BAD_INPUT
    return 0


def _history_file() -> str | None:
    path = os.environ.get("CONVCALC_HISTORY")
    if path is None:
        return os.path.join(os.path.expanduser("~"), ".convcalc_history")
    return path or None


def _setup_readline(session: Session) -> Callable[[], None]:
    """Completion and history; returns what to call on the way out."""
    try:
        import readline
    except ImportError:  # pragma: no cover - platforms without readline
        return lambda: None
    matches: list[str] = []

    def completer(text: str, state: int) -> str | None:
        if state == 0:
            try:
                before = readline.get_line_buffer()[: readline.get_begidx()]
                matches[:] = session.complete(before, text)
                # readline adds a space after a single match; 'stride=' wants its value next.
                if len(matches) == 1 and matches[0].endswith(("=", "/")):
                    matches.append(matches[0] + " ")
            except Exception:  # completion must never break the prompt
                matches[:] = []
        return matches[state] if state < len(matches) else None

    readline.set_completer(completer)
    readline.set_completer_delims(" \t\n;")
    if "libedit" in (readline.__doc__ or ""):  # pragma: no cover - macOS
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")
    history = _history_file()
    if history:
        with contextlib.suppress(OSError):
            readline.read_history_file(history)
        readline.set_history_length(1000)

    def finish() -> None:
        if history:
            with contextlib.suppress(OSError):
                readline.write_history_file(history)

    return finish


def _prompt(session: Session) -> str:
    try:
        shape = session.output_shape()
    except ConvCalcError:  # pragma: no cover - every committed state loads
        shape = session.state.input
    where = shape.format(session.state.layout) if shape is not None else "no input"
    return f"[{where}]{'*' if session.dirty else ''}> "


def _interactive(session: Session, stdin: TextIO, stdout: TextIO, out: Any, err: Any) -> int:
    use_input = stdin is sys.stdin and stdout is sys.stdout
    finish = _setup_readline(session) if use_input else (lambda: None)

    def read(prompt: str) -> str:
        if use_input:
            return input(prompt)
        stdout.write(prompt)
        stdout.flush()
        line = stdin.readline()
        if not line:
            raise EOFError
        return line

    def confirm(question: str, on_eof: bool) -> bool:
        try:
            return read(f"{question} [y/N] ").strip().lower() in ("y", "yes")
        except EOFError:
            stdout.write("\n")
            return on_eof
        except KeyboardInterrupt:
            stdout.write("\n")
            return False

    out.print("convcalc shell — type a layer (conv 64 k3 p1) to add it, 'help' for commands; Ctrl-D quits.", markup=False)
    try:
        while not session.finished:
            try:
                line = read(_prompt(session))
            except KeyboardInterrupt:  # Ctrl-C abandons the line
                stdout.write("\n")
                continue
            except EOFError:  # Ctrl-D quits, asking first if there are unsaved changes
                stdout.write("\n")
                if not session.dirty or confirm("There are unsaved changes. Quit without saving?", on_eof=True):
                    break
                continue
            _run_line(session, line, out, err, confirm)
    finally:
        finish()
    return 0


def _run_line(session: Session, line: str, out: Any, err: Any, confirm: Callable[[str, bool], bool]) -> None:
    """One typed line; nothing raised here escapes, and a failure leaves the model as it was."""
    try:
        try:
            reply = session.execute(line)
        except NeedsConfirmation as ask:
            if not confirm(ask.question, False):
                out.print("nothing done", markup=False)
                return
            reply = session.execute(ask.command)
        _show(out, reply, err=err, page=True)
    except ConvCalcError as error:
        _error(err, error.message)
    except KeyboardInterrupt:
        _error(err, "interrupted; the model is as it was")
    except Exception as error:  # a bug; the model is safe because commands commit last
        _error(err, f"internal error ({type(error).__name__}: {error}); the model is as it was — please report it")
