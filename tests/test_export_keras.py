"""The generated Keras builder, run by Keras, agrees with convcalc.

Optional: needs keras (any backend; the tests were run with KERAS_BACKEND=jax).
For every bundled network: ``count_params()``, the non-trainable weights and
the output shape equal convcalc's, and so does every layer's output shape and
parameter count, found by the name the export gives it (``Exported.places``).
PyTorch's ``ceil_mode`` pooling, which Keras has not, is written as a ``-inf``
padding and a ``valid`` pool; on random input it gives the numbers of torch's
own ceil_mode pool (where torch is installed) and of the NumPy forward pass.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from convcalc.catalog import bundled
from convcalc.export import ExportError, Target, export_source, export_text
from convcalc.forward import run_layer
from convcalc.layers import make_layer
from convcalc.loader import load, parse

keras = pytest.importorskip("keras")

RUFF = shutil.which("ruff") or "/work/venv-dev/bin/ruff"


def build(code: str):
    namespace: dict = {}
    exec(compile(code, "<export>", "exec"), namespace)
    builder = [name for name in namespace if name.startswith("build_")][-1]
    return namespace[builder]()


def weights(layer) -> tuple[int, int]:
    trainable = sum(int(w.numpy().size) for w in layer.trainable_weights)
    return trainable, sum(int(w.numpy().size) for w in layer.non_trainable_weights)


@pytest.mark.parametrize("name", list(bundled()), ids=str)
def test_bundled_network_matches_keras(name: str) -> None:
    summary = load(bundled()[name])
    exported = export_source(name, Target.KERAS)
    model = build(exported.code)
    t = summary.totals
    assert model.count_params() == t.params
    assert weights(model) == (t.trainable_params, t.non_trainable_params)
    assert tuple(model.output.shape[1:]) == summary.output.dims
    by_name = {layer.name: layer for layer in model.layers}
    assert set(exported.places.values()) <= set(by_name), "a place that is no layer"
    for row in summary.rows:
        layer = by_name.get(exported.places.get(row.node.name, ""))
        if layer is None:
            assert row.result.params == 0, row.node.name
            continue
        assert tuple(layer.output.shape[1:]) == row.result.output.dims, row.node.name
        assert weights(layer) == (row.result.trainable, row.result.non_trainable), row.node.name


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
    # In b the first conv2d is skipped: the loader calls the second one b.conv2d, the builder b.conv2d_1.
    summary = parse(SKIPPED)
    exported = export_text(SKIPPED, Target.KERAS)
    assert exported.places == {
        "a.conv2d": "a.conv2d",
        "a.conv2d_1": "a.conv2d_1",
        "b.conv2d": "b.conv2d_1",
    }
    model = build(exported.code)
    for row in summary.rows:
        layer = model.get_layer(exported.places[row.node.name])
        assert tuple(layer.output.shape[1:]) == row.result.output.dims
        assert weights(layer) == (row.result.trainable, row.result.non_trainable)


@pytest.mark.parametrize("name", list(bundled()), ids=str)
def test_generated_code_passes_ruff_and_imports_only_keras(name: str, tmp_path: Path) -> None:
    if not Path(RUFF).exists():
        pytest.skip("ruff is not installed")
    code = export_source(name, Target.KERAS).code
    target = tmp_path / f"{name}.py"
    target.write_text(code, encoding="utf-8")
    result = subprocess.run(
        [RUFF, "check", "--no-cache", "--isolated", str(target)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
    imports = [line for line in code.splitlines() if line.startswith(("import ", "from "))]
    assert imports[0] == "import keras"
    assert imports[1] in ("from keras import layers", "from keras import layers, ops")
    assert "lambda" not in code.lower()  # a Lambda layer neither reads as hand-written nor saves


DENSENET_LOOP = """
    x = dense_layer(x, name='features.denseblock1.0')
    for i in range(1, 6):
        x = dense_layer(x, name=f'features.denseblock1.{i}')
    x = transition(x, name='features.transition1')
"""


def test_a_repeated_block_inside_a_sequential_is_a_loop() -> None:
    """densenet121's dense blocks repeat a block inside the ``features`` chain."""
    code = export_source("densenet121", Target.KERAS).code
    assert DENSENET_LOOP in code
    assert code.count("def dense_layer(") == 1
    assert len(code.splitlines()) < 80


CEIL_POOLS = [
    # (kind, input, options): PyTorch's figures in the comments, worked out from its rule
    # out = ceil((padded − kernel) / stride) + 1, less a last window starting in the right padding.
    pytest.param("maxpool1d", (125, 3), {"kernel": 4}, id="m5-pool4-125-to-32-overhang-3"),
    pytest.param(
        "maxpool2d", (2, 2, 3), {"kernel": 3, "stride": 2}, id="window-larger-than-the-map-2-to-1"
    ),
    pytest.param(
        "maxpool2d",
        (5, 5, 2),
        {"kernel": 2, "stride": 2, "padding": 1},
        id="last-window-in-the-padding-dropped-7-to-3",
    ),
    pytest.param(
        "maxpool2d", (7, 10, 2), {"kernel": 3, "stride": 2}, id="per-axis-7-to-3-and-10-to-5"
    ),
    pytest.param(
        "maxpool2d",
        (9, 9, 2),
        {"kernel": 3, "stride": 3, "padding": 1},
        id="padding-and-overhang-9-to-4",
    ),
    pytest.param("maxpool2d", (6, 6, 1), {"kernel": 5, "stride": 4}, id="overhang-of-3-6-to-2"),
    pytest.param(
        "maxpool2d",
        (7, 7, 2),
        {"kernel": 3, "stride": 1, "padding": 1},
        id="stride-1-changes-nothing",
    ),
    pytest.param("maxpool3d", (5, 6, 7, 2), {"kernel": 2, "stride": 2}, id="3-d"),
    pytest.param(
        "avgpool2d",
        (7, 7, 2),
        {"kernel": 3, "stride": 3, "padding": 1},
        id="average-without-overhang",
    ),
    pytest.param(
        "avgpool1d", (9, 2), {"kernel": 3, "stride": 2}, id="average-1-d-without-overhang"
    ),
]


