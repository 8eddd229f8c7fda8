"""Rich renderings of results. The only core-facing module that imports rich."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from rich.table import Table
from rich.text import Text

from .formatting import count, escape_controls, si

__all__ = [
    "DEFAULT_COLUMNS", "MERGE_MARKS", "TABLE_COLUMNS", "Grid", "compact", "ellipsize", "layer_table", "model_table",
    "models_table",
]


def _options_text(options: dict[str, Any]) -> str:
    return "  ".join(f"{k}={_value(v)}" for k, v in options.items())


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _shape(dims: list[int]) -> str:
    return "×".join(str(d) for d in dims)


def layer_table(doc: dict[str, Any]) -> Table:
    """One layer's document (see :mod:`convcalc.report`) as a two-column table."""
    title = Text.assemble((doc["kind"], "bold"), "  ", _options_text(doc["options"]))
    table = Table(title=title, title_justify="left", show_header=False, min_width=len(title))
    table.add_column("what", style="dim")
    table.add_column("value", justify="right")
    chw = doc["layout"] == "chw"
    batch = doc.get("batch")
    axis = 1 if batch is not None else 0  # the batch axis, shown as N
    if batch is not None:
        table.add_row("batch", f"{batch} (shapes and MACs are for the batch)")
    table.add_row(f"input {_axes(len(doc['input']) - axis, chw, batch)}", _shape(doc["input"]))
    for other in doc.get("others", ()):
        table.add_row("with", _shape(other))
    table.add_row(f"output {_axes(len(doc['output']) - axis, chw, batch)}", Text(_shape(doc["output"]), style="bold cyan"))
    params = doc["params"]
    table.add_row("params", Text(count(params["total"]), style="bold"))
    table.add_row("  trainable", count(params["trainable"]))
    table.add_row("  non-trainable", count(params["non_trainable"]))
    macs = doc["macs"]
    table.add_row("MACs", count(macs) + (f"  ({si(macs)})" if macs >= 1000 else ""))
    if "verified" in doc:
        batch = doc["verification"]["batch"]
        table.add_row(
            "verified",
            Text(f"✓ NumPy forward pass, batch {batch}", style="green")
            if doc["verified"]
            else Text("✗ mismatch (see below)", style="bold red"),
        )
    pad = doc.get("padding")
    if pad is not None and doc["options"].get("padding") == "same":
        table.add_row("same padding", ", ".join(f"{side} {n}" for side, n in pad.items()))
    return table


def _axes(rank: int, chw: bool, batch: int | None = None) -> str:
    """The axis names of a layer table's shape: H×W×C (also for vectors, as
    always), L×C for 1-D maps and D×H×W×C for 3-D, channels first with chw,
    N first with a batch."""
    names = {2: "L", 4: "D×H×W"}.get(rank, "H×W")
    axes = f"C×{names}" if chw else f"{names}×C"
    return f"N×{axes}" if batch is not None else axes


