"""The NumPy forward pass against PyTorch's functional ops, on the same weights.

Each drawn configuration builds a convcalc layer, runs our kernel on a random
channels-last batch, then runs the matching ``torch.nn.functional`` op on the
same numbers and weights converted to N×C×H×W (conv kernels from
(kh, kw, C_in/g, F) to (F, C_in/g, kh, kw)); outputs must agree to float32
tolerance. The multiply-accumulates our kernel counted must be half the FLOPs
PyTorch's ``FlopCounterMode`` saw the reference do (it counts convolutions,
transposed convolutions and matmuls at 2 per MAC, everything else 0, as
convcalc's convention does), and equal the analysis's MACs × the batch.
Whole bundled models are compared the same way, layer by layer through a
small functional reference interpreter.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convcalc
from convcalc.errors import ConvCalcError
from convcalc.forward import Network, random_input
from convcalc.forward.kernels import Params, make_params, run_kernel
from convcalc.layers import apply, make_layer
from convcalc.layers.window import same_padding
from convcalc.loader import load_model
from convcalc.shapes import Shape

torch = pytest.importorskip("torch")
FlopCounterMode = pytest.importorskip("torch.utils.flop_counter").FlopCounterMode
F = torch.nn.functional

torch.set_num_threads(1)  # as test_layers_torch; idle OpenMP workers would compete with BLAS
CONFIGS = Path(convcalc.__file__).parent / "configs"
SOME = settings(max_examples=40, deadline=None, database=None)
FEW = settings(max_examples=20, deadline=None, database=None)


# ---------------------------------------------------------------- the reference
def nchw(a: np.ndarray) -> Any:
    t = torch.from_numpy(np.ascontiguousarray(a))
    return t.permute(0, 3, 1, 2) if a.ndim == 4 else t


def nhwc(t: Any) -> np.ndarray:
    return (t.permute(0, 2, 3, 1) if t.ndim == 4 else t).contiguous().numpy()


def tensor(a: np.ndarray | None) -> Any:
    return None if a is None else torch.from_numpy(np.ascontiguousarray(a))


def explicit_pads(spec: Any, h: int, w: int) -> tuple[int, int, int, int]:
    """(top, bottom, left, right), ``same`` by the layer module's own rule."""
    p = spec.padding
    if p.mode == "explicit":
        return p.top, p.bottom, p.left, p.right
    if p.mode == "valid":
        return 0, 0, 0, 0
    stride = getattr(spec, "strides", None) or spec.stride
    dilation = getattr(spec, "dilation", (1, 1))
    (top, bottom), (left, right) = (
        same_padding(n, d * (k - 1) + 1, s) for n, k, s, d in zip((h, w), spec.kernel, stride, dilation)
    )
    return top, bottom, left, right


def t_conv2d(spec: Any, p: Params, x: Any) -> Any:
    top, bottom, left, right = explicit_pads(spec, x.shape[2], x.shape[3])
    weight = tensor(p["kernel"].transpose(3, 2, 0, 1))
    return F.conv2d(F.pad(x, (left, right, top, bottom)), weight, tensor(p.get("bias")), spec.stride, 0, spec.dilation, spec.groups)


def t_conv_transpose2d(spec: Any, p: Params, x: Any) -> Any:
    h, w = x.shape[2:]
    (ah, aw) = spec.axes(Shape.of(h, w, x.shape[1]))  # the spec's crops and extension
    weight = tensor(p["kernel"].transpose(3, 2, 0, 1))
    full = F.conv_transpose2d(
        x, weight, tensor(p.get("bias")), spec.stride, 0, (ah.output_padding, aw.output_padding),
        spec.groups, spec.dilation,
    )
    return full[:, :, ah.pad_before : full.shape[2] - ah.pad_after, aw.pad_before : full.shape[3] - aw.pad_after]


def t_pool(spec: Any, p: Params, x: Any) -> Any:
    pad = (spec.padding.top, spec.padding.left)
    stride = spec.stride or spec.kernel
    if spec.kind == "maxpool2d":
        return F.max_pool2d(x, spec.kernel, stride, pad, spec.dilation, spec.ceil_mode)
    return F.avg_pool2d(x, spec.kernel, stride, pad, spec.ceil_mode, spec.count_include_pad)


