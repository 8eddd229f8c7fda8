"""Results as plain data: the stable JSON documents convcalc prints.

The layer document (``convcalc layer --format json``)::

    {"schema_version": 1, "kind": "conv2d", "options": {"filters": 64, "kernel": 7, ...},
     "layout": "hwc", "batch": null, "input": [224, 224, 3], "output": [112, 112, 64],
     "params": {"trainable": 9408, "non_trainable": 0, "total": 9408},
     "macs": 118013952,
     "padding": {"top": 3, "bottom": 3, "left": 3, "right": 3}}

``padding`` appears for windowed kinds (convolution and pooling) with the
padding actually applied, ``same`` resolved; ``others`` lists the extra inputs
of a merge; ``explain`` the arithmetic lines when asked for.

``batch`` (``--batch N``) means the same in every document and table: the
figures that grow with the batch are for N samples — shapes get a leading N,
MACs and activation and input memory are N times one sample's — while
parameters and their memory do not grow. ``null``: one sample, no batch axis.
The layouts are documented in ``docs/output.md`` and checked against
``convcalc/output.schema.json``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from .formatting import binary_bytes, count, escape_controls, si
from .layers import LayerResult, LayerSpec
from .model import INPUT, Summary
from .shapes import Layout, Shape

__all__ = [
    "COLUMNS",
    "CSV_COLUMNS",
    "GROUP_CSV_COLUMNS",
    "SCHEMA_VERSION",
    "DisplayRow",
    "axes_label",
    "batched",
    "display_rows",
    "extra_columns",
    "group_csv",
    "layer_document",
    "model_csv",
    "model_document",
    "model_markdown",
    "resolved_padding",
    "shape_text",
    "totals_lines",
    "verified_layers",
]


SCHEMA_VERSION = 1
"""Version of the layouts of the JSON documents of ``layer``, ``model`` and
``solve`` (``diff`` and ``check`` keep their own, also 1); raised when a key
changes meaning or goes away, not when one is added."""


def batched(dims: Sequence[int], batch: int | None) -> list[int]:
    """A shape's dims with the batch axis first when there is one.

    >>> batched([112, 112, 64], 8), batched([1000], None)
    ([8, 112, 112, 64], [1000])
    """
    return [batch, *dims] if batch is not None else list(dims)


def _times(n: int, batch: int | None) -> int:
    """A per-sample figure for the whole batch (8 samples · 118,013,952 MACs = 944,111,616)."""
    return n * (batch or 1)


_SIDES = {"D": ("front", "back"), "H": ("top", "bottom"), "W": ("left", "right"), "L": ("left", "right")}
"""The names of the pads before and after each spatial axis (1-D: left and right)."""


def resolved_padding(spec: LayerSpec, x: Shape) -> dict[str, int] | None:
    """The pads a windowed layer applies to ``x`` (``same`` resolved): top,
    bottom, left, right in 2-D; front and back too in 3-D; left, right in 1-D."""
    windows = getattr(spec, "windows", None)
    if windows is None:
        return None
    found: dict[str, int] = {}
    for w in windows(x):
        before, after = _SIDES[w.axis]
        found[before], found[after] = w.pad_before, w.pad_after
    return found


def layer_document(
    spec: LayerSpec,
    inputs: tuple[Shape, ...],
    result: LayerResult,
    layout: Layout,
    explanation: list[str] | None = None,
    batch: int | None = None,
) -> dict[str, Any]:
    """The stable JSON document of ``convcalc layer --format json`` (see the module docstring)."""
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "kind": spec.kind,
        "options": spec.options(),
        "layout": layout.value,
        "batch": batch,
        "input": batched(inputs[0].ordered(layout), batch),
        "output": batched(result.output.ordered(layout), batch),
        "params": {
            "trainable": result.trainable,
            "non_trainable": result.non_trainable,
            "total": result.params,
        },
        "macs": _times(result.macs, batch),
    }
    if len(inputs) > 1:
        doc["others"] = [batched(s.ordered(layout), batch) for s in inputs[1:]]
    padding = resolved_padding(spec, inputs[0])
    if padding is not None:
        doc["padding"] = padding
    if explanation is not None:
        doc["explain"] = explanation
    return doc


# ------------------------------------------------------------------ models


class DisplayRow(NamedTuple):
    """A line of a model table: a layer, or a group of layers (a block)."""

    name: str
    kind: str
    level: int
    """Nesting depth: 0 at the top, 1 inside one group, …"""
    output: Shape
    trainable: int
    non_trainable: int
    macs: int
    is_group: bool
    index: int
    """The analysed row this line shows (for a group: its last layer)."""
    verified: bool | None = None
    """The forward pass agreed (a group: on all its layers); None when not run."""
    sources: tuple[str, ...] = ()
    """The names of the tensors a layer reads ('input' for the network's
    input); empty for a group."""
    path: tuple[str, ...] = ()
    """The groups the row is nested in, outermost first."""


def display_rows(
    summary: Summary, depth: int | None = None, verified: Mapping[str, bool] | None = None
) -> list[DisplayRow]:
    """Rows in execution order with a header row opening each group.

    Groups nested ``depth`` deep are shown as one row each, their layers
    hidden; ``None`` shows everything. ``verified`` maps layer names to the
    forward pass's verdict.
    """
    groups = _group_totals(summary)
    names = _node_names(summary)
    group_ok: dict[str, bool] = {}
    if verified is not None:
        for row in summary.rows:
            ok = verified.get(row.node.name, False)
            for name in row.node.path:
                group_ok[name] = group_ok.get(name, True) and ok
    out: list[DisplayRow] = []
    open_path: tuple[str, ...] = ()
    for index, row in enumerate(summary.rows):
        path = row.node.path
        common = 0
        while common < min(len(path), len(open_path)) and path[common] == open_path[common]:
            common += 1
        for level in range(common, len(path)):
            if depth is not None and level > depth:
                break
            name = path[level]
            g = groups[name]
            mark = group_ok.get(name) if verified is not None else None
            out.append(DisplayRow(name, summary.model.groups.get(name, "group"), level, g.output, g.trainable, g.non_trainable, g.macs, True, g.last, mark, (), path[:level]))
        open_path = path
        if depth is not None and len(path) > depth:
            continue
        r = row.result
        mark = verified.get(row.node.name, False) if verified is not None else None
        sources = tuple(names[i] for i in row.node.inputs)
        out.append(DisplayRow(row.node.name, row.node.spec.kind, len(path), r.output, r.trainable, r.non_trainable, r.macs, False, index, mark, sources, path))
    return out


def _node_names(summary: Summary) -> dict[int, str]:
    """Node index → layer name, with the network's input as 'input'."""
    names = {i: node.name for i, node in enumerate(summary.model.nodes)}
    names[INPUT] = "input"
    return names


