"""Rich renderings of results. The only core-facing module that imports rich."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rich.table import Table
from rich.text import Text

from .formatting import count, escape_controls, si

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


def model_table(
    summary: Any, rows: list[Any], layout: Any, extra: Any = (), training: Any = None
) -> Grid:
    """A model's rows (see :func:`convcalc.report.display_rows`) with totals under them.

    ``extra`` holds optional columns from :func:`convcalc.report.extra_columns`.
    """
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
    columns += [(header, "right", "") for header, _ in extra]
    checked = any(r.verified is not None for r in rows)
    if checked:
        columns.append(("verified", "left", ""))
    body = [
        (
            [
                "  " * r.level + escape_controls(r.name),
                r.kind,
                r.output.format(layout),
                count(r.trainable),
                count(r.non_trainable),
                count(r.macs),
                *(values[r.index] for _, values in extra),
                *((("✓" if r.verified else "✗ mismatch"),) if checked else ()),
            ],
            "bold" if r.is_group else "",
        )
        for r in rows
    ]
    return Grid(
        columns,
        body,
        title=(escape_controls(summary.model.name), escape_controls(summary.model.description or "")),
        caption="\n".join(f"{label}: {value}" for label, value in totals_lines(summary, training)),
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
        table.add_row(escape_controls(name), summary.model.input.format(), count(t.params), si(t.macs), escape_controls(description or ""))
    return table
