"""``convcalc layer`` end to end through Typer's CliRunner (and once for real).

Expected numbers are worked out by hand in the comments; none is recomputed
with the formula under test.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from convcalc.cli import app
from convcalc.layers import KINDS

runner = CliRunner()
# Plain, wide, deterministic output whatever the calling terminal sets.
ENV = {"COLUMNS": "200", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None}


# For subprocesses: the caller's environment, made plain and wide.
PROCESS_ENV = {
    **{k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")},
    "COLUMNS": "200",
    "NO_COLOR": "1",
    "PYTHONIOENCODING": "utf-8",
}


def run(args: str):
    return runner.invoke(app, ["layer", *shlex.split(args)], env=ENV)


def run_json(args: str) -> dict:
    result = run(args + " --format json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def flat(text: str) -> str:
    """Text with Rich's box drawing removed and whitespace collapsed."""
    return " ".join(re.sub(r"[│╭╮╰╯─┌┐└┘├┤┬┴┼]", " ", text).split())


# ---------------------------------------------------------------- acceptance


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        pytest.param(
            # (230 − 7) / 2 + 1 = 112.5 → 112; (7·7·3 + 1)·64 = 148·64 = 9,472
            "230x230x3 -k 7 -s 2 -p 0 -f 64",
            ["112×112×64", "9,472"],
            id="floor-drops-a-row",
        ),
        pytest.param(
            # (230 + 2 − 7) / 2 + 1 = 113.5 → 113; params unchanged by padding
            "230x230x3 -k 7 -s 2 -p 1 -f 64",
            ["113×113×64", "9,472"],
            id="floor-drops-padding",
        ),
        pytest.param(
            # (224 + 6 − 7) / 2 + 1 = 112.5 → 112; 7·7·3·64 = 9,408;
            # 112·112·64 = 802,816 outputs × 147 = 118,013,952 MACs
            "224x224x3 -k 7 -s 2 -p 3 -f 64 --no-bias",
            ["112×112×64", "9,408", "118,013,952", "118.0 M"],
            id="resnet-stem-no-bias",
        ),
        pytest.param(
            # (5 + 2 − 3) / 2 + 1 = 3; (3·3·3 + 1)·2 = 56; 3·3·2 × 27 = 486 MACs
            "5x5x3 -k 3 -s 2 -p 1 -f 2",
            ["3×3×2", "56", "486"],
            id="cs231n-demo",
        ),
        pytest.param(
            # ⌈224 / 2⌉ = 112; total padding (112 − 1)·2 + 3 − 224 = 1 → 0 top, 1 bottom
            "224x224x3 -k 3 -s 2 --padding same -f 8",
            ["112×112×8", "same padding", "top 0, bottom 1, left 0, right 1"],
            id="same-stride-2",
        ),
        pytest.param(
            # C×H×W in and out: 3×224×224 → 64×112×112
            "3x224x224 --layout chw -k 7 -s 2 -p 3 -f 64",
            ["input C×H×W", "3×224×224", "output C×H×W", "64×112×112"],
            id="layout-chw",
        ),
        pytest.param(
            "-H 224 -W 224 -C 3 -k 7 -s 2 -p 3 -f 64",
            ["224×224×3", "112×112×64", "9,472"],
            id="-H-W-C",
        ),
        pytest.param(
            # agreeing with the shape is not a contradiction
            "224x224x3 -C 3 -k 7 -s 2 -p 3 -f 64",
            ["112×112×64"],
            id="shape-and-agreeing-C",
        ),
        pytest.param(
            # 2048·1000 + 1000 = 2,049,000 params; 1000 outputs × 2048 = 2,048,000 MACs
            "2048 -t dense -f 1000",
            ["2048", "1000", "2,049,000", "2,048,000"],
            id="vector-dense",
        ),
        pytest.param(
            "-C 2048 -t linear --units 1000",
            ["2,049,000"],
            id="vector-from-C-alias-linear",
        ),
        pytest.param(
            # 64 + 32 = 96 channels
            "28x28x64 -t concat --with 28x28x32",
            ["with", "28×28×32", "28×28×96"],
            id="concat-with",
        ),
    ],
)
def test_layer_table(args: str, shown: list[str]) -> None:
    result = run(args)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    for text in shown:
        assert text in result.stdout


