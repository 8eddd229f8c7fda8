"""The generated Keras builder, run by Keras, agrees with convcalc.

Optional: needs keras (any backend; the tests were run with KERAS_BACKEND=jax).
For every bundled network that exports to Keras: ``count_params()``, the
non-trainable weights and the output shape equal convcalc's, and so does
every named layer's output shape and parameter count.
"""

from __future__ import annotations

import pytest

from convcalc.catalog import bundled
from convcalc.export import ExportError, Target, export_source
from convcalc.loader import load

keras = pytest.importorskip("keras")

REFUSED = {"googlenet": "ceil_mode pooling has no Keras counterpart"}
REFUSED.update({name: "has no export rule for conv[13]d" for name in ("m5", "r3d_18", "r2plus1d_18")})
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
    model = build(export_source(name, Target.KERAS))
    t = summary.totals
    assert model.count_params() == t.params
    assert weights(model) == (t.trainable_params, t.non_trainable_params)
    assert tuple(model.output.shape[1:]) == summary.output.dims
    by_name = {layer.name: layer for layer in model.layers}
    for row in summary.rows:
        layer = by_name.get(row.node.name)
        if layer is None:
            assert row.result.params == 0, row.node.name
            continue
        assert tuple(layer.output.shape[1:]) == row.result.output.dims, row.node.name
        assert weights(layer) == (row.result.trainable, row.result.non_trainable), row.node.name
