"""Rebuild the small ONNX fixtures in this folder (needs the onnx package).

    python tests/data/onnx/make_fixtures.py

``tiny_cnn.onnx``: 1×3×16×16 → Conv 8 3×3 s2 p1 (bias) → Relu → MaxPool 3 s2 p1
→ BatchNormalization → GlobalAveragePool → Flatten → Gemm 10; weights zero
(only their shapes matter), 2.5 KB.
"""

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

HERE = Path(__file__).parent


def tensor(name: str, *dims: int) -> object:
    return numpy_helper.from_array(np.zeros(dims, np.float32), name)


def tiny_cnn() -> object:
    nodes = [
        helper.make_node("Conv", ["x", "conv1.weight", "conv1.bias"], ["a"], name="/conv1/Conv", pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["a"], ["b"], name="/relu/Relu"),
        helper.make_node("MaxPool", ["b"], ["c"], name="/maxpool/MaxPool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"], ["d"], name="/bn/BatchNormalization"),
        helper.make_node("GlobalAveragePool", ["d"], ["e"], name="/avgpool/GlobalAveragePool"),
        helper.make_node("Flatten", ["e"], ["f"], name="/Flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], name="/fc/Gemm", transB=1),
    ]
    inits = [
        tensor("conv1.weight", 8, 3, 3, 3), tensor("conv1.bias", 8),
        tensor("bn.weight", 8), tensor("bn.bias", 8), tensor("bn.running_mean", 8), tensor("bn.running_var", 8),
        tensor("fc.weight", 10, 8), tensor("fc.bias", 10),
    ]
    graph = helper.make_graph(
        nodes, "tiny_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="convcalc tests")


if __name__ == "__main__":
    save(tiny_cnn(), str(HERE / "tiny_cnn.onnx"))
