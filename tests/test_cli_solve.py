"""``convcalc solve``, and the model options of issue 7: --columns, --optimizer, --explain LAYER.

Expected rows are worked by hand in the comments.
"""

from __future__ import annotations

import csv
import io
import json
import shlex

import pytest
from typer.testing import CliRunner

from convcalc.cli import app

runner = CliRunner()
ENV = {"COLUMNS": "200", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None}


def run(args: str):
    return runner.invoke(app, shlex.split(args), env=ENV)


def test_solve_224_to_112_with_kernel_7_lists_stride_2_padding_3() -> None:
    result = run("solve --input 224 --output-size 112 -k 7 --format json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["solutions"]
    first = rows[0]
    # (224 + 2·3 − 7) / 2 + 1 = 112.5 → 112: rounds, but only padding is unread
    assert (first["kernel"], first["stride"], first["padding"], first["dilation"]) == (7, 2, 3, 1)
    assert first["formula"] == "(224 + 2·3 − 7) / 2 + 1 = 112.5 → 112"
    # TF same: ⌈224 / 2⌉ = 112, padding (112 − 1)·2 + 7 − 224 = 5 → 2 before, 3 after, exact
    same = rows[1]
    assert (same["padding"], same["pad_before"], same["pad_after"], same["exact"]) == ("same", 2, 3, True)


def test_solve_table_shows_the_arithmetic() -> None:
    result = run("solve -i 224 --output-size 112 -k 7 -s 2 --dilation 1")
    assert result.exit_code == 0, result.output
    assert "(224 + 2·3 − 7) / 2 + 1 = 112.5 → 112" in result.stdout
    assert "same (2 before, 3 after)" in result.stdout


def test_solve_transposed_gives_the_output_padding() -> None:
    # (112 − 1)·2 − 2·1 + 3 + 1 = 224
    result = run("solve -i 112 --output-size 224 -k 3 -s 2 -p 1 --dilation 1 --transposed --format json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["solutions"]
    assert (row["output_padding"], row["formula"]) == (1, "(112 − 1)·2 − 2·1 + 3 + 1 = 224")


def test_solve_model_reports_clean_input_sizes() -> None:
    # VGG-16 halves five times and pads every 3×3 conv by 1: only multiples of 32 divide cleanly
    result = run("solve --model vgg16")
    assert result.exit_code == 0, result.output
    assert "clean (no row or column dropped): multiples of 32 from 32 to 1024" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param("solve --input 224", "error: give --input and --output-size lengths (or --model FILE)", id="missing-output"),
        pytest.param("solve --model vgg16 --input 3", "error: --model finds input sizes for a whole network; leave out --input and --output-size", id="both"),
        pytest.param("model resnet50 --columns rf,colour", "error: --columns 'colour' is not a column; choose from kind, output, params, trainable, non_trainable, macs, from, rf, jump, start, clipped, mem", id="bad-column"),
        pytest.param("model resnet50 --explain layer9", "error: --explain 'layer9': no layer or block has that name; did you mean 'layer4'?", id="bad-layer"),
    ],
)
def test_bad_arguments(args: str, message: str) -> None:
    result = run(args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_receptive_field_columns() -> None:
    result = run("model vgg16 --columns rf,jump --format csv")
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    # VGG-16 pool5: 212 pixels, jump 32 (Araujo et al., "Computing receptive fields of CNNs")
    assert (rows["block5.pool"]["rf"], rows["block5.pool"]["rf_jump"]) == ("212", "32")


def test_training_memory_in_totals() -> None:
    result = run("model resnet50 --optimizer adam --batch 32 --format json")
    assert result.exit_code == 0, result.output
    training = json.loads(result.stdout)["training"]
    # parameters 25,610,152·4; gradients and two Adam buffers of 25,557,032·4 each
    assert training["parameters"] == 102_440_608
    assert training["gradients"] == 102_228_128
    assert training["optimizer_state"] == 204_456_256
    assert training["optimizer"] == "adam" and training["batch"] == 32


def test_explain_one_layer_with_its_receptive_field() -> None:
    result = run("model resnet50 --explain conv1")
    assert result.exit_code == 0, result.output
    assert "(224 + 2·3 − 7) / 2 + 1 = 112.5 → 112" in result.stdout
    assert "receptive field:" in result.stdout
    assert "field 7×7, jump 2×2" in result.stdout


# ---------------------------------------------------------------- per axis (issue 14)
def test_solve_per_axis_gives_one_table_per_question_and_one_layer() -> None:
    # D: (16 + 2·1 − 3) / 2 + 1 = 8.5 → 8; H and W ask the same question, so share one table
    result = run("solve -i 16x112x112 --output-size 8x56x56 -k 3x7x7 -s 2")
    assert result.exit_code == 0, result.output
    assert "convolution along D: 16 → 8" in result.stdout
    assert "convolution along H and W: 112 → 56" in result.stdout
    assert "(16 + 2·1 − 3) / 2 + 1 = 8.5 → 8" in result.stdout
    assert result.stdout.endswith(
        "one layer, the first solution along each axis that drops nothing: conv3d: {kernel: [3, 7, 7], stride: 2, padding: [1, 3, 3]}\n"
    )


def test_solve_per_axis_json_layer_is_a_torch_layer() -> None:
    torch = pytest.importorskip("torch")
    result = run("solve -i 16x112x112 --output-size 8x56x56 -k 3x7x7 -s 1x2x2 --format json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [a["axes"] for a in doc["per_axis"]] == ["D", "HW"]
    layer = doc["layer"]
    assert layer["kind"] == "conv3d"
    conv = torch.nn.Conv3d(1, 1, layer["kernel"], layer["stride"], layer["padding"], layer.get("dilation", 1))
    assert list(conv(torch.zeros(1, 1, *doc["input"])).shape[2:]) == doc["output"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param("solve -i 16x112x112 --output-size 8x56x56 -p 1x3", "error: --padding 1x3 has 2 sizes where another option has 3; give one for every axis, or one per axis (D×H×W)", id="padding-count"),
        pytest.param("solve -i 16x112x112x3x3 --output-size 8", "'16x112x112x3x3' has 5 sizes; give one for every axis, or one per axis (L; H×W; D×H×W)", id="too-many"),
        pytest.param("solve -i 16x112x112 --output-size 80x56x56 -k 3", "error: along D: no conv3d maps 16 to 80 with kernel 3,", id="nothing-along-d"),
        pytest.param("solve --model m5 --low 8x8", "error: low has 2 sizes but the model input has 1 spatial axis (L); give one size, or one per axis", id="low-count"),
        pytest.param("solve -i 224x2000000000000 --output-size 112", "'2000000000000' is above 2,147,483,647, the largest accepted", id="huge-part"),
    ],
)
def test_per_axis_bad_arguments(args: str, message: str) -> None:
    result = run(args)
    assert result.exit_code == 2
    assert message in result.stderr


VIDEO = (
    "name: clip\ninput: [16, 12, 12, 1]\nlayers:\n"
    "  - conv3d: {filters: 1, kernel: [2, 3, 3], stride: [2, 3, 3]}\n  - avgpool3d: {kernel: 2}\n"
)


def test_solve_model_3d_reports_each_group_of_axes(tmp_path) -> None:
    path = tmp_path / "clip.yaml"
    path.write_text(VIDEO)
    # D: the conv halves, the pool halves again, windows as wide as their stride: D ≥ 4 runs,
    # multiples of 4 lose nothing; H×W: thirds then halves, so ≥ 6 and multiples of 6
    result = run(f"solve --model {path} --high 24x36x36")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "clip: input sides per axis, the other axes held at the model's 16×12×12\n"
        "  D from 1 to 24, H×W at 12×12:\n"
        "    runs: 4–24; smallest input: 4×12×12\n"
        "    clean (no plane dropped): multiples of 4 from 4 to 24\n"
        "  H×W from 32 to 36, D at 16:\n"
        "    runs: every size from 32 to 36; smallest input: 16×6×6\n"
        "    clean (no row or column dropped): 36\n"
    )


