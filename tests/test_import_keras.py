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


# --- 1-D and 3-D models -------------------------------------------------------
#
# tests/data/keras/make_nd_fixtures.py saved keras1d.keras (a 100×4 sequence) and
# keras3d.keras (an 8×16×16×3 volume) and recorded in nd_references.json what Keras
# reported for them: totals, every layer's output shape and weight sizes, and the same
# for the model rebuilt at another input size.

ND: dict[str, dict[str, Any]] = json.loads((DATA / "nd_references.json").read_text(encoding="utf-8"))["models"]
SUFFIXES = {"depthwise", "relu", "softmax"}
"""What the reader appends to a Keras name for the extra layers of one Keras layer (as used here)."""


def per_keras_layer(summary: Any, names: list[str]) -> list[list[Any]]:
    """[name, output shape, trainable, non-trainable] of each Keras layer, summed over the
    convcalc layers it became (``sep_depthwise`` and ``sep``; ``out`` and ``out_softmax``)."""
    figures = []
    for name in names:
        rows = [
            r for r in summary.rows
            if r.node.name == name or (r.node.name.startswith(f"{name}_") and r.node.name[len(name) + 1:] in SUFFIXES)
        ]
        figures.append([
            name, list(rows[-1].result.output.dims),
            sum(r.result.trainable for r in rows), sum(r.result.non_trainable for r in rows),
        ])
    return figures


def nd_summary(name: str, input: Any = None) -> Any:
    path = DATA / f"{name}.keras"
    return analyse(parse_model(to_yaml(read_keras(path, input=input)), str(path)))


@pytest.mark.parametrize("name", sorted(ND))
def test_nd_figures_equal_keras(name: str) -> None:
    ref = ND[name]
    assert figures(DATA / f"{name}.keras") == (ref["params"], ref["trainable"], ref["non_trainable"], ref["output"])
    assert read_keras(DATA / f"{name}.keras")["input"] == ref["input"]


@pytest.mark.parametrize("name", sorted(ND))
def test_nd_every_layer_equals_keras(name: str) -> None:
    layers = ND[name]["layers"]
    assert per_keras_layer(nd_summary(name), [layer[0] for layer in layers]) == layers


@pytest.mark.parametrize(
    ("name", "size"),
    [
        pytest.param("keras1d", (64,), id="1d-L"),
        pytest.param("keras1d", (64, 4), id="1d-LxC"),
        pytest.param("keras3d", (4, 32, 32), id="3d-DxHxW"),
        pytest.param("keras3d", Shape.of(4, 32, 32, 3), id="3d-DxHxWxC"),
    ],
)
def test_nd_input_override_equals_keras_rebuilt(name: str, size: Any) -> None:
    ref = ND[name]["resized"]
    summary = nd_summary(name, size)
    assert list(summary.model.input.dims) == ref["input"]
    totals = summary.totals
    assert (totals.params, totals.trainable_params, totals.non_trainable_params) == (ref["params"], ref["trainable"], ref["non_trainable"])
    assert per_keras_layer(summary, [layer[0] for layer in ref["layers"]]) == ref["layers"]


ND_MAPPED = [
    # Conv1D padding="causal": dilation·(k − 1) = 2·2 zeros before the sequence, none after
    ("keras1d", "tcn", ("conv1d", {"filters": 8, "kernel": 3, "padding": [4, 0], "dilation": 2})),
    ("keras1d", "tcn_down", ("conv1d", {"filters": 16, "kernel": 5, "stride": 2, "padding": [4, 0]})),
    ("keras1d", "grouped", ("conv1d", {"filters": 16, "kernel": 3, "stride": 2, "padding": "same", "groups": 4, "bias": False})),
    ("keras1d", "bn", ("batchnorm1d", {"eps": 0.001, "momentum": 0.01})),
    ("keras1d", "dw", ("conv1d", {"filters": 32, "kernel": 3, "padding": "same", "groups": 16})),
    ("keras1d", "sep_depthwise", ("conv1d", {"filters": 32, "kernel": 3, "dilation": 2, "groups": 32, "bias": False})),
    ("keras1d", "sep", ("conv1d", {"filters": 16, "kernel": 1})),
    ("keras1d", "pad", ("zeropad1d", {"padding": [1, 2]})),
    ("keras1d", "maxp", ("maxpool1d", {"kernel": 3, "stride": 2, "padding": "same"})),
    ("keras1d", "tconv", ("conv_transpose1d", {"filters": 8, "kernel": 3, "stride": 2, "output_padding": 1})),
    ("keras1d", "tconv_same", ("conv_transpose1d", {"filters": 8, "kernel": 4, "stride": 2, "padding": "same"})),
    ("keras1d", "up", ("upsample", {"scale": 2})),
    ("keras1d", "avgp", ("avgpool1d", {"kernel": 3, "stride": 2, "padding": "same", "count_include_pad": False})),
    ("keras1d", "sdrop", ("dropout", {"rate": 0.1})),
    # Keras' center / scale on the kind of the input's rank
    ("keras1d", "bn_scale_only", ("batchnorm1d", {"eps": 0.001, "momentum": 0.01, "center": False})),
    ("keras1d", "gmax", ("global_maxpool1d", {"keepdims": True})),
    ("keras1d", "frozen", ("conv1d", {"filters": 8, "kernel": 1, "trainable": False})),
    ("keras1d", "gap", ("global_avgpool1d", {})),
    ("keras1d", "bn_vec", ("batchnorm1d", {"eps": 0.001, "momentum": 0.01})),
    ("keras3d", "stem", ("conv3d", {"filters": 8, "kernel": 3, "stride": [1, 2, 2], "padding": "same"})),
    ("keras3d", "bn", ("batchnorm3d", {"eps": 0.001, "momentum": 0.01})),
    ("keras3d", "dil", ("conv3d", {"filters": 8, "kernel": [1, 3, 3], "dilation": [1, 2, 2], "groups": 2})),
    ("keras3d", "pad", ("zeropad3d", {"padding": [0, 1, 1, 1, 2, 0]})),
    ("keras3d", "maxp", ("maxpool3d", {"kernel": [1, 2, 2], "padding": "same"})),
    ("keras3d", "avgp", ("avgpool3d", {"kernel": 2, "stride": 1, "padding": "same", "count_include_pad": False})),
    ("keras3d", "tconv_same", ("conv_transpose3d", {"filters": 4, "kernel": 3, "stride": [1, 2, 2], "padding": "same"})),
    ("keras3d", "tconv", ("conv_transpose3d", {"filters": 4, "kernel": [2, 3, 3], "stride": [1, 2, 2], "output_padding": [0, 1, 1]})),
    ("keras3d", "up", ("upsample", {"scale": [1, 2, 2]})),
    ("keras3d", "down", ("conv3d", {"filters": 4, "kernel": 3, "stride": 2, "padding": "same", "bias": False})),
    ("keras3d", "gmax", ("global_maxpool3d", {"keepdims": True})),
    ("keras3d", "gap", ("global_avgpool3d", {})),
]


