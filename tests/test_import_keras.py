"""The Keras reader: Keras JSON configs and .keras zips against Keras' own figures.

The references in ``tests/data/keras/references.json`` are what Keras itself
reported (``count_params()``, the sizes of ``trainable_weights`` and
``non_trainable_weights``, ``output_shape``) when ``make_fixtures.py`` saved
each model; convcalc reads the saved JSON with the standard library alone.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from convcalc.cli import app
from convcalc.importers import SourceError, to_yaml
from convcalc.importers.keras import read_keras
from convcalc.loader import parse_model
from convcalc.model import analyse
from convcalc.shapes import Shape

DATA = Path(__file__).parent / "data" / "keras"
REFERENCES: dict[str, dict[str, Any]] = json.loads((DATA / "references.json").read_text(encoding="utf-8"))["models"]
SIZES = {"MobileNetV3Small": (224, 224)}
"""Keras leaves MobileNetV3's input size open (None×None×3); 224×224 is its default size."""


def figures(path: Path, input: Any = None) -> tuple[int, int, int, list[int]]:
    """params, trainable, non-trainable and output shape, from the YAML the reader writes."""
    summary = analyse(parse_model(to_yaml(read_keras(path, input=input)), str(path)))
    totals = summary.totals
    return totals.params, totals.trainable_params, totals.non_trainable_params, list(summary.output.dims)


def reference(name: str) -> tuple[int, int, int, list[int]]:
    ref = REFERENCES[name]
    return ref["params"], ref["trainable"], ref["non_trainable"], ref["output"]


