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