@pytest.mark.parametrize(("name", "layer", "expected"), ND_MAPPED, ids=[f"{n}-{layer}" for n, layer, _ in ND_MAPPED])
def test_nd_layers_map_to(name: str, layer: str, expected: tuple[str, dict[str, Any]]) -> None:
    kind, options = layers_by_name(read_keras(DATA / f"{name}.keras"))[layer]
    options = {k: v for k, v in options.items() if k not in ("name", "from")}
    assert (kind, options) == expected


def _nd_edited(tmp_path: Path, source: str, edit: Any) -> Path:
    with zipfile.ZipFile(DATA / f"{source}.keras") as archive:
        model = json.loads(archive.read("config.json"))
    edit({_layer["config"]["name"]: _layer for _layer in model["config"]["layers"]})
    return _write(tmp_path, "edited.json", json.dumps(model))


def _set(layer: str, **config: Any) -> Any:
    return lambda layers: layers[layer]["config"].update(config)


def _reclass(layer: str, class_name: str, **config: Any) -> Any:
    def edit(layers: dict[str, Any]) -> None:
        layers[layer]["class_name"] = class_name
        layers[layer]["config"].update(config)

    return edit


ND_BAD = [
    pytest.param("keras1d", _set("signal", batch_shape=[None, None, 4]), None,
                 r"edited\.json: leaves its input size open \(\?×4\); give --input L, e.g\. 16000$", id="1d-open"),
    pytest.param("keras3d", _set("volume", batch_shape=[None, None, None, None, 3]), None,
                 r"edited\.json: leaves its input size open \(\?×\?×\?×3\); give --input DxHxW, e\.g\. 16x112x112$", id="3d-open"),
    pytest.param("keras1d", lambda layers: None, (64, 64, 4),
                 r"edited\.json: --input 64x64x4 does not fit the model's input 100×4: give L or L×C$", id="1d-input-rank"),
    pytest.param("keras3d", lambda layers: None, (32, 32),
                 r"edited\.json: --input 32x32 does not fit the model's input 8×16×16×3: give D×H×W or D×H×W×C$", id="3d-input-rank"),
    pytest.param("keras1d", lambda layers: None, (64, 2),
                 r"edited\.json: --input has 2 channels but the model's input has 4$", id="1d-input-channels"),
    pytest.param("keras1d", _reclass("pad", "Cropping1D", cropping=[1, 2]), None,
                 r"edited\.json: layer 'pad': Keras layer class 'Cropping1D' has no convcalc equivalent; "
                 r"replace the layer, or describe the model in a convcalc YAML file$", id="cropping1d"),
    pytest.param("keras3d", _reclass("pad", "Cropping3D", cropping=[[0, 1], [1, 1], [2, 0]]), None,
                 r"edited\.json: layer 'pad': Keras layer class 'Cropping3D' has no convcalc equivalent", id="cropping3d"),
    pytest.param("keras1d", _set("dw", padding="causal"), None,
                 r"edited\.json: layer 'dw': Keras DepthwiseConv1D: padding 'causal' is not 'same' or 'valid'$", id="causal-depthwise"),
    pytest.param("keras3d", _set("stem", kernel_size=[3, 3]), None,
                 r"edited\.json: layer 'stem': Keras Conv3D: sizes \[3, 3\] do not have one number for each of the 3 spatial axes$",
                 id="3d-kernel-of-two"),
    pytest.param("keras1d", _set("signal", batch_shape=[None, 10, 4]), None,
                 r"edited\.json: layer 'sep': Keras SeparableConv1D as convcalc conv1d: dilated kernel 5 \(kernel 3, dilation 2\) "
                 r"is larger than the padded input 3 \(L=3, padding=0\)$", id="too-short"),
]


@pytest.mark.parametrize(("source", "edit", "size", "message"), ND_BAD)
def test_nd_bad_files_give_one_sentence(source: str, edit: Any, size: Any, message: str, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=message):
        read_keras(_nd_edited(tmp_path, source, edit), input=size)


def test_nd_bad_input_exits_2() -> None:
    result = CliRunner().invoke(app, ["model", str(DATA / "keras1d.keras"), "--input", "64x64x4"])
    assert result.exit_code == 2
    assert "--input 64x64x4 does not fit the model's input 100×4: give L or L×C" in " ".join(result.output.split())
    assert "Traceback" not in result.output
