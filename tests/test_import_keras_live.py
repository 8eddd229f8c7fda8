"""Optional: keras.applications built live, read back by convcalc, compared with Keras.

Needs keras and a backend (run with KERAS_BACKEND=jax, e.g. in /work/venv-keras):
each model is built with ``weights=None`` and its default input, written with
``model.to_json()`` (and one as a ``.keras`` file), and convcalc's figures must
equal Keras' count_params(), trainable / non-trainable weight sizes and output
shape. DenseNet121, whose JSON is too large to commit, is checked only here.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")

from convcalc.importers import to_yaml  # noqa: E402
from convcalc.importers.keras import read_keras  # noqa: E402
from convcalc.loader import parse_model  # noqa: E402
from convcalc.model import analyse  # noqa: E402

APPLICATIONS = (
    "ResNet50", "ResNet50V2", "MobileNetV2", "MobileNetV3Small", "EfficientNetB0", "EfficientNetV2B0",
    "DenseNet121", "InceptionV3", "Xception", "ConvNeXtTiny", "VGG16",
)


def keras_figures(model: Any) -> tuple[int, int, int, list[int]]:
    return (
        model.count_params(),
        sum(math.prod(w.shape) for w in model.trainable_weights),
        sum(math.prod(w.shape) for w in model.non_trainable_weights),
        list(model.output_shape[1:]),
    )


def convcalc_figures(path: Path, input: Any = None) -> tuple[int, int, int, list[int]]:
    summary = analyse(parse_model(to_yaml(read_keras(path, input=input)), str(path)))
    t = summary.totals
    return t.params, t.trainable_params, t.non_trainable_params, list(summary.output.dims)


@pytest.mark.parametrize("name", APPLICATIONS)
def test_application_matches_keras(name: str, tmp_path: Path) -> None:
    model = getattr(keras.applications, name)(weights=None)
    path = tmp_path / f"{name}.json"
    path.write_text(model.to_json(), encoding="utf-8")
    size = (224, 224) if None in model.input_shape[1:3] else None
    assert convcalc_figures(path, size) == keras_figures(model)
    keras.backend.clear_session()


def test_saved_keras_file(tmp_path: Path) -> None:
    base = keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=(96, 96, 3), alpha=0.35)
    base.trainable = False
    x_in = keras.Input((96, 96, 3))
    x = keras.layers.GlobalAveragePooling2D()(base(x_in))
    model = keras.Model(x_in, keras.layers.Dense(5)(x))
    model.save(tmp_path / "frozen.keras")
    assert convcalc_figures(tmp_path / "frozen.keras") == keras_figures(model)
