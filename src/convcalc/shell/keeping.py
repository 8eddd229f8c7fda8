"""``save`` for a loaded file: the same text, with only what the shell changed rewritten.

A loaded file's comments, blank lines, key order, quoting and spacing are
the author's; :func:`saved_file` keeps every line that holds something the
shell did not change, byte for byte, and rewrites only

* the ``input:`` (and ``layout:``) line, when ``input`` or ``layout`` changed;
* the items of ``layers:`` — an entry that ``set`` changed is written again
  on one line at its place (keeping the comments above it and, for a
  one-line entry, its end-of-line comment); inserted entries are written
  in the same indentation; a deleted entry goes with the comment lines
  directly above it (a comment set apart by a blank line stays);
* the figures of ``expect:`` that the changes made stale, each in place
  (``params: 9_728  # …`` → ``params: 5_024  # …``): the expectations are
  refreshed to what the model now computes, so the saved file passes
  ``convcalc check``, and the reply says which figures changed.

Why not ruamel.yaml's round-trip mode: it re-indents the whole file to one
style, re-spaces flow lists, and ties a comment to the item *before* it, so
deleting a layer would take the next section's heading comment with it. The
shell edits whole entries and two header keys, so a line-level edit is
enough, exact, and needs no new dependency.

The writer checks itself: the text it makes must read (:func:`parse_yaml`)
to exactly the data of the state being saved. When it cannot keep the
layout (a file written as one flow mapping, ``layers`` reached through a
YAML alias, …) or the check fails, :func:`saved_file` writes the plain
form instead and says that the comments were not kept.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from typing import Any, NamedTuple

import yaml

from ..model import Summary
from ..shapes import Layout, Shape
from ..yamlnodes import parse_yaml
from .state import SHELL_FILE, Origin, State, _flow, _mapping_text, entry_text, state_yaml

__all__ = ["Saved", "change_text", "refreshed_expect", "saved_file"]

PLAIN_HEADER = "# written by convcalc shell\n"
"""The first line of a file the shell writes from scratch."""


class Saved(NamedTuple):
    """What ``save`` writes, and what to tell the user about it."""

    text: str
    state: State
    """The state the text holds: the one saved, with any stale ``expect`` figure refreshed."""
    refreshed: list[tuple[tuple[str, ...], Any, Any]]
    """The ``expect`` figures changed: (path, old, new), as :func:`refreshed_expect` gives them."""
    lost: str | None
    """Why a loaded file's comments and formatting could not be kept; None when they were (or there were none)."""


class _CannotKeep(Exception):
    """The file's layout is one this writer does not edit; the reason, for the reply."""


# ------------------------------------------------------------------ expect


def _figure_of(summary: Summary, layer: str | None, figure: str) -> int | Shape:
    """The figure ``expect`` names, as the model now computes it (as ``convcalc check`` reads it)."""
    if layer is None:
        if figure == "output":
            return summary.output
        return getattr(summary.totals, figure)  # params, trainable_params, non_trainable_params, macs
    part = summary.part(layer)
    return part.output if figure == "output" else getattr(part, figure)


def _expected_value(figure: int | Shape, layout: Layout) -> Any:
    """A figure as ``expect`` writes it: a shape as a list in the file's layout."""
    return list(figure.ordered(layout)) if isinstance(figure, Shape) else figure


def refreshed_expect(state: State, summary: Summary) -> tuple[State, list[tuple[tuple[str, ...], Any, Any]]]:
    """``state`` with every stale figure of its ``expect`` set to the computed one, and the changes.

    Each change is (path in ``expect``, old value, new value), e.g.
    ``(('params',), 9728, 5024)`` or ``(('layers', 'conv1', 'output'), [112, 112, 64], [56, 56, 64])``.
    """
    header = dict(state.header)
    expect = header.get("expect")
    if not isinstance(expect, dict):
        return state, []
    changes: list[tuple[tuple[str, ...], Any, Any]] = []
    new = dict(expect)
    for key, value in expect.items():
        if key == "layers" and isinstance(value, dict):
            layers = {}
            for name, figures in value.items():
                figures = dict(figures) if isinstance(figures, dict) else figures
                for figure, old in list(figures.items()) if isinstance(figures, dict) else ():
                    now = _expected_value(_figure_of(summary, name, figure), state.layout)
                    if now != old:
                        figures[figure] = now
                        changes.append((("layers", name, figure), old, now))
                layers[name] = figures
            new["layers"] = layers
        elif key != "layers":
            now = _expected_value(_figure_of(summary, None, key), state.layout)
            if now != value:
                new[key] = now
                changes.append(((key,), value, now))
    if not changes:
        return state, []
    header["expect"] = new
    return replace(state, header=tuple(header.items())), changes