class Grid:
    """A table of single-line cells, drawn as Rich's default table looks.

    Rich's :class:`~rich.table.Table` measures, wraps and pads every cell,
    which costs about 0.25 ms per row — a quarter of a second for a large
    network. A model summary never wraps a cell, so this renderable computes
    the column widths once and yields the lines as segments (about 20× less
    work); it still honours colour settings, ``record=True`` exports and
    ``NO_COLOR``. :meth:`plain` gives the same lines as text without Rich,
    for output that is not a terminal.

    >>> print(Grid([("a", "left", ""), ("n", "right", "")], [(["x", "10"], "")]).plain(), end="")
    ┏━━━┳━━━━┓
    ┃ a ┃  n ┃
    ┡━━━╇━━━━┩
    │ x │ 10 │
    └───┴────┘
    """

    def __init__(
        self,
        columns: list[tuple[str, str, str]],
        rows: list[tuple[list[str], str]],
        title: tuple[str, str] | None = None,
        caption: str | None = None,
    ) -> None:
        self.columns = columns
        """(header, 'left' or 'right', style) per column."""
        self.rows = rows
        """(cells, row style) per row."""
        self.title = title
        """(bold part, rest) of the line above the table."""
        self.caption = caption
        """Text under the table."""

    def widths(self) -> list[int]:
        """Each column's width: its widest cell or header."""
        return self._widths()

    def _widths(self) -> list[int]:
        # every character convcalc puts in a cell is one column wide
        widths = [len(header) for header, _, _ in self.columns]
        for cells, _ in self.rows:
            for i, cell in enumerate(cells):
                widths[i] = max(widths[i], len(cell))
        return widths

    def pieces(self) -> Iterator[tuple[str, str | int]]:
        """The table as (text, style) pieces, ``"\\n"`` ending each line.

        The style is ``""`` (plain), ``"title"``, or ``(column, row style)``
        packed as the column index for a cell in a row styled ``row_style``.
        """
        widths = self._widths()
        last = len(widths) - 1

        def rule(left: str, fill: str, middle: str, right: str) -> Iterator[tuple[str, Any]]:
            yield left + middle.join(fill * (w + 2) for w in widths) + right + "\n", ""

        def cells_line(cells: list[str], edge: str, row_style: str) -> Iterator[tuple[str, Any]]:
            yield edge + " ", ""
            for i, cell in enumerate(cells):
                pad = " " * (widths[i] - len(cell))
                yield (pad + cell if self.columns[i][1] == "right" else cell + pad), (i, row_style)
                yield (f" {edge} " if i < last else f" {edge}\n"), ""

        if self.title is not None:
            yield self.title[0], "title"
            yield (f"  {self.title[1]}" if self.title[1] else "") + "\n", ""
        yield from rule("┏", "━", "┳", "┓")
        yield from cells_line([h for h, _, _ in self.columns], "┃", "header")
        yield from rule("┡", "━", "╇", "┩")
        for cells, row_style in self.rows:
            yield from cells_line(cells, "│", row_style)
        yield from rule("└", "─", "┴", "┘")
        if self.caption:
            yield self.caption + "\n", ""

    def plain(self) -> str:
        """The table as text without styles (what Rich prints to a pipe)."""
        return "".join(text for text, _ in self.pieces())

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.segment import Segment
        from rich.style import Style

        plain = Style()
        bold = Style(bold=True)
        column_styles = [Style.parse(style) if style else plain for _, _, style in self.columns]
        row_styles = {style: Style.parse(style) if style else plain for _, style in self.rows}
        # one combined style per (column, row style): built once, not per cell
        styles: dict[Any, Style] = {"": plain, "title": bold}
        styles.update({(i, "header"): bold for i in range(len(self.columns))})
        for name, row_style in row_styles.items():
            styles.update({(i, name): column_styles[i] + row_style for i in range(len(self.columns))})
        for text, style in self.pieces():
            if text.endswith("\n"):
                if text[:-1]:
                    yield Segment(text[:-1], styles[style])
                yield Segment.line()
            else:
                yield Segment(text, styles[style])

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        total = sum(self._widths()) + 3 * len(self.columns) + 1
        return Measurement(total, total)


MERGE_MARKS = {"add": "+", "multiply": "×", "concat": "‖"}
"""The mark before a merge's kind in the model table: where a shortcut or branches join."""

TABLE_COLUMNS = ("kind", "output", "params", "trainable", "non_trainable", "macs", "from")
"""Columns ``--columns`` may name besides the optional ones of
:data:`convcalc.report.COLUMNS`; the layer name is always first."""

DEFAULT_COLUMNS = ("kind", "output", "trainable", "non_trainable", "macs")
"""What the model table shows unless ``--columns`` says otherwise."""

_HEADERS = {"kind": "kind", "params": "params", "trainable": "trainable", "non_trainable": "non-trainable", "macs": "MACs", "from": "from"}
_NUMBERS = ("params", "trainable", "non_trainable", "macs")


def compact(n: int) -> str:
    """A count in three significant digits with k, M, G, T, P and no space, for narrow tables.

    >>> [compact(n) for n in (950, 9_408, 215_808, 25_610_152, 4_089_184_256, 10_035_200)]
    ['950', '9.41k', '216k', '25.6M', '4.09G', '10.0M']
    >>> compact(999_999)   # rounds up into the next unit, not '1000k'
    '1.00M'
    """
    if abs(n) < 1000:
        return str(n)
    if abs(n).bit_length() > 80:  # beyond P: no unit reads well, and a float may overflow
        from .formatting import scientific

        return scientific(n)
    value, unit = float(n), 0
    while abs(value) >= 999.5 and unit < 5:
        value /= 1000
        unit += 1
    decimals = 0 if abs(value) >= 99.95 else 1 if abs(value) >= 9.995 else 2
    return f"{value:.{decimals}f}" + " kMGTP"[unit].strip()


