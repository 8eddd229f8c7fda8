"""``convcalc diff`` and ``model --input``: networks compared, one network resized.

Referees: each network's own totals (``convcalc model … --format json``,
computed without the diff), the published figures of torchvision's ResNet-50
(25,557,032 trainable) and Keras' (25,583,592 trainable: every one of the 53
convolutions has a bias), and hand arithmetic on tiny networks.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcalc.catalog import resolve
from convcalc.cli import app
from convcalc.diff import Match, diff, diff_document, diff_text, resolve_match
from convcalc.loader import load, parse

runner = CliRunner()
ENV = {"COLUMNS": "80", "NO_COLOR": "1"}

TINY = """\
name: tiny
input: [10, 10, 3]
layers:
  - conv2d: {filters: 4, kernel: 3, name: c}
  - relu: {name: r}
"""

POOLED = """\
name: pooled
input: [8, 8, 3]
blocks:
  whole:                     # a pool as large as the map flowing in: needs $in_h at the new size
    layers:
      - avgpool2d: {kernel: [$in_h, $in_w]}
layers:
  - conv2d: {filters: 2, kernel: 1}
  - whole: {name: w}
"""


def run(args: str):
    return runner.invoke(app, shlex.split(args), env=ENV)


def document(args: str) -> dict:
    result = run(args + " --format json")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def torch_vs_keras() -> dict:
    return document("diff resnet50 resnet50_keras")


# ------------------------------------------------------------------ model --input


@pytest.mark.parametrize(
    ("text", "size", "output", "macs"),
    [
        # 10 − 3 + 1 = 8; 8·8·4 outputs × 3·3·3 = 6,912 MACs
        pytest.param(TINY, "10x10x3", [8, 8, 4], 6912, id="own-size"),
        # 14 − 3 + 1 = 12; 12·12·4 × 27 = 15,552
        pytest.param(TINY, "14x14x3", [12, 12, 4], 15552, id="larger"),
        pytest.param(TINY, "14x14", [12, 12, 4], 15552, id="hw-keeps-channels"),
        # 5 channels in: 12·12·4 × 3·3·5 = 25,920
        pytest.param(TINY, "14x14x5", [12, 12, 4], 25920, id="more-channels"),
        # the block's pool is $in_h × $in_w of the *new* size: 16×16 → 1×1
        pytest.param(POOLED, "16x16x3", [1, 1, 2], 16 * 16 * 2 * 3, id="block-sees-new-size"),
    ],
)
def test_model_input_reruns_a_file_at_another_size(tmp_path: Path, text: str, size: str, output: list[int], macs: int) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(text)
    doc = document(f"model {path} --input {size}")
    assert doc["output"] == output
    assert doc["totals"]["macs"] == macs


def test_model_input_reads_the_files_layout(tmp_path: Path) -> None:
    path = tmp_path / "chw.yaml"
    path.write_text("layout: chw\ninput: [3, 10, 10]\nlayers:\n  - conv2d: {filters: 4, kernel: 3}\n")
    assert document(f"model {path} --input 3x14x14")["output"] == [4, 12, 12]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param("model {path} --input 2x2x3", "error: {path}:4:5: with --input 2x2x3: layer 'c' (conv2d): kernel 3 is larger than the padded input 2", id="too-small"),
        pytest.param("model {path} --input 0x4x3", "error: input shape '0x4x3' has '0' where a positive whole number was expected", id="zero"),
    ],
)
def test_model_input_errors_are_one_sentence(tmp_path: Path, args: str, message: str) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(TINY)
    result = run(args.format(path=path))
    assert result.exit_code == 2
    assert result.stderr.startswith(message.format(path=path))


def test_model_input_on_resnet50_matches_its_own_diff() -> None:
    resized = document("model resnet50 --input 320x320x3")
    compared = document("diff resnet50 --input-b 320x320x3")
    assert compared["b"]["input"] == [320, 320, 3]
    assert compared["totals"]["macs"]["b"] == resized["totals"]["macs"]


# ------------------------------------------------------------------ the core


@pytest.mark.parametrize(
    ("a", "b", "match", "resolved"),
    [
        pytest.param("resnet50", "resnet50", Match.AUTO, Match.NAME, id="same-names"),
        pytest.param("resnet50", "resnet50_keras", Match.AUTO, Match.ORDER, id="keras-names"),
        pytest.param("resnet50", "resnet50_keras", Match.NAME, Match.NAME, id="forced"),
    ],
)
def test_auto_matching_picks_names_only_when_they_are_shared(a: str, b: str, match: Match, resolved: Match) -> None:
    assert resolve_match(load(resolve(a)), load(resolve(b)), match) is resolved


def test_identical_networks_are_the_same() -> None:
    s = load(resolve("resnet50"))
    d = diff(s, s)
    assert d.same
    assert (d.count("same"), d.count("changed")) == (len(s.rows), 0)


def test_pairs_cover_every_layer_once() -> None:
    a, b = load(resolve("resnet50")), load(resolve("resnet50_keras"))
    for match in (Match.NAME, Match.ORDER):
        d = diff(a, b, match)
        assert sorted(x.a.name for x in d.layers if x.a) == sorted(r.node.name for r in a.rows)
        assert sorted(x.b.name for x in d.layers if x.b) == sorted(r.node.name for r in b.rows)


def test_name_matching_places_added_layers_after_their_predecessor() -> None:
    a = parse("{input: [8, 8, 3], layers: [relu: {name: x}, relu: {name: z}]}")
    b = parse("{input: [8, 8, 3], layers: [relu: {name: x}, relu: {name: y}, relu: {name: z}]}")
    d = diff(a, b, Match.NAME)
    assert [(x.status, (x.a or x.b).name) for x in d.layers] == [("same", "x"), ("added", "y"), ("same", "z")]


# ------------------------------------------------------------------ torchvision vs Keras


def test_keras_resnet50_adds_a_bias_to_every_convolution(torch_vs_keras: dict) -> None:
    doc = torch_vs_keras
    assert doc["match"] == "order"
    biased = [x for x in doc["layers"] if x["status"] == "changed" and x["a"]["kind"] == "conv2d"
              and (x["a"]["options"]["bias"], x["b"]["options"]["bias"]) == (False, True)]
    assert len(biased) == 53
    # each bias adds one parameter per filter
    assert all(x["b"]["params"]["trainable"] - x["a"]["params"]["trainable"] == x["a"]["options"]["filters"] for x in biased)
    # published: 25,583,592 (Keras) − 25,557,032 (torchvision) trainable
    assert doc["totals"]["trainable_params"] == {"a": 25_557_032, "b": 25_583_592, "delta": 26_560}
    assert sum(x["b"]["params"]["trainable"] - x["a"]["params"]["trainable"] for x in biased) == 26_560


def test_keras_resnet50_padding_layers_are_added(torch_vs_keras: dict) -> None:
    added = [x["b"] for x in torch_vs_keras["layers"] if x["status"] == "added"]
    # 224 + 2·3 = 230; 112 + 2·1 = 114
    assert [(x["name"], x["kind"], x["output"]) for x in added] == [
        ("conv1_pad", "zeropad2d", [230, 230, 3]), ("pool1_pad", "zeropad2d", [114, 114, 64]),
    ]


@pytest.mark.parametrize("pair", ["resnet50 resnet50_keras", "resnet50 --input-b 320x320x3", "vgg16 alexnet"])
def test_diff_totals_are_the_difference_of_each_networks_own_totals(pair: str) -> None:
    doc = document(f"diff {pair}")
    own_a = document(f"model {doc['a']['name']}")["totals"]
    b_args = doc["b"]["name"] + (" --input 320x320x3" if "--input-b" in pair else "")
    own_b = document(f"model {b_args}")["totals"]
    for figure, row in doc["totals"].items():
        assert (row["a"], row["b"], row["delta"]) == (own_a[figure], own_b[figure], own_b[figure] - own_a[figure]), figure


def test_resnet50_at_320_changes_shapes_and_macs_but_no_parameters() -> None:
    doc = document("diff resnet50 --input-b 320x320x3")
    assert doc["match"] == "name"
    layers = {x["a"]["name"]: x for x in doc["layers"]}
    # conv1: ⌊(320 + 2·3 − 7)/2⌋ + 1 = 160; 160·160·64 × 7·7·3 MACs
    conv1 = layers["conv1"]
    assert conv1["b"]["output"] == [160, 160, 64]
    assert conv1["b"]["macs"] == 160 * 160 * 64 * 7 * 7 * 3
    assert all("trainable" not in x["changed"] and "options" not in x["changed"] for x in doc["layers"])
    assert doc["totals"]["params"]["delta"] == 0
    # the classifier reads a pooled 2048-vector at both sizes: same output, same MACs
    assert layers["fc"]["changed"] == ["field"]


# ------------------------------------------------------------------ command line


@pytest.mark.parametrize(
    ("args", "code", "phrase"),
    [
        pytest.param("diff resnet50 resnet50", 0, "layers matched by name: 174 same, 0 changed", id="same"),
        pytest.param("diff resnet50", 0, "same\n", id="one-argument"),
        pytest.param("diff resnet50 resnet50_keras", 1, "~ conv1 = conv1_conv (conv2d)\n    padding 3 → 0; bias false → true; params +64 (9,408 → 9,472)", id="keras"),
        pytest.param("diff resnet50 --input-b 320x320x3", 1, "~ conv1 (conv2d)\n    output 112×112×64 → 160×160×64; MACs +122.8 M (118.0 M → 240.8 M)", id="resized"),
        pytest.param("diff resnet50 resnet50_keras --match name", 1, "layers matched by name: 0 same, 0 changed, 174 only in a, 176 only in b", id="forced-names"),
    ],
)
def test_diff_text_and_exit_code(args: str, code: int, phrase: str) -> None:
    result = run(args)
    assert result.exit_code == code, result.output
    assert phrase in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param("diff resnet5 resnet50", "error: 'resnet5' is neither a file nor a bundled model; did you mean 'resnet50'?", id="unknown-name"),
        pytest.param("diff resnet50 --input-b 320", "resnet50.yaml:27:5: with --input 320: layer 'conv1' (conv2d): conv2d needs an H×W×C feature map, got a vector of 320 features", id="vector-input"),
        pytest.param("diff lenet5 --input-b 4x4x1", "lenet5.yaml:8:5: with --input 4x4x1: layer 'c1' (conv2d): kernel 5 is larger than the padded input 4 (H=4, padding=0)", id="too-small"),
        pytest.param("diff resnet50 resnet50 --match names", "invalid value for '--match'", id="bad-match"),
    ],
)
def test_diff_bad_input_exits_2(args: str, message: str) -> None:
    result = run(args)
    assert result.exit_code == 2
    assert message.split(" … ")[0] in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        pytest.param("json", lambda text: json.loads(text)["schema_version"] == 1, id="json"),
        pytest.param("markdown", lambda text: text.startswith("## resnet50 (224×224×3) → resnet50_keras (224×224×3)")
                     and "| params | 25,610,152 | 25,636,712 | +26,560 |" in text, id="markdown"),
        pytest.param("text", lambda text: text.endswith("different\n"), id="text"),
    ],
)
def test_diff_formats_written_to_a_file(tmp_path: Path, fmt: str, check) -> None:
    out = tmp_path / f"diff.{fmt}"
    result = run(f"diff resnet50 resnet50_keras --format {fmt} -o {out}")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert check(out.read_text(encoding="utf-8"))


def test_text_fits_the_width_it_is_given() -> None:
    d = diff(load(resolve("resnet50")), load(resolve("resnet50_keras")))
    for width in (64, 80, 100):
        assert max(len(line) for line in diff_text(d, width=width).splitlines()) <= width


def test_json_document_lists_every_pair() -> None:
    a, b = load(resolve("resnet50")), load(resolve("resnet50_keras"))
    doc = diff_document(diff(a, b))
    assert len(doc["layers"]) == len(b.rows)  # every a layer pairs; b has the 2 padding layers more
    assert doc["counts"] == {"same": 25, "changed": 149, "removed": 0, "added": 2}


def test_command_line_match_choices_are_the_cores() -> None:
    from convcalc.cli.diff import MatchBy

    assert [m.value for m in MatchBy] == [m.value for m in Match]


# ---------------------------------------------------------------- fields per axis (issue 14)
CLIP = (
    "name: {name}\ninput: [16, 32, 32, 3]\nlayers:\n"
    "  - conv3d: {{filters: 8, kernel: {kernel}, stride: [1, 2, 2], padding: {padding}, name: stem}}\n"
    "  - maxpool3d: {{kernel: 2, name: pool}}\n"
)


def test_fields_of_a_3d_network_are_compared_per_axis() -> None:
    a = parse(CLIP.format(name="a", kernel="[3, 7, 7]", padding="[1, 3, 3]"), "a.yaml")
    b = parse(CLIP.format(name="b", kernel="[1, 7, 7]", padding="[0, 3, 3]"), "b.yaml")
    d = diff(a, b)
    # one conv's field is its kernel; the pool adds (2 − 1)·jump, the jump being the stride 1×2×2
    assert "field 3×7×7 → 1×7×7" in diff_text(d)
    assert "field 4×9×9 → 2×9×9" in diff_text(d)
    pool = diff_document(d)["layers"][1]
    assert (pool["a"]["field"], pool["b"]["field"]) == ({"d": 4, "h": 9, "w": 9}, {"d": 2, "h": 9, "w": 9})


def test_fields_of_a_1d_network_have_one_axis() -> None:
    d = diff(load(resolve("m5")), load(resolve("m5")))
    conv1 = diff_document(d)["layers"][0]
    assert conv1["a"]["field"] == {"l": 80}  # 80 taps
