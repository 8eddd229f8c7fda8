"""Property tests: random 1-D and 3-D layers against real PyTorch.

As ``tests/test_layers_torch.py`` does for 2-D: for each drawn configuration
build the convcalc layer and the matching ``torch.nn`` module, run the module
on a random batch-1 input, and require that both agree on *validity* (both
raise, or neither does) and, when valid, on the output shape, the parameter
count and the MACs (``FlopCounterMode``, 2 FLOPs per multiply-accumulate).
Kernels, strides, dilations and paddings are drawn per axis, so 3-D layers
get non-cubic windows such as 3×1×1 and (1, 2, 2) strides. Shapes go from
convcalc's channels-last (L×C, D×H×W×C) to torch's N×C×L and N×C×D×H×W.
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

nn = torch.nn
F = torch.nn.functional
torch.set_num_threads(1)

SETTINGS = settings(max_examples=60, deadline=None, database=None)
RANKS = pytest.mark.parametrize("rank", [1, 3], ids=["1d", "3d"])

CONV = {1: nn.Conv1d, 3: nn.Conv3d}
CONVT = {1: nn.ConvTranspose1d, 3: nn.ConvTranspose3d}
MAXPOOL = {1: nn.MaxPool1d, 3: nn.MaxPool3d}
AVGPOOL = {1: nn.AvgPool1d, 3: nn.AvgPool3d}


# ---------------------------------------------------------------- helpers
def ours(kind: str, options: dict[str, Any], shape: tuple[int, ...]) -> LayerResult | ConvCalcError:
    """convcalc's answer, or the user-facing error it raised."""
    try:
        return apply(make_layer(kind, options), Shape(tuple(shape)))
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
    mine_failed = isinstance(mine, Exception)
    torch_failed = isinstance(torch_result, Exception)
    assert mine_failed == torch_failed, (
        f"validity differs for {context}:\n  convcalc: {mine!r}\n  torch:    {torch_result!r}"
    )
    return not mine_failed


def channels_first(shape: tuple[int, ...]) -> Any:
    """A random batch-1 torch input for a channels-last shape."""
    *spatial, c = shape
    return torch.randn(1, c, *spatial)


def channels_last(y: Any) -> tuple[int, ...]:
    """torch N×C×… (batch 1) → convcalc …×C."""
    _, c, *spatial = y.shape
    return (*spatial, c)


def n_params(module: Any) -> int:
    return sum(p.numel() for p in module.parameters())


def counted(run: Callable[[], Any]) -> tuple[Any, int]:
    with FlopCounterMode(display=False) as counter:
        y = run()
    return y, counter.get_total_flops()


def tf_same(size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow's 'same' from its documentation, written out here:
    out = ceil(in / s); total = max((out − 1)·s + (k − 1)·d + 1 − in, 0); before = total // 2."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def torch_pad(sides: list[tuple[int, int]]) -> tuple[int, ...]:
    """Per-axis (before, after) in axis order → F.pad's last-axis-first list."""
    return tuple(n for before, after in reversed(sides) for n in (before, after))


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def per_axis(rank: int, low: int, high: int) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(low, high), min_size=rank, max_size=rank)


@st.composite
def shapes(draw: Any, rank: int, channels: int = 8) -> tuple[int, ...]:
    high = 40 if rank == 1 else 9
    return (*draw(per_axis(rank, 1, high)), draw(st.integers(1, channels)))


@st.composite
def channels_and_groups(draw: Any, cin: int) -> tuple[int, int]:
    """(filters, groups) for ``cin`` input channels; mostly valid, sometimes not."""
    groups = draw(st.one_of(st.sampled_from(divisors(cin)), st.integers(1, 4)))
    filters = draw(st.one_of(st.integers(1, 3).map(lambda m: m * groups), st.integers(1, 8)))
    return filters, groups


def compact(values: list[int]) -> int | list[int]:
    """How a user would write it: one number when all axes agree (covers the int form)."""
    return values[0] if len(set(values)) == 1 else values


