"""1-D and 3-D networks in the core: shapes of any spatial rank, per-axis
options and padding, the rank refusal, --explain per axis, receptive fields
per axis, check's dropped-pixel rule per axis, and the file format's input.

The figures are worked by hand in the comments (the conv3d acceptance
figures are issue 14's; ``tests/test_nd_torch.py`` checks every kind against
PyTorch).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from convcalc.check import check_file
from convcalc.cli import app
from convcalc.errors import InputError, ShapeError, SpecError
from convcalc.explain import explain
from convcalc.layers import apply, make_layer
from convcalc.layers.options import Padding, single, triple
from convcalc.loader import LoadError, parse_model
from convcalc.model import analyse
from convcalc.receptive import explain_field, field_pixels, receptive_fields
from convcalc.shapes import Layout, Shape, parse_shape

runner = CliRunner()
S = Shape.of


# ---------------------------------------------------------------- shapes
@pytest.mark.parametrize(
    ("text", "layout", "dims", "spatial", "described"),
    [
        ("16000x1", Layout.HWC, (16000, 1), (16000,), "a 16000×1 map (L×C)"),
        ("1x16000", Layout.CHW, (16000, 1), (16000,), "a 16000×1 map (L×C)"),
        ("224x224x3", Layout.HWC, (224, 224, 3), (224, 224), "a 224×224×3 map"),
        ("16x112x112x3", Layout.HWC, (16, 112, 112, 3), (16, 112, 112), "a 16×112×112×3 map (D×H×W×C)"),
        ("3x16x112x112", Layout.CHW, (16, 112, 112, 3), (16, 112, 112), "a 16×112×112×3 map (D×H×W×C)"),
        ("2048", Layout.CHW, (2048,), (), "a vector of 2,048 features"),
    ],
    ids=["1d", "1d-chw", "2d", "3d", "3d-chw", "features"],
)  # fmt: skip
def test_shapes_of_any_rank(text: str, layout: Layout, dims: tuple, spatial: tuple, described: str) -> None:
    shape = parse_shape(text, layout)
    assert (shape.dims, shape.spatial, shape.spatial_rank) == (dims, spatial, len(spatial))
    assert shape.describe() == described
    assert shape.format(layout) == text.replace("x", "×")  # channels first for any rank with chw


def test_five_numbers_are_refused() -> None:
    with pytest.raises(InputError, match=r"^input shape '1x2x3x4x5' should be H×W×C like 224x224x3 \(L×C like 16000x1, "
                                         r"D×H×W×C like 16x112x112x3\), or a feature count like 2048$"):
        parse_shape("1x2x3x4x5")


# ---------------------------------------------------------------- the rank refusal
RANK_ERRORS = [
    ("conv3d-on-2d", "conv3d", {"filters": 8, "kernel": 3}, S(56, 56, 64),
     "conv3d takes a D×H×W×C map (3 spatial axes), got a 56×56×64 map (2 spatial axes)"),
    ("conv1d-on-3d", "conv1d", {"filters": 8, "kernel": 3}, S(16, 56, 56, 64),
     "conv1d takes an L×C map (1 spatial axis), got a 16×56×56×64 map (3 spatial axes)"),
    ("conv2d-on-1d", "conv2d", {"filters": 8, "kernel": 3}, S(16000, 1),
     "conv2d takes an H×W×C map (2 spatial axes), got a 16000×1 map (1 spatial axis)"),
    ("maxpool2d-on-3d", "maxpool2d", {"kernel": 2}, S(8, 8, 8, 3),
     "maxpool2d takes an H×W×C map (2 spatial axes), got an 8×8×8×3 map (3 spatial axes)"),
    ("maxpool3d-on-vector", "maxpool3d", {"kernel": 2}, S(2048),
     "maxpool3d takes a D×H×W×C map (3 spatial axes), got a vector of 2,048 features"),
    ("conv2d-on-vector-as-before", "conv2d", {"filters": 8, "kernel": 3}, S(2048),
     "conv2d needs an H×W×C feature map, got a vector of 2,048 features"),
    ("global-avgpool1d-on-2d", "global_avgpool1d", {}, S(7, 7, 512),
     "global_avgpool1d takes an L×C map (1 spatial axis), got a 7×7×512 map (2 spatial axes)"),
    ("zeropad3d-on-1d", "zeropad3d", {"padding": 1}, S(100, 3),
     "zeropad3d takes a D×H×W×C map (3 spatial axes), got a 100×3 map (1 spatial axis)"),
    ("batchnorm1d-on-2d", "batchnorm1d", {}, S(7, 7, 64),
     "batchnorm1d takes an L×C map (1 spatial axis) or a vector of features, got a 7×7×64 map (2 spatial axes)"),
    ("batchnorm3d-on-1d", "batchnorm3d", {}, S(100, 64),
     "batchnorm3d takes a D×H×W×C map (3 spatial axes), got a 100×64 map (1 spatial axis)"),
    ("upsample-pair-on-3d", "upsample", {"scale": [2, 3]}, S(4, 8, 8, 3),
     "scale [2, 3] has 2 numbers but the input, a 4×8×8×3 map (D×H×W×C), has 3 spatial axes; "
     "give one number, or one per axis"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "options", "shape", "message"), [c[1:] for c in RANK_ERRORS], ids=[c[0] for c in RANK_ERRORS])
def test_rank_refusal_is_one_sentence(kind: str, options: dict[str, Any], shape: Shape, message: str) -> None:
    with pytest.raises(ShapeError, match=f"^{re.escape(message)}$"):
        apply(make_layer(kind, options), shape)


def test_rank_refusal_exits_2_from_the_cli() -> None:
    result = runner.invoke(app, ["layer", "56x56x64", "-t", "conv3d", "-k", "3", "-f", "8"])
    assert result.exit_code == 2
    assert "conv3d takes a D×H×W×C map (3 spatial axes), got a 56×56×64 map (2 spatial axes)" in result.output


# ---------------------------------------------------------------- per-axis options and padding
@pytest.mark.parametrize(
    ("value", "rank", "pads", "back"),
    [
        (2, 1, ((2, 2),), 2),
        ([1, 2], 1, ((1, 2),), [1, 2]),
        ([3], 1, ((3, 3),), 3),
        (1, 2, ((1, 1), (1, 1)), 1),
        ([1, 2], 2, ((1, 1), (2, 2)), [1, 2]),
        ([0, 1, 2, 3], 2, ((0, 1), (2, 3)), [0, 1, 2, 3]),
        (1, 3, ((1, 1),) * 3, 1),
        ([1, 3, 3], 3, ((1, 1), (3, 3), (3, 3)), [1, 3, 3]),
        ([0, 1, 2, 2, 3, 3], 3, ((0, 1), (2, 2), (3, 3)), [0, 1, 2, 2, 3, 3]),
    ],
    ids=["1d-one", "1d-sides", "1d-list-of-one", "2d-one", "2d-axes", "2d-sides", "3d-one", "3d-axes", "3d-sides"],
)  # fmt: skip
def test_padding_per_rank(value: Any, rank: int, pads: tuple, back: Any) -> None:
    p = Padding.parse(value, rank=rank)
    assert p.pads() == pads and p.rank == rank
    assert p.as_value() == back and Padding.parse(back, rank=rank) == p


def test_2d_padding_keeps_its_fields_and_repr() -> None:
    p = Padding.parse([0, 1, 2, 3])
    assert (p.top, p.bottom, p.left, p.right) == (0, 1, 2, 3)
    assert repr(p) == "Padding(mode='explicit', top=0, bottom=1, left=2, right=3)"
    assert Padding("explicit", 0, 1, 2, 3) == p


@pytest.mark.parametrize(
    ("norm", "value", "message"),
    [
        (lambda v: Padding.parse(v, rank=3), [1, 2], "padding must be a whole number ≥ 0, [d, h, w], "
         "[front, back, top, bottom, left, right], 'same' or 'valid' (got [1, 2])"),
        (lambda v: Padding.parse(v, rank=1), [1, 2, 3], "padding must be a whole number ≥ 0, [before, after], "
         "'same' or 'valid' (got [1, 2, 3])"),
        (lambda v: Padding.parse(v, rank=1), "full", "padding 'full' is not understood; use a number, "
         "[before, after], 'same' or 'valid'"),
        (lambda v: triple("kernel", v), [3, 3], "kernel must be a positive whole number, or a list [d, h, w] of them (got [3, 3])"),
        (lambda v: single("stride", v), 0, "stride must be a positive whole number, or a list [l] of one (got 0)"),
    ],
    ids=["3d-pair", "1d-three", "1d-word", "triple-pair", "single-zero"],
)  # fmt: skip
def test_per_axis_option_errors(norm: Any, value: Any, message: str) -> None:
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
        norm(value)


def test_same_padding_per_axis_puts_the_extra_pixel_after() -> None:
    # D: ceil(16/1) = 16, (16 − 1)·1 + 3 − 16 = 2 → 1 + 1; H: ceil(112/2) = 56, 55·2 + 7 − 112 = 5 → 2 + 3
    spec = make_layer("conv3d", {"filters": 8, "kernel": [3, 7, 7], "stride": [1, 2, 2], "padding": "same"})
    windows = spec.windows(S(16, 112, 112, 3))
    assert [(w.axis, w.pad_before, w.pad_after, w.out) for w in windows] == [
        ("D", 1, 1, 16), ("H", 2, 3, 56), ("W", 2, 3, 56)]  # fmt: skip


# ---------------------------------------------------------------- counts and explain
def test_conv3d_acceptance_figures() -> None:
    # 16×112×112×64 outputs; (3·3·3·3 + 1)·64 = 5,248; 16·112·112·64 · 81 = 1,040,449,536
    spec = make_layer("conv3d", {"filters": 64, "kernel": 3, "padding": 1})
    r = apply(spec, S(16, 112, 112, 3))
    assert (r.output.dims, r.params, r.macs) == ((16, 112, 112, 64), 5248, 1_040_449_536)
    assert explain(spec, S(16, 112, 112, 3)) == [
        "D: (16 + 2·1 − 3) / 1 + 1 = 16",
        "H: (112 + 2·1 − 3) / 1 + 1 = 112",
        "W: (112 + 2·1 − 3) / 1 + 1 = 112",
        "params: (3·3·3·3 + 1) · 64 = 5,248",
        "MACs: 16·112·112·64 outputs × 3·3·3·3 = 1,040,449,536",
    ]


def test_conv1d_explain_writes_the_one_axis() -> None:
    # (16000 − 80)/4 + 1 = 3981; (80·1 + 1)·128 = 10,368; 3981·128·80 = 40,765,440
    spec = make_layer("conv1d", {"filters": 128, "kernel": 80, "stride": 4})
    assert explain(spec, S(16000, 1)) == [
        "L: (16000 + 2·0 − 80) / 4 + 1 = 3981",
        "params: (80·1 + 1) · 128 = 10,368",
        "MACs: 3981·128 outputs × 80·1 = 40,765,440",
    ]


def test_rounding_notes_name_the_axis_unit() -> None:
    # D: (9 − 2)/2 + 1 = 4.5 → 4, plane 8 unread
    lines = explain(make_layer("maxpool3d", {"kernel": 2}), S(9, 8, 8, 3))
    assert lines[1] == "   4.5 is rounded down: the last input plane (D=9) is covered by no window and dropped"


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        ("16x112x112x3 -t conv3d -k 3 -p 1 -f 64", ["16×112×112×64", "5,248", "1,040,449,536"]),
        ("16x112x112x3 -t conv3d -k 3x7x7 -s 1x2x2 -p 1x3x3 -f 64 --no-bias", ["16×56×56×64", "28,224"]),
        ("3x16x112x112 --layout chw -t conv3d -k 3 -p 1 -f 64", ["C×D×H×W", "64×16×112×112"]),
        ("16000x1 -t conv1d -k 80 -s 4 -f 128 --explain", ["3981×128", "L: (16000 + 2·0 − 80) / 4 + 1 = 3981",
                                                           "params: (80·1 + 1) · 128 = 10,368"]),
        ("16x112x112x3 -t conv3d -k 3 -p 1 -f 64 --explain", ["D: (16 + 2·1 − 3)", "H: (112 + 2·1 − 3)", "W: (112 + 2·1 − 3)"]),
        ("100x8 -t maxpool1d -k 3 -s 2 --ceil-mode", ["50×8"]),
    ],
    ids=["conv3d", "r3d-stem", "conv3d-chw", "conv1d-explain", "conv3d-explain", "maxpool1d-ceil"],
)  # fmt: skip
def test_cli_layer(args: str, shown: list[str]) -> None:
    # R3D stem: D (16 + 2 − 3)/1 + 1 = 16, H (112 + 6 − 7)/2 + 1 = 56; 3·7·7·3·64 = 28,224;
    # ceil((100 − 3)/2) + 1 = 50
    result = runner.invoke(app, ["layer", *args.split()], terminal_width=200)
    assert result.exit_code == 0, result.output
    for text in shown:
        assert text in result.output


def test_cli_refuses_a_pair_for_a_3d_kernel() -> None:
    result = runner.invoke(app, ["layer", "16x112x112x3", "-t", "conv3d", "-k", "3x3", "-f", "8"])
    assert result.exit_code == 2
    assert "--kernel '3x3' has 2 numbers; give 1 or 3" in result.output


# ---------------------------------------------------------------- files
NET_1D = """\
name: tiny_m5
input: [8000, 1]
layers:
  - conv1d: {filters: 8, kernel: 80, stride: 4}
  - batchnorm1d
  - relu
  - maxpool1d: {kernel: 4}
  - conv1d: {filters: 8, kernel: 3}
  - global_avgpool1d
  - dense: {units: 10}
