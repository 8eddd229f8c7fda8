"""The generated PyTorch module, instantiated by PyTorch, agrees with convcalc.

For every bundled network and for random networks: the module runs a forward
pass, and its trainable parameters, non-trainable numbers (frozen parameters
and buffers, without ``num_batches_tracked``) and output shape equal
convcalc's; so do every layer's, matched by name with forward hooks.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from convcalc.catalog import bundled
from convcalc.export import ExportError, Target, export_source, export_text
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


def normalised(name: str) -> str:
    """A layer name as the exporter may have made it legal Python: conv-1 → conv_1, 0 → _0 (in attributes)."""
    return ".".join(part.replace("-", "_").lstrip("_") for part in name.split("."))


def torch_shape(shape) -> tuple[int, ...]:
    """convcalc's channels-last shape as PyTorch holds it (without the batch)."""
    dims = shape.dims
    return (dims[2], dims[0], dims[1]) if len(dims) == 3 else dims


def check_against(summary, code: str) -> int:
    """Run the module and compare it layer by layer; returns how many layers were matched."""
    net = instantiate(code).eval()
    modules = {normalised(name): module for name, module in net.named_modules()}
    seen: dict[str, tuple[int, ...]] = {}
    hooks = [
        module.register_forward_hook(lambda _m, _i, out, name=name: seen.__setitem__(name, tuple(out.shape[1:])))
        for name, module in modules.items() if name
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
        name = normalised(row.node.name)
        if name not in modules:
            assert row.result.params == 0, f"layer {name!r} has parameters but no module of that name"
            continue
        matched += 1
        assert seen[name] == torch_shape(row.result.output), name
        assert counts(modules[name]) == (row.result.trainable, row.result.non_trainable), name
    return matched


REFUSED = {name: "has no export rule for conv[13]d" for name in ("m5", "r3d_18", "r2plus1d_18")}
"""Bundled networks with kinds the exporter does not write yet (1-D and 3-D layers), and the sentence."""


@pytest.mark.parametrize("name", list(bundled()), ids=str)
def test_bundled_network_matches_torch(name: str) -> None:
    summary = load(bundled()[name])
    if name in REFUSED:
        with pytest.raises(ExportError, match=REFUSED[name]):
            export_source(name, Target.PYTORCH)
        return
    code = export_source(name, Target.PYTORCH)
    assert check_against(summary, code) > 0


@pytest.mark.parametrize("name", list(bundled()), ids=str)
def test_generated_code_passes_ruff(name: str, tmp_path: Path) -> None:
    if not Path(RUFF).exists() or name in REFUSED:
        pytest.skip("ruff is not installed" if name not in REFUSED else "not exported")
    target = tmp_path / f"{name}.py"
    target.write_text(export_source(name, Target.PYTORCH), encoding="utf-8")
    result = subprocess.run([RUFF, "check", "--no-cache", "--isolated", str(target)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_resnet50_is_short_and_has_one_block_class() -> None:
    code = export_source("resnet50", Target.PYTORCH)
    assert len(code.splitlines()) < 120
    assert code.count("class Bottleneck(nn.Module)") == 1
    assert code.count("class ") == 2  # the block and the network


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
    code = export_text(FROZEN, Target.PYTORCH)
    assert "requires_grad_(False)" in code
    assert "nn.ZeroPad2d((0, 1, 0, 1))" in code  # 16 → 8 with kernel 3, stride 2: 1 extra pixel, bottom/right
    assert check_against(summary, code) == len([r for r in summary.rows])


# ---------------------------------------------------------------- random networks

from hypothesis import HealthCheck, given, settings  # noqa: E402
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
]


def _network(picks: list[int], heads: list[int], frozen: bool) -> str:
    inner = "\n".join(f"      - {_LAYERS[i]}" for i in picks)
    head = "\n".join(f"  - {_LAYERS[i].replace('$c', '7').replace('$proj', 'true')}" for i in heads)
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
    check_against(summary, export_text(text, Target.PYTORCH))