# ---------------------------------------------------------------- convolution
@RANKS
@SETTINGS
@given(data=st.data())
def test_conv(rank: int, data: Any) -> None:
    shape = data.draw(shapes(rank))
    cin = shape[-1]
    filters, groups = data.draw(channels_and_groups(cin))
    kernel = data.draw(per_axis(rank, 1, 5 if rank == 1 else 3))
    stride = data.draw(per_axis(rank, 1, 3))
    dilation = data.draw(per_axis(rank, 1, 2))
    bias = data.draw(st.booleans())
    how = data.draw(st.sampled_from(["axes", "sides", "same", "valid"]))
    options: dict[str, Any] = {
        "filters": filters, "kernel": compact(kernel), "stride": compact(stride),
        "dilation": compact(dilation), "groups": groups, "bias": bias,
    }
    spatial = shape[:-1]
    if how == "axes":
        pads = data.draw(per_axis(rank, 0, 2))
        sides = [(p, p) for p in pads]
        options["padding"] = compact(pads)
    elif how == "sides":
        sides = [tuple(data.draw(per_axis(2, 0, 2))) for _ in range(rank)]
        options["padding"] = [n for side in sides for n in side]
    elif how == "same":
        sides = [tf_same(n, k, s, d) for n, k, s, d in zip(spatial, kernel, stride, dilation)]
        options["padding"] = "same"
    else:
        sides = [(0, 0)] * rank
        options["padding"] = "valid"
    mine = ours(f"conv{rank}d", options, shape)

    def run() -> tuple[Any, int, int]:
        conv = CONV[rank](cin, filters, kernel, stride=stride, dilation=dilation, groups=groups, bias=bias)
        x = F.pad(channels_first(shape), torch_pad(sides))
        y, flops = counted(lambda: conv(x))
        return y, n_params(conv), flops

    result = theirs(run)
    if both_valid(mine, result, (shape, options)):
        y, params, flops = result
        assert mine.output.dims == channels_last(y)
        assert mine.params == mine.trainable == params
        assert 2 * mine.macs == flops


@RANKS
@SETTINGS
@given(data=st.data())
def test_conv_transpose(rank: int, data: Any) -> None:
    shape = data.draw(shapes(rank))
    cin = shape[-1]
    filters, groups = data.draw(channels_and_groups(cin))
    kernel = data.draw(per_axis(rank, 1, 4))
    stride = data.draw(per_axis(rank, 1, 3))
    dilation = data.draw(per_axis(rank, 1, 2))
    padding = data.draw(per_axis(rank, 0, 3))
    output_padding = data.draw(per_axis(rank, 0, 2))
    bias = data.draw(st.booleans())
    options = {
        "filters": filters, "kernel": compact(kernel), "stride": compact(stride), "dilation": compact(dilation),
        "padding": compact(padding), "output_padding": compact(output_padding), "groups": groups, "bias": bias,
    }
    mine = ours(f"conv_transpose{rank}d", options, shape)

    def run() -> tuple[Any, int, int]:
        conv = CONVT[rank](
            cin, filters, kernel, stride=stride, padding=padding, output_padding=output_padding,
            dilation=dilation, groups=groups, bias=bias,
        )
        x = channels_first(shape)
        y, flops = counted(lambda: conv(x))
        if y.numel() == 0:
            # torch refuses an output side < 1, except on its grouped path, which
            # returns an empty tensor (as tests/test_layers_torch.py notes for 2-D)
            raise RuntimeError(f"empty output {tuple(y.shape)}")
        return y, n_params(conv), flops

    result = theirs(run)
    if both_valid(mine, result, (shape, options)):
        y, params, flops = result
        assert mine.output.dims == channels_last(y)
        assert mine.params == params
        assert 2 * mine.macs == flops


