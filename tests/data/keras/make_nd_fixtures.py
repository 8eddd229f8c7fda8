"""Write the 1-D and 3-D Keras fixtures of tests/test_import_keras.py (needs keras and a backend).

    KERAS_BACKEND=jax python tests/data/keras/make_nd_fixtures.py

``keras1d.keras`` is a small model over a 100×4 sequence and ``keras3d.keras``
one over an 8×16×16×3 volume, together using every 1-D and 3-D layer class
the reader maps (causal, dilated, grouped, depthwise, separable and transposed
convolutions, pooling, padding, upsampling, batch normalisation of sequences,
volumes and vectors, a frozen layer). Each is saved with ``model.save`` and its
zip rewritten with deflate compression (the same members, byte for byte; Keras
loads it back, which the script checks), so the files stay a few kB.

``nd_references.json`` records what Keras itself says: ``count_params()``,
the sizes of the trainable and non-trainable weights, the input and output
shapes, every layer's output shape and weight sizes, and the same totals for
the model rebuilt at another input size (what ``--input`` must give).
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
from keras import layers

HERE = Path(__file__).parent


def keras1d(length: int = 100) -> keras.Model:
    x_in = keras.Input((length, 4), name="signal")
    x = layers.Conv1D(8, 3, dilation_rate=2, padding="causal", name="tcn")(x_in)
    x = layers.Conv1D(16, 5, strides=2, padding="causal", activation="relu", name="tcn_down")(x)
    x = layers.Conv1D(16, 3, strides=2, padding="same", groups=4, use_bias=False, name="grouped")(x)
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.DepthwiseConv1D(3, depth_multiplier=2, padding="same", name="dw")(x)
    x = layers.SeparableConv1D(16, 3, dilation_rate=2, activation="relu", name="sep")(x)
    x = layers.ZeroPadding1D((1, 2), name="pad")(x)
    x = layers.MaxPooling1D(3, strides=2, padding="same", name="maxp")(x)
    x = layers.Conv1DTranspose(8, 3, strides=2, output_padding=1, name="tconv")(x)
    x = layers.Conv1DTranspose(8, 4, strides=2, padding="same", name="tconv_same")(x)
    x = layers.UpSampling1D(2, name="up")(x)
    x = layers.AveragePooling1D(3, strides=2, padding="same", name="avgp")(x)
    x = layers.SpatialDropout1D(0.1, name="sdrop")(x)
    x = layers.BatchNormalization(center=False, name="bn_scale_only")(x)
    x = layers.GlobalMaxPooling1D(keepdims=True, name="gmax")(x)
    x = layers.Conv1D(8, 1, trainable=False, name="frozen")(x)
    x = layers.GlobalAveragePooling1D(name="gap")(x)
    x = layers.Dense(6, name="fc")(x)
    x = layers.BatchNormalization(name="bn_vec")(x)
    x = layers.Dense(3, activation="softmax", name="out")(x)
    return keras.Model(x_in, x, name="keras1d")


def keras3d(depth: int = 8, size: int = 16) -> keras.Model:
    x_in = keras.Input((depth, size, size, 3), name="volume")
    x = layers.Conv3D(8, 3, strides=(1, 2, 2), padding="same", name="stem")(x_in)
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.ReLU(name="relu")(x)
    x = layers.Conv3D(8, (1, 3, 3), dilation_rate=(1, 2, 2), groups=2, name="dil")(x)
    x = layers.ZeroPadding3D(((0, 1), (1, 1), (2, 0)), name="pad")(x)
    x = layers.MaxPooling3D((1, 2, 2), padding="same", name="maxp")(x)
    x = layers.AveragePooling3D(2, strides=1, padding="same", name="avgp")(x)
    x = layers.Conv3DTranspose(4, 3, strides=(1, 2, 2), padding="same", name="tconv_same")(x)
    x = layers.Conv3DTranspose(4, (2, 3, 3), strides=(1, 2, 2), output_padding=(0, 1, 1), name="tconv")(x)
    x = layers.UpSampling3D((1, 2, 2), name="up")(x)
    x = layers.SpatialDropout3D(0.2, name="sdrop")(x)
    x = layers.Conv3D(4, 3, strides=2, padding="same", use_bias=False, activation="relu", name="down")(x)
    x = layers.GlobalMaxPooling3D(keepdims=True, name="gmax")(x)
    x = layers.GlobalAveragePooling3D(name="gap")(x)
    x = layers.Dense(5, name="fc")(x)
    return keras.Model(x_in, x, name="keras3d")


MODELS: dict[str, tuple[Callable[..., keras.Model], tuple[int, ...]]] = {
    "keras1d": (keras1d, (64,)),
    "keras3d": (keras3d, (4, 32)),
}
"""Each fixture's builder and the arguments of its rebuild at another input size."""


def size(weights: list[object]) -> int:
    return sum(math.prod(w.shape) for w in weights)  # type: ignore[attr-defined]


def figures(model: keras.Model) -> dict[str, object]:
    """What Keras reports: totals and the trainable / non-trainable split by weight sizes."""
    return {
        "params": model.count_params(),
        "trainable": size(model.trainable_weights),
        "non_trainable": size(model.non_trainable_weights),
        "input": list(model.input_shape[1:]),
        "output": list(model.output_shape[1:]),
    }


def per_layer(model: keras.Model) -> list[list[object]]:
    """[name, output shape, trainable, non-trainable] of every layer but the input."""
    return [
        [layer.name, list(layer.output.shape[1:]), size(layer.trainable_weights), size(layer.non_trainable_weights)]
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]


def save_small(model: keras.Model, path: Path) -> None:
    """``model.save``, then the same members deflated (Keras stores them uncompressed)."""
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info, data in members:
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    assert keras.saving.load_model(path).count_params() == model.count_params()


def main() -> None:
    references: dict[str, object] = {"keras": keras.__version__, "backend": keras.backend.backend(), "models": {}}
    models: dict[str, object] = references["models"]  # type: ignore[assignment]
    for name, (build, other) in MODELS.items():
        model = build()
        save_small(model, HERE / f"{name}.keras")
        resized = build(*other)
        models[name] = {**figures(model), "layers": per_layer(model), "resized": {**figures(resized), "layers": per_layer(resized)}}
        keras.backend.clear_session()
    (HERE / "nd_references.json").write_text(json.dumps(references, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
