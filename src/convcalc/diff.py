"""Two analysed networks compared layer by layer, and their totals.

:func:`diff` pairs the layers of ``a`` and ``b`` and says, for each pair,
which figures differ: options, output shape, parameters (trainable and
non-trainable), MACs, output memory and receptive field. Layers found in
only one network are *removed* (only in ``a``) or *added* (only in ``b``).
Totals differ by ``b − a``.

**Matching.** ``name`` pairs layers with the same full name, which suits
one file at two input sizes or two versions of one file. ``order`` aligns
the two sequences of layer kinds (difflib's longest matching blocks, as
``diff`` aligns lines), which suits the same network written by two hands —
torchvision's ``conv1`` is Keras' ``conv1_conv``, and Keras' explicit
``zeropad2d`` layers come out as *added*. ``auto`` (the default) uses
``name`` when at least half of the smaller network's layer names occur in
the other, else ``order``.

Worked: torchvision's ResNet-50 against Keras' (``configs/resnet50_keras.yaml``)
by order: Keras' 2 ``zeropad2d`` layers are added, and each of the 53
convolutions gains a bias, one parameter per filter: trainable
25,557,032 → 25,583,592 (+26,560, the published figures of both).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, NamedTuple

from .formatting import binary_bytes, count, si
from .shapes import Layout, Shape

if TYPE_CHECKING:  # the command line imports Match at start-up: keep this module light
    from .model import Row, Summary

__all__ = [
    "FIGURES", "SCHEMA_VERSION", "TOTALS", "Figures", "LayerDiff", "Match", "ModelDiff", "diff", "diff_document",
    "diff_markdown", "diff_text",
]

SCHEMA_VERSION = 1
"""Version of the ``diff --format json`` document; raised when a field changes meaning."""

FIGURES = ("options", "output", "trainable", "non_trainable", "macs", "memory", "field")
"""Per-layer figures compared, in the order they are reported."""

TOTALS = (
    "params", "trainable_params", "non_trainable_params", "macs",
    "param_bytes", "activation_bytes", "peak_activation_bytes", "input_bytes",
)
"""Model totals compared (:class:`~convcalc.model.Totals` fields)."""


class Match(str, Enum):
    """How layers of the two networks are paired."""

    AUTO = "auto"
    NAME = "name"
    ORDER = "order"


class Figures(NamedTuple):
    """What one layer does, as compared."""

    name: str
    kind: str
    options: dict[str, Any]
    output: Shape
    trainable: int
    non_trainable: int
    macs: int
    memory: int
    """Bytes of the layer's output at the summary's dtype."""
    field: dict[str, int | float] | None
    """Receptive field size per spatial axis (``{"h": 7, "w": 7}``; ``"l"``, or
    ``"d"``, ``"h"``, ``"w"`` for 1-D and 3-D networks), None when the input is not a map."""


class LayerDiff(NamedTuple):
    """One layer of ``a`` paired with one of ``b``, or found in only one."""

    a: Figures | None
    b: Figures | None
    changed: tuple[str, ...]
    """Figures that differ (:data:`FIGURES`), empty when the pair agrees."""

    @property
    def status(self) -> str:
        """``added`` (only in b), ``removed`` (only in a), ``changed`` or ``same``."""
        if self.a is None:
            return "added"
        if self.b is None:
            return "removed"
        return "changed" if self.changed else "same"


class ModelDiff(NamedTuple):
    a: Summary
    b: Summary
    match: Match
    """How the layers were paired: NAME or ORDER (AUTO resolved)."""
    layers: tuple[LayerDiff, ...]
    """Pairs in the order of ``a``, with layers only in ``b`` where they fall."""

    @property
    def totals(self) -> list[tuple[str, int, int]]:
        """``(figure, a, b)`` for each of :data:`TOTALS`."""
        return [(name, getattr(self.a.totals, name), getattr(self.b.totals, name)) for name in TOTALS]

    @property
    def same(self) -> bool:
        """True when every layer pairs and agrees, and the outputs and totals are equal."""
        return (
            all(d.status == "same" for d in self.layers)
            and self.a.output == self.b.output
            and all(x == y for _, x, y in self.totals)
        )

    def count(self, status: str) -> int:
        return sum(1 for d in self.layers if d.status == status)


def _figures(summary: Summary, fields: Sequence[Any] | None) -> list[Figures]:
    size = summary.totals.dtype.bytes
    out = []
    for i, row in enumerate(summary.rows):
        field = None
        if fields is not None:
            f = fields[i]
            field = {name.lower(): _number(axis.size) for name, axis in zip(f.names, f.axes)}
        r = row.result
        out.append(Figures(
            row.node.name, row.node.spec.kind, _all_options(row.node.spec), r.output, r.trainable, r.non_trainable,
            r.macs, r.output.size * size, field,
        ))
    return out


def _all_options(spec: Any) -> dict[str, Any]:
    """Every option with its value, defaults included, as a file would write it."""
    shown = spec.options()
    out = {}
    for f in spec.declared():
        if f.name in shown:
            out[f.name] = shown[f.name]
            continue
        value = getattr(spec, f.name)
        if hasattr(value, "as_value"):
            value = value.as_value()
        elif isinstance(value, tuple):
            value = value[0] if len(set(value)) == 1 else list(value)
        out[f.name] = value
    return out


def _number(q: Any) -> int | float:
    return int(q) if q.denominator == 1 else float(q)


def _fields(summary: Summary) -> list[Any] | None:
    if summary.model.input.rank == 1:
        return None
    from .errors import ConvCalcError
    from .receptive import receptive_fields

    try:
        return receptive_fields(summary)
    except ConvCalcError:  # a kind without a field rule: compare the rest
        return None


def _changed(a: Figures, b: Figures) -> tuple[str, ...]:
    out = []
    if a.kind != b.kind or a.options != b.options:
        out.append("options")
    for name in FIGURES[1:]:
        if getattr(a, name) != getattr(b, name):
            out.append(name)
    return tuple(out)


def _by_name(a: Sequence[Row], b: Sequence[Row]) -> list[tuple[int | None, int | None]]:
    """Pairs of equal names in a's order; b-only layers follow the a layer their predecessor matched."""
    where = {row.node.name: j for j, row in enumerate(b)}
    matched = {i: where[row.node.name] for i, row in enumerate(a) if row.node.name in where}
    taken = set(matched.values())
    anchor: dict[int, list[int]] = {}  # a index (−1: before all) → b-only indices after it
    last = -1
    b_to_a = {j: i for i, j in matched.items()}
    for j in range(len(b)):
        if j in b_to_a:
            last = b_to_a[j]
        elif j not in taken:
            anchor.setdefault(last, []).append(j)
    pairs: list[tuple[int | None, int | None]] = [(None, j) for j in anchor.get(-1, [])]
    for i in range(len(a)):
        pairs.append((i, matched.get(i)))
        pairs.extend((None, j) for j in anchor.get(i, []))
    return pairs


