"""The bundled configs against the real torchvision networks (optional).

Each network is built with ``weights=None`` and run once on a 1×3×224×224
input with forward hooks on its leaf modules. The convolution, linear,
batch-norm, layer-norm, pooling and stochastic-depth calls, in execution
order, must pair one to one with convcalc's rows of the same kinds, agreeing
on output shape (torch's N×C×H×W read as H×W×C; ConvNeXt's channels-last
linear layers as they are), on parameters, on MACs and on the setting torch
holds (a norm's ``eps``, stochastic depth's ``p``). ConvNeXt's layer scale is
a bare parameter of its block, so it is taken as a ``scale`` call where the
block's ``block`` sequence ends. Where a config uses torchvision's layer
names (resnet50: ``conv1``, ``layer1.0.conv2``, ``fc``; googlenet:
``inception3a.branch2.1.conv``; densenet121: ``features.denseblock1.0.norm1``
for torchvision's ``features.denseblock1.denselayer1.norm1``) each pair must
also agree on the name.
Totals: sum of ``p.numel()`` = convcalc's trainable parameters, batch norms'
running statistics = its non-trainable ones, and the MACs counted from the
hooks (conv: output elements × weight[0].numel(); linear: output elements ×
in_features) = its MACs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import convcalc
from convcalc.loader import load_model
from convcalc.model import Row, analyse

torch = pytest.importorskip("torch")
models = pytest.importorskip("torchvision.models")
ops = pytest.importorskip("torchvision.ops")
nn = torch.nn

CONFIGS = Path(convcalc.__file__).parent / "configs"

# What each side's layer is, for pairing: torch module type / convcalc kind → category.
TORCH_KINDS: dict[type, str] = {
    nn.Conv2d: "conv",
    nn.Linear: "dense",
    nn.BatchNorm2d: "bn",
    nn.MaxPool2d: "maxpool",
    nn.AvgPool2d: "avgpool",
    nn.AdaptiveAvgPool2d: "adaptive_avgpool",
    nn.LayerNorm: "layernorm",
    models.convnext.LayerNorm2d: "layernorm",  # channels-first LayerNorm; ours is channels-last
    ops.StochasticDepth: "drop_path",
}
OUR_KINDS = {
    "conv2d": "conv",
    "dense": "dense",
    "batchnorm2d": "bn",
    "maxpool2d": "maxpool",
    "avgpool2d": "avgpool",
    "adaptive_avgpool2d": "adaptive_avgpool",
    "global_avgpool2d": "adaptive_avgpool",  # torch: AdaptiveAvgPool2d((1, 1))
    "layernorm": "layernorm",
    "drop_path": "drop_path",
    "scale": "scale",  # torch: CNBlock.layer_scale, see trace()
}
# The option holding the value torch keeps as an attribute (see _setting).
OUR_SETTING = {"batchnorm2d": "eps", "layernorm": "eps", "drop_path": "rate"}


def _resnet_name(ours: str) -> str:
    """Our names are torchvision's but for the shortcut (no dots in a name)."""
    return ours.replace("downsample_conv", "downsample.0").replace("downsample_bn", "downsample.1")


def _same_name(ours: str) -> str:
    return ours


# Our MBConv layer names → torchvision's place in ``block``: {e} is the
# depthwise stage, which comes first where there is no expansion (t = 1).
_MBCONV = {
    "expand": "block.0.0",
    "expand_bn": "block.0.1",
    "depthwise": "block.{e}.0",
    "depthwise_bn": "block.{e}.1",
    "se.avgpool": "block.{se}.avgpool",
    "se.fc1": "block.{se}.fc1",
    "se.fc2": "block.{se}.fc2",
    "project": "block.{p}.0",
    "project_bn": "block.{p}.1",
    "stochastic_depth": "stochastic_depth",
}


