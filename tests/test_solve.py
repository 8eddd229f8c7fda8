"""Inverse solving: layer options for a size, output_padding, clean input sizes.

Lists are pinned with the arithmetic that makes them in comments; the search
is checked for completeness against the NumPy forward pass (which pads and
slides windows itself, without the shape rules) and against PyTorch where it
is installed; clean sizes are checked against ``convcalc check``'s CC201.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import convcalc
from convcalc.check import check_file
from convcalc.errors import InputError, ShapeError
from convcalc.layers import apply, make_layer
from convcalc.loader import load_model, parse_model
from convcalc.shapes import Shape
from convcalc.solve import (
    Solution,
    clean_input_sizes,
    describe_sizes,
    layer_options,
    solve_axes,
    solve_layer,
    solve_output_padding,
)

CONFIGS = Path(convcalc.__file__).parent / "configs"


def rows(solutions: list[Solution]) -> list[tuple[Any, ...]]:
    return [(s.kernel, s.stride, s.padding, s.dilation, s.pad_before, s.pad_after, s.exact, s.dropped) for s in solutions]


# ---------------------------------------------------------------- solve_layer
SOLVED: list[Any] = [
    pytest.param(
        # 224 → 112, kernel 7 (span 6d + 1). Stride 2: ⌊(223 + 2p − 6d) / 2⌋ = 111
        # needs 223 + 2p − 6d = 223 (it is odd): p = 3d. Stride 1 would need
        # 2p = 6d − 112 < 0; stride 3 p ≥ 55 + 3d, past span − 1 = 6d. same:
        # ⌈224 / 2⌉ = 112, total (112 − 1)·2 + 6d + 1 − 224 = 6d − 1 → 3d − 1
        # before, 3d after, and 224 + 6d − 1 − (6d + 1) = 222 is even: exact.
        # p = 3d leaves (223 + 6d − 6d)/2 = 111.5: only padding unread.
        dict(input=224, output=112, kernel=7),
        [
            (7, 2, 3, 1, 3, 3, False, 0), (7, 2, "same", 1, 2, 3, True, 0),
            (7, 2, 6, 2, 6, 6, False, 0), (7, 2, "same", 2, 5, 6, True, 0),
            (7, 2, 9, 3, 9, 9, False, 0), (7, 2, "same", 3, 8, 9, True, 0),
            (7, 2, 12, 4, 12, 12, False, 0), (7, 2, "same", 4, 11, 12, True, 0),
        ],
        id="224-to-112-kernel-7",
    ),
    pytest.param(
        # 230 → 112, kernel 7 stride 2: 230 + 2p − 6d − 1 ∈ {222, 223} → p = 3d − 3.
        # d = 1, p = 0: windows end at 111·2 + 7 = 229, so row 229 is never
        # read (dropped 1); d = 2, p = 3: the last window ends at padded 235
        # past the input's end 233: nothing lost. same: ⌈230 / 2⌉ = 115, no.
        dict(input=230, output=112, kernel=7, stride=2),
        [
            (7, 2, 3, 2, 3, 3, False, 0), (7, 2, 6, 3, 6, 6, False, 0),
            (7, 2, 9, 4, 9, 9, False, 0), (7, 2, 0, 1, 0, 0, False, 1),
        ],
        id="dropping-rows-last",
    ),
    pytest.param(
        # 56 → 28 with a 3×3 stride-2 kernel: ⌊(53 + 2p) / 2⌋ = 27 → 53 + 2p ∈
        # {54, 55} → p = 1 (55: exact? 55 is odd, no). same: total (28 − 1)·2 + 3
        # − 56 = 1 → 0 + 1, and 56 + 1 − 3 = 54 is even: exact.
        dict(input=56, output=28, kernel=3, stride=2, dilation=1),
        [(3, 2, 1, 1, 1, 1, False, 0), (3, 2, "same", 1, 0, 1, True, 0)],
        id="resnet-downsample",
    ),
    pytest.param(
        # 7 → 7 with kernel 3, stride 1: 7 + 2p − 3 + 1 = 7 → p = 1; same splits
        # 1 + 1, the number already listed, so it is not repeated.
        dict(input=7, output=7, kernel=3, stride=1, dilation=1),
        [(3, 1, 1, 1, 1, 1, True, 0)],
        id="same-even-split-not-repeated",
    ),
    pytest.param(
        # asked for same: listed even when the split is even
        dict(input=7, output=7, kernel=3, stride=1, dilation=1, padding="same"),
        [(3, 1, "same", 1, 1, 1, True, 0)],
        id="same-asked",
    ),
    pytest.param(
        # valid is padding 0: ⌊(10 − 3) / 2⌋ + 1 = 4; windows 0–2, 2–4, 4–6, 6–8,
        # so row 9 is read by none
        dict(input=10, output=4, kernel=3, stride=2, dilation=1, padding="valid"),
        [(3, 2, "valid", 1, 0, 0, False, 1)],
        id="valid",
    ),
]


@pytest.mark.parametrize(("query", "expected"), SOLVED)
def test_solve_layer(query: dict[str, Any], expected: list[tuple[Any, ...]]) -> None:
    assert rows(solve_layer(**query)) == expected


TRANSPOSED: list[Any] = [
    pytest.param(
        # 112 → 224, kernel 3 stride 2: (112 − 1)·2 − 2p + 3 + op = 225 − 2p + op
        # = 224 → p = 1, op = 1 (op < 2). Keras same: 112·2 = 224, crop
        # 225 − 224 = 1 as 0 before, 1 after, no output_padding: listed first.
        dict(input=112, output=224, kernel=3, stride=2, dilation=1),
        [("same", 0, 1, 0), (1, 1, 1, 1)],
        id="unet-3x3",
    ),
    pytest.param(
        # kernel 4: 222 − 2p + 4 + op = 224 → p = 1, op 0; same crops 226 − 224 = 2 as
        # 1 + 1, the number already listed.
        dict(input=112, output=224, kernel=4, stride=2, dilation=1),
        [(1, 1, 1, 0)],
        id="unet-4x4",
    ),
]


@pytest.mark.parametrize(("query", "expected"), TRANSPOSED)
def test_solve_transposed(query: dict[str, Any], expected: list[tuple[Any, ...]]) -> None:
    found = solve_layer(**query, transposed=True)
    assert [(s.padding, s.pad_before, s.pad_after, s.output_padding) for s in found] == expected
    for s in found:  # the layer itself agrees
        spec = make_layer("conv_transpose2d", {"filters": 1, **s.options()})
        assert apply(spec, Shape.of(query["input"], query["input"], 1)).output.hw == (query["output"],) * 2


def test_formula_lines() -> None:
    conv = solve_layer(224, 112, kernel=7, dilation=1)
    assert [s.formula(224) for s in conv] == [
        "(224 + 2·3 − 7) / 2 + 1 = 112.5 → 112",
        "(224 + 2 + 3 − 7) / 2 + 1 = 112",
    ]
    assert solve_layer(224, 112, kernel=7, dilation=2, padding=6)[0].formula(224) == (
        "(224 + 2·6 − (2·(7 − 1) + 1)) / 2 + 1 = 112.5 → 112"
    )
    up = solve_layer(112, 224, kernel=3, stride=2, dilation=1, transposed=True)
    assert [s.formula(112) for s in up] == [
        "(112 − 1)·2 − 0 − 1 + 3 = 224",
        "(112 − 1)·2 − 2·1 + 3 + 1 = 224",
    ]
    assert up[1].options() == {"kernel": 3, "stride": 2, "padding": 1, "output_padding": 1}


def _numpy_length(options: dict[str, Any], n: int) -> int | None:
    """The output length the NumPy kernel produces on a 1×n×1 input."""
    np = pytest.importorskip("numpy")
    from convcalc.forward import run_layer

    spec = make_layer("conv2d", {"filters": 1, **options})
    try:
        out, _ = run_layer(spec, np.ones((1, n, 1, 1), np.float32))
    except ValueError:  # no window fits
        return None
    return out.shape[1] if out.shape[1] > 0 else None


@pytest.mark.parametrize(("n", "out"), [(20, 7), (13, 13), (9, 3)])
def test_search_is_complete_against_numpy(n: int, out: int) -> None:
    """Every symmetric padding below the span, and same, that the NumPy pass
    maps n to out is listed, and nothing else."""
    expected = set()
    for d in range(1, 5):
        for k in range(1, 12):
            span = (k - 1) * d + 1
            for s in range(1, 9):
                for p in [*range(span), "same"]:
                    options = {"kernel": [k, 1], "stride": [s, 1], "dilation": [d, 1],
                               "padding": p if p == "same" else [p, 0]}
                    if _numpy_length(options, n) == out:
                        expected.add((k, s, d, p))
    from convcalc.forward import tf_same_padding

    # an even same split is listed as its number only
    for k, s, d, p in list(expected):
        if p == "same":
            before, after = tf_same_padding(n, (k - 1) * d + 1, s)
            if before == after and (k, s, d, before) in expected:
                expected.discard((k, s, d, p))
    assert {(x.kernel, x.stride, x.dilation, x.padding) for x in solve_layer(n, out)} == expected


def test_no_solution_says_what_was_searched() -> None:
    with pytest.raises(ShapeError, match=(
        r"^no conv2d maps 224 to 500 with kernel 7, stride 1–8, dilation 1–4, padding 0 to span − 1 or same; "
        r"a convolution gives at most n \+ 2·padding − span \+ 1, and padding stays below the span, "
        r"so 500 > 224 needs a transposed convolution$"
    )):
        solve_layer(224, 500, kernel=7)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (dict(input=0, output=112), r"^input size must be a positive whole number \(got 0\)$"),
        (dict(input=224, output=112, kernel=0), r"^kernel must be a positive whole number \(got 0\)$"),
        (dict(input=224, output=112, padding="full"),
         r"^padding 'full' is not understood; use a whole number ≥ 0, 'same' or 'valid'$"),
        (dict(input=224, output=112, padding=-1), r"^padding must be a whole number ≥ 0 \(got -1\)$"),
    ],
    ids=["input-zero", "kernel-zero", "padding-word", "padding-negative"],
)
def test_bad_queries(query: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        solve_layer(**query)


# ---------------------------------------------------------------- output_padding
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # (112 − 1)·2 − 2·1 + 3 = 223 → 1
        ((112, 224, 3, 2, 1), 1),
        # (113 − 1)·2 − 2 + 3 = 225 → 0
        ((113, 225, 3, 2, 1), 0),
        # kernel 2 stride 2: (56 − 1)·2 + 2 = 112 → 0
        ((56, 112, 2, 2, 0), 0),
        # stride 3, kernel 3, padding 1: (10 − 1)·3 − 2 + 3 = 28 → 2 (< 3)
        ((10, 30, 3, 3, 1), 2),
    ],
)
def test_output_padding(args: tuple[int, ...], expected: int) -> None:
    assert solve_output_padding(*args) == expected


@pytest.mark.parametrize("n", range(20, 41))
def test_output_padding_restores_the_encoder_size(n: int) -> None:
    """U-Net: a 3×3 stride-2 conv takes n to m; the transposed conv with the
    solved output_padding takes m back to n (checked by the layer rule)."""
    m = apply(make_layer("conv2d", {"filters": 1, "kernel": 3, "stride": 2, "padding": 1}), Shape.of(n, n, 1)).output.hw[0]
    op = solve_output_padding(m, n, 3, 2, 1)
    spec = make_layer("conv_transpose2d", {"filters": 1, "kernel": 3, "stride": 2, "padding": 1, "output_padding": op})
    assert apply(spec, Shape.of(m, m, 1)).output.hw == (n, n)


def test_output_padding_errors() -> None:
    with pytest.raises(ShapeError, match=(
        r"^output_padding would have to be 3 to reach 226 from 112 \(\(112 − 1\)·2 − 2·1 \+ \(3 − 1\)·1 \+ 1 = 223\); "
        r"it must be below the stride 2 or the dilation 1, so 0 to 1$"
    )):
        solve_output_padding(112, 226, 3, 2, 1)
    with pytest.raises(ShapeError, match=(
        r"^conv_transpose2d already gives 223 from 112 without output_padding "
        r"\(\(112 − 1\)·2 − 2·1 \+ \(3 − 1\)·1 \+ 1 = 223\), more than the target 220; output_padding only adds rows$"
    )):
        solve_output_padding(112, 220, 3, 2, 1)


def test_output_padding_agrees_with_torch() -> None:
    torch = pytest.importorskip("torch")
    for n, target, k, s, p in [(112, 224, 3, 2, 1), (10, 30, 3, 3, 1), (7, 14, 3, 2, 1)]:
        op = solve_output_padding(n, target, k, s, p)
        layer = torch.nn.ConvTranspose2d(1, 1, k, s, p, output_padding=op)
        assert layer(torch.zeros(1, 1, n, n)).shape[-1] == target


# ---------------------------------------------------------------- clean input sizes
@pytest.mark.parametrize(
    ("config", "lines"),
    [
        # five 2×2 pools: every one sees an even size only when 32 divides n;
        # block5's pool needs 2 rows, so 32 is also the smallest that runs
        ("vgg16", ["runs: every size from 32 to 1024; smallest input: 32×32",
                   "clean (no row or column dropped): multiples of 32 from 32 to 1024"]),
        # every window is padded so that rounding down only ever leaves padding
        # or a stride gap unread (7/2/3, 3/2/1, 3×3/2/1, 1×1/2)
        ("resnet50", ["runs: every size from 32 to 1024; smallest input: 1×1",
                      "clean (no row or column dropped): every size from 32 to 1024"]),
        # conv1 11/4/2 needs n + 4 − 11 ≡ 0 (mod 4) or a remainder left to padding,
        # and three 3/2 pools: n ≡ −1, 0, 1 (mod 32)
        ("alexnet", ["runs: 63–1024; smallest input: 63×63",
                     "clean (no row or column dropped): 32·k − 1, 32·k, 32·k + 1 from 63 to 1024"]),
    ],
)
def test_clean_input_sizes(config: str, lines: list[str]) -> None:
    assert clean_input_sizes(load_model(CONFIGS / f"{config}.yaml")).lines() == lines


def test_heights_and_widths_apart_when_they_differ() -> None:
    # pool 2 along H only, twice: clean heights are multiples of 4; widths all
    model = parse_model("input: [16, 12, 1]\nlayers: [maxpool2d: {kernel: [2, 1]}, maxpool2d: {kernel: [2, 1]}]")
    r = clean_input_sizes(model, 8, 24)
    assert r.lines() == [
        "runs: every size from 8 to 24; smallest input: 4×4",
        "clean (no row or column dropped): multiples of 4 from 8 to 24",
        "clean heights: multiples of 4 from 8 to 24",
        "clean widths: every size from 8 to 24",
    ]


def test_rows_added_by_zeropad_do_not_count() -> None:
    # n + 1 is odd for even n: the pool drops the zeropad row, which is not input
    model = parse_model("input: [16, 16, 1]\nlayers: [zeropad2d: {padding: [0, 1, 0, 1]}, maxpool2d: {kernel: 2}]")
    assert clean_input_sizes(model, 8, 20).clean == tuple(range(8, 21))


def test_clean_agrees_with_check_cc201(tmp_path: Path) -> None:
    layers = (
        "layers:\n  - conv2d: {filters: 2, kernel: 3, stride: 2}\n"
        "  - maxpool2d: {kernel: 3, stride: 2}\n  - conv2d: {filters: 2, kernel: 2, stride: 2}\n"
    )
    clean = set(clean_input_sizes(parse_model("input: [64, 64, 1]\n" + layers), 16, 60).clean)
    for n in range(16, 61):
        path = tmp_path / f"n{n}.yaml"
        path.write_text(f"input: [{n}, {n}, 1]\n" + layers)
        flagged = any(f.code == "CC201" for f in check_file(str(path)))
        assert flagged == (n not in clean), n


def test_clean_sizes_refuse_vector_models() -> None:
    with pytest.raises(ShapeError, match=(
        r"^input sizes apply to a model whose input is a map \(L×C, H×W×C or D×H×W×C\); 'mlp' takes a vector of 8 features$"
    )):
        clean_input_sizes(parse_model("name: mlp\ninput: [8]\nlayers: [dense: {units: 2}]"))


# ---------------------------------------------------------------- per axis: 1-D and 3-D
# Windows as wide as their stride (no overlap, no padding): a layer that drops a row leaves
# input unread, so "clean" is exactly "every input position reaches the output".
VIDEO = (
    "input: [16, 12, 12, 1]\nlayers:\n  - conv3d: {filters: 1, kernel: [2, 3, 3], stride: [2, 3, 3], bias: false}\n"
    "  - avgpool3d: {kernel: 2}\n"
)
AUDIO = "input: [48, 1]\nlayers:\n  - conv1d: {filters: 1, kernel: 4, stride: 4, bias: false}\n  - avgpool1d: {kernel: 3}\n"


def _read_everywhere(torch: Any, net: Any, spatial: tuple[int, ...], axes: tuple[int, ...]) -> bool | None:
    """Whether every input position along ``axes`` has a path to the output (None: torch refuses the size).

    Positive weights and average pools: the input gradient is positive exactly where a window reads.
    """
    x = torch.ones(1, 1, *spatial, requires_grad=True)
    try:
        net(x).sum().backward()
    except RuntimeError:
        return None
    grad = x.grad[0, 0]
    for axis in axes:
        others = tuple(a for a in range(grad.dim()) if a != axis)
        along = grad.abs().sum(dim=others) if others else grad.abs()  # sum over () would sum everything
        if not bool((along > 0).all()):
            return False
    return True


def _torch_net(torch: Any, rank: int) -> Any:
    nn = torch.nn
    if rank == 1:
        net = nn.Sequential(nn.Conv1d(1, 1, 4, 4, bias=False), nn.AvgPool1d(3))
    else:
        net = nn.Sequential(nn.Conv3d(1, 1, (2, 3, 3), (2, 3, 3), bias=False), nn.AvgPool3d(2))
    nn.init.constant_(net[0].weight, 1.0)
    return net


def test_video_axes_are_scanned_apart_and_agree_with_torch() -> None:
    torch = pytest.importorskip("torch")
    net = _torch_net(torch, 3)
    report = clean_input_sizes(parse_model(VIDEO), (1, 6, 6), (24, 40, 40))
    assert report.together is None  # D's range differs from H×W's
    d, hw = report.apart
    assert (d.axes, hw.axes) == ("D", "HW")
    for n in range(1, 25):  # H×W held at 12×12
        read = _read_everywhere(torch, net, (n, 12, 12), (0,))
        assert (n in d.runs, n in d.clean) == (read is not None, bool(read)), n
    for n in range(6, 41):  # D held at 16
        read = _read_everywhere(torch, net, (16, n, n), (1, 2))
        assert (n in hw.runs, n in hw.clean) == (read is not None, bool(read)), n
    smallest = next(n for n in range(1, 25) if _read_everywhere(torch, net, (n, 12, 12), (0,)) is not None)
    assert d.smallest == smallest


def test_audio_lengths_agree_with_torch() -> None:
    torch = pytest.importorskip("torch")
    net = _torch_net(torch, 1)
    report = clean_input_sizes(parse_model(AUDIO), 1, 100)
    assert report.apart == ()
    for n in range(1, 101):
        read = _read_everywhere(torch, net, (n,), (0,))
        assert (n in report.runs, n in report.clean) == (read is not None, bool(read)), n  # type: ignore[operator]


def _flags_cc201(tmp_path: Path, text: str, dims: list[int]) -> bool:
    path = tmp_path / "net.yaml"
    path.write_text(text.replace(text.split("\n")[0], f"input: {dims}"))
    return any(f.code == "CC201" for f in check_file(str(path)))


def test_clean_axes_agree_with_check_cc201(tmp_path: Path) -> None:
    d, hw = clean_input_sizes(parse_model(VIDEO), (1, 6, 6), 30).apart
    for n in range(4, 31):  # H×W held at 12×12, both clean; the model runs from D = 4
        assert _flags_cc201(tmp_path, VIDEO, [n, 12, 12, 1]) == (n not in d.clean), ("D", n)
    for n in range(6, 31):  # D held at 16, clean; the model runs from H = W = 6
        assert _flags_cc201(tmp_path, VIDEO, [16, n, n, 1]) == (n not in hw.clean), ("HW", n)
    line = clean_input_sizes(parse_model(AUDIO), 12, 60)
    for n in range(12, 61):
        assert _flags_cc201(tmp_path, AUDIO, [n, 1]) == (n not in line.clean), ("L", n)  # type: ignore[operator]


def test_r2plus1d_groups_depth_apart_from_height_and_width() -> None:
    # (1, 3, 3) and (3, 1, 1) kernels differ along D but always agree along H and W
    report = clean_input_sizes(load_model(CONFIGS / "r2plus1d_18.yaml"), (1, 32, 32), (8, 40, 40))
    assert [g.axes for g in report.apart] == ["D", "HW"]
    assert report.lines()[0] == "D from 1 to 8, H×W at 112×112:"


def test_one_range_for_every_axis_scans_cubes_too() -> None:
    report = clean_input_sizes(parse_model(VIDEO), 6, 24)
    assert report.together is not None and report.together.axes == "DHW"
    # a cube n×n×n is clean when both D (n % 4) and H×W (n % 6) are: n % 12
    assert describe_sizes(report.clean, 6, 24) == "multiples of 12 from 12 to 24"  # type: ignore[arg-type]
    assert report.lines()[1:] == [
        "clean (no plane, row or column dropped): multiples of 12 from 12 to 24",
        "clean along D (H×W at 12×12): multiples of 4 from 8 to 24",
        "clean along H×W (D at 16): multiples of 6 from 6 to 24",
    ]


@pytest.mark.parametrize(("low", "high", "message"), [
    pytest.param((1, 1), 10, r"^low has 2 sizes but the model input has 3 spatial axes \(D×H×W\); give one size, or one per axis$", id="count"),
    pytest.param((1, 32, 32), (8, 16, 16), r"^high \(16\) must not be below low \(32\) along H$", id="order"),
    pytest.param(None, (64, 100_000, 100_000),
                 r"^scanning input sides up to 64x100000x100000 means 100,033 analyses of 2 layers, more than the "
                 r"200,000 layer analyses of one scan; lower --high to about 64x99936x99936 or less$", id="cap"),
])
def test_per_axis_ranges_are_checked_before_the_work(low: Any, high: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        clean_input_sizes(parse_model(VIDEO), low, high, max_work=200_000)


def test_the_suggested_high_fits_the_cap() -> None:
    # 2 layers, cap 200,000: D up to 64 and H×W up to 99,936 is 100,000 sides, exactly the work allowed
    report = clean_input_sizes(parse_model(VIDEO), None, (64, 99_936, 99_936), max_work=200_000)
    assert report.apart[1].high == 99_936


# ---------------------------------------------------------------- solve_axes
def test_solve_axes_each_combination_is_a_torch_layer() -> None:
    torch = pytest.importorskip("torch")
    answers = solve_axes((16, 112, 112), (8, 56, 56), kernel=(3, 7, 7), stride=2)
    assert [(a.axes, a.input, a.output) for a in answers] == [("D", 16, 8), ("HW", 112, 56)]
    numbered = [[s for s in a.solutions if isinstance(s.padding, int)] for a in answers]
    x = torch.zeros(1, 1, 16, 112, 112)
    for sd in numbered[0]:
        for shw in numbered[1][:3]:
            layer = torch.nn.Conv3d(1, 1, (sd.kernel, shw.kernel, shw.kernel), 2, (sd.padding, shw.padding, shw.padding),
                                    (sd.dilation, shw.dilation, shw.dilation))
            assert tuple(layer(x).shape[2:]) == (8, 56, 56)
    options = layer_options(answers, 3)
    assert options is not None
    layer = torch.nn.Conv3d(1, 1, options["kernel"], options["stride"], options["padding"])
    assert tuple(layer(x).shape[2:]) == (8, 56, 56)


def test_solve_axes_transposed_agrees_with_torch() -> None:
    torch = pytest.importorskip("torch")
    answers = solve_axes((8, 28), (16, 56), kernel=3, stride=2, padding=1, transposed=True)
    options = layer_options(answers, 2)
    assert options is not None
    layer = torch.nn.ConvTranspose2d(1, 1, options["kernel"], options["stride"], options["padding"], options["output_padding"])
    assert tuple(layer(torch.zeros(1, 1, 8, 28)).shape[2:]) == (16, 56)


@pytest.mark.parametrize(("call", "error", "message"), [
    pytest.param(lambda: solve_axes((16, 112, 112), (80, 56, 56), kernel=3), ShapeError,
                 r"^along D: no conv3d maps 16 to 80 with kernel 3, ", id="nothing-along-d"),
    pytest.param(lambda: solve_axes((16, 112, 112), (8, 56, 56), kernel=(3, 7)), InputError,
                 r"^kernel has 2 values for 3 axes \(D×H×W\); give one, or one per axis$", id="count"),
    pytest.param(lambda: solve_axes((1, 2, 3, 4), 1), InputError,
                 r"^give 1, 2 or 3 input lengths \(L; H, W; D, H, W\), got 4$", id="rank"),
])
def test_solve_axes_errors(call: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize(
    ("sizes", "text"),
    [
        ([], "none from 32 to 64"),
        (range(32, 65), "every size from 32 to 64"),
        (range(32, 65, 8), "multiples of 8 from 32 to 64"),
        ([33, 49, 65], "16·k + 1 from 33 to 65"),
        ([47, 48, 63, 64], "16·k − 1, 16·k from 47 to 64"),
        ([32, 33, 40], "32–33, 40"),
    ],
    ids=["none", "all", "multiples", "offset", "two-residues", "ranges"],
)
def test_describe_sizes(sizes: Any, text: str) -> None:
    assert describe_sizes(sizes, 32, 64) == text


def test_audio_model_scans_around_its_own_length_by_default() -> None:
    # m5 takes 32,000 samples: the 32…1024 default would never reach it
    model = load_model(CONFIGS / "m5.yaml")
    report = clean_input_sizes(model)
    assert report.together is not None
    assert report.together.low < 32_000 < report.together.high
    assert (report.together.high - report.together.low + 1) * len(model.nodes) <= 500_000
    # every window of m5 is padded or divides, and check agrees at its own length
    assert 32_000 in report.together.clean and not [f for f in check_file(str(CONFIGS / "m5.yaml")) if f.code == "CC201"]


def test_smallest_search_stops_at_the_work_cap() -> None:
    # a 9-tap conv runs from 9 samples; with the whole budget spent on 100…200,
    # the search upwards from 1 has no sides left and reports no smallest
    model = parse_model("input: [128, 1]\nlayers: [conv1d: {filters: 1, kernel: 9}, relu]")
    assert clean_input_sizes(model, 100, 200, max_work=2 * 101).together.smallest is None  # type: ignore[union-attr]
    assert clean_input_sizes(model, 100, 200, max_work=2 * 101 + 2 * 9).together.smallest == 9  # type: ignore[union-attr]