def _one_pool(kind: str, shape: tuple[int, ...], options: dict) -> str:
    given = ", ".join(f"{k}: {v}" for k, v in {**options, "ceil_mode": "true"}.items())
    return f"input: {list(shape)}\nlayers:\n  - {kind}: {{{given}, name: pool}}\n"


def _torch_pool(kind: str, x: np.ndarray, options: dict) -> np.ndarray:
    torch = pytest.importorskip("torch")
    pool = getattr(torch.nn.functional, kind.replace("pool", "_pool"))
    channels_first = torch.from_numpy(x).movedim(-1, 1)
    out = pool(
        channels_first,
        options["kernel"],
        options.get("stride"),
        options.get("padding", 0),
        ceil_mode=True,
    )
    return out.movedim(1, -1).numpy()


def _forward_pool(kind: str, x: np.ndarray, options: dict) -> np.ndarray:
    return run_layer(make_layer(kind, {**options, "ceil_mode": True}), x)[0]


@pytest.mark.parametrize("referee", [_torch_pool, _forward_pool], ids=["torch", "numpy-forward"])
@pytest.mark.parametrize(("kind", "shape", "options"), CEIL_POOLS)
def test_ceil_mode_pooling_gives_the_referees_numbers(
    kind: str, shape: tuple[int, ...], options: dict, referee
) -> None:
    text = _one_pool(kind, shape, options)
    model = build(export_text(text, Target.KERAS).code)
    x = np.random.default_rng(15).standard_normal((2, *shape)).astype(np.float32)
    expected = referee(kind, x, options)
    got = np.asarray(model(x))
    assert got.shape[1:] == parse(text).output.dims == expected.shape[1:]
    if kind.startswith("max"):
        np.testing.assert_array_equal(got, expected)  # a max picks one of the inputs: no rounding
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


DIFFERENT_OVERHANGS = """\
input: [10, 10, 2]
blocks:
  down:
    layers:
      - maxpool2d: {kernel: 2, ceil_mode: true}
layers:
  - down: {name: a}
  - down: {name: b}
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            _one_pool("avgpool2d", (6, 6, 2), {"kernel": 3, "stride": 3, "padding": 1}),
            "<text>:3:5: layer 'pool' (avgpool2d): ceil_mode average pooling whose last window overhangs the input "
            "has no Keras counterpart (PyTorch leaves the overhang out of that window's divisor, Keras' valid pooling does not)",
            id="average-with-overhang",
        ),
        pytest.param(
            DIFFERENT_OVERHANGS,
            # a: 10 -> 5 exactly; b: 5 -> 3, its last window overhanging by one
            "<text>:5:9: layer 'a.maxpool2d' (maxpool2d): ceil_mode overhangs by different cells in different "
            "instances of this block (it depends on the input size); a Keras function pads by one amount",
            id="overhang-differs-between-instances",
        ),
    ],
)
def test_ceil_mode_that_keras_cannot_say_exactly_is_refused(text: str, message: str) -> None:
    with pytest.raises(ExportError) as caught:
        export_text(text, Target.KERAS)
    assert caught.value.message == message


FROZEN_NESTED = """\
input: [8, 8, 3]
blocks:
  unit: {layers: [conv2d: {filters: 4, kernel: 3, padding: 1}, batchnorm2d, relu]}
  pair: {layers: [unit: {name: a, trainable: false}, unit: {name: b}]}
layers:
  - sequential:
      name: stage
      layers:
        - unit: {name: u1, trainable: false}
        - pair: {name: p}
  - pair: {name: q, repeat: 2}
  - unit: {name: top, trainable: false}
  - global_avgpool2d
  - dense: {units: 2}
"""


GAMMA_OR_BETA = """\
input: [8, 8, 3]
blocks:
  unit:
    params: {learn_shift: true}
    layers: [batchnorm2d: {center: $learn_shift, name: bn}]
layers:
  - conv2d: {filters: 4, kernel: 3}
  - batchnorm2d: {scale: false, name: beta_only}
  - batchnorm2d: {center: false, name: gamma_only}
  - batchnorm2d: {affine: false, scale: true, name: neither}
  - unit: {name: u, learn_shift: false}
"""


@pytest.mark.parametrize("text", [FROZEN_NESTED, GAMMA_OR_BETA], ids=["frozen-at-any-depth", "gamma-or-beta-only"])
def test_small_networks_match_keras_layer_by_layer(text: str, tmp_path: Path) -> None:
    # frozen block instances in a sequential, inside another block and repeated;
    # batch norm learning γ only or β only (Keras' scale and center), also from a
    # block parameter: every layer's weights as Keras counts them equal convcalc's
    path = tmp_path / "net.yaml"
    path.write_text(text)
    summary = load(path)
    model = build(export_source(str(path), Target.KERAS).code)
    t = summary.totals
    assert t.non_trainable_params > 0 and weights(model) == (t.trainable_params, t.non_trainable_params)
    by_name = {layer.name: layer for layer in model.layers}
    for row in summary.rows:
        if row.result.params:
            assert weights(by_name[row.node.name]) == (row.result.trainable, row.result.non_trainable), row.node.name