def test_explain_shows_rounding_and_why() -> None:
    result = run("230x230x3 -k 7 -s 2 -p 1 -f 64 --explain")
    assert result.exit_code == 0, result.output
    assert "113×113×64" in result.stdout
    # (230 + 2 − 7) / 2 + 1 = 225 / 2 + 1 = 113.5, floored
    assert "H: (230 + 2·1 − 7) / 2 + 1 = 113.5 → 113" in result.stdout
    assert "113.5 is rounded down" in result.stdout
    assert "only padding goes unread" in result.stdout
    assert "params: (7·7·3 + 1) · 64 = 9,472" in result.stdout


def test_json_document() -> None:
    doc = run_json("224x224x3 -k 7 -s 2 -p 3 -f 64 --no-bias")
    assert doc == {
        "schema_version": 1,
        "kind": "conv2d",
        "options": {"filters": 64, "kernel": 7, "stride": 2, "padding": 3, "bias": False},
        "layout": "hwc",
        "batch": None,
        "input": [224, 224, 3],
        "output": [112, 112, 64],
        # 7·7·3·64 = 9,408; 112·112·64 · 147 = 118,013,952
        "params": {"trainable": 9408, "non_trainable": 0, "total": 9408},
        "macs": 118013952,
        "padding": {"top": 3, "bottom": 3, "left": 3, "right": 3},
    }


def test_json_explain_and_same_padding() -> None:
    doc = run_json("224x224x3 -k 3 -s 2 -p same -f 8 --explain")
    assert doc["output"] == [112, 112, 8]
    assert doc["options"]["padding"] == "same"
    # total (112 − 1)·2 + 3 − 224 = 1: the extra pixel goes after
    assert doc["padding"] == {"top": 0, "bottom": 1, "left": 0, "right": 1}
    assert doc["explain"][0] == (
        "H: same padding → ⌈224 / 2⌉ = 112; padding (112 − 1)·2 + 3 − 224 = 1 → 0 before, 1 after"
    )


def test_json_layout_chw() -> None:
    doc = run_json("3x224x224 --layout chw -k 7 -s 2 -p 3 -f 64")
    assert (doc["layout"], doc["input"], doc["output"]) == ("chw", [3, 224, 224], [64, 112, 112])


@pytest.mark.parametrize(
    ("args", "output", "others"),
    [
        pytest.param("56x56x64 -t add --with 56x56x64", [56, 56, 64], [[56, 56, 64]], id="add"),
        # squeeze-and-excitation gate: 1×1×64 broadcasts over 56×56
        pytest.param(
            "56x56x64 -t multiply --with 1x1x64",
            [56, 56, 64],
            [[1, 1, 64]],
            id="multiply-broadcast",
        ),
        # 64 + 32 + 16 = 112 channels
        pytest.param(
            "28x28x64 -t concat --with 28x28x32 --with 28x28x16",
            [28, 28, 112],
            [[28, 28, 32], [28, 28, 16]],
            id="concat-three",
        ),
        pytest.param(
            "64x28x28 --layout chw -t concat --with 32x28x28",
            [96, 28, 28],
            [[32, 28, 28]],
            id="concat-chw",
        ),
    ],
)
def test_merges(args: str, output: list[int], others: list[list[int]]) -> None:
    doc = run_json(args)
    assert doc["output"] == output
    assert doc["others"] == others
    assert doc["params"]["total"] == 0


