"""The model being built, and what each command does to it.

A :class:`Session` holds the current :class:`~convcalc.shell.state.State`
with undo and redo stacks of earlier ones, and has one method per command.
Each method returns what to show (text, or rich renderables for ``show``)
instead of printing, so tests drive it without a terminal, and raises
:class:`~convcalc.errors.ConvCalcError` with one sentence when the command
cannot be done. A change is committed only once the new state loads, so a
refused command leaves the model as it was.

>>> s = Session(parse_shape("224x224x3"))
>>> s.execute("conv 64 k7 s2 p3 @conv1; bn; relu")[0]
'  1  conv1           conv2d       224×224×3 → 112×112×64         9,472 params  118,013,952 MACs'
>>> s.execute("set conv1 s1")[-1]
'output 112×112×64 → 224×224×64; params 9,728 → 9,728; MACs 118,013,952 → 472,055,808'
>>> s.execute("undo")
['undone: set conv1 s1; output 112×112×64']
"""

from __future__ import annotations

import dataclasses
import glob
import os
import re
from dataclasses import replace
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from ..errors import ConvCalcError, InputError
from ..layers import KINDS, canonical_kind, spec_class
from ..linesyntax import KIND_ALIASES, format_entry, kind_names, parse_layers, parse_options
from ..model import Row
from ..shapes import Layout, Shape, parse_shape
from .commands import COMMAND_ALIASES, COMMANDS, kind_help, syntax_help
from .growing import Growing
from .keeping import change_text, saved_file
from .state import Built, Origin, State, build, entry_text, forward_check, write_atomically

__all__ = ["NeedsConfirmation", "Note", "Session"]


class Note(str):
    """A remark beside a reply — a warning or a hint, such as ``warning: 3x32x32 reads as
    H=3, …`` — that the terminal prints to stderr; the command itself succeeded."""


