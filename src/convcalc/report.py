"""Results as plain data: the stable JSON documents convcalc prints.

The layer document (``convcalc layer --format json``)::

    {"kind": "conv2d", "options": {"filters": 64, "kernel": 7, ...},
     "layout": "hwc", "input": [224, 224, 3], "output": [112, 112, 64],
     "params": {"trainable": 9408, "non_trainable": 0, "total": 9408},
     "macs": 118013952,
     "padding": {"top": 3, "bottom": 3, "left": 3, "right": 3}}

``padding`` appears for windowed kinds (convolution and pooling) with the
padding actually applied, ``same`` resolved; ``others`` lists the extra inputs
of a merge; ``explain`` the arithmetic lines when asked for.
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
    "DisplayRow",
    "display_rows",
    "extra_columns",
    "layer_document",
    "model_csv",
    "model_document",
    "model_markdown",
    "resolved_padding",
    "totals_lines",
    "verified_layers",
]


def resolved_padding(spec: LayerSpec, x: Shape) -> dict[str, int] | None:
    """The four pads a windowed layer applies to ``x`` (``same`` resolved)."""
    windows = getattr(spec, "windows", None)
    if windows is None:
        return None
    wh, ww = windows(x)
    return {"top": wh.pad_before, "bottom": wh.pad_after, "left": ww.pad_before, "right": ww.pad_after}


def layer_document(
    spec: LayerSpec,
    inputs: tuple[Shape, ...],
    result: LayerResult,
    layout: Layout,
    explanation: list[str] | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "kind": spec.kind,
        "options": spec.options(),
        "layout": layout.value,
        "input": list(inputs[0].ordered(layout)),
        "output": list(result.output.ordered(layout)),
        "params": {
            "trainable": result.trainable,
            "non_trainable": result.non_trainable,
            "total": result.params,
        },
        "macs": result.macs,
    }
    if len(inputs) > 1:
        doc["others"] = [list(s.ordered(layout)) for s in inputs[1:]]
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


def display_rows(
    summary: Summary, depth: int | None = None, verified: Mapping[str, bool] | None = None
) -> list[DisplayRow]:
    """Rows in execution order with a header row opening each group.

    Groups nested ``depth`` deep are shown as one row each, their layers
    hidden; ``None`` shows everything. ``verified`` maps layer names to the
    forward pass's verdict.
    """
    groups = _group_totals(summary)
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
            out.append(DisplayRow(name, summary.model.groups.get(name, "group"), level, g.output, g.trainable, g.non_trainable, g.macs, True, g.last, mark))
        open_path = path
        if depth is not None and len(path) > depth:
            continue
        r = row.result
        mark = verified.get(row.node.name, False) if verified is not None else None
        out.append(DisplayRow(row.node.name, row.node.spec.kind, len(path), r.output, r.trainable, r.non_trainable, r.macs, False, index, mark))
    return out


class _GroupTotal(NamedTuple):
    output: Shape
    trainable: int
    non_trainable: int
    macs: int
    last: int
    """Index of the group's last layer, whose output is the group's."""


def _group_totals(summary: Summary) -> dict[str, _GroupTotal]:
    totals: dict[str, _GroupTotal] = {}
    for index, row in enumerate(summary.rows):
        r = row.result
        for name in row.node.path:
            t = totals.get(name)
            if t is None:
                totals[name] = _GroupTotal(r.output, r.trainable, r.non_trainable, r.macs, index)
            else:
                totals[name] = _GroupTotal(
                    r.output, t.trainable + r.trainable, t.non_trainable + r.non_trainable, t.macs + r.macs, index
                )
    return totals


COLUMNS = ("rf", "jump", "start", "clipped", "mem")
"""Optional model-table columns: receptive field size, its jump (effective
stride), its start (centre of output 0's field), the field clipped to the
input, and the layer output's memory at the summary's dtype."""


def extra_columns(summary: Summary, names: Sequence[str], fields: Sequence[Any] | None = None) -> list[tuple[str, list[str]]]:
    """(header, one text per analysed row) for each optional column asked for.

    Receptive-field values are ``H×W`` (one number when both agree); see
    :mod:`convcalc.receptive`.
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
            h, w = (f.h.clipped, f.w.clipped) if name == "clipped" else (getattr(f.h, _FIELD[name]), getattr(f.w, _FIELD[name]))
            values.append(fraction_text(h) if h == w else f"{fraction_text(h)}×{fraction_text(w)}")
        out.append((header, values))
    return out


_FIELD = {"rf": "size", "jump": "jump", "start": "start"}


def model_document(
    summary: Summary, layout: Layout, verification: Any = None, training: Any = None
) -> dict[str, Any]:
    """The stable JSON document of ``convcalc model --format json``.

    With a forward-pass ``verification`` (see :mod:`convcalc.forward`) each
    layer gains ``verified`` and the document a ``verification`` summary.
    """
    model, totals = summary.model, summary.totals
    names = {i: node.name for i, node in enumerate(model.nodes)}
    names[INPUT] = "input"
    groups = _group_totals(summary)
    verified = verified_layers(verification) if verification is not None else None
    fields = _fields_or_none(summary)
    doc: dict[str, Any] = {
        "name": model.name,
        "description": model.description,
        "layout": layout.value,
        "dtype": totals.dtype.value,
        "input": list(model.input.ordered(layout)),
        "output": list(summary.output.ordered(layout)),
        "layers": [
            {
                "name": row.node.name,
                "kind": row.node.spec.kind,
                "inputs": [names[i] for i in row.node.inputs],
                "output": list(row.result.output.ordered(layout)),
                "params": {"trainable": row.result.trainable, "non_trainable": row.result.non_trainable},
                "macs": row.result.macs,
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
                "output": list(g.output.ordered(layout)),
                "params": {"trainable": g.trainable, "non_trainable": g.non_trainable},
                "macs": g.macs,
            }
            for name, g in groups.items()
        ],
        "totals": {
            "params": totals.params,
            "trainable_params": totals.trainable_params,
            "non_trainable_params": totals.non_trainable_params,
            "macs": totals.macs,
            "param_bytes": totals.param_bytes,
            "activation_bytes": totals.activation_bytes,
            "peak_activation_bytes": totals.peak_activation_bytes,
            "input_bytes": totals.input_bytes,
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
    """Receptive fields, or None for a network whose input is not a map."""
    if not summary.model.input.is_map:
        return None
    from .receptive import receptive_fields

    return receptive_fields(summary)


def verified_layers(verification: Any) -> dict[str, bool]:
    """Layer name → whether the forward pass agreed with the analysis."""
    return {check.name: check.ok for check in verification.checks}


CSV_COLUMNS = ("name", "kind", "level", "group", "output", "trainable", "non_trainable", "macs")
"""CSV header; ``verified`` is appended after a forward pass."""


def model_csv(rows: list[DisplayRow], layout: Layout, extra: Sequence[tuple[str, list[str]]] = ()) -> str:
    """Rows as CSV (output shapes as ``112x112x64``)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    checked = any(r.verified is not None for r in rows)
    header = [*CSV_COLUMNS, *(name.lower().replace(" ", "_") for name, _ in extra)]
    writer.writerow([*header, "verified"] if checked else header)
    for r in rows:
        shape = "x".join(map(str, r.output.ordered(layout)))
        cells = [r.name, r.kind, r.level, str(r.is_group).lower(), shape, r.trainable, r.non_trainable, r.macs]
        cells += [values[r.index] for _, values in extra]
        writer.writerow([*cells, str(r.verified).lower()] if checked else cells)
    return buffer.getvalue()


def model_markdown(
    summary: Summary,
    rows: list[DisplayRow],
    layout: Layout,
    extra: Sequence[tuple[str, list[str]]] = (),
    training: Any = None,
) -> str:
    """A GitHub-flavoured Markdown table with the totals under it."""
    axes = "C×H×W" if layout is Layout.CHW else "H×W×C"
    lines = [
        f"## {escape_controls(summary.model.name)}",
        "",
        f"| layer | kind | output ({axes}) | trainable | non-trainable | MACs |"
        + "".join(f" {name} |" for name, _ in extra),
        "|---|---|---:|---:|---:|---:|" + "---:|" * len(extra),
    ]
    for r in rows:
        shown = escape_controls(r.name)
        name = ("&nbsp;&nbsp;" * r.level) + (f"**{shown}**" if r.is_group else shown)
        lines.append(
            f"| {name} | {r.kind} | {r.output.format(layout)} | {count(r.trainable)} | {count(r.non_trainable)} | {count(r.macs)} |"
            + "".join(f" {values[r.index]} |" for _, values in extra)
        )
    lines.append("")
    lines.extend(f"- {label}: {value}" for label, value in totals_lines(summary, training))
    return "\n".join(lines) + "\n"


def totals_lines(summary: Summary, training: Any = None) -> list[tuple[str, str]]:
    """(label, value) pairs of the totals shown under every model table."""
    t = summary.totals
    d = t.dtype.value
    extra = []
    if training is not None:
        m = training
        extra.append((
            f"training ({m.optimizer.value}, batch {m.batch}, {m.dtype.value})",
            f"{binary_bytes(m.total)} = parameters {binary_bytes(m.parameters)} + gradients "
            f"{binary_bytes(m.gradients)} + optimizer state {binary_bytes(m.optimizer_state)} + "
            f"activations {binary_bytes(m.activations)}",
        ))
    return [
        ("params", f"{count(t.params)} ({binary_bytes(t.param_bytes)} as {d})"),
        ("trainable", count(t.trainable_params)),
        ("non-trainable", count(t.non_trainable_params)),
        ("MACs", f"{count(t.macs)} ({si(t.macs)})"),
        ("input", f"{summary.model.input.format()} ({binary_bytes(t.input_bytes)})"),
        ("activations", f"{binary_bytes(t.activation_bytes)} all outputs, {binary_bytes(t.peak_activation_bytes)} peak live at inference"),
        *extra,
    ]
