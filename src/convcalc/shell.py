"""``convcalc shell``: build a network line by line and watch the shapes flow.

Two rooms. :class:`Session` holds the model being built — the input shape
and the list of layer entries, with undo and redo stacks of immutable
:class:`State` snapshots — and has one method per command, each returning
what to show (text or rich renderables) instead of printing, so tests drive
it without a terminal. :func:`run_shell` is the thin loop around it: line
editing, history and tab completion with the standard library's readline
when a person types, or plain line-by-line execution when a script is piped
in (no prompts, no colour, exit 2 at the first error, naming the line).

Every change is checked by turning the state into an architecture file's
text and loading it with :func:`convcalc.loader.parse_model`, so the shell
and files can never disagree; ``save`` writes that same text. A change that
does not load is refused with the loader's sentence, and the model is left
as it was.

>>> s = Session(parse_shape("224x224x3"))
>>> s.execute("conv 64 k7 s2 p3 @conv1; bn; relu")[0]
'  1  conv1           conv2d       224×224×3 → 112×112×64         9,472 params  118,013,952 MACs'
>>> s.execute("set conv1 s1")[-1]
'output 112×112×64 → 224×224×64; params 9,728 → 9,728; MACs 118,013,952 → 472,055,808'
>>> s.execute("undo")
['undone: set conv1 s1; output 112×112×64']
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import glob
import os
import re
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from difflib import get_close_matches
from pathlib import Path
from typing import Any, NamedTuple, TextIO

import yaml

from .errors import ConvCalcError, InputError
from .layers import KINDS, canonical_kind, spec_class
from .linesyntax import (
    COMMON_KEYS,
    KIND_ALIASES,
    POSITIONAL,
    SHORT_FLAGS,
    format_entry,
    kind_names,
    parse_layers,
    parse_options,
)
from .loader import LoadError, parse_model
from .model import Model, Summary, analyse
from .shapes import Layout, Shape, parse_shape

__all__ = [
    "COMMANDS",
    "NeedsConfirmation",
    "Session",
    "State",
    "VerificationFailed",
    "forward_check",
    "layers_to_model",
    "run_shell",
    "state_yaml",
]

SHELL_FILE = "<shell>"
"""The file name the loader sees for the shell's model; translated away in messages."""
EXIT_BAD_INPUT = 2


class NeedsConfirmation(InputError):
    """A command that would lose something; ``command`` does it anyway."""

    def __init__(self, message: str, question: str = "", command: str = "") -> None:
        super().__init__(message)
        self.question = question
        self.command = command

    def within(self, context: str) -> NeedsConfirmation:
        return NeedsConfirmation(f"{context}: {self.message}", self.question, self.command)


class VerificationFailed(ConvCalcError):
    """The forward pass disagreed with the computed figures."""


# ------------------------------------------------------------------ state


@dataclass(frozen=True, slots=True)
class State:
    """One snapshot of the model being built. Never mutated: commands make new ones."""

    input: Shape | None = None
    entries: tuple[Any, ...] = ()
    """Layer entries in the file format's plain-data form (``'relu'``, ``{'conv2d': {...}}``)."""
    layout: Layout = Layout.HWC
    header: tuple[tuple[str, Any], ...] = ()
    """Other top-level keys of a loaded file (name, params, blocks, output, …), in order."""


class Built(NamedTuple):
    """A state turned into a model."""

    model: Model
    summary: Summary
    entry_of: tuple[int, ...]
    """For each node, the index of the entry that made it."""


_FIRST_KEYS = ("name", "description")
_LAST_KEYS = ("output", "expect")


