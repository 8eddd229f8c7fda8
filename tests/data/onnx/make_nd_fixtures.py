"""Rebuild the small 1-D and 3-D ONNX fixtures in this folder (needs the onnx package).

    python tests/data/onnx/make_nd_fixtures.py

``tiny_audio.onnx`` (N×C×L): 1×1×64 → Pad [2, 1] on L, its pads computed by
the subgraph of constants PyTorch's TorchScript exporter writes for
``F.pad(x, (2, 1))`` in training mode (Constant, ConstantOfShape, Concat,
Reshape, Slice with step −1, Transpose, Reshape, Cast) → Conv 4, 5, stride 2
(bias) → BatchNormalization in training mode (three outputs) → Relu →
MaxPool 2, stride 2, ceil mode → GlobalAveragePool → Flatten → Gemm 3.

``tiny_video.onnx`` (N×C×D×H×W): 1×2×4×8×8 → Conv 4, 1×3×3, stride 1×2×2,
pad 0×1×1 (no bias) → BatchNormalization → Relu → Conv 4, 3×1×1, pad 1×0×0
(bias) → Add (the Relu's output) → MaxPool 2×2×2, stride 2 →
GlobalAveragePool → Flatten → Gemm 5.

Weights are zero (only their shapes matter); about 1 KB each.
"""

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

HERE = Path(__file__).parent


def tensor(name: str, *dims: int) -> object:
    return numpy_helper.from_array(np.zeros(dims, np.float32), name)


def constant(name: str, values: object) -> object:
    array = np.asarray(values)
    return helper.make_node(
        "Constant", [], [name], name=f"/pad/{name}", value=numpy_helper.from_array(array, name)
    )


def torch_pads(sides: list[int], rank: int) -> list[object]:
    """The nodes TorchScript writes for ``F.pad``'s ``sides`` (last axis first) on a rank-``rank`` input; output ``pads``."""
    zeros = numpy_helper.from_array(np.zeros(1, np.int64), "zero")
    return [
        constant("sides", np.array(sides, np.int64)),
        constant("fill_count", np.array([2 * rank - len(sides)], np.int64)),
        helper.make_node(
            "ConstantOfShape", ["fill_count"], ["fill"], name="/pad/ConstantOfShape", value=zeros
        ),
        helper.make_node("Concat", ["sides", "fill"], ["all"], name="/pad/Concat", axis=0),
        constant("pairs_shape", np.array([-1, 2], np.int64)),
        helper.make_node("Reshape", ["all", "pairs_shape"], ["pairs"], name="/pad/Reshape"),
        constant("start", np.array([-1], np.int64)),
        constant("end", np.array([-(2**63 - 1)], np.int64)),
        constant("axis", np.array([0], np.int64)),
        constant("step", np.array([-1], np.int64)),
        helper.make_node(
            "Slice", ["pairs", "start", "end", "axis", "step"], ["reversed"], name="/pad/Slice"
        ),
        helper.make_node(
            "Transpose", ["reversed"], ["columns"], name="/pad/Transpose", perm=[1, 0]
        ),
        constant("flat_shape", np.array([-1], np.int64)),
        helper.make_node("Reshape", ["columns", "flat_shape"], ["flat"], name="/pad/Reshape_1"),
        helper.make_node("Cast", ["flat"], ["pads"], name="/pad/Cast", to=TensorProto.INT64),
    ]


def tiny_audio() -> object:
    nodes = [
        *torch_pads([2, 1], 3),
        constant("fill_value", np.array(0.0, np.float32)),
        helper.make_node(
            "Pad", ["x", "pads", "fill_value"], ["a"], name="/pad/Pad", mode="constant"
        ),
        helper.make_node(
            "Conv",
            ["a", "conv.weight", "conv.bias"],
            ["b"],
            name="/conv/Conv",
            strides=[2],
            pads=[0, 0],
        ),
        helper.make_node(
            "BatchNormalization",
            ["b", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"],
            ["c", "bn.mean_out", "bn.var_out"],
            name="/bn/BatchNormalization",
            training_mode=1,
        ),
        helper.make_node("Relu", ["c"], ["d"], name="/relu/Relu"),
        helper.make_node(
            "MaxPool",
            ["d"],
            ["e"],
            name="/pool/MaxPool",
            kernel_shape=[2],
            strides=[2],
            ceil_mode=1,
        ),
        helper.make_node("GlobalAveragePool", ["e"], ["f"], name="/avgpool/GlobalAveragePool"),
        helper.make_node("Flatten", ["f"], ["g"], name="/Flatten", axis=1),
        helper.make_node("Gemm", ["g", "fc.weight", "fc.bias"], ["y"], name="/fc/Gemm", transB=1),
    ]
    inits = [
        tensor("conv.weight", 4, 1, 5),
        tensor("conv.bias", 4),
        tensor("bn.weight", 4),
        tensor("bn.bias", 4),
        tensor("bn.running_mean", 4),
        tensor("bn.running_var", 4),
        tensor("fc.weight", 3, 4),
        tensor("fc.bias", 3),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_audio",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        inits,
    )
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="convcalc tests"
    )


def tiny_video() -> object:
    nodes = [
        helper.make_node(
            "Conv",
            ["x", "s.weight"],
            ["a"],
            name="/s/Conv",
            strides=[1, 2, 2],
            pads=[0, 1, 1, 0, 1, 1],
        ),
        helper.make_node(
            "BatchNormalization",
            ["a", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"],
            ["b"],
            name="/bn/BatchNormalization",
        ),
        helper.make_node("Relu", ["b"], ["c"], name="/relu/Relu"),
        helper.make_node(
            "Conv", ["c", "t.weight", "t.bias"], ["d"], name="/t/Conv", pads=[1, 0, 0, 1, 0, 0]
        ),
        helper.make_node("Add", ["d", "c"], ["e"], name="/Add"),
        helper.make_node(
            "MaxPool", ["e"], ["f"], name="/pool/MaxPool", kernel_shape=[2, 2, 2], strides=[2, 2, 2]
        ),
        helper.make_node("GlobalAveragePool", ["f"], ["g"], name="/avgpool/GlobalAveragePool"),
        helper.make_node("Flatten", ["g"], ["h"], name="/Flatten", axis=1),
        helper.make_node("Gemm", ["h", "fc.weight", "fc.bias"], ["y"], name="/fc/Gemm", transB=1),
    ]
    inits = [
        tensor("s.weight", 4, 2, 1, 3, 3),
        tensor("bn.weight", 4),
        tensor("bn.bias", 4),
        tensor("bn.running_mean", 4),
        tensor("bn.running_var", 4),
        tensor("t.weight", 4, 4, 3, 1, 1),
        tensor("t.bias", 4),
        tensor("fc.weight", 5, 4),
        tensor("fc.bias", 5),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny_video",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2, 4, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 5])],
        inits,
    )
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="convcalc tests"
    )


if __name__ == "__main__":
    save(tiny_audio(), str(HERE / "tiny_audio.onnx"))
    save(tiny_video(), str(HERE / "tiny_video.onnx"))