class _GroupTotal(NamedTuple):
    output: Shape
    trainable: int
    non_trainable: int
    macs: int
    last: int
    """Index of the group's last layer, whose output is the group's."""
    level: int = 0
    """How many groups enclose this one (0: a top-level group)."""
    layers: int = 1
    """How many layers the group holds, at any depth."""
    parent: str = ""
    """The enclosing group's name ('' at the top level)."""


def _group_totals(summary: Summary) -> dict[str, _GroupTotal]:
    """Each group's sums of its layers, in the order the groups open."""
    totals: dict[str, _GroupTotal] = {}
    for index, row in enumerate(summary.rows):
        r = row.result
        for level, name in enumerate(row.node.path):
            t = totals.get(name)
            if t is None:
                parent = row.node.path[level - 1] if level else ""
                totals[name] = _GroupTotal(r.output, r.trainable, r.non_trainable, r.macs, index, level, 1, parent)
            else:
                totals[name] = t._replace(
                    output=r.output, trainable=t.trainable + r.trainable, non_trainable=t.non_trainable + r.non_trainable,
                    macs=t.macs + r.macs, last=index, layers=t.layers + 1,
                )
    return totals


def _params(trainable: int, non_trainable: int) -> dict[str, int]:
    """The ``params`` object of every document: the two parts and their sum."""
    return {"trainable": trainable, "non_trainable": non_trainable, "total": trainable + non_trainable}


