"""YAML read into plain values that remember where they were written.

PyYAML's composer gives nodes with line and column; this module turns them
into :class:`Located` values (a mapping, a list or a scalar plus its
position), so every later error can say ``file:line:col``. libyaml's C parser
is used when PyYAML was built with it; both keep positions. Only the safe
tag set is understood (no Python objects), and duplicate keys are an error
rather than silently overwritten.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import yaml

from .errors import ConvCalcError

__all__ = ["Located", "Position", "YamlError", "parse_yaml"]

try:  # libyaml, when PyYAML was built with it: several times faster
    _Base: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Base = yaml.SafeLoader


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """The safe loader, remembering each scalar's implicit tag within one parse.

    Even libyaml's composer asks the Python resolver for every scalar (a
    dozen regular expressions each); an architecture file repeats the same
    few words and numbers thousands of times. The safe loader has no path
    resolvers, so a scalar's tag depends only on its text and style.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._tags: dict[str, str] = {}
        """The tag of each plain scalar's text seen so far."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode:
            if not implicit[0]:  # quoted or block text: a string, whatever it says
                return _STR
            tag = self._tags.get(value)
            if tag is None:
                tag = self._tags[value] = super().resolve(kind, value, implicit)
            return tag
        # Lists and mappings take the default tags: there are no path resolvers.
        return _DEFAULT_TAGS[kind]

    # The composer calls these around every node to follow the path for path
    # resolvers; the safe loader has none, so they have nothing to do.
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


_DEFAULT_TAGS = {yaml.SequenceNode: "tag:yaml.org,2002:seq", yaml.MappingNode: "tag:yaml.org,2002:map"}


class Position(NamedTuple):
    """1-based line and column in a named file."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class YamlError(ConvCalcError):
    """The text is not valid YAML, or uses a construct convcalc refuses."""

    rule = "yaml-syntax"