def t_batchnorm(spec: Any, p: Params, x: Any) -> Any:
    return F.batch_norm(
        x, tensor(p["running_mean"]), tensor(p["running_var"]), tensor(p.get("gamma")),
        tensor(p.get("beta")), training=False, eps=spec.eps,
    )


def t_layernorm(spec: Any, p: Params, x: Any) -> Any:
    channels_last = x.permute(0, 2, 3, 1) if x.ndim == 4 else x
    out = F.layer_norm(channels_last, (channels_last.shape[-1],), tensor(p.get("gamma")), tensor(p.get("beta")), spec.eps)
    return out.permute(0, 3, 1, 2) if x.ndim == 4 else out


def t_groupnorm(spec: Any, p: Params, x: Any) -> Any:
    return F.group_norm(x, spec.groups, tensor(p.get("gamma")), tensor(p.get("beta")), spec.eps)


def t_instancenorm(spec: Any, p: Params, x: Any) -> Any:
    # nn.InstanceNorm2d in eval mode: the running statistics if it tracks them.
    return F.instance_norm(
        x, tensor(p.get("running_mean")), tensor(p.get("running_var")), tensor(p.get("gamma")),
        tensor(p.get("beta")), use_input_stats=not spec.track_running_stats, eps=spec.eps,
    )


def channels_last(f: Any) -> Any:
    """A reference written for channels-last tensors, applied to N×C×H×W ones."""
    def run(spec: Any, p: Params, x: Any) -> Any:
        out = f(spec, p, x.permute(0, 2, 3, 1) if x.ndim == 4 else x)
        return out.permute(0, 3, 1, 2) if out.ndim == 4 else out

    return run


@channels_last
def t_normalization(spec: Any, p: Params, x: Any) -> Any:
    # keras.layers.Normalization.call: (x − mean) / max(√variance, epsilon()), epsilon() = 1e-7
    return (x - tensor(p["mean"])) / torch.clamp(torch.sqrt(tensor(p["variance"])), min=1e-7)


@channels_last
def t_prelu(spec: Any, p: Params, x: Any) -> Any:
    alpha = tensor(p["alpha"])
    if spec.per == "element":  # Keras' default; torch's PReLU takes 1 or C slopes
        return torch.where(x > 0, x, alpha * x)
    return F.prelu(x.movedim(-1, 1), alpha).movedim(1, -1)


@channels_last
def t_reshape(spec: Any, p: Params, x: Any) -> Any:
    return x.reshape(x.shape[0], *spec.shape)


@channels_last
def t_slice(spec: Any, p: Params, x: Any) -> Any:
    if spec.chunks is not None:
        return torch.chunk(x, spec.chunks, dim=-1)[spec.chunk]
    return x[..., spec.start : spec.stop]


@channels_last
def t_split(spec: Any, p: Params, x: Any) -> Any:
    parts = torch.chunk(x, spec.parts, dim=-1) if spec.parts else torch.split(x, list(spec.sizes), dim=-1)
    return parts[-1]


def t_dense(spec: Any, p: Params, x: Any) -> Any:
    channels_last = x.permute(0, 2, 3, 1) if x.ndim == 4 else x
    out = F.linear(channels_last, tensor(p["kernel"].T), tensor(p.get("bias")))
    return out.permute(0, 3, 1, 2) if x.ndim == 4 else out


def t_flatten(spec: Any, p: Params, x: Any) -> Any:
    # convcalc flattens channels-last (H·W·C order), as Keras does.
    return x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)


def t_upsample(spec: Any, p: Params, x: Any) -> Any:
    options: dict[str, Any] = {"mode": spec.mode}
    if spec.size is not None:
        options["size"] = spec.size
    else:
        options["scale_factor"] = spec.scale
    if spec.mode == "bilinear":
        options["align_corners"] = spec.align_corners
    return F.interpolate(x, **options)


def t_global(spec: Any, p: Params, x: Any) -> Any:
    reduce = torch.mean if spec.kind == "global_avgpool2d" else torch.amax
    return reduce(x, dim=(2, 3), keepdim=spec.keepdims)