def change_text(path: tuple[str, ...], old: Any, new: Any) -> str:
    """One refreshed figure, for the reply.

    >>> change_text(("params",), 9728, 4864)
    'params 9,728 → 4,864'
    >>> change_text(("layers", "conv1", "output"), [112, 112, 64], [56, 56, 32])
    "layer 'conv1' output 112×112×64 → 56×56×32"
    """
    where = " ".join(path) if path[0] != "layers" else f"layer {path[1]!r} {path[2]}"

    def shown(v: Any) -> str:
        return f"{v:,}" if isinstance(v, int) else "×".join(str(d) for d in v) if isinstance(v, list) else str(v)

    return f"{where} {shown(old)} → {shown(new)}"


# ------------------------------------------------------------------ the file


def saved_file(state: State, summary: Summary) -> Saved:
    """The text ``save`` writes for ``state`` (whose model is ``summary``).

    Stale ``expect`` figures are refreshed first. With an origin (a file was
    loaded or saved), the origin's text is edited; else, or if it cannot be,
    the plain form is written.
    """
    state, changes = refreshed_expect(state, summary)
    lost = None
    if state.origin is not None:
        try:
            return Saved(_kept(state.origin, state), state, changes, None)
        except _CannotKeep as reason:
            lost = str(reason)
        except Exception as error:  # a file shape this writer misreads: the plain form is always right
            lost = f"it could not be edited line by line ({type(error).__name__})"
    return Saved(PLAIN_HEADER + state_yaml(state)[0], state, changes, lost)


class _Chunk(NamedTuple):
    """A run of lines: ``gap`` (blank lines, comments set apart), ``lead`` (comments directly above), ``body``."""

    gap: list[str]
    lead: list[str]
    body: list[str]
    first: int
    """0-based line of the body's first line."""


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _end(node: yaml.Node) -> tuple[int, int]:
    """(line, column) just after the last character a node's own text holds.

    A block collection's own end mark lies at the next token (past any
    comments after it), so its end is that of its last child instead.
    """
    if isinstance(node, yaml.MappingNode) and not node.flow_style:
        return max((max(_end(k), _end(v)) for k, v in node.value), default=(node.start_mark.line, node.start_mark.column))
    if isinstance(node, yaml.SequenceNode) and not node.flow_style:
        return max((_end(v) for v in node.value), default=(node.start_mark.line, node.start_mark.column))
    return node.end_mark.line, node.end_mark.column


def _last_line(node: yaml.Node, *more: yaml.Node) -> int:
    """0-based line of the last character of ``node`` (and of ``more``)."""
    line, column = max(_end(n) for n in (node, *more))
    return line if column > 0 else line - 1


def _chunks(lines: list[str], starts: list[int], ends: list[int], floor: int, ceiling: int) -> tuple[list[_Chunk], list[str]]:
    """Split ``lines[floor:ceiling]`` into one chunk per (start, end) body, and what follows the last.

    A chunk's ``lead`` is the comment lines directly above its body; blank
    lines, and comments above a blank line, are its ``gap``.
    """
    chunks = []
    previous = floor - 1
    for start, end in zip(starts, ends):
        if not previous < start <= end:
            raise _CannotKeep("its entries overlap (a YAML alias or several on one line)")
        lead = start
        while lead - 1 > previous and _is_comment(lines[lead - 1]):
            lead -= 1
        chunks.append(_Chunk(lines[previous + 1 : lead], lines[lead:start], lines[start : end + 1], start))
        previous = end
    return chunks, lines[previous + 1 : ceiling]


def _comment_after(line: str, column: int) -> str:
    """The end-of-line comment after ``column`` (with the spaces before it), or ''."""
    rest = line[column:].rstrip("\r\n")
    return rest if rest.strip().startswith("#") else ""