def _by_order(a: Sequence[Row], b: Sequence[Row]) -> list[tuple[int | None, int | None]]:
    """Pairs from aligning the two sequences of kinds; unaligned runs are removed, then added."""
    from difflib import SequenceMatcher

    kinds_a = [row.node.spec.kind for row in a]
    kinds_b = [row.node.spec.kind for row in b]
    pairs: list[tuple[int | None, int | None]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, kinds_a, kinds_b, autojunk=False).get_opcodes():
        if tag == "equal":
            pairs.extend(zip(range(i1, i2), range(j1, j2)))
        else:
            pairs.extend((i, None) for i in range(i1, i2))
            pairs.extend((None, j) for j in range(j1, j2))
    return pairs


def resolve_match(a: Summary, b: Summary, match: Match = Match.AUTO) -> Match:
    """``auto`` made concrete: NAME when at least half the smaller network's names are shared."""
    if match is not Match.AUTO:
        return match
    names_a = {row.node.name for row in a.rows}
    names_b = {row.node.name for row in b.rows}
    smaller = min(len(names_a), len(names_b))
    return Match.NAME if smaller and 2 * len(names_a & names_b) >= smaller else Match.ORDER


def diff(a: Summary, b: Summary, match: Match = Match.AUTO) -> ModelDiff:
    """``a`` and ``b`` compared layer by layer (memory at each one's dtype).

    >>> from convcalc.loader import parse
    >>> net = "{input: [8, 8, 3], layers: [conv2d: {filters: 4, kernel: 3, name: c}, relu]}"
    >>> d = diff(parse(net), parse(net.replace("8, 8", "10, 10")))
    >>> d.match.value, [(x.a.name, x.changed) for x in d.layers]
    ('name', [('c', ('output', 'macs', 'memory')), ('relu', ('output', 'memory'))])
    >>> d.a.totals.macs, d.b.totals.macs      # 6·6·4 × 27 = 3,888; 8·8·4 × 27 = 6,912
    (3888, 6912)
    """
    chosen = resolve_match(a, b, match)
    pairs = (_by_name if chosen is Match.NAME else _by_order)(a.rows, b.rows)
    figures_a = _figures(a, _fields(a))
    figures_b = _figures(b, _fields(b))
    layers = []
    for i, j in pairs:
        fa = figures_a[i] if i is not None else None
        fb = figures_b[j] if j is not None else None
        layers.append(LayerDiff(fa, fb, _changed(fa, fb) if fa is not None and fb is not None else ()))
    return ModelDiff(a, b, chosen, tuple(layers))