COLUMNS = ("rf", "jump", "start", "clipped", "mem")
"""Optional model-table columns: receptive field size, its jump (effective
stride), its start (centre of output 0's field), the field clipped to the
input, and the layer output's memory at the summary's dtype."""


def extra_columns(summary: Summary, names: Sequence[str], fields: Sequence[Any] | None = None) -> list[tuple[str, list[str]]]:
    """(header, one text per analysed row) for each optional column asked for.

    Receptive-field values are one per spatial axis, ``H×W`` or ``D×H×W``
    (one number when every axis agrees); see :mod:`convcalc.receptive`.
    """
    if any(n != "mem" for n in names) and fields is None:
        from .receptive import receptive_fields

        fields = receptive_fields(summary)
    out = []
    for name in names:
        if name == "mem":
            size = summary.totals.dtype.bytes
            out.append(("output mem", [binary_bytes(r.result.output.size * size) for r in summary.rows]))
            continue
        from .receptive import fraction_text

        header = {"rf": "RF", "jump": "RF jump", "start": "RF start", "clipped": "RF in input"}[name]
        values = []
        for f in fields:  # type: ignore[union-attr]
            along = [a.clipped if name == "clipped" else getattr(a, _FIELD[name]) for a in f.axes]
            values.append(fraction_text(along[0]) if len(set(along)) == 1 else "×".join(map(fraction_text, along)))
        out.append((header, values))
    return out


_FIELD = {"rf": "size", "jump": "jump", "start": "start"}


def model_document(
    summary: Summary, layout: Layout, verification: Any = None, training: Any = None, batch: int | None = None
) -> dict[str, Any]:
    """The stable JSON document of ``convcalc model --format json`` (``docs/output.md``).

    Per layer and per group, ``params`` is ``{trainable, non_trainable,
    total}`` as in the layer document. With a forward-pass ``verification``
    (see :mod:`convcalc.forward`) each layer gains ``verified`` and the
    document a ``verification`` summary. ``batch``: see the module docstring.
    """
    model, totals = summary.model, summary.totals
    names = _node_names(summary)
    groups = _group_totals(summary)
    verified = verified_layers(verification) if verification is not None else None
    fields = _fields_or_none(summary)
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "name": model.name,
        "description": model.description,
        "layout": layout.value,
        "dtype": totals.dtype.value,
        "batch": batch,
        "input": batched(model.input.ordered(layout), batch),
        "output": batched(summary.output.ordered(layout), batch),
        "layers": [
            {
                "name": row.node.name,
                "kind": row.node.spec.kind,
                "inputs": [names[i] for i in row.node.inputs],
                "output": batched(row.result.output.ordered(layout), batch),
                "params": _params(row.result.trainable, row.result.non_trainable),
                "macs": _times(row.result.macs, batch),
                "options": row.node.spec.options(),
                "groups": list(row.node.path),
            }
            | ({"receptive_field": fields[i].as_dict()} if fields is not None else {})
            | ({"verified": verified.get(row.node.name, False)} if verified is not None else {})
            for i, row in enumerate(summary.rows)
        ],
        "groups": [
            {
                "name": name,
                "kind": model.groups.get(name, "group"),
                "level": g.level,
                "layers": g.layers,
                "output": batched(g.output.ordered(layout), batch),
                "params": _params(g.trainable, g.non_trainable),
                "macs": _times(g.macs, batch),
            }
            for name, g in groups.items()
        ],
        "totals": {
            "params": totals.params,
            "trainable_params": totals.trainable_params,
            "non_trainable_params": totals.non_trainable_params,
            "macs": _times(totals.macs, batch),
            "param_bytes": totals.param_bytes,
            "activation_bytes": _times(totals.activation_bytes, batch),
            "peak_activation_bytes": _times(totals.peak_activation_bytes, batch),
            "input_bytes": _times(totals.input_bytes, batch),
        },
    }
    if training is not None:
        doc["training"] = {
            **training._asdict(),
            "dtype": training.dtype.value,
            "optimizer": training.optimizer.value,
        }
    if verification is not None:
        doc["verification"] = {
            "ok": verification.ok,
            "batch": verification.batch,
            "seed": verification.seed,
            "mismatches": list(verification.mismatches),
        }
    return doc


