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
    with pytest.raises(ShapeError, match=r"^input sizes apply to an H×W×C model input; 'mlp' takes a vector of 8 features$"):
        clean_input_sizes(parse_model("name: mlp\ninput: [8]\nlayers: [dense: {units: 2}]"))


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