def _flow(value: Any) -> str:
    """``value`` as one line of flow-style YAML."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, allow_unicode=True, width=1 << 30)
    return text.removesuffix("...\n").rstrip("\n")


def _entry_text(entry: Any) -> str:
    """``conv2d: {filters: 64, kernel: 3}``: the form configs/ use."""
    if isinstance(entry, dict) and len(entry) == 1:
        ((kind, options),) = entry.items()
        return f"{_flow(kind)}:" if options is None else f"{_flow(kind)}: {_flow(options)}"
    return _flow(entry)


def _mapping_text(mapping: dict[str, Any]) -> str:
    """Top-level keys in block style, lists of numbers in flow style (``input: [224, 224, 3]``)."""
    # PyYAML writes a mapping of scalars alone as '{output: fc}', so one key at a time.
    return "".join(
        yaml.safe_dump(
            {key: value}, sort_keys=False, allow_unicode=True, width=100,
            default_flow_style=None if isinstance(value, (dict, list)) else False,
        )
        for key, value in mapping.items()
    )  # fmt: skip


def state_yaml(state: State) -> tuple[str, list[int]]:
    """The architecture file of ``state``, and the line (1-based) each entry starts on.

    >>> text, starts = state_yaml(State(Shape.of(32, 32, 3), ("relu", {"dense": {"units": 10}})))
    >>> print(text, end="")
    input: [32, 32, 3]
    layers:
    - relu
    - dense: {units: 10}
    >>> starts
    [3, 4, 5]
    """
    header = dict(state.header)
    head = {k: header[k] for k in _FIRST_KEYS if k in header}
    if state.layout is Layout.CHW:
        head["layout"] = state.layout.value
    if state.input is not None:
        head["input"] = list(state.input.ordered(state.layout))
    head.update({k: v for k, v in header.items() if k not in (*_FIRST_KEYS, *_LAST_KEYS)})
    text = _mapping_text(head) + "layers:\n"
    line = text.count("\n") + 1
    starts = []
    for entry in state.entries:
        starts.append(line)
        item = f"- {_entry_text(entry)}\n"
        text += item
        line += item.count("\n")
    starts.append(line)  # one past the last entry
    text += _mapping_text({k: header[k] for k in _LAST_KEYS if k in header})
    return text, starts


_WHERE = re.compile(re.escape(SHELL_FILE) + r":(\d+):\d+: ")


def _translate(message: str, starts: list[int], numbers: tuple[int, ...] | None = None) -> str:
    """``<shell>:7:12: layer 'c' …`` → ``layer 5 'c' …``: the user counts layers, not lines.

    ``numbers`` gives each entry the number the user knows it by, when that
    is not its position (during a ``del``, the layers after it keep theirs).
    """
    found = _WHERE.match(message)
    if not found:
        return message
    rest = message[found.end():]
    line = int(found.group(1))
    if not starts or not starts[0] <= line < starts[-1]:
        return rest
    index = bisect.bisect_right(starts, line) - 1
    number = numbers[index] if numbers else index + 1
    if rest.startswith("layer '"):
        return f"layer {number} {rest.removeprefix('layer ')}"
    return f"layer {number}: {rest}"


def build(state: State, name: str = "shell", numbers: tuple[int, ...] | None = None) -> Built:
    """Load ``state`` through the file loader; errors name layers by number."""
    text, starts = state_yaml(state)
    try:
        model = parse_model(text, SHELL_FILE, default_name=name)
    except LoadError as error:
        raise InputError(_translate(error.message, starts, numbers)) from None
    return Built(model, analyse(model), _entry_of(state, model, starts))


def _entry_of(state: State, model: Model, starts: list[int]) -> tuple[int, ...]:
    """Which entry made each node.

    A node written in the layers list is on its entry's line. A node that a
    block made is written in the block's definition instead; it belongs to
    the entry of the node before it while they share their outermost group,
    else to the next entry that uses a block (entries make their nodes in
    order).
    """
    blocks = dict(state.header).get("blocks")
    block_names = set(blocks) if isinstance(blocks, dict) else set()
    uses_block = [
        (next(iter(e)) if isinstance(e, dict) and e else e) in block_names for e in state.entries
    ]
    out: list[int] = []
    previous: Any = None
    for node in model.nodes:
        line = node.at.line if node.at else 0
        if starts and starts[0] <= line < starts[-1]:
            entry = bisect.bisect_right(starts, line) - 1
        elif out and node.path[:1] == previous.path[:1] and node.path:
            entry = out[-1]
        else:
            after = out[-1] + 1 if out else 0
            entry = next((i for i in range(after, len(uses_block)) if uses_block[i]), after)
        out.append(entry)
        previous = node
    return tuple(out)


def layers_to_model(text: str, input_shape: str, layout: Layout = Layout.HWC, name: str = "layers") -> Model:
    """The model of ``convcalc model --layers "conv 64 k7 s2 p3; bn; relu" --input 224x224x3``.

    >>> m = layers_to_model("conv 64 k7 s2 p3; bn; relu; maxpool k3 s2 p1", "224x224x3")
    >>> analyse(m).output.format()       # (224 + 6 − 7) // 2 + 1 = 112, then (112 + 2 − 3) // 2 + 1 = 56
    '56×56×64'
    >>> layers_to_model("conv 8 k3; maxpool k9", "4x4x1")
    Traceback (most recent call last):
      ...
    convcalc.errors.InputError: layer 2 'maxpool2d' (maxpool2d): kernel 9 is larger than the padded input 2 (H=2, padding=0)
    """
    shape = parse_shape(input_shape, layout)
    entries = parse_layers(text)
    if not entries:
        raise InputError(f"--layers {text!r} has no layers; give some, as in \"conv 64 k3 p1; bn; relu\"")
    return build(State(shape, tuple(entries), layout), name).model


def _write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and ``os.replace``: never half a file."""
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"cannot save to '{path}': folder '{folder}' does not exist")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as error:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise InputError(f"cannot save to '{path}' ({error.strerror or error})") from None


