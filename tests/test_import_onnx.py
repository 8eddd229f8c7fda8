"""ONNX import (optional): hand-built graphs against ONNX's own reference evaluator.

Each graph is built with ``onnx.helper`` and run once by
``onnx.reference.ReferenceEvaluator`` (NumPy) — the independent referee for
every output shape. Parameters are checked against what the file holds: the
element count of its float initializers, split for batch norm into scale and
bias (trainable) and running statistics (non-trainable). MACs are checked
against the convolution and matrix-product outputs the evaluator computes.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest

onnx = pytest.importorskip("onnx")
np = pytest.importorskip("numpy")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from convcalc.cli import app  # noqa: E402
from convcalc.importers import SourceError, load_source, read_document, to_yaml  # noqa: E402
from convcalc.importers.onnx import SharedWeightsWarning, UnknownOpWarning  # noqa: E402
from convcalc.loader import parse_model  # noqa: E402
from convcalc.model import analyse  # noqa: E402

DATA = Path(__file__).parent / "data" / "onnx"
RNG = np.random.default_rng(0)


# ----------------------------------------------------------------- building


class G:
    """A graph under construction: nodes, initializers, one float input (N×C×H×W unless given)."""

    def __init__(self, shape: tuple[int, ...] = (1, 3, 16, 16), *, input_dims: list[Any] | None = None) -> None:
        self.shape = shape
        self.input_dims = input_dims or list(shape)
        self.nodes: list[Any] = []
        self.inits: list[Any] = []
        self.count = 0
        self.opset = 17

    def w(self, name: str, *dims: int, value: Any = None) -> str:
        data = RNG.standard_normal(dims).astype(np.float32) if value is None else np.asarray(value)
        self.inits.append(numpy_helper.from_array(data, name))
        return name

    def ints(self, name: str, values: list[int]) -> str:
        self.inits.append(numpy_helper.from_array(np.asarray(values, dtype=np.int64), name))
        return name

    def const(self, values: Any, dtype: Any = np.int64) -> str:
        """A Constant node, as exporters write small tensors (rather than an initializer)."""
        return self.op("Constant", [], value=numpy_helper.from_array(np.asarray(values, dtype)))

    def torch_pads(self, sides: list[int], rank: int) -> str:
        """The pads TorchScript computes for ``F.pad(x, sides)`` (last axis first) when it does not fold
        constants (training mode): zeros appended, pairs reversed and transposed, flattened, cast."""
        pads = self.op("Concat", [self.const(sides), self.op("ConstantOfShape", [self.const([2 * rank - len(sides)])])], axis=0)
        pads = self.op("Reshape", [pads, self.const([-1, 2])])
        pads = self.op("Slice", [pads, self.const([-1]), self.const([-(2**63 - 1)]), self.const([0]), self.const([-1])])
        pads = self.op("Transpose", [pads], perm=[1, 0])
        pads = self.op("Reshape", [pads, self.const([-1])])
        return self.op("Cast", [pads], to=TensorProto.INT64)

    def bn(self, x: str, name: str, c: int, **attrs: Any) -> Any:
        stats = [self.w(f"{name}.mean", c), self.w(f"{name}.var", c, value=np.ones(c, np.float32))]
        return self.op("BatchNormalization", [x, self.w(f"{name}.weight", c), self.w(f"{name}.bias", c), *stats], **attrs)

    def op(self, op_type: str, inputs: list[str], n_out: int = 1, name: str | None = None, **attrs: Any) -> Any:
        self.count += 1
        outs = [f"t{self.count}_{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=name or f"{op_type.lower()}{self.count}", **attrs))
        return outs[0] if n_out == 1 else outs

    def model(self, output: str, opset: int | None = None) -> Any:
        graph = helper.make_graph(
            self.nodes,
            "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, self.input_dims)],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)],
            self.inits,
        )
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset or self.opset)])


def save(model: Any, tmp_path: Path, name: str = "m.onnx") -> Path:
    path = tmp_path / name
    onnx.save(model, str(path))
    return path


def figures(path: Path, **kwargs: Any) -> Any:
    text = load_source(path, **kwargs)
    return analyse(parse_model(text, str(path)))


def reference_output(model: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The evaluator's output shape, batch dropped, channels last for a map (N×C×L, N×C×H×W, N×C×D×H×W)."""
    x = RNG.standard_normal(shape).astype(np.float32)
    (y,) = ReferenceEvaluator(model).run(None, {"x": x})
    dims = y.shape[1:]
    return (*dims[1:], dims[0]) if len(dims) >= 2 else tuple(dims)


WEIGHT_INPUTS = {
    "Conv": (1, 2), "ConvTranspose": (1, 2), "Gemm": (1, 2), "MatMul": (1,), "Add": (0, 1), "Mul": (0, 1),
    "BatchNormalization": (1, 2, 3, 4), "LayerNormalization": (1, 2),
}
"""Inputs that hold weights, by op (a Resize's scales or a Reshape's shape do not)."""


