"""The generated PyTorch module, instantiated by PyTorch, agrees with convcalc.

For every bundled network and for random networks: the module runs a forward
pass, and its trainable parameters, non-trainable numbers (frozen parameters
and buffers, without ``num_batches_tracked``) and output shape equal
convcalc's; so do every layer's, collected with forward hooks on the module
the export places it in (``Exported.places``: the file's name, except where
an ``if:`` renumbers a block instance's unnamed layers).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from convcalc.catalog import bundled
from convcalc.export import Exported, ExportError, Target, export_source, export_text
from convcalc.loader import load, parse

torch = pytest.importorskip("torch")

RUFF = shutil.which("ruff") or "/work/venv-dev/bin/ruff"


def instantiate(code: str):
    """The network class of generated ``code``, built (the last class in the module)."""
    namespace: dict = {}
    exec(compile(code, "<export>", "exec"), namespace)
    last = [line.split("(")[0][6:] for line in code.splitlines() if line.startswith("class ")][-1]
    return namespace[last]()


def counts(module) -> tuple[int, int]:
    """(trainable, non-trainable): frozen parameters and buffers count as non-trainable."""
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in module.parameters() if not p.requires_grad)
    buffers = sum(b.numel() for name, b in module.named_buffers() if not name.endswith("num_batches_tracked"))
    return trainable, frozen + buffers


def torch_shape(shape) -> tuple[int, ...]:
    """convcalc's channels-last shape as PyTorch holds it (without the batch): C×L, C×H×W, C×D×H×W."""
    dims = shape.dims
    return (dims[-1], *dims[:-1]) if len(dims) > 1 else dims


def check_against(summary, exported: Exported) -> int:
    """Run the module and compare it layer by layer; returns how many layers were matched."""
    net = instantiate(exported.code).eval()
    modules = dict(net.named_modules())
    places = exported.places
    assert len(set(places.values())) == len(places), "two layers placed in one module"
    seen: dict[str, tuple[int, ...]] = {}
    hooks = [
        modules[place].register_forward_hook(lambda _m, _i, out, place=place: seen.__setitem__(place, tuple(out.shape[1:])))
        for place in places.values()
    ]
    x = torch.randn(2, *torch_shape(summary.model.input))
    with torch.no_grad():
        y = net(x)
    for hook in hooks:
        hook.remove()
    t = summary.totals
    assert tuple(y.shape) == (2, *torch_shape(summary.output))
    assert counts(net) == (t.trainable_params, t.non_trainable_params)
    matched = 0
    for row in summary.rows:
        place = places.get(row.node.name)
        if place is None:
            assert row.result.params == 0, f"layer {row.node.name!r} has parameters but no module"
            continue
        matched += 1
        assert seen[place] == torch_shape(row.result.output), (row.node.name, place)
        assert counts(modules[place]) == (row.result.trainable, row.result.non_trainable), (row.node.name, place)
    return matched


@pytest.mark.parametrize("name", list(bundled()), ids=str)
def test_bundled_network_matches_torch(name: str) -> None:
    summary = load(bundled()[name])
    exported = export_source(name, Target.PYTORCH)
    assert check_against(summary, exported) > 0


