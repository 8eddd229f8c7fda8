"""``convcalc model``, ``models`` and ``schema``: a whole network, the bundled ones, the file format."""

import io
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import typer

from ..dtypes import DType, Optimizer
from ..errors import InputError
from ..shapes import Layout
from .errors import reported_errors
from .options import Whole, batch_option, output_option
from .output import print_grid, table_width, write_output
from .verify import report_mismatches, verify_model

__all__ = ["ModelFormat", "model", "models", "schema"]


class ModelFormat(str, Enum):
    """How ``model`` prints its summary."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    SVG = "svg"
    PNG = "png"
    PDF = "pdf"


_SUFFIX_FORMATS = {
    ".json": ModelFormat.JSON, ".csv": ModelFormat.CSV, ".md": ModelFormat.MARKDOWN,
    ".txt": ModelFormat.TABLE, ".html": ModelFormat.TABLE, ".htm": ModelFormat.TABLE,
    ".svg": ModelFormat.SVG, ".png": ModelFormat.PNG, ".pdf": ModelFormat.PDF,
}
_DRAWINGS = (ModelFormat.SVG, ModelFormat.PNG, ModelFormat.PDF)


def _format_for(fmt: ModelFormat | None, output: Path | None) -> ModelFormat:
    """``--format``, else the one ``--output``'s suffix names; an unknown suffix is refused."""
    suffix = output.suffix.lower() if output is not None and str(output) != "-" else ""
    named = _SUFFIX_FORMATS.get(suffix)
    if fmt is not None:
        if named in _DRAWINGS and fmt is not named:
            raise InputError(f"--format {fmt.value} cannot be written to a {suffix} file; leave out --format to draw the network, or use .txt or .html for the table")
        return fmt
    if named is None and output is not None and str(output) != "-":
        known = ", ".join(_SUFFIX_FORMATS)
        what = f": {suffix} is not a known output type" if suffix else " has no suffix"
        raise InputError(f"--output {str(output)!r}{what}; use one of {known}, or give --format")
    return named or ModelFormat.TABLE


def model(
    source: Annotated[str | None, typer.Argument(help="An architecture file, or a bundled model's name (see 'convcalc models').", show_default=False)] = None,
    layers: Annotated[str | None, typer.Option("--layers", help="Instead of a file: layers in the shell's one-line syntax, e.g. 'conv 64 k7 s2 p3; bn; relu; maxpool k3 s2 p1' (docs/shell.md).", show_default=False)] = None,
    input_shape: Annotated[str | None, typer.Option("--input", "-i", help="The input shape, e.g. 320x320x3 (C×H×W with --layout chw or a chw file): needed with --layers; with a file, runs it at this size instead of its own.", show_default=False)] = None,
    depth: Annotated[int | None, typer.Option("--depth", "-d", click_type=Whole(0), help="Show N levels of nesting, as torchinfo's depth: 1 = the top-level rows only (a block is one row), 2 = and the rows inside them, … (0 is read as 1). Also the drawing's depth.", show_default=False)] = None,
    layout: Annotated[Layout | None, typer.Option("--layout", help="Axis order to print shapes [default: the file's layout, else hwc].", show_default=False)] = None,
    fmt: Annotated[ModelFormat | None, typer.Option("--format", help="Output format [default: table, or from --output's suffix].", show_default=False)] = None,
    output: Annotated[Path | None, output_option("Write to this file instead of the terminal: .svg, .png or .pdf draw the network (needs Graphviz); .txt, .html, .json, .csv, .md the table.")] = None,
    dtype: Annotated[DType, typer.Option("--dtype", help="Number format for memory figures.")] = DType.FLOAT32,
    verify: Annotated[bool, typer.Option("--verify", help="Run a NumPy forward pass and confirm every shape and parameter count (exit 1 on a mismatch).")] = False,
    batch: Annotated[int | None, batch_option()] = None,
    max_memory: Annotated[str, typer.Option("--max-memory", help="Refuse a forward pass estimated to need more memory than this.")] = "4GiB",
    columns: Annotated[str | None, typer.Option("--columns", help="The columns after the layer name, comma-separated, from kind, output, params, trainable, non_trainable, macs, from (what a layer reads), rf (receptive field), jump, start, clipped (field inside the input), mem (output memory); only optional ones (rf, …, mem) are added to the usual columns.", show_default=False)] = None,
    wide: Annotated[bool, typer.Option("--wide", help="Keep every column and full names and numbers, however wide (the table is otherwise fitted to the terminal).")] = False,
    groups: Annotated[bool, typer.Option("--groups", help="With --format csv: one row per group (block) with its totals, instead of one row per layer.")] = False,
    optimizer: Annotated[Optimizer | None, typer.Option("--optimizer", help="Add the memory of a training step with this optimizer, at --batch and --dtype.", show_default=False)] = None,
    explain: Annotated[str | None, typer.Option("--explain", help="Explain one layer (or block) by name: its arithmetic and its receptive field.", show_default=False)] = None,
) -> None:
    """A whole network: per-layer shapes, parameters and MACs, with totals.

    [dim]Example: convcalc model resnet50 --depth 1[/]
    """
    with reported_errors():
        summary = _summary_from(source, layers, input_shape, layout).with_dtype(dtype)
        model = summary.model
        if explain is not None:
            _explain_model_layer(summary, explain)
            return
        shown, extra = _chosen_columns(summary, columns)
        training = None
        if optimizer is not None:
            from ..training import training_memory

            training = training_memory(summary, batch or 1, dtype, optimizer)
        verification = verify_model(model, summary, batch or 1, max_memory) if verify else None
        chosen = _format_for(fmt, output)
        if groups and chosen is not ModelFormat.CSV:
            raise InputError("--groups chooses the rows of the CSV; add --format csv (the table and JSON show the groups already)")
        read = (source,) if source is not None and os.path.exists(source) else ()
        view = View(None if depth is None else max(depth, 1) - 1, layout or summary.model.layout, shown, extra, batch, wide, groups)
        _print_model(summary, view, chosen, output, verification, training, read)
        report_mismatches(verification)


