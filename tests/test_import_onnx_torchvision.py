"""torchvision classifiers exported to ONNX and read back (optional, slow).

Runs where torch, torchvision and onnx are installed (``/work/venv-tv``);
skips elsewhere. Each network (``weights=None``) is exported three ways:

- ``ts-eval``: ``dynamo=False``, opset 17, eval mode: batch norm folded into
  the convolutions;
- ``ts-preserve``: ``training=TrainingMode.PRESERVE, do_constant_folding=False``:
  batch norm kept as ``BatchNormalization`` nodes;
- ``dynamo``: ``dynamo=True``; its optimiser folds batch norm too. Untrained
  networks hold many equal tensors (zero biases, unit scales and variances),
  which this exporter stores once and reads from several nodes, and all-zero
  biases it drops; so for this form every parameter and buffer is first set
  to random values, as a trained network's are.

The referees are torch and the file: the output shape is the torch model's;
MACs are counted from forward hooks on the torch convolutions and linears
(output elements × ``weight[0].numel()``, output elements × in_features);
with batch norm kept, trainable parameters are ``sum(p.numel())`` and
non-trainable ones the running statistics. With batch norm folded the file
holds different numbers (a bias per folded convolution instead of γ, β, mean
and variance), so parameters are checked against the element count of the
weights the file's nodes read.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
models = pytest.importorskip("torchvision.models")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxscript")

from convcalc.importers import load_source  # noqa: E402
from convcalc.loader import parse_model  # noqa: E402
from convcalc.model import analyse  # noqa: E402

NAMES = [
    "resnet50",
    "mobilenet_v2",
    "densenet121",
    "inception_v3",
    "efficientnet_b0",
    "mobilenet_v3_large",
    "shufflenet_v2_x1_0",
    "convnext_tiny",
    "vgg16",
    "squeezenet1_1",  # ceil_mode max pools, fire modules' concat
    "regnet_y_400mf",  # grouped convs, squeeze-excitation
    "mnasnet0_5",
]
FORMS = ["ts-eval", "ts-preserve", "dynamo"]
WEIGHT_INPUTS = {
    "Conv": (1, 2), "ConvTranspose": (1, 2), "Gemm": (1, 2), "MatMul": (1,), "Add": (0, 1), "Mul": (0, 1),
    "BatchNormalization": (1, 2, 3, 4), "LayerNormalization": (1, 2),
}


def _build(name: str) -> Any:
    kwargs = {"init_weights": True, "aux_logits": True} if name == "inception_v3" else {}
    return getattr(models, name)(weights=None, **kwargs).eval()


def _side(name: str) -> int:
    return 299 if name == "inception_v3" else 224


class Reference:
    """What torch says about one network."""

    def __init__(self, name: str) -> None:
        self.model = _build(name)
        self.x = torch.zeros(1, 3, _side(name), _side(name))
        self.macs = 0
        self.ran: dict[int, Any] = {}
        handles = [m.register_forward_hook(self._count) for m in self.model.modules() if not list(m.children())]
        with torch.no_grad():
            out = self.model(self.x)
        for h in handles:
            h.remove()
        self.output = tuple(out.shape[1:])
        # Modules that ran: inception_v3's auxiliary classifier does not in eval mode, nor is it exported.
        self.trainable = sum(p.numel() for m in self.ran.values() for p in m.parameters(recurse=False))
        self.trainable += sum(p.numel() for m in self.model.modules() if list(m.children()) for p in m.parameters(recurse=False))
        self.statistics = sum(
            m.running_mean.numel() + m.running_var.numel() for m in self.ran.values() if isinstance(m, torch.nn.BatchNorm2d)
        )

    def _count(self, module: Any, inputs: Any, output: Any) -> None:
        self.ran[id(module)] = module
        if isinstance(module, torch.nn.Conv2d):
            self.macs += output.numel() * module.weight[0].numel()
        elif isinstance(module, torch.nn.Linear):
            self.macs += output.numel() * module.in_features


@pytest.fixture(scope="module")
def references() -> dict[str, Reference]:
    return {}


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A temporary folder, or $CONVCALC_ONNX_EXPORTS to keep the exports between runs."""
    import os

    kept = os.environ.get("CONVCALC_ONNX_EXPORTS")
    if kept:
        Path(kept).mkdir(parents=True, exist_ok=True)
        return Path(kept)
    return tmp_path_factory.mktemp("onnx")


def _export(reference: Reference, name: str, form: str, folder: Path) -> Path:
    import warnings

    path = folder / f"{name}.{form}{'-random' if form == 'dynamo' else ''}.onnx"
    if path.exists():
        return path
    kwargs: dict[str, Any] = {}
    if form == "ts-preserve":
        kwargs = {"training": torch.onnx.TrainingMode.PRESERVE, "do_constant_folding": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if form == "dynamo":
            model = copy.deepcopy(reference.model)
            with torch.no_grad():
                for tensor in [*model.parameters(), *model.buffers()]:
                    if tensor.is_floating_point():
                        tensor.uniform_(0.5, 1.5)
            torch.onnx.export(model, (reference.x,), str(path), dynamo=True, external_data=False, verbose=False)
        else:
            torch.onnx.export(reference.model, (reference.x,), str(path), dynamo=False, opset_version=17, **kwargs)
    return path


def _file_weights(path: Path) -> int:
    """Elements of the initializers the nodes read as weights (Identity aliases followed)."""
    model = onnx.load(str(path), load_external_data=False)
    g = model.graph
    sizes = {t.name: math.prod(t.dims) for t in g.initializer if t.data_type in (1, 10, 11, 16)}
    for node in g.node:
        if node.op_type == "Identity" and node.input[0] in sizes:
            sizes[node.output[0]] = sizes[node.input[0]]
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value" and a.t.data_type in (1, 10, 11, 16):
                    sizes[node.output[0]] = math.prod(a.t.dims)
    used = {n.input[i] for n in g.node for i in WEIGHT_INPUTS.get(n.op_type, ()) if i < len(n.input)}
    return sum(sizes[name] for name in used if sizes.get(name, 0) > 1)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("name", NAMES)
def test_torchvision_export(name: str, form: str, references: dict[str, Reference], exports: Path) -> None:
    reference = references.get(name) or references.setdefault(name, Reference(name))
    path = _export(reference, name, form, exports)
    text = load_source(path)
    summary = analyse(parse_model(text, str(path)))
    totals = summary.totals
    assert summary.output.dims == reference.output
    assert totals.macs == reference.macs
    if form == "ts-preserve":
        assert (totals.trainable_params, totals.non_trainable_params) == (reference.trainable, reference.statistics)
    else:
        assert totals.params == _file_weights(path)


@pytest.mark.parametrize("name", NAMES)
def test_imported_file_passes_check_strict(name: str, references: dict[str, Reference], exports: Path, tmp_path: Path) -> None:
    """``convcalc import`` output passes ``check --strict``, bar genuine findings (CC201: pixels no window reads)."""
    from convcalc.check import check_file

    reference = references.get(name) or references.setdefault(name, Reference(name))
    target = tmp_path / f"{name}.yaml"
    target.write_text(load_source(_export(reference, name, "ts-eval", exports)))
    assert {f.code for f in check_file(str(target), strict=True)} <= {"CC201"}
