"""The NumPy forward pass: bundled models verify, wrong formulas are caught,
parameter counts come from real arrays, the memory guard is an upper bound.

Small hand-checkable cases are compared with plain-Python loops (no NumPy
tricks), so this file needs no PyTorch; ``test_forward_torch.py`` compares
every kernel with PyTorch where it is installed.
"""

from __future__ import annotations

import ast
import gc
import math
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import convcalc
import convcalc.forward as forward
from convcalc.forward import (
    ForwardError,
    MemoryLimitError,
    Network,
    check_memory,
    estimate_peak_bytes,
    random_input,
    run_layer,
    verify,
    verify_layer,
)
from convcalc.layers import KINDS, make_layer
from convcalc.layers.conv import Conv2d
from convcalc.layers.window import Window
from convcalc.loader import load_model
from convcalc.model import Model, Node, analyse
from convcalc.shapes import Shape

PACKAGE = Path(convcalc.__file__).parent
CONFIGS = sorted((PACKAGE / "configs").glob("*.yaml"))


def tiny(*layers: tuple[str, str, dict[str, Any]], input: Shape | None = None, trainable: bool = True) -> Model:
    """A chain of layers: (name, kind, options) each reading the one before, on 8×8×3."""
    nodes = tuple(
        Node(name, make_layer(kind, options), (i - 1,), trainable=trainable)
        for i, (name, kind, options) in enumerate(layers)
    )
    return Model("tiny", input or Shape.of(8, 8, 3), nodes, len(nodes) - 1)


# ---------------------------------------------------------------- bundled models
@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_bundled_model_verifies(path: Path) -> None:
    model = load_model(path)
    summary = analyse(model)
    result = verify(model, summary)
    assert result.mismatches == ()
    assert result.ok and len(result.checks) == result.total_layers == len(model.nodes)
    # Totals built from the arrays equal the computed totals.
    assert sum(c.actual_trainable for c in result.checks) == summary.totals.trainable_params
    assert sum(c.actual_non_trainable for c in result.checks) == summary.totals.non_trainable_params


def test_batch_of_two_verifies() -> None:
    model = load_model(PACKAGE / "configs" / "mobilenet_v2.yaml")
    result = verify(model, batch=2)
    assert result.ok, result.mismatches
    assert {c.actual[0] for c in result.checks} == {2}


# ---------------------------------------------------------------- catching wrong formulas
def test_an_off_by_one_window_rule_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    model = tiny(("c1", "conv2d", {"filters": 4, "kernel": 3, "padding": 1}), ("r1", "relu", {}))
    honest = [c.actual for c in verify(model).checks]
    right = Window.out.fget  # type: ignore[attr-defined]
    monkeypatch.setattr(Window, "out", property(lambda self: right(self) - 1))
    result = verify(model)
    assert not result.ok
    assert result.mismatches == (
        "layer 'c1' (conv2d): computed output 7×7×4, actual 8×8×4",
        "layer 'r1' (relu): computed output 7×7×4, actual 8×8×4",
    )
    # The pass itself does not use the formula: its shapes did not move.
    assert [c.actual for c in result.checks] == honest


def test_a_wrong_window_rule_names_the_resnet_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    model = load_model(PACKAGE / "configs" / "resnet50.yaml")
    right = Window.out.fget  # type: ignore[attr-defined]
    # Wrong for stride-2 windows over 56 pixels, in both branches of layer2.0
    # so that the residual add still agrees with itself.
    monkeypatch.setattr(Window, "out", property(lambda self: right(self) - (self.stride == 2 and self.size == 56)))
    mismatches = verify(model).mismatches
    assert mismatches[0] == "layer 'layer2.0.conv2' (conv2d): computed output 27×27×128, actual 28×28×128"
    assert "layer 'layer2.0.downsample_conv' (conv2d): computed output 27×27×512, actual 28×28×512" in mismatches


def test_a_wrong_parameter_count_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    right = Conv2d.infer
    monkeypatch.setattr(Conv2d, "infer", lambda self, x: right(self, x)._replace(trainable=right(self, x).trainable + 1))
    model = tiny(("c1", "conv2d", {"filters": 4, "kernel": 3}))
    assert verify(model).mismatches == (
        "layer 'c1' (conv2d): computed 113 trainable parameters, actual 112",  # 3·3·3·4 + 4
    )