def _efficientnet_name(ours: str) -> str:
    """Stages and blocks carry torchvision's names; the layers inside an MBConv say what they do."""
    parts = ours.split(".")
    if parts[0] != "features" or parts[1] in ("0", "8"):
        return ours
    e = 0 if parts[1] == "1" else 1  # features.1 is MBConv1: no expansion
    inside = _MBCONV[".".join(parts[3:])].format(e=e, se=e + 1, p=e + 2)
    return ".".join([*parts[:3], inside])


def _densenet_name(ours: str) -> str:
    """A repeat is numbered from 0; torchvision names a dense block's layers denselayer1, denselayer2, …"""
    parts = ours.split(".")
    if len(parts) > 2 and parts[1].startswith("denseblock"):
        parts[2] = f"denselayer{int(parts[2]) + 1}"
    return ".".join(parts)


class Case(NamedTuple):
    config: str
    build: Callable[[], Any]
    torch_name: Callable[[str], str] | None = None
    """Our layer name → torchvision's, where the config uses its names."""
    functional: frozenset[str] = frozenset()
    """Our layers that torchvision computes with a function, not a module."""


CASES = [
    Case("resnet50", lambda: models.resnet50(weights=None), _resnet_name),
    Case("vgg16", lambda: models.vgg16(weights=None)),
    Case("alexnet", lambda: models.alexnet(weights=None)),
    # MobileNetV2.forward pools with F.adaptive_avg_pool2d(x, (1, 1)).
    Case("mobilenet_v2", lambda: models.mobilenet_v2(weights=None), functional=frozenset({"avgpool"})),
    # ShuffleNetV2._forward_impl pools with x.mean([2, 3]).
    Case(
        "shufflenet_v2_x1_0", lambda: models.shufflenet_v2_x1_0(weights=None), _same_name,
        functional=frozenset({"globalpool"}),
    ),
    Case("convnext_tiny", lambda: models.convnext_tiny(weights=None), _same_name),
    Case("efficientnet_b0", lambda: models.efficientnet_b0(weights=None), _efficientnet_name),
    # torchvision's published googlenet (6,624,904 parameters) has no auxiliary heads.
    Case("googlenet", lambda: models.googlenet(weights=None, aux_logits=False, init_weights=False), _same_name),
    # DenseNet.forward ends with F.relu and F.adaptive_avg_pool2d(out, (1, 1)).
    Case("densenet121", lambda: models.densenet121(weights=None), _densenet_name, functional=frozenset({"avgpool"})),
]


class Call(NamedTuple):
    name: str
    kind: str
    shape: tuple[int, ...]
    """Channels last, batch dropped."""
    params: int
    macs: int
    setting: float | None = None
    """A norm's eps, stochastic depth's p."""


def _hwc(shape: torch.Size, module: Any = None) -> tuple[int, ...]:
    dims = tuple(shape)[1:]
    if _channels_last(module):
        return dims
    return (*dims[1:], dims[0]) if len(dims) == 3 else dims


def _channels_last(module: Any) -> bool:
    """Linear and LayerNorm act on the last axis: ConvNeXt permutes its maps to N×H×W×C for them."""
    channels_first = models.convnext.LayerNorm2d
    return isinstance(module, (nn.Linear, nn.LayerNorm)) and not isinstance(module, channels_first)


def _macs(module: Any, out: Any) -> int:
    if isinstance(module, nn.Conv2d):
        return out.numel() * module.weight[0].numel()
    if isinstance(module, nn.Linear):
        return out.numel() * module.in_features
    return 0


def _setting(module: Any) -> float | None:
    if isinstance(module, ops.StochasticDepth):
        return module.p
    return getattr(module, "eps", None)