def t_broadcast(op: Any):
    def run(spec: Any, p: Params, *xs: Any) -> Any:
        # Align per-sample shapes from the right, channels-last, as convcalc does.
        cl = [x.permute(0, 2, 3, 1) if x.ndim == 4 else x for x in xs]
        rank = max(x.ndim for x in cl)
        cl = [x.reshape(x.shape[0], *(1,) * (rank - x.ndim), *x.shape[1:]) for x in cl]
        out = cl[0]
        for other in cl[1:]:
            out = op(out, other)
        return out.permute(0, 3, 1, 2) if out.ndim == 4 else out

    return run


ACTIVATIONS = {
    "relu": F.relu,
    "relu6": F.relu6,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "gelu": F.gelu,
    "silu": F.silu,
    "hardswish": F.hardswish,
    "hardsigmoid": F.hardsigmoid,
}

def unary(f: Any) -> Any:
    return lambda spec, p, x: f(x)


REFERENCE: dict[str, Any] = {
    "conv2d": t_conv2d,
    "conv_transpose2d": t_conv_transpose2d,
    "maxpool2d": t_pool,
    "avgpool2d": t_pool,
    "adaptive_avgpool2d": lambda s, p, x: F.adaptive_avg_pool2d(x, s.output_size),
    "adaptive_maxpool2d": lambda s, p, x: F.adaptive_max_pool2d(x, s.output_size),
    "global_avgpool2d": t_global,
    "global_maxpool2d": t_global,
    "zeropad2d": lambda s, p, x: F.pad(x, (s.padding.left, s.padding.right, s.padding.top, s.padding.bottom)),
    "batchnorm2d": t_batchnorm,
    "layernorm": t_layernorm,
    "dense": t_dense,
    "flatten": t_flatten,
    "dropout": lambda s, p, x: F.dropout(x, s.rate, training=False),
    "softmax": lambda s, p, x: F.softmax(x, dim=1 if x.ndim == 4 else -1),
    "leaky_relu": lambda s, p, x: F.leaky_relu(x, s.negative_slope),
    "groupnorm": t_groupnorm,
    "instancenorm": t_instancenorm,
    "normalization": t_normalization,
    "mish": unary(F.mish),
    "elu": lambda s, p, x: F.elu(x, s.alpha),
    "softplus": lambda s, p, x: F.softplus(x, s.beta, s.threshold),
    "prelu": t_prelu,
    "identity": lambda s, p, x: x,
    "drop_path": lambda s, p, x: x,  # torchvision's StochasticDepth is the identity in eval mode
    "rescaling": lambda s, p, x: x * s.scale + s.offset,
    "scale": channels_last(lambda s, p, x: x * tensor(p["gamma"])),
    "reshape": t_reshape,
    "slice": t_slice,
    "split": t_split,
    "pixel_shuffle": lambda s, p, x: F.pixel_shuffle(x, s.factor),
    "pixel_unshuffle": lambda s, p, x: F.pixel_unshuffle(x, s.factor),
    **{kind: unary(f) for kind, f in ACTIVATIONS.items()},
    "upsample": t_upsample,
    "channel_shuffle": lambda s, p, x: F.channel_shuffle(x, s.groups),
    "add": t_broadcast(torch.add),
    "multiply": t_broadcast(torch.mul),
    "concat": lambda s, p, *xs: torch.cat(xs, dim=1 if xs[0].ndim == 4 else -1),
}


def compare(kind: str, options: dict[str, Any], *shapes: tuple[int, ...], scale: float = 1.0) -> None:
    """Run our kernel and torch's on the same inputs and weights; require the
    same output and the same multiply-accumulates."""
    spec = make_layer(kind, options)
    rng = np.random.default_rng(list(shapes[0]))
    arrays = [rng.standard_normal((2, *s), dtype=np.float32) * np.float32(scale) for s in shapes]
    params = make_params(spec, tuple(a.shape for a in arrays), rng)
    ours, macs = run_kernel(spec, params, *arrays)
    reference = REFERENCE[spec.kind]
    with torch.no_grad():
        theirs = nhwc(reference(spec, params, *(nchw(a) for a in arrays)))
        # Counted in a run of its own: under the counter's dispatch mode some ops
        # (nearest upsampling) take a Python decomposition with other rounding.
        with FlopCounterMode(display=False) as counter:
            reference(spec, params, *(nchw(a) for a in arrays))
    context = f"{kind} {options} {shapes}"
    assert ours.dtype == np.float32, ours.dtype
    assert ours.shape == theirs.shape, context
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4, err_msg=context)
    assert 2 * macs == counter.get_total_flops(), context
    assert macs == 2 * apply(spec, *(Shape(s) for s in shapes)).macs, context  # batch 2