def float_params(model: Any) -> int:
    """Elements of the initializers with more than one element read as weights: the file's parameters."""
    sizes = {t.name: math.prod(t.dims) for t in model.graph.initializer if t.data_type == TensorProto.FLOAT}
    used = {n.input[i] for n in model.graph.node for i in WEIGHT_INPUTS.get(n.op_type, ()) if i < len(n.input)}
    return sum(sizes[name] for name in used if sizes.get(name, 0) > 1)


# ------------------------------------------------------------- the graphs


def conv_stack() -> Any:
    """Conv (bias) → Relu → MaxPool → BN → GlobalAveragePool → Flatten → Gemm."""
    g = G()
    y = g.op("Conv", ["x", g.w("conv1.weight", 8, 3, 3, 3), g.w("conv1.bias", 8)], pads=[1, 1, 1, 1], strides=[2, 2])
    y = g.op("Relu", [y])
    y = g.op("MaxPool", [y], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    y = g.op("BatchNormalization", [y, g.w("bn.weight", 8), g.w("bn.bias", 8), g.w("bn.mean", 8), g.w("bn.var", 8, value=np.ones(8, np.float32))])
    y = g.op("GlobalAveragePool", [y])
    y = g.op("Flatten", [y], axis=1)
    y = g.op("Gemm", [y, g.w("fc.weight", 10, 8), g.w("fc.bias", 10)], transB=1)
    return g, y, 0 + 16  # non-trainable: BN mean and variance, 2·8


def depthwise_asymmetric() -> Any:
    """Grouped conv with asymmetric pads, dilation, SAME_UPPER, ceil-mode average pooling."""
    g = G((1, 4, 15, 15))
    y = g.op("Conv", ["x", g.w("dw", 4, 1, 3, 3)], group=4, pads=[0, 1, 2, 1], dilations=[2, 2])
    y = g.op("Conv", [y, g.w("pw", 6, 4, 3, 3)], auto_pad="SAME_UPPER", strides=[2, 2])
    y = g.op("AveragePool", [y], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)
    return g, y, 0


def transposed_resize_pad() -> Any:
    """ConvTranspose with output padding, Pad (constant), Resize ×2 (nearest)."""
    g = G((1, 4, 7, 7))
    y = g.op("ConvTranspose", ["x", g.w("up.weight", 4, 3, 3, 3), g.w("up.bias", 3)], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])
    y = g.op("Pad", [y, g.ints("pads", [0, 0, 1, 2, 0, 0, 3, 0])])
    y = g.op("Resize", [y, "", g.w("scales", 4, value=np.array([1, 1, 2, 2], np.float32))], mode="nearest")
    return g, y, 0


def convnext_like() -> Any:
    """Depthwise conv, NCHW→NHWC, LayerNorm, MatMul + Add bias, exact GELU (Erf), MatMul, NHWC→NCHW, layer scale, residual."""
    g = G((1, 8, 6, 6))
    y = g.op("Conv", ["x", g.w("dw.weight", 8, 1, 7, 7), g.w("dw.bias", 8)], group=8, pads=[3, 3, 3, 3])
    y = g.op("Transpose", [y], perm=[0, 2, 3, 1])
    y = g.op("LayerNormalization", [y, g.w("ln.weight", 8), g.w("ln.bias", 8)], axis=-1)
    y = g.op("MatMul", [y, g.w("pw1.weight", 8, 32)])
    h = g.op("Add", [y, g.w("pw1.bias", 32)])
    t = g.op("Div", [h, g.w("sqrt2", value=np.float32(1.4142135))])
    t = g.op("Erf", [t])
    t = g.op("Add", [t, g.w("one", value=np.float32(1.0))])
    t = g.op("Mul", [h, t])
    y = g.op("Mul", [t, g.w("half", value=np.float32(0.5))])
    y = g.op("MatMul", [y, g.w("pw2.weight", 32, 8)])
    y = g.op("Add", [y, g.w("pw2.bias", 8)])
    y = g.op("Transpose", [y], perm=[0, 3, 1, 2])
    y = g.op("Mul", [g.w("gamma", 8, 1, 1), y])
    y = g.op("Add", [y, "x"])
    return g, y, 0


def squeeze_excite() -> Any:
    """SiLU as x·sigmoid(x); SE: ReduceMean keepdims, 1×1 convs, sigmoid gate; HardSwish, Clip(0, 6)."""
    g = G((1, 8, 8, 8))
    y = g.op("Conv", ["x", g.w("c.weight", 16, 8, 1, 1)])
    s = g.op("Sigmoid", [y])
    y = g.op("Mul", [y, s])
    p = g.op("ReduceMean", [y], axes=[2, 3], keepdims=1)
    p = g.op("Conv", [p, g.w("se1.weight", 4, 16, 1, 1), g.w("se1.bias", 4)])
    p = g.op("Relu", [p])
    p = g.op("Conv", [p, g.w("se2.weight", 16, 4, 1, 1), g.w("se2.bias", 16)])
    p = g.op("HardSigmoid", [p], alpha=1 / 6)
    y = g.op("Mul", [y, p])
    y = g.op("HardSwish", [y])
    y = g.op("Clip", [y, g.w("lo", value=np.float32(0)), g.w("hi", value=np.float32(6))])
    return g, y, 0