# ------------------------------------------------------------------ output


def _signed(n: int, fmt: Any = count) -> str:
    """``+128``, ``−1,024`` (a true minus sign), ``0``."""
    if n == 0:
        return "0"
    return ("+" if n > 0 else "−") + fmt(abs(n))


def _field_text(field: dict[str, Any] | None) -> str:
    """``7`` when every axis agrees, else ``3×7×7`` (D×H×W); ``—`` without a field."""
    if field is None:
        return "—"
    sizes = list(field.values())
    return str(sizes[0]) if len(set(sizes)) == 1 else "×".join(map(str, sizes))


def _option_changes(a: Figures, b: Figures) -> str:
    """``bias false → true; stride 1 → 2`` (or the kinds, when they differ)."""
    if a.kind != b.kind:
        return f"kind {a.kind} → {b.kind}"
    parts = []
    for key in dict.fromkeys([*a.options, *b.options]):
        x, y = a.options.get(key, "none"), b.options.get(key, "none")
        if x != y:
            parts.append(f"{key} {_plain(x)} → {_plain(y)}")
    return "; ".join(parts)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def _changes(d: LayerDiff, layout: Layout) -> list[str]:
    """The differing figures of a pair as short clauses."""
    a, b = d.a, d.b
    if a is None or b is None:
        one = a or b
        if one is None:  # pragma: no cover - a pair always has a side
            return []
        text = [f"output {one.output.format(layout)}"]
        params = one.trainable + one.non_trainable
        if params:
            text.append(f"params {count(params)}")
        if one.macs:
            text.append(f"MACs {si(one.macs)}")
        return text
    out = []
    for name in d.changed:
        if name == "options":
            out.append(_option_changes(a, b))
        elif name == "output":
            out.append(f"output {a.output.format(layout)} → {b.output.format(layout)}")
        elif name in ("trainable", "non_trainable"):
            x, y = getattr(a, name), getattr(b, name)
            label = "params" if name == "trainable" else "non-trainable"
            out.append(f"{label} {_signed(y - x)} ({count(x)} → {count(y)})")
        elif name == "macs":
            out.append(f"MACs {_signed(b.macs - a.macs, si)} ({si(a.macs)} → {si(b.macs)})")
        elif name == "memory":
            out.append(f"memory {_signed(b.memory - a.memory, binary_bytes)}")
        elif name == "field":
            out.append(f"field {_field_text(a.field)} → {_field_text(b.field)}")
    return out


def _title(d: ModelDiff, layout: Layout) -> tuple[str, str]:
    return (
        f"{d.a.model.name} ({d.a.model.input.format(layout)})",
        f"{d.b.model.name} ({d.b.model.input.format(layout)})",
    )


def _pair_name(d: LayerDiff) -> str:
    a, b = d.a, d.b
    if a is not None and b is not None:
        name = a.name if a.name == b.name else f"{a.name} = {b.name}"
        return f"{name} ({a.kind})"
    one = a or b
    return f"{one.name} ({one.kind})" if one is not None else ""


_TOTAL_LABELS = {
    "params": "params", "trainable_params": "trainable", "non_trainable_params": "non-trainable", "macs": "MACs",
    "param_bytes": "param memory", "activation_bytes": "activations", "peak_activation_bytes": "peak activations",
    "input_bytes": "input memory",
}


