"""The bundled 1-D and 3-D configs against PyTorch networks (optional).

``r3d_18`` and ``r2plus1d_18`` are torchvision's video models
(``weights=None``) on one 1×3×16×112×112 clip; ``m5`` is Dai et al.'s M5,
written out below as a PyTorch module, on one 1×1×32000 waveform. The
networks are built and run on torch's ``meta`` device: its kernels compute
shapes by torch's own rules without touching numbers (convcalc's ``--verify``
is the numerical check), so a 40-GMAC video network costs no time.

Forward hooks on the leaf convolutions, batch norms, pools and linear layers
record, in execution order, each call's name, output shape (torch's N×C×…
read as …×C), parameters (``p.numel()``), running statistics
(``running_mean`` + ``running_var``), MACs (a conv: output elements ×
``weight[0].numel()``; a linear: output elements × ``in_features``) and
``eps``. They must pair one to one, by name, with convcalc's rows of the same
kinds — the configs use torch's module names — and agree on every figure.
Totals: the sum of ``p.numel()`` is convcalc's trainable count, the running
statistics its non-trainable count, the hooks' MACs its MACs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

import convcalc
from convcalc.loader import load_model
from convcalc.model import Row, Summary, analyse

torch = pytest.importorskip("torch")
nn = torch.nn

CONFIGS = Path(convcalc.__file__).parent / "configs"

# torch module type / convcalc kind → what is compared against what.
TORCH_KINDS: dict[type, str] = {
    nn.Conv1d: "conv",
    nn.Conv3d: "conv",
    nn.Linear: "dense",
    nn.BatchNorm1d: "bn",
    nn.BatchNorm3d: "bn",
    nn.MaxPool1d: "maxpool",
    nn.AdaptiveAvgPool1d: "global_avgpool",
    nn.AdaptiveAvgPool3d: "global_avgpool",
}
OUR_KINDS = {
    "conv1d": "conv",
    "conv3d": "conv",
    "dense": "dense",
    "batchnorm1d": "bn",
    "batchnorm3d": "bn",
    "maxpool1d": "maxpool",
    "global_avgpool1d": "global_avgpool",
    "global_avgpool3d": "global_avgpool",
}


class M5(nn.Module):
    """M5 (Dai et al., 2017, table 1) for 8 kHz audio and UrbanSound8K's 10 classes.

    Each conv is followed by a batch norm and a ReLU, each pool takes 4
    positions; the convs pad as TensorFlow's "same" does here (the 80-tap,
    stride-4 conv of 32,000 samples: (8000 − 1)·4 + 80 − 32000 = 76, so 38 on
    each side) and the pools round up, as m5.yaml says.
    """

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(1, 128, kernel_size=80, stride=4, padding=38)
        self.bn1 = nn.BatchNorm1d(128)
        self.pool1 = nn.MaxPool1d(4, ceil_mode=True)
        self.conv2 = nn.Conv1d(128, 128, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm1d(128)
        self.pool2 = nn.MaxPool1d(4, ceil_mode=True)
        self.conv3 = nn.Conv1d(128, 256, kernel_size=3, padding=1)
        self.bn3 = nn.BatchNorm1d(256)
        self.pool3 = nn.MaxPool1d(4, ceil_mode=True)
        self.conv4 = nn.Conv1d(256, 512, kernel_size=3, padding=1)
        self.bn4 = nn.BatchNorm1d(512)
        self.pool4 = nn.MaxPool1d(4, ceil_mode=True)
        self.avgpool = nn.AdaptiveAvgPool1d(1)
        self.fc = nn.Linear(512, 10)

    def forward(self, x: Any) -> Any:
        for conv, bn, pool in (
            (self.conv1, self.bn1, self.pool1),
            (self.conv2, self.bn2, self.pool2),
            (self.conv3, self.bn3, self.pool3),
            (self.conv4, self.bn4, self.pool4),
        ):
            x = pool(torch.relu(bn(conv(x))))
        return torch.softmax(self.fc(self.avgpool(x).flatten(1)), dim=1)


def _r3d_18() -> Any:
    return pytest.importorskip("torchvision.models.video").r3d_18(weights=None)


def _r2plus1d_18() -> Any:
    return pytest.importorskip("torchvision.models.video").r2plus1d_18(weights=None)


class Case(NamedTuple):
    config: str
    build: Callable[[], Any]
    input: tuple[int, ...]
    """Torch's N×C×… input."""
    output: tuple[int, ...]


CASES = [
    Case("r3d_18", _r3d_18, (1, 3, 16, 112, 112), (400,)),
    Case("r2plus1d_18", _r2plus1d_18, (1, 3, 16, 112, 112), (400,)),
    Case("m5", M5, (1, 1, 32000), (10,)),
]


class Call(NamedTuple):
    name: str
    kind: str
    shape: tuple[int, ...]
    """Channels last, batch dropped; a global pool's 1×…×1×C kept."""
    trainable: int
    running: int
    """Running mean + running variance."""
    macs: int
    eps: float | None


