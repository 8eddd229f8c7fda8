"""A network as a drawable graph: boxes for layers or collapsed blocks, edges with shapes.

:func:`build_graph` turns an analysed :class:`~convcalc.model.Summary` into
a :class:`Graph` — plain data, no layout — and :func:`to_dot` writes it in
Graphviz's DOT language; :mod:`convcalc.render_graph` asks ``dot`` to lay it
out as SVG, PNG or PDF.

**Collapsing** follows the model table's ``depth`` (see
:func:`convcalc.report.display_rows`): a group nested at level ``depth``
(0 = a top-level block) becomes one box holding the sums of its layers, and
``None`` draws every layer. Groups above that level that are blocks
(``bottleneck``, ``inception``, …) are drawn as clusters, a frame around
their layers; the containers ``residual``, ``branches``, ``sequential`` and
``split`` get no frame, because their edges already show what they are: a
shortcut skipping the body to an ``add``, branches fanning out to a
``concat``.

**Edges** join the box that makes a tensor to each box that reads it,
labelled with the tensor's shape; edges inside a collapsed block vanish, and
two edges carrying the same tensor between the same boxes are drawn once. A
``concat`` that begins with everything an earlier one joined reads that one
(:func:`_drawn_inputs`), so a DenseNet exported flat draws as it is written.

**Size**: :func:`layout_size` estimates ``dot``'s work; the CLI refuses a
drawing past :data:`MAX_LAYOUT` before ``dot`` runs.

ResNet-50 at depth 0, worked: 4 stem layers + 4 stages + avgpool + fc = 10
boxes plus the input, 10 edges (input → conv1 → … → fc), no clusters.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import NamedTuple

from .formatting import si
from .layers import LayerSpec
from .model import INPUT, Summary
from .shapes import Layout, Shape

__all__ = [
    "CONTAINERS",
    "MAX_LAYOUT",
    "Cluster",
    "Graph",
    "GraphEdge",
    "GraphNode",
    "build_graph",
    "layer_label",
    "layout_size",
    "to_dot",
]

CONTAINERS = ("residual", "branches", "sequential", "split")
"""Group kinds drawn without a frame: their edges show their structure."""

INPUT_ID = "input"
"""The id of the model input's node."""

MAX_LAYOUT = 3_000
"""The largest :func:`layout_size` drawn. ``dot``'s time grows about as the
cube of it once edges skip rows: 1,000 boxes with 100 shortcuts over 10 rows
each (2,000) take 4 s here, 1,500 with 150 (3,000) take 13 s, 2,000 with 200
take 28 s; DenseNet-121 drawn in full is 427 + 348 = 775 (0.5 s)."""


class GraphNode(NamedTuple):
    """One box: a layer, a collapsed group, or the model input."""

    id: str
    """DOT identifier: ``input``, ``n12`` (layer row 12) or ``g3`` (a group)."""
    name: str
    """The layer's or group's full name (``layer1.0.conv2``)."""
    kind: str
    """A layer's kind (``conv2d``) or a group's (``bottleneck``, ``residual``)."""
    label: str
    """What the box says first: ``conv2d 3×3/2, 64``, ``bottleneck ×3``."""
    output: Shape
    """The tensor the box makes (a group: its last layer's)."""
    params: int
    macs: int
    layers: int
    """Layers the box stands for: 0 for the input, 1 for a layer, more for a group."""
    cluster: str | None
    """The innermost framed group around the box, None at the top level."""
    merges: bool = False
    """True for add, multiply and concat: drawn as a junction."""


class GraphEdge(NamedTuple):
    """A tensor flowing from the box that makes it to a box that reads it."""

    source: str
    target: str
    shape: Shape


class Cluster(NamedTuple):
    """A framed group: a block instance or a repeat, expanded."""

    name: str
    kind: str
    parent: str | None
    """The framed group around this one, None at the top level."""


class Graph(NamedTuple):
    name: str
    layout: Layout
    nodes: tuple[GraphNode, ...]
    """The input first, then boxes in execution order."""
    edges: tuple[GraphEdge, ...]
    clusters: tuple[Cluster, ...]
    output: str
    """The id of the box that makes the model's output."""

    def node(self, id: str) -> GraphNode:
        """The node with ``id``; KeyError if none."""
        for node in self.nodes:
            if node.id == id:
                return node
        raise KeyError(id)


def _pair(values: tuple[int, ...]) -> str:
    """``(3, 3)`` → ``3×3``, ``(1, 7)`` → ``1×7``."""
    return "×".join(str(v) for v in values) if len(values) == 2 else str(values[0])