"""


def test_a_1d_network_loads() -> None:
    # conv: (8000 − 80)/4 + 1 = 1981; pool: ⌊1981/4⌋ = 495; conv: 495 − 2 = 493
    summary = analyse(parse_model(NET_1D))
    outputs = [row.result.output.dims for row in summary.rows]
    assert outputs == [(1981, 8), (1981, 8), (1981, 8), (495, 8), (493, 8), (8,), (10,)]
    # (80·1 + 1)·8 = 648; BN 2·8 + 2·8 = 32; (3·8 + 1)·8 = 200; 8·10 + 10 = 90
    assert sum(row.result.params for row in summary.rows) == 648 + 32 + 200 + 90


@pytest.mark.parametrize(
    ("text", "dims"),
    [
        ("input: [16000, 1]\nlayers: [relu]\n", (16000, 1)),
        ("layout: chw\ninput: [1, 16000]\nlayers: [relu]\n", (16000, 1)),
        ("input: [16, 112, 112, 3]\nlayers: [relu]\n", (16, 112, 112, 3)),
        ("layout: chw\ninput: [3, 16, 112, 112]\nlayers: [relu]\n", (16, 112, 112, 3)),
    ],
    ids=["1d", "1d-chw", "3d", "3d-chw"],
)  # fmt: skip
def test_file_inputs_of_any_rank(text: str, dims: tuple) -> None:
    assert parse_model(text).input.dims == dims


@pytest.mark.parametrize(
    ("expected", "findings"),
    [("[2, 6, 6, 2]", []), ("[2, 6, 6, 3]", [("CC107", "expected output 2×6×6×3, computed 2×6×6×2")])],
    ids=["right", "wrong"],
)
def test_expect_takes_a_3d_output(tmp_path: Path, expected: str, findings: list) -> None:
    # (4 − 3) + 1 = 2 planes, (8 − 3) + 1 = 6 rows and columns, 2 filters
    path = tmp_path / "net.yaml"
    path.write_text(f"input: [4, 8, 8, 3]\nlayers: [conv3d: {{filters: 2, kernel: 3}}]\nexpect: {{output: {expected}}}\n")
    assert [(f.code, f.message) for f in check_file(str(path))] == findings


def test_an_impossible_3d_layer_names_its_place() -> None:
    with pytest.raises(LoadError, match=r"^net\.yaml:2:10: layer 'conv3d' \(conv3d\): kernel 5 is larger than the padded input 4 \(D=4, padding=0\)$"):
        from convcalc.loader import parse

        parse("input: [4, 8, 8, 3]\nlayers: [conv3d: {filters: 2, kernel: 5}]\n", "net.yaml")


# ---------------------------------------------------------------- receptive fields per axis
def test_receptive_fields_of_a_1d_network() -> None:
    # conv k3: r = 3, j = 1, start 1; pool 2: r = 3 + 1 = 4, j = 2, start 1.5;
    # conv k3 d2: r = 4 + 4·2 = 12, j = 2, start 1.5 + 2·2 = 5.5
    s = analyse(parse_model("input: [32, 4]\nlayers: [conv1d: {filters: 8, kernel: 3}, maxpool1d: {kernel: 2}, "
                            "conv1d: {filters: 8, kernel: 3, dilation: 2}]"))
    fields = receptive_fields(s)
    assert [(f.axes[0].size, f.axes[0].jump, f.axes[0].start) for f in fields] == [(3, 1, 1), (4, 2, 1.5), (12, 2, 5.5)]
    assert fields[2].names == "L" and list(fields[2].as_dict()) == ["l", "aligned", "warning"]
    # output 3 reads pool outputs 3, 5, 7 → conv outputs 6 … 15 → input 6 … 17
    assert field_pixels(s, 2, (3,)) == ((6, 17),)
    assert explain_field(s, 2)[-1] == "field 12, jump 2, effective padding 0; inside the 32 input: at most 12"


def test_receptive_fields_of_a_factorised_3d_block() -> None:
    # R(2+1)D: a 1×3×3 spatial conv then a 3×1×1 temporal conv (stride 2 in D): a 3×3×3 field
    s = analyse(parse_model(
        "input: [8, 16, 16, 3]\nlayers: [conv3d: {filters: 8, kernel: [1, 3, 3], padding: [0, 1, 1]}, "
        "conv3d: {filters: 8, kernel: [3, 1, 1], stride: [2, 1, 1], padding: [1, 0, 0]}]"))
    f = receptive_fields(s)[1]
    assert [(a.size, a.jump) for a in f.axes] == [(3, 2), (3, 1), (3, 1)]
    assert (f.h.size, f.w.size) == (3, 3) and list(f.as_dict())[:3] == ["d", "h", "w"]
    # output (1, 5, 5): D taps 2·1 − 1 … 2·1 + 1 = 1 … 3; H, W: 5 − 1 … 5 + 1
    assert field_pixels(s, 1, (1, 5, 5)) == ((1, 3), (4, 6), (4, 6))
    lines = explain_field(s, 1)
    assert lines[0] == "D: window 3, stride 2, padding 1 before: e = (k − 1)·d = (3 − 1)·1 = 2"
    assert lines[-1] == "field 3×3×3, jump 2×1×1, effective padding 1×1×1; inside the 8×16×16 input: at most 3×3×3"


def test_receptive_field_matches_the_gradient_in_1d() -> None:
    """The exact pixels against torch's input gradient (positive weights, so nothing cancels)."""
    torch = pytest.importorskip("torch")
    s = analyse(parse_model("input: [40, 1]\nlayers: [conv1d: {filters: 1, kernel: 3, stride: 2, padding: 1}, "
                            "conv1d: {filters: 1, kernel: 3, dilation: 3, padding: 2}]"))
    net = torch.nn.Sequential(
        torch.nn.Conv1d(1, 1, 3, stride=2, padding=1, bias=False),
        torch.nn.Conv1d(1, 1, 3, dilation=3, padding=2, bias=False),
    )
    for p in net.parameters():
        torch.nn.init.constant_(p, 1.0)
    n = s.rows[-1].result.output.dims[0]
    for o in range(n):
        x = torch.ones(1, 1, 40, requires_grad=True)
        net(x)[0, 0, o].backward()
        hit = torch.nonzero(x.grad[0, 0]).flatten().tolist()
        got = field_pixels(s, 1, (o,))[0]
        assert got == ((hit[0], hit[-1]) if hit else None), o


