"""Round trip: convcalc's PyTorch export, exported again by ``torch.onnx.export``, reads back with the same figures.

Optional: needs torch and onnx. The ONNX file is written by PyTorch's own
exporter from the generated module and read by convcalc's ONNX importer, so
the figures on the way back come from the graph PyTorch traced, not from
the file the module was generated from.

The module is exported in training mode (``TrainingMode.PRESERVE``), with
only dropout and stochastic depth in eval mode, on purpose: in eval mode
PyTorch folds each batch norm into the convolution before it, so the file
holds other parameters than the module (no running statistics, a bias on
each convolution), and a training-mode stochastic depth is a random mask.
In either mode an ``nn.ZeroPad2d`` becomes a ``Pad`` whose pads a small
graph of constants computes (Concat, Reshape, Slice, Transpose, Cast), which
the importer evaluates. The eval export, the file people
ship, is checked too, for the 1-D, 3-D and padded models: same MACs and
output, and the parameters the file holds. Uses PyTorch's TorchScript
exporter (``dynamo=False``): the dynamo exporter folds batch norms as well.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest

from convcalc.catalog import bundled
from convcalc.export import Target, export_source
from convcalc.importers import load_source
from convcalc.loader import load, parse

torch = pytest.importorskip("torch")
pytest.importorskip("onnx")

KNOWN = {
    "shufflenet_v2_x1_0": pytest.mark.skip(reason="PyTorch's TorchScript ONNX exporter cannot write aten::channel_shuffle (opset 20)"),
}
"""Where the round trip stops today, and why: limits of torch.onnx (an importer limit would be a strict xfail)."""


def onnx_figures(name: str, tmp_path: Path, *, eval_mode: bool = False):
    """The summary convcalc reads from the ONNX file PyTorch writes for the generated module
    (and the file's path), exported in training mode or, with ``eval_mode``, as shipped."""
    summary = load(bundled()[name])
    code = export_source(name, Target.PYTORCH).code
    namespace: dict = {}
    exec(compile(code, "<export>", "exec"), namespace)
    network = [line.split("(")[0][6:] for line in code.splitlines() if line.startswith("class ")][-1]
    net = namespace[network]().train()
    for module in net.modules():
        if eval_mode or isinstance(module, torch.nn.Dropout) or type(module).__name__ == "DropPath":
            module.eval()
    shape = summary.model.input
    x = torch.randn(1, shape.channels, *shape.dims[:-1])
    path = tmp_path / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and training-mode notices
        mode = torch.onnx.TrainingMode.EVAL if eval_mode else torch.onnx.TrainingMode.PRESERVE
        torch.onnx.export(net, (x,), str(path), dynamo=False, training=mode)
    return summary, parse(load_source(path), path.name), path


@pytest.mark.parametrize("name", [pytest.param(n, marks=KNOWN.get(n, ())) for n in bundled()], ids=str)
def test_export_then_onnx_gives_the_same_figures(name: str, tmp_path: Path) -> None:
    summary, back, _ = onnx_figures(name, tmp_path)
    ours, theirs = summary.totals, back.totals
    assert (theirs.params, theirs.trainable_params, theirs.non_trainable_params) == (ours.params, ours.trainable_params, ours.non_trainable_params)
    assert theirs.macs == ours.macs
    assert back.output == summary.output


def stored_weights(path: Path) -> int:
    """Elements of the tensors the file's convolutions and matrix products read: its parameters.
    (The exporter stores equal tensors once, an untrained network's folded biases among them, and gives
    each use its own name through an ``Identity`` node: each name is a tensor of its own.)"""
    import onnx

    model = onnx.load(str(path))
    sizes = {t.name: math.prod(t.dims) for t in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type == "Identity" and n.input[0] in sizes:
            sizes[n.output[0]] = sizes[n.input[0]]
    used = {name for n in model.graph.node if n.op_type in ("Conv", "Gemm") for name in n.input[1:]}
    return sum(sizes[name] for name in used if name in sizes)


@pytest.mark.parametrize("name", ["m5", "r3d_18", "resnet50_stem"], ids=str)
def test_eval_export_gives_the_same_compute(name: str, tmp_path: Path) -> None:
    """In eval mode batch norm is folded into the convolutions: MACs and output stay, the parameters are the file's."""
    summary, back, path = onnx_figures(name, tmp_path, eval_mode=True)
    assert back.totals.macs == summary.totals.macs
    assert back.output == summary.output
    assert not any(r.node.spec.kind.startswith("batchnorm") for r in back.rows)
    assert back.totals.params == stored_weights(path)
