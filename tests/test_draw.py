"""The sliding-window picture: the tutorial's figure, checked cell by cell.

Which input cells a window reads is checked against the NumPy forward pass
(perturb one input cell, see whether any output moves), not against the
window arithmetic the picture is drawn from.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from convcalc.cli import app
from convcalc.draw import PAD, READ, UNREAD, window_picture
from convcalc.errors import InputError
from convcalc.forward.engine import run_layer
from convcalc.layers import make_layer
from convcalc.shapes import Shape

TUTORIAL = (
    "ppppppp",
    "piiiiip",
    "piiiiip",
    "piiiiip",
    "piiiiip",
    "piiiiip",
    "ppppppp",
)
"""5×5 input, padding 1: the 7×7 grid of the convolution tutorial, every input cell read."""


def test_the_tutorial_figure() -> None:
    spec = make_layer("conv2d", {"filters": 2, "kernel": 3, "stride": 2, "padding": 1})
    p = window_picture(spec, Shape.of(5, 5, 3))
    assert p.grid == TUTORIAL
    assert p.output == (3, 3)
    assert [(f.out_row, f.out_col, f.top, f.left) for f in p.frames] == [(0, 0, 0, 0), (0, 1, 0, 2), (0, 2, 0, 4)]
    assert p.frames[1].taps_w == (2, 3, 4)


def test_a_dropped_row_and_column() -> None:
    # (6 − 3) / 2 + 1 = 2.5 → 2 windows: rows 0–2 and 2–4, row 5 never read.
    p = window_picture(make_layer("avgpool2d", {"kernel": 3, "stride": 2}), Shape.of(6, 6, 1))
    assert p.grid[5] == UNREAD * 6
    assert all(row[5] == UNREAD for row in p.grid)
    assert p.grid[0] == READ * 5 + UNREAD


def test_dilation_spreads_the_taps() -> None:
    p = window_picture(make_layer("conv2d", {"filters": 1, "kernel": 3, "dilation": 2}), Shape.of(7, 7, 1))
    assert p.frames[0].taps_h == (0, 2, 4)
    assert p.output == (3, 3)


def _sensitive(spec: Any, x: Shape) -> list[str]:
    """Which input cells move the output, found by perturbing each one (one
    row for a 1-D input)."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal((1, *x.dims)).astype(np.float32)
    out, params = run_layer(spec, base)
    h, w = x.hw if x.spatial_rank == 2 else (1, x.spatial[0])
    rows = []
    for r in range(h):
        row = ""
        for c in range(w):
            moved = base.copy()
            moved[(0, r, c) if x.spatial_rank == 2 else (0, c)] += 10.0
            changed, _ = run_layer(spec, moved, params=params)
            row += READ if not np.allclose(changed, out) else UNREAD
        rows.append(row)
    return rows


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 9), st.integers(3, 9), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2), st.integers(1, 2))
def test_read_cells_match_the_forward_pass(h: int, w: int, k: int, s: int, pad: int, d: int) -> None:
    spec = make_layer("conv2d", {"filters": 2, "kernel": k, "stride": s, "padding": min(pad, k // 2), "dilation": d})
    try:
        p = window_picture(spec, Shape.of(h, w, 1))
    except Exception:
        return  # an impossible layer has no picture
    t, _, left, _ = p.padding
    inner = [row[left : left + w] for row in p.grid[t : t + h]]
    assert inner == _sensitive(spec, Shape.of(h, w, 1))
    assert all(cell == PAD for row in p.grid[:t] for cell in row)


@pytest.mark.parametrize(("kind", "options", "shape", "message"), [
    ("dense", {"units": 4}, (8,), "--draw shows a sliding window, and dense has none; use it with conv2d, maxpool2d or avgpool2d"),
    ("conv2d", {"filters": 1, "kernel": 3}, (64, 64, 3), "--draw fits padded inputs up to 32×32; this one is 64×64; try a smaller input such as 7x7x3"),
    ("conv1d", {"filters": 1, "kernel": 3}, (40, 1), "--draw fits padded inputs up to 32; this one is 40; try a smaller input such as 12x1"),
    ("maxpool3d", {"kernel": 2}, (4, 5, 5, 1), "--draw shows a window sliding over a line or an H×W grid; maxpool3d on a 4×5×5×1 map (D×H×W×C) has 3 spatial axes; use --explain for its arithmetic"),
])  # fmt: skip
def test_refusals(kind: str, options: dict[str, Any], shape: tuple[int, ...], message: str) -> None:
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        window_picture(make_layer(kind, options), Shape(shape))


def test_cli_draws_in_80_columns() -> None:
    result = CliRunner().invoke(app, ["layer", "5x5x3", "-k", "3", "-s", "2", "-p", "1", "-f", "2", "--draw"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "conv2d: 5×5 input, padding 1 → 7×7 padded; kernel 3, stride 2 → 3×3 output" in result.output
    assert "window → out[0,2]" in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_cli_writes_svg(tmp_path: Any) -> None:
    target = tmp_path / "window.svg"
    result = CliRunner().invoke(app, ["layer", "5x5x3", "-k", "3", "-s", "2", "-p", "1", "-f", "2", "--draw", "-o", str(target)])
    assert result.exit_code == 0, result.output
    root = ET.parse(target).getroot()
    assert root.tag.endswith("svg")
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert sum(t.startswith("window → out[") for t in texts) == 3
    assert sum(t == "0" for t in texts) == 3 * 24  # the 24 padding cells of each of the 3 frames


@pytest.mark.parametrize(("argv", "message"), [
    (["--draw", "-o", "x.png"], "error: -o 'x.png': the picture is written as SVG; name the file with .svg"),
    (["-o", "x.svg"], "error: -o writes the --draw picture; add --draw, or leave out -o"),
])  # fmt: skip
def test_cli_refuses_other_outputs(argv: list[str], message: str, tmp_path: Any) -> None:
    result = CliRunner().invoke(app, ["layer", "5x5x3", "-k", "3", "-f", "2", *argv])
    assert result.exit_code == 2
    assert result.output.strip() == message


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 20), st.integers(1, 5), st.integers(1, 4), st.integers(0, 2), st.integers(1, 2), st.booleans())
def test_one_row_for_1d_matches_the_forward_pass(n: int, k: int, s: int, pad: int, d: int, pool: bool) -> None:
    options = {"kernel": k, "stride": s, "padding": min(pad, k // 2)}
    spec = make_layer("maxpool1d", options) if pool else make_layer("conv1d", {"filters": 2, "dilation": d, **options})
    try:
        p = window_picture(spec, Shape.of(n, 1))
    except Exception:
        return  # an impossible layer has no picture
    _, _, left, _ = p.padding
    assert len(p.grid) == 1 and p.output[0] == 1
    assert [p.grid[0][left : left + n]] == _sensitive(spec, Shape.of(n, 1))


def test_cli_draws_a_1d_layer() -> None:
    # (10 + 2·1 − 3) / 2 + 1 = 5 windows over 12 padded positions
    result = CliRunner().invoke(app, ["layer", "10x1", "-t", "conv1d", "-k", "3", "-s", "2", "-p", "1", "-f", "1", "--draw"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "conv1d: 10 input, padding 1 → 12 padded; kernel 3, stride 2 → 5 output" in lines
    first = lines.index("conv1d: 10 input, padding 1 → 12 padded; kernel 3, stride 2 → 5 output")
    assert lines[first + 1].split() == ["window", "→", "out[0]", "window", "→", "out[1]"]
    assert lines[first + 2].split()[:13] == ["▣", "■", "■", "□", "□", "□", "□", "□", "□", "□", "□", "0", "→"]
    assert lines[first + 3].split() == ["positions", "0–2", "positions", "2–4"]
    assert max(len(line) for line in lines) <= 80
