"""Write the Keras fixtures of tests/test_import_keras.py (needs keras and a backend).

    KERAS_BACKEND=jax python tests/data/keras/make_fixtures.py

For each keras.applications model (weights=None, default input) it writes
``<Model>.json`` (``model.to_json()``, unless larger than 300 kB: DenseNet121
is checked live instead) and records in ``references.json`` what Keras itself
says: ``count_params()``, the sizes of the trainable and non-trainable
weights, and the input and output shapes. ``zoo.json`` / ``zoo.keras`` is a
small model with every other layer class the reader maps, a frozen nested
Functional model and a nested Sequential one; ``sequential.json`` a top-level
Sequential model. ``tfkeras2_block.json`` is hand-written in tf.keras 2's
layout (TensorFlow is not needed); its figures come from the same architecture
built in Keras 3. Arguments name the fixtures to rewrite (default: all).
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
from keras import layers

HERE = Path(__file__).parent
APPLICATIONS = (
    "ResNet50", "ResNet50V2", "MobileNetV2", "MobileNetV3Small", "EfficientNetB0", "EfficientNetV2B0",
    "DenseNet121", "InceptionV3", "Xception", "ConvNeXtTiny", "VGG16",
)
LIMIT = 300_000
"""Largest fixture committed, in bytes."""


def figures(model: keras.Model) -> dict[str, object]:
    """What Keras reports: totals and the trainable / non-trainable split by weight sizes."""
    return {
        "params": model.count_params(),
        "trainable": sum(math.prod(w.shape) for w in model.trainable_weights),
        "non_trainable": sum(math.prod(w.shape) for w in model.non_trainable_weights),
        "input": list(model.input_shape[1:]),
        "output": list(model.output_shape[1:]),
    }


def zoo() -> keras.Model:
    """A small model using the layer classes keras.applications does not (or rarely) use."""
    inner_in = keras.Input((16, 16, 8), name="inner_in")
    y = layers.Conv2D(8, 3, padding="same", name="inner_conv")(inner_in)
    y = layers.BatchNormalization(name="inner_bn")(y)
    y = layers.Add(name="inner_add")([y, inner_in])
    inner = keras.Model(inner_in, y, name="backbone")
    inner.trainable = False

    head = keras.Sequential(
        [keras.Input((8, 8, 24)), layers.Conv2D(16, 1, name="head_conv"), layers.GroupNormalization(4, name="head_gn")],
        name="head",
    )

    x_in = keras.Input((32, 32, 3), name="image")
    x = layers.Normalization(axis=-1, name="norm")(x_in)
    x = layers.Rescaling(2.0, offset=-1.0, name="rescale")(x)
    x = layers.SeparableConv2D(8, 3, depth_multiplier=2, padding="same", activation="relu", name="sep")(x)
    x = layers.DepthwiseConv2D(3, depth_multiplier=2, strides=2, padding="same", use_bias=False, name="dw")(x)
    x = layers.ReLU(6.0, name="r6")(x)
    x = layers.Conv2D(8, 1, name="squeeze")(x)
    x = inner(x)
    x = layers.LeakyReLU(negative_slope=0.2, name="leaky")(x)
    a = layers.PReLU(shared_axes=[1, 2], name="prelu")(x)
    b = layers.ELU(name="elu")(x)
    b = (b - 1.0) / 2.0  # Keras operations Subtract and TrueDivide
    b = b * a  # Multiply between two tensors
    x = layers.Concatenate(name="cat")([a, b, x])
    x = layers.Conv2D(24, 3, strides=2, padding="same", name="down", trainable=False)(x)
    x = head(x)
    x = layers.Conv2DTranspose(8, 3, strides=2, padding="same", name="up_conv")(x)
    x = layers.UpSampling2D(2, name="up")(x)
    x = layers.AveragePooling2D(3, strides=2, padding="same", name="avg")(x)
    x = layers.MaxPooling2D(2, name="max")(x)
    x = layers.LayerNormalization(name="ln")(x)
    p = layers.GlobalMaxPooling2D(keepdims=True, name="gmax")(x)
    x = layers.Multiply(name="gate")([x, layers.Activation("hard_sigmoid", name="hs")(p)])
    x = layers.Activation("linear", name="lin")(x)
    x = layers.Flatten(name="flat")(x)
    x = layers.Dense(32, activation="gelu", name="fc")(x)
    x = layers.Reshape((4, 4, 2), name="reshape")(x)
    x = layers.SpatialDropout2D(0.1, name="sdrop")(x)
    x = layers.Identity(name="ident")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(0.5, name="drop")(x)
    x = layers.Dense(10, use_bias=False, name="logits")(x)
    x = layers.Softmax(name="probs")(x)
    return keras.Model(x_in, x, name="zoo")


def tfkeras2_twin() -> keras.Model:
    """The architecture of the hand-written tf.keras 2 file ``tfkeras2_block.json``, built
    in Keras 3: its figures are the reference for that file (TensorFlow is not needed)."""
    x_in = keras.Input((32, 32, 3), name="input_1")
    x = layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False, name="Conv")(x_in)
    x = layers.BatchNormalization(epsilon=0.001, momentum=0.999, name="Conv_BatchNorm")(x)
    gate = layers.ReLU(6.0, name="re_lu")(x + 3.0) * (1.0 / 6.0)
    x = layers.Multiply(name="hard_swish")([x, gate])
    head = keras.Sequential(
        [keras.Input((16, 16, 16)), layers.DepthwiseConv2D(3, padding="same", use_bias=False, name="head_dw"),
         layers.Conv2D(8, 1, activation="relu", name="head_conv")],
        name="head",
    )
    x = head(x) + layers.Conv2D(8, 1, name="proj")(x)
    x = layers.GlobalAveragePooling2D(name="global_average_pooling2d")(x)
    x = layers.Dense(10, activation="softmax", name="dense", trainable=False)(x)
    return keras.Model(x_in, x, name="tfk2_block")


def sequential() -> keras.Model:
    """A top-level Sequential model (Keras 3 lists its InputLayer among the layers)."""
    return keras.Sequential(
        [keras.Input((28, 28, 1)), layers.Conv2D(8, 3, activation="relu", name="conv"), layers.MaxPooling2D(name="pool"),
         layers.Flatten(name="flat"), layers.Dense(10, name="fc")],
        name="lenet_like",
    )


def main() -> None:
    """Write every fixture, or only those named: ``make_fixtures.py zoo tfkeras2_block``."""
    path = HERE / "references.json"
    wanted = set(sys.argv[1:])
    references = json.loads(path.read_text(encoding="utf-8")) if wanted else {"models": {}}
    references.update(keras=keras.__version__, backend=keras.backend.backend())
    models: dict[str, dict[str, object]] = references["models"]
    for name in APPLICATIONS:
        if wanted and name not in wanted:
            continue
        model = getattr(keras.applications, name)(weights=None)
        text = model.to_json()
        models[name] = {**figures(model), "committed": len(text) <= LIMIT}
        if len(text) <= LIMIT:
            (HERE / f"{name}.json").write_text(text + "\n", encoding="utf-8")
        print(name, models[name], len(text), file=sys.stderr)
        keras.backend.clear_session()
    for name, build in (("zoo", zoo), ("sequential", sequential), ("tfkeras2_block", tfkeras2_twin)):
        if wanted and name not in wanted:
            continue
        model = build()
        models[name] = {**figures(model), "committed": True}
        if name == "tfkeras2_block":
            continue  # the file is hand-written in tf.keras 2's layout; Keras 3 gives its figures
        (HERE / f"{name}.json").write_text(model.to_json() + "\n", encoding="utf-8")
        if name == "zoo":
            model.save(HERE / "zoo.keras")
    path.write_text(json.dumps(references, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
