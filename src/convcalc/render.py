"""Rich renderings of results. The only core-facing module that imports rich."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from .formatting import count, si

__all__ = ["Grid", "layer_table", "model_table", "models_table"]


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
    axes = "C×H×W" if doc["layout"] == "chw" else "H×W×C"
    table.add_row(f"input {axes}", _shape(doc["input"]))
    for other in doc.get("others", ()):
        table.add_row("with", _shape(other))
    table.add_row(f"output {axes}", Text(_shape(doc["output"]), style="bold cyan"))
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
        table.add_row(
            "same padding",
            f"top {pad['top']}, bottom {pad['bottom']}, left {pad['left']}, right {pad['right']}",
        )
    return table


class Grid:
    """A table of single-line cells, drawn as Rich's default table looks.

    Rich's :class:`~rich.table.Table` measures, wraps and pads every cell,
    which costs about 0.25 ms per row — a quarter of a second for a large
    network. A model summary never wraps a cell, so this renderable computes
    the column widths once and yields the lines as segments (about 20× less
    work); it still honours colour settings, ``record=True`` exports and
    ``NO_COLOR``.
    """

    def __init__(
        self,
        columns: list[tuple[str, str, str]],
        rows: list[tuple[list[str], str]],
        title: Text | None = None,
        caption: str | None = None,
    ) -> None:
        self.columns = columns
        """(header, 'left' or 'right', style) per column."""
        self.rows = rows
        """(cells, row style) per row."""
        self.title = title
        self.caption = caption

    def __rich_console__(self, console: Any, options: Any) -> Any:
        from rich.cells import cell_len
        from rich.segment import Segment
        from rich.style import Style

        widths = [cell_len(header) for header, _, _ in self.columns]
        for cells, _ in self.rows:
            for i, cell in enumerate(cells):
                widths[i] = max(widths[i], cell_len(cell))
        plain = Style()
        row_styles = {style: Style.parse(style) if style else plain for _, style in self.rows}
        column_styles = [Style.parse(style) if style else plain for _, _, style in self.columns]
        # one combined style per (column, row style): built once, not per cell
        combined = {
            (i, name): column_styles[i] + row_style
            for name, row_style in row_styles.items()
            for i in range(len(widths))
        }
        combined.update({(i, "header"): Style(bold=True) for i in range(len(widths))})
        newline = Segment.line()
        last = len(widths) - 1

        def line(left: str, fill: str, middle: str, right: str) -> list[Segment]:
            return [Segment(left + middle.join(fill * (w + 2) for w in widths) + right, plain), newline]

        def cells_line(cells: list[str], edge: str, row_style: str) -> list[Segment]:
            out = [Segment(edge + " ", plain)]
            for i, cell in enumerate(cells):
                pad = " " * (widths[i] - cell_len(cell))
                text = pad + cell if self.columns[i][1] == "right" else cell + pad
                out.append(Segment(text, combined[i, row_style]))
                out.append(Segment(f" {edge} " if i < last else f" {edge}", plain))
            out.append(newline)
            return out

        if self.title is not None:
            yield self.title
        yield from line("┏", "━", "┳", "┓")
        yield from cells_line([h for h, _, _ in self.columns], "┃", "header")
        yield from line("┡", "━", "╇", "┩")
        for cells, row_style in self.rows:
            yield from cells_line(cells, "│", row_style)
        yield from line("└", "─", "┴", "┘")
        if self.caption:
            yield Text(self.caption)

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.cells import cell_len
        from rich.measure import Measurement

        widths = [cell_len(header) for header, _, _ in self.columns]
        for cells, _ in self.rows:
            for i, cell in enumerate(cells):
                widths[i] = max(widths[i], cell_len(cell))
        total = sum(widths) + 3 * len(widths) + 1
        return Measurement(total, total)


def model_table(summary: Any, rows: list[Any], layout: Any) -> Grid:
    """A model's rows (see :func:`convcalc.report.display_rows`) with totals under them."""
    from .report import totals_lines

    axes = "C×H×W" if layout.value == "chw" else "H×W×C"
    columns = [
        ("layer", "left", ""),
        ("kind", "left", "dim"),
        (f"output {axes}", "right", "cyan"),
        ("trainable", "right", ""),
        ("non-trainable", "right", ""),
        ("MACs", "right", ""),
    ]
    checked = any(r.verified is not None for r in rows)
    if checked:
        columns.append(("verified", "left", ""))
    body = [
        (
            [
                "  " * r.level + r.name,
                r.kind,
                r.output.format(layout),
                count(r.trainable),
                count(r.non_trainable),
                count(r.macs),
                *((("✓" if r.verified else "✗ mismatch"),) if checked else ()),
            ],
            "bold" if r.is_group else "",
        )
        for r in rows
    ]
    return Grid(
        columns,
        body,
        title=Text.assemble((summary.model.name, "bold"), f"  {summary.model.description}"),
        caption="\n".join(f"{label}: {value}" for label, value in totals_lines(summary)),
    )


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
        table.add_row(name, summary.model.input.format(), count(t.params), si(t.macs), description)
    return table