# ---------------------------------------------------------------- strategies
def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


paddings = st.one_of(
    st.integers(0, 2),
    st.tuples(st.integers(0, 2), st.integers(0, 2)).map(list),
    st.tuples(*[st.integers(0, 3)] * 4).map(list),
    st.sampled_from(["same", "valid"]),
)


@st.composite
def conv_cases(draw: Any) -> tuple[dict[str, Any], tuple[int, int, int]]:
    groups = draw(st.sampled_from([1, 1, 2, 3, 4]))
    c = groups * draw(st.integers(1, 3))
    f = groups * draw(st.integers(1, 3)) if draw(st.booleans()) else c  # f == c == groups: depthwise
    if f == c and draw(st.booleans()):
        groups = c
    options = {
        "filters": f,
        "kernel": draw(st.tuples(st.integers(1, 4), st.integers(1, 4)).map(list)),
        "stride": draw(st.tuples(st.integers(1, 3), st.integers(1, 3)).map(list)),
        "dilation": draw(st.tuples(st.integers(1, 2), st.integers(1, 2)).map(list)),
        "padding": draw(paddings),
        "groups": groups,
        "bias": draw(st.booleans()),
    }
    h, w = draw(st.integers(8, 14)), draw(st.integers(8, 14))
    return options, (h, w, c)


# ---------------------------------------------------------------- per layer
@SOME
@given(conv_cases())
def test_conv2d(case: tuple[dict[str, Any], tuple[int, int, int]]) -> None:
    compare("conv2d", *case)


