"""The shell's commands by name: usage, help texts and aliases.

:data:`COMMANDS` is the table ``help`` lists and :meth:`Session.execute`
dispatches through; each entry's ``run`` calls the :class:`Session` method
that does the work. :func:`syntax_help` and :func:`kind_help` are what
``help layers`` and ``help KIND`` say, built from the line syntax's own
tables so they cannot drift from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from ..layers import KINDS, spec_class
from ..linesyntax import COMMON_KEYS, KIND_ALIASES, SHORT_FLAGS, positional

if TYPE_CHECKING:
    from .session import Session

__all__ = ["COMMANDS", "COMMAND_ALIASES", "Command", "kind_help", "syntax_help"]


class Command(NamedTuple):
    """A shell command: how to call it and what it does."""

    name: str
    usage: str
    summary: str
    details: str
    run: Callable[[Session, str, bool], list[Any]]
    """``run(session, rest of the line, forced by '!')``."""


def syntax_help() -> list[str]:
    from ..linesyntax import POSITIONAL  # made on first use: it imports every kind's module

    counts = ", ".join(f"{k} → {v}" for k, v in POSITIONAL.items())
    flags = "  ".join(f"{f}N {o}" for f, o in SHORT_FLAGS.items())
    aliases = ", ".join(f"{a}={k}" for a, k in KIND_ALIASES.items())
    return [
        "A layer is its kind followed by options, in any order:",
        "  conv 64 k7 s2 p3 @conv1      count, short flags, a name",
        "  maxpool k3 s2 p1; bn; relu   ';' separates layers",
        "  conv 32 k1x7 p=same bias=false    pairs with x, key=value for any option",
        "  add from=conv1,relu          merges name the layers they read",
        f"count (a bare number), by kind: {counts}",
        f"short flags: {flags}  (k1x7 for h×w; p0x1x0x1 for top, bottom, left, right)",
        f"common keys: {', '.join(f'{k}=' for k in COMMON_KEYS)}; '@x' is 'name=x'; a bare boolean option is true",
        f"kinds: {', '.join(KINDS)}",
        f"aliases: {aliases}",
        "'help KIND' lists a kind's options; docs/shell.md has the whole syntax.",
    ]


def kind_help(kind: str) -> list[str]:
    cls = spec_class(kind)
    lines = [f"{kind}: " + (cls.__doc__ or "").strip().splitlines()[0].replace("``", "'")]
    count = positional(kind)
    if count is not None:
        lines.append(f"  count: {count} ({kind} {count.upper()} …)")
    fields = cls.declared()
    if not fields:
        lines.append("  no options")
    for f in fields:
        short = next((s for s, o in SHORT_FLAGS.items() if o == f.name), None)
        how = f" (or {short}N)" if short else ""
        default = "required" if f.required else f"default {f.default!r}".replace("True", "true").replace("False", "false")
        doc = f"; {f.doc}" if f.doc else ""
        lines.append(f"  {f.name}{how}: {default}{doc}")
    lines.append("  and name=, from=, trainable=, if= as for every layer")
    return lines


COMMAND_ALIASES = {"exit": "quit", "delete": "del", "rm": "del", "ls": "list", "?": "help"}


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command(
            "show", "show [DEPTH] [FIRST-LAST|LAYER]", "the model table with totals",
            "Every layer's output shape, parameters and MACs, then the totals\n"
            "(parameters, MACs, memory). Blocks from a loaded file show as groups.\n"
            "DEPTH as 'convcalc model --depth': 1 is one row per entry (a block is one row),\n"
            "2 adds the rows inside, …. FIRST-LAST are layer numbers as 'list' gives them\n"
            "(10-20, 10-, -5); LAYER a layer's or group's name. Totals are the whole model's.\n"
            "Examples: show 1, show 2 10-20, show layer3. A table taller than the terminal\n"
            "goes through a pager ($PAGER, else less).",
            lambda s, rest, forced: s.show(rest),
        ),
        Command(
            "list", "list", "the layers as the lines that add them, numbered",
            "Numbers and names both work wherever a command takes LAYER.\n"
            "Blocks and containers of a loaded file are shown as the file writes them.",
            lambda s, rest, forced: s.list_lines(),
        ),
        Command(
            "explain", "explain [LAYER]", "the arithmetic of a layer (the last by default)",
            "Output size, parameters and MACs with the numbers substituted, e.g.\n"
            "H: (224 + 2·3 − 7) / 2 + 1 = 112.5 → 112. LAYER is a number or a name;\n"
            "a block or container explains every layer in it.",
            lambda s, rest, forced: s.explain(rest),
        ),
        Command(
            "verify", "verify", "check the figures with a NumPy forward pass",
            "Runs a random batch of 1 through the network with NumPy and compares\n"
            "every layer's output shape and parameter count with the computed ones.\n"
            "Says so when the forward pass is not installed.",
            lambda s, rest, forced: s.verify(),
        ),
        Command(
            "undo", "undo", "take back the last change",
            "Changes are adding, insert, del, set, input, layout and load. Undo as many times as you like.",
            lambda s, rest, forced: s.undo(),
        ),
        Command(
            "redo", "redo", "do again what undo took back",
            "Any new change empties the redo history.",
            lambda s, rest, forced: s.redo(),
        ),
        Command(
            "del", "del LAYER", "delete a layer (by number or name)",
            "Refused, with the reason, if a later layer reads it by name or no longer fits.\n"
            "Example: del 3, del conv1",
            lambda s, rest, forced: s.delete(rest),
        ),
        Command(
            "insert", "insert [before|after] LAYER LINE", "insert layers before (or after) LAYER",
            "LINE is in the layer syntax, ';' separating several.\n"
            "Example: insert pool1 bn; relu    insert after 2 dropout 0.1",
            lambda s, rest, forced: s.insert(rest),
        ),
        Command(
            "set", "set LAYER OPTION=VALUE …", "change a layer's options and re-propagate shapes",
            "Options are written as in a layer line: set conv1 s1, set conv1 64 k3 p=same,\n"
            "set 3 @stem (rename). 'option=' with no value restores the default.\n"
            "Lists the layers whose shape changes; refused, naming the layer it breaks,\n"
            "if a later layer no longer fits.",
            lambda s, rest, forced: s.set(rest),
        ),
        Command(
            "input", "input [SHAPE] [--layout hwc|chw]", "show or change the input shape",
            "SHAPE is H×W×C like 224x224x3 (C×H×W with the layout chw), or a feature\n"
            "count like 784. Refused if a layer no longer fits. --layout reads SHAPE in\n"
            "that layout and switches to it (see 'help layout'). A shape that looks like\n"
            "the other layout (3x32x32 in H×W×C) is taken as written, with a warning.",
            lambda s, rest, forced: s.set_input(rest),
        ),
        Command(
            "layout", "layout [hwc|chw]", "show or change the axis order of shapes",
            "hwc: H×W×C (channels last, Keras); chw: C×H×W (channels first, PyTorch).\n"
            "Shapes are read, shown and saved (the file's 'layout:') in it; the model\n"
            "does not change. 'convcalc shell --layout chw' starts in it.",
            lambda s, rest, forced: s.set_layout(rest),
        ),
        Command(
            "save", "save [FILE]", "write the model as an architecture file",
            "Writes YAML that 'convcalc model FILE' and 'load FILE' read back to the same\n"
            "model, atomically (a temporary file, then a rename). An existing FILE is\n"
            "overwritten only after you confirm, or with 'save! FILE'. Without FILE,\n"
            "writes the file last loaded or saved. A loaded file keeps its comments and\n"
            "formatting: only the entries and lines that changed are rewritten. Figures\n"
            "in its 'expect:' that the changes made stale are refreshed, and listed.",
            lambda s, rest, forced: s.save(rest, forced),
        ),
        Command(
            "load", "load FILE", "replace the model with a file's (or a bundled model's)",
            "FILE is an architecture file or a bundled name such as resnet50_stem.\n"
            "Undo goes back to the model you had.",
            lambda s, rest, forced: s.load(rest),
        ),
        Command(
            "help", "help [COMMAND|layers|KIND]", "this list, or more about one thing",
            "'help layers' explains the layer syntax; 'help conv' lists a kind's options.",
            lambda s, rest, forced: s.help(rest),
        ),
        Command(
            "quit", "quit", "leave the shell (asks first if there are unsaved changes)",
            "'quit!' leaves without asking. Ctrl-D does the same as quit; 'exit' too.",
            lambda s, rest, forced: s.quit(forced),
        ),
    )
}
"""Every command, in the order 'help' lists them."""