def models() -> None:
    """List the bundled models, usable by name with 'convcalc model'."""
    with reported_errors():
        from rich.console import Console

        from ..catalog import bundled
        from ..loader import load
        from ..render import models_table

        entries = []
        for name, path in bundled().items():
            summary = load(path)
            entries.append((name, summary.model.description, summary))
        Console(highlight=False, width=None if sys.stdout.isatty() else 160).print(models_table(entries))


def schema() -> None:
    """Print the JSON Schema (draft-07) of architecture files."""
    from importlib.resources import files

    sys.stdout.write((files("convcalc") / "schema.json").read_text(encoding="utf-8"))


def _summary_from(source: str | None, layers: str | None, input_shape: str | None, layout: Layout | None = None) -> Any:
    """The analysed model named by a file or bundled name, or written with --layers
    (analysed once, while it is read)."""
    if layers is not None:
        if source is not None:
            raise InputError(f"give a file ({source!r}) or --layers, not both")
        if input_shape is None:
            raise InputError("--layers needs --input, e.g. --input 224x224x3")
        from ..shell.state import layers_to_summary

        return layers_to_summary(layers, input_shape)
    if source is None:
        raise InputError("name an architecture file or a bundled model (see 'convcalc models'), or give --layers")
    from ..importers import is_import

    if is_import(source):  # ONNX or Keras: --input may override the spatial size
        from .import_ import load_imported

        return load_imported(source, input_shape)
    from ..catalog import resolve
    from ..loader import load

    if input_shape is not None:
        from .drawing import resized

        return resized(resolve(source), input_shape, layout)
    return load(resolve(source))


def _chosen_columns(summary: Any, columns: str | None) -> tuple[tuple[str, ...] | None, Any]:
    """``--columns`` read: (the table's columns, or None for the usual ones; the optional columns' values)."""
    if columns is None:
        return None, ()
    from ..render import TABLE_COLUMNS
    from ..report import COLUMNS, extra_columns

    names = [c.strip().lower().replace("-", "_") for c in columns.split(",") if c.strip()]
    known = (*TABLE_COLUMNS, *COLUMNS)
    for name in names:
        if name not in known and name != "layer":
            raise InputError(f"--columns {name!r} is not a column; choose from {', '.join(known)}")
    optional = [n for n in dict.fromkeys(names) if n in COLUMNS]
    if any(n != "mem" for n in optional) and summary.model.input.rank == 1:
        raise InputError(f"receptive-field columns need a map input (L×C, H×W×C or D×H×W×C); this network's input is {summary.model.input.describe()}")
    table = tuple(n for n in dict.fromkeys(names) if n in TABLE_COLUMNS)
    return (table or None), extra_columns(summary, optional)