# One row per kind, with flags it needs; output hand-derived.
KIND_ROWS = {
    # (5 + 2 − 3) / 2 + 1 = 3
    "conv2d": ("5x5x3 -k 3 -s 2 -p 1 -f 2", [3, 3, 2]),
    # (7 − 1)·2 − 2·1 + 4 = 14
    "conv_transpose2d": ("7x7x512 -k 4 -s 2 -p 1 -f 256", [14, 14, 256]),
    # (112 + 2 − 3) / 2 + 1 = 56.5 → 56
    "maxpool2d": ("112x112x64 -k 3 -s 2 -p 1", [56, 56, 64]),
    # stride defaults to the kernel: (224 − 2) / 2 + 1 = 112
    "avgpool2d": ("224x224x3 -k 2 --exclude-pad", [112, 112, 3]),
    "adaptive_avgpool2d": ("13x13x256 --output-size 6", [6, 6, 256]),
    "adaptive_maxpool2d": ("14x14x512 --output-size 7x5", [7, 5, 512]),
    "global_avgpool2d": ("7x7x2048", [2048]),
    "global_maxpool2d": ("7x7x2048 --keepdims", [1, 1, 2048]),
    # 224 + 0 + 1 = 225, 224 + 2 + 3 = 229
    "zeropad2d": ("224x224x3 -p 0,1,2,3", [225, 229, 3]),
    "batchnorm2d": ("56x56x64", [56, 56, 64]),
    "layernorm": ("768 --no-affine", [768]),
    "dense": ("7x7x64 -f 10", [7, 7, 10]),
    # 7·7·512 = 25,088
    "flatten": ("7x7x512", [25088]),
    "dropout": ("4096 --rate 0.5", [4096]),
    "relu": ("56x56x64", [56, 56, 64]),
    "leaky_relu": ("56x56x64 --negative-slope 0.2", [56, 56, 64]),
    "relu6": ("112x112x32", [112, 112, 32]),
    "sigmoid": ("1x1x64", [1, 1, 64]),
    "tanh": ("256", [256]),
    "gelu": ("3072", [3072]),
    "silu": ("56x56x64", [56, 56, 64]),
    "hardswish": ("56x56x16", [56, 56, 16]),
    "hardsigmoid": ("1x1x16", [1, 1, 16]),
    "softmax": ("1000", [1000]),
    # 28 · 2 = 56
    "upsample": ("28x28x64 --scale 2 --mode bilinear", [56, 56, 64]),
    "channel_shuffle": ("28x28x240 --groups 3", [28, 28, 240]),
    "add": ("56x56x64 --with 56x56x64", [56, 56, 64]),
    "multiply": ("56x56x64 --with 1x1x64", [56, 56, 64]),
    # 64 + 32 = 96
    "concat": ("28x28x64 --with 28x28x32", [28, 28, 96]),
    # The kinds modern networks need (issue 10).
    "groupnorm": ("56x56x64 --set groups=32", [56, 56, 64]),
    "instancenorm": ("32x32x16 --set affine=true", [32, 32, 16]),
    "normalization": ("224x224x3", [224, 224, 3]),
    "mish": ("56x56x64", [56, 56, 64]),
    "elu": ("56x56x64 --set alpha=0.5", [56, 56, 64]),
    "softplus": ("256 --set beta=2", [256]),
    "drop_path": ("14x14x384 --set rate=0.1", [14, 14, 384]),
    "identity": ("7x7x512", [7, 7, 512]),
    "rescaling": ("224x224x3 --set scale=0.00392156862745098", [224, 224, 3]),
    "scale": ("56x56x96 --set init=1e-6", [56, 56, 96]),
    "prelu": ("56x56x64 --set per=channel", [56, 56, 64]),
    # 960 numbers as 1×1×960
    "reshape": ("960 --set shape=1,1,960", [1, 1, 960]),
    # channels 58 … 115
    "slice": ("28x28x116 --set start=58", [28, 28, 58]),
    # the last of two halves: 116 / 2 = 58
    "split": ("28x28x116 --set parts=2", [28, 28, 58]),
    # 28·2 = 56, 24 / 2² = 6
    "pixel_shuffle": ("28x28x24 --set factor=2", [56, 56, 6]),
    # 28 / 2 = 14, 3·2² = 12
    "pixel_unshuffle": ("28x28x3 --set factor=2", [14, 14, 12]),
    # 1-D and 3-D kinds (issue 14). (16000 − 80) / 4 + 1 = 3981
    "conv1d": ("16000x1 -k 80 -s 4 -f 128", [3981, 128]),
    # D: 16 + 2 − 3 + 1 = 16; H: (112 + 6 − 7) / 2 + 1 = 56
    "conv3d": ("16x112x112x3 -k 3x7x7 -s 1x2x2 -p 1x3x3 -f 64", [16, 56, 56, 64]),
    # (100 − 1)·2 − 2 + 4 = 200
    "conv_transpose1d": ("100x16 -k 4 -s 2 -p 1 -f 8", [200, 8]),
    # D: (4 − 1)·1 + 1 = 4; H: (7 − 1)·2 + 2 = 14
    "conv_transpose3d": ("4x7x7x16 -k 1x2x2 -s 1x2x2 -f 8", [4, 14, 14, 8]),
    # ⌈(100 − 3) / 2⌉ + 1 = 50
    "maxpool1d": ("100x8 -k 3 -s 2 --ceil-mode", [50, 8]),
    # D: (16 − 1) / 1 + 1 = 16; H: (56 + 2 − 3) / 2 + 1 = 28.5 → 28
    "maxpool3d": ("16x56x56x64 -k 1x3x3 -s 1x2x2 -p 0x1x1", [16, 28, 28, 64]),
    "avgpool1d": ("100x8 -k 4", [25, 8]),
    "avgpool3d": ("16x28x28x8 -k 2", [8, 14, 14, 8]),
    "adaptive_avgpool1d": ("100x8 --output-size 10", [10, 8]),
    "adaptive_avgpool3d": ("2x7x7x512 --output-size 1", [1, 1, 1, 512]),
    "adaptive_maxpool1d": ("100x8 --output-size 7", [7, 8]),
    "adaptive_maxpool3d": ("4x14x14x8 --output-size 2x7x7", [2, 7, 7, 8]),
    "global_avgpool1d": ("500x128", [128]),
    "global_avgpool3d": ("2x7x7x512 --keepdims", [1, 1, 1, 512]),
    "global_maxpool1d": ("500x128 --keepdims", [1, 128]),
    "global_maxpool3d": ("2x7x7x512", [512]),
    # 100 + 1 + 2 = 103
    "zeropad1d": ("100x8 -p 1,2", [103, 8]),
    # 4 + 1 + 0, 8 + 0 + 1, 8 + 2 + 0
    "zeropad3d": ("4x8x8x3 -p 1,0,0,1,2,0", [5, 9, 10, 3]),
    "batchnorm1d": ("500x128", [500, 128]),
    "batchnorm3d": ("16x56x56x64", [16, 56, 56, 64]),
}


