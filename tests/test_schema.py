"""The JSON Schema for editors: valid draft-07, true to the loader and the layer engine.

Every bundled config and every example in docs/format.md must validate;
broken documents must be rejected by the schema *and* by the loader, with the
schema's best-matching error at the offending key.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest
import yaml

import convcalc
from convcalc.layers import ALIASES, KINDS, spec_class
from convcalc.loader import BLOCK_KEYS, COMMON, CONTAINERS, TOP_KEYS, LoadError, parse_model

SCHEMA = json.loads((files("convcalc") / "schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
CONFIGS = sorted((Path(convcalc.__file__).parent / "configs").glob("*.yaml"))
DEFS = SCHEMA["definitions"]


def _errors(text: str) -> list[jsonschema.ValidationError]:
    return list(VALIDATOR.iter_errors(yaml.safe_load(text)))


def test_schema_is_valid_draft7() -> None:
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_bundled_config_validates(path: Path) -> None:
    assert _errors(path.read_text(encoding="utf-8")) == []


def test_doc_examples_validate() -> None:
    from test_format_doc import EXAMPLES

    for example in EXAMPLES:
        if not example.invalid:
            assert _errors(example.text) == [], f"docs/format.md line {example.line}"


# ------------------------------------------------------------ in step with the code


def test_top_level_and_block_keys_match_the_loader() -> None:
    assert set(SCHEMA["properties"]) == set(TOP_KEYS)
    assert set(DEFS["block"]["properties"]) == set(BLOCK_KEYS)


def test_every_kind_alias_and_container_has_a_schema() -> None:
    assert set(DEFS["entry"]["oneOf"][1]["properties"]) == {*KINDS, *ALIASES, *CONTAINERS}


@pytest.mark.parametrize("kind", KINDS)
def test_kind_options_match_the_spec_class(kind: str) -> None:
    assert set(DEFS[f"options_{kind}"]["properties"]) == {*spec_class(kind).option_names(), *COMMON}


@pytest.mark.parametrize("kind", list(CONTAINERS))
def test_container_options_match_the_loader(kind: str) -> None:
    options = DEFS[f"options_{kind}"]
    if kind == "sequential":  # a list, or a mapping with 'layers'
        options = options["anyOf"][1]
    assert set(options["properties"]) == {*CONTAINERS[kind], *COMMON}


# ------------------------------------------------------------ accepted

ACCEPTED = [
    ("expressions-everywhere",
     "input: [8, 8, 3]\nparams: {w: 4}\n"
     "layers:\n  - conv2d: {filters: $w * 2, kernel: [$w, 1], padding: same, bias: $w > 2, if: $w > 0}\n"),
    ("bare-kinds-and-aliases", "input: [8, 8, 3]\nlayers: [relu, batchnorm, swish, flatten, dropout]\n"),
    ("null-options", "input: [8, 8, 3]\nlayers:\n  - batchnorm2d:\n  - relu: {name: r}\n"),
    ("padding-forms",
     "input: [8, 8, 3]\nlayers:\n  - conv2d: {filters: 3, kernel: 3, padding: [1, 1, 0, 2]}\n"
     "  - conv2d: {filters: 3, kernel: 3, padding: [1, 0]}\n  - conv2d: {filters: 3, kernel: 1, padding: VALID}\n"),
    ("block-use-bare-and-with-options",
     "input: [8, 8, 3]\nblocks:\n  unit: {params: {w: 4}, layers: [conv2d: {filters: $w, kernel: 1}]}\n"
     "layers:\n  - unit\n  - unit: {w: 8, repeat: 2, first: {w: 3}, name: u, trainable: false}\n"),
    ("sequential-as-a-list", "input: [8, 8, 3]\nlayers:\n  - sequential: [relu, relu]\n"),
    ("merge-from-list", "input: [8, 8, 3]\nlayers:\n  - relu: {name: a}\n  - add: {from: [a, input]}\n"),
    ("vector-input-and-expect", "input: [784]\nlayers: [dense: {units: 10}]\nexpect: {params: 7850}\n"),
]


@pytest.mark.parametrize(("text",), [(t,) for _, t in ACCEPTED], ids=[i for i, _ in ACCEPTED])
def test_accepted(text: str) -> None:
    assert _errors(text) == []
    parse_model(text, "net.yaml")  # the loader agrees


# ------------------------------------------------------------ rejected
REJECTED = [
    # (id, text, path of the best-matching error)
    ("no-layers", "input: [8, 8, 3]\n", []),
    ("empty-layers", "input: [8, 8, 3]\nlayers: []\n", ["layers"]),
    ("unknown-top-level-key", "input: [8, 8, 3]\nlayers: [relu]\nouptut: relu\n", []),
    ("input-of-five", "input: [2, 8, 8, 8, 3]\nlayers: [relu]\n", ["input"]),
    ("input-zero", "input: [0, 8, 3]\nlayers: [relu]\n", ["input", 0]),
    ("layout-nchw", "input: [8, 8, 3]\nlayout: nchw\nlayers: [relu]\n", ["layout"]),
    ("unknown-option", "input: [8, 8, 3]\nlayers: [conv2d: {filters: 8, kernel: 3, strid: 2}]\n", ["layers", 0, "conv2d"]),
    ("missing-option", "input: [8, 8, 3]\nlayers: [conv2d: {kernel: 3}]\n", ["layers", 0, "conv2d"]),
    ("filters-fraction", "input: [8, 8, 3]\nlayers: [conv2d: {filters: 1.5, kernel: 3}]\n", ["layers", 0, "conv2d", "filters"]),
    ("stride-word", "input: [8, 8, 3]\nlayers: [conv2d: {filters: 8, kernel: 3, stride: two}]\n", ["layers", 0, "conv2d", "stride"]),
    ("padding-three-numbers", "input: [8, 8, 3]\nlayers: [conv2d: {filters: 8, kernel: 3, padding: [1, 2, 3]}]\n", ["layers", 0, "conv2d", "padding"]),
    ("padding-full", "input: [8, 8, 3]\nlayers: [conv2d: {filters: 8, kernel: 3, padding: full}]\n", ["layers", 0, "conv2d", "padding"]),
    ("trainable-text", "input: [8, 8, 3]\nlayers: [relu: {trainable: 'no'}]\n", ["layers", 0, "relu", "trainable"]),
    ("entry-with-two-keys", "input: [8, 8, 3]\nlayers:\n  - conv2d: {filters: 8, kernel: 3}\n    name: c1\n", ["layers", 0, "name"]),
    ("bare-kind-needing-options", "input: [8, 8, 3]\nlayers: [conv2d]\n", ["layers", 0]),
    ("options-not-a-mapping", "input: [8, 8, 3]\nlayers: [relu: 3]\n", ["layers", 0, "relu"]),
    ("name-input", "input: [8, 8, 3]\nlayers: [relu: {name: input}]\n", ["layers", 0, "relu", "name"]),
    ("add-one-input", "input: [8, 8, 3]\nlayers: [add: {from: [input]}]\n", ["layers", 0, "add", "from"]),
    ("residual-without-body", "input: [8, 8, 3]\nlayers: [residual: {shortcut: []}]\n", ["layers", 0, "residual"]),
    ("branches-one-path", "input: [8, 8, 3]\nlayers: [branches: {paths: [[relu]]}]\n", ["layers", 0, "branches", "paths"]),
    ("merge-sum", "input: [8, 8, 3]\nlayers: [residual: {body: [relu], merge: sum}]\n", ["layers", 0, "residual", "merge"]),
    ("nested-unknown-option",
     "input: [8, 8, 3]\nlayers:\n  - residual:\n      body: [conv2d: {filters: 3, kernel: 1, kernel_size: 1}]\n",
     ["layers", 0, "residual", "body", 0, "conv2d"]),
    ("block-named-like-a-kind", "input: [8, 8, 3]\nblocks: {relu: {layers: [relu]}}\nlayers: [relu]\n", ["blocks"]),
    ("block-without-layers", "input: [8, 8, 3]\nblocks: {unit: {params: {w: 1}}}\nlayers: [unit]\n", ["blocks", "unit"]),
    ("block-unknown-key", "input: [8, 8, 3]\nblocks: {unit: {layers: [relu], parms: {}}}\nlayers: [unit]\n", ["blocks", "unit"]),
    ("block-repeat-zero",
     "input: [8, 8, 3]\nblocks: {unit: {layers: [relu]}}\nlayers: [unit: {repeat: 0}]\n", ["layers", 0, "unit", "repeat"]),
    ("expect-not-a-mapping", "input: [8, 8, 3]\nlayers: [relu]\nexpect: [1]\n", ["expect"]),
]


@pytest.mark.parametrize(("text", "path"), [(t, p) for _, t, p in REJECTED], ids=[i for i, _, _ in REJECTED])
def test_rejected(text: str, path: list[str | int]) -> None:
    error = jsonschema.exceptions.best_match(VALIDATOR.iter_errors(yaml.safe_load(text)))
    assert error is not None, "the schema accepts it"
    assert list(error.absolute_path) == path
    with pytest.raises(LoadError):  # the loader agrees
        parse_model(text, "net.yaml")
