"""``convcalc diff``: two networks, or one at two input sizes, compared layer by layer."""

import os
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..dtypes import DType
from ..shapes import Layout
from .errors import reported_errors
from .options import output_option
from .output import write_output, write_stdout

__all__ = ["DiffFormat", "MatchBy", "diff"]


class MatchBy(str, Enum):
    """``--match``: :class:`convcalc.diff.Match`, declared here so start-up does not import the diff."""

    AUTO = "auto"
    NAME = "name"
    ORDER = "order"


class DiffFormat(str, Enum):
    """How ``diff`` reports."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


def diff(
    a: Annotated[str, typer.Argument(help="The first network: a file, a bundled name, or an ONNX/Keras file.", show_default=False)],
    b: Annotated[str | None, typer.Argument(help="The second network [default: the first, for --input-b].", show_default=False)] = None,
    input_a: Annotated[str | None, typer.Option("--input-a", help="Run A at this input size, e.g. 224x224x3 (or 224x224: same channels).", show_default=False)] = None,
    input_b: Annotated[str | None, typer.Option("--input-b", help="Run B at this input size, e.g. 320x320x3.", show_default=False)] = None,
    match: Annotated[MatchBy, typer.Option("--match", help="Pair layers by name, by order (aligning the sequences of kinds), or auto: by name when at least half the names are shared.")] = MatchBy.AUTO,
    fmt: Annotated[DiffFormat, typer.Option("--format", help="Report format.")] = DiffFormat.TEXT,
    output: Annotated[Path | None, output_option("Write the report to this file.")] = None,
    layout: Annotated[Layout | None, typer.Option("--layout", help="Axis order to read --input and print shapes [default: A's layout].", show_default=False)] = None,
    dtype: Annotated[DType, typer.Option("--dtype", help="Number format for memory figures.")] = DType.FLOAT32,
) -> None:
    """Compare two networks layer by layer: exit 0 same, 1 different, 2 bad input.

    [dim]Example: convcalc diff resnet50 --input-b 320x320x3[/]
    """
    with reported_errors():
        from .. import diff as core
        first = _load(a, input_a, layout).with_dtype(dtype)
        second = _load(b if b is not None else a, input_b, layout).with_dtype(dtype)
        shown = layout or first.model.layout
        result = core.diff(first, second, core.Match(match.value))
        if fmt is DiffFormat.JSON:
            import json

            text = json.dumps(core.diff_document(result, shown), indent=2, ensure_ascii=False) + "\n"
        elif fmt is DiffFormat.MARKDOWN:
            text = core.diff_markdown(result, shown)
        else:
            text = core.diff_text(result, shown, _width())
        if output is None:
            write_stdout(text)
        else:
            read = tuple(p for p in (a, b) if p is not None and os.path.exists(p))
            write_output(output, text, read)
    if not result.same:
        raise typer.Exit(1)


def _width() -> int:
    """The terminal's width, at most 120 and at least 64 (80 for a pipe)."""
    import shutil

    return max(64, min(120, shutil.get_terminal_size((80, 24)).columns))


def _load(source: str, input_shape: str | None, layout: Layout | None) -> Any:
    from .model import _summary_from

    return _summary_from(source, None, input_shape, layout)