def shuffle_split_concat() -> Any:
    """ShuffleNet v2 unit: Split in two, conv one half, Concat, channel shuffle via Reshape/Transpose/Reshape."""
    g = G((1, 8, 8, 8))
    a, b = g.op("Split", ["x", g.ints("split", [4, 4])], n_out=2, axis=1)
    b = g.op("Conv", [b, g.w("b.weight", 4, 4, 3, 3)], pads=[1, 1, 1, 1])
    y = g.op("Concat", [a, b], axis=1)
    y = g.op("Reshape", [y, g.ints("s5", [1, 2, 4, 8, 8])])
    y = g.op("Transpose", [y], perm=[0, 2, 1, 3, 4])
    y = g.op("Reshape", [y, g.ints("s4", [1, -1, 8, 8])])
    y = g.op("Slice", [y, g.ints("st", [2]), g.ints("en", [6]), g.ints("ax", [1])])
    return g, y, 0


def shape_arithmetic() -> Any:
    """Flatten through Shape/Gather/Concat (x.view(x.size(0), -1)), Identity, Gemm without bias."""
    g = G((1, 4, 4, 4))
    y = g.op("Conv", ["x", g.w("c", 2, 4, 1, 1)])
    n = g.op("Shape", [y])
    n = g.op("Gather", [n, g.ints("zero", [0])], axis=0)
    shape = g.op("Concat", [n, g.ints("minus1", [-1])], axis=0)
    y = g.op("Reshape", [y, shape])
    y = g.op("Identity", [y])
    y = g.op("Gemm", [y, g.w("fc", 32, 5)])
    return g, y, 0


def audio_1d() -> Any:
    """N×C×L: strided, dilated Conv with asymmetric pads; BN; MaxPool in ceil mode whose last window
    would start in the right padding (dropped); Pad; grouped SAME_LOWER Conv; AveragePool without the
    padding; GlobalAveragePool, Flatten, Gemm."""
    g = G((1, 2, 50))
    y = g.op("Conv", ["x", g.w("c1.weight", 6, 2, 5), g.w("c1.bias", 6)], pads=[2, 1], strides=[3], dilations=[2])
    y = g.op("Relu", [g.bn(y, "bn1", 6)])
    y = g.op("MaxPool", [y], kernel_shape=[2], strides=[2], pads=[1, 1], ceil_mode=1)
    y = g.op("Pad", [y, g.ints("pads", [0, 0, 3, 0, 0, 1])])
    y = g.op("Conv", [y, g.w("c2.weight", 8, 3, 3)], group=2, auto_pad="SAME_LOWER", strides=[2])
    y = g.op("AveragePool", [y], kernel_shape=[3], strides=[1], pads=[1, 1], ceil_mode=1)
    y = g.op("GlobalAveragePool", [y])
    y = g.op("Flatten", [y], axis=1)
    y = g.op("Gemm", [y, g.w("fc.weight", 4, 8), g.w("fc.bias", 4)], transB=1)
    return g, y, 2 * 6


def video_3d() -> Any:
    """N×C×D×H×W: R(2+1)D's factored 1×3×3 and 3×1×1 Convs, BN, residual Add, Pad computed by the
    TorchScript subgraph, MaxPool, SAME_UPPER Conv, AveragePool in ceil mode, ReduceMean to N×C, Gemm."""
    g = G((1, 3, 4, 9, 9))
    s = g.op("Conv", ["x", g.w("s.weight", 5, 3, 1, 3, 3)], pads=[0, 1, 1, 0, 1, 1], strides=[1, 2, 2])
    s = g.op("Relu", [g.bn(s, "bn1", 5)])
    y = g.op("Conv", [s, g.w("t.weight", 5, 5, 3, 1, 1), g.w("t.bias", 5)], pads=[1, 0, 0, 1, 0, 0])
    y = g.op("Add", [y, s])
    y = g.op("Pad", [y, g.torch_pads([1, 0, 0, 2, 1, 1], 5), g.const(0.0, np.float32)])
    y = g.op("MaxPool", [y], kernel_shape=[1, 3, 3], strides=[1, 2, 2], pads=[0, 1, 1, 0, 1, 1])
    y = g.op("Conv", [y, g.w("c.weight", 6, 5, 2, 2, 2)], auto_pad="SAME_UPPER", strides=[2, 2, 2])
    y = g.op("AveragePool", [y], kernel_shape=[1, 2, 2], strides=[1, 2, 2], ceil_mode=1)
    y = g.op("ReduceMean", [y], axes=[2, 3, 4], keepdims=0)
    y = g.op("Gemm", [y, g.w("fc.weight", 6, 3)])
    return g, y, 2 * 5