def layer_label(spec: LayerSpec, inputs: Sequence[Shape] = ()) -> str:
    """A layer's kind with its key options, short enough for a box.

    Kernel and stride as ``k×k/s``, then output channels or units, then what
    else sets the layer apart (groups, dilation, rates, sizes).

    >>> from convcalc.layers import make_layer
    >>> layer_label(make_layer("conv2d", {"filters": 64, "kernel": 3, "stride": 2, "padding": 1}))
    'conv2d 3×3/2, 64'
    >>> layer_label(make_layer("conv2d", {"filters": 32, "kernel": 3, "groups": 32}), [Shape.of(8, 8, 32)])
    'conv2d 3×3, 32, depthwise'
    >>> layer_label(make_layer("maxpool2d", {"kernel": 3, "stride": 2})), layer_label(make_layer("dense", {"units": 10}))
    ('maxpool2d 3×3/2', 'dense 10')
    """
    options = spec.options()
    geometry = ""
    kernel = getattr(spec, "kernel", None)
    if isinstance(kernel, tuple):
        geometry = _pair(kernel)
        stride = getattr(spec, "stride", (1, 1))
        if isinstance(stride, tuple) and set(stride) != {1}:
            geometry += "/" + (str(stride[0]) if len(set(stride)) == 1 else _pair(stride))
    extra: list[str] = []
    for name in ("filters", "units"):
        if name in options:
            extra.append(str(options[name]))
    groups = options.get("groups")
    if isinstance(groups, int) and groups > 1 and spec.kind.startswith("conv"):
        depthwise = bool(inputs) and inputs[0].channels == groups
        extra.append("depthwise" if depthwise else f"groups {groups}")
    elif isinstance(groups, int):
        extra.append(f"groups {groups}")
    dilation = getattr(spec, "dilation", None)
    if isinstance(dilation, tuple) and set(dilation) != {1}:
        extra.append(f"dilation {dilation[0] if len(set(dilation)) == 1 else _pair(dilation)}")
    shown = {"filters", "units", "kernel", "stride", "dilation", "groups", "padding", "bias", "eps", "momentum"}
    if spec.kind == "zeropad2d":
        shown.discard("padding")
    for name, value in options.items():
        if name not in shown and len(extra) < 3:
            if isinstance(value, bool):
                extra.append(name.replace("_", " ") if value else f"no {name.replace('_', ' ')}")
                continue
            text = _pair(tuple(value)) if isinstance(value, (list, tuple)) and len(value) == 2 else str(value)
            extra.append(f"{name.replace('_', ' ')} {text}")
    if not geometry and extra and ("filters" in options or "units" in options):
        geometry = extra.pop(0)  # 'dense 1000', as 'conv2d 3×3, 64' puts the count after the window
    head = f"{spec.kind} {geometry}" if geometry else spec.kind
    return ", ".join([head, *extra]) if extra else head


def _drawn_inputs(summary: Summary) -> list[tuple[tuple[int, ...], tuple[Shape, ...]]]:
    """Each row's inputs as drawn: a concat that begins with everything an earlier concat joined reads that concat.

    ``cat(x0, c1, c2, c3)`` after ``cat(x0, c1, c2)`` is drawn as
    ``cat(cat(x0, c1, c2), c3)``: the same channels in the same order. A
    DenseNet exported flat (ONNX) joins every earlier layer of a block at
    each layer, 1 + 2 + … + 24 = 300 edges in its third block, most of them
    spanning dozens of rows, which ``dot`` cannot lay out in minutes; chained
    it has 2 per layer, as the architecture files write it.

    >>> from convcalc.loader import parse
    >>> s = parse("{input: [4, 4, 8], layers: [conv2d: {filters: 2, kernel: 1, name: a}, "
    ...           "conv2d: {filters: 2, kernel: 1, name: b}, concat: {from: [input, a, b], name: j2}, "
    ...           "conv2d: {filters: 2, kernel: 1, name: c}, concat: {from: [input, a, b, c], name: j3}]}")
    >>> [(sources, [x.channels for x in shapes]) for sources, shapes in _drawn_inputs(s)][-1]   # j3 reads j2 (8 + 2 + 2) and c
    ((2, 3), [12, 2])
    """
    concats: dict[tuple[int, ...], int] = {}  # the inputs of a concat → its row
    drawn: list[tuple[tuple[int, ...], tuple[Shape, ...]]] = []
    for index, row in enumerate(summary.rows):
        sources, shapes = row.node.inputs, row.inputs
        if row.node.spec.kind == "concat":
            concats.setdefault(sources, index)
            for length in range(len(sources) - 1, 1, -1):  # the longest earlier join wins
                earlier = concats.get(sources[:length])
                if earlier is not None and earlier != index:
                    sources = (earlier, *sources[length:])
                    shapes = (summary.rows[earlier].result.output, *shapes[length:])
                    break
        drawn.append((sources, shapes))
    return drawn