def test_solve_model_1d() -> None:
    result = run("solve --model m5 --low 100 --high 200 --format json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["axes"], doc["input"], doc["low"], doc["high"], doc["apart"]) == ("L", [32000], 100, 200, [])
    assert doc["summary"][1].startswith("clean (no position dropped): ")


@pytest.mark.parametrize(
    ("config", "layer", "rf", "jump"),
    [
        # M5's conv1 is 80 taps at stride 4; pool1 (4, stride 4) adds (4 − 1)·4: 92, jump 16
        pytest.param("m5", "conv1", "80", "4", id="1d-conv"),
        pytest.param("m5", "pool1", "92", "16", id="1d-pool"),
        # R(2+1)D's stem: a (1, 7, 7) conv at stride (1, 2, 2), then (3, 1, 1): 3×7×7, jump 1×2×2
        pytest.param("r2plus1d_18", "stem.0", "1×7×7", "1×2×2", id="3d-stem-spatial"),
        pytest.param("r2plus1d_18", "stem.3", "3×7×7", "1×2×2", id="3d-stem-temporal"),
    ],
)
def test_receptive_field_columns_per_axis(config: str, layer: str, rf: str, jump: str) -> None:
    result = run(f"model {config} --columns rf,jump --format csv")
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(result.stdout))}
    assert (rows[layer]["rf"], rows[layer]["rf_jump"]) == (rf, jump)