def transposed_nd() -> Any:
    """ConvTranspose in 3-D: stride 2 with output padding, then asymmetric pads on W."""
    g = G((1, 4, 3, 5, 5))
    y = g.op("ConvTranspose", ["x", g.w("up.weight", 4, 2, 2, 3, 3), g.w("up.bias", 2)], strides=[2, 2, 2], pads=[0, 1, 1, 0, 1, 1], output_padding=[1, 1, 0])
    y = g.op("ConvTranspose", [y, g.w("up2.weight", 2, 3, 1, 1, 2)], strides=[1, 1, 2], pads=[0, 0, 1, 0, 0, 0])
    return g, y, 0


def audio_transposed() -> Any:
    """ConvTranspose 1-D with asymmetric pads and output padding (not grouped: onnx 1.23's reference
    evaluator fails on a grouped ConvTranspose)."""
    g = G((1, 4, 9))
    y = g.op("ConvTranspose", ["x", g.w("up.weight", 4, 3, 4), g.w("up.bias", 3)], strides=[3], pads=[2, 1], output_padding=[2])
    return g, y, 0


def stem_2d_pads_subgraph() -> Any:
    """nn.ZeroPad2d((1, 2, 3, 0)) as TorchScript writes it in training mode, then a Conv."""
    g = G((1, 3, 8, 8))
    y = g.op("Pad", ["x", g.torch_pads([1, 2, 3, 0], 4), g.const(0.0, np.float32)], mode="constant")
    y = g.op("Conv", [y, g.w("c.weight", 4, 3, 3, 3)], strides=[2, 2])
    return g, y, 0


def dynamo_1d_pooling() -> Any:
    """The dynamo exporter's AdaptiveAvgPool1d(1): Unsqueeze to N×C×1×L, ReduceMean over the last two axes,
    Squeeze the 1 away, Reshape to N×C; then a second pool of the view without keepdims."""
    g = G((1, 4, 10))
    y = g.op("Conv", ["x", g.w("c.weight", 6, 4, 3)])
    u = g.op("Unsqueeze", [y, g.ints("ax2", [2])])
    y = g.op("ReduceMean", [u], axes=[-1, -2], keepdims=1)
    y = g.op("Squeeze", [y, "ax2"])
    y = g.op("Reshape", [y, g.ints("flat", [1, 6])], allowzero=1)
    z = g.op("ReduceMean", [u], axes=[2, 3], keepdims=0)
    y = g.op("Add", [y, z])
    y = g.op("Gemm", [y, g.w("fc.weight", 3, 6)], transB=1)
    return g, y, 0


def resize_nd() -> Any:
    """Resize in 3-D (scales 1×2×2, linear) and 1-D (sizes, nearest), and opset 18's ``axes``
    naming only the axes resized."""
    g = G((1, 2, 3, 5, 5))
    g.opset = 18  # Resize's axes
    y = g.op("Conv", ["x", g.w("c.weight", 4, 2, 1, 3, 3)])
    y = g.op("Resize", [y, "", g.w("scales", 5, value=np.array([1, 1, 1, 2, 2], np.float32))], mode="linear")
    y = g.op("Resize", [y, "", "", g.ints("sizes", [5, 9])], mode="nearest", axes=[2, 4])
    y = g.op("ReduceMean", [y], axes=[2, 3, 4], keepdims=0)
    return g, y, 0


def resize_1d() -> Any:
    g = G((1, 3, 7))
    y = g.op("Resize", ["x", "", g.w("scales", 3, value=np.array([1, 1, 2.5], np.float32))], mode="nearest")
    y = g.op("Conv", [y, g.w("c.weight", 4, 3, 3)])
    return g, y, 0


class Case(NamedTuple):
    build: Any
    id: str


CASES = [
    Case(conv_stack, "conv-bn-pool-gemm"),
    Case(depthwise_asymmetric, "grouped-asymmetric-same-ceil"),
    Case(transposed_resize_pad, "transposed-pad-resize"),
    Case(convnext_like, "nhwc-layernorm-matmul-gelu-scale"),
    Case(squeeze_excite, "silu-squeeze-excite-hardswish-clip"),
    Case(shuffle_split_concat, "split-concat-shuffle-slice"),
    Case(shape_arithmetic, "shape-ops-flatten"),
    Case(audio_1d, "1d-conv-bn-pool-pad-same-lower-gemm"),
    Case(video_3d, "3d-factored-conv-residual-pads-subgraph-reducemean"),
    Case(transposed_nd, "3d-transposed"),
    Case(audio_transposed, "1d-transposed"),
    Case(stem_2d_pads_subgraph, "2d-pads-subgraph"),
    Case(dynamo_1d_pooling, "1d-pooling-through-a-2d-view"),
    Case(resize_nd, "3d-resize-scales-and-sizes-with-axes"),
    Case(resize_1d, "1d-resize-fractional-scale"),
]


