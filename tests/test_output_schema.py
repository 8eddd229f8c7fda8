"""Every JSON document convcalc prints validates against ``convcalc/output.schema.json``.

The schema is the contract docs/output.md describes; these runs cover each
command's document in its variants (batch, layout, verification, merges,
findings, differences), and a few documents that must be refused show the
schema can fail.
"""

from __future__ import annotations

import json
import shlex
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from convcalc.cli import app

SCHEMA = json.loads((files("convcalc") / "output.schema.json").read_text(encoding="utf-8"))
ENV = {"COLUMNS": "200", "NO_COLOR": "1"}
runner = CliRunner()


def validator(definition: str) -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator({"$ref": f"#/definitions/{definition}", "definitions": SCHEMA["definitions"]})


def document(args: str, codes: tuple[int, ...] = (0,)) -> dict:
    result = runner.invoke(app, [*shlex.split(args), "--format", "json"], env=ENV)
    assert result.exit_code in codes, result.output
    return json.loads(result.stdout)


def test_the_schema_is_a_valid_draft_07_schema() -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)


CASES = [
    pytest.param("layer", "layer 224x224x3 -k 7 -s 2 -p 3 -f 64 --no-bias", (0,), id="layer"),
    pytest.param("layer", "layer 224x224x3 -k 3 -s 2 -p same -f 8 --explain --batch 4", (0,), id="layer-same-batch"),
    pytest.param("layer", "layer 28x28x64 -t concat --with 28x28x32", (0,), id="layer-merge"),
    pytest.param("layer", "layer 3x16x16 --layout chw -k 3 -f 4 --verify --batch 2", (0,), id="layer-chw-verified"),
    pytest.param("layer", "layer 100x8 -t conv1d -k 3 -f 4", (0,), id="layer-1d"),
    pytest.param("model", "model resnet50", (0,), id="model"),
    pytest.param("model", "model mobilenet_v2 --layout chw --batch 8 --optimizer adam", (0,), id="model-batch-training"),
    pytest.param("model", "model lenet5 --verify", (0,), id="model-verified"),
    pytest.param("model", "model m5", (0,), id="model-1d"),
    pytest.param("solve_layer", "solve -i 224 --output-size 112 -k 7", (0,), id="solve"),
    pytest.param("solve_layer", "solve -i 112 --output-size 224 -k 3 -s 2 -p 1 --transposed", (0,), id="solve-transposed"),
    pytest.param("solve_model", "solve --model vgg16", (0,), id="solve-model"),
    pytest.param("solve_axes", "solve -i 16x112x112 --output-size 8x56x56 -k 3x7x7 -s 2", (0,), id="solve-axes"),
    pytest.param("solve_axes", "solve -i 8x28x28 --output-size 16x56x56 -k 3 -s 2 -p 1 --transposed", (0,), id="solve-axes-transposed"),
    pytest.param("solve_model", "solve --model r3d_18 --high 64x256x256", (0,), id="solve-model-3d"),
    pytest.param("solve_model", "solve --model m5", (0,), id="solve-model-1d"),
    pytest.param("model", "model r3d_18", (0,), id="model-3d"),
    pytest.param("check", "check configs", (0,), id="check"),
    pytest.param("diff", "diff lenet5 --input-b 36x36x1", (1,), id="diff-sizes"),
    pytest.param("diff", "diff resnet50 resnet50_keras", (1,), id="diff-two-files"),
    pytest.param("diff", "diff lenet5 lenet5", (0,), id="diff-same"),
]


@pytest.mark.parametrize(("definition", "args", "codes"), CASES)
def test_every_document_validates(definition: str, args: str, codes: tuple[int, ...]) -> None:
    doc = document(args, codes)
    assert doc["schema_version"] == 1
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator(definition).iter_errors(doc)]
    assert errors == []
    assert jsonschema.Draft7Validator(SCHEMA).is_valid(doc)  # the top-level schema takes it too


def test_check_with_findings_validates(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("input: [8, 8, 3]\nlayers:\n  - conv2d: {filters: 4, kernel: 9}\n")
    doc = document(f"check {bad}", (1, 2))
    assert doc["findings"], "a finding to validate"
    assert list(validator("check").iter_errors(doc)) == []


@pytest.mark.parametrize(
    ("definition", "change", "message"),
    [
        pytest.param("layer", lambda d: d.pop("schema_version"), "'schema_version' is a required property", id="no-version"),
        pytest.param("layer", lambda d: d["params"].pop("total"), "'total' is a required property", id="no-total"),
        pytest.param("model", lambda d: d["layers"][0]["params"].pop("total"), "'total' is a required property", id="model-no-total"),
        pytest.param("model", lambda d: d.update(schema_version=2), "1 was expected", id="other-version"),
        pytest.param("model", lambda d: d["totals"].update(activation_bytes="18.4 KiB"), "'18.4 KiB' is not of type 'integer'", id="text-bytes"),
    ],
)
def test_the_schema_refuses_what_it_should(definition: str, change, message: str) -> None:
    doc = document("layer 8x8x3 -k 3 -f 4" if definition == "layer" else "model lenet5")
    change(doc)
    messages = [e.message for e in validator(definition).iter_errors(doc)]
    assert message in messages
