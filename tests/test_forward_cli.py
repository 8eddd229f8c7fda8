"""``--verify`` end to end: what ``layer``, ``model`` and ``check`` print and exit with.

A MAC formula broken on purpose must be caught (exit 1, the layer named);
running out of memory, or a pass the estimate refuses, is bad input (exit 2,
one sentence, nothing on stdout).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

import convcalc.forward as forward
from convcalc.cli import app
from convcalc.layers import spec_class

runner = CliRunner()
ENV = {"COLUMNS": "200", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "GITHUB_ACTIONS": None}


def run(args: str):
    return runner.invoke(app, shlex.split(args), env=ENV)


def flat(text: str) -> str:
    return " ".join(text.split())


def off_by_one_macs(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """Make ``kind``'s shape rule claim one MAC more than it should."""
    cls = spec_class(kind)
    right = cls.infer
    monkeypatch.setattr(cls, "infer", lambda self, *xs: right(self, *xs)._replace(macs=right(self, *xs).macs + 1))


# ---------------------------------------------------------------- agreement
def test_model_verify_reports_macs_checked_on_every_layer() -> None:
    result = run("model resnet50 --depth 0 --verify")
    assert result.exit_code == 0, result.output
    assert "MACs: 4,089,184,256" in result.stdout
    assert result.stderr == (
        "verified: a NumPy forward pass at batch 1 agrees with the output shape, parameters and MACs of all 174 layers\n"
    )


def test_layer_verify_reports_what_it_checked() -> None:
    result = run("layer 8x8x3 -k 3 -f 4 --verify --batch 2")
    assert result.exit_code == 0, result.output
    assert "✓ NumPy forward pass, batch 2" in result.stdout
    assert result.stderr == (
        "verified: a NumPy forward pass at batch 2 agrees with the output shape, parameters and MACs of the layer\n"
    )


# ---------------------------------------------------------------- a broken MAC formula
LAYER_CASES = [
    # (kind, convcalc layer arguments, MACs the kernel did)
    pytest.param("conv2d", "8x8x3 -k 3 -f 4", 3_888, id="conv2d"),  # 6·6·4 × 27
    pytest.param("dense", "10 -t dense -f 3", 30, id="dense"),
    pytest.param("conv_transpose2d", "4x4x2 -t conv_transpose2d -k 3 -s 2 -f 4", 1_152, id="conv_transpose2d"),  # 32 × 36
]


@pytest.mark.parametrize(("kind", "args", "macs"), LAYER_CASES)
def test_layer_verify_catches_a_wrong_mac_formula(
    monkeypatch: pytest.MonkeyPatch, kind: str, args: str, macs: int
) -> None:
    off_by_one_macs(monkeypatch, kind)
    result = run(f"layer {args} --verify")
    assert result.exit_code == 1, result.output
    assert "✗ mismatch" in result.stdout
    assert result.stderr.splitlines() == [
        f"mismatch: layer '{kind}' ({kind}): computed {macs + 1:,} MACs, the NumPy kernel did {macs:,}",
        "not verified: 1 mismatch; a NumPy forward pass at batch 1 checked the output shape, parameters and MACs "
        "of 1 of 1 layer",
    ]


@pytest.mark.parametrize(
    ("kind", "layers", "line"),
    [
        pytest.param("conv2d", "conv 4 k3; relu", "layer 'conv2d' (conv2d): computed 3,889 MACs, the NumPy kernel did 3,888", id="conv2d"),
        pytest.param("dense", "flatten; dense 3", "layer 'dense' (dense): computed 577 MACs, the NumPy kernel did 576", id="dense"),
    ],
)
def test_model_verify_catches_a_wrong_mac_formula(
    monkeypatch: pytest.MonkeyPatch, kind: str, layers: str, line: str
) -> None:
    off_by_one_macs(monkeypatch, kind)
    result = runner.invoke(app, ["model", "--layers", layers, "--input", "8x8x3", "--verify"], env=ENV)
    assert result.exit_code == 1, result.output
    assert f"mismatch: {line}" in result.stderr.splitlines()


def test_check_verify_places_a_mac_mismatch_on_its_layer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_text("input: [8, 8, 3]\nlayers:\n  - relu\n  - conv2d: {filters: 4, kernel: 3}\n  - flatten\n")
    off_by_one_macs(monkeypatch, "conv2d")
    result = run(f"check {path} --verify")
    assert result.exit_code == 1, result.output
    assert re.search(
        r"net\.yaml:4:5: error CC108 layer 'conv2d' \(conv2d\): computed 3,889 MACs, the NumPy kernel did 3,888",
        result.stdout,
    )


# ---------------------------------------------------------------- memory: bad input, exit 2
@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        pytest.param(
            "layer 100000x100000x3 -k 3 -f 64 --verify",
            "layer 'conv2d' (conv2d): the forward pass at batch 1 would need about 3.52 TiB, more than the limit "
            "of 4.0 GiB; use a smaller --batch or raise --max-memory",
            id="huge-map",
        ),
        pytest.param(
            "layer 2048 -t dense -f 200000 --verify --batch 4000",
            "layer 'dense' (dense): the forward pass at batch 4000 would need about 4.68 GiB, more than the limit "
            "of 4.0 GiB; use a smaller --batch or raise --max-memory",
            id="huge-batch",
        ),
        pytest.param(
            # weights 2,320 + input 65,536 + output 62·62·16 = 61,504 + im2col 62·62·144 = 553,536
            # = 682,896 floats, 2,731,584 B, 3 % more and 4 MiB of slack: 7,007,836 B
            "layer 64x64x16 -k 3 -f 16 --verify --max-memory 1MB",
            "layer 'conv2d' (conv2d): the forward pass at batch 1 would need about 6.68 MiB, more than the limit "
            "of 976.6 KiB; use a smaller --batch or raise --max-memory",
            id="max-memory",
        ),
        pytest.param(
            "layer 8x8x3 -k 3 -f 4 --verify --max-memory lots",
            "--max-memory 'lots' is not a size; give bytes or a size like 4GiB, 512MiB, 2GB",
            id="bad-size",
        ),
    ],
)
def test_layer_verify_refuses_by_the_estimate(args: str, sentence: str) -> None:
    result = run(args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert flat(result.stderr) == f"error: {sentence}"


def test_running_out_of_memory_exits_2_not_1(monkeypatch: pytest.MonkeyPatch) -> None:
    def greedy(spec: Any, params: Any, x: np.ndarray) -> Any:
        raise MemoryError("Unable to allocate 1.00 TiB for an array with shape (1, 2, 3) and data type float32")

    monkeypatch.setitem(forward.KERNELS, "relu", greedy)
    for args in (["layer", "8x8x3", "-t", "relu", "--verify"],
                 ["model", "--layers", "conv 4 k3; relu", "--input", "8x8x3", "--verify"]):
        result = runner.invoke(app, args, env=ENV)
        assert (result.exit_code, result.stdout) == (2, ""), result.output
        assert flat(result.stderr).startswith("error: layer 'relu' (relu): NumPy ran out of memory running it on ")
        assert flat(result.stderr).endswith("); use a smaller --batch or input")