def test_a_frozen_layer_counts_as_non_trainable() -> None:
    model = tiny(("c1", "conv2d", {"filters": 4, "kernel": 3}), ("bn", "batchnorm2d", {}), trainable=False)
    result = verify(model)
    assert result.ok, result.mismatches
    assert [(c.actual_trainable, c.actual_non_trainable) for c in result.checks] == [(0, 112), (0, 16)]


def test_a_layer_numpy_cannot_run_ends_the_pass_with_a_mismatch(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(spec: Any, params: Any, x: np.ndarray) -> np.ndarray:
        raise ValueError("operands could not be broadcast")

    monkeypatch.setitem(forward.KERNELS, "relu", broken)
    model = tiny(("c1", "conv2d", {"filters": 4, "kernel": 3}), ("r1", "relu", {}), ("r2", "tanh", {}))
    result = verify(model)
    assert [c.name for c in result.checks] == ["c1"]
    assert result.mismatches == (
        "layer 'r1' (relu): NumPy could not run it on 1×6×6×4: operands could not be broadcast",
    )
    with pytest.raises(ForwardError, match="layer 'r1'"):
        Network(model).run(random_input(model.input))


# ---------------------------------------------------------------- the pass itself
def test_progress_reports_every_layer_in_order() -> None:
    model = tiny(("c1", "conv2d", {"filters": 4, "kernel": 3}), ("r1", "relu", {}), ("f", "flatten", {}))
    calls: list[tuple[int, int, str]] = []
    verify(model, progress=lambda step, total, name: calls.append((step, total, name)))
    assert calls == [(1, 3, "c1"), (2, 3, "r1"), (3, 3, "f")]


def test_same_seed_same_numbers() -> None:
    model = tiny(("c1", "conv2d", {"filters": 4, "kernel": 3}), ("d", "dense", {"units": 5}))
    x = random_input(model.input, 2, seed=3)
    a, b = Network(model, seed=3).run(x.copy()), Network(model, seed=3).run(x.copy())
    c = Network(model, seed=4).run(x.copy())
    assert a.dtype == np.float32 and a.shape == (2, 6, 6, 5)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_branches_and_residuals() -> None:
    """A graph with a shortcut, three-way merges and an output nobody reads."""
    conv = make_layer("conv2d", {"filters": 3, "kernel": 3, "padding": 1})
    nodes = (
        Node("a", conv, (-1,)),
        Node("b", make_layer("relu"), (0,)),
        Node("unused", make_layer("sigmoid"), (0,)),
        Node("sum", make_layer("add"), (-1, 1, 0)),
        Node("gate", make_layer("global_avgpool2d", {"keepdims": True}), (3,)),
        Node("scaled", make_layer("multiply"), (3, 4)),
        Node("cat", make_layer("concat"), (5, -1)),
    )
    model = Model("branchy", Shape.of(5, 5, 3), nodes, 6)
    result = verify(model)
    assert result.ok, result.mismatches
    assert result.checks[-1].actual == (1, 5, 5, 6)
    x = random_input(model.input)
    a = np.maximum(run_layer(conv, x)[0], 0)
    out = Network(model).run(x.copy())
    np.testing.assert_allclose(out[..., 3:], x)  # the input, concatenated back
    assert a.shape == (1, 5, 5, 3)


def test_arrays_are_freed_after_their_last_reader() -> None:
    model = tiny(*[(f"r{i}", "relu", {}) for i in range(30)], input=Shape.of(64, 64, 64))
    x = random_input(model.input)
    network = Network(model)
    gc.collect()
    tracemalloc.start()
    network.run(x)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 3 * x.nbytes  # an input and an output alive, never the whole chain


# ---------------------------------------------------------------- against plain loops
def loop_conv(x: np.ndarray, w: np.ndarray, stride: int, pads: tuple[int, int, int, int]) -> np.ndarray:
    """Direct convolution of one sample (H, W, C) with (kh, kw, C, F), by loops."""
    top, bottom, left, right = pads
    h, wid, c = x.shape
    kh, kw, _, f = w.shape
    padded = np.zeros((h + top + bottom, wid + left + right, c), dtype=np.float64)
    padded[top : top + h, left : left + wid] = x
    rows = [
        [
            [
                sum(padded[i * stride + a, j * stride + bb, ch] * w[a, bb, ch, o]
                    for a in range(kh) for bb in range(kw) for ch in range(c))
                for o in range(f)
            ]
            for j in range((wid + left + right - kw) // stride + 1)
        ]
        for i in range((h + top + bottom - kh) // stride + 1)
    ]
    return np.array(rows)


@pytest.mark.parametrize(
    ("options", "pads"),
    [
        ({"padding": 1}, (1, 1, 1, 1)),
        ({"padding": [0, 2, 1, 0]}, (0, 2, 1, 0)),
        ({"padding": "same", "stride": 2}, (0, 1, 0, 1)),  # 6 even: 3 − 6 mod 2… = 1, extra after
        ({"padding": "valid", "stride": 2}, (0, 0, 0, 0)),
    ],
    ids=["symmetric", "asymmetric", "same-stride-2", "valid"],
)
def test_conv_matches_loops(options: dict[str, Any], pads: tuple[int, int, int, int]) -> None:
    spec = make_layer("conv2d", {"filters": 2, "kernel": 3, "bias": False, **options})
    x = random_input(Shape.of(6, 6, 2))
    out, params = run_layer(spec, x)
    expected = loop_conv(x[0], params["kernel"], spec.stride[0], pads)
    np.testing.assert_allclose(out[0], expected, rtol=1e-5, atol=1e-5)


def test_keras_same_pooling_ignores_the_padding() -> None:
    """TensorFlow's SAME pooling: max skips the pad, average divides by real cells only."""
    x = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1) - 12  # negative corner values
    mx, _ = run_layer(make_layer("maxpool2d", {"kernel": 3, "stride": 2, "padding": "same"}), x)
    av, _ = run_layer(make_layer("avgpool2d", {"kernel": 3, "stride": 2, "padding": "same"}), x)
    grid = x[0, :, :, 0]
    # 5 odd, stride 2: 3 − 5 mod 2 = 2 → one row of padding on each side.
    windows = [[grid[max(i - 1, 0) : i + 2, max(j - 1, 0) : j + 2] for j in (0, 2, 4)] for i in (0, 2, 4)]
    assert mx[0, :, :, 0].tolist() == [[w.max() for w in row] for row in windows]
    np.testing.assert_allclose(av[0, :, :, 0], [[w.mean() for w in row] for row in windows])


def test_ceil_mode_drops_a_window_starting_in_the_padding() -> None:
    # 2×2 input, kernel 2, stride 2, padding 1: ceil gives 2 windows per axis;
    # a third would start at padded index 4 ≥ 1 + 2, in the right padding.
    x = np.arange(4, dtype=np.float32).reshape(1, 2, 2, 1)
    out, _ = run_layer(make_layer("maxpool2d", {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True}), x)
    assert out[0, :, :, 0].tolist() == [[0, 1], [2, 3]]


# ---------------------------------------------------------------- single layers
LAYERS: list[tuple[str, dict[str, Any], list[Shape]]] = [
    ("conv2d", {"filters": 6, "kernel": 3, "stride": 2, "groups": 3, "padding": "same"}, [Shape.of(9, 9, 3)]),
    ("conv_transpose2d", {"filters": 4, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1}, [Shape.of(5, 5, 2)]),
    ("maxpool2d", {"kernel": 3, "stride": 2, "ceil_mode": True}, [Shape.of(8, 8, 2)]),
    ("avgpool2d", {"kernel": 3, "padding": 1, "count_include_pad": False}, [Shape.of(8, 8, 2)]),
    ("adaptive_avgpool2d", {"output_size": [3, 5]}, [Shape.of(7, 4, 2)]),
    ("adaptive_maxpool2d", {"output_size": 2}, [Shape.of(7, 4, 2)]),
    ("global_avgpool2d", {}, [Shape.of(4, 4, 5)]),
    ("global_maxpool2d", {"keepdims": True}, [Shape.of(4, 4, 5)]),
    ("zeropad2d", {"padding": [1, 0, 2, 3]}, [Shape.of(4, 4, 2)]),
    ("batchnorm2d", {}, [Shape.of(4, 4, 5)]),
    ("layernorm", {}, [Shape.of(4, 4, 5)]),
    ("dense", {"units": 3}, [Shape.of(10)]),
    ("flatten", {}, [Shape.of(2, 3, 4)]),
    ("dropout", {"rate": 0.1}, [Shape.of(2, 3, 4)]),
    *[(kind, {}, [Shape.of(3, 3, 4)]) for kind in
      ("relu", "relu6", "sigmoid", "tanh", "gelu", "silu", "hardswish", "hardsigmoid", "softmax")],
    ("leaky_relu", {"negative_slope": 0.2}, [Shape.of(3, 3, 4)]),
    ("upsample", {"scale": 1.5, "mode": "bilinear"}, [Shape.of(5, 4, 2)]),
    ("channel_shuffle", {"groups": 2}, [Shape.of(3, 3, 4)]),
    ("add", {}, [Shape.of(3, 3, 4), Shape.of(4,)]),
    ("multiply", {}, [Shape.of(3, 3, 4), Shape.of(1, 1, 4)]),
    ("concat", {}, [Shape.of(3, 3, 4), Shape.of(3, 3, 1)]),
]


def test_every_kind_has_a_kernel() -> None:
    assert set(forward.KERNELS) == set(KINDS)
    assert {kind for kind, _, _ in LAYERS} == set(KINDS)


@pytest.mark.parametrize(("kind", "options", "inputs"), LAYERS, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(LAYERS)])
def test_single_layer_verifies(kind: str, options: dict[str, Any], inputs: list[Shape]) -> None:
    spec = make_layer(kind, options)
    result = verify_layer(spec, *inputs, batch=2)
    assert result.ok, result.mismatches
    (check,) = result.checks
    assert check.name == kind and check.actual[0] == 2
    out, params = run_layer(spec, *(random_input(s, 2) for s in inputs))
    assert out.dtype == np.float32 and all(a.dtype == np.float32 for a in params.arrays.values())


def test_single_layer_mismatch_names_the_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    right = Window.out.fget  # type: ignore[attr-defined]
    monkeypatch.setattr(Window, "out", property(lambda self: right(self) + 1))
    result = verify_layer(make_layer("maxpool2d", {"kernel": 2}), Shape.of(6, 6, 3), name="pool")
    assert result.mismatches == ("layer 'pool' (maxpool2d): computed output 4×4×3, actual 3×3×3",)


# ---------------------------------------------------------------- memory guard
def observed_peak(model: Model, batch: int) -> int:
    gc.collect()
    tracemalloc.start()
    Network(model).run(random_input(model.input, batch))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_the_estimate_bounds_resnet50() -> None:
    model = load_model(PACKAGE / "configs" / "resnet50.yaml")
    estimate, seen = estimate_peak_bytes(model, 1), observed_peak(model, 1)
    assert seen <= estimate <= 1.5 * seen


@pytest.mark.parametrize(("kind", "options", "inputs"), [row for row in LAYERS if len(row[2]) == 1],
                         ids=[f"{k}-{i}" for i, (k, _, s) in enumerate(LAYERS) if len(s) == 1])
def test_the_estimate_bounds_every_kind(kind: str, options: dict[str, Any], inputs: list[Shape]) -> None:
    x = inputs[0]
    big = Shape.of(48, 48, x.channels) if x.is_map else Shape.of(4096)
    model = tiny(("x", kind, options), input=big)
    assert observed_peak(model, 3) <= estimate_peak_bytes(model, 3)


def test_check_memory_refuses_in_a_sentence() -> None:
    model = load_model(PACKAGE / "configs" / "resnet50.yaml")
    assert check_memory(model, 1) == estimate_peak_bytes(model, 1)
    with pytest.raises(
        MemoryLimitError,
        match=r"^the forward pass of 'resnet50' at batch 1000 would need about \d+\.\d+ GiB, "
        r"more than the limit of 4\.0 GiB; use a smaller --batch or raise --max-memory$",
    ):
        check_memory(model, 1000)


# ---------------------------------------------------------------- rooms
def test_only_the_forward_package_imports_numpy() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "forward" in path.relative_to(PACKAGE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )
            if any(n == "numpy" or n.startswith("numpy.") for n in names):
                offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


def test_the_core_loads_without_numpy() -> None:
    code = (
        "import sys, convcalc, convcalc.cli, convcalc.loader, convcalc.model; "
        "from convcalc.forward import check_memory; "
        "print('numpy' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_public_api() -> None:
    assert sorted(forward.__all__) == sorted([
        "DEFAULT_MAX_MEMORY", "KERNELS", "ForwardError", "LayerCheck", "MemoryLimitError", "Network",
        "Params", "Progress", "Verification", "check_memory", "estimate_peak_bytes", "random_input",
        "run_layer", "tf_same_padding", "verify", "verify_layer",
    ])
    assert math.isclose(forward.DEFAULT_MAX_MEMORY, 4 * 2**30)