class NeedsConfirmation(InputError):
    """A command that would lose something; ``command`` does it anyway."""

    def __init__(self, message: str, question: str = "", command: str = "") -> None:
        super().__init__(message)
        self.question = question
        self.command = command

    def within(self, context: str) -> NeedsConfirmation:
        return NeedsConfirmation(f"{context}: {self.message}", self.question, self.command)



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
        self._undo: list[tuple[_Step, str]] = []
        self._redo: list[tuple[_Step, str]] = []
        self._cache: tuple[State, Built | None] | None = None
        self._growing: Growing | None = None
        """The loader's builder of the current state, when layers were appended to it."""
        self._widths = _ROW_WIDTHS
        """The echoed rows' column widths: they grow to the longest content shown, never shrink."""

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
        if self._growing is not None and self._growing.state is state:
            return self._growing.built()
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

    def _append(self, entries: list[Any], what: str) -> list[tuple[int, Row]]:
        """Append ``entries`` (undoably); the new rows with their entry's index.

        The common case, a line of layers after the last, reads only the new
        entries (:class:`~convcalc.shell.growing.Growing`), and the undo
        history records how many were added rather than a copy of every
        entry, so a script of N lines costs time and memory in proportion to
        N. Raises and changes nothing if the entries do not load.
        """
        new = replace(self.state, entries=self.state.entries + tuple(entries))
        growing, self._growing = self._growing, None  # a failed extend leaves it half-grown
        if growing is not None and growing.state is self.state:
            rows = growing.extend(new, entries)
        else:
            growing = Growing.start(new, self.name)
            built = growing.built() if growing is not None else self.built(new)
            assert built is not None  # there is at least one entry now
            first = len(self.state.entries)
            rows = [(e, row) for e, row in zip(built.entry_of, built.summary.rows) if e >= first]
        self._growing = growing
        self._undo.append((_Trim(len(entries)), what))
        self._redo.clear()
        self.state = new
        return rows

    def forget_history(self) -> None:
        """Start the undo history afresh (after start-up)."""
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

    def output_shape(self) -> Shape | None:
        """The current output (the input before any layer); cheap after appending, for the prompt."""
        if self._growing is not None and self._growing.state is self.state:
            return self._growing.output
        built = self.built()
        return built.summary.output if built is not None else self.state.input

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

    def _rows(self, rows: list[tuple[int, Row]]) -> list[str]:
        """Echoed rows, ``  1  conv1  conv2d  224×224×3 → 112×112×64  9,472 params  …``.

        Columns are as wide as the longest number, name, kind, shapes and
        parameter count shown so far in this session (at least
        :data:`_ROW_WIDTHS`), so a 16-character name widens its column
        instead of pushing the rest of its row out of line.
        """
        layout = self.state.layout
        cells = [
            (
                str(entry + 1), row.node.name, row.node.spec.kind,
                f"{row.inputs[0].format(layout)} → {row.result.output.format(layout)}",
                f"{row.result.params:,}", f"{row.result.macs:,}",
            )
            for entry, row in rows
        ]  # fmt: skip
        w = list(self._widths)
        for cell in cells:
            for i in range(5):  # the MACs, last, are not padded
                w[i] = max(w[i], len(cell[i]))
        self._widths = tuple(w)
        return [
            f"{n:>{w[0]}}  {name:<{w[1]}} {kind:<{w[2]}} {shapes:<{w[3]}} {params:>{w[4]}} params  {macs} MACs"
            for n, name, kind, shapes, params, macs in cells
        ]

    def _hints(self, rows: list[tuple[int, Row]]) -> list[Note]:
        """A one-line hint for a dense layer given a map rather than a vector.

        It is legitimate — the same dense layer at every position, a 1×1
        convolution — but a classifier head more often wants the map
        flattened or pooled first.
        """
        out = []
        for entry, row in rows:
            x = row.inputs[0]
            if row.node.spec.kind == "dense" and x.rank >= 2:
                pool = f"global_avgpool{x.spatial_rank}d"
                positions = "×".join(str(d) for d in x.spatial)
                out.append(Note(
                    f"hint: layer {entry + 1} {row.node.name!r} (dense) works on each of the {positions} positions "
                    f"of the {x.format(self.state.layout)} map, like a 1×1 convolution; "
                    f"did you mean flatten or {pool} first?"
                ))  # fmt: skip
        return out

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
        text = line.strip().lstrip("; \t")  # '; relu', like 'relu;', is one layer
        if not text or text.startswith("#"):
            return []
        _check_utf8(line)
        word, _, rest = text.partition(" ")
        key = word.lower()
        forced = key.endswith("!") and len(key) > 1
        key = key.rstrip("!") if forced else key
        command = COMMANDS.get(COMMAND_ALIASES.get(key, key))
        if command is not None:
            return command.run(self, rest.strip(), forced)
        head = re.split(r"[;#]", word, maxsplit=1)[0]  # 'bn;relu' adds two layers; 'relu#x' is relu
        if head.lower() in kind_names() or head in self._blocks():
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
        rows = self._append(entries, f"add {text.strip()}")
        return [*self._rows(rows), *self._hints(rows)]

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
        rows = [(e, row) for row, e in zip(built.summary.rows, built.entry_of) if index <= e < index + len(entries)]
        return [*self._rows(rows), *self._changes(old, built)[-1:], *self._hints(rows)]

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
        """``input [SHAPE] [--layout hwc|chw]``: show or change the input shape (and the layout it is read in).

        A 3-D shape that reads like C×H×W in H×W×C (or the other way round)
        is taken as written, with a warning (:func:`swapped_warning`).
        """
        words = text.split()
        layout = self.state.layout
        if "--layout" in words or any(w.startswith("--layout=") for w in words):
            layout, words = _layout_option(words)
        if not words:
            if layout is not self.state.layout:
                return self.set_layout(layout.value)
            shape = self.state.input
            return [f"input {shape.format(layout)}" if shape else "no input shape yet; set one, as in 'input 224x224x3'"]
        shape = parse_shape(" ".join(words), layout)
        before = self.state.layout
        old = self.built()
        new = replace(self.state, input=shape, layout=layout, header=_reordered_expect(self.state, layout))
        try:
            built = self._commit(new, f"input {text}")
        except ConvCalcError as error:
            raise InputError(f"input not changed: with {shape.format(layout)}, {error.message}") from None
        switched = f"; layout {layout.value}: shapes are read and shown as {_axes(layout)}" if layout is not before else ""
        warning = swapped_warning(shape, layout)
        return [
            f"input {shape.format(layout)}{switched}",
            *self._changes(old, built),
            *([Note(f"warning: {warning}")] if warning else []),
        ]

    def set_layout(self, text: str) -> list[Any]:
        """``layout [hwc|chw]``: show or change the axis order shapes are read, shown and saved in."""
        word = text.split()[0].lower() if text.split() else ""
        current = self.state.layout
        if not word:
            return [f"layout {current.value}: shapes are read and shown as {_axes(current)}"]
        layout = _layout(word)
        if layout is current:
            return [f"layout {current.value} already: shapes are read and shown as {_axes(current)}"]
        new = replace(self.state, layout=layout, header=_reordered_expect(self.state, layout))
        self._commit(new, f"layout {layout.value}")
        shape = self.state.input
        where = f"; input {shape.format(layout)}" if shape is not None else ""
        return [f"layout {layout.value}: shapes are read and shown as {_axes(layout)}{where}"]

    def show(self, text: str = "") -> list[Any]:
        """``show [DEPTH] [FIRST-LAST | LAYER]``: the model table with totals.

        DEPTH counts levels as ``convcalc model --depth`` (and torchinfo)
        does: 1 is one row per entry, a block or container as one row.
        FIRST-LAST are layer numbers as ``list`` gives them (``10-20``,
        ``10-``, ``-5``); LAYER a layer's or group's name, for it and what
        is inside it. The totals are always the whole model's.
        """
        built = self.built()
        if built is None:
            return ["no layers yet; add one, as in 'conv 64 k3 p1'"]
        from ..report import display_rows

        depth, keep, what = self._show_args(text, built)
        rows = display_rows(built.summary, None if depth is None else max(depth, 1) - 1)
        shown = [r for r in rows if keep(r)]
        out: list[Any] = [ModelView(built.summary, shown, self.state.layout)]
        if what:
            out.append(f"{what}: {len(shown)} of {len(rows)} rows; the totals are the whole model's")
        return out

    def _show_args(self, text: str, built: Built) -> tuple[int | None, Any, str]:
        """``show``'s words: (depth or None, which rows to keep, what the selection was)."""
        depth: int | None = None
        keep: Any = lambda row: True  # noqa: E731 - the default selection
        what = ""
        for word in text.split():
            span = re.fullmatch(r"(\d*)-(\d*)", word)
            if word.isdigit() and word.isascii():
                if depth is not None:
                    raise InputError(f"show takes one depth, got {depth} and {word}; as in 'show 2 10-20'")
                depth = int(word)
                continue
            if what:
                raise InputError(f"show takes one range or layer, got {what.split()[-1]!r} and {word!r}; as in 'show 2 10-20'")
            if span and word != "-":
                count = len(self.state.entries)
                first = int(span.group(1) or 1)
                last = min(int(span.group(2) or count), count)
                if not 1 <= first <= count:
                    raise InputError(f"show: there is no layer {first}; layers are numbered 1 to {count}")
                if last < first:
                    raise InputError(f"show: {word} has nothing in it; write FIRST-LAST with FIRST ≤ LAST, as in 'show 10-20'")
                keep = lambda row, a=first - 1, b=last - 1, e=built.entry_of: a <= e[row.index] <= b  # noqa: E731
                what = f"layers {first}-{last}"
                continue
            names = self._all_names()
            if word not in names:
                close = get_close_matches(word, names, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else "; give a depth, a range such as 10-20, or a layer's name"
                raise InputError(f"show: no layer or group is named {word!r}{hint}")
            keep = lambda row, name=word: row.name == name or name in row.path  # noqa: E731
            what = repr(word)
        return depth, keep, what

    def list_lines(self) -> list[Any]:
        """Every entry as the line that adds it, numbered."""
        if not self.state.entries:
            return ["no layers yet"]
        out = []
        for i, entry in enumerate(self.state.entries, 1):
            try:
                line = format_entry(entry)
            except ConvCalcError:
                line = entry_text(entry)  # blocks and containers, as the file has them
            out.append(f"{i:>3}  {line}")
        return out

    def explain(self, text: str) -> list[Any]:
        """``explain [LAYER]``: the arithmetic of a layer (the last by default)."""
        from ..explain import explain as explain_layer

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
        return self._travel(self._undo, self._redo, "undo", "undone")

    def redo(self) -> list[Any]:
        return self._travel(self._redo, self._undo, "redo", "redone")

    def _travel(self, source: list[Any], target: list[Any], verb: str, done: str) -> list[Any]:
        """Step back (undo) or forward (redo): the state left goes on the other stack."""
        if not source:
            raise InputError(f"nothing to {verb}")
        step, what = source.pop()
        if isinstance(step, _Trim):
            entries = self.state.entries
            state = replace(self.state, entries=entries[: len(entries) - step.count])
            target.append((_Extend(entries[len(entries) - step.count :]), what))
        elif isinstance(step, _Extend):
            state = replace(self.state, entries=self.state.entries + step.entries)
            target.append((_Trim(len(step.entries)), what))
        else:
            state = step
            target.append((self.state, what))
        self.state = state
        return [f"{done}: {what}; output {self._output_text(self.built())}"]

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
        built = self.built()
        assert built is not None  # there are entries, and every committed state loads
        saved = saved_file(self.state, built.summary)
        write_atomically(path, saved.text)
        state = replace(saved.state, origin=None)
        self._rebase(replace(state, origin=Origin(saved.text, state)))
        self.saved = self.state
        self.path = path
        out: list[Any] = [f"saved {len(self.state.entries)} layers to {path}"]
        if saved.refreshed:
            listed = "; ".join(change_text(*c) for c in saved.refreshed[:4]) + ("; …" if len(saved.refreshed) > 4 else "")
            out.append(f"expect: refreshed {len(saved.refreshed)} stale figure(s) to the new ones: {listed}")
        if saved.lost:
            out.append(Note(f"warning: the comments and formatting of the file loaded were not kept: {saved.lost}"))
        return out

    def _rebase(self, new: State) -> None:
        """Make ``new`` current without an undo step; it keeps the model built for an equal state."""
        if new == self.state:
            if self._cache is not None and self._cache[0] is self.state:
                self._cache = (new, self._cache[1])
            if self._growing is not None and self._growing.state is self.state:
                self._growing.state = new
        self.state = new

    def load(self, text: str) -> list[Any]:
        """``load FILE`` (or a bundled model's name); undo goes back."""
        if not text:
            raise InputError("load needs a file, as in 'load net.yaml', or a bundled model's name")
        from ..catalog import resolve
        from ..files import UnreadableError, read_source
        from ..loader import LoadError, parse
        from ..yamlnodes import parse_yaml

        given = os.path.expanduser(text.split()[0])
        path = resolve(given)
        try:
            source = read_source(path)  # regular files only, size-capped, read once
        except UnreadableError as error:
            raise LoadError(error.reason, rule="unreadable", context=str(path)) from None
        parse(source, str(path), default_name=path.stem)  # file:line:col messages for a bad file
        plain = parse_yaml(source, str(path)).plain()  # aliases capped there, as for every file
        layout = Layout(plain.get("layout", "hwc"))
        dims = plain["input"]
        shape = Shape(tuple(dims[1:] + dims[:1]) if layout is Layout.CHW and len(dims) == 3 else tuple(dims))
        header = tuple((k, v) for k, v in plain.items() if k not in ("input", "layers", "layout"))
        if "name" not in plain:
            header = (("name", path.stem), *header)
        state = State(shape, tuple(plain["layers"]), layout, header)
        state = replace(state, origin=Origin(source, state))  # what 'save' edits, keeping its comments
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
        topic = COMMAND_ALIASES.get(topic, topic)
        if topic in COMMANDS:
            c = COMMANDS[topic]
            return [f"{c.usage} — {c.summary}", *("  " + line for line in c.details.splitlines())]
        if topic in ("layers", "layer", "syntax", "kinds"):
            return syntax_help()
        if topic in kind_names():
            return kind_help(KIND_ALIASES.get(topic, topic))
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
        first = COMMAND_ALIASES.get(first, first)
        if first in kind_names() and first not in COMMANDS:
            return self._complete_options(KIND_ALIASES.get(first, first), text)
        if first == "help":
            return _matching([*COMMANDS, "layers", *kind_names()], text) if len(words) == 1 else []
        if first in ("save", "load"):
            return _complete_path(text) if len(words) == 1 else []
        if first in ("del", "explain", "show"):
            return _matching(self._all_names(), text) if len(words) == 1 or first == "show" else []
        if first == "layout":
            return _matching(["hwc", "chw"], text) if len(words) == 1 else []
        if first == "input":
            if words[-1] == "--layout":
                return _matching(["hwc", "chw"], text)
            return _matching(["--layout"], text) if text.startswith("-") else []
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
        for f in cls.declared():
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


_ROW_WIDTHS = (3, 15, 12, 24, 11, 0)
"""The narrowest columns of an echoed row: number, name, kind, shapes, parameters, MACs."""


def swapped_warning(shape: Shape, layout: Layout) -> str | None:
    """What to say when a 3-D input reads like the other layout, else None.

    In H×W×C, a first size of 1, 3 or 4 (an image's channel count) before
    two sizes of 16 or more looks like C×H×W typed by habit (PyTorch's
    order); in C×H×W, the mirror image. It is taken as written: this is a
    warning, not a refusal.

    >>> swapped_warning(Shape.of(3, 32, 32), Layout.HWC)
    '3x32x32 reads as H=3, W=32, C=32; if you meant C×H×W, use --layout chw or write 32x32x3'
    >>> swapped_warning(parse_shape("32x32x3", Layout.CHW), Layout.CHW)
    '32x32x3 reads as C=32, H=32, W=3; if you meant H×W×C, use --layout hwc or write 3x32x32'
    >>> swapped_warning(parse_shape("3x32x32", Layout.CHW), Layout.CHW) is None   # as meant
    True
    """
    if shape.rank != 3:
        return None
    written = "x".join(str(d) for d in shape.ordered(layout))
    h, w, c = shape.dims
    if layout is Layout.HWC and h in (1, 3, 4) and min(w, c) >= 16:
        return f"{written} reads as H={h}, W={w}, C={c}; if you meant C×H×W, use --layout chw or write {w}x{c}x{h}"
    if layout is Layout.CHW and w in (1, 3, 4) and min(c, h) >= 16:
        return f"{written} reads as C={c}, H={h}, W={w}; if you meant H×W×C, use --layout hwc or write {w}x{c}x{h}"
    return None


def _axes(layout: Layout) -> str:
    return "C×H×W" if layout is Layout.CHW else "H×W×C"


def _layout(word: str) -> Layout:
    try:
        return Layout(word.lower())
    except ValueError:
        raise InputError(f"layout must be hwc (H×W×C, channels last) or chw (C×H×W, channels first), got {word!r}") from None


def _layout_option(words: list[str]) -> tuple[Layout, list[str]]:
    """``--layout chw`` (or ``--layout=chw``) taken out of ``words``: (the layout, the other words)."""
    rest: list[str] = []
    found: Layout | None = None
    i = 0
    while i < len(words):
        word = words[i]
        if word == "--layout" or word.startswith("--layout="):
            value = word.partition("=")[2] if "=" in word else (words[i + 1] if i + 1 < len(words) else "")
            i += 1 if "=" in word else 2
            if not value:
                raise InputError("--layout needs hwc or chw, as in 'input 3x32x32 --layout chw'")
            if found is not None:
                raise InputError("give --layout once")
            found = _layout(value)
            continue
        rest.append(word)
        i += 1
    assert found is not None  # called only when the option is there
    return found, rest


def _reordered_expect(state: State, layout: Layout) -> tuple[tuple[str, Any], ...]:
    """The header with ``expect``'s output shapes written in ``layout`` instead of the state's."""
    header = dict(state.header)
    expect = header.get("expect")
    if layout is state.layout or not isinstance(expect, dict):
        return state.header

    def moved(dims: Any) -> Any:
        if not isinstance(dims, list) or len(dims) < 2:
            return dims
        hwc = dims[1:] + dims[:1] if state.layout is Layout.CHW else dims
        return hwc[-1:] + hwc[:-1] if layout is Layout.CHW else hwc

    expect = dict(expect)
    if "output" in expect:
        expect["output"] = moved(expect["output"])
    if isinstance(expect.get("layers"), dict):
        expect["layers"] = {
            name: {k: moved(v) if k == "output" else v for k, v in figures.items()} if isinstance(figures, dict) else figures
            for name, figures in expect["layers"].items()
        }
    header["expect"] = expect
    return tuple(header.items())


def _check_utf8(line: str) -> None:
    """Refuse a line holding bytes that were not UTF-8.

    Python reads them as lone surrogates (``surrogateescape``), which no
    later step can print or write as YAML, so they are caught here with the
    byte and its column.

    >>> _check_utf8("conv 8 name=caf\\udce9")
    Traceback (most recent call last):
      ...
    convcalc.errors.InputError: column 16: byte 0xE9 is not UTF-8 text; write the line in UTF-8 (names are ASCII words)
    """
    for column, char in enumerate(line, 1):
        if "\udc80" <= char <= "\udcff":
            raise InputError(
                f"byte 0x{ord(char) - 0xDC00:02X} is not UTF-8 text; write the line in UTF-8 (names are ASCII words)",
                context=f"column {column}",
            )
        if "\ud800" <= char <= "\udfff":
            raise InputError(f"character U+{ord(char):04X} is not valid Unicode text", context=f"column {column}")


@dataclasses.dataclass(frozen=True, slots=True)
class ModelView:
    """``show``'s table, made when it is printed: fitted to the width of the console it is printed on."""

    summary: Any
    rows: list[Any]
    layout: Layout

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from ..render import model_table

        yield model_table(self.summary, self.rows, self.layout, width=options.max_width)


@dataclasses.dataclass(frozen=True, slots=True)
class _Trim:
    """An undo (or redo) step: drop the last ``count`` entries."""

    count: int


@dataclasses.dataclass(frozen=True, slots=True)
class _Extend:
    """An undo (or redo) step: append ``entries`` again."""

    entries: tuple[Any, ...]


_Step = State | _Trim | _Extend
"""What the undo and redo stacks hold: a whole state, or how the entries change."""


def _matching(words: list[str], text: str) -> list[str]:
    return [w for w in dict.fromkeys(words) if w.startswith(text)]


def _complete_path(text: str) -> list[str]:
    found = sorted(glob.glob(os.path.expanduser(text) + "*"))
    if text.startswith("~"):
        home = os.path.expanduser("~")
        found = ["~" + f[len(home):] for f in found]
    return [f + "/" if os.path.isdir(os.path.expanduser(f)) else f for f in found]