def ellipsize(text: str, width: int) -> str:
    """``text`` cut in the middle to ``width`` characters, keeping its first
    part (up to the first dot) and as much of the distinctive end as fits.

    >>> ellipsize("layer1.0.downsample_conv", 16)
    'layer1…mple_conv'
    >>> ellipsize("layer4.2.conv3", 14)
    'layer4.2.conv3'
    >>> ellipsize("features.denseblock4.denselayer16.conv2", 20)
    'feature…ayer16.conv2'
    """
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    head = min(len(text.split(".", 1)[0]), (width - 1) * 2 // 5)
    tail = width - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")


def _short_kind(kind: str, width: int) -> str:
    """A kind cut at its end, keeping a repeat count: 'inverted_residual ×3' → 'inverted… ×3'."""
    if len(kind) <= width:
        return kind
    base, sep, times = kind.rpartition(" ×")
    if sep and base:
        keep = max(1, width - len(times) - 3)
        return base[:keep] + "…" + sep + times
    return kind[: max(1, width - 1)] + "…"


class _Plan(NamedTuple):
    """How a model table is cut to fit: each step gives up a little more."""

    columns: tuple[str, ...]
    indent: int = 2
    name_min: int = 10**6
    """The narrowest the layer column may be squeezed to at this step."""
    kind_max: int = 10**6
    compact: frozenset[str] = frozenset()


def _plans(columns: tuple[str, ...], explicit: bool) -> list[_Plan]:
    """The steps, least lossy first: merge the two parameter columns into
    one, indent by one space, shorten names, compact the numbers, shorten the
    kinds, drop the kinds, then shorten names to the bone."""
    steps = [_Plan(columns)]
    if not explicit and "trainable" in columns and "non_trainable" in columns:
        merged = tuple(c for c in columns if c != "non_trainable")
        columns = tuple("params" if c == "trainable" else c for c in merged)
        steps.append(_Plan(columns))
    steps.append(_Plan(columns, indent=1))
    steps.append(_Plan(columns, indent=1, name_min=22))
    numbers = frozenset(c for c in columns if c in _NUMBERS)
    steps.append(_Plan(columns, indent=1, name_min=20, compact=frozenset({"macs"}) & numbers))
    steps.append(_Plan(columns, indent=1, name_min=16, compact=numbers))
    steps.append(_Plan(columns, indent=1, name_min=14, kind_max=14, compact=numbers))
    if not explicit and "kind" in columns:
        columns = tuple(c for c in columns if c != "kind")
        steps.append(_Plan(columns, indent=1, name_min=14, compact=numbers))
    steps.append(_Plan(columns, indent=1, name_min=8, kind_max=10, compact=numbers))
    return steps


def model_table(
    summary: Any,
    rows: list[Any],
    layout: Any,
    extra: Any = (),
    training: Any = None,
    *,
    width: int | None = None,
    columns: tuple[str, ...] | None = None,
    batch: int | None = None,
) -> Grid:
    """A model's rows (see :func:`convcalc.report.display_rows`) under an input row, with totals.

    ``columns`` names the columns after the layer name (default
    :data:`DEFAULT_COLUMNS`); ``extra`` holds the optional columns from
    :func:`convcalc.report.extra_columns`, always kept. With a ``width``
    the table is made to fit it, by the steps of :func:`_plans`: columns the
    user did not name are merged or dropped, never the shapes, parameters or
    MACs. Merges are marked in the kind column (:data:`MERGE_MARKS`).
    """
    from .report import axes_label, totals_lines

    explicit = columns is not None
    chosen = tuple(columns) if columns is not None else DEFAULT_COLUMNS
    checked = any(r.verified is not None for r in rows)
    cells = _cells(summary, rows, layout, batch)
    headers = dict(_HEADERS, output=f"output {axes_label(summary.model.input.rank, layout, batch)}")
    extra_headers = [header for header, _ in extra]

    def build(plan: _Plan) -> tuple[list[tuple[str, str, str]], list[tuple[list[str], str]]]:
        cols = [("layer", "left", "")]
        cols += [(headers[c], "left" if c in ("kind", "from") else "right", _STYLES.get(c, "")) for c in plan.columns]
        cols += [(h, "right", "") for h in extra_headers]
        if checked:
            cols.append(("verified", "left", ""))
        body = []
        for level, name, by_column, index, style in cells:
            line = [" " * (plan.indent * level) + name]
            for c in plan.columns:
                full, short = by_column[c]
                text = short if c in plan.compact else full
                line.append(_short_kind(text, plan.kind_max) if c == "kind" else text)
            line += [values[index] if index is not None else "" for _, values in extra]
            if checked:
                verified = by_column["verified"][0]
                line.append(verified)
            body.append((line, style))
        return cols, body

    plan = _Plan(chosen)
    if width is not None:
        for plan in _plans(chosen, explicit):
            cols, body = build(plan)
            widths = Grid(cols, body).widths()
            others = sum(widths[1:]) + 3 * len(widths) + 1
            if others + widths[0] <= width:
                break
            if width - others >= plan.name_min:
                break
        cells = _squeeze_names(cells, max(8, width - others), plan.indent)
    cols, body = build(plan)
    title_rest = escape_controls(summary.model.description or "")
    name = escape_controls(summary.model.name)
    caption = [f"{label}: {value}" for label, value in totals_lines(summary, training, layout, batch)]
    if width is not None:
        room = width - len(name) - 2
        title_rest = ellipsize(title_rest, room) if room > 8 else ""
        caption = [wrapped for line in caption for wrapped in _wrap(line, width)]
    return Grid(cols, body, title=(name, title_rest), caption="\n".join(caption))


_STYLES = {"kind": "dim", "output": "cyan"}


def _cells(summary: Any, rows: list[Any], layout: Any, batch: int | None) -> list[Any]:
    """(level, name, {column: (full, compact)}, row index or None, style) per line, the input first."""
    from .report import shape_text

    def numbers(trainable: int, non_trainable: int, macs: int) -> dict[str, tuple[str, str]]:
        values = {"params": trainable + non_trainable, "trainable": trainable, "non_trainable": non_trainable, "macs": macs * (batch or 1)}
        return {k: (count(v), compact(v)) for k, v in values.items()}

    inputs = summary.model.input
    first = {"kind": ("input", "input"), "output": (shape_text(inputs, layout, batch),) * 2, "from": ("", ""), "verified": ("", "")}
    out = [(0, "input", first | numbers(0, 0, 0), None, "")]
    for r in rows:
        kind = f"{MERGE_MARKS[r.kind]} {r.kind}" if r.kind in MERGE_MARKS and not r.is_group else r.kind
        sources = _sources(summary, r)
        by_column = {
            "kind": (kind, kind),
            "output": (shape_text(r.output, layout, batch),) * 2,
            "from": (sources, sources),
            "verified": (("" if r.verified is None else "✓" if r.verified else "✗ mismatch"),) * 2,
        } | numbers(r.trainable, r.non_trainable, r.macs)
        out.append((r.level, escape_controls(r.name), by_column, r.index, "bold" if r.is_group else ""))
    return out


def _sources(summary: Any, row: Any) -> str:
    """What a layer reads when it is not just the layer before it: a merge's
    inputs, or the start of a branch or shortcut."""
    if row.is_group:
        return ""
    inputs = summary.rows[row.index].node.inputs
    if len(inputs) == 1 and inputs[0] == row.index - 1:
        return ""
    return ", ".join(escape_controls(name) for name in row.sources)


def _squeeze_names(cells: list[Any], width: int, indent: int) -> list[Any]:
    """Each name cut in the middle so that indent and name fit ``width``."""
    return [
        (level, ellipsize(name, max(4, width - indent * level)), by_column, index, style)
        for level, name, by_column, index, style in cells
    ]


def _wrap(line: str, width: int) -> list[str]:
    """A totals line broken at spaces to ``width``, continuation lines indented."""
    if len(line) <= width:
        return [line]
    import textwrap

    return textwrap.wrap(line, width, subsequent_indent="  ", break_long_words=True, break_on_hyphens=False)


def models_table(entries: list[tuple[str, str, Any]]) -> Table:
    """The bundled models: name, description, input and totals."""
    table = Table(title="bundled models (use the name or a path)", title_justify="left")
    table.add_column("name", style="bold")
    table.add_column("input", justify="right")
    table.add_column("params", justify="right")
    table.add_column("MACs", justify="right")
    table.add_column("description")
    for name, description, summary in entries:
        t = summary.totals
        table.add_row(escape_controls(name), summary.model.input.format(), count(t.params), si(t.macs), escape_controls(description or ""))
    return table