def build_graph(summary: Summary, depth: int | None = None, layout: Layout | None = None) -> Graph:
    """The boxes, edges and frames of ``summary``, groups at level ``depth`` collapsed.

    >>> from convcalc.loader import parse
    >>> s = parse("{input: [8, 8, 3], layers: [conv2d: {filters: 4, kernel: 3, name: c}, "
    ...           "{residual: {body: [conv2d: {filters: 4, kernel: 3, padding: 1}]}}]}")
    >>> g = build_graph(s)
    >>> [n.label for n in g.nodes]        # 8 − 3 + 1 = 6
    ['input', 'conv2d 3×3, 4', 'conv2d 3×3, 4', 'add']
    >>> [(e.source, e.target, e.shape.format()) for e in g.edges]
    [('input', 'n0', '8×8×3'), ('n0', 'n1', '6×6×4'), ('n1', 'n2', '6×6×4'), ('n0', 'n2', '6×6×4')]
    >>> [n.label for n in build_graph(s, depth=0).nodes]
    ['input', 'conv2d 3×3, 4', 'residual']
    """
    model = summary.model
    groups = model.groups

    def framed(path: tuple[str, ...]) -> str | None:
        kept = [g for g in path if groups.get(g, "group") not in CONTAINERS]
        return kept[-1] if kept else None

    node_of: list[str] = []  # row index → the id of the box showing it
    boxes: dict[str, list[int]] = {}  # box id → rows inside, in order
    box_group: dict[str, tuple[str, tuple[str, ...]]] = {}  # group box id → (group, its enclosing path)
    group_ids: dict[str, str] = {}
    clusters: dict[str, Cluster] = {}
    for index, row in enumerate(summary.rows):
        path = row.node.path
        if depth is not None and len(path) > depth:
            group = path[depth]
            box = group_ids.setdefault(group, f"g{len(group_ids)}")
            box_group[box] = (group, path[:depth])
            open_path = path[:depth]
        else:
            box = f"n{index}"
            open_path = path
        node_of.append(box)
        boxes.setdefault(box, []).append(index)
        parent = None
        for group in open_path:
            if groups.get(group, "group") in CONTAINERS:
                continue
            clusters.setdefault(group, Cluster(group, groups.get(group, "group"), parent))
            parent = group

    nodes = [GraphNode(INPUT_ID, "input", "input", "input", model.input, 0, 0, 0, None)]
    for box, rows in boxes.items():
        if box in box_group:
            group, outer = box_group[box]
            results = [summary.rows[i].result for i in rows]
            nodes.append(GraphNode(
                box, group, groups.get(group, "group"), groups.get(group, "group"), results[-1].output,
                sum(r.params for r in results), sum(r.macs for r in results), len(rows), framed(outer),
            ))
        else:
            row = summary.rows[rows[0]]
            spec = row.node.spec
            nodes.append(GraphNode(
                box, row.node.name, spec.kind, layer_label(spec, row.inputs), row.result.output,
                row.result.params, row.result.macs, 1, framed(row.node.path),
                bool(getattr(spec, "merges", False)),
            ))

    edges: dict[tuple[str, str, Shape], None] = {}
    for index, (sources, shapes) in enumerate(_drawn_inputs(summary)):
        target = node_of[index]
        for source_index, shape in zip(sources, shapes):
            source = INPUT_ID if source_index == INPUT else node_of[source_index]
            if source != target:
                edges.setdefault((source, target, shape))
    return Graph(
        model.name, layout or model.layout, tuple(nodes),
        tuple(GraphEdge(*key) for key in edges), tuple(clusters.values()), node_of[model.output],
    )


def layout_size(graph: Graph) -> int:
    """What ``dot`` has to place: the boxes, plus one point for every row an edge passes.

    ``dot`` puts the boxes in rows and threads an edge that skips rows
    through a hidden point on each; its time grows with all of them. Rows
    are estimated as the longest path from the input (``dot`` ranks to
    shorten edges, which on a network's chain of layers gives the same).
    ResNet-50 drawn in full is 175 boxes + 120 points (its 16 shortcuts
    pass 6 or 8 rows each) = 295.

    >>> from convcalc.loader import parse
    >>> s = parse("{input: [4, 4, 8], layers: [relu: {name: a}, relu, relu, add: {from: [a, relu_1]}]}")
    >>> layout_size(build_graph(s))     # 5 boxes; a → add passes the rows of relu and relu_1
    7
    """
    row: dict[str, int] = {}
    skipped = 0
    for edge in graph.edges:  # in execution order of their targets: sources are placed first
        source = row.get(edge.source, 0)
        row[edge.target] = max(row.get(edge.target, 0), source + 1)
    for edge in graph.edges:
        skipped += max(0, row.get(edge.target, 0) - row.get(edge.source, 0) - 1)
    return len(graph.nodes) + skipped


# ------------------------------------------------------------------ DOT