def conv_macs(model: Any, shape: tuple[int, ...]) -> int:
    """Conv and matrix-product MACs from the evaluator's intermediate shapes:
    output elements × (weight elements per output channel)."""
    inits = {t.name: tuple(t.dims) for t in model.graph.initializer}
    wanted = [n for n in model.graph.node if n.op_type in ("Conv", "Gemm", "MatMul")]
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    for n in wanted:
        probe.graph.output.append(helper.make_tensor_value_info(n.output[0], TensorProto.FLOAT, None))
    x = RNG.standard_normal(shape).astype(np.float32)
    outs = ReferenceEvaluator(probe).run([n.output[0] for n in wanted], {"x": x})
    total = 0
    for n, y in zip(wanted, outs):
        w = inits[n.input[1]]
        if n.op_type == "Conv":
            total += y.size * math.prod(w[1:])
        else:
            k = w[1] if n.op_type == "Gemm" and any(a.name == "transB" and a.i for a in n.attribute) else w[0]
            total += y.size * k
    return total


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_graph_figures_match_the_reference(case: Case, tmp_path: Path) -> None:
    g, out, non_trainable = case.build()
    model = g.model(out)
    summary = figures(save(model, tmp_path))
    assert summary.output.dims == reference_output(model, g.shape)
    assert summary.totals.params == float_params(model)
    assert summary.totals.non_trainable_params == non_trainable
    if not any(n.op_type == "ConvTranspose" for n in model.graph.node):
        assert summary.totals.macs == conv_macs(model, g.shape)


def test_transposed_convolution_macs(tmp_path: Path) -> None:
    """ConvTranspose: every input pixel meets the whole kernel: 7·7·4 inputs × 3·3·3 = 5,292."""
    g, out, _ = transposed_resize_pad()
    summary = figures(save(g.model(out), tmp_path))
    row = next(r for r in summary.rows if r.node.spec.kind == "conv_transpose2d")
    assert row.result.output.dims == (14, 14, 3)
    assert row.result.macs == 7 * 7 * 4 * 3 * 3 * 3


@pytest.mark.parametrize(
    ("build", "kinds"),
    [
        (convnext_like, ["conv2d", "layernorm", "dense", "gelu", "dense", "scale", "add"]),
        (squeeze_excite, ["conv2d", "silu", "global_avgpool2d", "conv2d", "relu", "conv2d", "hardsigmoid", "multiply", "hardswish", "relu6"]),
        (shuffle_split_concat, ["split", "conv2d", "concat", "channel_shuffle", "slice"]),
        (shape_arithmetic, ["conv2d", "flatten", "dense"]),
        (audio_1d, ["conv1d", "batchnorm1d", "relu", "maxpool1d", "zeropad1d", "conv1d", "avgpool1d", "global_avgpool1d", "flatten", "dense"]),
        (video_3d, ["conv3d", "batchnorm3d", "relu", "conv3d", "add", "zeropad3d", "maxpool3d", "conv3d", "avgpool3d", "global_avgpool3d", "dense"]),
        (stem_2d_pads_subgraph, ["zeropad2d", "conv2d"]),
        (dynamo_1d_pooling, ["conv1d", "global_avgpool1d", "flatten", "global_avgpool1d", "add", "dense"]),
    ],
    ids=["convnext", "squeeze-excite", "shuffle", "shape-ops", "1-D", "3-D", "pads-subgraph", "1-D-view"],
)
def test_patterns_become_one_layer_each(build: Any, kinds: list[str], tmp_path: Path) -> None:
    g, out, _ = build()
    doc = read_document(save(g.model(out), tmp_path))
    assert [next(iter(entry)) for entry in doc["layers"]] == kinds


@pytest.mark.parametrize(
    ("shape", "kernel", "stride", "padding"),
    [
        ((1, 2, 12), [3], [2], [1, 0]),  # 6 outputs: 5·2 + 3 − 12 = 1 pixel to add
        ((1, 2, 5, 6, 7), [2, 3, 4], [1, 2, 3], [1, 0, 1, 0, 2, 1]),  # D 1, H 1, W 2·3 + 4 − 7 = 3
    ],
    ids=["1-D", "3-D"],
)
def test_same_lower_puts_the_odd_pixel_first(shape: tuple[int, ...], kernel: list[int], stride: list[int], padding: list[int], tmp_path: Path) -> None:
    """The padding convcalc writes for SAME_LOWER, given back to the evaluator as explicit pads, computes the same numbers."""
    g = G(shape)
    y = g.op("Conv", ["x", g.w("c.weight", 3, shape[1], *kernel)], auto_pad="SAME_LOWER", strides=stride)
    model = g.model(y)
    written = next(iter(read_document(save(model, tmp_path))["layers"][0].values()))["padding"]
    assert written == padding
    n = len(kernel)
    explicit = G(shape)
    explicit.inits = g.inits
    y2 = explicit.op("Conv", ["x", "c.weight"], pads=written[0::2] + written[1::2], strides=stride)
    x = RNG.standard_normal(shape).astype(np.float32)
    (a,) = ReferenceEvaluator(model).run(None, {"x": x})
    (b,) = ReferenceEvaluator(explicit.model(y2)).run(None, {"x": x})
    assert a.shape == b.shape and len(written) == 2 * n
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_folded_bias_and_names(tmp_path: Path) -> None:
    g, out, _ = convnext_like()
    doc = read_document(save(g.model(out), tmp_path))
    dense = [e["dense"] for e in doc["layers"] if "dense" in e]
    assert [(d["name"], d["units"], d.get("bias", True)) for d in dense] == [("pw1", 32, True), ("pw2", 8, True)]
    assert doc["input"] == [6, 6, 8]