def _fields_or_none(summary: Summary) -> list[Any] | None:
    """Receptive fields, or None for a network whose input is not a map (of any spatial rank)."""
    if summary.model.input.rank == 1:
        return None
    from .receptive import receptive_fields

    return receptive_fields(summary)


def verified_layers(verification: Any) -> dict[str, bool]:
    """Layer name → whether the forward pass agreed with the analysis."""
    return {check.name: check.ok for check in verification.checks}


CSV_COLUMNS = (
    "name", "kind", "group", "level", "output", "params", "trainable", "non_trainable", "macs", "output_bytes",
)
"""Header of the per-layer CSV: one row per layer, never a group row, so a
column sums to the network's total. ``group`` is the innermost enclosing
group ('' at the top level); ``output`` is ``112x112x64`` in the table's
layout; ``output_bytes`` is the output's memory at ``--dtype``. Optional
columns (``rf``, …) and ``verified`` follow."""

GROUP_CSV_COLUMNS = ("name", "kind", "parent", "level", "layers", "output", "params", "trainable", "non_trainable", "macs")
"""Header of ``--groups`` CSV: one row per group with the sums of its layers."""


def _csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _dims_text(shape: Shape, layout: Layout, batch: int | None) -> str:
    return "x".join(map(str, batched(shape.ordered(layout), batch)))


def model_csv(
    summary: Summary,
    layout: Layout,
    extra: Sequence[tuple[str, list[str]]] = (),
    verified: Mapping[str, bool] | None = None,
    batch: int | None = None,
) -> str:
    """One CSV row per layer (see :data:`CSV_COLUMNS`); bytes and counts are plain integers."""
    size = summary.totals.dtype.bytes
    shown = [(name, values) for name, values in extra if name != "output mem"]  # output_bytes says it in bytes
    header = [*CSV_COLUMNS, *(_csv_name(name) for name, _ in shown), *(("verified",) if verified is not None else ())]
    rows = []
    for index, row in enumerate(summary.rows):
        r = row.result
        cells: list[Any] = [
            row.node.name, row.node.spec.kind, row.node.path[-1] if row.node.path else "", len(row.node.path),
            _dims_text(r.output, layout, batch), r.params, r.trainable, r.non_trainable, _times(r.macs, batch),
            _times(r.output.size * size, batch),
        ]
        cells += [values[index] for _, values in shown]
        if verified is not None:
            cells.append(str(verified.get(row.node.name, False)).lower())
        rows.append(cells)
    return _csv(header, rows)


def _csv_name(header: str) -> str:
    """'RF in input' → 'rf_in_input'."""
    return header.lower().replace(" ", "_")


def group_csv(summary: Summary, layout: Layout, depth: int | None = None, batch: int | None = None) -> str:
    """One CSV row per group (``--groups``; see :data:`GROUP_CSV_COLUMNS`), those
    nested deeper than ``depth`` left out, as in the table."""
    rows = [
        [name, summary.model.groups.get(name, "group"), g.parent, g.level, g.layers, _dims_text(g.output, layout, batch),
         g.trainable + g.non_trainable, g.trainable, g.non_trainable, _times(g.macs, batch)]
        for name, g in _group_totals(summary).items()
        if depth is None or g.level <= depth
    ]
    return _csv(GROUP_CSV_COLUMNS, rows)


