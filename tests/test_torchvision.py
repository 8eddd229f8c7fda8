"""The bundled configs against the real torchvision networks (optional).

Each network is built with ``weights=None`` and run once on a 1×3×224×224
input with forward hooks on its leaf modules. The convolution, linear,
batch-norm and pooling calls, in execution order, must pair one to one with
convcalc's rows of the same kinds, agreeing on output shape (torch's N×C×H×W
read as H×W×C) and on parameters; where a config uses torchvision's layer
names (resnet50: ``conv1``, ``layer1.0.conv2``, ``fc``) each pair must also
agree on the name. Totals: sum of ``p.numel()`` = convcalc's trainable
parameters, batch norms' running statistics = its non-trainable ones, and the
MACs counted from the hooks (conv: output elements × weight[0].numel();
linear: output elements × in_features) = its MACs.
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
}
OUR_KINDS = {
    "conv2d": "conv",
    "dense": "dense",
    "batchnorm2d": "bn",
    "maxpool2d": "maxpool",
    "avgpool2d": "avgpool",
    "adaptive_avgpool2d": "adaptive_avgpool",
    "global_avgpool2d": "adaptive_avgpool",  # torch: AdaptiveAvgPool2d((1, 1))
}


def _resnet_name(ours: str) -> str:
    """Our names are torchvision's but for the shortcut (no dots in a name)."""
    return ours.replace("downsample_conv", "downsample.0").replace("downsample_bn", "downsample.1")


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
]


class Call(NamedTuple):
    name: str
    kind: str
    shape: tuple[int, ...]
    """Channels last, batch dropped."""
    params: int
    macs: int


def _hwc(shape: torch.Size) -> tuple[int, ...]:
    dims = tuple(shape)[1:]
    return (*dims[1:], dims[0]) if len(dims) == 3 else dims


def _macs(module: Any, out: Any) -> int:
    if isinstance(module, nn.Conv2d):
        return out.numel() * module.weight[0].numel()
    if isinstance(module, nn.Linear):
        return out.numel() * module.in_features
    return 0


def trace(net: Any) -> list[Call]:
    """Leaf-module calls of the kinds we compare, in execution order."""
    calls: list[Call] = []
    handles = []
    for name, module in net.named_modules():
        kind = TORCH_KINDS.get(type(module))
        if kind is None or any(True for _ in module.children()):
            continue

        def hook(m: Any, _inputs: Any, out: Any, name: str = name, kind: str = kind) -> None:
            params = sum(p.numel() for p in m.parameters(recurse=False))
            calls.append(Call(name, kind, _hwc(out.shape), params, _macs(m, out)))

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
    # global pooling gives C; torch keeps 1×1×C until the flatten
    return (1, 1, *dims) if row.node.spec.kind == "global_avgpool2d" else dims


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