def trace(net: Any) -> list[Call]:
    """Leaf-module calls of the kinds we compare, in execution order."""
    calls: list[Call] = []
    handles = []
    for name, module in net.named_modules():
        if isinstance(getattr(module, "layer_scale", None), nn.Parameter):
            # ConvNeXt's CNBlock multiplies block(x) by layer_scale before its stochastic depth.
            def scale_hook(_m: Any, _inputs: Any, out: Any, name: str = name, gamma: Any = module.layer_scale) -> None:
                calls.append(Call(f"{name}.layer_scale", "scale", _hwc(out.shape), gamma.numel(), 0))

            handles.append(module.block.register_forward_hook(scale_hook))
        kind = TORCH_KINDS.get(type(module))
        if kind is None or any(True for _ in module.children()):
            continue

        def hook(m: Any, _inputs: Any, out: Any, name: str = name, kind: str = kind) -> None:
            params = sum(p.numel() for p in m.parameters(recurse=False))
            calls.append(Call(name, kind, _hwc(out.shape, m), params, _macs(m, out), _setting(m)))

        handles.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            net.eval()(torch.zeros(1, 3, 224, 224))
    finally:
        for h in handles:
            h.remove()
    return calls


def _our_shape(row: Row) -> tuple[int, ...]:
    dims = row.result.output.dims
    # global pooling gives C (without keepdims); torch keeps 1×1×C until the flatten
    return (1, 1, *dims) if row.node.spec.kind == "global_avgpool2d" and len(dims) == 1 else dims


def _our_setting(row: Row) -> float | None:
    option = OUR_SETTING.get(row.node.spec.kind)
    return None if option is None else getattr(row.node.spec, option)


@pytest.fixture(scope="module", params=CASES, ids=lambda c: c.config)
def pair(request: pytest.FixtureRequest) -> tuple[Case, Any, list[Call], list[Row], Any]:
    case: Case = request.param
    torch.manual_seed(0)
    net = case.build()
    summary = analyse(load_model(CONFIGS / f"{case.config}.yaml"))
    ours = [
        r for r in summary.rows
        if r.node.spec.kind in OUR_KINDS and r.node.name not in case.functional
    ]
    return case, net, trace(net), ours, summary


def test_layers_pair_up(pair: Any) -> None:
    case, _net, calls, ours, _summary = pair
    theirs = [(c.name, c.kind) for c in calls]
    mine = [(r.node.name, OUR_KINDS[r.node.spec.kind]) for r in ours]
    assert [k for _, k in mine] == [k for _, k in theirs], (
        f"{case.config}: layer kinds differ in order\nours:   {mine}\ntorch:  {theirs}"
    )


def test_layer_shapes_and_params(pair: Any) -> None:
    case, _net, calls, ours, _summary = pair
    mismatches = []
    for row, call in zip(ours, calls, strict=True):
        name = row.node.name
        if case.torch_name is not None and case.torch_name(name) != call.name:
            mismatches.append(f"{name}: pairs with torch {call.name}, not {case.torch_name(name)}")
        if _our_shape(row) != call.shape:
            mismatches.append(f"{name} ({call.name}): shape {_our_shape(row)} vs torch {call.shape}")
        if row.result.trainable != call.params:
            mismatches.append(f"{name} ({call.name}): {row.result.trainable} params vs torch {call.params}")
        if row.result.macs != call.macs:
            mismatches.append(f"{name} ({call.name}): {row.result.macs} MACs vs torch {call.macs}")
        if _our_setting(row) != call.setting:
            mismatches.append(f"{name} ({call.name}): {_our_setting(row)!r} vs torch {call.setting!r}")
    assert not mismatches, f"{case.config}:\n" + "\n".join(mismatches)


def test_totals(pair: Any) -> None:
    _case, net, calls, _ours, summary = pair
    t = summary.totals
    assert t.trainable_params == sum(p.numel() for p in net.parameters())
    running = sum(
        b.numel() for name, b in net.named_buffers()
        if name.endswith(("running_mean", "running_var"))
    )
    assert t.non_trainable_params == running
    assert t.macs == sum(c.macs for c in calls)
    assert summary.output.dims == (1000,)