def axes_label(rank: int, layout: Layout, batch: int | None = None) -> str:
    """The axis names of a map of ``rank`` axes in ``layout``: H×W×C, C×H×W,
    L×C for 1-D and D×H×W×C for 3-D maps, N× first with a batch.

    >>> axes_label(3, Layout.CHW, 8), axes_label(2, Layout.HWC)
    ('N×C×H×W', 'L×C')
    """
    spatial = {2: "L", 4: "D×H×W"}.get(rank, "H×W")
    names = f"C×{spatial}" if layout is Layout.CHW else f"{spatial}×C"
    return f"N×{names}" if batch is not None else names


def shape_text(shape: Shape, layout: Layout, batch: int | None = None) -> str:
    """'112×112×64', or '8×112×112×64' for a batch of 8."""
    return "×".join(map(str, batched(shape.ordered(layout), batch)))


def model_markdown(
    summary: Summary,
    rows: list[DisplayRow],
    layout: Layout,
    extra: Sequence[tuple[str, list[str]]] = (),
    training: Any = None,
    batch: int | None = None,
) -> str:
    """A GitHub-flavoured Markdown table, the input first, with the totals under it."""
    axes = axes_label(summary.model.input.rank, layout, batch)
    lines = [
        f"## {escape_controls(summary.model.name)}",
        "",
        f"| layer | kind | output ({axes}) | trainable | non-trainable | MACs |"
        + "".join(f" {name} |" for name, _ in extra),
        "|---|---|---:|---:|---:|---:|" + "---:|" * len(extra),
        f"| input | input | {shape_text(summary.model.input, layout, batch)} | 0 | 0 | 0 |" + " |" * len(extra),
    ]
    for r in rows:
        shown = escape_controls(r.name)
        name = ("&nbsp;&nbsp;" * r.level) + (f"**{shown}**" if r.is_group else shown)
        lines.append(
            f"| {name} | {r.kind} | {shape_text(r.output, layout, batch)} | {count(r.trainable)} | {count(r.non_trainable)} | {count(_times(r.macs, batch))} |"
            + "".join(f" {values[r.index]} |" for _, values in extra)
        )
    lines.append("")
    lines.extend(f"- {label}: {value}" for label, value in totals_lines(summary, training, layout, batch))
    return "\n".join(lines) + "\n"


def totals_lines(
    summary: Summary, training: Any = None, layout: Layout | None = None, batch: int | None = None
) -> list[tuple[str, str]]:
    """(label, value) pairs of the totals shown under every model table.

    The input is written in ``layout`` (the file's own by default), so a
    C×H×W file's footer reads C×H×W; with a ``batch`` the MACs, input and
    activation memory are for the whole batch, and the batch is its own line.
    """
    t = summary.totals
    d = t.dtype.value
    order = layout or summary.model.layout
    extra = []
    if training is not None:
        m = training
        extra.append((
            f"training ({m.optimizer.value}, batch {m.batch}, {m.dtype.value})",
            f"{binary_bytes(m.total)} = parameters {binary_bytes(m.parameters)} + gradients "
            f"{binary_bytes(m.gradients)} + optimizer state {binary_bytes(m.optimizer_state)} + "
            f"activations {binary_bytes(m.activations)}",
        ))
    macs = _times(t.macs, batch)
    per = " per batch" if batch is not None else ""
    return [
        *((("batch", f"{batch} (MACs and activation memory are for the batch)"),) if batch is not None else ()),
        ("params", f"{count(t.params)} ({binary_bytes(t.param_bytes)} as {d})"),
        ("trainable", count(t.trainable_params)),
        ("non-trainable", count(t.non_trainable_params)),
        ("MACs", f"{count(macs)} ({si(macs)}){per}"),
        ("input", f"{shape_text(summary.model.input, order, batch)} ({axes_label(summary.model.input.rank, order, batch)}, {binary_bytes(_times(t.input_bytes, batch))})"),
        ("activations", f"{binary_bytes(_times(t.activation_bytes, batch))} all outputs, {binary_bytes(_times(t.peak_activation_bytes, batch))} peak live at inference"),
        *extra,
    ]
