"""The NumPy forward pass: bundled models verify, wrong formulas are caught,
parameter counts come from real arrays, MACs from the kernels' own loops and
matmuls, the memory guard is an upper bound.

Small hand-checkable cases are compared with plain-Python loops (no NumPy
tricks) that count each multiply they do, so this file needs no PyTorch;
``test_forward_torch.py`` compares every kernel, and its MAC count, with
PyTorch where it is installed.
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
    Aspect,
    ForwardError,
    MemoryLimitError,
    Mismatch,
    Network,
    check_layer_memory,
    check_memory,
    estimate_peak_bytes,
    random_input,
    run_layer,
    verify,
    verify_layer,
)
from convcalc.forward.kernels import make_params, run_kernel
from convcalc.layers import KINDS, make_layer, spec_class
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
        "layer 'c1' (conv2d): computed 5,292 MACs, the NumPy kernel did 6,912",  # 7·7·4 vs 8·8·4 × 27
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


MAC_CASES = [
    # (kind, options, input, the kernel's count at batch 1)
    pytest.param("conv2d", {"filters": 4, "kernel": 3}, Shape.of(8, 8, 3), 3_888, id="conv2d"),  # 6·6·4 × 3·3·3
    pytest.param("dense", {"units": 3}, Shape.of(10), 30, id="dense"),  # 3 × 10
    pytest.param("conv_transpose2d", {"filters": 4, "kernel": 3, "stride": 2}, Shape.of(4, 4, 2), 1_152,
                 id="conv_transpose2d"),  # 4·4·2 inputs × 4 · 3·3
]


@pytest.mark.parametrize(("kind", "options", "shape", "macs"), MAC_CASES)
@pytest.mark.parametrize("batch", [1, 3])
def test_a_wrong_mac_formula_is_caught(
    monkeypatch: pytest.MonkeyPatch, kind: str, options: dict[str, Any], shape: Shape, macs: int, batch: int
) -> None:
    cls = spec_class(kind)
    right = cls.infer
    assert verify(tiny(("x", kind, options), input=shape), batch=batch).ok
    monkeypatch.setattr(cls, "infer", lambda self, *xs: right(self, *xs)._replace(macs=right(self, *xs).macs + 1))
    result = verify(tiny(("x", kind, options), input=shape), batch=batch)
    claimed = f"{macs + 1:,} MACs" + (f" × batch {batch} = {(macs + 1) * batch:,}" if batch > 1 else "")
    assert result.problems == (
        Mismatch(0, "x", kind, Aspect.MACS, f"computed {claimed}, the NumPy kernel did {macs * batch:,}"),
    )
    assert result.checks[0].actual_macs == macs * batch
    single = verify_layer(make_layer(kind, options), shape, name="x", batch=batch)
    assert single.problems == result.problems


def test_a_kernel_that_forgets_to_count_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    right = forward.KERNELS["dense"]
    monkeypatch.setitem(forward.KERNELS, "dense", lambda spec, p, x: right(spec, p, x)._replace(macs=0))
    assert verify_layer(make_layer("dense", {"units": 3}), Shape.of(10)).mismatches == (
        "layer 'dense' (dense): computed 30 MACs, the NumPy kernel did 0",
    )


def test_mismatches_carry_their_layer_as_data(monkeypatch: pytest.MonkeyPatch) -> None:
    model = load_model(PACKAGE / "configs" / "resnet50.yaml")
    right = Conv2d.infer
    monkeypatch.setattr(Conv2d, "infer", lambda self, x: right(self, x)._replace(macs=right(self, x).macs * 2))
    result = verify(model)
    convs = [(i, n.name) for i, n in enumerate(model.nodes) if n.spec.kind == "conv2d"]
    assert [(p.index, p.layer) for p in result.problems] == convs
    assert {(p.kind, p.aspect) for p in result.problems} == {("conv2d", Aspect.MACS)}
    assert result.problems[0].message == result.mismatches[0] == (
        "layer 'conv1' (conv2d): computed 236,027,904 MACs, the NumPy kernel did 118,013,952"
    )


def test_resnet50_checks_macs_on_every_layer() -> None:
    model = load_model(PACKAGE / "configs" / "resnet50.yaml")
    summary = analyse(model)
    result = verify(model, summary)
    n = len(model.nodes)
    assert result.ok and len(result.checks) == n
    assert [c.actual_macs for c in result.checks] == [r.result.macs for r in summary.rows]
    assert sum(c.actual_macs for c in result.checks) == 4_089_184_256  # torchvision's 4.09 GFLOPS
    assert result.summary == (
        f"verified: a NumPy forward pass at batch 1 agrees with the output shape, parameters and MACs of all {n} layers"
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
    assert result.problems == (
        Mismatch(1, "r1", "relu", Aspect.RUN, "NumPy could not run it on 1×6×6×4: operands could not be broadcast"),
    )
    assert result.summary == (
        "not verified: 1 mismatch; a NumPy forward pass at batch 1 checked the output shape, "
        "parameters and MACs of 1 of 3 layers"
    )
    with pytest.raises(ForwardError, match=r"^layer 'r1' \(relu\): NumPy could not run it") as caught:
        Network(model).run(random_input(model.input))
    assert (caught.value.step, caught.value.layer, caught.value.kind) == (1, "r1", "relu")


def test_running_out_of_memory_is_an_error_not_a_mismatch(monkeypatch: pytest.MonkeyPatch) -> None:
    def greedy(spec: Any, params: Any, x: np.ndarray) -> Any:
        raise MemoryError("Unable to allocate 1.00 TiB for an array with shape (1, 2, 3) and data type float32")

    monkeypatch.setitem(forward.KERNELS, "relu", greedy)
    model = tiny(("c1", "conv2d", {"filters": 4, "kernel": 3}), ("r1", "relu", {}))
    sentence = (
        "layer 'r1' (relu): NumPy ran out of memory running it on 1×6×6×4 (Unable to allocate 1.00 TiB "
        "for an array with shape (1, 2, 3) and data type float32); use a smaller --batch or input"
    )
    with pytest.raises(MemoryLimitError) as caught:
        verify(model)
    assert (caught.value.message, caught.value.layer) == (sentence, "r1")
    with pytest.raises(MemoryLimitError, match=r"^layer 'relu' \(relu\): NumPy ran out of memory running it on 2×3×3×4 "):
        verify_layer(make_layer("relu"), Shape.of(3, 3, 4), batch=2)


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
def loop_conv(
    x: np.ndarray, w: np.ndarray, stride: int, pads: tuple[int, int, int, int], groups: int = 1, dilation: int = 1
) -> tuple[np.ndarray, int]:
    """Direct convolution of one sample (H, W, C) with (kh, kw, C/g, F), by
    loops: the output and the multiplies done."""
    top, bottom, left, right = pads
    h, wid, c = x.shape
    kh, kw, cg, f = w.shape
    padded = np.zeros((h + top + bottom, wid + left + right, c), dtype=np.float64)
    padded[top : top + h, left : left + wid] = x
    oh = (h + top + bottom - dilation * (kh - 1) - 1) // stride + 1
    ow = (wid + left + right - dilation * (kw - 1) - 1) // stride + 1
    out, macs = np.zeros((oh, ow, f)), 0
    for i in range(oh):
        for j in range(ow):
            for o in range(f):
                group = o // (f // groups)
                for a in range(kh):
                    for b in range(kw):
                        for ch in range(cg):
                            pixel = padded[i * stride + a * dilation, j * stride + b * dilation, group * cg + ch]
                            out[i, j, o] += pixel * w[a, b, ch, o]
                            macs += 1
    return out, macs


def loop_conv_transpose(
    x: np.ndarray, w: np.ndarray, stride: int, padding: int, output_padding: int, groups: int = 1, dilation: int = 1
) -> tuple[np.ndarray, int]:
    """Transposed convolution of one sample as PyTorch defines it, by scatter:
    each input number times each weight it meets, added where it lands,
    then the full output cropped by ``padding``. ``w`` is (kh, kw, F/g, C)."""
    h, wid, c = x.shape
    kh, kw, fg, _ = w.shape
    full_h = (h - 1) * stride + dilation * (kh - 1) + 1 + output_padding
    full_w = (wid - 1) * stride + dilation * (kw - 1) + 1 + output_padding
    full, macs = np.zeros((full_h, full_w, fg * groups)), 0
    for i in range(h):
        for j in range(wid):
            for ch in range(c):
                group = ch // (c // groups)
                for a in range(kh):
                    for b in range(kw):
                        for o in range(fg):
                            full[i * stride + a * dilation, j * stride + b * dilation, group * fg + o] += x[i, j, ch] * w[a, b, o, ch]
                            macs += 1
    return full[padding : full_h - padding, padding : full_w - padding], macs


def loop_dense(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, int]:
    """``x`` (…, n) times ``w`` (n, units), one multiply at a time."""
    rows = x.reshape(-1, x.shape[-1])
    out, macs = np.zeros((len(rows), w.shape[1])), 0
    for r, row in enumerate(rows):
        for u in range(w.shape[1]):
            for k in range(len(row)):
                out[r, u] += row[k] * w[k, u]
                macs += 1
    return out.reshape(*x.shape[:-1], w.shape[1]), macs


@pytest.mark.parametrize(
    ("options", "pads"),
    [
        ({"padding": 1}, (1, 1, 1, 1)),
        ({"padding": [0, 2, 1, 0]}, (0, 2, 1, 0)),
        ({"padding": "same", "stride": 2}, (0, 1, 0, 1)),  # 6 even: 3 − 6 mod 2… = 1, extra after
        ({"padding": "valid", "stride": 2}, (0, 0, 0, 0)),
        ({"padding": 2, "dilation": 2}, (2, 2, 2, 2)),
        ({"padding": 1, "groups": 2}, (1, 1, 1, 1)),
        ({"padding": 1, "groups": 4, "filters": 4}, (1, 1, 1, 1)),  # depthwise: its own loop in the kernel
    ],
    ids=["symmetric", "asymmetric", "same-stride-2", "valid", "dilated", "grouped", "depthwise"],
)
def test_conv_matches_loops(options: dict[str, Any], pads: tuple[int, int, int, int]) -> None:
    spec = make_layer("conv2d", {"filters": 2, "kernel": 3, "bias": False, **options})
    x = random_input(Shape.of(6, 6, 4))
    params = make_params(spec, (x.shape,), np.random.default_rng(0))
    out, macs = run_kernel(spec, params, x)
    expected, loops = loop_conv(x[0], params["kernel"], spec.stride[0], pads, spec.groups, spec.dilation[0])
    np.testing.assert_allclose(out[0], expected, rtol=1e-5, atol=1e-5)
    assert macs == loops


@pytest.mark.parametrize(
    "options",
    [
        {"stride": 2, "padding": 1, "output_padding": 1},
        {"stride": 3, "padding": 0},
        {"stride": 2, "padding": 2, "dilation": 2, "groups": 2},
        {"stride": 1, "padding": 1, "groups": 4, "filters": 4},  # depthwise
    ],
    ids=["stride-2", "stride-3", "dilated-grouped", "depthwise"],
)
def test_conv_transpose_matches_loops(options: dict[str, Any]) -> None:
    """The kernel counts the multiplies on real input pixels: the scatter loop's
    count, though its GEMM runs over the zero-inserted input (4–9× as many)."""
    spec = make_layer("conv_transpose2d", {"filters": 6, "kernel": 3, "bias": False, **options})
    x = random_input(Shape.of(4, 5, 4))
    params = make_params(spec, (x.shape,), np.random.default_rng(0))
    out, macs = run_kernel(spec, params, x)
    expected, loops = loop_conv_transpose(
        x[0], params["kernel"], spec.stride[0], spec.padding.top, spec.output_padding[0], spec.groups, spec.dilation[0]
    )
    np.testing.assert_allclose(out[0], expected, rtol=1e-5, atol=1e-5)
    assert macs == loops


@pytest.mark.parametrize("shape", [Shape.of(10), Shape.of(2, 3, 4)], ids=["vector", "map"])
def test_dense_matches_loops(shape: Shape) -> None:
    spec = make_layer("dense", {"units": 3, "bias": False})
    x = random_input(shape, batch=2)
    params = make_params(spec, (x.shape,), np.random.default_rng(0))
    out, macs = run_kernel(spec, params, x)
    expected, loops = loop_dense(x, params["kernel"])
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    assert macs == loops


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
    ("groupnorm", {"groups": 2}, [Shape.of(4, 4, 6)]),
    ("instancenorm", {"affine": True}, [Shape.of(4, 4, 5)]),
    ("instancenorm", {"track_running_stats": True}, [Shape.of(4, 4, 5)]),
    ("normalization", {}, [Shape.of(4, 4, 5)]),
    ("mish", {}, [Shape.of(3, 3, 4)]),
    ("elu", {"alpha": 0.5}, [Shape.of(3, 3, 4)]),
    ("softplus", {"beta": 2, "threshold": 3}, [Shape.of(3, 3, 4)]),
    ("prelu", {}, [Shape.of(3, 3, 4)]),
    ("prelu", {"per": "channel"}, [Shape.of(3, 3, 4)]),
    ("prelu", {"per": "element"}, [Shape.of(3, 3, 4)]),
    ("identity", {}, [Shape.of(3, 3, 4)]),
    ("drop_path", {"rate": 0.2}, [Shape.of(3, 3, 4)]),
    ("rescaling", {"scale": 0.5, "offset": 1}, [Shape.of(3, 3, 4)]),
    ("scale", {"init": 0.1}, [Shape.of(3, 3, 4)]),
    ("reshape", {"shape": [2, 2, -1]}, [Shape.of(3, 3, 4)]),
    ("slice", {"start": 1, "stop": 3}, [Shape.of(3, 3, 4)]),
    ("slice", {"chunk": 1, "chunks": 2}, [Shape.of(3, 3, 4)]),
    ("split", {"parts": 2}, [Shape.of(3, 3, 4)]),
    ("split", {"sizes": [1, 3]}, [Shape.of(3, 3, 4)]),
    ("pixel_shuffle", {"factor": 2}, [Shape.of(3, 3, 8)]),
    ("pixel_unshuffle", {"factor": 2}, [Shape.of(4, 6, 2)]),
    ("batchnorm2d", {"eps": 1e-3, "momentum": 0.01}, [Shape.of(4, 4, 5)]),
    ("layernorm", {"eps": 1e-3}, [Shape.of(4, 4, 5)]),
    # 1-D (L×C) and 3-D (D×H×W×C) kinds, issue 14
    ("conv1d", {"filters": 4, "kernel": 3, "stride": 2, "padding": [1, 0]}, [Shape.of(11, 3)]),
    ("conv1d", {"filters": 6, "kernel": 3, "groups": 3, "dilation": 2, "padding": "same"}, [Shape.of(9, 6)]),
    ("conv3d", {"filters": 4, "kernel": [3, 1, 1], "stride": [1, 2, 2], "padding": [1, 0, 0]}, [Shape.of(4, 5, 5, 3)]),
    ("conv3d", {"filters": 4, "kernel": 2, "groups": 2, "padding": "same"}, [Shape.of(3, 4, 5, 4)]),
    ("conv_transpose1d", {"filters": 3, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1}, [Shape.of(5, 2)]),
    ("conv_transpose3d", {"filters": 2, "kernel": [1, 2, 2], "stride": [1, 2, 2], "groups": 2}, [Shape.of(2, 3, 3, 4)]),
    ("maxpool1d", {"kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True}, [Shape.of(10, 3)]),
    ("maxpool3d", {"kernel": [1, 3, 3], "stride": [1, 2, 2], "padding": [0, 1, 1], "dilation": [1, 1, 2]}, [Shape.of(2, 7, 8, 2)]),
    ("avgpool1d", {"kernel": 2, "padding": 1, "count_include_pad": False}, [Shape.of(7, 3)]),
    ("avgpool3d", {"kernel": 2, "ceil_mode": True}, [Shape.of(3, 5, 4, 2)]),
    ("adaptive_avgpool1d", {"output_size": 3}, [Shape.of(7, 2)]),
    ("adaptive_avgpool3d", {"output_size": [1, 2, 3]}, [Shape.of(3, 5, 7, 2)]),
    ("adaptive_maxpool1d", {"output_size": 4}, [Shape.of(10, 2)]),
    ("adaptive_maxpool3d", {"output_size": 2}, [Shape.of(3, 5, 4, 2)]),
    ("global_avgpool1d", {}, [Shape.of(9, 4)]),
    ("global_avgpool3d", {"keepdims": True}, [Shape.of(2, 3, 3, 4)]),
    ("global_maxpool1d", {"keepdims": True}, [Shape.of(9, 4)]),
    ("global_maxpool3d", {}, [Shape.of(2, 3, 3, 4)]),
    ("zeropad1d", {"padding": [2, 1]}, [Shape.of(5, 3)]),
    ("zeropad3d", {"padding": [1, 0, 0, 1, 2, 0]}, [Shape.of(2, 3, 3, 2)]),
    ("batchnorm1d", {}, [Shape.of(6, 3)]),
    ("batchnorm1d", {"affine": False}, [Shape.of(5)]),
    ("batchnorm3d", {"eps": 1e-3}, [Shape.of(2, 3, 3, 4)]),
    ("upsample", {"scale": 2, "mode": "trilinear"}, [Shape.of(2, 3, 3, 2)]),
    ("upsample", {"size": 7}, [Shape.of(3, 2)]),
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
def _big(x: Shape) -> Shape:
    """A larger input of the same rank: 48×48 (2304 positions along L, 13×13×13 in 3-D), or 4096 features."""
    if x.rank == 1:
        return Shape.of(4096)
    side = {1: 2304, 2: 48, 3: 13}[x.spatial_rank]
    return Shape((*(side,) * x.spatial_rank, x.channels))


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
    big = _big(inputs[0])
    model = tiny(("x", kind, options), input=big)
    assert observed_peak(model, 3) <= estimate_peak_bytes(model, 3)


@pytest.mark.parametrize(("kind", "options", "inputs"), [row for row in LAYERS if len(row[2]) == 1],
                         ids=[f"{k}-{i}" for i, (k, _, s) in enumerate(LAYERS) if len(s) == 1])
def test_the_layer_estimate_bounds_every_kind(kind: str, options: dict[str, Any], inputs: list[Shape]) -> None:
    big = _big(inputs[0])
    spec = make_layer(kind, options)
    gc.collect()
    tracemalloc.start()
    verify_layer(spec, big, batch=3)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak <= check_layer_memory(spec, big, batch=3)


def test_check_layer_memory_refuses_in_a_sentence() -> None:
    dense = make_layer("dense", {"units": 200_000})
    # weights 2048·200,000 + 200,000 = 409,800,000, plus 1000·(2048 + 200,000) numbers of input
    # and output: 611,848,000 floats, 2,447,392,000 B, 3 % more and 4 MiB of slack
    assert check_layer_memory(dense, Shape.of(2048), batch=1000, limit=2**40) == 2_525_008_064
    with pytest.raises(
        MemoryLimitError,
        match=r"^layer 'fc' \(dense\): the forward pass at batch 4000 would need about 4\.68 GiB, "
        r"more than the limit of 4\.0 GiB; use a smaller --batch or raise --max-memory$",
    ):
        check_layer_memory(dense, Shape.of(2048), batch=4000, name="fc")


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
        "DEFAULT_MAX_MEMORY", "KERNELS", "Aspect", "Computed", "ForwardError", "LayerCheck", "MemoryLimitError",
        "Mismatch", "Network", "Params", "Progress", "Step", "Verification", "check_layer_memory", "check_memory",
        "estimate_peak_bytes", "random_input", "run_layer", "tf_same_padding", "verify", "verify_layer",
    ])
    assert all(getattr(forward, name) is not None for name in forward.__all__)
    assert math.isclose(forward.DEFAULT_MAX_MEMORY, 4 * 2**30)