def diff_text(d: ModelDiff, layout: Layout = Layout.HWC, width: int = 80) -> str:
    """Differing layers, one header line and one or more indented lines each, then the totals.

    Marks as ``diff`` uses them: ``~`` changed, ``-`` only in a, ``+`` only in b.
    Every line fits ``width`` columns, 64 or more (names are cut in the middle if need be).
    """
    from .formatting import shorten

    title_a, title_b = _title(d, layout)
    lines = [shorten(f"a: {title_a}", width), shorten(f"b: {title_b}", width)]
    lines.append(shorten(
        f"layers matched by {d.match.value}: {d.count('same')} same, {d.count('changed')} changed, "
        f"{d.count('removed')} only in a, {d.count('added')} only in b", width,
    ))
    marks = {"changed": "~", "removed": "-", "added": "+"}
    shown = [x for x in d.layers if x.status != "same"]
    if shown:
        lines.append("")
    for x in shown:
        lines.append(shorten(f"{marks[x.status]} {_pair_name(x)}", width))
        lines += _packed(_changes(x, layout), width)
    lines += ["", f"{'totals':<16} {'a':>15} {'b':>15} {'b − a':>15}"]
    for name, x, y in d.totals:
        fmt = binary_bytes if name.endswith("bytes") else count
        lines.append(f"{_TOTAL_LABELS[name]:<16} {fmt(x):>15} {fmt(y):>15} {_signed(y - x, fmt):>15}")
    out_a, out_b = d.a.output.format(layout), d.b.output.format(layout)
    lines.append(f"{'output':<16} {out_a:>15} {out_b:>15} {'same' if out_a == out_b else 'differs':>15}")
    lines += ["", "same" if d.same else "different"]
    return "\n".join(lines) + "\n"


def _packed(clauses: list[str], width: int, indent: str = "    ") -> list[str]:
    """Clauses joined by '; ' into indented lines of at most ``width``, never breaking a clause
    unless it alone is too long."""
    from textwrap import wrap

    lines: list[str] = []
    current = ""
    for clause in clauses:
        joined = f"{current}; {clause}" if current else clause
        if len(indent) + len(joined) <= width:
            current = joined
            continue
        if current:
            lines.append(indent + current)
        current = clause
        if len(indent) + len(clause) > width:
            *full, current = wrap(clause, width - len(indent), break_on_hyphens=False)
            lines += [indent + part for part in full]
    if current:
        lines.append(indent + current)
    return lines


def _side(f: Figures | None, layout: Layout) -> dict[str, Any] | None:
    if f is None:
        return None
    return {
        "name": f.name, "kind": f.kind, "options": f.options, "output": list(f.output.ordered(layout)),
        "params": {"trainable": f.trainable, "non_trainable": f.non_trainable, "total": f.trainable + f.non_trainable},
        "macs": f.macs, "memory_bytes": f.memory,
        "field": None if f.field is None else dict(f.field),
    }


def diff_document(d: ModelDiff, layout: Layout = Layout.HWC) -> dict[str, Any]:
    """The comparison as plain data for JSON: every pair, with status and changed figures."""

    def model(s: Summary) -> dict[str, Any]:
        return {"name": s.model.name, "input": list(s.model.input.ordered(layout)), "output": list(s.output.ordered(layout)),
                "dtype": s.totals.dtype.value}

    return {
        "schema_version": SCHEMA_VERSION,
        "layout": layout.value,
        "a": model(d.a),
        "b": model(d.b),
        "match": d.match.value,
        "same": d.same,
        "counts": {s: d.count(s) for s in ("same", "changed", "removed", "added")},
        "totals": {name: {"a": x, "b": y, "delta": y - x} for name, x, y in d.totals},
        "layers": [
            {"status": x.status, "changed": list(x.changed), "a": _side(x.a, layout), "b": _side(x.b, layout)}
            for x in d.layers
        ],
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def diff_markdown(d: ModelDiff, layout: Layout = Layout.HWC) -> str:
    """A Markdown report: the totals table, then one row per differing layer."""
    title_a, title_b = _title(d, layout)
    lines = [
        f"## {_cell(title_a)} → {_cell(title_b)}", "",
        f"Layers matched by {d.match.value}: {d.count('same')} same, {d.count('changed')} changed, "
        f"{d.count('removed')} only in a, {d.count('added')} only in b.", "",
        "| total | a | b | b − a |", "|---|---:|---:|---:|",
    ]
    for name, x, y in d.totals:
        lines.append(f"| {_TOTAL_LABELS[name]} | {count(x)} | {count(y)} | {_signed(y - x)} |")
    shown = [x for x in d.layers if x.status != "same"]
    if shown:
        lines += ["", "| | layer | what differs |", "|---|---|---|"]
        marks = {"changed": "~", "removed": "−", "added": "+"}
        for x in shown:
            lines.append(f"| {marks[x.status]} | {_cell(_pair_name(x))} | {_cell('; '.join(_changes(x, layout)))} |")
    return "\n".join(lines) + "\n"
