"""The network drawing: graph structure from the data and the DOT text, the SVG from Graphviz.

Referees: the published architectures (ResNet-50 has 53 convolutions — 1 in
the stem, 3 in each of 16 bottlenecks, 4 projections — and 16 additions;
GoogLeNet's inception3a concatenates 64 + 128 + 32 + 32 = 256 channels),
and Graphviz itself: the SVG it writes is parsed as XML and its node groups
counted.
"""

from __future__ import annotations

import shlex
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcalc.catalog import resolve
from convcalc.cli import app
from convcalc.graph import INPUT_ID, MAX_LAYOUT, build_graph, layer_label, layout_size, to_dot
from convcalc.layers import make_layer
from convcalc.loader import load, parse
from convcalc.render_graph import Drawing, DrawingError, render
from convcalc.shapes import Shape

runner = CliRunner()
ENV = {"COLUMNS": "200", "NO_COLOR": "1"}
SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")

RESIDUAL = """\
name: tiny
input: [8, 8, 3]
blocks:
  unit:
    layers:
      - residual:
          body:
            - conv2d: {filters: 4, kernel: 3, padding: 1, name: conv}
            - relu
layers:
  - conv2d: {filters: 4, kernel: 3, name: stem}
  - unit: {name: u, repeat: 2}
  - global_avgpool2d
  - dense: {units: 10, name: fc}
"""


def run(args: str):
    return runner.invoke(app, shlex.split(args), env=ENV)


@pytest.fixture(scope="module")
def resnet50():
    return load(resolve("resnet50"))


@pytest.mark.parametrize(
    ("kind", "options", "inputs", "label"),
    [
        pytest.param("conv2d", {"filters": 64, "kernel": 7, "stride": 2, "padding": 3}, (), "conv2d 7×7/2, 64", id="stem"),
        pytest.param("conv2d", {"filters": 96, "kernel": [1, 7]}, (), "conv2d 1×7, 96", id="asymmetric"),
        pytest.param("conv2d", {"filters": 32, "kernel": 3, "groups": 32}, (Shape.of(8, 8, 32),), "conv2d 3×3, 32, depthwise", id="depthwise"),
        pytest.param("conv2d", {"filters": 64, "kernel": 3, "groups": 4}, (Shape.of(8, 8, 32),), "conv2d 3×3, 64, groups 4", id="grouped"),
        pytest.param("conv2d", {"filters": 8, "kernel": 3, "dilation": 2}, (), "conv2d 3×3, 8, dilation 2", id="dilated"),
        pytest.param("maxpool2d", {"kernel": 3, "stride": 2, "ceil_mode": True}, (), "maxpool2d 3×3/2, ceil mode", id="ceil-mode"),
        pytest.param("dense", {"units": 1000}, (), "dense 1000", id="dense"),
        pytest.param("dropout", {"rate": 0.2}, (), "dropout, rate 0.2", id="dropout"),
        pytest.param("relu", {}, (), "relu", id="bare"),
    ],
)
def test_box_says_kind_and_key_options(kind, options, inputs, label) -> None:
    assert layer_label(make_layer(kind, options), inputs) == label


@pytest.mark.parametrize(
    ("depth", "labels", "edges"),
    [
        # 8 − 3 + 1 = 6: the stem makes 6×6×4, kept by every later layer until the pool
        pytest.param(None, ["input", "conv2d 3×3, 4", "conv2d 3×3, 4", "relu", "add", "conv2d 3×3, 4", "relu", "add", "global_avgpool2d", "dense 10"],
                     11, id="full"),
        pytest.param(0, ["input", "conv2d 3×3, 4", "unit ×2", "global_avgpool2d", "dense 10"], 4, id="top-level"),
        pytest.param(1, ["input", "conv2d 3×3, 4", "unit", "unit", "global_avgpool2d", "dense 10"], 5, id="blocks"),
        pytest.param(2, ["input", "conv2d 3×3, 4", "residual", "residual", "global_avgpool2d", "dense 10"], 5, id="containers"),
    ],
)
def test_depth_collapses_groups_into_boxes(depth, labels, edges) -> None:
    graph = build_graph(parse(RESIDUAL), depth)
    assert [n.label for n in graph.nodes] == labels
    assert len(graph.edges) == edges
    assert graph.output == graph.nodes[-1].id


