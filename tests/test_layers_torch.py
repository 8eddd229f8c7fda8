"""Property tests: random valid (and some invalid) layers against real PyTorch.

For each drawn configuration we build the convcalc layer and the matching
``torch.nn`` module, run the module on a random batch-1 input, and require
that both agree on *validity* (both raise, or neither does) and, when valid,
on the output shape, the parameter count and the MACs. Shapes are converted
from convcalc's H×W×C to torch's N×C×H×W.

The MAC oracle is PyTorch's own ``torch.utils.flop_counter.FlopCounterMode``
around the module call, at 2 FLOPs per multiply-accumulate. It counts
convolutions (output elements × C_in/groups · kh · kw), transposed
convolutions (input elements × C_out/groups · kh · kw) and matmuls (M·N·K),
the same convention as convcalc's README; bias adds are not counted by either.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcalc.errors import ConvCalcError
from convcalc.layers import LayerResult, apply, make_layer
from convcalc.shapes import Shape

torch = pytest.importorskip("torch")
FlopCounterMode = pytest.importorskip("torch.utils.flop_counter").FlopCounterMode

# torch's padding='same' warns that an even kernel needs a padded copy; expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same':UserWarning")
nn = torch.nn
F = torch.nn.functional

torch.set_num_threads(1)

FAST = settings(max_examples=300, deadline=None, database=None)
QUICK = settings(max_examples=100, deadline=None, database=None)


# ---------------------------------------------------------------- helpers
def ours(kind: str, options: dict[str, Any], *shapes: tuple[int, ...]) -> LayerResult | ConvCalcError:
    """convcalc's answer, or the user-facing error it raised (anything else propagates)."""
    try:
        return apply(make_layer(kind, options), *(Shape(tuple(s)) for s in shapes))
    except ConvCalcError as e:
        return e


def theirs(run: Callable[[], Any]) -> Any:
    """torch's answer, or the error it raised for an invalid configuration."""
    try:
        with torch.no_grad():
            return run()
    except (RuntimeError, ValueError) as e:
        return e


def both_valid(mine: Any, torch_result: Any, context: Any) -> bool:
    """Assert both sides agree on validity; True when both produced a result."""
    mine_failed = isinstance(mine, Exception)
    torch_failed = isinstance(torch_result, Exception)
    assert mine_failed == torch_failed, (
        f"validity differs for {context}:\n  convcalc: {mine!r}\n  torch:    {torch_result!r}"
    )
    return not mine_failed


def hwc(y: Any) -> tuple[int, ...]:
    """torch N×C×H×W (batch 1) → convcalc H×W×C."""
    _, c, h, w = y.shape
    return (h, w, c)


def nchw(h: int, w: int, c: int) -> Any:
    return torch.randn(1, c, h, w)


def n_params(module: Any) -> int:
    return sum(p.numel() for p in module.parameters())


def counted(module: Any, x: Any) -> tuple[Any, int]:
    """``module(x)`` and the FLOPs PyTorch's FlopCounterMode saw it do."""
    with FlopCounterMode(display=False) as counter:
        y = module(x)
    return y, counter.get_total_flops()