_FILL = {
    "conv": "#dbe9f6", "norm": "#fdf3d0", "act": "#f2f2f2", "pool": "#dcefdc", "dense": "#e8def3",
    "merge": "#fbe0c8", "block": "#eaeaf4", "input": "#ffffff", "other": "#ffffff",
}
"""Light fills by what a layer does, so a stage reads at a glance."""

_FAMILY = {
    "conv2d": "conv", "conv_transpose2d": "conv", "dense": "dense",
    "batchnorm2d": "norm", "layernorm": "norm", "groupnorm": "norm", "instancenorm": "norm", "normalization": "norm",
    "maxpool2d": "pool", "avgpool2d": "pool", "adaptive_avgpool2d": "pool", "adaptive_maxpool2d": "pool",
    "global_avgpool2d": "pool", "global_maxpool2d": "pool",
}


def _family(node: GraphNode) -> str:
    if node.id == INPUT_ID:
        return "input"
    if node.layers > 1 or node.kind in CONTAINERS:
        return "block"
    if node.merges:
        return "merge"
    return _FAMILY.get(node.kind, "act" if node.params == 0 and node.macs == 0 else "other")


def _quoted(text: str) -> str:
    """A DOT string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _node_line(node: GraphNode, layout: Layout, is_output: bool) -> str:
    family = _family(node)
    title = escape(node.label)
    if node.id == INPUT_ID:
        html = f"<B>input</B><BR/>{escape(node.output.format(layout))}"
        shape = "box"
    elif family == "merge":
        html = f"<B>{title}</B>"
        shape = "ellipse"
    else:
        lines = [f"<B>{title}</B>"]
        if node.name != node.label:
            lines.append(f'<FONT POINT-SIZE="9" COLOR="#555555">{escape(node.name)}</FONT>')
        figures = []
        if node.layers > 1:
            figures.append(f"{node.layers} layers")
        if node.params:
            figures.append(f"{si(node.params)} params")
        if node.macs:
            figures.append(f"{si(node.macs)} MACs")
        if figures:
            lines.append(f'<FONT POINT-SIZE="9">{escape(" · ".join(figures))}</FONT>')
        html = "<BR/>".join(lines)
        shape = "box"
    attrs = [f"label=<{html}>", f"shape={shape}", f'fillcolor="{_FILL[family]}"']
    if family == "block":
        attrs.append("peripheries=2")
    if is_output:
        attrs.append("penwidth=2.5")
    tooltip = f"{node.name} ({node.kind}) → {node.output.format(layout)}"
    attrs.append(f"tooltip={_quoted(tooltip)}")
    return f"{node.id} [{', '.join(attrs)}];"


def to_dot(graph: Graph) -> str:
    """The graph in Graphviz DOT: top to bottom, framed groups as clusters.

    Text is HTML-escaped inside labels and quoted elsewhere, so a name never
    changes the drawing's structure.
    """
    children: dict[str | None, list[Cluster]] = {}
    for cluster in graph.clusters:
        children.setdefault(cluster.parent, []).append(cluster)
    members: dict[str | None, list[GraphNode]] = {}
    for node in graph.nodes:
        members.setdefault(node.cluster, []).append(node)
    index = {c.name: i for i, c in enumerate(graph.clusters)}

    lines = [
        f"digraph {_quoted(graph.name)} {{",
        "  graph [rankdir=TB, nodesep=0.25, ranksep=0.3, fontname=\"Helvetica,Arial,sans-serif\", "
        f"fontsize=11, labelloc=t, label={_quoted(graph.name)}, bgcolor=\"white\"];",
        "  node [fontname=\"Helvetica,Arial,sans-serif\", fontsize=11, style=\"rounded,filled\", "
        "color=\"#444444\", margin=\"0.12,0.04\", height=0.3];",
        "  edge [fontname=\"Helvetica,Arial,sans-serif\", fontsize=9, color=\"#666666\", "
        "fontcolor=\"#333333\", arrowsize=0.6];",
    ]

    def emit(parent: str | None, indent: str) -> None:
        for node in members.get(parent, []):
            lines.append(indent + _node_line(node, graph.layout, node.id == graph.output))
        for cluster in children.get(parent, []):
            lines.append(f"{indent}subgraph cluster_{index[cluster.name]} {{")
            title = f"{cluster.name} · {cluster.kind}"
            lines.append(
                f"{indent}  label={_quoted(title)}; style=\"rounded,dashed\"; color=\"#999999\"; "
                "fontsize=10; fontcolor=\"#555555\"; labeljust=l;"
            )
            emit(cluster.name, indent + "  ")
            lines.append(f"{indent}}}")

    emit(None, "  ")
    for edge in graph.edges:
        lines.append(f"  {edge.source} -> {edge.target} [label={_quoted(' ' + edge.shape.format(graph.layout))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