def _one_line(key_line: str, node: yaml.Node, text: str) -> list[str]:
    """``text`` in place of a one-line value, keeping the indentation and end-of-line comment."""
    indent = key_line[: len(key_line) - len(key_line.lstrip())]
    if node.start_mark.line == _last_line(node):
        return [indent + text + _comment_after(key_line, _end(node)[1]) + "\n"]
    return [indent + text + "\n"]


def _kept(origin: Origin, state: State) -> str:
    """The origin's text edited to hold ``state``; :class:`_CannotKeep` if it cannot be."""
    text = origin.text if origin.text.endswith("\n") else origin.text + "\n"
    lines = text.splitlines(keepends=True)
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:  # pragma: no cover - the origin loaded, so it parses
        raise _CannotKeep("it could not be read again") from None
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        raise _CannotKeep("it is written as one flow mapping")
    keys = [k.value for k, _ in root.value]
    values = dict(zip(keys, (v for _, v in root.value)))
    chunks, tail = _chunks(lines, [k.start_mark.line for k, _ in root.value], [_last_line(k, v) for k, v in root.value], 0, len(lines))
    before, after = origin.state, state
    old_header, new_header = dict(before.header), dict(after.header)
    skipped = _skipped_keys(keys, old_header, new_header)
    out: list[str] = []
    for key, chunk in zip(keys, chunks):
        out += chunk.gap
        if key == "layout" and after.layout is not before.layout:
            body = _one_line(chunk.body[0], values[key], f"layout: {after.layout.value}")
        elif key == "input" and (after.input != before.input or after.layout is not before.layout):
            body = _input_body(chunk, values[key], after)
            if after.layout is not before.layout and "layout" not in keys:
                body = [f"layout: {after.layout.value}\n", *body]
        elif key == "layers":
            body = _layers_body(lines, chunk, values[key], before.entries, after.entries)
        elif key == "expect" and old_header.get(key) != new_header.get(key):
            body = _expect_body(chunk, values[key], old_header[key], new_header[key])
        elif key in ("layout", "input", "layers") or old_header.get(key) == new_header.get(key):
            body = chunk.body
        elif key in new_header:
            body = [_mapping_text({key: new_header[key]})]
        else:  # a key the state no longer has
            continue
        out += chunk.lead + body
    out += tail
    missing = {k: v for k, v in new_header.items() if k not in keys and k not in skipped}
    if missing or "input" not in keys or "layers" not in keys:
        raise _CannotKeep(f"it lacks {', '.join(missing) or 'input or layers'}, which the shell would add")
    result = "".join(out)
    if lines[0].endswith("\r\n"):  # a Windows file: the lines written anew end as the others do
        result = re.sub(r"(?<!\r)\n", "\r\n", result)
    _check(result, state, skipped)
    return result


def _skipped_keys(written: list[str], old: dict[str, Any], new: dict[str, Any]) -> set[str]:
    """Header keys the shell holds but the file does not write: the name a file without one
    takes from its file name (a saved copy takes its own), left unwritten while unchanged."""
    return {k for k in ("name",) if k not in written and k in new and old.get(k) == new[k]}


def _input_body(chunk: _Chunk, node: yaml.Node, state: State) -> list[str]:
    assert state.input is not None  # a loaded file has one, and no command removes it
    dims = list(state.input.ordered(state.layout))
    return _one_line(chunk.body[0], node, f"input: {_flow(dims)}") if node.start_mark.line == chunk.first else [_mapping_text({"input": dims})]


