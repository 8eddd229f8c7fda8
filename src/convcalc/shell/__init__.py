"""``convcalc shell``: build a network line by line and watch the shapes flow.

Three rooms, each a module:

- :mod:`~convcalc.shell.state` — the model as immutable :class:`State`
  snapshots, turned into an architecture file's text and loaded with
  :func:`convcalc.loader.parse_model`, so the shell and files can never
  disagree; ``save`` writes that same text. Loader messages are translated
  to the layer numbers the user knows. No rich, no printing.
  :mod:`~convcalc.shell.growing` keeps the loader's builder of the current
  state so that a line appending layers reads only those (a long piped
  script costs time in proportion to its lines).
  :mod:`~convcalc.shell.keeping` is what ``save`` writes for a loaded file:
  its own text, with only the lines the shell changed rewritten and stale
  ``expect:`` figures refreshed.
- :mod:`~convcalc.shell.session` — :class:`Session`, one method per command
  (with undo and redo), returning what to show instead of printing, so tests
  drive it without a terminal. A change that does not load is refused with
  the loader's sentence, and the model is left as it was. Warnings and
  hints come back as :class:`Note` items, which the terminal prints to stderr.
  :mod:`~convcalc.shell.commands` is its table of command names, usage and
  help texts.
- :mod:`~convcalc.shell.repl` — :func:`run_shell`, the thin loop around a
  session: readline, history and tab completion when a person types, or
  plain line-by-line execution when a script is piped in (no prompts, no
  colour, exit 2 at the first error, naming the line). ``python -m
  convcalc.shell`` runs it without the CLI.
"""

from __future__ import annotations

from .commands import COMMANDS, Command
from .repl import EXIT_BAD_INPUT, run_shell
from .session import NeedsConfirmation, Note, Session
from .state import (
    SHELL_FILE,
    Built,
    Origin,
    State,
    VerificationFailed,
    build,
    forward_check,
    layers_to_model,
    state_yaml,
)

__all__ = [
    "COMMANDS",
    "EXIT_BAD_INPUT",
    "SHELL_FILE",
    "Built",
    "Command",
    "NeedsConfirmation",
    "Note",
    "Origin",
    "Session",
    "State",
    "VerificationFailed",
    "build",
    "forward_check",
    "layers_to_model",
    "run_shell",
    "state_yaml",
]
