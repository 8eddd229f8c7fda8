"""The exact arithmetic lines of :func:`convcalc.explain.explain`.

Every expected line was worked out by hand; the comment above each case shows
the sums that make the numbers in it.
"""

from __future__ import annotations

from typing import Any

import pytest

from convcalc.explain import explain
from convcalc.layers import make_layer
from convcalc.shapes import Shape

POOL = "params: none; MACs: none (pooling)"

CASES: list[Any] = [
    pytest.param(
        # (230 + 0 − 7) / 2 + 1 = 111.5 + 1 = 112.5 → 112. Windows start at
        # 0, 2, …, 222 and the last covers rows 222–228: row 229 is never read.
        # (7·7·3 + 1)·64 = 148·64 = 9,472; 112·112·64 = 802,816 × 147 = 118,013,952
        "conv2d",
        {"filters": 64, "kernel": 7, "stride": 2, "padding": 0},
        [(230, 230, 3)],
        [
            "H: (230 + 2·0 − 7) / 2 + 1 = 112.5 → 112",
            "   112.5 is rounded down: the last input row (H=230) is covered by no window and dropped",
            "W: (230 + 2·0 − 7) / 2 + 1 = 112.5 → 112",
            "   112.5 is rounded down: the last input column (W=230) is covered by no window and dropped",
            "params: (7·7·3 + 1) · 64 = 9,472",
            "MACs: 112·112·64 outputs × 7·7·3 = 118,013,952",
        ],
        id="conv-floor-drops-input-row",
    ),
    pytest.param(
        # (230 + 2 − 7) / 2 + 1 = 113.5 → 113. Padded rows 0–231; the last window
        # covers 224–230, so only padding row 231 is left; one more window would
        # need 1 more row. 113·113·64 = 817,216 × 147 = 120,130,752
        "conv2d",
        {"filters": 64, "kernel": 7, "stride": 2, "padding": 1},
        [(230, 230, 3)],
        [
            "H: (230 + 2·1 − 7) / 2 + 1 = 113.5 → 113",
            "   113.5 is rounded down: the last window would need 1 more row; only padding goes unread (no input row is lost)",
            "W: (230 + 2·1 − 7) / 2 + 1 = 113.5 → 113",
            "   113.5 is rounded down: the last window would need 1 more column; only padding goes unread (no input column is lost)",
            "params: (7·7·3 + 1) · 64 = 9,472",
            "MACs: 113·113·64 outputs × 7·7·3 = 120,130,752",
        ],
        id="conv-floor-drops-only-padding",
    ),
    pytest.param(
        # (5 + 2 − 3) / 3 + 1 = 1.333… + 1 → 2 windows (padded 0–2, 3–5); padded
        # row 6 is padding; a third window would need 6–8, 2 more rows.
        # (3·3·1 + 1)·1 = 10; 2·2·1 × 9 = 36
        "conv2d",
        {"filters": 1, "kernel": 3, "stride": 3, "padding": 1},
        [(5, 5, 1)],
        [
            "H: (5 + 2·1 − 3) / 3 + 1 = 2.333… → 2",
            "   2.333… is rounded down: the last window would need 2 more rows; only padding goes unread (no input row is lost)",
            "W: (5 + 2·1 − 3) / 3 + 1 = 2.333… → 2",
            "   2.333… is rounded down: the last window would need 2 more columns; only padding goes unread (no input column is lost)",
            "params: (3·3·1 + 1) · 1 = 10",
            "MACs: 2·2·1 outputs × 3·3·1 = 36",
        ],
        id="conv-floor-needs-two-rows",
    ),
    pytest.param(
        # ⌈224 / 2⌉ = 112; (112 − 1)·2 + 3 − 224 = 1 → 0 before, 1 after;
        # (224 + 0 + 1 − 3) / 2 + 1 = 111 + 1 = 112.
        # (3·3·3 + 1)·8 = 224; 112·112·8 = 100,352 × 27 = 2,709,504
        "conv2d",
        {"filters": 8, "kernel": 3, "stride": 2, "padding": "same"},
        [(224, 224, 3)],
        [
            "H: same padding → ⌈224 / 2⌉ = 112; padding (112 − 1)·2 + 3 − 224 = 1 → 0 before, 1 after",
            "H: (224 + 0 + 1 − 3) / 2 + 1 = 112",
            "W: same padding → ⌈224 / 2⌉ = 112; padding (112 − 1)·2 + 3 − 224 = 1 → 0 before, 1 after",
            "W: (224 + 0 + 1 − 3) / 2 + 1 = 112",
            "params: (3·3·3 + 1) · 8 = 224",
            "MACs: 112·112·8 outputs × 3·3·3 = 2,709,504",
        ],
        id="conv-same-split",
    ),
    pytest.param(
        # ⌈8 / 2⌉ = 4; (4 − 1)·2 + 1 − 8 = −1 < 0: no padding.
        # (8 − 1) / 2 + 1 = 4.5 → 4: windows at 0, 2, 4, 6, so row 7 is dropped
        # and rows 1, 3, 5 fall between windows. (1·1·4 + 1)·4 = 20; 4·4·4 × 4 = 256
        "conv2d",
        {"filters": 4, "kernel": 1, "stride": 2, "padding": "same"},
        [(8, 8, 4)],
        [
            "H: same padding → ⌈8 / 2⌉ = 4; padding (4 − 1)·2 + 1 − 8 = −1 < 0 → no padding",
            "H: (8 + 2·0 − 1) / 2 + 1 = 4.5 → 4",
            "   4.5 is rounded down: the rows after the last window are the gap that stride 2 leaves after every window (a further window would start past the input)",
            "   stride 2 > window 1: 1 row(s) between windows are never read",
            "W: same padding → ⌈8 / 2⌉ = 4; padding (4 − 1)·2 + 1 − 8 = −1 < 0 → no padding",
            "W: (8 + 2·0 − 1) / 2 + 1 = 4.5 → 4",
            "   4.5 is rounded down: the columns after the last window are the gap that stride 2 leaves after every window (a further window would start past the input)",
            "   stride 2 > window 1: 1 column(s) between windows are never read",
            "params: (1·1·4 + 1) · 4 = 20",
            "MACs: 4·4·4 outputs × 1·1·4 = 256",
        ],
        id="conv-same-needs-no-padding",
    ),
    pytest.param(
        # padding [top, bottom, left, right] = [0, 1, 2, 3]:
        # H (6 + 0 + 1 − 3) / 1 + 1 = 5; W (6 + 2 + 3 − 3) / 1 + 1 = 9.
        # 3·3·2·4 = 72; 5·9·4 = 180 × 18 = 3,240
        "conv2d",
        {"filters": 4, "kernel": 3, "padding": [0, 1, 2, 3], "bias": False},
        [(6, 6, 2)],
        [
            "H: (6 + 0 + 1 − 3) / 1 + 1 = 5",
            "W: (6 + 2 + 3 − 3) / 1 + 1 = 9",
            "params: 3·3·2 · 4 = 72",
            "MACs: 5·9·4 outputs × 3·3·2 = 3,240",
        ],
        id="conv-asymmetric-padding-no-bias",
    ),
    pytest.param(
        # span 2·(3 − 1) + 1 = 5; (32 + 4 − 5) / 1 + 1 = 32.
        # (3·3·16 + 1)·8 = 145·8 = 1,160; 32·32·8 = 8,192 × 144 = 1,179,648
        "conv2d",
        {"filters": 8, "kernel": 3, "dilation": 2, "padding": 2},
        [(32, 32, 16)],
        [
            "H: (32 + 2·2 − (2·(3 − 1) + 1)) / 1 + 1 = 32",
            "   dilation 2 spreads the 3-tap kernel over 5 rows",
            "W: (32 + 2·2 − (2·(3 − 1) + 1)) / 1 + 1 = 32",
            "   dilation 2 spreads the 3-tap kernel over 5 columns",
            "params: (3·3·16 + 1) · 8 = 1,160",
            "MACs: 32·32·8 outputs × 3·3·16 = 1,179,648",
        ],
        id="conv-dilation",
    ),
    pytest.param(
        # 64 / 4 = 16 channels per filter: (3·3·16 + 1)·128 = 145·128 = 18,560;
        # 56·56·128 = 401,408 × 144 = 57,802,752
        "conv2d",
        {"filters": 128, "kernel": 3, "padding": 1, "groups": 4},
        [(56, 56, 64)],
        [
            "H: (56 + 2·1 − 3) / 1 + 1 = 56",
            "W: (56 + 2·1 − 3) / 1 + 1 = 56",
            "params: (3·3·16 + 1) · 128 = 18,560  (groups=4: each filter sees 64 / 4 = 16 channels)",
            "MACs: 56·56·128 outputs × 3·3·16 = 57,802,752",
        ],
        id="conv-grouped",
    ),
    pytest.param(
        # 3·3·1·64 = 576; 56·56·64 = 200,704 × 9 = 1,806,336
        "conv2d",
        {"filters": 64, "kernel": 3, "padding": 1, "groups": 64, "bias": False},
        [(56, 56, 64)],
        [
            "H: (56 + 2·1 − 3) / 1 + 1 = 56",
            "W: (56 + 2·1 − 3) / 1 + 1 = 56",
            "params: 3·3·1 · 64 = 576  (depthwise: groups = channels = 64, each filter sees 1 channel)",
            "MACs: 56·56·64 outputs × 3·3·1 = 1,806,336",
        ],
        id="conv-depthwise",
    ),
    pytest.param(
        # (7 − 1)·2 − 2·1 + 4 = 12 − 2 + 4 = 14 (DCGAN-style upsampling).
        # 4·4·256 = 4,096 × 512 = 2,097,152 + 256 = 2,097,408;
        # 7·7·512 = 25,088 inputs × 4,096 = 102,760,448
        "conv_transpose2d",
        {"filters": 256, "kernel": 4, "stride": 2, "padding": 1},
        [(7, 7, 512)],
        [
            "H: (7 − 1)·2 − 2·1 + 4 = 14",
            "W: (7 − 1)·2 − 2·1 + 4 = 14",
            "params: 4·4·256·512 + 256 = 2,097,408",
            "MACs: 7·7·512 inputs × 4·4·256 = 102,760,448",
        ],
        id="conv-transpose",
    ),
    pytest.param(
        # (7 − 1)·2 − 2·1 + 3 + 1 = 14 with output_padding 1; no bias.
        # 3·3·8·16 = 1,152; 7·7·16 = 784 × 72 = 56,448
        "conv_transpose2d",
        {"filters": 8, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1, "bias": False},
        [(7, 7, 16)],
        [
            "H: (7 − 1)·2 − 2·1 + 3 + 1 = 14",
            "W: (7 − 1)·2 − 2·1 + 3 + 1 = 14",
            "params: 3·3·8·16 = 1,152",
            "MACs: 7·7·16 inputs × 3·3·8 = 56,448",
        ],
        id="conv-transpose-output-padding",
    ),
    pytest.param(
        # Keras same: 7·2 = 14 wanted from a full (7 − 1)·2 + 3 = 15: crop 1 → 0 + 1.
        # 3·3·8·512 + 8 = 36,872; 25,088 × 72 = 1,806,336
        "conv_transpose2d",
        {"filters": 8, "kernel": 3, "stride": 2, "padding": "same"},
        [(7, 7, 512)],
        [
            "H: (7 − 1)·2 − 0 − 1 + 3 = 14",
            "W: (7 − 1)·2 − 0 − 1 + 3 = 14",
            "   padding 'same' resolved to the crops and output padding shown",
            "params: 3·3·8·512 + 8 = 36,872",
            "MACs: 7·7·512 inputs × 3·3·8 = 1,806,336",
        ],
        id="conv-transpose-same",
    ),
    pytest.param(
        # (112 + 2 − 3) / 2 + 1 = 55.5 + 1 = 56.5 → 56; padded row 113 unread.
        "maxpool2d",
        {"kernel": 3, "stride": 2, "padding": 1},
        [(112, 112, 64)],
        [
            "H: (112 + 2·1 − 3) / 2 + 1 = 56.5 → 56",
            "   56.5 is rounded down: the last window would need 1 more row; only padding goes unread (no input row is lost)",
            "W: (112 + 2·1 − 3) / 2 + 1 = 56.5 → 56",
            "   56.5 is rounded down: the last window would need 1 more column; only padding goes unread (no input column is lost)",
            POOL,
        ],
        id="maxpool-floor",
    ),
    pytest.param(
        # ⌈(5 − 2) / 2⌉ + 1 = ⌈1.5⌉ + 1 = 3; the third window (rows 4–5) overhangs
        # the 5-row input. torch.nn.MaxPool2d(2, 2, ceil_mode=True) gives 3×3.
        "maxpool2d",
        {"kernel": 2, "stride": 2, "ceil_mode": True},
        [(5, 5, 1)],
        [
            "H: ⌈(5 + 2·0 − 2) / 2⌉ + 1 = ⌈1.5⌉ + 1 = 3",
            "   rounded up (ceil_mode): the last window overhangs the end",
            "W: ⌈(5 + 2·0 − 2) / 2⌉ + 1 = ⌈1.5⌉ + 1 = 3",
            "   rounded up (ceil_mode): the last window overhangs the end",
            POOL,
        ],
        id="maxpool-ceil-overhangs",
    ),
    pytest.param(
        # ⌈(5 + 2 − 3) / 3⌉ + 1 = ⌈1.333…⌉ + 1 = 3, but window 3 would start at
        # padded 2·3 = 6, past the input (padded 1–5), in the right padding:
        # dropped → 2. torch.nn.MaxPool2d(3, 3, padding=1, ceil_mode=True) gives 2×2.
        "maxpool2d",
        {"kernel": 3, "stride": 3, "padding": 1, "ceil_mode": True},
        [(5, 5, 1)],
        [
            "H: ⌈(5 + 2·1 − 3) / 3⌉ + 1 = ⌈1.333…⌉ + 1 = 3 → 2",
            "   rounded up (ceil_mode), but that last window would start at padded position 6, past the input (1–5), in the right padding, so PyTorch drops it",
            "W: ⌈(5 + 2·1 − 3) / 3⌉ + 1 = ⌈1.333…⌉ + 1 = 3 → 2",
            "   rounded up (ceil_mode), but that last window would start at padded position 6, past the input (1–5), in the right padding, so PyTorch drops it",
            POOL,
        ],
        id="maxpool-ceil-drops-last-window",
    ),
    pytest.param(
        # ⌈(5 − 1) / 3⌉ + 1 = 3, but window 3 would start at 6, past the input
        # (0–4) with no padding there: dropped → 2, windows at 0 and 3, so row 4
        # is read by none. torch.nn.MaxPool2d(1, 3, ceil_mode=True) gives 2×2.
        "maxpool2d",
        {"kernel": 1, "stride": 3, "ceil_mode": True},
        [(5, 5, 1)],
        [
            "H: ⌈(5 + 2·0 − 1) / 3⌉ + 1 = ⌈1.333…⌉ + 1 = 3 → 2",
            "   rounded up (ceil_mode), but that last window would start at padded position 6, past the input (0–4), so PyTorch drops it",
            "   stride 3 > window 1: 2 row(s) between windows are never read",
            "W: ⌈(5 + 2·0 − 1) / 3⌉ + 1 = ⌈1.333…⌉ + 1 = 3 → 2",
            "   rounded up (ceil_mode), but that last window would start at padded position 6, past the input (0–4), so PyTorch drops it",
            "   stride 3 > window 1: 2 column(s) between windows are never read",
            POOL,
        ],
        id="maxpool-ceil-drops-window-past-input",
    ),
    pytest.param(
        # stride defaults to the kernel: (224 − 2) / 2 + 1 = 112, exact
        "avgpool2d",
        {"kernel": 2},
        [(224, 224, 3)],
        ["H: (224 + 2·0 − 2) / 2 + 1 = 112", "W: (224 + 2·0 − 2) / 2 + 1 = 112", POOL],
        id="avgpool-exact",
    ),
    pytest.param(
        # γ and β: 2·64 = 128 trained; running mean and variance: 2·64 = 128 stored
        "batchnorm2d",
        {},
        [(56, 56, 64)],
        [
            "trainable: 2·64 = 128 (γ scale, β shift)",
            "non-trainable: 2·64 = 128 (running mean and variance)",
        ],
        id="batchnorm",
    ),
    pytest.param(
        "batchnorm2d",
        {"affine": False},
        [(56, 56, 64)],
        ["trainable: 0 (affine off)", "non-trainable: 2·64 = 128 (running mean and variance)"],
        id="batchnorm-no-affine",
    ),
    pytest.param(
        # 2·768 = 1,536
        "layernorm",
        {},
        [(768,)],
        [
            "normalises each position over its 768 features",
            "trainable: 2·768 = 1,536 (γ scale, β shift)",
        ],
        id="layernorm",
    ),
    pytest.param(
        # 2048·1000 + 1000 = 2,049,000; 1000 outputs × 2048 = 2,048,000
        "dense",
        {"units": 1000},
        [(2048,)],
        [
            "acts on the last axis: 2048 → 1000 features",
            "params: 2048·1000 + 1000 = 2,049,000",
            "MACs: 1000 outputs × 2048 = 2,048,000",
        ],
        id="dense-vector",
    ),
    pytest.param(
        # on a map: 64·10 = 640 weights; 7·7·10 = 490 outputs × 64 = 31,360
        "dense",
        {"units": 10, "bias": False},
        [(7, 7, 64)],
        [
            "acts on the last axis: 64 → 10 features",
            "params: 64·10 = 640",
            "MACs: 7·7·10 outputs × 64 = 31,360",
        ],
        id="dense-map-no-bias",
    ),
    pytest.param("flatten", {}, [(7, 7, 512)], ["7·7·512 = 25,088 features"], id="flatten"),
    pytest.param(
        # 224 + 0 + 1 = 225; 224 + 2 + 3 = 229
        "zeropad2d",
        {"padding": [0, 1, 2, 3]},
        [(224, 224, 3)],
        ["H: 224 + 0 + 1 = 225", "W: 224 + 2 + 3 = 229"],
        id="zeropad",
    ),
    pytest.param(
        # 7 · 1.5 = 10.5 → 10; 8 · 2 = 16
        "upsample",
        {"scale": [1.5, 2]},
        [(7, 8, 64)],
        ["H: ⌊7 · 1.5⌋ = 10", "W: ⌊8 · 2⌋ = 16", "mode: nearest"],
        id="upsample-scale",
    ),
    pytest.param(
        "upsample",
        {"size": [28, 56], "mode": "bilinear"},
        [(14, 14, 64)],
        ["resized to 28×56 (bilinear)"],
        id="upsample-size",
    ),
    pytest.param(
        "adaptive_avgpool2d",
        {"output_size": 6},
        [(13, 13, 256)],
        ["output size fixed at 6×6, windows adapt to 13×13"],
        id="adaptive-avgpool",
    ),
    pytest.param(
        "global_avgpool2d",
        {},
        [(7, 7, 2048)],
        ["reduces 7×7 to one value per channel: 2048"],
        id="global-avgpool",
    ),
    pytest.param(
        "global_maxpool2d",
        {"keepdims": True},
        [(7, 7, 2048)],
        ["reduces 7×7 to one value per channel: 1×1×2048"],
        id="global-maxpool-keepdims",
    ),
    pytest.param(
        # 240 / 3 = 80
        "channel_shuffle",
        {"groups": 3},
        [(28, 28, 240)],
        ["240 channels seen as 3 groups × 80, transposed to 80 × 3"],
        id="channel-shuffle",
    ),
    pytest.param(
        # 64 + 32 + 16 = 112
        "concat",
        {},
        [(28, 28, 64), (28, 28, 32), (28, 28, 16)],
        ["channels: 64 + 32 + 16 = 112"],
        id="concat",
    ),
    pytest.param(
        "multiply",
        {},
        [(56, 56, 64), (1, 1, 64)],
        ["element-wise over 56×56×64 and 1×1×64, broadcast to 56×56×64"],
        id="multiply-broadcast",
    ),
    pytest.param(
        "relu",
        {},
        [(56, 56, 64)],
        ["shape unchanged (56×56×64); no parameters, no MACs"],
        id="relu",
    ),
]


@pytest.mark.parametrize(("kind", "options", "inputs", "lines"), CASES)
def test_explain_lines(
    kind: str, options: dict[str, Any], inputs: list[tuple[int, ...]], lines: list[str]
) -> None:
    spec = make_layer(kind, options)
    assert explain(spec, *(Shape(dims) for dims in inputs)) == lines
