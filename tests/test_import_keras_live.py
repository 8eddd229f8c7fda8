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
from test_import_keras import per_keras_layer  # noqa: E402

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


# --- 1-D and 3-D models, layer by layer -----------------------------------------

L = keras.layers


def causal_1d() -> Any:
    return keras.Sequential([
        keras.Input((37, 3)),
        L.Conv1D(4, 4, dilation_rate=3, padding="causal", name="dilated"),
        L.Conv1D(6, 3, strides=3, padding="causal", activation="relu", name="strided"),
        L.Conv1D(6, 1, padding="causal", name="pointwise"),
        L.SeparableConv1D(5, 4, strides=2, padding="same", depth_multiplier=3, name="sep"),
        L.DepthwiseConv1D(5, strides=2, padding="same", use_bias=False, name="dw"),
        L.MaxPooling1D(2, padding="same", name="maxp"),
        L.GlobalAveragePooling1D(keepdims=True, name="gap"),
        L.Conv1D(2, 1, trainable=False, name="frozen"),
    ])


def transposed_1d() -> Any:
    return keras.Sequential([
        keras.Input((13, 5)),
        L.Conv1DTranspose(4, 5, strides=3, padding="same", name="same3"),
        L.Conv1DTranspose(3, 4, strides=2, output_padding=1, name="valid2"),
        L.UpSampling1D(3, name="up"),
        L.AveragePooling1D(4, strides=3, padding="same", name="avgp"),
        L.ZeroPadding1D(3, name="pad"),
        L.BatchNormalization(center=False, scale=False, name="bn_plain"),
        L.SpatialDropout1D(0.3, name="sdrop"),
        L.GlobalMaxPooling1D(name="gmax"),
        L.BatchNormalization(name="bn_vec"),
    ])


def volume_3d() -> Any:
    return keras.Sequential([
        keras.Input((7, 9, 11, 2)),
        L.Conv3D(4, (3, 2, 5), strides=(2, 3, 1), padding="same", name="odd"),
        L.BatchNormalization(name="bn"),
        L.Conv3D(4, 2, dilation_rate=2, groups=2, name="dilated"),
        L.MaxPooling3D((2, 3, 2), strides=(1, 2, 3), padding="same", name="maxp"),
        L.ZeroPadding3D((1, 1, 2), name="pad"),
        L.AveragePooling3D((1, 2, 2), name="avgp"),
        L.UpSampling3D((2, 1, 3), name="up"),
        L.SpatialDropout3D(0.2, name="sdrop"),
        L.BatchNormalization(scale=False, name="bn_shift_only"),
        L.GlobalAveragePooling3D(keepdims=True, name="gap"),
        L.Flatten(name="flat"),
        L.Dense(3, activation="softmax", name="fc"),
    ])


def transposed_3d() -> Any:
    return keras.Sequential([
        keras.Input((5, 6, 7, 3)),
        L.Conv3DTranspose(4, (2, 3, 4), strides=(2, 3, 1), padding="same", name="same"),
        L.Conv3DTranspose(2, 3, strides=2, output_padding=(1, 0, 1), use_bias=False, name="valid"),
        L.AveragePooling3D(3, strides=2, padding="same", name="avgp"),
        L.GlobalMaxPooling3D(name="gmax"),
    ])


@pytest.mark.parametrize("build", [causal_1d, transposed_1d, volume_3d, transposed_3d], ids=lambda b: b.__name__)
def test_nd_model_layer_by_layer(build: Any, tmp_path: Path) -> None:
    model = build()
    model.save(tmp_path / "m.keras")
    keras_layers = [
        [layer.name, list(layer.output.shape[1:]), sum(math.prod(w.shape) for w in layer.trainable_weights),
         sum(math.prod(w.shape) for w in layer.non_trainable_weights)]
        for layer in model.layers
    ]
    summary = analyse(parse_model(to_yaml(read_keras(tmp_path / "m.keras")), "m.keras"))
    assert per_keras_layer(summary, [layer[0] for layer in keras_layers]) == keras_layers
    assert convcalc_figures(tmp_path / "m.keras") == keras_figures(model)
    keras.backend.clear_session()