def tf_same_split(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's 'same' from its docs, written out independently of convcalc:
    out = ceil(in / s); total = max((out − 1)·s + (k − 1)·d + 1 − in, 0); top = total // 2.
    """
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


sizes = st.integers(1, 24)
small = st.integers(1, 5)


def pair_of(strategy: st.SearchStrategy[int]) -> st.SearchStrategy[tuple[int, int]]:
    return st.tuples(strategy, strategy)


@st.composite
def channels_and_groups(draw: Any, max_channels: int = 12) -> tuple[int, int, int]:
    """(in_channels, filters, groups); mostly valid groups, sometimes not."""
    cin = draw(st.integers(1, max_channels))
    groups = draw(st.one_of(st.sampled_from(divisors(cin)), st.integers(1, 4)))
    filters = draw(st.one_of(st.integers(1, 3).map(lambda m: m * groups), st.integers(1, max_channels)))
    return cin, filters, groups


# ---------------------------------------------------------------- conv2d
@st.composite
def conv2d_configs(draw: Any) -> dict[str, Any]:
    cin, filters, groups = draw(channels_and_groups())
    style = draw(st.sampled_from(["int", "pair", "four"]))
    if style == "int":
        padding: Any = draw(st.integers(0, 3))
    elif style == "pair":
        padding = list(draw(pair_of(st.integers(0, 3))))
    else:
        padding = list(draw(st.tuples(*[st.integers(0, 3)] * 4)))
    return {
        "hw": draw(pair_of(sizes)),
        "cin": cin,
        "options": {
            "filters": filters,
            "kernel": list(draw(pair_of(small))),
            "stride": list(draw(pair_of(st.integers(1, 3)))),
            "padding": padding,
            "dilation": list(draw(pair_of(st.integers(1, 3)))),
            "groups": groups,
            "bias": draw(st.booleans()),
        },
    }


def check_conv(cfg: dict[str, Any], mine: Any, module_args: dict[str, Any], pad4: tuple[int, int, int, int]) -> None:
    """Run nn.Conv2d on an input padded by F.pad(pad4 = (left, right, top, bottom))."""
    (h, w), o = cfg["hw"], cfg["options"]

    def run() -> tuple[Any, Any, int]:
        conv = nn.Conv2d(
            cfg["cin"], o["filters"], tuple(o["kernel"]), stride=tuple(o["stride"]),
            dilation=tuple(o["dilation"]), groups=o["groups"], bias=o["bias"], **module_args,
        )
        return conv, *counted(conv, F.pad(nchw(h, w, cfg["cin"]), pad4))

    result = theirs(run)
    if both_valid(mine, result, cfg):
        conv, y, flops = result
        assert mine.output.dims == hwc(y), cfg
        assert (mine.trainable, mine.non_trainable) == (n_params(conv), 0), cfg
        assert 2 * mine.macs == flops, cfg


@FAST
@given(conv2d_configs())
def test_conv2d_matches_torch(cfg: dict[str, Any]) -> None:
    p = cfg["options"]["padding"]
    if isinstance(p, int):
        p = [p, p, p, p]
    elif len(p) == 2:
        p = [p[0], p[0], p[1], p[1]]
    top, bottom, left, right = p
    mine = ours("conv2d", cfg["options"], (*cfg["hw"], cfg["cin"]))
    if top == bottom and left == right:
        # torch's own symmetric padding
        check_conv(cfg, mine, {"padding": (top, left)}, (0, 0, 0, 0))
    else:
        check_conv(cfg, mine, {"padding": 0}, (left, right, top, bottom))


@FAST
@given(conv2d_configs(), st.booleans())
def test_conv2d_tf_same_matches_torch_on_explicitly_padded_input(cfg: dict[str, Any], stride_one: bool) -> None:
    o = cfg["options"]
    o["padding"] = "same"
    if stride_one:
        o["stride"] = [1, 1]
    (h, w), (kh, kw), (sh, sw), (dh, dw) = cfg["hw"], o["kernel"], o["stride"], o["dilation"]
    top, bottom = tf_same_split(h, kh, sh, dh)
    left, right = tf_same_split(w, kw, sw, dw)
    mine = ours("conv2d", o, (h, w, cfg["cin"]))
    check_conv(cfg, mine, {"padding": 0}, (left, right, top, bottom))
    if not isinstance(mine, Exception):
        # 'same' resolves to TensorFlow's split, and the output is ceil(in / stride).
        wh, ww = make_layer("conv2d", o).windows(Shape.of(h, w, cfg["cin"]))  # type: ignore[attr-defined]
        assert (wh.pad_before, wh.pad_after, ww.pad_before, ww.pad_after) == (top, bottom, left, right)
        assert mine.output.dims[:2] == (math.ceil(h / sh), math.ceil(w / sw))
    if stride_one:
        # torch's own padding='same' (stride 1 only) gives the same shape; with shared
        # weights its values equal the explicitly padded run, so the split agrees too.
        def run() -> tuple[Any, Any]:
            same = nn.Conv2d(cfg["cin"], o["filters"], tuple(o["kernel"]), padding="same",
                             dilation=tuple(o["dilation"]), groups=o["groups"], bias=o["bias"])
            x = nchw(h, w, cfg["cin"])
            padded = F.conv2d(F.pad(x, (left, right, top, bottom)), same.weight, same.bias,
                              dilation=tuple(o["dilation"]), groups=o["groups"])
            return same(x), padded

        result = theirs(run)
        if both_valid(mine, result, cfg):
            y, padded = result
            assert mine.output.dims == hwc(y), cfg
            torch.testing.assert_close(y, padded)


@QUICK
@given(conv2d_configs())
def test_conv2d_valid_is_no_padding(cfg: dict[str, Any]) -> None:
    cfg["options"]["padding"] = "valid"
    mine = ours("conv2d", cfg["options"], (*cfg["hw"], cfg["cin"]))
    check_conv(cfg, mine, {"padding": "valid"}, (0, 0, 0, 0))


# ------------------------------------------------------- conv_transpose2d
@st.composite
def conv_transpose_configs(draw: Any) -> dict[str, Any]:
    cin, filters, groups = draw(channels_and_groups())
    return {
        "hw": draw(pair_of(st.integers(1, 12))),
        "cin": cin,
        "options": {
            "filters": filters,
            "kernel": list(draw(pair_of(small))),
            "stride": list(draw(pair_of(st.integers(1, 3)))),
            "padding": list(draw(pair_of(st.integers(0, 3)))),
            "output_padding": list(draw(pair_of(st.integers(0, 3)))),
            "dilation": list(draw(pair_of(st.integers(1, 3)))),
            "groups": groups,
            "bias": draw(st.booleans()),
        },
    }


@FAST
@given(conv_transpose_configs())
def test_conv_transpose2d_matches_torch(cfg: dict[str, Any]) -> None:
    (h, w), o = cfg["hw"], cfg["options"]
    mine = ours("conv_transpose2d", o, (h, w, cfg["cin"]))

    def run() -> tuple[Any, Any, Any]:
        deconv = nn.ConvTranspose2d(
            cfg["cin"], o["filters"], tuple(o["kernel"]), stride=tuple(o["stride"]),
            padding=tuple(o["padding"]), output_padding=tuple(o["output_padding"]),
            groups=o["groups"], bias=o["bias"], dilation=tuple(o["dilation"]),
        )
        y, flops = counted(deconv, nchw(h, w, cfg["cin"]))
        if y.numel() == 0:
            # torch's reference kernel raises "Output size is too small" for an output
            # side < 1; its oneDNN path for groups > 1 returns an empty tensor instead.
            raise RuntimeError(f"empty output {tuple(y.shape)}")
        return deconv, y, flops

    result = theirs(run)
    if both_valid(mine, result, cfg):
        deconv, y, flops = result
        assert mine.output.dims == hwc(y), cfg
        assert mine.trainable == n_params(deconv), cfg
        assert 2 * mine.macs == flops, cfg


# ---------------------------------------------------------------- pooling
@st.composite
def pool_configs(draw: Any, dilation: bool) -> dict[str, Any]:
    options: dict[str, Any] = {
        "kernel": list(draw(pair_of(small))),
        "padding": list(draw(pair_of(st.integers(0, 3)))),
        "ceil_mode": draw(st.booleans()),
    }
    stride = draw(st.one_of(st.none(), pair_of(st.integers(1, 4))))
    if stride is not None:
        options["stride"] = list(stride)
    if dilation:
        options["dilation"] = list(draw(pair_of(st.integers(1, 3))))
    return {"hw": draw(pair_of(st.integers(1, 16))), "c": draw(st.integers(1, 4)), "options": options}


def check_pool(kind: str, cfg: dict[str, Any], module: Callable[[], Any]) -> None:
    (h, w), c = cfg["hw"], cfg["c"]
    mine = ours(kind, cfg["options"], (h, w, c))
    result = theirs(lambda: module()(nchw(h, w, c)))
    if both_valid(mine, result, cfg):
        assert mine.output.dims == hwc(result), cfg
        assert (mine.params, mine.macs) == (0, 0)


def _stride(o: dict[str, Any]) -> Any:
    return tuple(o["stride"]) if "stride" in o else None


@FAST
@given(pool_configs(dilation=True))
def test_maxpool2d_matches_torch(cfg: dict[str, Any]) -> None:
    o = cfg["options"]
    check_pool("maxpool2d", cfg, lambda: nn.MaxPool2d(
        tuple(o["kernel"]), _stride(o), tuple(o["padding"]), tuple(o["dilation"]),
        ceil_mode=o["ceil_mode"],
    ))


@FAST
@given(pool_configs(dilation=False), st.booleans())
def test_avgpool2d_matches_torch(cfg: dict[str, Any], count_include_pad: bool) -> None:
    o = cfg["options"]
    o["count_include_pad"] = count_include_pad
    check_pool("avgpool2d", cfg, lambda: nn.AvgPool2d(
        tuple(o["kernel"]), _stride(o), tuple(o["padding"]), ceil_mode=o["ceil_mode"],
        count_include_pad=count_include_pad,
    ))


@QUICK
@given(pool_configs(dilation=False), st.sampled_from(["maxpool2d", "avgpool2d"]))
def test_pool_keras_same_matches_torch_on_padded_input(cfg: dict[str, Any], kind: str) -> None:
    o = cfg["options"]
    o.update(padding="same", ceil_mode=False)
    (h, w), c, (kh, kw) = cfg["hw"], cfg["c"], o["kernel"]
    sh, sw = o.get("stride", o["kernel"])
    top, bottom = tf_same_split(h, kh, sh)
    left, right = tf_same_split(w, kw, sw)
    mine = ours(kind, o, (h, w, c))
    pool = nn.MaxPool2d if kind == "maxpool2d" else nn.AvgPool2d
    result = theirs(lambda: pool((kh, kw), (sh, sw))(F.pad(nchw(h, w, c), (left, right, top, bottom))))
    if both_valid(mine, result, cfg):
        assert mine.output.dims == hwc(result) == (math.ceil(h / sh), math.ceil(w / sw), c)


@QUICK
@given(pair_of(st.integers(1, 16)), pair_of(st.integers(1, 10)), st.booleans())
def test_adaptive_pooling_matches_torch(hw: tuple[int, int], out: tuple[int, int], use_max: bool) -> None:
    h, w = hw
    kind, module = ("adaptive_maxpool2d", nn.AdaptiveMaxPool2d) if use_max else ("adaptive_avgpool2d", nn.AdaptiveAvgPool2d)
    mine = ours(kind, {"output_size": list(out)}, (h, w, 3))
    result = theirs(lambda: module(out)(nchw(h, w, 3)))
    if both_valid(mine, result, (hw, out)):
        assert mine.output.dims == hwc(result)


@QUICK
@given(pair_of(st.integers(1, 12)), st.integers(1, 8), st.booleans())
def test_global_pooling_matches_torch(hw: tuple[int, int], c: int, keepdims: bool) -> None:
    mine = ours("global_avgpool2d", {"keepdims": keepdims}, (*hw, c))
    y = nchw(*hw, c).mean(dim=(2, 3), keepdim=keepdims)
    assert mine.output.dims == (hwc(y) if keepdims else tuple(y.shape[1:]))


# --------------------------------------------------------------- resample
@st.composite
def upsample_configs(draw: Any) -> dict[str, Any]:
    options: dict[str, Any] = {"mode": draw(st.sampled_from(["nearest", "bilinear"]))}
    how = draw(st.sampled_from(["int", "float", "pair", "size"]))
    if how == "int":
        options["scale"] = draw(st.integers(1, 4))
    elif how == "float":
        options["scale"] = draw(st.floats(0.05, 4.0, allow_nan=False, allow_infinity=False))
    elif how == "pair":
        options["scale"] = [draw(st.sampled_from([0.5, 1, 1.5, 2, 2.5, 3, 1 / 3])) for _ in "hw"]
    else:
        options["size"] = list(draw(pair_of(st.integers(1, 32))))
    if draw(st.booleans()):
        options["align_corners"] = True  # invalid with 'nearest', in both libraries
    return {"hw": draw(pair_of(st.integers(1, 16))), "options": options}


@FAST
@given(upsample_configs())
def test_upsample_matches_torch(cfg: dict[str, Any]) -> None:
    (h, w), o = cfg["hw"], cfg["options"]
    mine = ours("upsample", o, (h, w, 2))
    scale = o.get("scale")
    kwargs = {
        "size": tuple(o["size"]) if "size" in o else None,
        "scale_factor": tuple(float(s) for s in scale) if isinstance(scale, list) else scale,
        "mode": o["mode"],
        "align_corners": True if o.get("align_corners") else (False if o["mode"] == "bilinear" else None),
    }
    result = theirs(lambda: nn.Upsample(**kwargs)(nchw(h, w, 2)))
    if both_valid(mine, result, cfg):
        assert mine.output.dims == hwc(result), cfg
        assert mine.params == 0


@QUICK
@given(pair_of(st.integers(1, 12)), st.integers(1, 24), st.integers(1, 6))
def test_channel_shuffle_matches_torch(hw: tuple[int, int], c: int, groups: int) -> None:
    mine = ours("channel_shuffle", {"groups": groups}, (*hw, c))
    result = theirs(lambda: nn.ChannelShuffle(groups)(nchw(*hw, c)))
    if both_valid(mine, result, (hw, c, groups)):
        assert mine.output.dims == hwc(result)


@QUICK
@given(pair_of(st.integers(1, 12)), st.integers(1, 4), st.tuples(*[st.integers(0, 4)] * 4))
def test_zeropad2d_matches_torch(hw: tuple[int, int], c: int, tblr: tuple[int, int, int, int]) -> None:
    top, bottom, left, right = tblr
    mine = ours("zeropad2d", {"padding": list(tblr)}, (*hw, c))
    y = nn.ZeroPad2d((left, right, top, bottom))(nchw(*hw, c))
    assert mine.output.dims == hwc(y)


# ---------------------------------------------------------- dense, flatten
maps_or_vectors = st.one_of(
    st.tuples(st.integers(1, 64)),
    st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 32)),
)


@FAST
@given(maps_or_vectors, st.integers(1, 64), st.booleans())
def test_dense_matches_torch_linear(dims: tuple[int, ...], units: int, bias: bool) -> None:
    mine = ours("dense", {"units": units, "bias": bias}, dims)
    linear = nn.Linear(dims[-1], units, bias=bias)
    with torch.no_grad():
        y, flops = counted(linear, torch.randn(1, *dims))  # Linear acts on the last axis, as dense does
    assert mine.output.dims == tuple(y.shape[1:])
    assert mine.trainable == n_params(linear)
    assert 2 * mine.macs == flops


@QUICK
@given(maps_or_vectors)
def test_flatten_matches_torch(dims: tuple[int, ...]) -> None:
    mine = ours("flatten", {}, dims)
    x = nchw(*dims) if len(dims) == 3 else torch.randn(1, *dims)
    y = nn.Flatten()(x)
    assert mine.output.dims == tuple(y.shape[1:])
    assert mine.params == 0


# ---------------------------------------------------------- normalisation
@QUICK
@given(pair_of(st.integers(1, 8)), st.integers(1, 64), st.booleans())
def test_batchnorm2d_matches_torch(hw: tuple[int, int], c: int, affine: bool) -> None:
    mine = ours("batchnorm2d", {"affine": affine}, (*hw, c))
    bn = nn.BatchNorm2d(c, affine=affine).eval()
    with torch.no_grad():
        y = bn(nchw(*hw, c))
    assert mine.output.dims == hwc(y)
    assert mine.trainable == n_params(bn)
    # Keras' non-trainable count: the running statistics (not num_batches_tracked).
    assert mine.non_trainable == bn.running_mean.numel() + bn.running_var.numel()


@QUICK
@given(maps_or_vectors, st.booleans())
def test_layernorm_matches_torch(dims: tuple[int, ...], affine: bool) -> None:
    mine = ours("layernorm", {"affine": affine}, dims)
    ln = nn.LayerNorm(dims[-1], elementwise_affine=affine)
    with torch.no_grad():
        y = ln(torch.randn(1, *dims))  # normalises the last (channel) axis
    assert mine.output.dims == tuple(y.shape[1:])
    assert (mine.trainable, mine.non_trainable) == (n_params(ln), 0)


# ------------------------------------------------------------------ merge
@st.composite
def merge_inputs(draw: Any) -> list[tuple[int, ...]]:
    """2–3 channels-last shapes, each axis the common size, 1, or (rarely) another size."""
    base = draw(st.tuples(st.integers(2, 6), st.integers(2, 6), st.integers(2, 8)))
    shapes = []
    for _ in range(draw(st.integers(2, 3))):
        dims = tuple(
            draw(st.sampled_from([n, n, 1, n + 1])) for n in base
        )
        shapes.append(dims[2:] if draw(st.integers(0, 4)) == 0 else dims)
    return shapes


@FAST
@given(merge_inputs(), st.sampled_from(["add", "multiply"]))
def test_broadcast_matches_torch(shapes: list[tuple[int, ...]], kind: str) -> None:
    mine = ours(kind, {}, *shapes)
    op = torch.add if kind == "add" else torch.mul

    def run() -> Any:
        tensors = [torch.randn(*s) for s in shapes]
        out = tensors[0]
        for t in tensors[1:]:
            out = op(out, t)
        return out

    result = theirs(run)
    if both_valid(mine, result, shapes):
        assert mine.output.dims == tuple(result.shape)


@QUICK
@given(merge_inputs())
def test_concat_matches_torch_cat_on_last_axis(shapes: list[tuple[int, ...]]) -> None:
    mine = ours("concat", {}, *shapes)
    result = theirs(lambda: torch.cat([torch.randn(*s) for s in shapes], dim=-1))
    if both_valid(mine, result, shapes):
        assert mine.output.dims == tuple(result.shape)