def _channels_last(shape: Any) -> tuple[int, ...]:
    dims = tuple(shape)[1:]
    return dims if len(dims) == 1 else (*dims[1:], dims[0])


def _macs(module: Any, out: Any) -> int:
    if isinstance(module, (nn.Conv1d, nn.Conv3d)):
        return out.numel() * module.weight[0].numel()
    if isinstance(module, nn.Linear):
        return out.numel() * module.in_features
    return 0


def trace(net: Any, shape: tuple[int, ...]) -> tuple[list[Call], Any]:
    """Leaf-module calls of the compared kinds, in execution order, and the output."""
    calls: list[Call] = []
    handles = []
    for name, module in net.named_modules():
        # isinstance, not type(): torchvision's Conv3DSimple is a Conv3d
        kind = next((k for t, k in TORCH_KINDS.items() if isinstance(module, t)), None)
        if kind is None:
            continue

        def hook(m: Any, _inputs: Any, out: Any, name: str = name, kind: str = kind) -> None:
            running = sum(
                b.numel() for n, b in m.named_buffers(recurse=False) if n in ("running_mean", "running_var")
            )
            trainable = sum(p.numel() for p in m.parameters(recurse=False))
            eps = getattr(m, "eps", None)
            calls.append(Call(name, kind, _channels_last(out.shape), trainable, running, _macs(m, out), eps))

        handles.append(module.register_forward_hook(hook))
    try:
        with torch.no_grad():
            out = net.eval()(torch.zeros(shape, device="meta"))
    finally:
        for h in handles:
            h.remove()
    return calls, out


def _our_shape(row: Row) -> tuple[int, ...]:
    dims = row.result.output.dims
    # our global pooling gives C; torch's adaptive pooling keeps 1×…×1×C until the flatten
    if row.node.spec.kind.startswith("global_") and len(dims) == 1:
        return (*(1,) * len(row.inputs[0].spatial), *dims)
    return dims


class Pair(NamedTuple):
    case: Case
    net: Any
    calls: list[Call]
    out: Any
    ours: list[Row]
    summary: Summary


@pytest.fixture(scope="module", params=CASES, ids=lambda c: c.config)
def pair(request: pytest.FixtureRequest) -> Pair:
    case: Case = request.param
    with torch.device("meta"):
        net = case.build()
    calls, out = trace(net, case.input)
    summary = analyse(load_model(CONFIGS / f"{case.config}.yaml"))
    ours = [r for r in summary.rows if r.node.spec.kind in OUR_KINDS]
    return Pair(case, net, calls, out, ours, summary)


def test_layers_pair_up_by_name(pair: Pair) -> None:
    theirs = [(c.name, c.kind) for c in pair.calls]
    mine = [(r.node.name, OUR_KINDS[r.node.spec.kind]) for r in pair.ours]
    assert mine == theirs, f"{pair.case.config}: layers differ\nours:  {mine}\ntorch: {theirs}"


def test_layer_figures(pair: Pair) -> None:
    mismatches = []
    for row, call in zip(pair.ours, pair.calls, strict=True):
        r = row.result
        ours = (_our_shape(row), r.trainable, r.non_trainable, r.macs, getattr(row.node.spec, "eps", None))
        theirs = (call.shape, call.trainable, call.running, call.macs, call.eps)
        if ours != theirs:
            mismatches.append(f"{call.name}: (shape, trainable, running, MACs, eps) {ours} vs torch {theirs}")
    assert not mismatches, f"{pair.case.config}:\n" + "\n".join(mismatches)


def test_totals(pair: Pair) -> None:
    t = pair.summary.totals
    running = sum(
        b.numel() for name, b in pair.net.named_buffers() if name.endswith(("running_mean", "running_var"))
    )
    assert (t.trainable_params, t.non_trainable_params, t.macs) == (
        sum(p.numel() for p in pair.net.parameters()),
        running,
        sum(c.macs for c in pair.calls),
    )
    assert pair.summary.output.dims == tuple(pair.out.shape)[1:] == pair.case.output


def test_r2plus1d_midplanes_follow_torchvision() -> None:
    """Each Conv2Plus1D's middle width, read off torchvision's modules, is what the config builds."""
    video = pytest.importorskip("torchvision.models.video")
    with torch.device("meta"):
        net = video.r2plus1d_18(weights=None)
    theirs = {
        name: module[0].out_channels
        for name, module in net.named_modules()
        if isinstance(module, video.resnet.Conv2Plus1D)
    }
    summary = analyse(load_model(CONFIGS / "r2plus1d_18.yaml"))
    ours = {name: summary.part(f"{name}.0").output.channels for name in theirs}
    assert ours == theirs
    assert sorted(set(theirs.values())) == [144, 230, 288, 460, 576, 921, 1152]
