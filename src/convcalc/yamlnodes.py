"""YAML read into plain values that remember where they were written.

PyYAML's composer gives nodes with line and column; this module turns them
into :class:`Located` values (a mapping, a list or a scalar plus its
position), so every later error can say ``file:line:col``. libyaml's C parser
is used when PyYAML was built with it; both keep positions. Only the safe
tag set is understood (no Python objects), and duplicate keys are an error
rather than silently overwritten.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import yaml

from .errors import ConvCalcError

__all__ = ["Located", "Position", "YamlError", "parse_yaml"]

try:  # libyaml, when PyYAML was built with it: several times faster
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader


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


def parse_yaml(text: str, file: str) -> Located:
    """Parse one YAML document into :class:`Located` values."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = Position(file, mark.line + 1, mark.column + 1) if mark else Position(file, 1, 1)
        problem = error.problem or error.context or "invalid YAML"
        if error.problem and error.context and error.problem.startswith("but "):
            problem = f"{error.context}, {error.problem}"  # "expected a single document …, but found another"
        elif error.problem and error.context and error.context_mark:
            # The mark is where the parser gave up; say where the unclosed thing began.
            cm = error.context_mark
            if (cm.line, cm.column) != (mark.line, mark.column):
                problem += f" ({error.context} that starts at line {cm.line + 1}, column {cm.column + 1})"
        raise YamlError(f"{where}: YAML syntax error: {problem}") from None
    except yaml.reader.ReaderError as error:
        where = _offset_position(text, error.position, file)
        raise YamlError(f"{where}: YAML syntax error: character {chr(error.character)!r} is not allowed in YAML text") from None
    except UnicodeEncodeError as error:  # lone surrogates, which libyaml cannot encode
        where = _offset_position(text, error.start, file)
        raise YamlError(f"{where}: YAML syntax error: character {text[error.start]!r} is not valid Unicode text") from None
    except yaml.YAMLError as error:  # pragma: no cover - unmarked errors of other kinds
        raise YamlError(f"{file}:1:1: cannot read YAML: {error}") from None
    except RecursionError:
        raise YamlError(f"{file}:1:1: YAML syntax error: nested too deeply") from None
    if root is None:
        raise YamlError(f"{file}:1:1: the file is empty; an architecture needs 'input' and 'layers'")
    constructor = yaml.SafeLoader("")  # only for its scalar construction rules
    return _convert(root, file, constructor, set(), {})


def _offset_position(text: str, offset: int, file: str) -> Position:
    """Line and column of character ``offset`` in ``text``."""
    before = text[:offset]
    return Position(file, before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


MAX_DEPTH = 100
"""Deepest nesting of lists and mappings accepted; real architectures use about 20."""


def _convert(
    node: yaml.Node, file: str, constructor: yaml.SafeLoader, open_nodes: set[int], memo: dict[int, Located]
) -> Located:
    """``node`` as :class:`Located`; an aliased node is converted once and shared.

    Sharing keeps "billion laughs" documents (aliases of aliases) linear here;
    the loader caps how many layers they may expand to.
    """
    done = memo.get(id(node))
    if done is None:
        done = memo[id(node)] = _convert_new(node, file, constructor, open_nodes, memo)
    return done


def _convert_new(
    node: yaml.Node, file: str, constructor: yaml.SafeLoader, open_nodes: set[int], memo: dict[int, Located]
) -> Located:
    at = _position(node, file)
    if id(node) in open_nodes:
        raise YamlError(f"{at}: an alias refers to a node that contains it; remove the recursive '*' reference")
    if len(open_nodes) >= MAX_DEPTH:
        raise YamlError(f"{at}: lists and mappings are nested more than {MAX_DEPTH} deep here")
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        open_nodes = open_nodes | {id(node)}
    if isinstance(node, yaml.MappingNode):
        items: dict[str, Located] = {}
        key_at: dict[str, Position] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlError(f"{_position(key_node, file)}: YAML merge keys ('<<') are not supported; use a block instead")
            key = _scalar(key_node, file, constructor)
            if not isinstance(key, str):
                key = key_node.value  # as written: `on`, `3`, `2020-01-01`, not True, 3, a date
            if key in items:
                raise YamlError(f"{_position(key_node, file)}: duplicate key {key!r} (first at line {key_at[key].line})")
            key_at[key] = _position(key_node, file)
            items[key] = _convert(value_node, file, constructor, open_nodes, memo)
        return Located(items, at, key_at)
    if isinstance(node, yaml.SequenceNode):
        return Located([_convert(item, file, constructor, open_nodes, memo) for item in node.value], at)
    return Located(_scalar(node, file, constructor), at)


def _scalar(node: yaml.Node, file: str, constructor: yaml.SafeLoader) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise YamlError(f"{_position(node, file)}: a mapping key must be a plain word")
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as error:
        raise YamlError(f"{_position(node, file)}: {error.problem}") from None
    except Exception as error:
        tag = node.tag.rsplit(":", 1)[-1]
        why = f" ({error})" if isinstance(error, ValueError) else ""
        raise YamlError(f"{_position(node, file)}: {node.value!r} is not a valid {tag}{why}; quote it to make it text") from None
