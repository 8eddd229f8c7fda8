"""``convcalc model``, ``models`` and ``schema`` end to end.

Published figures are the referee (torchvision's ResNet-50: 25,557,032
parameters, 4,089,184,256 MACs); memory figures are worked by hand on tiny
networks in the comments.
"""

from __future__ import annotations

import csv
import io
import json
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcalc.catalog import bundled
from convcalc.cli import app

runner = CliRunner()
ENV = {"COLUMNS": "200", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None}

CHAIN = """\
name: chain
input: [4, 4, 1]
layers:
  - conv2d: {filters: 2, kernel: 1}
  - relu
  - conv2d: {filters: 4, kernel: 1}
"""

RESIDUAL = """\
name: residual
input: [4, 4, 1]
layers:
  - conv2d: {filters: 2, kernel: 1, name: a}
  - relu
  - add: {from: [a, relu]}
"""


def run(args: str):
    return runner.invoke(app, shlex.split(args), env=ENV)


def document(args: str) -> dict:
    result = run(args + " --format json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_resnet50_json_matches_the_published_figures() -> None:
    doc = document("model resnet50")
    assert doc["name"] == "resnet50"
    assert doc["input"] == [224, 224, 3]
    assert doc["output"] == [1000]
    assert doc["totals"]["trainable_params"] == 25_557_032
    assert doc["totals"]["macs"] == 4_089_184_256
    first = doc["layers"][0]
    assert first == {
        "name": "conv1",
        "kind": "conv2d",
        "inputs": ["input"],
        "output": [112, 112, 64],
        "params": {"trainable": 9408, "non_trainable": 0, "total": 9408},  # 7·7·3·64, no bias
        "macs": 118_013_952,  # 112·112·64 outputs × 7·7·3
        "options": {"filters": 64, "kernel": 7, "stride": 2, "padding": 3, "bias": False},
        "groups": [],
        # one 7×7 window, stride 2; output 0's window spans input −3…3, centred on 0
        "receptive_field": {
            "h": {"size": 7, "clipped": 7, "jump": 2, "start": 0, "padding": 3},
            "w": {"size": 7, "clipped": 7, "jump": 2, "start": 0, "padding": 3},
            "aligned": True,
            "warning": None,
        },
    }
    # torchvision's layer1.0 shortcut: 1×1 conv 64 → 256 on 56×56
    shortcut = next(layer for layer in doc["layers"] if layer["name"] == "layer1.0.downsample_conv")
    assert shortcut["output"] == [56, 56, 256] and shortcut["params"]["trainable"] == 16_384
    assert {"params", "trainable_params", "non_trainable_params", "macs", "param_bytes", "activation_bytes"} <= set(doc["totals"])


def test_layout_chw_prints_channels_first() -> None:
    doc = document("model resnet50 --layout chw")
    assert doc["layout"] == "chw"
    assert doc["input"] == [3, 224, 224]
    assert doc["layers"][0]["output"] == [64, 112, 112]


TOP = ["input", "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc"]


# --depth counts as torchinfo's depth does (issue 13: it used to be one less):
# 1 shows the top-level rows, a block as one row; 0 is read as 1.
@pytest.mark.parametrize(
    ("depth", "names"),
    [
        pytest.param(0, TOP, id="zero-reads-as-one"),
        pytest.param(1, TOP, id="top-level"),
        pytest.param(2, ["input", "conv1", "bn1", "relu", "maxpool", "layer1", "layer1.0", "layer1.1", "layer1.2", "layer2", "layer2.0"], id="one-level-of-blocks"),
    ],
)
def test_depth_counts_as_torchinfo_does(depth: int, names: list[str]) -> None:
    result = run(f"model resnet50 --depth {depth}")
    assert result.exit_code == 0, result.output
    shown = [line.split("│")[1].strip() for line in result.stdout.splitlines() if line.startswith("│")]
    assert shown[: len(names)] == names
    if depth < 2:
        assert shown == names
    # three bottlenecks of torchvision's layer1: 215,808 trainable parameters
    assert any("bottleneck ×3" in line and "215,808" in line for line in result.stdout.splitlines())


def test_csv_has_one_row_per_layer_that_sums_to_the_totals() -> None:
    # Issue 13: the CSV mixed group rows with layers, so its trainable column summed to 96 M.
    result = run("model resnet50 --depth 1 --format csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["name", "kind", "group", "level", "output", "params", "trainable", "non_trainable", "macs", "output_bytes"]
    assert len(rows) == len(document("model resnet50")["layers"])  # --depth does not hide layers here
    assert sum(int(r["trainable"]) for r in rows) == 25_557_032  # torchvision's published count
    assert sum(int(r["macs"]) for r in rows) == 4_089_184_256
    conv = next(r for r in rows if r["name"] == "layer1.0.conv2")
    # 56·56·64 outputs × 4 bytes = 802,816 bytes, as a number, not '784.0 KiB'
    assert (conv["group"], conv["level"], conv["output"], conv["output_bytes"]) == ("layer1.0.residual", "3", "56x56x64", "802816")


def test_groups_csv_has_a_row_per_group() -> None:
    result = run("model resnet50 --format csv --groups --depth 1")
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert list(rows) == ["layer1", "layer2", "layer3", "layer4"]
    # three bottlenecks of torchvision's layer1: 215,808 trainable, 2,816 batch-norm statistics
    assert (rows["layer1"]["kind"], rows["layer1"]["trainable"], rows["layer1"]["params"]) == ("bottleneck ×3", "215808", "218624")
    # conv1-3, bn1-3, relu ×3 and add: 10 per block, and the first block's shortcut conv and bn: 32
    assert rows["layer1"]["layers"] == "32"
    deeper = list(csv.DictReader(io.StringIO(run("model resnet50 --format csv --groups").stdout)))
    assert {r["parent"] for r in deeper if r["level"] == "1"} == {"layer1", "layer2", "layer3", "layer4"}


def test_groups_needs_csv() -> None:
    result = run("model resnet50 --groups")
    assert result.exit_code == 2
    assert "error: --groups chooses the rows of the CSV; add --format csv" in result.stderr


@pytest.mark.parametrize(
    ("args", "phrases"),
    [
        # 8 × 118,013,952 = 944,111,616 MACs for conv1; shapes carry N
        pytest.param("model resnet50 --batch 8 --depth 1", ["output N×H×W×C", "8×112×112×64", "8×224×224×3 (N×H×W×C, 4.59 MiB)", "MACs: 32,713,474,048 (32.7 G) per batch", "944,111,616", "params: 25,610,152"], id="model"),
        pytest.param("layer 224x224x3 -k 7 -s 2 -p 3 -f 64 --batch 8", ["input N×H×W×C", "8×224×224×3", "8×112×112×64", "944,111,616", "9,472"], id="layer"),
        pytest.param("model resnet50 --depth 1", ["output H×W×C", "112×112×64", "224×224×3 (H×W×C, 588.0 KiB)"], id="no-batch"),
    ],
)
def test_batch_means_the_same_everywhere(args: str, phrases: list[str]) -> None:
    result = run(args)
    assert result.exit_code == 0, result.output
    for phrase in phrases:
        assert phrase in result.stdout


def test_batch_in_json_scales_what_grows_with_the_batch() -> None:
    one, eight = document("model lenet5"), document("model lenet5 --batch 8")
    assert (one["batch"], eight["batch"]) == (None, 8)
    assert eight["input"] == [8, *one["input"]]
    assert eight["layers"][0]["output"] == [8, *one["layers"][0]["output"]]
    assert eight["totals"]["macs"] == 8 * one["totals"]["macs"]
    assert eight["totals"]["activation_bytes"] == 8 * one["totals"]["activation_bytes"]
    assert eight["totals"]["params"] == one["totals"]["params"] == 61_706  # LeNet-5's published count


def test_footer_follows_the_layout() -> None:
    # Issue 13: the footer printed H×W×C even for C×H×W.
    result = run("model resnet50 --depth 1 --layout chw")
    assert "output C×H×W" in result.stdout
    assert "input: 3×224×224 (C×H×W, 588.0 KiB)" in result.stdout


def test_input_row_and_join_marks() -> None:
    result = run("model resnet50")
    lines = result.stdout.splitlines()
    assert lines[4].split("│")[1:4] == [" input                          ", " input            ", "    224×224×3 "]
    add = next(line for line in lines if "layer1.0.add " in line)
    assert "+ add" in add


@pytest.mark.parametrize(
    ("args", "header", "row"),
    [
        pytest.param("--columns output,macs", ["layer", "output H×W×C", "MACs"], ["conv1", "112×112×64", "118,013,952"], id="chosen"),
        pytest.param("--columns params,from", ["layer", "params", "from"], ["layer1.0.add", "0", "layer1.0.bn3, layer1.0.downsample_bn"], id="from"),
        pytest.param("--columns mem", ["layer", "kind", "output H×W×C", "trainable", "non-trainable", "MACs", "output mem"], ["conv1", "conv2d", "112×112×64", "9,408", "0", "118,013,952", "3.06 MiB"], id="optional-adds"),
    ],
)
def test_columns_chooses_the_columns(args: str, header: list[str], row: list[str]) -> None:
    result = run(f"model resnet50 {args}")
    assert result.exit_code == 0, result.output
    lines = [[cell.strip() for cell in line.split("│" if line.startswith("│") else "┃")[1:-1]] for line in result.stdout.splitlines() if line[:1] in "│┃"]
    assert lines[0] == header
    assert row in lines


def test_table_shows_layers_groups_and_totals() -> None:
    result = run("model resnet50")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for phrase in ("layer4.2.conv3", "bottleneck ×6", "trainable: 25,557,032", "MACs: 4,089,184,256 (4.09 G)"):
        assert phrase in out


def test_markdown_is_a_table_with_totals() -> None:
    result = run("model resnet50_stem --format markdown")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "## resnet50_stem"
    assert "| conv1_conv | conv2d | 112×112×64 | 9,472 | 0 | 118,013,952 |" in lines
    assert "- MACs: 118,013,952 (118.0 M)" in lines


@pytest.mark.parametrize(
    ("text", "activation_bytes", "peak_bytes"),
    [
        # outputs 32 + 32 + 64 = 128 numbers → 512 bytes; live at most while the
        # last conv runs: its input 32 + its output 64 = 96 numbers → 384 bytes
        pytest.param(CHAIN, 512, 384, id="chain"),
        # outputs 32 + 32 + 32 = 96 → 384 bytes; while 'add' runs, a, relu and
        # the sum are all alive: 96 numbers → 384 bytes
        pytest.param(RESIDUAL, 384, 384, id="residual"),
    ],
)
def test_activation_memory(tmp_path: Path, text: str, activation_bytes: int, peak_bytes: int) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(text)
    totals = document(f"model {path}")["totals"]
    assert (totals["activation_bytes"], totals["peak_activation_bytes"]) == (activation_bytes, peak_bytes)
    assert totals["input_bytes"] == 64  # 4·4·1 numbers × 4 bytes


def test_dtype_changes_bytes_per_number(tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(CHAIN)
    # params: (1 + 1)·2 + (2 + 1)·4 = 16; at float16 that is 32 bytes
    totals = document(f"model {path} --dtype float16")["totals"]
    assert (totals["params"], totals["param_bytes"], totals["activation_bytes"]) == (16, 32, 256)


@pytest.mark.parametrize(
    ("suffix", "check"),
    [
        pytest.param(".json", lambda text: json.loads(text)["totals"]["macs"] == 118_013_952, id="json"),
        pytest.param(".csv", lambda text: text.startswith("name,kind,group,level,output,params"), id="csv"),
        pytest.param(".md", lambda text: text.startswith("## resnet50_stem"), id="markdown"),
        pytest.param(".svg", lambda text: "<svg" in text and "conv1_conv" in text, id="svg"),  # the network drawn (needs Graphviz)
        pytest.param(".html", lambda text: "<html" in text.lower() and "conv1_conv" in text, id="html"),
        pytest.param(".txt", lambda text: "conv1_conv" in text and "trainable: 9,600" in text, id="text"),
    ],
)
def test_output_file_format_follows_its_suffix(tmp_path: Path, suffix: str, check) -> None:
    target = tmp_path / f"stem{suffix}"
    result = run(f"model resnet50_stem -o {target}")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert check(target.read_text(encoding="utf-8"))
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary file left


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param("model resnet5", "error: 'resnet5' is neither a file nor a bundled model; did you mean 'resnet50'?", id="unknown-name"),
        pytest.param("model resnet50 -o /nonexistent/dir/out.json", "error: --output '/nonexistent/dir/out.json': folder '/nonexistent/dir' does not exist", id="missing-folder"),
        pytest.param("model resnet50 --depth -1", "-1", id="negative-depth"),
    ],
)
def test_bad_model_arguments_exit_2(args: str, message: str) -> None:
    result = run(args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_malformed_file_is_one_located_sentence(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("input: [8, 8, 3]\nlayers:\n  - conv2d: {filters: 4, kernel: 9}\n")
    result = run(f"model {path}")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path}:3:5: layer 'conv2d' (conv2d): kernel 9 is larger than the padded input 8 (H=8, padding=0)\n"
    )
    assert result.stdout == ""


def test_models_lists_every_bundled_config() -> None:
    result = run("models")
    assert result.exit_code == 0, result.output
    for name in bundled():
        assert name in result.stdout
    assert {"resnet50", "resnet50_stem", "resnet50_keras", "vgg16", "alexnet", "mobilenet_v2", "lenet5"} <= set(bundled())


def test_schema_is_printed_as_json() -> None:
    result = run("schema")
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("http://json-schema.org/draft-07/schema")