# ---------------------------------------------------------------- pooling
@RANKS
@SETTINGS
@given(data=st.data())
def test_maxpool(rank: int, data: Any) -> None:
    shape = data.draw(shapes(rank))
    kernel = data.draw(per_axis(rank, 1, 4))
    stride = data.draw(st.one_of(st.none(), per_axis(rank, 1, 3)))
    padding = [data.draw(st.integers(0, k // 2 + 1)) for k in kernel]  # mostly within PyTorch's k/2
    dilation = data.draw(per_axis(rank, 1, 2))
    ceil_mode = data.draw(st.booleans())
    options: dict[str, Any] = {"kernel": compact(kernel), "padding": compact(padding), "dilation": compact(dilation),
                               "ceil_mode": ceil_mode}
    if stride is not None:
        options["stride"] = compact(stride)
    mine = ours(f"maxpool{rank}d", options, shape)
    pool = MAXPOOL[rank](kernel, stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
    result = theirs(lambda: pool(channels_first(shape)))
    if both_valid(mine, result, (shape, options)):
        assert mine.output.dims == channels_last(result)
        assert (mine.params, mine.macs) == (0, 0)


@RANKS
@SETTINGS
@given(data=st.data())
def test_avgpool(rank: int, data: Any) -> None:
    shape = data.draw(shapes(rank))
    kernel = data.draw(per_axis(rank, 1, 4))
    stride = data.draw(st.one_of(st.none(), per_axis(rank, 1, 3)))
    padding = [data.draw(st.integers(0, k // 2 + 1)) for k in kernel]
    ceil_mode = data.draw(st.booleans())
    count_include_pad = data.draw(st.booleans())
    options: dict[str, Any] = {"kernel": compact(kernel), "padding": compact(padding), "ceil_mode": ceil_mode,
                               "count_include_pad": count_include_pad}
    if stride is not None:
        options["stride"] = compact(stride)
    mine = ours(f"avgpool{rank}d", options, shape)
    pool = AVGPOOL[rank](kernel, stride=stride, padding=padding, ceil_mode=ceil_mode, count_include_pad=count_include_pad)
    result = theirs(lambda: pool(channels_first(shape)))
    if both_valid(mine, result, (shape, options)):
        assert mine.output.dims == channels_last(result)


@RANKS
@pytest.mark.parametrize("how", ["avg", "max"])
@SETTINGS
@given(data=st.data())
def test_adaptive_pool(rank: int, how: str, data: Any) -> None:
    shape = data.draw(shapes(rank))
    size = data.draw(per_axis(rank, 1, 12))
    mine = ours(f"adaptive_{how}pool{rank}d", {"output_size": compact(size)}, shape)
    pool = getattr(nn, f"Adaptive{how.title()}Pool{rank}d")(size)
    result = theirs(lambda: pool(channels_first(shape)))
    if both_valid(mine, result, (shape, size)):
        assert mine.output.dims == channels_last(result)


@RANKS
@pytest.mark.parametrize("how", ["avg", "max"])
@SETTINGS
@given(data=st.data())
def test_global_pool(rank: int, how: str, data: Any) -> None:
    shape = data.draw(shapes(rank))
    keepdims = data.draw(st.booleans())
    mine = ours(f"global_{how}pool{rank}d", {"keepdims": keepdims}, shape)
    x = channels_first(shape)
    axes = tuple(range(2, 2 + rank))
    y = x.mean(dim=axes, keepdim=keepdims) if how == "avg" else x.amax(dim=axes, keepdim=keepdims)
    expected = channels_last(y) if keepdims else tuple(y.shape[1:])
    assert not isinstance(mine, Exception) and mine.output.dims == expected


# ---------------------------------------------------------------- padding, norms, resampling
@RANKS
@SETTINGS
@given(data=st.data())
def test_zeropad(rank: int, data: Any) -> None:
    shape = data.draw(shapes(rank))
    sides = [tuple(data.draw(per_axis(2, 0, 3))) for _ in range(rank)]
    options = {"padding": [n for side in sides for n in side]}
    mine = ours(f"zeropad{rank}d", options, shape)
    pad = getattr(nn, f"ZeroPad{rank}d")(torch_pad(sides))
    result = theirs(lambda: pad(channels_first(shape)))
    assert both_valid(mine, result, (shape, options))
    assert mine.output.dims == channels_last(result)


@pytest.mark.parametrize("rank", [0, 1, 2, 3], ids=["features", "1d-map", "2d-map", "3d-map"])
@pytest.mark.parametrize("kind", ["batchnorm1d", "batchnorm3d"])
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm(kind: str, rank: int, affine: bool) -> None:
    shape = (5, 4, 3, 6)[3 - rank:] if rank else (6,)
    mine = ours(kind, {"affine": affine}, shape)
    module = getattr(nn, kind.replace("batchnorm", "BatchNorm"))(shape[-1], affine=affine).eval()
    x = torch.randn(1, shape[-1]) if rank == 0 else channels_first(shape)
    result = theirs(lambda: module(x))
    if both_valid(mine, result, (kind, shape)):
        assert mine.output.dims == (channels_last(result) if rank else tuple(result.shape[1:]))
        assert mine.trainable == n_params(module)
        stats = module.running_mean.numel() + module.running_var.numel()  # num_batches_tracked is a counter
        assert mine.non_trainable == stats


@RANKS
@SETTINGS
@given(data=st.data())
def test_upsample(rank: int, data: Any) -> None:
    shape = data.draw(shapes(rank))
    mode = data.draw(st.sampled_from(["nearest", "linear"]))
    by_size = data.draw(st.booleans())
    if by_size:
        size = data.draw(per_axis(rank, 1, 20))
        options: dict[str, Any] = {"size": compact(size)}
        module = nn.Upsample(size=tuple(size), mode=_torch_mode(mode, rank))
    else:
        scale = data.draw(per_axis(rank, 1, 3))
        options = {"scale": compact(scale)}
        module = nn.Upsample(scale_factor=tuple(float(s) for s in scale), mode=_torch_mode(mode, rank))
    options["mode"] = mode if mode == "nearest" else ("linear" if rank == 1 else "trilinear")
    mine = ours("upsample", options, shape)
    result = theirs(lambda: module(channels_first(shape)))
    if both_valid(mine, result, (shape, options)):
        assert mine.output.dims == channels_last(result)


def _torch_mode(mode: str, rank: int) -> str:
    return mode if mode == "nearest" else {1: "linear", 3: "trilinear"}[rank]


# ---------------------------------------------------------------- the acceptance figures
def test_r3d_stem_against_torch() -> None:
    """torchvision's R3D-18 stem: Conv3d(3, 64, (3, 7, 7), stride (1, 2, 2), padding (1, 3, 3), bias=False)."""
    shape = (16, 112, 112, 3)
    mine = ours("conv3d", {"filters": 64, "kernel": [3, 7, 7], "stride": [1, 2, 2], "padding": [1, 3, 3], "bias": False}, shape)
    conv = nn.Conv3d(3, 64, (3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False)
    x = channels_first(shape)
    y, flops = counted(lambda: conv(x))
    assert not isinstance(mine, Exception)
    assert (mine.output.dims, mine.params, 2 * mine.macs) == (channels_last(y), n_params(conv), flops)


# ---------------------------------------------------------------- the NumPy kernels' values
np = pytest.importorskip("numpy")


def _kernel_output(kind: str, options: dict[str, Any], shape: tuple[int, ...], x: Any) -> tuple[Any, Any, int]:
    """convcalc's NumPy kernel on ``x`` (channels first, as torch): (output channels first, params, MACs)."""
    from convcalc.forward.kernels import make_params, run_kernel

    spec = make_layer(kind, options)
    batch = np.moveaxis(x.numpy(), 1, -1)
    params = make_params(spec, (batch.shape,), np.random.default_rng(0))
    out, macs = run_kernel(spec, params, batch)
    return np.moveaxis(out, -1, 1), params, macs


def _torch_weight(kernel: Any) -> Any:
    """(*k, a, b) → (b, a, *k): Keras' channels-last kernel as torch's."""
    r = kernel.ndim - 2
    return torch.from_numpy(np.ascontiguousarray(kernel.transpose(r + 1, r, *range(r))))


@RANKS
@settings(max_examples=25, deadline=None, database=None)
@given(data=st.data())
def test_conv_kernels_compute_what_torch_does(rank: int, data: Any) -> None:
    shape = data.draw(shapes(rank, channels=6))
    cin = shape[-1]
    groups = data.draw(st.sampled_from(divisors(cin)))
    filters = groups * data.draw(st.integers(1, 3))
    kernel = data.draw(per_axis(rank, 1, 3))
    stride = data.draw(per_axis(rank, 1, 2))
    dilation = data.draw(per_axis(rank, 1, 2))
    transposed = data.draw(st.booleans())
    x = channels_first(shape)
    if transposed:
        padding = data.draw(per_axis(rank, 0, 1))
        output_padding = [min(o, max(s, d) - 1) for o, s, d in zip(data.draw(per_axis(rank, 0, 1)), stride, dilation)]
        options = {"filters": filters, "kernel": kernel, "stride": stride, "dilation": dilation, "groups": groups,
                   "padding": padding, "output_padding": output_padding}
        if isinstance(ours(f"conv_transpose{rank}d", options, shape), Exception):
            return
        out, params, macs = _kernel_output(f"conv_transpose{rank}d", options, shape, x)
        module = CONVT[rank](cin, filters, kernel, stride=stride, padding=padding, output_padding=output_padding,
                             dilation=dilation, groups=groups)
    else:
        sides = [tuple(data.draw(per_axis(2, 0, 1))) for _ in range(rank)]
        options = {"filters": filters, "kernel": kernel, "stride": stride, "dilation": dilation, "groups": groups,
                   "padding": [n for side in sides for n in side]}
        if isinstance(ours(f"conv{rank}d", options, shape), Exception):
            return
        out, params, macs = _kernel_output(f"conv{rank}d", options, shape, x)
        module = CONV[rank](cin, filters, kernel, stride=stride, dilation=dilation, groups=groups)
        x = F.pad(x, torch_pad(sides))
    with torch.no_grad():
        module.weight.copy_(_torch_weight(params["kernel"]))
        module.bias.copy_(torch.from_numpy(params["bias"]))
        expected, flops = counted(lambda: module(x))
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-4, atol=1e-4)
    assert 2 * macs == flops


@RANKS
@settings(max_examples=25, deadline=None, database=None)
@given(data=st.data())
def test_pool_kernels_compute_what_torch_does(rank: int, data: Any) -> None:
    shape = data.draw(shapes(rank, channels=3))
    how = data.draw(st.sampled_from(["max", "avg", "adaptive_max", "adaptive_avg", "global_max", "global_avg"]))
    x = channels_first(shape)
    if how in ("max", "avg"):
        kernel = data.draw(per_axis(rank, 1, 3))
        options: dict[str, Any] = {"kernel": kernel, "stride": data.draw(per_axis(rank, 1, 3)),
                                   "padding": [k // 2 for k in kernel], "ceil_mode": data.draw(st.booleans())}
        if how == "avg":
            options["count_include_pad"] = data.draw(st.booleans())
        module = (MAXPOOL if how == "max" else AVGPOOL)[rank](**{"kernel_size": kernel, **{k: v for k, v in options.items() if k != "kernel"}})
    elif how.startswith("adaptive"):
        options = {"output_size": data.draw(per_axis(rank, 1, 6))}
        module = getattr(nn, f"Adaptive{how[9:].title()}Pool{rank}d")(options["output_size"])
    else:
        options = {"keepdims": True}
        module = getattr(nn, f"Adaptive{how[7:].title()}Pool{rank}d")(1)
    kind = f"{how}pool{rank}d"
    if isinstance(ours(kind, options, shape), Exception):
        return
    out, _, macs = _kernel_output(kind, options, shape, x)
    np.testing.assert_allclose(out, module(x).numpy(), rtol=1e-5, atol=1e-5)
    assert macs == 0


@RANKS
@settings(max_examples=25, deadline=None, database=None)
@given(data=st.data())
def test_upsample_zeropad_and_batchnorm_kernels(rank: int, data: Any) -> None:
    shape = data.draw(shapes(rank, channels=3))
    x = channels_first(shape)
    mode = data.draw(st.sampled_from(["nearest", "linear"]))
    size = data.draw(per_axis(rank, 1, 12))
    out, _, _ = _kernel_output("upsample", {"size": size, "mode": mode}, shape, x)
    expected = F.interpolate(x, size=tuple(size), mode=_torch_mode(mode, rank))
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-5, atol=1e-5)
    sides = [tuple(data.draw(per_axis(2, 0, 2))) for _ in range(rank)]
    out, _, _ = _kernel_output(f"zeropad{rank}d", {"padding": [n for s in sides for n in s]}, shape, x)
    np.testing.assert_array_equal(out, F.pad(x, torch_pad(sides)).numpy())
    out, params, _ = _kernel_output(f"batchnorm{rank}d", {}, shape, x)
    bn = getattr(nn, f"BatchNorm{rank}d")(shape[-1]).eval()
    with torch.no_grad():
        for name in ("running_mean", "running_var"):
            getattr(bn, name).copy_(torch.from_numpy(params[name]))
        bn.weight.copy_(torch.from_numpy(params["gamma"]))
        bn.bias.copy_(torch.from_numpy(params["beta"]))
        np.testing.assert_allclose(out, bn(x).numpy(), rtol=1e-5, atol=1e-5)