def test_residual_shortcut_is_an_edge_that_skips_the_body() -> None:
    graph = build_graph(parse(RESIDUAL))
    by_name = {n.name: n.id for n in graph.nodes}
    pairs = {(e.source, e.target) for e in graph.edges}
    # u.0's add reads the body's relu and, directly, the stem: the shortcut
    assert (by_name["stem"], by_name["u.0.add"]) in pairs
    assert (by_name["u.0.relu"], by_name["u.0.add"]) in pairs
    assert graph.node(by_name["u.0.add"]).merges


def test_collapsed_group_sums_its_layers() -> None:
    summary = parse(RESIDUAL)
    graph = build_graph(summary, 0)
    unit = next(n for n in graph.nodes if n.name == "u")
    part = summary.part("u")
    assert (unit.params, unit.macs, unit.output, unit.layers) == (part.params, part.macs, part.output, 6)


def test_resnet50_full_graph_matches_the_published_architecture(resnet50) -> None:
    graph = build_graph(resnet50)
    kinds = Counter(n.kind for n in graph.nodes)
    assert (kinds["conv2d"], kinds["add"], kinds["dense"]) == (53, 16, 1)
    assert len(graph.nodes) == len(resnet50.rows) + 1  # every layer, and the input
    # one edge per tensor read: 174 layers read one input each, the 16 adds a second
    assert len(graph.edges) == 174 + 16
    # clusters: the 4 stages and their 16 bottlenecks; residual containers are not framed
    assert sorted(c.kind for c in graph.clusters) == ["bottleneck"] * 16 + ["bottleneck ×3", "bottleneck ×3", "bottleneck ×4", "bottleneck ×6"]
    assert {c.parent for c in graph.clusters if c.kind == "bottleneck"} == {"layer1", "layer2", "layer3", "layer4"}


@pytest.mark.parametrize(
    ("depth", "nodes", "shapes"),
    [
        # stem 112×112×64 → pool 56×56×64; stages 56×56×256, 28×28×512, 14×14×1024, 7×7×2048
        pytest.param(0, 11, ["224×224×3", "112×112×64", "112×112×64", "112×112×64", "56×56×64", "56×56×256",
                             "28×28×512", "14×14×1024", "7×7×2048", "2048"], id="stages"),
    ],
)
def test_resnet50_edges_carry_the_published_shapes(resnet50, depth, nodes, shapes) -> None:
    graph = build_graph(resnet50, depth)
    assert len(graph.nodes) == nodes
    assert [e.shape.format() for e in graph.edges] == shapes
    assert graph.clusters == ()


def test_googlenet_concat_joins_four_branches() -> None:
    graph = build_graph(load(resolve("googlenet")), 2)
    concat = next(n for n in graph.nodes if n.name.startswith("inception3a") and n.kind == "concat")
    incoming = [e for e in graph.edges if e.target == concat.id]
    assert sorted(e.shape.channels for e in incoming) == [32, 32, 64, 128]
    assert concat.output.channels == 256


@pytest.fixture(scope="module")
def densenet121():
    return load(resolve("densenet121"))


# Huang et al., 2017, table 1, with torchvision's growth 32: dense blocks of
# 6, 12, 24 and 16 layers, each adding 32 channels; transitions halve them.
DENSE_BLOCKS = [(6, 64), (12, 128), (24, 256), (16, 512)]
"""(dense layers, channels in) of each dense block."""


def test_densenet121_at_depth_2_is_one_box_per_dense_block_and_transition(densenet121) -> None:
    graph = build_graph(densenet121, 1)  # --depth 2: the rows inside 'features'
    blocks = [n for n in graph.nodes if n.layers > 1]
    assert [(n.name, n.label) for n in blocks] == [
        ("features.denseblock1", "dense_layer ×6"), ("features.transition1", "transition"),
        ("features.denseblock2", "dense_layer ×12"), ("features.transition2", "transition"),
        ("features.denseblock3", "dense_layer ×24"), ("features.transition3", "transition"),
        ("features.denseblock4", "dense_layer ×16"),
    ]
    # a dense layer is norm, relu, 1×1 conv, norm, relu, 3×3 conv and the concat; a transition norm, relu, conv, pool
    assert [n.layers for n in blocks] == [6 * 7, 4, 12 * 7, 4, 24 * 7, 4, 16 * 7]
    # the chain through the blocks: 64 + 6·32 = 256 → 128, + 12·32 = 512 → 256, + 24·32 = 1024 → 512, + 16·32 = 1024
    chain = [e.shape.format() for e in graph.edges]
    assert chain[4:12] == ["56×56×64", "56×56×256", "28×28×128", "28×28×512", "14×14×256", "14×14×1024", "7×7×512", "7×7×1024"]
    assert len(graph.nodes) == 16  # input, 4 stem layers, 7 blocks, norm5, relu, avgpool, classifier
    assert len(graph.edges) == 15