@pytest.mark.parametrize("name", list(bundled()), ids=str)
def test_generated_code_passes_ruff(name: str, tmp_path: Path) -> None:
    if not Path(RUFF).exists():
        pytest.skip("ruff is not installed")
    target = tmp_path / f"{name}.py"
    target.write_text(export_source(name, Target.PYTORCH).code, encoding="utf-8")
    result = subprocess.run([RUFF, "check", "--no-cache", "--isolated", str(target)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("name", list(bundled()), ids=str)
def test_generated_code_imports_only_torch(name: str) -> None:
    code = export_source(name, Target.PYTORCH).code
    imports = [line for line in code.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["import torch", "from torch import nn"]


def test_resnet50_is_short_and_has_one_block_class() -> None:
    code = export_source("resnet50", Target.PYTORCH).code
    assert len(code.splitlines()) < 120
    assert code.count("class Bottleneck(nn.Module)") == 1
    assert code.count("class ") == 2  # the block and the network


MOBILENET_FORWARD = """
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = x
        if self.t != 1:
            out = self.expand(out)
            out = self.expand_bn(out)
            out = self.expand_relu(out)
        out = self.depthwise(out)
        out = self.depthwise_bn(out)
        out = self.depthwise_relu(out)
        out = self.project(out)
        out = self.project_bn(out)
        if self.stride == 1 and self.cin == self.cout:
            out = out + x
        return out
"""


def test_a_shortcut_only_where_the_shape_is_kept_is_one_chain_and_an_if() -> None:
    """mobilenet_v2 says it as a residual under ``if: C`` beside the same layers under ``if: not C``."""
    code = export_source("mobilenet_v2", Target.PYTORCH).code
    assert MOBILENET_FORWARD in code
    assert code.count("self.depthwise = ") == 1
    assert len(code.splitlines()) <= 100  # 123 before the if-pair became one chain


SKIPPED = """
input: [12, 12, 4]
blocks:
  unit:
    params: {proj: true}
    layers:
      - conv2d: {filters: 6, kernel: 1, if: $proj}
      - conv2d: {filters: 6, kernel: 3, padding: 1}
layers:
  - unit: {name: a}
  - unit: {name: b, proj: false}
"""


def test_places_follow_each_instance_when_an_if_renumbers_its_layers() -> None:
    # In b the first conv2d is skipped, so the loader calls the second one conv2d, as the class cannot.
    exported = export_text(SKIPPED, Target.PYTORCH)
    assert exported.places == {"a.conv2d": "a.conv2d", "a.conv2d_1": "a.conv2d_1", "b.conv2d": "b.conv2d_1"}
    assert check_against(parse(SKIPPED), exported) == 3


FROZEN = """
input: [16, 16, 3]
blocks:
  unit:
    params: {c: 8}
    layers:
      - conv2d: {filters: $c, kernel: 3, padding: same, name: conv}
      - batchnorm2d: {name: bn}
layers:
  - unit: {name: stem, c: 8, trainable: false}
  - conv2d: {filters: 4, kernel: 3, stride: 2, padding: same, name: down}
  - unit: {name: head, c: 4}
"""


def test_frozen_blocks_and_same_padding() -> None:
    summary = parse(FROZEN)
    exported = export_text(FROZEN, Target.PYTORCH)
    assert "requires_grad_(False)" in exported.code
    assert "nn.ZeroPad2d((0, 1, 0, 1))" in exported.code  # 16 → 8 with kernel 3, stride 2: 1 extra pixel, bottom/right
    assert check_against(summary, exported) == len(summary.rows)


# ---------------------------------------------------------------- random networks

from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_LAYERS = [
    "conv2d: {filters: 6, kernel: 3, padding: 1}",
    "conv2d: {filters: 8, kernel: 3, padding: same}", "conv2d: {filters: 8, kernel: 3, stride: 2, padding: 1}",
    "conv2d: {filters: 4, kernel: 2, padding: [0, 1, 0, 1], bias: false}",
    "conv2d: {filters: $c, kernel: 1, groups: 1}",
    "batchnorm2d", "relu", "gelu", "hardswish", "layernorm", "prelu: {per: channel}", "scale: {init: 0.5}",
    "maxpool2d: {kernel: 3, stride: 1, padding: 1}", "avgpool2d: {kernel: 2, stride: 1, padding: [0, 1, 0, 1]}",
    "dense: {units: 5}", "groupnorm: {groups: 1}", "instancenorm: {affine: true, track_running_stats: true}",
    "channel_shuffle: {groups: 1}", "dropout: {rate: 0.1}", "drop_path: {rate: 0.1}",
    "residual: {body: [conv2d: {filters: $c, kernel: 3, padding: 1}, batchnorm2d], shortcut: [conv2d: {filters: $c, kernel: 1, if: $proj}]}",
    "branches: {paths: [[conv2d: {filters: 3, kernel: 1}], [conv2d: {filters: 5, kernel: 3, padding: 1}]]}",
    "split: {parts: 2}",
    # mobilenet_v2's "shortcut only where the shape is kept": a residual and its twin under the opposite condition
    "residual: {if: $proj, body: [conv2d: {filters: $c, kernel: 1, if: $c != 8}, relu, conv2d: {filters: $c, kernel: 3, padding: 1}]}"
    "{NL}sequential: {if: $not proj, layers: [conv2d: {filters: $c, kernel: 1, if: $c != 8}, relu, conv2d: {filters: $c, kernel: 3, padding: 1}]}",
]


def _network(picks: list[int], heads: list[int], frozen: bool) -> str:
    inner = "\n".join(f"      - {_LAYERS[i]}".replace("{NL}", "\n      - ") for i in picks)
    head = "\n".join(f"  - {_LAYERS[i].replace('$c != 8', 'true').replace('$c', '7').replace('$proj', 'true').replace('$not proj', 'false')}".replace("{NL}", "\n  - ") for i in heads)
    return (
        "input: [12, 12, 4]\nblocks:\n  unit:\n    params: {c: 6, proj: true}\n    layers:\n"
        f"      - conv2d: {{filters: $c, kernel: 1, name: entry}}\n{inner}\n"
        f"layers:\n  - unit: {{name: a, repeat: 2, first: {{c: 8}}{', trainable: false' if frozen else ''}}}\n"
        f"  - unit: {{name: b, c: 4, proj: false}}\n{head}\n  - global_avgpool2d\n  - dense: {{units: 3}}\n"
    )


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(0, len(_LAYERS) - 1), min_size=1, max_size=6),
    st.lists(st.integers(0, len(_LAYERS) - 1), max_size=4),
    st.booleans(),
)
def test_random_networks_match_torch(picks: list[int], heads: list[int], frozen: bool) -> None:
    from convcalc.errors import ConvCalcError

    text = _network(picks, heads, frozen)
    try:
        summary = parse(text)
    except ConvCalcError:  # an impossible combination (e.g. a split's channels after a split): not the exporter's case
        return
    try:
        exported = export_text(text, Target.PYTORCH)
    except ExportError as error:
        # The one documented refusal a random block can meet: 'same' padding whose
        # pixels differ between instances of different sizes (docs/export.md).
        assume("comes to different pixels in different instances" not in error.reason)
        raise
    check_against(summary, exported)


_LAYERS_ND = [
    "conv{n}d: {{filters: 6, kernel: 3, padding: 1}}", "conv{n}d: {{filters: 8, kernel: 3, padding: same}}",
    "conv{n}d: {{filters: 8, kernel: 4, padding: same}}", "conv{n}d: {{filters: $c, kernel: 1, bias: false}}",
    "batchnorm{n}d", "relu", "prelu: {{per: channel}}", "scale: {{init: 0.5}}", "dense: {{units: 5}}", "dropout: {{rate: 0.1}}",
    "maxpool{n}d: {{kernel: 3, stride: 1, padding: 1}}", "maxpool{n}d: {{kernel: 2, stride: 1, padding: same}}", "zeropad{n}d: {{padding: 1}}",
    "avgpool{n}d: {{kernel: 2}}",
    "residual: {{body: [conv{n}d: {{filters: $c, kernel: 3, padding: 1}}, batchnorm{n}d], shortcut: [conv{n}d: {{filters: $c, kernel: 1, if: $proj}}]}}",
    "branches: {{paths: [[conv{n}d: {{filters: 3, kernel: 1}}], [conv{n}d: {{filters: 5, kernel: 3, padding: 1}}]]}}",
    "split: {{parts: 2}}",
]
_INPUTS = {1: "[40, 4]", 3: "[6, 10, 10, 3]"}
"""Uneven ``same`` padding (kernel 4, or 2) comes to the same pixels whatever the size, as a block's instances need."""


def _network_nd(n: int, picks: list[int], heads: list[int]) -> str:
    inner = "\n".join(f"      - {_LAYERS_ND[i].format(n=n)}" for i in picks)
    head = "\n".join(f"  - {_LAYERS_ND[i].format(n=n).replace('$c', '7').replace('$proj', 'true')}" for i in heads)
    return (
        f"input: {_INPUTS[n]}\nblocks:\n  unit:\n    params: {{c: 6, proj: true}}\n    layers:\n"
        f"      - conv{n}d: {{filters: $c, kernel: 1, name: entry}}\n{inner}\n"
        f"layers:\n  - unit: {{name: a, repeat: 2, first: {{c: 8}}}}\n"
        f"  - unit: {{name: b, c: 4, proj: false}}\n{head}\n  - global_avgpool{n}d\n  - dense: {{units: 3}}\n"
    )


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([1, 3]),
    st.lists(st.integers(0, len(_LAYERS_ND) - 1), min_size=1, max_size=5),
    st.lists(st.integers(0, len(_LAYERS_ND) - 1), max_size=3),
)
def test_random_1d_and_3d_networks_match_torch(n: int, picks: list[int], heads: list[int]) -> None:
    from convcalc.errors import ConvCalcError

    text = _network_nd(n, picks, heads)
    try:
        summary = parse(text)
    except ConvCalcError:  # an impossible combination (a map shrunk away by strides): not the exporter's case
        return
    check_against(summary, export_text(text, Target.PYTORCH))