def test_identity_aliases_count_as_separate_tensors(tmp_path: Path) -> None:
    """TorchScript exports deduplicate equal initializers through Identity nodes; each alias is its own weight."""
    g = G((1, 2, 4, 4))
    g.w("shared", 2, 2, 1, 1)
    alias = g.op("Identity", ["shared"])
    y = g.op("Conv", ["x", "shared"])
    y = g.op("Conv", [y, alias])
    summary = figures(save(g.model(y), tmp_path))
    assert summary.totals.params == 2 * 4


def test_a_bias_or_norm_read_by_two_layers_counts_once(tmp_path: Path) -> None:
    """The dynamo exporter deduplicates equal tensors (an untrained network's zero biases, unit scales)
    by reading one initializer from several nodes; each stored tensor counts once."""
    g = G((1, 4, 4, 4))
    g.w("b", 4, value=np.zeros(4, np.float32))
    g.w("ln.w", 4, value=np.ones(4, np.float32))
    g.w("ln.b", 4, value=np.zeros(4, np.float32))
    y = g.op("Conv", ["x", g.w("c1", 4, 4, 1, 1), "b"])
    y = g.op("Conv", [y, g.w("c2", 4, 4, 1, 1), "b"])
    y = g.op("Transpose", [y], perm=[0, 2, 3, 1])
    y = g.op("LayerNormalization", [y, "ln.w", "ln.b"], axis=-1)
    y = g.op("LayerNormalization", [y, "ln.w", "ln.b"], axis=-1)
    model = g.model(y)
    path = save(model, tmp_path)
    doc = read_document(path)
    options = [next(iter(e.values())) for e in doc["layers"]]
    assert [(o.get("bias"), o.get("affine")) for o in options] == [(True, None), (False, None), (None, None), (None, False)]
    assert figures(path).totals.params == float_params(model) == 2 * 4 * 4 + 3 * 4  # c1, c2; b, ln.w, ln.b once


def test_a_weight_read_by_two_layers_is_counted_for_each_with_a_warning(tmp_path: Path) -> None:
    """The file format has no shared weights: the figure counts both layers, and says so."""
    g = G((1, 2, 4, 4))
    g.w("shared", 2, 2, 1, 1)
    y = g.op("Conv", ["x", "shared"], name="first")
    y = g.op("Conv", [y, "shared"], name="second")
    path = save(g.model(y), tmp_path)
    with pytest.warns(SharedWeightsWarning, match=r"counted again for each layer: 'second' reuses the weights of 'first' \('shared'\)$"):
        assert figures(path).totals.params == 2 * 4


def test_symbolic_batch_and_input_override(tmp_path: Path) -> None:
    g = G((1, 3, 32, 32), input_dims=["batch", 3, "H", "W"])
    y = g.op("Conv", ["x", g.w("c", 4, 3, 3, 3)], strides=[2, 2])
    path = save(g.model(y), tmp_path)
    with pytest.raises(SourceError, match=r"m\.onnx: input 'x' has a symbolic H size 'H'; give --input HxW$"):
        read_document(path)
    assert figures(path, input=(64, 48)).output.dims == (31, 23, 4)
    with pytest.raises(SourceError, match="--input has 1 channels but the model's input has 3"):
        read_document(path, input=(64, 48, 1))


def test_nhwc_input_is_followed_through_its_transpose(tmp_path: Path) -> None:
    g = G((1, 10, 12, 3))
    y = g.op("Transpose", ["x"], perm=[0, 3, 1, 2])
    y = g.op("Conv", [y, g.w("c", 4, 3, 3, 3)])
    path = save(g.model(y), tmp_path)
    assert read_document(path)["input"] == [10, 12, 3]
    assert figures(path).output.dims == (8, 10, 4)


def test_external_data_file_may_be_missing(tmp_path: Path) -> None:
    g, out, _ = conv_stack()
    model = g.model(out)
    path = tmp_path / "ext.onnx"
    onnx.save(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True, location="ext.onnx.data", size_threshold=0)
    (tmp_path / "ext.onnx.data").unlink()
    assert figures(path).totals.params == float_params(model)


# ------------------------------------------------------------- bad input


def test_unknown_op_is_one_sentence(tmp_path: Path) -> None:
    g = G((1, 2, 4, 4))
    y = g.op("LpNormalization", ["x"], name="norm7")
    y = g.op("Conv", [y, g.w("c", 2, 2, 1, 1)])
    path = save(g.model(y), tmp_path)
    with pytest.raises(
        SourceError,
        match=r"^.*m\.onnx: ONNX op 'LpNormalization' \(node 'norm7'\) is not supported by convcalc; "
        r"'convcalc import --unknown zero' counts it as an identity with 0 parameters and 0 MACs$",
    ):
        read_document(path)
    with pytest.warns(UnknownOpWarning, match=r"counted as identities with 0 parameters and 0 MACs: LpNormalization 'norm7'"):
        summary = figures(path, unknown="zero")
    assert summary.totals.params == 4