def test_densenet121_dense_layer_concat_joins_its_input_and_32_new_channels(densenet121) -> None:
    graph = build_graph(densenet121)
    concats = [n for n in graph.nodes if n.kind == "concat"]
    assert len(concats) == sum(layers for layers, _ in DENSE_BLOCKS) == 58
    joined = []
    for node in concats:
        incoming = [e.shape.channels for e in graph.edges if e.target == node.id]
        assert node.merges and incoming[1] == 32 and node.output.channels == incoming[0] + 32, node.name
        joined.append(incoming[0])
    assert joined == [c + 32 * i for layers, c in DENSE_BLOCKS for i in range(layers)]


# A DenseNet block as an ONNX export writes it: each layer's input is the
# concat of the block's input and every earlier layer's new channels.
FLAT_DENSE = """input: [8, 8, 16]
layers:
  - conv2d: {filters: 4, kernel: 3, padding: 1, name: c1}
  - concat: {from: [input, c1], name: j1}
  - conv2d: {filters: 4, kernel: 3, padding: 1, name: c2}
  - concat: {from: [input, c1, c2], name: j2}
  - conv2d: {filters: 4, kernel: 3, padding: 1, name: c3}
  - concat: {from: [input, c1, c2, c3], name: j3}
  - conv2d: {filters: 4, kernel: 3, padding: 1, name: c4}
  - concat: {from: [input, c1, c2, c3, c4], name: j4}
"""
# The same block as the bundled densenet121 writes it: each concat joins the last one and the new channels.
CHAINED_DENSE = """input: [8, 8, 16]
layers:
  - conv2d: {filters: 4, kernel: 3, padding: 1, name: c1}
  - concat: {from: [input, c1], name: j1}
  - conv2d: {filters: 4, kernel: 3, padding: 1, name: c2}
  - concat: {from: [j1, c2], name: j2}
  - conv2d: {filters: 4, kernel: 3, padding: 1, name: c3}
  - concat: {from: [j2, c3], name: j3}
  - conv2d: {filters: 4, kernel: 3, padding: 1, name: c4}
  - concat: {from: [j3, c4], name: j4}
"""


def _wiring(graph):
    names = {n.id: n.name for n in graph.nodes}
    return [(names[e.source], names[e.target], e.shape.format()) for e in graph.edges]


def test_flat_dense_concats_are_drawn_as_the_chain_they_equal() -> None:
    flat, chained = build_graph(parse(FLAT_DENSE)), build_graph(parse(CHAINED_DENSE))
    # 1 + 2 + 3 + 4 = 10 joins read in the file, 2 per concat drawn: 16 + 4 = 20, 24, 28 channels
    assert _wiring(flat) == _wiring(chained)
    assert [e for e in _wiring(flat) if e[1] == "j4"] == [("j3", "j4", "8×8×28"), ("c4", "j4", "8×8×4")]


def test_concat_in_another_order_is_not_chained() -> None:
    text = FLAT_DENSE.replace("from: [input, c1, c2, c3], name: j3", "from: [c1, input, c2, c3], name: j3")
    wiring = _wiring(build_graph(parse(text)))
    # j3 begins with c1, not with what j1 or j2 joined: drawn as written
    assert [e[0] for e in wiring if e[1] == "j3"] == ["c1", "input", "c2", "c3"]
    # j4 begins with j2's input, c1, c2 (not with j3's order)
    assert [e[0] for e in wiring if e[1] == "j4"] == ["j2", "c3", "c4"]


@pytest.mark.parametrize(
    ("config", "depth", "size"),
    [
        # 174 layers and the input; the 12 identity shortcuts pass the 8 rows of their body,
        # the 4 projections the 6 body rows beyond their own conv and batch norm
        pytest.param("resnet50", None, 175 + 12 * 8 + 4 * 6, id="resnet50"),
        pytest.param("resnet50", 0, 11, id="resnet50-stages"),  # a chain: no row passed
        # 426 layers and the input; each of the 58 dense layers' input passes its 6 rows to the concat
        pytest.param("densenet121", None, 427 + 58 * 6, id="densenet121"),
    ],
)
def test_layout_size_counts_boxes_and_the_rows_edges_pass(config, depth, size) -> None:
    assert layout_size(build_graph(load(resolve(config)), depth)) == size
    assert size <= MAX_LAYOUT