def test_kind_table_covers_every_kind() -> None:
    assert sorted(KIND_ROWS) == sorted(KINDS)


@pytest.mark.parametrize(
    ("kind", "args", "output"), [(k, *v) for k, v in KIND_ROWS.items()], ids=list(KIND_ROWS)
)
def test_every_kind_runs(kind: str, args: str, output: list[int]) -> None:
    doc = run_json(f"{args} -t {kind}")
    assert doc["kind"] == kind
    assert doc["output"] == output


@pytest.mark.parametrize("kind", list(KIND_ROWS))
def test_every_kind_explains_as_table(kind: str) -> None:
    args, _ = KIND_ROWS[kind]
    result = run(f"{args} -t {kind} --explain")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip()


# ---------------------------------------------------------------- bad input

# Errors convcalc itself reports: one line on stderr, nothing on stdout.
ERRORS = [
    pytest.param(
        "0x224x3 -k 3 -f 8",
        "input shape '0x224x3' has '0' where a positive whole number was expected",
        id="zero-size",
    ),
    pytest.param(
        "224x-1x3 -k 3 -f 8",
        "input shape '224x-1x3' has '-1' where a positive whole number was expected",
        id="negative-size-in-shape",
    ),
    pytest.param(
        "-H -2 -W 5 -C 3 -k 3 -f 8",
        "input sizes must be positive whole numbers (got H=-2)",
        id="negative-size-flag",
    ),
    pytest.param(
        "-H 0 -W 5 -C 3 -k 3 -f 8",
        "input sizes must be positive whole numbers (got H=0)",
        id="zero-size-flag",
    ),
    pytest.param(
        "224x224 -k 3 -f 8",
        "conv2d takes an H×W×C map (2 spatial axes), got a 224×224 map (1 spatial axis)",
        id="two-dims",
    ),
    pytest.param(
        "3x3x3 -k 7 -f 8",
        "kernel 7 is larger than the padded input 3 (H=3, padding=0)",
        id="kernel-too-large",
    ),
    pytest.param(
        # padded: 3 + 2·1 = 5 < 7
        "3x3x3 -k 7 -p 1 -f 8",
        "kernel 7 is larger than the padded input 5 (H=3, padding=1)",
        id="kernel-too-large-padded",
    ),
    pytest.param(
        "56x56x64 -k 3 --groups 3 -f 64",
        "conv2d: groups=3 does not divide the 64 input channels; use a divisor of 64",
        id="groups-channels",
    ),
    pytest.param(
        "56x56x64 -k 3 --groups 4 -f 6",
        "conv2d: groups=4 does not divide the 6 filters; use a multiple of 4 filters",
        id="groups-filters",
    ),
    pytest.param(
        "56x56x64 -t maxpool2d -k 3 -f 3",
        "--filters does not apply to maxpool2d (it takes --kernel, --stride, --padding, --dilation, --ceil-mode)",
        id="flag-not-for-kind",
    ),
    pytest.param(
        "56x56x64 -t relu --rate 0.1",
        "--rate does not apply to relu (it takes no options)",
        id="flag-for-optionless-kind",
    ),
    pytest.param(
        "56x56x64 -k 3",
        "conv2d needs the option 'filters' (number of output channels)",
        id="missing-filters",
    ),
    pytest.param(
        "56x56x64 -f 3",
        "conv2d needs the option 'kernel' (kernel size, e.g. 3 or [1, 7])",
        id="missing-kernel",
    ),
    pytest.param(
        "-k 3 -f 4",
        "no input shape: give it as 224x224x3 (H×W×C) or with -H, -W and -C",
        id="missing-input",
    ),
    pytest.param(
        "-H 5 -k 3 -f 4",
        "input shape needs -W/-C as well (or give it as 224x224x3)",
        id="partial-input",
    ),
    pytest.param(
        "56x56x64 -k 3x -f 4",
        "--kernel '3x' is not understood; give a number or two like 3x5",
        id="malformed-kernel",
    ),
    pytest.param(
        "56x56x64 -k 3x3x3 -f 4",
        "--kernel '3x3x3' has 3 numbers; give 1 or 2",
        id="kernel-three-numbers",
    ),
    pytest.param(
        "56x56x64 -k 3 -p 1x -f 4",
        "--padding '1x' is not understood; give a number, two like 3x5 or four like 1,1,2,2",
        id="malformed-padding",
    ),
    pytest.param(
        "56x56x64 -k 0 -f 4",
        "kernel must be a positive whole number, or a pair [h, w] of them (got 0)",
        id="zero-kernel-keeps-brackets",
    ),
    pytest.param(
        "56x56x64 -k 3 -p -1 -f 4",
        "padding must be a whole number ≥ 0, [h, w], [top, bottom, left, right], 'same' or 'valid' (got -1)",
        id="negative-padding",
    ),
    pytest.param(
        "56x56x64 -k 3 -s 0 -f 4",
        "stride must be a positive whole number, or a pair [h, w] of them (got 0)",
        id="zero-stride",
    ),
    pytest.param(
        "224x224x3 -H 100 -k 3 -f 4",
        "input '224x224x3' contradicts -H/-W/-C (H=100); give one of them",
        id="contradictory-input",
    ),
    pytest.param(
        "56x56x64 -k 3 -f 4 --with 56x56x64",
        "--with gives extra inputs to merges (add, multiply, concat), not to conv2d",
        id="with-on-non-merge",
    ),
    pytest.param("56x56x64 -t add", "add takes at least 2 inputs, got 1", id="merge-without-with"),
    pytest.param(
        "56x56x64 -t add --with 28x28x64",
        "add cannot broadcast 56×56×64 and 28×28×64: sizes 56 and 28 differ along H; sizes must match or be 1",
        id="add-mismatch",
    ),
    pytest.param(
        "2048 -k 3 -f 4",
        "conv2d needs an H×W×C feature map, got a vector of 2,048 features",
        id="vector-into-conv",
    ),
    pytest.param(
        "56x56x64 -t dropout --rate 1.5",
        "rate must be a number from 0 up to (not including) 1 (got 1.5)",
        id="dropout-rate",
    ),
    pytest.param(
        "56x56x64 -t upsample",
        "upsample needs exactly one of 'scale' and 'size', got neither",
        id="upsample-neither",
    ),
]