def forward_check(model: Model, summary: Summary) -> list[str]:
    """Run the NumPy forward pass, if convcalc.forward is there, and say what it found.

    The import is late: NumPy is heavy, and the forward package may be
    missing. A disagreement raises :class:`VerificationFailed`.
    """
    try:
        from .forward import check_memory, verify
    except ImportError:
        return ["verification isn't available: the NumPy forward pass (convcalc.forward) is not installed"]
    check_memory(model, batch=1, summary=summary)
    result = verify(model, summary)
    if not result.ok:
        listed = "; ".join(result.mismatches)
        raise VerificationFailed(f"the forward pass disagrees in {len(result.mismatches)} place(s): {listed}")
    layers = len(result.checks)
    return [f"verified: a NumPy forward pass agrees with the shapes and parameters of all {layers} layers ({result.seconds:.2f} s)"]


# ------------------------------------------------------------------ commands


class Command(NamedTuple):
    """A shell command: how to call it and what it does."""

    name: str
    usage: str
    summary: str
    details: str
    run: Callable[[Session, str, bool], list[Any]]
    """``run(session, rest of the line, forced by '!')``."""


class Session:
    """The model being built, and one method per command.

    Methods return a list of things to show (strings, or rich renderables
    for ``show``) and raise :class:`~convcalc.errors.ConvCalcError` with one
    sentence when a command cannot be done; the state is then unchanged.
    """

    def __init__(self, input: Shape | None = None, layout: Layout = Layout.HWC) -> None:
        self.state = State(input, (), layout)
        self.saved = self.state
        """The state last loaded or saved; :attr:`dirty` compares with it."""
        self.path: Path | None = None
        """The file ``save`` writes when given no name."""
        self.ask_before_quit = True
        self.finished = False
        self._undo: list[tuple[State, str]] = []
        self._redo: list[tuple[State, str]] = []
        self._cache: tuple[State, Built | None] | None = None

    # -------------------------------------------------------------- state

    @property
    def dirty(self) -> bool:
        return self.state != self.saved

    @property
    def name(self) -> str:
        header = dict(self.state.header)
        if isinstance(header.get("name"), str):
            return header["name"]
        return self.path.stem if self.path else "shell"

    def built(self, state: State | None = None, numbers: tuple[int, ...] | None = None) -> Built | None:
        """The model of ``state`` (the current one by default); None before any layer."""
        state = state or self.state
        if self._cache is not None and self._cache[0] is state:
            return self._cache[1]
        result = build(state, self.name, numbers) if state.entries else None
        self._cache = (state, result)
        return result

    def _commit(self, new: State, what: str, numbers: tuple[int, ...] | None = None) -> Built | None:
        """Check ``new`` loads, then make it current (undoably). Raises and changes nothing if not."""
        result = self.built(new, numbers)
        self._undo.append((self.state, what))
        self._redo.clear()
        self.state = new
        return result

    def forget_history(self) -> None:
        """Start the undo history afresh (after start-up) and count the state as saved."""
        self._undo.clear()
        self._redo.clear()

    def _blocks(self) -> tuple[str, ...]:
        """Names of the blocks a loaded file defines; lines may use them like kinds."""
        blocks = dict(self.state.header).get("blocks")
        return tuple(blocks) if isinstance(blocks, dict) else ()

    def _need_input(self) -> Shape:
        if self.state.input is None:
            raise InputError("there is no input shape yet; set it first, as in 'input 224x224x3'")
        return self.state.input

    def _output_text(self, built: Built | None) -> str:
        """``56×56×64``, or what there is before the first layer."""
        if built is None:
            shape = self.state.input
            return f"none yet (input {shape.format(self.state.layout)})" if shape else "none yet (no input)"
        return built.summary.output.format(self.state.layout)

    # -------------------------------------------------------------- naming layers

    def _entry_names(self, built: Built | None) -> list[str | None]:
        names: list[str | None] = [None] * len(self.state.entries)
        if built is None:
            return names
        for node, entry in zip(built.model.nodes, built.entry_of):
            if names[entry] is None:
                names[entry] = node.path[0] if node.path else node.name
        return names

    def _all_names(self) -> list[str]:
        built = self.built()
        if built is None:
            return []
        names = [n.name for n in built.model.nodes]
        names += [g for g in built.model.groups if g not in names]
        return names

    def _entry_index(self, word: str, command: str) -> int:
        """The entry a user means by a number (1-based) or a name."""
        count = len(self.state.entries)
        if not count:
            raise InputError(f"{command}: there are no layers yet")
        if word.isdigit():
            n = int(word)
            if not 1 <= n <= count:
                raise InputError(f"{command}: there is no layer {n}; layers are numbered 1 to {count}")
            return n - 1
        built = self.built()
        names = self._entry_names(built)
        if word in names:
            return names.index(word)
        if built is not None:
            for node, entry in zip(built.model.nodes, built.entry_of):
                if node.name == word or word in node.path:
                    outer = names[entry]
                    raise InputError(
                        f"{command}: {word!r} is inside {outer!r} (layer {entry + 1}); "
                        f"{command} works on whole entries, so use {outer!r} or {entry + 1}"
                    )
        close = get_close_matches(word, [n for n in names if n], n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else "; 'list' shows the layers with their numbers"
        raise InputError(f"{command}: no layer is named {word!r}{hint}")

    def _node_indices(self, word: str | None, command: str) -> list[int]:
        built = self.built()
        if built is None:
            raise InputError(f"{command}: there are no layers yet")
        nodes = built.model.nodes
        if word is None:
            return [len(nodes) - 1]
        for i, node in enumerate(nodes):
            if node.name == word:
                return [i]
        inside = [i for i, node in enumerate(nodes) if word in node.path]
        if inside:
            return inside
        entry = self._entry_index(word, command)
        return [i for i, e in enumerate(built.entry_of) if e == entry]

    # -------------------------------------------------------------- showing layers

    def _row_lines(self, built: Built, entries: range) -> list[str]:
        layout = self.state.layout
        lines = []
        for row, entry in zip(built.summary.rows, built.entry_of):
            if entry not in entries:
                continue
            r = row.result
            shapes = f"{row.inputs[0].format(layout)} → {r.output.format(layout)}"
            lines.append(
                f"{entry + 1:>3}  {row.node.name:<15} {row.node.spec.kind:<12} {shapes:<24} "
                f"{r.params:>11,} params  {r.macs:,} MACs"
            )
        return lines

    def _changes(self, old: Built | None, new: Built | None) -> list[str]:
        """What a change did downstream: layers whose output moved, and the totals."""
        if new is None:
            return [f"output {self._output_text(None)}"]
        lines = []
        layout = self.state.layout
        if old is not None and len(old.summary.rows) == len(new.summary.rows):
            moved = [
                f"  {b.node.name}: {a.result.output.format(layout)} → {b.result.output.format(layout)}"
                for a, b in zip(old.summary.rows, new.summary.rows)
                if a.result.output != b.result.output
            ]
            if moved:
                shown = moved[:8] + ([f"  … and {len(moved) - 8} more"] if len(moved) > 8 else [])
                lines += [f"{len(moved)} layer(s) change shape:", *shown]
        if old is None:
            return [*lines, f"output {self._output_text(new)}"]
        a, b = old.summary.totals, new.summary.totals
        lines.append(
            f"output {self._output_text(old)} → {self._output_text(new)}; "
            f"params {a.params:,} → {b.params:,}; MACs {a.macs:,} → {b.macs:,}"
        )
        return lines

    # -------------------------------------------------------------- the commands

    def execute(self, line: str) -> list[Any]:
        """Run one line typed at the prompt: a command, or layers to add."""
        text = line.strip()
        if not text or text.startswith("#"):
            return []
        word, _, rest = text.partition(" ")
        key = word.lower()
        forced = key.endswith("!") and len(key) > 1
        key = key.rstrip("!") if forced else key
        command = COMMANDS.get(_COMMAND_ALIASES.get(key, key))
        if command is not None:
            return command.run(self, rest.strip(), forced)
        if key in kind_names() or word in self._blocks():
            return self.add(text)
        close = get_close_matches(key, [*COMMANDS, *kind_names()], n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else "; type 'help' for the commands and 'help layers' for the kinds"
        raise InputError(f"{word!r} is neither a command nor a layer kind{hint}")

    def add(self, text: str) -> list[Any]:
        """Append the layers of ``text`` (``;`` separates several)."""
        self._need_input()
        start = len(self.state.entries)
        entries = parse_layers(text, first=start + 1, blocks=self._blocks())
        if not entries:
            return []
        built = self._commit(replace(self.state, entries=self.state.entries + tuple(entries)), f"add {text.strip()}")
        assert built is not None  # there is at least one entry now
        return self._row_lines(built, range(start, start + len(entries)))

    def insert(self, text: str) -> list[Any]:
        """``insert [before|after] LAYER LINE``."""
        words = text.split(None, 1)
        where = "before"
        if words and words[0].lower() in ("before", "after") and len(words) > 1:
            where = words[0].lower()
            words = words[1].split(None, 1)
        if len(words) < 2:
            raise InputError("insert needs a layer and the line to insert, as in 'insert conv1 bn' or 'insert after 3 relu'")
        self._need_input()
        index = self._entry_index(words[0], "insert") + (where == "after")
        entries = parse_layers(words[1], first=index + 1, blocks=self._blocks())
        if not entries:
            raise InputError("insert: nothing to insert after the layer; give a line such as 'relu'")
        old = self.built()
        new_entries = self.state.entries[:index] + tuple(entries) + self.state.entries[index:]
        built = self._commit(replace(self.state, entries=new_entries), f"insert {text}")
        assert built is not None
        return [*self._row_lines(built, range(index, index + len(entries))), *self._changes(old, built)[-1:]]

    def delete(self, text: str) -> list[Any]:
        """``del LAYER``."""
        if not text:
            raise InputError("del needs a layer: its number or name, as in 'del 3' or 'del conv1'")
        index = self._entry_index(text.split()[0], "del")
        old = self.built()
        name = self._entry_names(old)[index] or f"layer {index + 1}"
        entries = self.state.entries[:index] + self.state.entries[index + 1:]
        numbers = tuple(n for n in range(1, len(self.state.entries) + 1) if n != index + 1)
        try:
            built = self._commit(replace(self.state, entries=entries), f"del {text}", numbers)
        except ConvCalcError as error:
            raise InputError(f"cannot delete {name!r}: without it, {error.message}") from None
        return [f"deleted layer {index + 1} {name!r}; {len(entries)} left", *self._changes(old, built)[-1:]]

    def set(self, text: str) -> list[Any]:
        """``set LAYER option=value …``; ``option=`` restores the default."""
        words = text.split()
        if len(words) < 2:
            raise InputError("set needs a layer and options, as in 'set conv1 s2' or 'set 3 bias=false'")
        index = self._entry_index(words[0], "set")
        entry = self.state.entries[index]
        if isinstance(entry, dict) and len(entry) == 1:
            ((word, options),) = entry.items()
            options = dict(options) if isinstance(options, dict) else {}
        else:
            word, options = entry, {}
        try:
            kind: str | None = canonical_kind(word)
        except ConvCalcError:
            kind = None  # a block or a container: options by key=value only
        changes = parse_options(kind, words[1:], allow_unset=True)
        for option, value in changes.items():
            if value is None:
                options.pop(option, None)
            else:
                options[option] = value
        new_entry: Any = {word: options} if options else word
        old = self.built()
        entries = (*self.state.entries[:index], new_entry, *self.state.entries[index + 1:])
        try:
            built = self._commit(replace(self.state, entries=entries), f"set {text}")
        except ConvCalcError as error:
            label = self._entry_names(old)[index] or f"layer {index + 1}"
            raise InputError(f"{label!r} not changed: with {' '.join(words[1:])}, {error.message}") from None
        return self._changes(old, built)

    def set_input(self, text: str) -> list[Any]:
        """``input [SHAPE]``: show or change the input shape."""
        if not text:
            shape = self.state.input
            return [f"input {shape.format(self.state.layout)}" if shape else "no input shape yet; set one, as in 'input 224x224x3'"]
        shape = parse_shape(text, self.state.layout)
        old = self.built()
        try:
            built = self._commit(replace(self.state, input=shape), f"input {text}")
        except ConvCalcError as error:
            raise InputError(f"input not changed: with {shape.format(self.state.layout)}, {error.message}") from None
        return [f"input {shape.format(self.state.layout)}", *self._changes(old, built)]

    def show(self) -> list[Any]:
        """The model table with totals."""
        built = self.built()
        if built is None:
            return ["no layers yet; add one, as in 'conv 64 k3 p1'"]
        from .render import model_table
        from .report import display_rows

        return [model_table(built.summary, display_rows(built.summary), self.state.layout)]

    def list_lines(self) -> list[Any]:
        """Every entry as the line that adds it, numbered."""
        if not self.state.entries:
            return ["no layers yet"]
        out = []
        for i, entry in enumerate(self.state.entries, 1):
            try:
                line = format_entry(entry)
            except ConvCalcError:
                line = _entry_text(entry)  # blocks and containers, as the file has them
            out.append(f"{i:>3}  {line}")
        return out

    def explain(self, text: str) -> list[Any]:
        """``explain [LAYER]``: the arithmetic of a layer (the last by default)."""
        from .explain import explain as explain_layer

        indices = self._node_indices(text.split()[0] if text else None, "explain")
        built = self.built()
        assert built is not None
        layout = self.state.layout
        out = []
        for i in indices:
            row = built.summary.rows[i]
            inputs = " and ".join(s.format(layout) for s in row.inputs)
            out.append(f"{row.node.name} ({row.node.spec.kind}): {inputs} → {row.result.output.format(layout)}")
            out += ["  " + line for line in explain_layer(row.node.spec, *row.inputs)]
        return out

    def verify(self) -> list[Any]:
        """Run the NumPy forward pass and compare it with the figures."""
        built = self.built()
        if built is None:
            raise InputError("verify: there are no layers yet")
        return forward_check(built.model, built.summary)

    def undo(self) -> list[Any]:
        if not self._undo:
            raise InputError("nothing to undo")
        state, what = self._undo.pop()
        self._redo.append((self.state, what))
        self.state = state
        return [f"undone: {what}; output {self._output_text(self.built())}"]

    def redo(self) -> list[Any]:
        if not self._redo:
            raise InputError("nothing to redo")
        state, what = self._redo.pop()
        self._undo.append((self.state, what))
        self.state = state
        return [f"redone: {what}; output {self._output_text(self.built())}"]

    def save(self, text: str, force: bool = False) -> list[Any]:
        """``save [FILE]``; an existing file is overwritten only when forced (``save!``)."""
        given = text.split()[0] if text else ""
        if not given and self.path is None:
            raise InputError("save needs a file name, as in 'save net.yaml'")
        path = Path(os.path.expanduser(given)) if given else self.path
        assert path is not None
        if not self.state.entries:
            raise InputError("nothing to save: the model has no layers yet")
        if path.is_dir():
            raise InputError(f"cannot save to '{path}': it is a folder; give a file name")
        if path.exists() and given and not force:
            raise NeedsConfirmation(
                f"'{path}' already exists; use 'save! {path}' to overwrite it",
                f"'{path}' already exists; overwrite it?",
                f"save! {path}",
            )
        text_, _ = state_yaml(self.state)
        _write_atomically(path, "# written by convcalc shell\n" + text_)
        self.saved = self.state
        self.path = path
        return [f"saved {len(self.state.entries)} layers to {path}"]

    def load(self, text: str) -> list[Any]:
        """``load FILE`` (or a bundled model's name); undo goes back."""
        if not text:
            raise InputError("load needs a file, as in 'load net.yaml', or a bundled model's name")
        from .catalog import resolve
        from .loader import load_model
        from .yamlnodes import parse_yaml

        given = os.path.expanduser(text.split()[0])
        path = resolve(given)
        load_model(path)  # file:line:col messages for a bad file
        plain = parse_yaml(path.read_text(encoding="utf-8"), str(path)).plain()
        layout = Layout(plain.get("layout", "hwc"))
        dims = plain["input"]
        shape = Shape(tuple(dims[1:] + dims[:1]) if layout is Layout.CHW and len(dims) == 3 else tuple(dims))
        header = tuple((k, v) for k, v in plain.items() if k not in ("input", "layers", "layout"))
        if "name" not in plain:
            header = (("name", path.stem), *header)
        state = State(shape, tuple(plain["layers"]), layout, header)
        built = self._commit(state, f"load {text}")
        self.saved = state
        self.path = path if Path(given).exists() else None  # not a bundled file inside the package
        return [f"loaded {path}: {len(state.entries)} entries, output {self._output_text(built)} (undo goes back)"]

    def quit(self, force: bool = False) -> list[Any]:
        if self.dirty and self.ask_before_quit and not force:
            raise NeedsConfirmation(
                "there are unsaved changes; save them, or use 'quit!' to quit anyway",
                "There are unsaved changes. Quit without saving?",
                "quit!",
            )
        self.finished = True
        return []

    def help(self, text: str) -> list[Any]:
        """``help [COMMAND | layers | KIND]``."""
        topic = text.split()[0].lower().rstrip("!") if text else ""
        if not topic:
            width = max(len(c.usage) for c in COMMANDS.values())
            return [
                "Type a layer to add it (conv 64 k3 p1; bn; relu), or a command:",
                *(f"  {c.usage:<{width}}  {c.summary}" for c in COMMANDS.values()),
                "'help COMMAND' tells more; 'help layers' the line syntax; 'help KIND' a kind's options.",
                "Tab completes; Ctrl-C abandons the line; Ctrl-D quits.",
            ]
        topic = _COMMAND_ALIASES.get(topic, topic)
        if topic in COMMANDS:
            c = COMMANDS[topic]
            return [f"{c.usage} — {c.summary}", *("  " + line for line in c.details.splitlines())]
        if topic in ("layers", "layer", "syntax", "kinds"):
            return _syntax_help()
        if topic in kind_names():
            return _kind_help(KIND_ALIASES.get(topic, topic))
        close = get_close_matches(topic, [*COMMANDS, *kind_names(), "layers"], n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else "; type 'help' for the list"
        raise InputError(f"help: no command or layer kind is called {topic!r}{hint}")

    # -------------------------------------------------------------- completion

    def complete(self, before: str, text: str) -> list[str]:
        """Candidates for the word ``text`` being typed after ``before`` on the line."""
        segment = before.rsplit(";", 1)[-1]
        words = segment.split()
        if not words:
            starts = [*kind_names(), *self._blocks()]
            return _matching(starts if ";" in before else [*COMMANDS, *starts], text)
        first = words[0].lower().rstrip("!")
        first = _COMMAND_ALIASES.get(first, first)
        if first in kind_names() and first not in COMMANDS:
            return self._complete_options(KIND_ALIASES.get(first, first), text)
        if first == "help":
            return _matching([*COMMANDS, "layers", *kind_names()], text) if len(words) == 1 else []
        if first in ("save", "load"):
            return _complete_path(text) if len(words) == 1 else []
        if first in ("del", "explain"):
            return _matching(self._all_names(), text) if len(words) == 1 else []
        if first == "set":
            if len(words) == 1:
                return _matching(self._all_names(), text)
            return self._complete_options(self._kind_of(words[1]), text)
        if first == "insert":
            rest = words[1:]
            if rest and rest[0].lower() in ("before", "after"):
                rest = rest[1:]
            if not rest:
                extra = ["before", "after"] if len(words) == 1 else []
                return _matching([*extra, *self._all_names()], text)
            if len(rest) == 1:
                return _matching([*kind_names(), *self._blocks()], text)
            return self._complete_options(KIND_ALIASES.get(rest[1].lower(), rest[1].lower()), text)
        return []

    def _kind_of(self, word: str) -> str | None:
        try:
            entry = self.state.entries[self._entry_index(word, "set")]
        except ConvCalcError:
            return None
        key = next(iter(entry)) if isinstance(entry, dict) else entry
        try:
            return canonical_kind(key)
        except ConvCalcError:
            return None

    def _complete_options(self, kind: str | None, text: str) -> list[str]:
        if text.startswith("from="):
            done, _, last = text[5:].rpartition(",")
            prefix = "from=" + (done + "," if done else "")
            return [prefix + n for n in _matching(["input", *self._all_names()], last)]
        if kind not in KINDS:
            return _matching(["name=", "from=", "trainable=false"], text)
        candidates = []
        cls = spec_class(kind)
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if isinstance(f.default, bool):
                candidates += [f.name, f"{f.name}=false"] if not f.default else [f"{f.name}=false"]
            elif f.name == "mode":
                candidates += ["mode=nearest", "mode=bilinear"]
            elif f.name == "padding":
                candidates += ["padding=", "padding=same", "padding=valid"]
            else:
                candidates.append(f"{f.name}=")
        candidates += ["name=", "from=", "trainable=false"]
        return _matching(candidates, text)


def _matching(words: list[str], text: str) -> list[str]:
    return [w for w in dict.fromkeys(words) if w.startswith(text)]


def _complete_path(text: str) -> list[str]:
    found = sorted(glob.glob(os.path.expanduser(text) + "*"))
    if text.startswith("~"):
        home = os.path.expanduser("~")
        found = ["~" + f[len(home):] for f in found]
    return [f + "/" if os.path.isdir(os.path.expanduser(f)) else f for f in found]


def _syntax_help() -> list[str]:
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


def _kind_help(kind: str) -> list[str]:
    cls = spec_class(kind)
    lines = [f"{kind}: " + (cls.__doc__ or "").strip().splitlines()[0].replace("``", "'")]
    if kind in POSITIONAL:
        lines.append(f"  count: {POSITIONAL[kind]} ({kind} {POSITIONAL[kind].upper()} …)")
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if not fields:
        lines.append("  no options")
    for f in fields:
        short = next((s for s, o in SHORT_FLAGS.items() if o == f.name), None)
        how = f" (or {short}N)" if short else ""
        default = "required" if f.default is dataclasses.MISSING else f"default {f.default!r}".replace("True", "true").replace("False", "false")
        doc = f"; {f.metadata['doc']}" if f.metadata.get("doc") else ""
        lines.append(f"  {f.name}{how}: {default}{doc}")
    lines.append("  and name=, from=, trainable=, if= as for every layer")
    return lines


_COMMAND_ALIASES = {"exit": "quit", "delete": "del", "rm": "del", "ls": "list", "?": "help"}


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command(
            "show", "show", "the model table with totals",
            "Every layer's output shape, parameters and MACs, then the totals\n"
            "(parameters, MACs, memory). Blocks from a loaded file show as groups.",
            lambda s, rest, forced: s.show(),
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
            "Changes are adding, insert, del, set, input and load. Undo as many times as you like.",
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
            "input", "input [SHAPE]", "show or change the input shape",
            "SHAPE is H×W×C like 224x224x3 (C×H×W for a file with layout: chw),\n"
            "or a feature count like 784. Refused if a layer no longer fits.",
            lambda s, rest, forced: s.set_input(rest),
        ),
        Command(
            "save", "save [FILE]", "write the model as an architecture file",
            "Writes YAML that 'convcalc model FILE' and 'load FILE' read back to the same\n"
            "model, atomically (a temporary file, then a rename). An existing FILE is\n"
            "overwritten only after you confirm, or with 'save! FILE'. Without FILE,\n"
            "writes the file last loaded or saved. Comments of a loaded file are not kept.",
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


# ------------------------------------------------------------------ the loop


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _start(session: Session, input_shape: str | None, path: str | None) -> list[Any]:
    """Open FILE (or remember it as new) and apply --input."""
    out: list[Any] = []
    if path is not None:
        if Path(path).exists():
            out += session.load(path)
        else:
            session.path = Path(path)
            out.append(f"{path} does not exist yet; 'save' will create it")
    if input_shape is not None:
        if session.state.entries:
            out += session.set_input(input_shape)
        else:
            session.state = replace(session.state, input=parse_shape(input_shape, session.state.layout))
            session.saved = session.state
    session.forget_history()
    return out


def run_shell(
    input_shape: str | None = None,
    path: str | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    layout: Layout = Layout.HWC,
) -> int:
    """``convcalc shell [--input SHAPE] [FILE]``; returns the exit code.

    With ``stdin`` a terminal: an interactive prompt. Otherwise the lines
    are run in order without prompts or colour, stopping with exit code 2
    at the first error, whose message names the line.
    """
    from rich.console import Console

    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    interactive = _isatty(stdin)
    session = Session(layout=layout)
    session.ask_before_quit = interactive
    if interactive:
        out = Console(file=stdout, highlight=False)
        err = Console(file=stderr, highlight=False)
    else:
        out = Console(file=stdout, highlight=False, color_system=None, width=160, soft_wrap=False)
        err = Console(file=stderr, highlight=False, color_system=None, width=160)
    try:
        _show(out, _start(session, input_shape, path))
    except ConvCalcError as error:
        _error(err, error.message)
        return EXIT_BAD_INPUT
    if interactive:
        return _interactive(session, stdin, stdout, out, err)
    return _piped(session, stdin, out, err)


def _show(console: Any, reply: list[Any]) -> None:
    for item in reply:
        if isinstance(item, str):
            console.print(item, markup=False, soft_wrap=True)
        else:
            console.print(item)


def _error(console: Any, message: str) -> None:
    from rich.text import Text

    console.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)


def _piped(session: Session, stdin: TextIO, out: Any, err: Any) -> int:
    number = 0
    try:
        for number, line in enumerate(stdin, 1):  # noqa: B007 - number is reported after the loop
            _show(out, session.execute(line))
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
        built = session.built()
    except ConvCalcError:  # pragma: no cover - every committed state loads
        built = None
    if built is not None:
        where = built.summary.output.format(session.state.layout)
    elif session.state.input is not None:
        where = session.state.input.format(session.state.layout)
    else:
        where = "no input"
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
        _show(out, reply)
    except ConvCalcError as error:
        _error(err, error.message)
    except KeyboardInterrupt:
        _error(err, "interrupted; the model is as it was")
    except Exception as error:  # a bug; the model is safe because commands commit last
        _error(err, f"internal error ({type(error).__name__}: {error}); the model is as it was — please report it")


if __name__ == "__main__":  # pragma: no cover - python -m convcalc.shell [FILE] for scripts and tests
    import argparse

    parser = argparse.ArgumentParser(prog="python -m convcalc.shell")
    parser.add_argument("--input")
    parser.add_argument("file", nargs="?")
    args = parser.parse_args()
    sys.exit(run_shell(args.input, args.file))