def _layers_body(lines: list[str], chunk: _Chunk, node: yaml.Node, old: tuple[Any, ...], new: tuple[Any, ...]) -> list[str]:
    """The ``layers:`` key and its items: entries kept, changed, inserted and deleted.

    Old and new entries are matched by equality, as difflib matches lines
    (the longest runs of equal entries first); an entry replaced one for one
    is a changed entry, written at its old place.
    """
    if not isinstance(node, yaml.SequenceNode) or node.flow_style or not node.value:
        if old == new:
            return chunk.body
        return [_mapping_text({"layers": list(new)})]
    items = node.value
    if len(items) != len(old):
        raise _CannotKeep("its layers list does not match what was loaded")
    dashes = []
    for item in items:
        line = lines[item.start_mark.line]
        if line[: item.start_mark.column].strip() != "-":
            raise _CannotKeep("an entry of 'layers' does not start on its '- ' line (a YAML alias?)")
        dashes.append(item.start_mark.line)
    item_chunks, rest = _chunks(lines, dashes, [_last_line(item) for item in items], chunk.first + 1, chunk.first + len(chunk.body))
    first_line = lines[dashes[0]]
    indent = first_line[: first_line.index("-")]

    def written(entry: Any, like: _Chunk | None = None, item: yaml.Node | None = None) -> list[str]:
        comment = ""
        if like is not None and item is not None and len(like.body) == 1:
            comment = _comment_after(like.body[0], _end(item)[1])
        return [f"{indent}- {entry_text(entry)}{comment}\n"]

    out = [chunk.body[0]]
    for tag, i1, i2, j1, j2 in _opcodes([repr(e) for e in old], [repr(e) for e in new]):
        if tag == "equal":
            for c in item_chunks[i1:i2]:
                out += c.gap + c.lead + c.body
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(paired):  # a changed entry, at its place, under its comments
            c = item_chunks[i1 + k]
            out += c.gap + c.lead + written(new[j1 + k], c, items[i1 + k])
        for c in item_chunks[i1 + paired : i2]:  # deleted: the comments directly above go too
            out += c.gap
        for entry in new[j1 + paired : j2]:
            out += written(entry)
    return out + rest


def _opcodes(old: list[str], new: list[str]) -> list[tuple[str, int, int, int, int]]:
    """difflib's opcodes from ``old`` to ``new``, in time linear in the common start and end.

    The shell's edits touch a few entries, so the equal start and end are
    taken off first; difflib matches only what is left between them (it is
    quadratic in repeated entries, as 5,000 ``relu`` lines are), and a middle
    too large for it is one replacement.
    """
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    end = 0
    while end < min(len(old), len(new)) - start and old[-1 - end] == new[-1 - end]:
        end += 1
    a, b = old[start : len(old) - end], new[start : len(new) - end]
    if not a and not b:
        middle = []
    elif len(a) * len(b) > 250_000:
        middle = [("replace", 0, len(a), 0, len(b))]
    else:
        middle = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    shifted = [(tag, i1 + start, i2 + start, j1 + start, j2 + start) for tag, i1, i2, j1, j2 in middle]
    head = [("equal", 0, start, 0, start)] if start else []
    tail = [("equal", len(old) - end, len(old), len(new) - end, len(new))] if end else []
    return [*head, *shifted, *tail]


def _expect_body(chunk: _Chunk, node: yaml.Node, old: Any, new: Any) -> list[str]:
    """``expect:`` with each changed figure replaced where it is written."""
    edits: dict[int, list[tuple[int, int, str]]] = {}

    def walk(located: yaml.Node, was: Any, now: Any) -> bool:
        if was == now:
            return True
        if isinstance(located, yaml.MappingNode) and isinstance(was, dict) and isinstance(now, dict):
            children = {k.value: v for k, v in located.value}
            return all(walk(children[k], was[k], now[k]) for k in now if k in children)
        if isinstance(located, yaml.ScalarNode) and isinstance(now, int):
            written = f"{now:_}" if "_" in located.value else str(now)
        elif isinstance(located, yaml.SequenceNode) and located.flow_style and isinstance(now, list):
            written = _flow(now)
        else:
            return False
        if located.start_mark.line != located.end_mark.line:
            return False
        edits.setdefault(located.start_mark.line, []).append((located.start_mark.column, located.end_mark.column, written))
        return True

    if not walk(node, old, new):
        return [_mapping_text({"expect": new})]
    out = []
    for number, line in enumerate(chunk.body, chunk.first):
        for start, end, written in sorted(edits.get(number, []), reverse=True):
            line = line[:start] + written + line[end:]
        out.append(line)
    return out


def _check(text: str, state: State, skipped: set[str]) -> None:
    """The edited text must read to the data of ``state``, or it is not written."""
    try:
        got = parse_yaml(text, SHELL_FILE).plain()
    except Exception:
        raise _CannotKeep("the edited text did not read back") from None
    want = parse_yaml(state_yaml(state)[0], SHELL_FILE).plain()
    for key in skipped:
        want.pop(key, None)
    if got != want:
        raise _CannotKeep("the edited text did not read back to the same model")