@pytest.mark.parametrize(("args", "message"), ERRORS)
def test_bad_input(args: str, message: str) -> None:
    result = run(args)
    assert result.exit_code == 2
    assert result.stderr == f"error: {message}\n"
    assert result.stdout == ""
    assert "Traceback" not in result.output


# Errors Typer rejects before convcalc runs (unknown flags, Enum choices, typed
# options): one line, as convcalc's own errors are, never Click's usage box.
# (CliRunner names the program 'root'; a real run says 'convcalc layer'.)
USAGE_ERRORS = [
    pytest.param(
        "56x56x64 -k 3 --kernal 3",
        "error: root layer: no such option '--kernal'; did you mean '--kernel'? (see 'root layer --help')",
        id="unknown-option",
    ),
    pytest.param(
        "56x56x64 -k 3 -f abc",
        "error: root layer: invalid value for '-f' / '--filters' / '--units': "
        "'abc' is not a whole number written with the digits 0-9 (see 'root layer --help')",
        id="filters-not-int",
    ),
    pytest.param(
        "56x56x64 -k 3 -f ２",
        "error: root layer: invalid value for '-f' / '--filters' / '--units': "
        "'２' is not a whole number written with the digits 0-9 (see 'root layer --help')",
        id="filters-full-width",
    ),
    pytest.param(
        "56x56x64 -k 3 -f 99999999999",
        "error: root layer: invalid value for '-f' / '--filters' / '--units': "
        "'99999999999' is above 2,147,483,647, the largest accepted (docs/limits.md) (see 'root layer --help')",
        id="filters-too-large",
    ),
    pytest.param(
        "56x56x64 -t dropout --rate nan",
        "error: root layer: invalid value for '--rate': 'nan' is not a finite decimal number like 0.2 or 1e-3 "
        "(see 'root layer --help')",
        id="rate-nan",
    ),
    pytest.param(
        "56x56x64 -k 3 -f 2 --format xml",
        "error: root layer: invalid value for '--format': 'xml' is not one of 'table', 'json' (see 'root layer --help')",
        id="unknown-format",
    ),
    pytest.param(
        "56x56x64 -k 3 -f 2 --layout whc",
        "error: root layer: invalid value for '--layout': 'whc' is not one of 'hwc', 'chw' (see 'root layer --help')",
        id="unknown-layout",
    ),
    pytest.param(
        "56x56x64 -k",
        "error: root: option '-k' requires an argument (see 'root --help')",  # Click knows no command here
        id="missing-value",
    ),
]


