"""Receptive fields: hand arithmetic, published figures, and measurements.

The computed fields are checked three ways:

* **by hand** — small models whose fields are worked out in the comments, and
  the figures Araujo et al. publish (*Computing receptive fields of
  convolutional neural networks*, Distill 2019);
* **by perturbation, with NumPy** (runs everywhere) — the forward engine,
  with every weight a positive constant and every bias zero, runs a batch in
  which sample h is zero except input row h (all columns and channels). A
  positive network maps zero to zero and anything non-negative to something
  non-negative, and an output is nonzero exactly when some input pixel with
  a path to it is nonzero — max pooling included, since the max of
  non-negative numbers is positive iff one of them is. So output row i is
  touched by sample h iff input row h is in its field; the first and last
  touching h are the field's measured extent. Columns the same way. Channel
  counts do not move fields, so every conv gets 2 filters to keep it fast;
  H is measured on a 224×32 input and W on 32×224 (an axis's field does not
  depend on the other axis's length). A product is zero where either factor
  is, which would hide a gate's field against a zero background, so
  ``multiply`` is measured as ``add`` (the same field rule);
* **by gradient, with PyTorch** (when installed) — the same positive network
  in torch, on an all-ones input, and the input gradient of one output
  position (the centre and the corner). Its nonzero rows and columns are the
  field. A max pool sends gradient only to each window's maximum, so its
  field is the set of pixels that *can* be the maximum: max pooling is
  measured as average pooling of the same window, whose gradient reaches
  every pixel of the window.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import convcalc
from convcalc.errors import ShapeError
from convcalc.loader import load_model, parse_model
from convcalc.model import Model, Summary, analyse
from convcalc.receptive import Field, explain_field, field_pixels, fraction_text, receptive_fields
from convcalc.shapes import Shape

CONFIGS = Path(convcalc.__file__).parent / "configs"


def fields_of(text: str) -> tuple[Summary, dict[str, Field]]:
    summary = analyse(parse_model(text))
    return summary, {row.node.name: f for row, f in zip(summary.rows, receptive_fields(summary))}


def triple(f: Any) -> tuple[str, str, str]:
    """(size, jump, start) as text."""
    return fraction_text(f.size), fraction_text(f.jump), fraction_text(f.start)


# ---------------------------------------------------------------- by hand
HAND: list[Any] = [
    pytest.param(
        # conv 3: r = 1 + 2·1 = 3, start 0 + (1 − 1)·1 = 0. conv 3 dilation 2
        # (e = 4): r = 3 + 4 = 7, start 0 + (2 − 2)·1 = 0. Along W the kernel
        # is 1: nothing moves.
        "input: [32, 32, 3]\nlayers:\n"
        "  - conv2d: {filters: 4, kernel: [3, 1], padding: [1, 0]}\n"
        "  - conv2d: {filters: 4, kernel: [3, 1], dilation: 2, padding: [2, 0], name: out}\n",
        ("7", "1", "0"),
        ("1", "1", "0"),
        id="dilation",
    ),
    pytest.param(
        # conv 4 stride 2 padding 1: r = 4, j = 2, start = (3/2 − 1)·1 = 1/2.
        # maxpool 2: r = 4 + 1·2 = 6, j = 4, start = 1/2 + (1/2)·2 = 3/2.
        "input: [32, 32, 3]\nlayers:\n"
        "  - conv2d: {filters: 4, kernel: 4, stride: 2, padding: 1}\n"
        "  - maxpool2d: {kernel: 2, name: out}\n",
        ("6", "4", "3/2"),
        ("6", "4", "3/2"),
        id="even-kernels",
    ),
    pytest.param(
        # same, kernel 4 stride 2 on 31: out 16, total (16 − 1)·2 + 4 − 31 = 3 →
        # 1 before: r = 4, j = 2, start = 3/2 − 1 = 1/2. zeropad 2 rows
        # before: start 1/2 − 2·2 = −7/2.
        "input: [31, 31, 3]\nlayers:\n"
        "  - conv2d: {filters: 4, kernel: 4, stride: 2, padding: same}\n"
        "  - zeropad2d: {padding: [2, 0, 0, 0], name: out}\n",
        ("4", "2", "−7/2"),
        ("4", "2", "1/2"),
        id="same-and-zeropad",
    ),
    pytest.param(
        # conv 3 stride 2 padding 1: r = 3, j = 2, start 0. transposed 4,
        # stride 2, padding 1, from its input: e = 3/2, step 1/2,
        # p = (3 − 1)/2 = 1: r = 3 + (3/2)·2 = 6, j = 1, start 0 + (3/4 − 1)·2 = −1/2.
        "input: [32, 32, 3]\nlayers:\n"
        "  - conv2d: {filters: 4, kernel: 3, stride: 2, padding: 1}\n"
        "  - conv_transpose2d: {filters: 4, kernel: 4, stride: 2, padding: 1, name: out}\n",
        ("6", "1", "−1/2"),
        ("6", "1", "−1/2"),
        id="transposed",
    ),
    pytest.param(
        # nearest ×2 reads ⌊o/2⌋: e = p = 1/2, step 1/2: r = 1 + 1/2 = 3/2,
        # j = 1/2, start = (1/4 − 1/2) = −1/4. conv 3 padding 1 after it:
        # r = 3/2 + 2·(1/2) = 5/2, j = 1/2, start −1/4.
        "input: [16, 16, 3]\nlayers:\n"
        "  - upsample: {scale: 2}\n"
        "  - conv2d: {filters: 4, kernel: 3, padding: 1, name: out}\n",
        ("5/2", "1/2", "−1/4"),
        ("5/2", "1/2", "−1/4"),
        id="upsample",
    ),
    pytest.param(
        # conv 3 (valid) on 10: 8 positions, r = 3, start 1. Global pooling: the
        # whole 8-position axis, e = 7, step 8: r = 3 + 7 = 10, start 1 + 7/2 = 9/2.
        "input: [10, 10, 3]\nlayers:\n"
        "  - conv2d: {filters: 4, kernel: 3}\n"
        "  - global_avgpool2d: {}\n"
        "  - dense: {units: 2, name: out}\n",
        ("10", "8", "9/2"),
        ("10", "8", "9/2"),
        id="global-then-dense",
    ),
    pytest.param(
        # Branches: conv 3 padding 1 (r 3, centre 0) and conv 5 padding 2 (r 5,
        # centre 0): the union is the larger, 5.
        "input: [16, 16, 3]\nlayers:\n"
        "  - conv2d: {filters: 4, kernel: 3, padding: 1, name: a}\n"
        "  - conv2d: {filters: 4, kernel: 5, padding: 2, from: input, name: b}\n"
        "  - concat: {from: [a, b], name: out}\n",
        ("5", "1", "0"),
        ("5", "1", "0"),
        id="branches-largest",
    ),
]


@pytest.mark.parametrize(("text", "h", "w"), HAND)
def test_hand_derived_fields(text: str, h: tuple[str, str, str], w: tuple[str, str, str]) -> None:
    _, fields = fields_of(text)
    assert (triple(fields["out"].h), triple(fields["out"].w)) == (h, w)


def _stage_outputs(summary: Summary) -> dict[str, Field]:
    return {row.node.name: f for row, f in zip(summary.rows, receptive_fields(summary))}


PUBLISHED: list[Any] = [
    # Araujo et al., table 1: VGG-16 pool5 212, stride 32, padding 90.
    # By hand: block1 3 → 5, pool → 6 (j 2); block2 +4·2 → 14, pool 16 (j 4);
    # block3 +8·3 → 40, pool 44 (j 8); block4 +16·3 → 92, pool 100 (j 16);
    # block5 +32·3 → 196, pool 212 (j 32). Each 2×2 pool moves the start by
    # j_in/2: 1/2 + 1 + 2 + 4 + 8 = 31/2, so padding (212 − 1)/2 − 31/2 = 90.
    pytest.param("vgg16", "block5.pool", 212, 32, 90, id="vgg16-pool5"),
    # Araujo et al.: AlexNet 195, stride 32 (their padding, 64, is TF-slim's
    # VALID/SAME layout). torchvision's: starts conv1 (5 − 2)·1 = 3, pool1
    # +1·4 = 7, conv2 +0, pool2 +1·8 = 15, conv3–5 +0, pool5 +1·16 = 31;
    # padding (195 − 1)/2 − 31 = 66.
    pytest.param("alexnet", "pool5", 195, 32, 66, id="alexnet-pool5"),
    # Araujo et al.: ResNet-50 (v1) 483, stride 32; Keras' explicit symmetric
    # padding keeps every centre at 0, so padding (483 − 1)/2 = 241.
    pytest.param("resnet50_keras", "conv5_block3.out", 483, 32, 241, id="resnet50-v1"),
    # torchvision v1.5 (stride on the 3×3) by hand: stem 11 (j 4); layer1
    # 3 × 2·4 → 35; layer2 +2·4 (strided 3×3 at j 4) + 3 × 2·8 → 91 (j 8);
    # layer3 +2·8 + 5 × 2·16 → 267 (j 16); layer4 +2·16 + 2 × 2·32 → 427 (j 32).
    pytest.param("resnet50", "layer4.2.relu_2", 427, 32, 213, id="resnet50-v1.5"),
]


@pytest.mark.parametrize(("config", "layer", "size", "jump", "padding"), PUBLISHED)
def test_published_fields(config: str, layer: str, size: int, jump: int, padding: int) -> None:
    fields = _stage_outputs(analyse(load_model(CONFIGS / f"{config}.yaml")))
    for axis in fields[layer].axes:
        assert (axis.size, axis.jump, axis.padding) == (size, jump, padding)


def test_resnet_stages_by_hand() -> None:
    # r grows by 2·j per 3×3 conv; the stage outputs of the hand derivation above.
    fields = _stage_outputs(analyse(load_model(CONFIGS / "resnet50.yaml")))
    got = {name: (fields[name].h.size, fields[name].h.jump) for name in
           ("conv1", "maxpool", "layer1.2.relu_2", "layer2.3.relu_2", "layer3.5.relu_2", "layer4.2.relu_2")}
    assert got == {
        "conv1": (7, 2), "maxpool": (11, 4), "layer1.2.relu_2": (35, 4),
        "layer2.3.relu_2": (91, 8), "layer3.5.relu_2": (267, 16), "layer4.2.relu_2": (427, 32),
    }  # fmt: skip
    # 267 and 427 exceed the 224 input: the best-placed output sees all of it.
    assert (fields["layer2.3.relu_2"].h.clipped, fields["layer3.5.relu_2"].h.clipped) == (91, 224)


def test_model_output_sees_the_whole_input() -> None:
    summary = analyse(load_model(CONFIGS / "resnet50.yaml"))
    out = receptive_fields(summary)[summary.model.output]
    # global pooling over 7 positions 32 apart: 427 + 6·32 = 619, centred on 3·32 = 96
    assert (out.h.size, out.h.start, out.h.clipped, out.h.extent(0)) == (619, 96, 224, (0, 223))


# ---------------------------------------------------------------- alignment
def test_misaligned_merge_warns_naming_inputs() -> None:
    # a: kernel 2, padding 1 above and 1 right → centres (1/2 − 1) = −1/2 along H and
    # 1/2 along W; b: centre 0.
    _, fields = fields_of(
        "input: [16, 16, 3]\nlayers:\n"
        "  - conv2d: {filters: 4, kernel: 2, padding: [1, 0, 0, 1], name: a}\n"
        "  - conv2d: {filters: 4, kernel: [3, 1], padding: [1, 0], from: input, name: b}\n"
        "  - add: {from: [a, b], name: out}\n"
    )
    out = fields["out"]
    assert not out.aligned
    assert out.warning == (
        "layer 'out' (add) merges fields that are not aligned along H ('a' jump 1, start −1/2; "
        "'b' jump 1, start 0) and along W ('a' jump 1, start 1/2; 'b' jump 1, start 0): "
        "one output position mixes features centred on different input pixels"
    )


def test_different_strides_are_misaligned() -> None:
    _, fields = fields_of(
        "input: [16, 16, 3]\nlayers:\n"
        "  - conv2d: {filters: 4, kernel: 1, stride: 2, name: a}\n"
        "  - maxpool2d: {kernel: 2, from: input, name: b}\n"
        "  - concat: {from: [a, b], name: out}\n"
    )
    assert "'a' jump 2, start 0; 'b' jump 2, start 1/2" in fields["out"].warning


@pytest.mark.parametrize("config", ["resnet50", "resnet50_keras", "mobilenet_v2"])
def test_bundled_merges_are_aligned(config: str) -> None:
    fields = receptive_fields(analyse(load_model(CONFIGS / f"{config}.yaml")))
    assert all(f.aligned and f.warning is None for f in fields)


def test_broadcast_gate_is_not_an_alignment_problem() -> None:
    # squeeze-and-excitation: the 1×1 gate sees the whole map and is broadcast
    _, fields = fields_of(
        "input: [16, 16, 3]\nlayers:\n"
        "  - conv2d: {filters: 4, kernel: 3, padding: 1, name: x}\n"
        "  - global_avgpool2d: {keepdims: true, name: gate}\n"
        "  - multiply: {from: [x, gate], name: out}\n"
    )
    out = fields["out"]
    assert out.aligned
    assert out.h.extent(0) == (0, 15) and out.h.extent(15) == (0, 15)


# ---------------------------------------------------------------- explain, JSON, errors
def test_explain_conv_lines() -> None:
    summary = analyse(load_model(CONFIGS / "resnet50.yaml"))
    assert explain_field(summary, 0) == [
        "H, W: window 7, stride 2, padding 3 before: e = (k − 1)·d = (7 − 1)·1 = 6",
        "   size  r = r_in + e·j_in = 1 + 6·1 = 7",
        "   jump  j = j_in·s = 1·2 = 2",
        "   start = start_in + (e/2 − p)·j_in = 0 + (6/2 − 3)·1 = 0",
        "field 7×7, jump 2×2, effective padding 3×3; inside the 224×224 input: at most 7×7",
    ]


def test_explain_merge_and_identity() -> None:
    summary = analyse(load_model(CONFIGS / "resnet50.yaml"))
    names = [row.node.name for row in summary.rows]
    add = explain_field(summary, names.index("layer1.0.add"))
    assert add[0] == (
        "H: union of the inputs' fields: 'layer1.0.bn3' 19 (jump 4, start 0), "
        "'layer1.0.downsample_bn' 11 (jump 4, start 0) → 19 (jump 4, start 0)"
    )
    assert explain_field(summary, names.index("relu"))[0] == (
        "H, W: field unchanged: 7 (jump 2, start 0) (relu acts on each position alone)"
    )


def test_explain_transposed_axes_apart() -> None:
    summary, _ = fields_of(
        "input: [16, 16, 3]\nlayers: [conv_transpose2d: {filters: 4, kernel: [3, 4], stride: 2, padding: 1}]"
    )
    lines = explain_field(summary, 0)
    assert lines[0] == (
        "H: transposed, kernel 3, stride 2, padding 1 before: output o reads inputs "
        "(o + p − (k − 1)·d)/s … (o + p)/s, so e = (k − 1)·d/s = 2/2 = 1, stride 1/2, "
        "p = ((k − 1)·d − p)/s = (2 − 1)/2 = 1/2"
    )
    assert lines[7] == "   start = start_in + (e/2 − p)·j_in = 0 + ((3/2)/2 − 1)·1 = −1/4"


def test_as_dict_is_json() -> None:
    summary = analyse(load_model(CONFIGS / "vgg16.yaml"))
    f = receptive_fields(summary)[2]  # block1.conv2
    assert json.loads(json.dumps(f.as_dict())) == {
        "h": {"size": 5, "clipped": 5, "jump": 1, "start": 0, "padding": 2},
        "w": {"size": 5, "clipped": 5, "jump": 1, "start": 0, "padding": 2},
        "aligned": True,
        "warning": None,
    }


def test_vector_input_is_refused() -> None:
    summary = analyse(parse_model("name: mlp\ninput: [784]\nlayers: [dense: {units: 10}]"))
    with pytest.raises(ShapeError, match=r"^receptive fields need a map as the model input \(L×C, H×W×C or D×H×W×C\); 'mlp' takes a vector of 784 features$"):
        receptive_fields(summary)


def test_position_outside_the_output_is_refused() -> None:
    summary = analyse(load_model(CONFIGS / "resnet50.yaml"))
    with pytest.raises(ShapeError, match=r"^output row 112 is outside the 112×112 positions of layer 'conv1'; use 0 to 111$"):
        field_pixels(summary, 0, (112, 0))


# ---------------------------------------------------------------- measured with NumPy
def thin(model: Model, width: int = 2) -> Model:
    """Every conv with ``width`` filters (no groups), every dense ``width`` units."""

    nodes = []
    for node in model.nodes:
        spec, changes = node.spec, {}
        if hasattr(spec, "filters"):
            changes["filters"] = width
            changes["groups"] = 1
        if spec.kind == "dense":
            changes["units"] = width
        nodes.append(node._replace(spec=spec.replace(**changes)) if changes else node)
    return model._replace(nodes=tuple(nodes))


def perturbation_extents(model: Model, axis: int) -> dict[int, list[tuple[int, int] | None]]:
    """Per layer, per output position along ``axis``: the first and last input
    row (column) whose perturbation makes that output nonzero."""
    np = pytest.importorskip("numpy")
    from convcalc.forward import Network
    from convcalc.forward.kernels import Params

    model = model._replace(nodes=tuple(
        n._replace(spec=convcalc.make_layer("add")) if n.spec.kind == "multiply" else n for n in model.nodes
    ))
    network = Network(model)
    network.run(np.zeros((1, *model.input.dims), np.float32))  # makes each layer's weights
    for step, p in enumerate(network.params):
        arrays = {}
        for name, a in p.arrays.items():
            if name == "kernel":  # a positive average: the output stays ~1
                arrays[name] = np.full(a.shape, 1 / np.prod(a.shape[:-1]), np.float32)
            elif name in ("bias", "beta", "running_mean"):
                arrays[name] = np.zeros_like(a)
            else:  # gamma, running_var
                arrays[name] = np.ones_like(a)
        network.params[step] = Params(arrays, p.state)
    n = model.input.hw[axis]
    touched: dict[int, list[Any]] = {}

    def hook(step: int, out: Any, params: Any, seconds: float) -> None:
        hit = (out > 0).any(axis=(2 - axis, 3)) if out.ndim == 4 else (out > 0).any(axis=1)[:, None]
        touched.setdefault(step, []).append(hit)

    for low in range(0, n, 56):
        rows = range(low, min(n, low + 56))
        x = np.zeros((len(rows), *model.input.dims), np.float32)
        for b, r in enumerate(rows):
            if axis == 0:
                x[b, r] = 1
            else:
                x[b, :, r] = 1
        network.run(x, hook)
    extents = {}
    for step, parts in touched.items():
        hits = np.concatenate(parts)  # (input rows, output positions)
        extents[step] = [
            (int(h[0]), int(h[-1])) if h.size else None
            for h in (np.flatnonzero(hits[:, i]) for i in range(hits.shape[1]))
        ]
    return extents


def _compare(model: Model, axis: int, affine_exact: bool, positions: str = "all") -> None:
    """Measured == field_pixels at every (or every edge and centre) position;
    the affine bound always contains the measurement, and equals it when
    ``affine_exact``."""
    summary = analyse(model)
    fields = receptive_fields(summary)
    for step, measured in perturbation_extents(model, axis).items():
        fa = fields[step].axes[axis]
        name = summary.rows[step].node.name
        count = len(measured)
        chosen = range(count) if positions == "all" else sorted({0, 1, count // 2, (count - 1) // 2, count - 2, count - 1} & set(range(count)))
        for i in chosen:
            where = (i, 0) if axis == 0 else (0, i)
            got = measured[i]
            assert field_pixels(summary, step, where)[axis] == got, (name, i)
            bound = fa.extent(i)
            if got is not None:
                assert bound is not None and bound[0] <= got[0] and got[1] <= bound[1], (name, i, bound, got)
            if affine_exact:
                assert bound == got, (name, i, bound, got)


@pytest.mark.parametrize("axis", [0, 1], ids=["H", "W"])
@pytest.mark.parametrize("config", ["vgg16", "resnet50", "mobilenet_v2"])
def test_configs_agree_with_perturbation(config: str, axis: int) -> None:
    model = thin(load_model(CONFIGS / f"{config}.yaml"))
    model = model._replace(input=Shape.of(224, 32, 3) if axis == 0 else Shape.of(32, 224, 3))
    # Every layer, every position: the affine field cut to the input is exact
    # here (no dilation, no resampling, no zeropad, no dropped rows).
    _compare(model, axis, affine_exact=True, positions="all" if config == "vgg16" else "edges")


SMALL: list[Any] = [
    pytest.param(
        "input: [41, 37, 3]\nlayers:\n"
        "  - conv2d: {filters: 4, kernel: 3, dilation: 2, padding: 2}\n"
        "  - conv2d: {filters: 4, kernel: [3, 2], dilation: [3, 2], stride: 2}\n"
        "  - maxpool2d: {kernel: 3, stride: 2, dilation: 2, padding: 1}\n",
        False,  # the bound counts the holes of a dilated window cut at the border
        id="dilation",
    ),
    pytest.param(
        "input: [62, 70, 3]\nlayers:\n"
        "  - conv2d: {filters: 4, kernel: 4, stride: 2, padding: 1}\n"
        "  - avgpool2d: {kernel: 2}\n"  # 31 → 15: drops the conv's last row
        "  - conv2d: {filters: 4, kernel: [3, 5], stride: [1, 2], padding: [1, 2]}\n"
        "  - conv2d: {filters: 4, kernel: 1, stride: 3}\n"
        "  - maxpool2d: {kernel: 3, stride: 2, ceil_mode: true}\n",
        False,  # the bound does not know the dropped row
        id="strides",
    ),
    pytest.param(
        "input: [27, 22, 3]\nlayers:\n"
        "  - conv2d: {filters: 4, kernel: 4, stride: 2, padding: same}\n"
        "  - maxpool2d: {kernel: 3, stride: 2, padding: same}\n"
        "  - zeropad2d: {padding: [1, 2, 0, 3]}\n"
        "  - conv2d: {filters: 4, kernel: 3, padding: valid}\n",
        False,  # zeropad rows read nothing (None), the bound gives them a field
        id="same-zeropad",
    ),
    pytest.param(
        "input: [24, 20, 3]\nlayers:\n"
        "  - conv2d: {filters: 4, kernel: 3, stride: 2, padding: 1}\n"
        "  - conv_transpose2d: {filters: 4, kernel: 4, stride: 2, padding: 1}\n"
        "  - conv_transpose2d: {filters: 4, kernel: [3, 2], stride: [2, 3], padding: 1, output_padding: 1}\n"
        "  - conv2d: {filters: 4, kernel: 3, padding: 1}\n",
        False,
        id="transposed",
    ),
    pytest.param(
        "input: [12, 11, 3]\nlayers:\n"
        "  - conv_transpose2d: {filters: 4, kernel: 3, stride: 2, dilation: 2}\n"
        "  - conv2d: {filters: 4, kernel: 3}\n"
        "  - conv_transpose2d: {filters: 4, kernel: 3, stride: 2, padding: same}\n"
        "  - conv_transpose2d: {filters: 4, kernel: 2, stride: 3, padding: valid}\n",
        False,
        id="transposed-dilated-keras",
    ),
    pytest.param(
        "input: [16, 16, 3]\nlayers:\n"
        "  - conv_transpose2d: {filters: 4, kernel: 3, stride: 1, padding: 1}\n"
        "  - conv_transpose2d: {filters: 4, kernel: 2, stride: 2}\n",
        True,  # one resampling layer straight from the input: the bound is exact
        id="transposed-single",
    ),
    pytest.param(
        "input: [10, 9, 3]\nlayers:\n"
        "  - conv2d: {filters: 4, kernel: 3, padding: 1}\n"
        "  - upsample: {scale: 2}\n"
        "  - conv2d: {filters: 4, kernel: 3, padding: 1}\n"
        "  - upsample: {scale: [2, 3], mode: bilinear}\n"
        "  - conv2d: {filters: 4, kernel: 3, padding: 1}\n"
        "  - upsample: {size: [15, 14]}\n"
        "  - upsample: {scale: 1.5, mode: bilinear}\n"
        "  - upsample: {size: [11, 40], mode: bilinear, align_corners: true}\n"
        "  - upsample: {scale: 0.5}\n",
        False,
        id="upsample",
    ),
    pytest.param(
        "input: [26, 19, 3]\nlayers:\n"
        "  - conv2d: {filters: 4, kernel: 3}\n"
        "  - adaptive_avgpool2d: {output_size: [5, 7]}\n"
        "  - adaptive_maxpool2d: {output_size: 3}\n"
        "  - flatten\n"
        "  - dense: {units: 4}\n"
        "  - conv2d: {filters: 4, kernel: 3, from: conv2d, name: side}\n"
        "  - global_maxpool2d: {keepdims: true}\n",
        False,  # uneven adaptive windows: the bound takes the widest
        id="pooling-heads",
    ),
    pytest.param(
        "input: [26, 22, 3]\nlayers:\n"
        "  - conv2d: {filters: 4, kernel: 3, padding: 1, name: left}\n"
        "  - conv2d: {filters: 4, kernel: 5, padding: 2, from: input, name: right}\n"
        "  - add: {from: [left, right]}\n"
        "  - conv2d: {filters: 4, kernel: 2, stride: 2, name: even}\n"
        "  - conv2d: {filters: 4, kernel: 3, stride: 2, padding: 1, from: add, name: odd}\n"
        "  - concat: {from: [even, odd]}\n"
        "  - global_avgpool2d: {keepdims: true, name: gate}\n"
        "  - multiply: {from: [concat, gate]}\n",
        False,  # the misaligned concat's bound is the hull of both
        id="branches",
    ),
]


@pytest.mark.parametrize("axis", [0, 1], ids=["H", "W"])
@pytest.mark.parametrize(("text", "affine_exact"), SMALL)
def test_small_models_agree_with_perturbation(text: str, affine_exact: bool, axis: int) -> None:
    _compare(thin(parse_model(text)), axis, affine_exact)


# ---------------------------------------------------------------- measured with PyTorch
def torch_gradient_extents(model: Model, picks: list[tuple[int, tuple[int, int]]]) -> list[tuple[Any, Any]]:
    """For each (layer, (row, column)): the input rows and columns on which
    the gradient of that output (summed over channels) is nonzero."""
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    summary = analyse(model)
    x = torch.ones((len(picks), model.input.channels, *model.input.hw), dtype=torch.float64, requires_grad=True)
    live: dict[int, Any] = {-1: x}
    for step, (node, row) in enumerate(zip(model.nodes, summary.rows)):
        spec = node.spec
        args = [live[i] for i in node.inputs]
        a = args[0]
        kind = spec.kind
        if kind == "conv2d":
            (th, tw) = spec.windows(row.inputs[0])
            w = torch.full((spec.filters, a.shape[1] // spec.groups, *spec.kernel), 1.0 / (a.shape[1] * spec.kernel[0] * spec.kernel[1]), dtype=x.dtype)
            out = F.conv2d(F.pad(a, (tw.pad_before, tw.pad_after, th.pad_before, th.pad_after)), w, None, spec.stride, 0, spec.dilation, spec.groups)
        elif kind == "conv_transpose2d":
            ah, aw = spec.axes(row.inputs[0])
            w = torch.full((a.shape[1], spec.filters // spec.groups, *spec.kernel), 1.0 / (a.shape[1] * spec.kernel[0] * spec.kernel[1]), dtype=x.dtype)
            full = F.conv_transpose2d(a, w, None, spec.stride, 0, (ah.output_padding, aw.output_padding), spec.groups, spec.dilation)
            out = full[:, :, ah.pad_before : full.shape[2] - ah.pad_after, aw.pad_before : full.shape[3] - aw.pad_after]
        elif kind in ("maxpool2d", "avgpool2d"):
            # max measured as average: see the module docstring
            th, tw = spec.windows(row.inputs[0])
            padded = F.pad(a, (tw.pad_before, tw.pad_after, th.pad_before, th.pad_after))
            dilation = getattr(spec, "dilation", (1, 1))
            if dilation == (1, 1):
                out = F.avg_pool2d(padded, spec.kernel, spec.strides, 0, spec.ceil_mode)
            else:  # avg_pool2d has no dilation: the same average as a depthwise conv
                c = a.shape[1]
                ones = torch.full((c, 1, *spec.kernel), 1.0 / (spec.kernel[0] * spec.kernel[1]), dtype=x.dtype)
                out = F.conv2d(padded, ones, None, spec.strides, 0, dilation, c)
        elif kind in ("adaptive_avgpool2d", "adaptive_maxpool2d"):
            out = F.adaptive_avg_pool2d(a, spec.output_size)
        elif kind in ("global_avgpool2d", "global_maxpool2d"):
            out = a.mean(dim=(2, 3), keepdim=spec.keepdims)
        elif kind == "batchnorm2d":
            c = a.shape[1]
            out = F.batch_norm(a, torch.zeros(c, dtype=x.dtype), torch.ones(c, dtype=x.dtype), torch.ones(c, dtype=x.dtype), torch.zeros(c, dtype=x.dtype), training=False)
        elif kind in ("relu", "relu6"):
            out = F.relu(a)  # every value is positive: the identity, gradient 1
        elif kind == "dropout":
            out = a
        elif kind == "dense":
            w = torch.full((spec.units, a.shape[1]), 1.0 / a.shape[1], dtype=x.dtype)
            out = F.linear(a.permute(0, 2, 3, 1), w).permute(0, 3, 1, 2) if a.ndim == 4 else F.linear(a, w)
        elif kind == "flatten":
            out = a.permute(0, 2, 3, 1).reshape(a.shape[0], -1)
        elif kind == "zeropad2d":
            p = spec.padding
            out = F.pad(a, (p.left, p.right, p.top, p.bottom))
        elif kind == "upsample":
            options: dict[str, Any] = {"mode": spec.mode}
            options.update({"size": spec.size} if spec.size is not None else {"scale_factor": spec.scale})
            if spec.mode == "bilinear":
                options["align_corners"] = spec.align_corners
            out = F.interpolate(a, **options)
        elif kind in ("add", "multiply"):
            out = args[0]
            for other in args[1:]:
                out = out + other if kind == "add" else out * other
        elif kind == "concat":
            out = torch.cat(args, dim=1)
        else:
            pytest.fail(f"no torch rule for {kind}")
        live[step] = out
    total = sum(
        (live[layer][b, :, i, j].sum() if live[layer].ndim == 4 else live[layer][b].sum())
        for b, (layer, (i, j)) in enumerate(picks)
    )
    (grad,) = torch.autograd.grad(total, x)
    extents = []
    for b in range(len(picks)):
        nonzero = grad[b].abs().sum(dim=0) > 0
        rows = torch.nonzero(nonzero.any(dim=1)).flatten().tolist()
        cols = torch.nonzero(nonzero.any(dim=0)).flatten().tolist()
        extents.append(((rows[0], rows[-1]) if rows else None, (cols[0], cols[-1]) if cols else None))
    return extents


def _pixels_2d(summary: Summary, layer: int, where: tuple[int, int]) -> tuple[Any, Any]:
    """field_pixels as a gradient sees it: no pixel at all when an axis reads none."""
    rows, columns = field_pixels(summary, layer, where)
    return (rows, columns) if rows is not None and columns is not None else (None, None)


STAGES = {
    "vgg16": ["block1.pool", "block2.pool", "block3.pool", "block4.pool", "block5.pool", "predictions"],
    "resnet50": ["maxpool", "layer1.2.relu_2", "layer2.3.relu_2", "layer3.5.relu_2", "layer4.2.relu_2", "fc"],
}


@pytest.mark.parametrize("config", sorted(STAGES))
def test_stage_outputs_agree_with_torch_gradients(config: str) -> None:
    """The centre and the corner output of each stage, on the full 224×224
    input: the centre's whole field fits for early stages; for deep ones the
    field is cut to the input."""
    pytest.importorskip("torch")
    model = thin(load_model(CONFIGS / f"{config}.yaml"))
    summary = analyse(model)
    fields = receptive_fields(summary)
    index = {row.node.name: k for k, row in enumerate(summary.rows)}
    picks = []
    for name in STAGES[config]:
        h, w = fields[index[name]].h.positions, fields[index[name]].w.positions
        picks += [(index[name], ((h - 1) // 2, (w - 1) // 2)), (index[name], (0, 0))]
    measured = torch_gradient_extents(model, picks)
    for (layer, (i, j)), got in zip(picks, measured):
        f = fields[layer]
        assert (f.h.extent(i), f.w.extent(j)) == got, (summary.rows[layer].node.name, (i, j))
        assert _pixels_2d(summary, layer, (i, j)) == got


def test_centre_field_fits_early_and_is_cut_late() -> None:
    fields = _stage_outputs(analyse(load_model(CONFIGS / "vgg16.yaml")))
    # block3.pool: 28 positions, centre 13 at 7/2 + 13·8 = 107.5, ± 43/2 → 86…129, all inside
    assert fields["block3.pool"].h.extent(13) == (86, 129)
    # block5.pool: 7 positions, centre 3 at 31/2 + 96 = 111.5, ± 211/2 → 6…217: still inside,
    # the corner's −90…121 is cut to 0…121
    assert fields["block5.pool"].h.extent(3) == (6, 217)
    assert fields["block5.pool"].h.extent(0) == (0, 121)


@pytest.mark.parametrize("text", [p.values[0] for p in SMALL], ids=[p.id for p in SMALL])
def test_small_models_agree_with_torch_gradients(text: str) -> None:
    pytest.importorskip("torch")
    model = thin(parse_model(text))
    summary = analyse(model)
    picks = []
    for k, row in enumerate(summary.rows):
        shape = row.result.output
        h, w = shape.hw if shape.is_map else (1, 1)
        picks += [(k, ((h - 1) // 2, (w - 1) // 2)), (k, (0, 0)), (k, (h - 1, w - 1))]
    for (layer, where), got in zip(picks, torch_gradient_extents(model, picks)):
        assert _pixels_2d(summary, layer, where) == got, (summary.rows[layer].node.name, where)