def test_dot_text_has_one_statement_per_node_and_edge_and_a_cluster_per_frame(resnet50) -> None:
    graph = build_graph(resnet50, 1)
    dot = to_dot(graph)
    node_lines = [line for line in dot.splitlines() if "[label=<" in line]
    edge_lines = [line for line in dot.splitlines() if " -> " in line]
    assert len(node_lines) == len(graph.nodes) == 23  # input, 4 stem, 16 bottlenecks, avgpool, fc
    assert len(edge_lines) == len(graph.edges)
    assert dot.count("subgraph cluster_") == len(graph.clusters) == 4
    assert '-> n173 [label=" 2048"]' in dot  # fc reads the pooled vector


def test_names_cannot_break_the_dot_text() -> None:
    summary = parse('{name: "a\\"b", input: [4, 4, 1], layers: [relu: {name: x-y}]}')
    dot = to_dot(build_graph(summary))
    assert 'digraph "a\\"b" {' in dot


@needs_dot
@pytest.mark.parametrize("depth", [None, 0, 1, 2], ids=["full", "d0", "d1", "d2"])
def test_svg_has_one_node_group_per_box(resnet50, depth) -> None:
    graph = build_graph(resnet50, depth)
    root = ET.fromstring(render(to_dot(graph), Drawing.SVG))
    groups = [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    assert len(groups) == len(graph.nodes)
    assert len([g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]) == len(graph.edges)
    assert len([g for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"]) == len(graph.clusters)


@needs_dot
@pytest.mark.parametrize(
    ("depth", "boxes", "frames"),
    [
        # --depth 2: 7 double-bordered boxes (4 dense blocks, 3 transitions) among 16
        pytest.param(2, ["g0", "g1", "g2", "g3", "g4", "g5", "g6"], 0, id="depth-2"),
        # --depth 3: the 58 dense layers as boxes in 4 frames; each transition's 4 layers in a frame
        pytest.param(3, [f"g{i}" for i in range(58)], 4 + 3, id="depth-3"),
    ],
)
def test_densenet121_svg_is_valid_and_shows_its_blocks(tmp_path: Path, depth, boxes, frames) -> None:
    out = tmp_path / "net.svg"
    result = run(f"model densenet121 --depth {depth} -o {out}")
    assert result.exit_code == 0, result.output
    root = ET.parse(out).getroot()  # well-formed XML
    titles = [g.findtext(f"{SVG}title") for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    assert [t for t in titles if t.startswith("g")] == boxes
    assert len([g for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"]) == frames


@needs_dot
def test_densenet121_full_svg_draws_every_concat_join(tmp_path: Path) -> None:
    out = tmp_path / "net.svg"
    assert run(f"model densenet121 -o {out}").exit_code == 0
    root = ET.parse(out).getroot()
    concats = {
        g.findtext(f"{SVG}title") for g in root.iter(f"{SVG}g")
        if g.get("class") == "node" and [t.text for t in g.iter(f"{SVG}text")] == ["concat"]
    }
    assert len(concats) == sum(layers for layers, _ in DENSE_BLOCKS) == 58
    edge_targets = Counter(
        g.findtext(f"{SVG}title").split("->")[1] for g in root.iter(f"{SVG}g") if g.get("class") == "edge"
    )
    assert {edge_targets[c] for c in concats} == {2}  # the dense layer's input and its 32 new channels


# 300 repeats of a residual over 8 layers: 300·9 + 2 = 2,702 boxes, and 300
# shortcuts passing 8 rows each, 2,400: 5,102. At --depth 3 each residual is
# one box: 302.
MANY_BLOCKS = """input: [8, 8, 4]
blocks:
  unit:
    layers:
      - residual:
          body: [relu, relu, relu, relu, relu, relu, relu, relu]
layers:
  - unit: {name: stage, repeat: 300}
  - relu: {name: out}
"""


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        pytest.param(
            MANY_BLOCKS, "",
            "error: the drawing is too big for Graphviz to lay out in reasonable time: 5,102 boxes and rows passed "
            "by edges (the cap is 3,000, docs/limits.md); draw it with --depth 3 (302 boxes)\n",
            id="names-the-depth-that-fits",
        ),
        pytest.param(
            "{input: [8, 8, 4], layers: [" + ", ".join(["relu"] * 3_000) + "]}", "--depth 1",
            "error: the drawing is too big for Graphviz to lay out in reasonable time: 3,001 boxes and rows passed "
            "by edges at --depth 1 (the cap is 3,000, docs/limits.md); write its repeated layers as blocks (docs/format.md#blocks) "
            "to draw them collapsed\n",
            id="flat",
        ),
    ],
)
def test_drawing_too_big_for_dot_is_refused_before_dot_runs(tmp_path: Path, monkeypatch, text, args, message) -> None:
    source = tmp_path / "net.yaml"
    source.write_text(text, encoding="utf-8")
    monkeypatch.setattr("convcalc.render_graph.subprocess.run", lambda *a, **k: pytest.fail("dot was run"))
    result = run(f"model {source} {args} -o {tmp_path / 'net.svg'}")
    assert result.exit_code == 2
    assert result.stderr == message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.yaml"]


def test_missing_graphviz_says_how_to_install() -> None:
    with pytest.raises(DrawingError, match=r"^drawing a network needs Graphviz's 'dot' program, which was not found; install Graphviz \(apt-get install graphviz, brew install graphviz"):
        render("digraph {}", Drawing.SVG, program="no-such-dot-program")


# ------------------------------------------------------------------ command line


@needs_dot
@pytest.mark.parametrize(
    ("args", "magic"),
    [
        pytest.param("model resnet50 -o {out}.svg", b"<?xml", id="svg-suffix"),
        pytest.param("model resnet50 --depth 1 -o {out}.png", b"\x89PNG", id="png"),
        pytest.param("model googlenet --depth 2 -o {out}.pdf", b"%PDF", id="pdf"),
        pytest.param("model resnet50 --format svg -o {out}.svg", b"<?xml", id="svg-format"),
    ],
)
def test_model_draws_the_network(tmp_path: Path, args: str, magic: bytes) -> None:
    out = tmp_path / "net"
    result = run(args.format(out=out))
    assert result.exit_code == 0, result.output
    written = list(tmp_path.iterdir())
    assert len(written) == 1  # no temporary file left
    assert written[0].read_bytes().startswith(magic)


@needs_dot
def test_model_svg_is_the_graph_of_the_depth_asked(tmp_path: Path) -> None:
    out = tmp_path / "net.svg"
    assert run(f"model resnet50 --depth 0 -o {out}").exit_code == 0
    root = ET.parse(out).getroot()
    titles = [g.findtext(f"{SVG}title") for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    assert titles == [INPUT_ID, "n0", "n1", "n2", "n3", "g0", "g1", "g2", "g3", "n172", "n173"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param("model resnet50 -o {out}.gif", "error: --output '{out}.gif': .gif is not a known output type; use one of .json, .csv, .md, .txt, .html, .htm, .svg, .png, .pdf, or give --format", id="unknown-suffix"),
        pytest.param("model resnet50 -o {out}", "error: --output '{out}' has no suffix; use one of .json", id="no-suffix"),
        pytest.param("model resnet50 --format table -o {out}.svg", "error: --format table cannot be written to a .svg file; leave out --format to draw the network, or use .txt or .html for the table", id="table-as-svg"),
    ],
)
def test_model_refuses_outputs_it_cannot_write(tmp_path: Path, args: str, message: str) -> None:
    out = tmp_path / "net"
    result = run(args.format(out=out))
    assert result.exit_code == 2
    assert result.stderr.startswith(message.format(out=out))
    assert list(tmp_path.iterdir()) == []


def test_model_without_graphviz_is_one_sentence_and_exit_2(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("convcalc.render_graph.shutil.which", lambda program: None)
    result = run(f"model resnet50 -o {tmp_path / 'net.svg'}")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: drawing a network needs Graphviz's 'dot' program")
    assert "apt-get install graphviz" in result.stderr and "brew install graphviz" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_table_html_needs_no_network(tmp_path: Path) -> None:
    out = tmp_path / "t.html"
    assert run(f"model resnet50_stem -o {out}").exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "conv1_conv" in text
    assert "http://" not in text and "https://" not in text
