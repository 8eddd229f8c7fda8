"""The shell's model as plain data, and the file loader as its only judge.

A :class:`State` is one immutable snapshot: the input shape, the layer
entries in the architecture file's plain-data form, the layout and any other
top-level keys of a loaded file. :func:`state_yaml` writes it as the text of
an architecture file, and :func:`build` loads that text with
:func:`convcalc.loader.parse`, so the shell and files can never
disagree; the line of a load error's position (its ``at``) is turned into
the layer number the user knows. :func:`layers_to_model` is the same path for
``convcalc model --layers``. A state holds its entries as :class:`Entries`,
which states grown one from another share, so that appending a line does not
copy the model's entries. No rich here: this module returns data.
"""

from __future__ import annotations

import bisect
import copy
import operator
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, NamedTuple, overload

import yaml

from .. import files
from ..errors import ConvCalcError, InputError
from ..linesyntax import parse_layers
from ..loader import LoadError, parse
from ..model import Model, Summary
from ..shapes import Layout, Shape, parse_shape

__all__ = [
    "SHELL_FILE",
    "Built",
    "Entries",
    "Origin",
    "State",
    "VerificationFailed",
    "build",
    "entry_text",
    "forward_check",
    "layers_to_model",
    "layers_to_summary",
    "state_yaml",
    "write_atomically",
]

SHELL_FILE = "<shell>"
"""The file name the loader sees for the shell's model; translated away in messages."""


class VerificationFailed(ConvCalcError):
    """The forward pass disagreed with the computed figures."""



class Entries(Sequence[Any]):
    """A state's layer entries: read like a tuple, and equal to the tuple of the same
    entries, but appending to the last state costs only what is appended.

    A script of N ``relu`` lines makes N states; were each a tuple, they would
    copy 1 + 2 + … + N entries (issue 11). Instead the states that grew one
    from another share one list, each seeing its first ``len`` items: the
    list only ever grows, so what a state sees never changes. Appending to a
    state that is not the longest (after an undo) copies its items first —
    unless the entries appended are the very ones already next (a redo).
    Slicing off the end (an undo) shares the list too.

    >>> a = Entries(["relu"])
    >>> b = a + ("batchnorm2d",)
    >>> c = a + ("dropout",)     # not at the end of the list any more: a copy
    >>> a, b, c, b == ("relu", "batchnorm2d"), b[:1] == a
    (('relu',), ('relu', 'batchnorm2d'), ('relu', 'dropout'), True, True)
    """

    __slots__ = ("_count", "_items")

    def __init__(self, entries: Iterable[Any] = ()) -> None:
        self._items = list(entries)
        self._count = len(self._items)

    @classmethod
    def _sharing(cls, items: list[Any], count: int) -> Entries:
        """The first ``count`` of ``items``, without copying them."""
        view = cls.__new__(cls)
        view._items = items
        view._count = count
        return view

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Any]:
        return islice(self._items, self._count)

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> Entries: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._count)
            if start == 0 and step == 1:
                return Entries._sharing(self._items, stop)
            return Entries(self._items[: self._count][index])
        index = operator.index(index)
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError("entry index out of range")
        return self._items[index]

    def __add__(self, other: tuple[Any, ...] | Entries) -> Entries:
        if not isinstance(other, (tuple, Entries)):
            return NotImplemented  # as a tuple refuses a list
        items, count, end = self._items, self._count, self._count + len(other)
        if len(items) > count:
            if len(items) >= end and all(a is b for a, b in zip(items[count:end], other)):
                return Entries._sharing(items, end)  # a redo: they are already next
            items = items[:count]
        items.extend(other)
        return Entries._sharing(items, end)

    def __radd__(self, other: tuple[Any, ...]) -> Entries:
        return Entries(other) + self if isinstance(other, tuple) else NotImplemented

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Entries):
            if other._items is self._items:
                return other._count == self._count
        elif not isinstance(other, tuple):
            return NotImplemented
        return len(other) == self._count and all(a is b or a == b for a, b in zip(self, other))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


@dataclass(frozen=True, slots=True)
class State:
    """One snapshot of the model being built. Never mutated: commands make new ones."""

    input: Shape | None = None
    entries: Sequence[Any] = ()
    """Layer entries in the file format's plain-data form (``'relu'``, ``{'conv2d': {...}}``),
    held as :class:`Entries` (a tuple given is turned into one), so appending is cheap."""
    layout: Layout = Layout.HWC
    header: tuple[tuple[str, Any], ...] = ()
    """Other top-level keys of a loaded file (name, params, blocks, output, …), in order."""
    origin: Origin | None = field(default=None, compare=False)
    """The file text this state descends from (loaded or last saved), whose
    comments and formatting ``save`` keeps; carried along by every change and
    not part of equality (it is where the model came from, not the model)."""

    def __post_init__(self) -> None:
        if not isinstance(self.entries, Entries):
            object.__setattr__(self, "entries", Entries(self.entries))


@dataclass(frozen=True, slots=True)
class Origin:
    """A file's text and the state it held when loaded or saved: what
    :mod:`~convcalc.shell.keeping` edits when ``save`` writes a later state."""

    text: str
    state: State


class Built(NamedTuple):
    """A state turned into a model."""

    model: Model
    summary: Summary
    entry_of: tuple[int, ...]
    """For each node, the index of the entry that made it."""


_FIRST_KEYS = ("name", "description")
_LAST_KEYS = ("output", "expect")