def test_unknown_zero_on_the_command_line_warns_on_stderr(tmp_path: Path) -> None:
    g = G((1, 2, 4, 4))
    y = g.op("LpNormalization", ["x"], name="norm7")
    y = g.op("Conv", [y, g.w("c", 2, 2, 1, 1)])
    path = save(g.model(y), tmp_path)
    refused = CliRunner().invoke(app, ["import", str(path)])
    assert refused.exit_code == 2
    result = CliRunner().invoke(app, ["import", str(path), "--unknown", "zero"])
    assert result.exit_code == 0
    assert "warning: " in result.output and "LpNormalization 'norm7'" in result.output
    assert "  - identity: {name: norm7}  # ONNX LpNormalization: unknown, counted as 0\n" in result.output


def _cycle(tmp_path: Path) -> Path:
    nodes = [
        helper.make_node("Add", ["x", "b"], ["a"], name="first"),
        helper.make_node("Relu", ["a"], ["b"], name="second"),
    ]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])], [helper.make_tensor_value_info("b", TensorProto.FLOAT, None)])
    return save(helper.make_model(graph), tmp_path, "cycle.onnx")


def _dangling(tmp_path: Path) -> Path:
    nodes = [helper.make_node("Add", ["x", "ghost"], ["a"], name="adder")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])], [helper.make_tensor_value_info("a", TensorProto.FLOAT, None)])
    return save(helper.make_model(graph), tmp_path, "dangling.onnx")


def _truncated(tmp_path: Path) -> Path:
    g, out, _ = conv_stack()
    data = g.model(out).SerializeToString()
    path = tmp_path / "truncated.onnx"
    path.write_bytes(data[: len(data) // 2])
    return path


def _not_onnx(tmp_path: Path) -> Path:
    path = tmp_path / "notes.onnx"
    path.write_text("input: [8, 8, 3]\nlayers: [relu]\n")
    return path


def _refused(path: Path, message: str) -> None:
    """The reader raises ``message``; ``convcalc model`` says one line and exits 2."""
    with pytest.raises(SourceError, match=message):
        read_document(path)
    result = CliRunner().invoke(app, ["model", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_cycle, r"cycle\.onnx: node 'first' \(Add\): is part of a cycle: its inputs depend on its own output$"),
        (_dangling, r"dangling\.onnx: node 'adder' \(Add\): reads 'ghost', which no node, initializer or graph input provides$"),
        (_truncated, r"truncated\.onnx: not a readable ONNX model: a field runs past the end of its message \(truncated or corrupt\)$"),
        (_not_onnx, r"notes\.onnx: not a readable ONNX model: .*(corrupt|not an ONNX).*$"),
    ],
    ids=["cycle", "dangling-input", "truncated", "not-onnx"],
)
def test_bad_files_give_one_sentence_and_exit_2(make: Any, message: str, tmp_path: Path) -> None:
    _refused(make(tmp_path), message)


def _rank6(tmp_path: Path) -> Path:
    g = G((1, 1, 2, 2, 2, 2))
    return save(g.model(g.op("Relu", ["x"])), tmp_path, "rank6.onnx")


def _symbolic_length(tmp_path: Path) -> Path:
    g = G((1, 2, 16), input_dims=["N", 2, "L"])
    return save(g.model(g.op("Conv", ["x", g.w("c", 4, 2, 3)])), tmp_path, "audio.onnx")


def _symbolic_frames(tmp_path: Path) -> Path:
    g = G((1, 3, 4, 8, 8), input_dims=["N", 3, "T", 8, 8])
    return save(g.model(g.op("Conv", ["x", g.w("c", 4, 3, 3, 3, 3)])), tmp_path, "video.onnx")


def _conv2d_weights_on_audio(tmp_path: Path) -> Path:
    g = G((1, 2, 16))
    return save(g.model(g.op("Conv", ["x", g.w("c", 4, 2, 3, 3)], name="c")), tmp_path, "audio.onnx")


def _pad_channels(tmp_path: Path) -> Path:
    g = G((1, 2, 16))
    y = g.op("Pad", ["x", g.ints("pads", [0, 1, 0, 0, 1, 0])], name="p")
    return save(g.model(g.op("Conv", [y, g.w("c", 4, 4, 3)])), tmp_path, "audio.onnx")


def _resize_channels(tmp_path: Path) -> Path:
    g = G((1, 2, 16))
    y = g.op("Resize", ["x", "", g.w("scales", 3, value=np.array([1, 2, 1], np.float32))], name="up")
    return save(g.model(y), tmp_path, "audio.onnx")


def _unknown_on_video(tmp_path: Path) -> Path:
    g = G((1, 2, 2, 4, 4))
    y = g.op("LpNormalization", ["x"], name="norm3d")
    return save(g.model(g.op("Conv", [y, g.w("c", 2, 2, 1, 1, 1)])), tmp_path, "video.onnx")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_rank6, r"rank6\.onnx: input 'x' has shape \[1, 1, 2, 2, 2, 2\]; convcalc reads N×F vectors and N×C×L, N×C×H×W or N×C×D×H×W maps$"),
        (_symbolic_length, r"audio\.onnx: input 'x' has a symbolic L size 'L'; give --input LxC$"),
        (_symbolic_frames, r"video\.onnx: input 'x' has a symbolic D size 'T'; give --input DxHxW$"),
        (
            _conv2d_weights_on_audio,
            r"audio\.onnx: node 'c' \(Conv\): is not a convolution convcalc reads: it takes a tensor of shape \[1, 2, 16\] "
            r"with 4-D weights; convcalc reads N×C×L, N×C×H×W and N×C×D×H×W tensors with 3-D, 4-D and 5-D weights$",
        ),
        (_pad_channels, r"audio\.onnx: node 'p' \(Pad\): pads an axis other than the spatial ones \(L; H and W; D, H and W\)$"),
        (_unknown_on_video, r"video\.onnx: ONNX op 'LpNormalization' \(node 'norm3d'\) is not supported by convcalc; "),
        (_resize_channels, r"audio\.onnx: node 'up' \(Resize\): resizes the batch or channel axis; convcalc's upsample resizes the spatial axes only$"),
    ],
    ids=["rank-6", "symbolic-L", "symbolic-D", "conv-rank-mismatch", "pad-channels", "unknown-op-3d", "resize-channels"],
)
def test_nd_refusals_are_one_sentence(make: Any, message: str, tmp_path: Path) -> None:
    _refused(make(tmp_path), message)