def _explain_model_layer(summary: Any, name: str) -> None:
    """``model --explain NAME``: a layer's arithmetic, or a block's totals, and the receptive field."""
    from difflib import get_close_matches

    from ..explain import explain

    names = [row.node.name for row in summary.rows]
    last_of_group = {group: i for i, row in enumerate(summary.rows) for group in row.node.path}
    if name in names:
        index = names.index(name)
        row = summary.rows[index]
        lines = [f"layer {name!r} ({row.node.spec.kind}): {', '.join(s.format() for s in row.inputs)} → {row.result.output.format()}"]
        lines += [f"  {line}" for line in explain(row.node.spec, *row.inputs)]
    elif name in last_of_group:
        index = last_of_group[name]
        inside = [r for r in summary.rows if name in r.node.path]
        kind = summary.model.groups.get(name, "group")
        lines = [
            f"{kind} {name!r}: {len(inside)} layers, output {summary.rows[index].result.output.format()}",
            f"  params: {sum(r.result.trainable for r in inside):,} trainable, "
            f"{sum(r.result.non_trainable for r in inside):,} non-trainable; MACs: {sum(r.result.macs for r in inside):,}",
        ]
    else:
        close = get_close_matches(name, [*names, *last_of_group], n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InputError(f"--explain {name!r}: no layer or block has that name{hint}")
    if summary.model.input.rank > 1:  # a map of any spatial rank: one field per axis
        from ..receptive import explain_field

        lines.append("receptive field:")
        lines += [f"  {line}" for line in explain_field(summary, index)]
    sys.stdout.write("\n".join(lines) + "\n")


class View(NamedTuple):
    """What the model's output shows, from the options."""

    levels: int | None
    """Groups nested deeper than this are collapsed (``--depth`` minus one); None: all."""
    layout: Layout
    columns: tuple[str, ...] | None
    """The table's columns (``--columns``), None for the usual ones."""
    extra: Any
    """The optional columns' values (receptive field, memory)."""
    batch: int | None
    wide: bool
    groups: bool
    """CSV rows are groups, not layers."""


def _print_model(
    summary: Any,
    view: View,
    fmt: ModelFormat,
    output: Path | None,
    verification: Any = None,
    training: Any = None,
    inputs: tuple[str, ...] = (),
) -> None:
    from .. import report

    layout, batch = view.layout, view.batch
    if fmt in _DRAWINGS:
        from .drawing import write_drawing

        write_drawing(summary, view.levels, layout, fmt.value, output, inputs)
        return
    verified = report.verified_layers(verification) if verification is not None else None
    if fmt is ModelFormat.JSON:
        import json

        text = json.dumps(report.model_document(summary, layout, verification, training, batch), indent=2) + "\n"
    elif fmt is ModelFormat.CSV and view.groups:
        text = report.group_csv(summary, layout, view.levels, batch)
    elif fmt is ModelFormat.CSV:
        text = report.model_csv(summary, layout, view.extra, verified, batch)
    elif fmt is ModelFormat.MARKDOWN:
        text = report.model_markdown(summary, report.display_rows(summary, view.levels, verified), layout, view.extra, training, batch)
    else:
        from ..render import model_table

        rows = report.display_rows(summary, view.levels, verified)
        width = None if view.wide or output is not None else table_width()
        table = model_table(summary, rows, layout, view.extra, training, width=width, columns=view.columns, batch=batch)
        if output is None:
            print_grid(table)  # a pipe gets the text Rich would print there, without Rich's start-up
            return
        from rich.console import Console

        size = sum(table.widths()) + 3 * len(table.widths()) + 1
        console = Console(record=True, file=io.StringIO(), width=max(size, 80), highlight=False)
        console.print(table, crop=False)
        suffix = output.suffix.lower()
        # HTML: Rich's light theme, as wide as the table, no web fonts
        text = console.export_html() if suffix in (".html", ".htm") else console.export_text()
    if output is None:
        sys.stdout.write(text)
    else:
        write_output(output, text, inputs)