@SOME
@given(conv_cases(), st.integers(0, 2), st.integers(0, 2))
def test_conv_transpose2d(case: tuple[dict[str, Any], tuple[int, int, int]], oph: int, opw: int) -> None:
    options, shape = case
    if options["groups"] == shape[2] and options["filters"] == shape[2]:
        options["groups"] = shape[2]
    shape = (shape[0] // 2, shape[1] // 2, shape[2])  # it grows the map
    if options["padding"] not in ("same", "valid"):
        (sh, sw), (dh, dw) = options["stride"], options["dilation"]
        options["output_padding"] = [min(oph, max(sh, dh) - 1), min(opw, max(sw, dw) - 1)]
    try:
        apply(make_layer("conv_transpose2d", options), Shape.of(*shape))
    except ConvCalcError:
        return  # padding that crops the whole output: refused before any pass runs
    compare("conv_transpose2d", options, shape)


@SOME
@given(
    st.sampled_from(["maxpool2d", "avgpool2d"]),
    st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.integers(1, 3),
    st.booleans(), st.booleans(), st.data(),
)
def test_pooling(kind: str, kh: int, kw: int, sh: int, sw: int, ceil: bool, include: bool, data: Any) -> None:
    options: dict[str, Any] = {
        "kernel": [kh, kw],
        "stride": [sh, sw],
        "padding": [data.draw(st.integers(0, kh // 2)), data.draw(st.integers(0, kw // 2))],
        "ceil_mode": ceil,
    }
    if kind == "avgpool2d":
        options["count_include_pad"] = include
    elif data.draw(st.booleans()):
        options["dilation"] = [data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))]
    h, w = data.draw(st.integers(max(kh, 3), 11)), data.draw(st.integers(max(kw, 3), 11))
    try:
        apply(make_layer(kind, options), Shape.of(h, w, 3))
    except ConvCalcError:
        return  # a dilated window larger than the input: nothing to run
    compare(kind, options, (h, w, 3))


@FEW
@given(st.sampled_from(["adaptive_avgpool2d", "adaptive_maxpool2d"]),
       st.integers(1, 13), st.integers(1, 13), st.integers(1, 9), st.integers(1, 9))
def test_adaptive_pooling(kind: str, h: int, w: int, oh: int, ow: int) -> None:
    compare(kind, {"output_size": [oh, ow]}, (h, w, 3))


@pytest.mark.parametrize("kind", ["global_avgpool2d", "global_maxpool2d"])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling(kind: str, keepdims: bool) -> None:
    compare(kind, {"keepdims": keepdims}, (5, 7, 4))


@pytest.mark.parametrize(
    ("kind", "options", "shapes"),
    [
        ("batchnorm2d", {}, [(6, 5, 8)]),
        ("batchnorm2d", {"affine": False}, [(6, 5, 8)]),
        ("layernorm", {}, [(6, 5, 8)]),
        ("layernorm", {"affine": False}, [(16,)]),
        ("dense", {"units": 7}, [(32,)]),
        ("dense", {"units": 7, "bias": False}, [(4, 3, 5)]),
        ("flatten", {}, [(3, 4, 5)]),
        ("dropout", {"rate": 0.3}, [(3, 4, 5)]),
        ("zeropad2d", {"padding": [1, 2, 0, 3]}, [(3, 4, 5)]),
        ("channel_shuffle", {"groups": 3}, [(4, 4, 12)]),
        ("add", {}, [(5, 5, 4), (5, 5, 4), (5, 5, 4)]),
        ("add", {}, [(5, 5, 4), (4,)]),
        ("multiply", {}, [(5, 5, 4), (1, 1, 4)]),
        ("multiply", {}, [(1, 1, 4), (5, 5, 4), (5, 1, 1)]),
        ("concat", {}, [(5, 5, 4), (5, 5, 2), (5, 5, 1)]),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_other_layers(kind: str, options: dict[str, Any], shapes: list[tuple[int, ...]]) -> None:
    compare(kind, options, *shapes)


NEW_KINDS = [
    # The kinds of issue #10, with PyTorch's semantics (Keras' for normalization
    # and per-element prelu, which torch lacks), and eps on the older norms.
    ("batchnorm2d", {"eps": 1e-3}, [(6, 5, 8)]),
    ("layernorm", {"eps": 1e-3}, [(6, 5, 8)]),
    ("groupnorm", {"groups": 3}, [(6, 5, 12)]),
    ("groupnorm", {"groups": 2, "affine": False, "eps": 0.1}, [(8,)]),
    ("groupnorm", {"groups": 4}, [(5, 4, 4)]),  # one channel per group
    ("instancenorm", {}, [(6, 5, 4)]),
    ("instancenorm", {"affine": True, "eps": 1e-3}, [(6, 5, 4)]),
    ("instancenorm", {"affine": True, "track_running_stats": True}, [(6, 5, 4)]),
    ("normalization", {}, [(6, 5, 4)]),
    ("normalization", {}, [(16,)]),
    ("prelu", {}, [(6, 5, 4)]),
    ("prelu", {"per": "channel"}, [(6, 5, 4)]),
    ("prelu", {"per": "channel"}, [(16,)]),
    ("prelu", {"per": "element"}, [(6, 5, 4)]),
    ("identity", {}, [(6, 5, 4)]),
    ("drop_path", {"rate": 0.2}, [(6, 5, 4)]),
    ("rescaling", {"scale": 1 / 255, "offset": -0.5}, [(6, 5, 3)]),
    ("scale", {"init": 1e-6}, [(6, 5, 4)]),
    ("scale", {"init": 0.5}, [(16,)]),
    ("reshape", {"shape": [1, 1, -1]}, [(6, 5, 4)]),
    ("reshape", {"shape": [-1]}, [(6, 5, 4)]),
    ("reshape", {"shape": [3, 10, 4]}, [(6, 5, 4)]),
    ("slice", {"start": 2, "stop": 5}, [(6, 5, 8)]),
    ("slice", {"start": 3}, [(16,)]),
    ("slice", {"chunk": 1, "chunks": 4}, [(6, 5, 8)]),
    ("split", {"parts": 2}, [(6, 5, 8)]),
    ("split", {"sizes": [5, 3]}, [(6, 5, 8)]),
    ("pixel_shuffle", {"factor": 2}, [(4, 3, 12)]),
    ("pixel_shuffle", {"factor": 3}, [(2, 2, 18)]),
    ("pixel_unshuffle", {"factor": 2}, [(6, 4, 3)]),
    ("pixel_unshuffle", {"factor": 3}, [(6, 3, 2)]),
]


@pytest.mark.parametrize(("kind", "options", "shapes"), NEW_KINDS, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(NEW_KINDS)])
def test_new_kinds(kind: str, options: dict[str, Any], shapes: list[tuple[int, ...]]) -> None:
    compare(kind, options, *shapes, scale=3.0)


@pytest.mark.parametrize("kind", ["mish", "elu", "softplus"])
@pytest.mark.parametrize("shape", [(6, 5, 8), (10,)], ids=["map", "vector"])
@pytest.mark.parametrize("scale", [6.0, 40.0], ids=["moderate", "saturating"])
def test_new_activations(kind: str, shape: tuple[int, ...], scale: float) -> None:
    compare(kind, {}, shape, scale=scale)


@pytest.mark.parametrize(
    ("kind", "options"),
    [("elu", {"alpha": 0.3}), ("softplus", {"beta": 2.0, "threshold": 5.0}), ("softplus", {"beta": 0.5})],
    ids=["elu-alpha", "softplus-beta-threshold", "softplus-soft"],
)
def test_new_activation_options(kind: str, options: dict[str, Any]) -> None:
    compare(kind, options, (6, 5, 8), scale=12.0)


@pytest.mark.parametrize("kind", [*ACTIVATIONS, "softmax", "leaky_relu"])
@pytest.mark.parametrize("shape", [(6, 5, 8), (10,)], ids=["map", "vector"])
def test_activations(kind: str, shape: tuple[int, ...]) -> None:
    compare(kind, {}, shape, scale=6.0)  # reach the saturating and clipping ranges


@FEW
@given(st.sampled_from(["nearest", "bilinear"]), st.booleans(), st.booleans(),
       st.integers(1, 9), st.integers(1, 9), st.data())
def test_upsample(mode: str, by_size: bool, corners: bool, h: int, w: int, data: Any) -> None:
    options: dict[str, Any] = {"mode": mode}
    if mode == "bilinear":
        options["align_corners"] = corners
    if by_size:
        options["size"] = [data.draw(st.integers(1, 20)), data.draw(st.integers(1, 20))]
    else:
        scales = st.sampled_from([0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 1 / 3, 2.3])
        sh, sw = data.draw(scales), data.draw(scales)
        if h * sh < 1 or w * sw < 1:
            return
        options["scale"] = [sh, sw]
    compare("upsample", options, (h, w, 3))


@pytest.mark.parametrize(
    ("options", "shape"),
    [
        ({"scale": 2.3}, (2, 3, 2)),  # 2 → 4 = 2·2: PyTorch reads dst // 2, not ⌊dst/2.3⌋
        ({"scale": [1.2, 0.9]}, (5, 10, 2)),  # 5 → 6, 10 → 9
        ({"size": [1, 1], "mode": "bilinear"}, (4, 3, 2)),
        ({"size": [1, 5], "mode": "bilinear", "align_corners": True}, (4, 3, 2)),
        ({"scale": 1 / 3, "mode": "bilinear"}, (9, 7, 2)),
    ],
    ids=["nearest-twice", "nearest-near-one", "bilinear-to-1", "corners-to-1", "bilinear-down"],
)
def test_upsample_edges(options: dict[str, Any], shape: tuple[int, int, int]) -> None:
    compare("upsample", options, shape)


# ---------------------------------------------------------------- whole models
def reference_pass(model: Any, network: Network, x: np.ndarray) -> np.ndarray:
    """The model run through torch's functional ops with our weights."""
    live: dict[int, Any] = {-1: nchw(x)}
    with torch.no_grad():
        for step, node in enumerate(model.nodes):
            inputs = [live[i] for i in node.inputs]
            live[step] = REFERENCE[node.spec.kind](node.spec, network.params[step], *inputs)
    return nhwc(live[model.output])


# convnext_tiny's kinds are all compared above; its whole pass takes ~15 s here.
@pytest.mark.parametrize(
    "name", ["lenet5", "resnet50_stem", "mobilenet_v2", "resnet50", "shufflenet_v2_x1_0", "efficientnet_b0"]
)
def test_whole_model_matches_torch(name: str) -> None:
    model = load_model(CONFIGS / f"{name}.yaml")
    network = Network(model)
    x = random_input(model.input, batch=1)
    ours = network.run(x.copy())
    theirs = reference_pass(model, network, x)
    assert ours.shape == theirs.shape
    scale = float(np.abs(theirs).max())
    np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-4 * scale)