class Located(NamedTuple):
    """A YAML value and where it starts.

    ``value`` is a ``dict[str, Located]`` for mappings, a ``list[Located]``
    for sequences, or a plain ``int | float | bool | str | None``. ``key_at``
    holds each mapping key's own position.
    """

    value: Any
    at: Position
    key_at: dict[str, Position] | None = None

    def plain(self) -> Any:
        """The value with positions stripped, recursively."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def _position(node: yaml.Node, file: str) -> Position:
    mark = node.start_mark
    return Position(file, mark.line + 1, mark.column + 1)


MAX_VALUES = 1_000_000
"""Most YAML values (scalars, lists, mappings) a file may hold. PyYAML builds
about 450 bytes of nodes per value, so this keeps a file under ~450 MB while
parsing; a 100,000-layer network has about 350,000."""


def value_bound(text: str) -> int:
    """An upper bound on the YAML values in ``text``, counted without parsing.

    Every value after the first is set apart from its neighbour by a line
    break, a ``,``, a ``:`` or an opening ``[``/``{``, so counting those
    bounds the count (an alias adds no node).

    >>> value_bound("input: [8, 8, 3]")     # input, the list, 8, 8, 3
    5
    """
    return 1 + sum(text.count(c) for c in "\n,:[{")


def parse_yaml(text: str, file: str) -> Located:
    """Parse one YAML document into :class:`Located` values."""
    bound = value_bound(text)
    if bound > MAX_VALUES:
        raise YamlError(
            f"the file may hold up to {bound:,} YAML values (counting its lines, commas and colons); "
            f"convcalc reads at most {MAX_VALUES:,} (a 100,000-layer network has about 350,000)",
            at=Position(file, 1, 1),
            rule="unreadable",
        )
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        at, problem = _syntax_error(error, text, file)
        raise YamlError(f"YAML syntax error: {problem}", at=at) from None
    except yaml.reader.ReaderError as error:
        at = _offset_position(text, error.position, file)
        raise YamlError(f"YAML syntax error: character {chr(error.character)!r} is not allowed in YAML text", at=at) from None
    except UnicodeEncodeError as error:  # lone surrogates, which libyaml cannot encode
        at = _offset_position(text, error.start, file)
        raise YamlError(f"YAML syntax error: character {text[error.start]!r} is not valid Unicode text", at=at) from None
    except yaml.YAMLError as error:  # pragma: no cover - unmarked errors of other kinds
        raise YamlError(f"cannot read YAML: {error}", at=Position(file, 1, 1)) from None
    except RecursionError:
        raise YamlError("YAML syntax error: nested too deeply", at=Position(file, 1, 1)) from None
    if root is None:
        raise YamlError("the file is empty; an architecture needs 'input' and 'layers'", at=Position(file, 1, 1))
    constructor = yaml.SafeLoader("")  # only for its scalar construction rules
    located = _convert(root, file, constructor, set(), {})
    if "&" in text:  # an alias needs an anchor (&name): without one nothing can expand
        _refuse_alias_bombs(located)
    return located


def _refuse_alias_bombs(root: Located) -> None:
    """Refuse a document whose aliases expand past :data:`MAX_VALUES` values.

    Ten aliases of ten aliases, nine deep, are 10⁹ values from 700 bytes;
    whatever reads them (the loader's parameters and layers, the shell's
    copy) would expand them all. Counted once per distinct node, so the
    count itself is linear in the file.
    """
    sizes: dict[int, int] = {}

    def size(node: Located) -> int:
        known = sizes.get(id(node))
        if known is None:
            value = node.value
            children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
            known = sizes[id(node)] = 1 + sum(size(child) for child in children)
            if known > MAX_VALUES:
                raise YamlError(
                    f"this value expands to more than {MAX_VALUES:,} values through YAML aliases ('*name'); "
                    "write the repeats out, or use a block's 'repeat'",
                    at=node.at,
                )
        return known

    size(root)


def _syntax_error(error: yaml.MarkedYAMLError, text: str, file: str) -> tuple[Position, str]:
    """Where a YAML syntax error belongs, and what to say.

    The parser's ``problem_mark`` is where it gave up, often a line or more
    after the mistake, and at the end of the file for an unclosed bracket or
    quote. When the ``context`` is something opened — a flow ``[``/``{``, a
    quoted scalar, a key still waiting for its ``:`` — the place to fix is
    where it opened (``context_mark``), so that is reported. No position is
    ever past the last line, so a CI annotation always lands on a real line.
    """
    mark, opened = error.problem_mark, error.context_mark
    problem = error.problem or error.context or "invalid YAML"
    if error.problem and error.context and error.problem.startswith("but "):
        return _clamped(text, file, mark), f"{error.context}, {error.problem}"  # "expected a single document …, but found another"
    if mark is None and opened is None:
        return Position(file, 1, 1), problem
    if not (error.problem and error.context and opened):
        return _clamped(text, file, mark or opened), problem
    context = error.context.removeprefix("while parsing ").removeprefix("while scanning ")
    here, there = _clamped(text, file, opened), _clamped(text, file, mark)
    if (here.line, here.column) == (there.line, there.column):
        return here, problem
    stopped = "the end of the file" if _past_end(text, mark) else f"line {there.line}, column {there.column}"
    if error.context.startswith(("while scanning", "while parsing a flow")):
        return here, f"{problem}, in {context} that starts here (the parser stopped at {stopped})"
    return there, f"{problem} ({error.context} that starts at line {here.line}, column {here.column})"


def _lines(text: str) -> list[str]:
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


def _past_end(text: str, mark: Any) -> bool:
    """Whether ``mark`` is at the very end of ``text`` (where an unclosed thing is noticed)."""
    return mark.index >= len(text) or not text[mark.index :].strip()


def _clamped(text: str, file: str, mark: Any) -> Position:
    """``mark`` as a position, moved back onto the last line if it lies past it."""
    lines = _lines(text) or [""]
    if mark.line < len(lines):
        return Position(file, mark.line + 1, mark.column + 1)
    return Position(file, len(lines), len(lines[-1]) + 1)


def _offset_position(text: str, offset: int, file: str) -> Position:
    """Line and column of character ``offset`` in ``text``."""
    before = text[:offset]
    return Position(file, before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


MAX_DEPTH = 100
"""Deepest nesting of lists and mappings accepted; real architectures use about 20."""


_new = tuple.__new__
"""Builds a :class:`Located` or :class:`Position` without the Python-level
``__new__`` a NamedTuple has: a file has a value and a position per scalar."""
_ScalarNode = yaml.ScalarNode


def _convert(
    node: yaml.Node, file: str, constructor: yaml.SafeLoader, open_nodes: set[int], memo: dict[int, Located]
) -> Located:
    """``node`` as :class:`Located`; an aliased node is converted once and shared.

    Sharing keeps "billion laughs" documents (aliases of aliases) linear here;
    the loader caps how many layers they may expand to.
    """
    if node.__class__ is _ScalarNode:  # a leaf: nothing to share or to nest
        mark = node.start_mark
        value = node.value if node.tag == _STR else _scalar(node, file, constructor)
        return _new(Located, (value, _new(Position, (file, mark.line + 1, mark.column + 1)), None))
    done = memo.get(id(node))
    if done is None:
        done = memo[id(node)] = _convert_new(node, file, constructor, open_nodes, memo)
    return done


def _convert_new(
    node: yaml.Node, file: str, constructor: yaml.SafeLoader, open_nodes: set[int], memo: dict[int, Located]
) -> Located:
    """A list or mapping as :class:`Located`; ``open_nodes`` holds the ones it is inside.

    Scalar children (most of a file) are converted here rather than through
    :func:`_convert`: the call is half their cost.
    """
    at = _position(node, file)
    if id(node) in open_nodes:
        raise YamlError("an alias refers to a node that contains it; remove the recursive '*' reference", at=at)
    if len(open_nodes) >= MAX_DEPTH:
        raise YamlError(f"lists and mappings are nested more than {MAX_DEPTH} deep here", at=at)
    open_nodes.add(id(node))  # taken out when done; an error abandons the whole parse
    if isinstance(node, yaml.MappingNode):
        items: dict[str, Located] = {}
        key_at: dict[str, Position] = {}
        for key_node, value_node in node.value:
            if key_node.__class__ is _ScalarNode and key_node.tag == _STR:
                key = key_node.value
            else:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise YamlError("YAML merge keys ('<<') are not supported; use a block instead", at=_position(key_node, file))
                key = _scalar(key_node, file, constructor)
                if not isinstance(key, str):
                    key = key_node.value  # as written: `on`, `3`, `2020-01-01`, not True, 3, a date
            if key in items:
                raise YamlError(f"duplicate key {key!r} (first at line {key_at[key].line})", at=_position(key_node, file))
            mark = key_node.start_mark
            key_at[key] = _new(Position, (file, mark.line + 1, mark.column + 1))
            if value_node.__class__ is _ScalarNode:
                mark = value_node.start_mark
                value = value_node.value if value_node.tag == _STR else _scalar(value_node, file, constructor)
                items[key] = _new(Located, (value, _new(Position, (file, mark.line + 1, mark.column + 1)), None))
            else:
                items[key] = _convert(value_node, file, constructor, open_nodes, memo)
        open_nodes.discard(id(node))
        return _new(Located, (items, at, key_at))
    values: list[Located] = []
    for item in node.value:
        if item.__class__ is _ScalarNode:
            mark = item.start_mark
            value = item.value if item.tag == _STR else _scalar(item, file, constructor)
            values.append(_new(Located, (value, _new(Position, (file, mark.line + 1, mark.column + 1)), None)))
        else:
            values.append(_convert(item, file, constructor, open_nodes, memo))
    open_nodes.discard(id(node))
    return _new(Located, (values, at, None))


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_PLAIN_INT = re.compile(r"-?[1-9][0-9]{0,17}\Z|0\Z")
"""A decimal int PyYAML would read the same way: no '0x', '0o', '_' or sexagesimal '1:30'."""


def _scalar(node: yaml.Node, file: str, constructor: yaml.SafeLoader) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise YamlError("a mapping key must be a plain word", at=_position(node, file))
    # Fast paths for the two commonest scalars: PyYAML's construct_object costs
    # about three times as much, and a 100,000-layer file has a million scalars.
    if node.tag == _STR:
        return node.value
    if node.tag == _INT and _PLAIN_INT.match(node.value):
        return int(node.value)
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as error:
        raise YamlError(str(error.problem), at=_position(node, file)) from None
    except Exception as error:
        tag = node.tag.rsplit(":", 1)[-1]
        why = f" ({error})" if isinstance(error, ValueError) else ""
        raise YamlError(f"{node.value!r} is not a valid {tag}{why}; quote it to make it text", at=_position(node, file)) from None
