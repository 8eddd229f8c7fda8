"""The generated Keras builder, run by Keras, agrees with convcalc.

Optional: needs keras (any backend; the tests were run with KERAS_BACKEND=jax).
For every bundled network that exports to Keras: ``count_params()``, the
non-trainable weights and the output shape equal convcalc's, and so does
every layer's output shape and parameter count, found by the name the export
gives it (``Exported.places``).
"""

from __future__ import annotations

import pytest

from convcalc.catalog import bundled
from convcalc.export import ExportError, Target, export_source, export_text
from convcalc.loader import load, parse

keras = pytest.importorskip("keras")

REFUSED = {
    "googlenet": "layer 'inception3a.branch4.0' \\(maxpool2d\\): ceil_mode pooling has no Keras counterpart",
    "m5": "layer 'pool1' \\(maxpool1d\\): ceil_mode pooling has no Keras counterpart",
}
"""Bundled networks Keras cannot express exactly, and the sentence that says why."""


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
    if name in REFUSED:
        with pytest.raises(ExportError, match=REFUSED[name]):
            export_source(name, Target.KERAS)
        return
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
    assert exported.places == {"a.conv2d": "a.conv2d", "a.conv2d_1": "a.conv2d_1", "b.conv2d": "b.conv2d_1"}
    model = build(exported.code)
    for row in summary.rows:
        layer = model.get_layer(exported.places[row.node.name])
        assert tuple(layer.output.shape[1:]) == row.result.output.dims
        assert weights(layer) == (row.result.trainable, row.result.non_trainable)