def test_input_override_for_video_and_audio(tmp_path: Path) -> None:
    """--input gives D×H×W (or with C) for N×C×D×H×W, L (or L×C) for N×C×L; the output follows the evaluator."""
    video = _symbolic_frames(tmp_path)
    g = G((1, 3, 6, 10, 12))
    g.op("Conv", ["x", g.w("c", 4, 3, 3, 3, 3)])
    expected = reference_output(g.model(g.nodes[-1].output[0]), (1, 3, 6, 10, 12))
    assert figures(video, input=(6, 10, 12)).output.dims == expected == (4, 8, 10, 4)
    assert figures(video, input=(6, 10, 12, 3)).output.dims == expected
    with pytest.raises(SourceError, match=r"--input 10x12 does not fit input 'x', which is N×C×D×H×W: give D×H×W or D×H×W×C$"):
        read_document(video, input=(10, 12))
    audio = _symbolic_length(tmp_path)
    assert figures(audio, input=(40, 2)).output.dims == (38, 4)  # 40 − 3 + 1 positions, 4 filters
    with pytest.raises(SourceError, match="--input has 3 channels but the model's input has 2"):
        read_document(audio, input=(40, 3))


def test_reading_needs_no_onnx_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The reader parses the protobuf itself: with ``onnx`` unimportable the figures are the same."""
    g, out, _ = conv_stack()
    model = g.model(out)
    path = save(model, tmp_path)
    monkeypatch.setitem(sys.modules, "onnx", None)
    assert figures(path).totals.params == float_params(model)


# ------------------------------------------------------------- the CLI


def test_import_writes_a_file_with_the_same_figures(tmp_path: Path) -> None:
    g, out, _ = squeeze_excite()
    source = save(g.model(out), tmp_path)
    target = tmp_path / "m.yaml"
    result = CliRunner().invoke(app, ["import", str(source), "-o", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert text.startswith("# Imported from m.onnx")
    direct = figures(source)
    written = analyse(parse_model(text, str(target)))
    assert written.totals == direct.totals
    assert [r.node.name for r in written.rows] == [r.node.name for r in direct.rows]


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["model", "{f}"], "MACs:"),
        (["model", "{f}", "--input", "32x32"], "32×32×3"),
        (["model", "{f}", "--explain", "conv1"], "layer 'conv1' (conv2d)"),
        (["check", "{f}", "--strict"], ""),
        (["solve", "--model", "{f}", "--low", "16", "--high", "20"], "input sides 16 to 20"),
    ],
    ids=["model", "model-input", "explain", "check", "solve"],
)
def test_commands_read_onnx(args: list[str], phrase: str, tmp_path: Path) -> None:
    g, out, _ = conv_stack()
    path = save(g.model(out), tmp_path)
    result = CliRunner().invoke(app, [a.format(f=path) for a in args])
    assert result.exit_code == 0, result.output
    assert phrase in result.output


def test_to_yaml_reads_back_as_the_document(tmp_path: Path) -> None:
    import yaml

    g, out, _ = convnext_like()
    doc = read_document(save(g.model(out), tmp_path))
    back = yaml.safe_load(to_yaml(doc))
    clean = {k: v for k, v in doc.items() if k != "#"}
    clean["layers"] = [{k: {o: v for o, v in opts.items() if o != "#"} for k, opts in e.items()} for e in doc["layers"]]
    assert back == clean