# ---------------------------------------------------------------- check's window rules per axis
@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        # L: (10 − 3)/2 + 1 = 4.5 → 4 windows reach position 8; position 9 unread. D: (9 − 2)/2 + 1 = 4.5
        ("input: [10, 4]\nlayers: [conv1d: {filters: 4, kernel: 3, stride: 2}]\n", "CC201",
         "layer 'conv1d' (conv1d): rounding down leaves the last input position of L=10 read by no window"),
        ("input: [9, 8, 8, 3]\nlayers: [maxpool3d: {kernel: 2}]\n", "CC201",
         "layer 'maxpool3d' (maxpool3d): rounding down leaves the last input plane of D=9 read by no window"),
        ("input: [9, 9, 9, 3]\nlayers: [maxpool3d: {kernel: 2}]\n", "CC201",
         "layer 'maxpool3d' (maxpool3d): rounding down leaves the last input plane of D=9 and the last input row "
         "of H=9 and the last input column of W=9 read by no window"),
        # torch's adaptive pools accept a larger output and repeat inputs:
        # AdaptiveAvgPool1d(6) on 4 samples reads sample 0 twice
        ("input: [4, 8]\nlayers: [adaptive_avgpool1d: {output_size: 6}]\n", "CC202",
         "layer 'adaptive_avgpool1d' (adaptive_avgpool1d): output 6 is larger than its 4 input, so windows repeat positions"),
        ("input: [2, 8, 8, 3]\nlayers: [adaptive_maxpool3d: {output_size: [4, 8, 8]}]\n", "CC202",
         "layer 'adaptive_maxpool3d' (adaptive_maxpool3d): output 4×8×8 is larger than its 2×8×8 input, so windows repeat voxels"),
        ("input: [7, 7, 3]\nlayers: [adaptive_avgpool2d: {output_size: [7, 9]}]\n", "CC202",
         "layer 'adaptive_avgpool2d' (adaptive_avgpool2d): output 7×9 is larger than its 7×7 input, so windows repeat pixels"),
    ],
    ids=["cc201-1d", "cc201-3d-depth", "cc201-3d-all", "cc202-1d", "cc202-3d-depth", "cc202-2d-width"],
)  # fmt: skip
def test_window_findings_per_axis(tmp_path: Path, text: str, code: str, message: str) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(text)
    assert [(f.code, f.message) for f in check_file(str(path))] == [(code, message)]


def test_cc201_forgives_zeropad3d_planes(tmp_path: Path) -> None:
    # 8 + 0 + 1 = 9 planes, the last one added by zeropad3d: only padding is dropped
    path = tmp_path / "net.yaml"
    path.write_text("input: [8, 8, 8, 3]\nlayers: [zeropad3d: {padding: [0, 1, 0, 0, 0, 0]}, maxpool3d: {kernel: 2}]\n")
    assert check_file(str(path)) == []


@pytest.mark.parametrize(
    ("name", "spatial", "full"),
    [("m5", "8000", "8000x1"), ("r3d_18", "8x64x64", "8x64x64x3"), ("resnet50", "160x160", "160x160x3")],
)
def test_model_input_may_give_the_spatial_size_alone(name: str, spatial: str, full: str) -> None:
    # the channels stay the file's own, at every rank; the figures equal the full shape's
    short = runner.invoke(app, ["model", name, "--input", spatial, "--format", "json"])
    whole = runner.invoke(app, ["model", name, "--input", full, "--format", "json"])
    assert short.exit_code == whole.exit_code == 0, short.output
    assert json.loads(short.output) == json.loads(whole.output)
    assert json.loads(short.output)["input"] == [int(n) for n in full.split("x")]