def _flow(value: Any) -> str:
    """``value`` as one line of flow-style YAML.

    >>> _flow({"filters": 64, "kernel": [1, 7], "padding": "same", "bias": False})
    '{filters: 64, kernel: [1, 7], padding: same, bias: false}'
    """
    fast = _plain_flow(value)
    if fast is not None:
        return fast
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, allow_unicode=True, width=1 << 30)
    return text.removesuffix("...\n").rstrip("\n")


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*\Z")
"""Text PyYAML writes unquoted in flow style, unless it reads as something else (below)."""
_NOT_TEXT = frozenset(
    ["yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL"]
)


def _plain_flow(value: Any) -> str | None:
    """What PyYAML's emitter writes for words, whole numbers, booleans and lists and
    mappings of them, without running it (it costs about a millisecond an entry,
    which a long piped script pays on every line); None for anything else.
    ``tests/test_hostile_shell.py`` checks it against ``yaml.safe_dump``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if -(10**18) < value < 10**18 else None
    if isinstance(value, str):
        return value if _WORD.match(value) and value not in _NOT_TEXT else None
    if value is None:
        return "null"
    if isinstance(value, list):
        parts = [_plain_flow(v) for v in value]
        return None if None in parts else "[" + ", ".join(parts) + "]"  # type: ignore[arg-type]
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            key, item = (_plain_flow(k) if isinstance(k, str) else None), _plain_flow(v)
            if key is None or item is None:
                return None
            out.append(f"{key}: {item}")
        return "{" + ", ".join(out) + "}"
    return None


def entry_text(entry: Any) -> str:
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
        item = f"- {entry_text(entry)}\n"
        text += item
        line += item.count("\n")
    starts.append(line)  # one past the last entry
    text += _mapping_text({k: header[k] for k in _LAST_KEYS if k in header})
    return text, starts


def _translate(error: ConvCalcError, starts: list[int], numbers: tuple[int, ...] | None = None) -> str:
    """``<shell>:7:12: layer 'c' …`` → ``layer 5 'c' …``: the user counts layers, not lines.

    The line is the error's ``at``; ``numbers`` gives each entry the number
    the user knows it by, when that is not its position (during a ``del``,
    the layers after it keep theirs).
    """
    at = error.at
    if at is None or at.file != SHELL_FILE:
        return error.message
    unplaced = copy.copy(error)
    unplaced.at = None
    rest = unplaced.message
    if not starts or not starts[0] <= at.line < starts[-1]:
        return rest
    index = bisect.bisect_right(starts, at.line) - 1
    number = numbers[index] if numbers else index + 1
    if error.layer is not None and not error.context and getattr(error, "noun", "layer") == "layer":
        return f"layer {number} {rest.removeprefix('layer ')}"
    return f"layer {number}: {rest}"


def build(state: State, name: str = "shell", numbers: tuple[int, ...] | None = None) -> Built:
    """Load ``state`` through the file loader; errors name layers by number."""
    text, starts = state_yaml(state)
    try:
        summary = parse(text, SHELL_FILE, default_name=name)
    except LoadError as error:
        raise InputError(_translate(error, starts, numbers)) from None
    return Built(summary.model, summary, _entry_of(state, summary.model, starts))


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

    >>> s = layers_to_summary("conv 64 k7 s2 p3; bn; relu; maxpool k3 s2 p1", "224x224x3")
    >>> s.output.format()                # (224 + 6 − 7) // 2 + 1 = 112, then (112 + 2 − 3) // 2 + 1 = 56
    '56×56×64'
    >>> layers_to_model("conv 8 k3; maxpool k9", "4x4x1")
    Traceback (most recent call last):
      ...
    convcalc.errors.InputError: layer 2 'maxpool2d' (maxpool2d): kernel 9 is larger than the padded input 2 (H=2, padding=0)
    """
    return layers_to_summary(text, input_shape, layout, name).model


def layers_to_summary(text: str, input_shape: str, layout: Layout = Layout.HWC, name: str = "layers") -> Summary:
    """:func:`layers_to_model`, analysed (once, while loading)."""
    shape = parse_shape(input_shape, layout)
    entries = parse_layers(text)
    if not entries:
        raise InputError(f"--layers {text!r} has no layers; give some, as in \"conv 64 k3 p1; bn; relu\"")
    return build(State(shape, tuple(entries), layout), name).summary


def write_atomically(path: Path, text: str) -> None:
    """:func:`convcalc.files.write_atomically`, with messages saying it was a save."""
    try:
        files.write_atomically(path, text)
    except InputError as error:
        raise error.within(f"cannot save to '{path}'") from None


def forward_check(model: Model, summary: Summary) -> list[str]:
    """Run the NumPy forward pass, if convcalc.forward is there, and say what it found.

    The import is late: NumPy is heavy, and the forward package may be
    missing. A disagreement raises :class:`VerificationFailed`.
    """
    try:
        from ..forward import check_memory, verify
    except ImportError:
        return ["verification isn't available: the NumPy forward pass (convcalc.forward) is not installed"]
    check_memory(model, batch=1, summary=summary)
    result = verify(model, summary)
    if not result.ok:
        listed = "; ".join(result.mismatches)
        raise VerificationFailed(f"the forward pass disagrees in {len(result.mismatches)} place(s): {listed}")
    layers = len(result.checks)
    return [f"verified: a NumPy forward pass agrees with the shapes and parameters of all {layers} layers ({result.seconds:.2f} s)"]