def layers_by_name(doc: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every layer entry of a document (containers included, recursively), by name."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}

    def walk(entries: list[Any]) -> None:
        for entry in entries:
            ((kind, options),) = entry.items()
            found[options["name"]] = (kind, options)
            if isinstance(options.get("layers"), list):
                walk(options["layers"])

    walk(doc["layers"])
    return found


COMMITTED = sorted(name for name, ref in REFERENCES.items() if ref["committed"] and (DATA / f"{name}.json").exists())


@pytest.mark.parametrize("name", COMMITTED)
def test_figures_equal_keras(name: str) -> None:
    assert figures(DATA / f"{name}.json", SIZES.get(name)) == reference(name)


def test_every_application_is_covered() -> None:
    applications = {n for n in REFERENCES if n[0].isupper()}
    assert applications == {
        "ResNet50", "ResNet50V2", "MobileNetV2", "MobileNetV3Small", "EfficientNetB0", "EfficientNetV2B0",
        "DenseNet121", "InceptionV3", "Xception", "ConvNeXtTiny", "VGG16",
    }
    assert set(applications) - set(COMMITTED) == {"DenseNet121"}  # 403 kB: checked live only


def test_resnet50_has_keras_published_split() -> None:
    # keras.io/api/applications: ResNet50 25.6M; model.summary(): 25,583,592 trainable, 53,120 non-trainable.
    params, trainable, non_trainable, output = figures(DATA / "ResNet50.json")
    assert (params, trainable, non_trainable, output) == (25_636_712, 25_583_592, 53_120, [1000])


def test_keras_file_reads_like_its_json() -> None:
    assert figures(DATA / "zoo.keras") == figures(DATA / "zoo.json") == reference("zoo")


def test_tf_keras_2_layout() -> None:
    # Hand-written in tf.keras 2's layout: [[name, node, tensor, kwargs]] nodes, TFOpLambda
    # arithmetic, a nested Sequential referenced as node 1; the reference is Keras 3's count
    # of the same architecture (make_fixtures.py: tfkeras2_twin).
    assert figures(DATA / "tfkeras2_block.json") == reference("tfkeras2_block")
    layers = layers_by_name(read_keras(DATA / "tfkeras2_block.json"))
    assert layers["tf___operators___add"] == ("rescaling", {"name": "tf___operators___add", "scale": 1.0, "offset": 3.0})
    assert layers["tf___operators___add_1"][0] == "add"
    assert layers["tf___operators___add_1"][1]["from"] == ["head", "proj"]
    assert layers["dense"][1]["trainable"] is False


def test_names_and_references_follow_keras() -> None:
    doc = read_keras(DATA / "ResNet50.json")
    layers = layers_by_name(doc)
    assert doc["input"] == [224, 224, 3]
    assert [next(iter(e.values()))["name"] for e in doc["layers"][:4]] == ["conv1_pad", "conv1_conv", "conv1_bn", "conv1_relu"]
    assert layers["conv1_conv"] == ("conv2d", {"name": "conv1_conv", "filters": 64, "kernel": 7, "stride": 2})
    assert layers["conv1_bn"][1] == {"name": "conv1_bn", "eps": 1.001e-05, "momentum": 0.01}
    assert layers["conv2_block1_add"] == ("add", {"name": "conv2_block1_add", "from": ["conv2_block1_0_bn", "conv2_block1_3_bn"]})
    assert layers["conv2_block1_0_conv"][1]["from"] == "pool1_pool"  # the shortcut reads back
    assert "from" not in layers["conv2_block1_1_conv"][1]  # reads the layer just before it
    assert layers["predictions_softmax"] == ("softmax", {"name": "predictions_softmax"})


def test_separable_and_depthwise_convolutions() -> None:
    xception = layers_by_name(read_keras(DATA / "Xception.json"))
    assert xception["block2_sepconv1_depthwise"][1] == {
        "name": "block2_sepconv1_depthwise",
        "filters": 64, "kernel": 3, "padding": "same", "groups": 64, "bias": False,
    }
    assert xception["block2_sepconv1"][1] == {"name": "block2_sepconv1", "filters": 128, "kernel": 1, "bias": False}
    zoo = layers_by_name(read_keras(DATA / "zoo.json"))
    # depth_multiplier 2 on 3 channels, then 8 pointwise filters with the bias and a ReLU
    assert zoo["sep_depthwise"][1]["filters"] == 6 and zoo["sep_depthwise"][1]["groups"] == 3
    assert zoo["sep"][1] == {"name": "sep", "filters": 8, "kernel": 1}
    assert zoo["sep_relu"][0] == "relu"
    assert zoo["dw"][1] == {"name": "dw", "filters": 16, "kernel": 3, "stride": 2, "padding": "same", "groups": 8, "bias": False}


def test_keras_3_operations_become_rescaling_and_merges() -> None:
    layers = layers_by_name(read_keras(DATA / "MobileNetV3Small.json", input=(224, 224)))
    # hard_sigmoid(x) = ReLU(6)(x + 3) * (1/6): Keras 3 records "add" and "multiply" operations
    assert layers["add"][0] == "rescaling" and layers["add"][1]["offset"] == 3.0 and layers["add"][1]["scale"] == 1.0
    assert layers["multiply"][0] == "rescaling" and layers["multiply"][1]["scale"] == 0.16666666666666666
    zoo = layers_by_name(read_keras(DATA / "zoo.json"))
    ops = {name: kind_options for name, kind_options in zoo.items() if name in ("subtract", "true_divide", "multiply")}
    assert ops["subtract"][1] | {"name": ""} == {"name": "", "scale": 1.0, "offset": -1.0}
    assert ops["true_divide"][1] | {"name": ""} == {"name": "", "from": "subtract", "scale": 0.5, "offset": 0.0}
    assert ops["multiply"] == ("multiply", {"name": "multiply", "from": ["true_divide", "prelu"]})


def test_nested_models_and_frozen_layers() -> None:
    doc = read_keras(DATA / "zoo.json")
    layers = layers_by_name(doc)
    kind, backbone = layers["backbone"]
    assert kind == "sequential" and backbone["trainable"] is False
    assert [next(iter(e)) for e in backbone["layers"]] == ["identity", "conv2d", "batchnorm2d", "add"]
    assert backbone["layers"][-1]["add"]["from"] == ["inner_bn", "inner_in"]  # the nested input, by its Keras name
    assert layers["head"][0] == "sequential" and "trainable" not in layers["head"][1]
    assert layers["down"][1]["trainable"] is False
    model = parse_model(to_yaml(doc))
    names = {node.name for node in model.nodes}
    assert {"backbone.inner_conv", "head.head_gn"} <= names


def test_input_override() -> None:
    assert read_keras(DATA / "ResNet50.json", input=(160, 160))["input"] == [160, 160, 3]
    assert read_keras(DATA / "ResNet50.json", input=Shape.of(160, 160, 3))["input"] == [160, 160, 3]
    assert figures(DATA / "MobileNetV3Small.json", (160, 160))[:3] == reference("MobileNetV3Small")[:3]


# --- bad input ----------------------------------------------------------------


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def _zip(tmp_path: Path, name: str, members: dict[str, str]) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in members.items():
            archive.writestr(member, text)
    return path


def _edited(tmp_path: Path, edit: Any, source: str = "tfkeras2_block.json") -> Path:
    model = json.loads((DATA / source).read_text(encoding="utf-8"))
    edit(model["config"]["layers"], model)
    return _write(tmp_path, "edited.json", json.dumps(model))


def _rename_class(layers: list[Any], model: Any) -> None:
    layers[1]["class_name"] = "Conv3DWhatever"


def _channels_first(layers: list[Any], model: Any) -> None:
    layers[1]["config"]["data_format"] = "channels_first"


def _two_inputs(layers: list[Any], model: Any) -> None:
    model["config"]["input_layers"] = [["input_1", 0, 0], ["input_1", 0, 0]]


def _shared_conv(layers: list[Any], model: Any) -> None:
    layers[8]["inbound_nodes"].append([["multiply", 0, 0, {}]])


def _dangling(layers: list[Any], model: Any) -> None:
    layers[1]["inbound_nodes"] = [[["nowhere", 0, 0, {}]]]


def _open_size(layers: list[Any], model: Any) -> None:
    layers[0]["config"]["batch_input_shape"] = [None, None, None, 3]


def _lambda_op(layers: list[Any], model: Any) -> None:
    layers[3]["config"]["function"] = "image.resize"


BAD = [
    pytest.param(lambda p: _write(p, "m.keras", b"PK\x03\x04 truncated"), "m.keras: is not a zip archive", id="truncated-keras"),
    pytest.param(lambda p: _zip(p, "m.keras", {"metadata.json": "{}"}), "m.keras: is a zip without config.json", id="zip-without-config"),
    pytest.param(lambda p: _write(p, "m.json", '{"class_name": "Functional",'), r"m.json: is not valid JSON at line 1, column 29 \(Expecting property name", id="bad-json"),
    pytest.param(lambda p: _write(p, "m.json", '{"class_name": "Dense"}'), r"m.json: is not a Keras model \(top-level class_name is 'Dense', expected Functional or Sequential\)", id="not-a-model"),
    pytest.param(lambda p: _edited(p, _rename_class), "edited.json: layer 'Conv': Keras layer class 'Conv3DWhatever' has no convcalc equivalent", id="unknown-class"),
    pytest.param(lambda p: _edited(p, _lambda_op), "layer 'tf.__operators__.add': TensorFlow operation tf.image.resize has no convcalc equivalent", id="unknown-tf-op"),
    pytest.param(lambda p: _edited(p, _channels_first), "layer 'Conv': uses data_format 'channels_first'", id="channels-first"),
    pytest.param(lambda p: _edited(p, _two_inputs), "edited.json: has 2 inputs; convcalc models take one", id="two-inputs"),
    pytest.param(lambda p: _edited(p, _shared_conv), "layer 'proj': is called 2 times, sharing its weights", id="shared-weights"),
    pytest.param(lambda p: _edited(p, _dangling), "layer 'Conv': reads 'nowhere', which is not a layer of the model", id="dangling"),
    pytest.param(lambda p: _edited(p, _open_size), r"leaves its input size open \(\?×\?×3\); give --input HxW", id="open-size"),
]


@pytest.mark.parametrize(("make", "message"), BAD)
def test_bad_files_give_one_sentence(make: Any, message: str, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=message):
        read_keras(make(tmp_path))


@pytest.mark.parametrize(("make", "message"), [BAD[1], BAD[4]])
def test_bad_files_exit_2(make: Any, message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["model", str(make(tmp_path))])
    assert result.exit_code == 2
    assert message.split(": ", 1)[1] in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_input_channels_must_match() -> None:
    with pytest.raises(SourceError, match="--input has 1 channels but the model's input has 3"):
        read_keras(DATA / "ResNet50.json", input=(224, 224, 1))


def test_a_frozen_nested_model_is_frozen_once() -> None:
    backbone = layers_by_name(read_keras(DATA / "zoo.json"))["backbone"][1]
    assert backbone["trainable"] is False
    assert all("trainable" not in next(iter(e.values())) for e in backbone["layers"])


def test_every_mapped_kind_exists() -> None:
    from convcalc.importers import keras as reader
    from convcalc.layers import canonical_kind

    kinds = {kind for kind in reader.ACTIVATIONS.values() if kind} | set(reader._OP_ACTIVATIONS.values())
    kinds |= {kind for kind in reader._TF_OPS.values() if kind not in ("add", "multiply", "subtract", "divide")}
    assert all(canonical_kind(kind) == kind for kind in sorted(kinds))
