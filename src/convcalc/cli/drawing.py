"""``model -o net.svg``: the network drawn as a graph, and ``--input`` for a file.

Shared by ``model`` and ``diff``: :func:`resized` runs an architecture file at
another input size; :func:`write_drawing` lays out the graph with Graphviz
and writes SVG, PNG or PDF.
"""

import sys
from pathlib import Path
from typing import Any

from ..errors import ConvCalcError, InputError
from ..shapes import Layout

__all__ = ["DRAWING_SUFFIXES", "resized", "write_drawing"]

DRAWING_SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
"""Output suffixes that draw the network, and the format each asks ``dot`` for."""


def resized(path: Path, text: str, layout: Layout | None = None) -> Any:
    """The model of the file at ``path`` run at the input ``text`` (``320x320x3``,
    or the spatial size alone, which keeps the channels: ``320x320``, ``16000``
    for a 1-D model, ``8x112x112`` for a 3-D one).

    The shape is read in ``layout``, else the file's own (C×H×W for a ``chw``
    file); the file is read again with it, so blocks that use ``$in_h`` see it.
    """
    from ..loader import load
    from ..shapes import _SEPARATOR, parse_shape

    own = load(path).model
    order = layout or own.layout
    spatial = own.input.spatial_rank
    if spatial and len([p for p in _SEPARATOR.split(text.strip()) if p]) == spatial:  # keep the channels
        channels = str(own.input.channels)
        text = f"{channels}x{text}" if order is Layout.CHW else f"{text}x{channels}"
    shape = parse_shape(text, order)
    try:
        return load(path, input=shape)
    except ConvCalcError as error:  # a layer that cannot take the new size
        raise error.within(f"with --input {text}") from None


def _bounded_graph(summary: Any, depth: int | None, layout: Layout) -> Any:
    """The graph at ``depth``, or a DrawingError naming the ``--depth`` that fits :data:`~convcalc.graph.MAX_LAYOUT`."""
    from ..graph import MAX_LAYOUT, build_graph, layout_size
    from ..render_graph import DrawingError

    graph = build_graph(summary, depth, layout)
    size = layout_size(graph)
    if size <= MAX_LAYOUT:
        return graph
    deepest = max((len(row.node.path) for row in summary.rows), default=0)
    start = deepest if depth is None else min(depth, deepest)
    too_big = "the drawing is too big for Graphviz to lay out in reasonable time"
    for levels in range(start - 1, -1, -1):  # --depth N collapses groups at level N − 1
        smaller = build_graph(summary, levels, layout)
        if layout_size(smaller) <= MAX_LAYOUT:
            raise DrawingError(
                f"{too_big}: {size:,} boxes and rows passed by edges (the cap is {MAX_LAYOUT:,}, docs/limits.md); "
                f"draw it with --depth {levels + 1} ({len(smaller.nodes):,} boxes)"
            )
    least = layout_size(build_graph(summary, 0, layout))
    raise DrawingError(
        f"{too_big}: {least:,} boxes and rows passed by edges at --depth 1 (the cap is {MAX_LAYOUT:,}, docs/limits.md); "
        "write its repeated layers as blocks (docs/format.md#blocks) to draw them collapsed"
    )


def write_drawing(summary: Any, depth: int | None, layout: Layout, fmt: str, output: Path | None, inputs: tuple[str, ...] = ()) -> None:
    """Draw ``summary`` (groups at level ``depth`` collapsed) to ``output`` (``-`` or None: stdout)."""
    from ..graph import to_dot
    from ..render_graph import Drawing, render

    drawing = Drawing(fmt)
    if (output is None or str(output) == "-") and drawing.binary and sys.stdout.isatty():
        raise InputError(f"--format {fmt} is a binary picture; write it to a file with -o net.{fmt}")
    data = render(to_dot(_bounded_graph(summary, depth, layout)), drawing)
    if output is None or str(output) == "-":
        sys.stdout.flush()
        if hasattr(sys.stdout, "buffer"):
            sys.stdout.buffer.write(data)
        else:  # a test runner's text stream
            sys.stdout.write(data.decode("utf-8", "replace"))
        sys.stdout.flush()
        return
    from ..files import write_atomically

    try:
        write_atomically(output, data, inputs=inputs)
    except InputError as error:
        raise error.within(f"--output {str(output)!r}") from None