@pytest.mark.parametrize(("args", "line"), USAGE_ERRORS)
def test_usage_errors(args: str, line: str) -> None:
    result = run(args)
    assert result.exit_code == 2
    assert result.stderr == line + "\n"
    assert result.stdout == ""


# ---------------------------------------------------------------- real process


@pytest.mark.parametrize(
    ("args", "code", "stdout", "stderr"),
    [
        pytest.param(
            # 112·112·64 = 802,816 outputs × 7·7·3 = 118,013,952 MACs
            ["224x224x3", "-k", "7", "-s", "2", "-p", "3", "-f", "64", "--no-bias"],
            0,
            ["112×112×64", "9,408", "118,013,952"],
            "",
            id="ok",
        ),
        pytest.param(
            ["3x3x3", "-k", "7", "-f", "8"],
            2,
            [],
            "error: kernel 7 is larger than the padded input 3 (H=3, padding=0)\n",
            id="bad-input",
        ),
    ],
)
def test_python_m_convcalc(args: list[str], code: int, stdout: list[str], stderr: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "convcalc", "layer", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=PROCESS_ENV,
        timeout=60,
    )
    assert done.returncode == code, done.stderr
    assert done.stderr == stderr
    for text in stdout:
        assert text in done.stdout


_NO_NUMPY = """
import json, runpy, sys
sys.argv = ["convcalc", "layer", "224x224x3", "-k", "7", "-f", "64", "--explain"]
try:
    runpy.run_module("convcalc", run_name="__main__", alter_sys=True)
except SystemExit as exit:
    code = exit.code
else:
    code = 0
print(json.dumps({"code": code, "loaded": sorted(m for m in ("numpy", "convcalc.cli", "convcalc.explain") if m in sys.modules)}), file=sys.stderr)
"""


def test_layer_command_never_imports_numpy() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _NO_NUMPY],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=PROCESS_ENV,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    # 224 − 7 + 1 = 218: the command really ran
    assert "218×218×64" in done.stdout
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report == {"code": 0, "loaded": ["convcalc.cli", "convcalc.explain"]}
