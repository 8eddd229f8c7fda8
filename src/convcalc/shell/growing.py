"""Appending layers to the shell's model in time proportional to the line, not the model.

:func:`~convcalc.shell.state.build` loads the whole state's text, which is
right after a change in the middle; but a piped script of N ``relu`` lines
then loads 1 + 2 + … + N layers (N = 2,000 conv lines took over a minute).
A :class:`Growing` keeps the file loader's builder of the current state —
its nodes, analysed rows, scope and last output — and reads each appended
entry alone: written as the one-item list it is in the state's text
(:func:`~convcalc.shell.state.state_yaml`), parsed, its positions moved to
the lines the entry has there, and handed to the same builder method that
reads a file's ``layers`` list. So the loader stays the only judge, every
message still names the layer by number, and the model equals the one
:func:`~convcalc.shell.state.build` makes (``tests/test_hostile_shell.py``
checks both on random scripts).

A builder that failed halfway is thrown away; the next line starts afresh
from the state (one whole load). A state whose file names an ``output`` or
lists ``expect`` figures is never grown: those are read after the layers,
so :meth:`Growing.start` returns None and the shell loads it whole.

:meth:`Growing.start` has the loader accept the whole state first, then
takes its builder from :func:`convcalc.loader.layers_read`, which reads the
same text up to the end of its layers.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConvCalcError, InputError
from ..loader import layers_read
from ..model import INPUT, Model, Row, summarise
from ..shapes import Shape
from ..yamlnodes import Located, Position, parse_yaml
from .state import SHELL_FILE, Built, State, _translate, build, entry_text, state_yaml

__all__ = ["Growing"]


class Growing:
    """The loader's builder of ``state``, ready to read more entries."""

    def __init__(self, state: State, built: Built, builder: Any, context: Any, last: int, starts: list[int], name: str) -> None:
        self.state = state
        """The state built so far; :meth:`extend` replaces it."""
        self._built: Built | None = built
        self._builder = builder
        self._context = context
        self._last = last
        """The node the next entry reads (the last entry's output)."""
        self._starts = starts
        """The line each entry starts on in the state's text, and one past the last."""
        self._entry_of = list(built.entry_of)
        self._name = name

    @classmethod
    def start(cls, state: State, name: str) -> Growing | None:
        """Load ``state`` whole (errors as :func:`build` gives them), then keep its builder.

        None when the state cannot be grown (it names an ``output`` or lists
        ``expect``); ``build(state)`` is then the way.
        """
        built = build(state, name)  # the loader's verdict, with its messages
        header = dict(state.header)
        if "output" in header or "expect" in header:
            return None
        text, starts = state_yaml(state)
        builder, context, last = layers_read(parse_yaml(text, SHELL_FILE), SHELL_FILE)
        if last == INPUT or len(builder.nodes) != len(built.model.nodes):
            return None  # every layer skipped by 'if', or a builder that reads differently: load whole
        return cls(state, built, builder, context, last, starts, name)

    @property
    def output(self) -> Shape:
        """The model's output shape now."""
        return self._builder.shape(self._last)

    def built(self) -> Built:
        """The model and its summary (made on demand: the totals cost a pass over every layer)."""
        if self._built is None:
            b = self._builder
            header = dict(self.state.header)
            name = header["name"] if isinstance(header.get("name"), str) else self._name
            description = header["description"] if isinstance(header.get("description"), str) else ""
            unused = tuple((k.name, k.at) for k in b.blocks.values() if k.name not in b.used_blocks)
            model = Model(
                name, b.input, tuple(b.nodes), self._last, self.state.layout, description, dict(b.groups),
                unused_blocks=unused,
            )
            self._built = Built(model, summarise(model, b.rows), tuple(self._entry_of))
        return self._built

    def extend(self, state: State, entries: list[Any]) -> list[tuple[int, Row]]:
        """Read ``entries``, appended to :attr:`state` to make ``state``; the new rows with their entry's index.

        Raises :class:`InputError` naming the layer by number. Either way the
        old state is no longer held: a failed builder is half-grown, so the
        caller drops this object and starts afresh.
        """
        b = self._builder
        first_node = len(b.nodes)
        first_entry = len(self._starts) - 1
        # One YAML document for the line's entries: a long 'relu; relu; …' line parses once.
        items = [f"- {entry_text(entry)}\n" for entry in entries]
        shift = self._starts[-1] - 1  # the lines before the first new entry in the state's text
        ends = []  # where each new entry ends (the next starts); self._starts is not copied
        for item in items:
            ends.append((ends[-1] if ends else shift + 1) + item.count("\n"))

        def starts() -> list[int]:  # every entry's, for a message (the builder is dropped after it)
            return [*self._starts[: first_entry + 1], *ends]

        try:
            parsed = parse_yaml("".join(items), SHELL_FILE).value
        except ConvCalcError as error:
            raise InputError(_translate(_moved_error(error, shift), starts())) from None
        moved: dict[int, Located] = {}
        for offset, located in enumerate(parsed):
            index = first_entry + offset
            try:
                before = len(b.nodes)
                self._last = b.entry(_moved(located, shift, moved), self._last, self._context)
            except ConvCalcError as error:
                raise InputError(_translate(error, starts())) from None
            except RecursionError:
                raise InputError(f"layer {index + 1}: blocks and containers are nested too deeply") from None
            self._starts.append(ends[offset])
            self._entry_of.extend([index] * (len(b.nodes) - before))
        self.state = state
        self._built = None
        return [(self._entry_of[i], b.rows[i]) for i in range(first_node, len(b.nodes))]


def _moved(located: Located, lines: int, memo: dict[int, Located]) -> Located:
    """``located`` with every position ``lines`` further down; shared (aliased) values stay shared."""
    done = memo.get(id(located))
    if done is not None:
        return done
    value = located.value
    if isinstance(value, dict):
        value = {k: _moved(v, lines, memo) for k, v in value.items()}
    elif isinstance(value, list):
        value = [_moved(v, lines, memo) for v in value]
    key_at = None if located.key_at is None else {k: _down(p, lines) for k, p in located.key_at.items()}
    done = memo[id(located)] = Located(value, _down(located.at, lines), key_at)
    return done


def _moved_error(error: ConvCalcError, lines: int) -> ConvCalcError:
    """A YAML error in the line's entries, placed where they are in the state's text."""
    moved = error.located()  # a copy
    if moved.at is not None:
        moved.at = _down(moved.at, lines)
    return moved


def _down(at: Position, lines: int) -> Position:
    return Position(at.file, at.line + lines, at.column)

