"""The JSON Schema of architecture files, generated from the declarations.

The file format's frame (top-level keys, blocks, containers, the value types
shared by many options) is written here; every kind's options come from its
own declaration (:func:`convcalc.layers.base.option`: the normaliser's
``.schema``, the default and the doc), so ``schema.json`` cannot drift from
what the loader accepts. ``python -m convcalc.layers`` writes the file;
``tests/test_kinds.py`` fails when the shipped one is stale.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_schema", "kind_options_schema"]

COMMON_REFS = {
    "name": {"$ref": "#/definitions/common_name"},
    "from": {"$ref": "#/definitions/common_from"},
    "trainable": {"$ref": "#/definitions/common_trainable"},
    "if": {"$ref": "#/definitions/common_if"},
}


def _sentence(doc: str) -> str:
    doc = doc.strip()
    return doc[:1].upper() + doc[1:] + ("" if doc.endswith(".") else ".")


def kind_options_schema(cls: Any) -> dict[str, Any]:
    """``definitions.options_<kind>``: the kind's options and the common keys."""
    properties: dict[str, Any] = {}
    required = []
    for f in cls.declared():
        fragment = f.norm.schema
        doc = f.doc
        if "$ref" in fragment and len(fragment) == 1:
            entry = {"description": _sentence(doc), "allOf": [fragment]} if doc else dict(fragment)
        else:
            entry = {"description": _sentence(doc), **fragment} if doc else dict(fragment)
        properties[f.name] = entry
        if f.required:
            required.append(f.name)
    if cls.arity[0] > 1:  # a merge names what it joins
        properties["from"] = {
            "description": "The layers to join: [a, b, …].",
            "type": "array",
            "items": {"$ref": "#/definitions/reference"},
            "minItems": cls.arity[0],
        }
        required.append("from")
    summary = (cls.__doc__ or cls.kind).strip().splitlines()[0]
    schema: dict[str, Any] = {
        "description": summary,
        "type": "object" if required else ["object", "null"],
        "properties": {**properties, **{k: v for k, v in COMMON_REFS.items() if k not in properties}},
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    return schema


def build_schema() -> dict[str, Any]:
    """The whole schema for the kinds declared now."""
    from .layers import discover
    from .loader import CONTAINERS

    kinds = [cls for _, cls in discover()]
    names = [cls.kind for cls in kinds]
    aliases = {alias: cls.kind for cls in kinds for alias in cls.aliases}
    optionless = {cls.kind for cls in kinds if not kind_options_schema(cls).get("required")}
    NO_OPTIONS = [n for n in names if n in optionless] + [
        a for a, k in aliases.items() if k in optionless
    ]
    RESERVED = [*names, *aliases, *CONTAINERS]
    ENTRIES = {
        **{n: {"$ref": f"#/definitions/options_{n}"} for n in names},
        **{a: {"$ref": f"#/definitions/options_{k}"} for a, k in aliases.items()},
        **{c: {"$ref": f"#/definitions/options_{c}"} for c in CONTAINERS},
    }
    schema = BASE_TEMPLATE(NO_OPTIONS, RESERVED, ENTRIES)
    definitions = schema["definitions"]
    generated = {f"options_{cls.kind}": kind_options_schema(cls) for cls in kinds}
    # Kinds' options first, then the containers', as the file has always listed them.
    at = list(definitions).index("options_residual")
    items = list(definitions.items())
    schema["definitions"] = dict([*items[:at], *generated.items(), *items[at:]])
    return schema


def _per_axis_definitions() -> dict[str, Any]:
    """The 1-D and 3-D counterparts of ``pair``, ``pixels`` and ``padding``."""
    expr = {"$ref": "#/definitions/expression"}
    found: dict[str, Any] = {}
    for rank, name, axes, sides in ((1, "single", "[l]", "[before, after]"), (3, "triple", "[d, h, w]", "[front, back, top, bottom, left, right]")):
        for prefix, minimum, item in (("", 1, "positive_int"), ("non_negative_", 0, "non_negative_int")):
            found[prefix + name] = {
                "description": f"A {'positive whole number' if minimum else 'whole number ≥ 0'}, or {axes}.",
                "anyOf": [
                    {"type": "integer", "minimum": minimum},
                    {"type": "array", "items": {"$ref": f"#/definitions/{item}"}, "minItems": rank, "maxItems": rank},
                    expr,
                ],
            }
        lengths = (1, 2) if rank == 1 else (1, 3, 6)
        found[f"pixels{rank}d"] = {
            "description": f"Zero padding: p for all sides{', ' + axes if rank > 1 else ''}, or {sides}.",
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {
                    "type": "array",
                    "items": {"$ref": "#/definitions/non_negative_int"},
                    "minItems": 1,
                    "maxItems": lengths[-1],
                    **({"not": {"minItems": 2, "maxItems": 2}} if rank == 3 else {}),
                },
                expr,
            ],
        }
        found[f"padding{rank}d"] = {
            "description": f"Zero padding: p{', ' + axes if rank > 1 else ''}, {sides}, 'same' (TensorFlow) or 'valid' (none).",
            "anyOf": [
                {"$ref": f"#/definitions/pixels{rank}d"},
                {"type": "string", "pattern": "^\\s*([sS][aA][mM][eE]|[vV][aA][lL][iI][dD])\\s*$"},
            ],
        }
    return found


def BASE_TEMPLATE(
    NO_OPTIONS: list[str], RESERVED: list[str], ENTRIES: dict[str, Any]
) -> dict[str, Any]:
    """The frame of the schema, with the kind lists filled in."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "convcalc architecture file",
        "description": "A convolutional network for convcalc: its input, its layers and reusable blocks. "
        "Reference: docs/format.md.",
        "type": "object",
        "required": ["input", "layers"],
        "additionalProperties": False,
        "properties": {
            "name": {
                "description": "The model's name; defaults to the file name.",
                "type": "string",
            },
            "description": {"description": "One line shown with the report.", "type": "string"},
            "input": {
                "description": "[H, W, C] ([C, H, W] with layout: chw), [L, C], [D, H, W, C], "
                "or [features].",
                "type": "array",
                "items": {"type": "integer", "minimum": 1},
                "minItems": 1,
                "maxItems": 4,
            },
            "layout": {
                "description": "The order of input: hwc (default, channels last) or chw "
                "(channels first: [C, L], [C, H, W], [C, D, H, W]).",
                "enum": ["hwc", "chw"],
            },
            "params": {
                "description": "Named values for $expressions anywhere in the file.",
                "allOf": [{"$ref": "#/definitions/params"}],
            },
            "blocks": {
                "description": "Reusable groups of layers with parameters, used like a layer kind.",
                "type": ["object", "null"],
                "propertyNames": {
                    "pattern": "^[A-Za-z_][A-Za-z0-9_-]*$",
                    "not": {"enum": RESERVED},
                },
                "additionalProperties": {"$ref": "#/definitions/block"},
            },
            "layers": {
                "description": "The network's entries, in order.",
                "minItems": 1,
                "allOf": [{"$ref": "#/definitions/layers"}],
            },
            "output": {
                "description": "The layer whose output is the model's output; defaults "
                "to the last.",
                "type": "string",
            },
            "expect": {
                "description": "Figures the file asserts; `convcalc check` reports any "
                "that differ (CC107). Shapes are in the file's layout.",
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "output": {
                        "type": "array",
                        "items": {"type": "integer", "minimum": 1},
                        "minItems": 1,
                        "maxItems": 4,
                        "description": "The model's output shape, e.g. [1000] or [56, 56, 64].",
                    },
                    "params": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "Total parameters, trainable and not.",
                    },
                    "trainable_params": {"type": "integer", "minimum": 0},
                    "non_trainable_params": {"type": "integer", "minimum": 0},
                    "macs": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "Multiply-accumulates for one sample.",
                    },
                    "layers": {
                        "type": "object",
                        "description": "Per-layer figures by full layer name.",
                        "additionalProperties": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "output": {
                                    "type": "array",
                                    "items": {"type": "integer", "minimum": 1},
                                    "minItems": 1,
                                    "maxItems": 4,
                                },
                                "params": {"type": "integer", "minimum": 0},
                                "trainable": {"type": "integer", "minimum": 0},
                                "non_trainable": {"type": "integer", "minimum": 0},
                                "macs": {"type": "integer", "minimum": 0},
                            },
                        },
                    },
                },
            },
        },
        "definitions": {
            "expression": {
                "description": "Arithmetic over the parameters in effect, e.g. "
                "$width * 4 (see docs/format.md, Expressions).",
                "type": "string",
                "pattern": "^\\$",
            },
            "positive_int": {
                "anyOf": [{"type": "integer", "minimum": 1}, {"$ref": "#/definitions/expression"}]
            },
            "non_negative_int": {
                "anyOf": [{"type": "integer", "minimum": 0}, {"$ref": "#/definitions/expression"}]
            },
            "pair": {
                "description": "A positive whole number, or [h, w].",
                "anyOf": [
                    {"type": "integer", "minimum": 1},
                    {
                        "type": "array",
                        "items": {"$ref": "#/definitions/positive_int"},
                        "minItems": 2,
                        "maxItems": 2,
                    },
                    {"$ref": "#/definitions/expression"},
                ],
            },
            "non_negative_pair": {
                "description": "A whole number ≥ 0, or [h, w].",
                "anyOf": [
                    {"type": "integer", "minimum": 0},
                    {
                        "type": "array",
                        "items": {"$ref": "#/definitions/non_negative_int"},
                        "minItems": 2,
                        "maxItems": 2,
                    },
                    {"$ref": "#/definitions/expression"},
                ],
            },
            **_per_axis_definitions(),
            "pixels": {
                "description": "Zero padding: p for all sides, [h, w], or [top, bottom, "
                "left, right].",
                "anyOf": [
                    {"type": "integer", "minimum": 0},
                    {
                        "type": "array",
                        "items": {"$ref": "#/definitions/non_negative_int"},
                        "minItems": 1,
                        "maxItems": 4,
                        "not": {"minItems": 3, "maxItems": 3},
                    },
                    {"$ref": "#/definitions/expression"},
                ],
            },
            "padding": {
                "description": "Zero padding: p, [h, w], [top, bottom, left, right], "
                "'same' (TensorFlow) or 'valid' (none).",
                "anyOf": [
                    {"$ref": "#/definitions/pixels"},
                    {
                        "type": "string",
                        "pattern": "^\\s*([sS][aA][mM][eE]|[vV][aA][lL][iI][dD])\\s*$",
                    },
                ],
            },
            "boolean": {"anyOf": [{"type": "boolean"}, {"$ref": "#/definitions/expression"}]},
            "number": {"anyOf": [{"type": "number"}, {"$ref": "#/definitions/expression"}]},
            "name": {
                "description": "Letters, digits, _ and -; may start with a digit (quote it: '0'); "
                "no dots (they join scopes); not 'input'.",
                "anyOf": [
                    {
                        "type": "string",
                        "pattern": "^[A-Za-z0-9_][A-Za-z0-9_-]*$",
                        "not": {"const": "input"},
                    },
                    {"$ref": "#/definitions/expression"},
                ],
            },
            "reference": {
                "description": "An earlier layer's name (dotted from outside its "
                "scope: layer1.0.conv1), or 'input'.",
                "type": "string",
            },
            "common_name": {
                "description": "The entry's name; by default conv2d, conv2d_1, … from its kind.",
                "allOf": [{"$ref": "#/definitions/name"}],
            },
            "common_from": {
                "description": "The layer(s) to read instead of the previous one.",
                "anyOf": [
                    {"$ref": "#/definitions/reference"},
                    {"type": "array", "items": {"$ref": "#/definitions/reference"}, "minItems": 1},
                ],
            },
            "common_trainable": {
                "description": "false: the parameters inside count as non-trainable.",
                "allOf": [{"$ref": "#/definitions/boolean"}],
            },
            "common_if": {
                "description": "false: leave this entry out.",
                "allOf": [{"$ref": "#/definitions/boolean"}],
            },
            "options_residual": {
                "description": "body(x) merged with shortcut(x) (the identity "
                "when there is no shortcut).",
                "type": "object",
                "required": ["body"],
                "additionalProperties": False,
                "properties": {
                    "body": {
                        "description": "The layers on the main path.",
                        "allOf": [{"$ref": "#/definitions/layers"}],
                    },
                    "shortcut": {
                        "description": "The layers on the shortcut; leave out for the identity.",
                        "allOf": [{"$ref": "#/definitions/layers"}],
                    },
                    "merge": {
                        "description": "How body and "
                        "shortcut are "
                        "joined: add "
                        "(default), "
                        "multiply or "
                        "concat.",
                        "anyOf": [
                            {"enum": ["add", "multiply", "concat"]},
                            {"$ref": "#/definitions/expression"},
                        ],
                    },
                    **COMMON_REFS,
                },
            },
            "options_branches": {
                "description": "Two or more paths on the same input, merged (an Inception module).",
                "type": "object",
                "required": ["paths"],
                "additionalProperties": False,
                "properties": {
                    "paths": {
                        "description": "A list of layer lists.",
                        "type": "array",
                        "items": {"$ref": "#/definitions/layers"},
                        "minItems": 2,
                    },
                    "merge": {
                        "description": "How the paths "
                        "are joined: "
                        "concat "
                        "(default), add "
                        "or multiply.",
                        "anyOf": [
                            {"enum": ["add", "multiply", "concat"]},
                            {"$ref": "#/definitions/expression"},
                        ],
                    },
                    **COMMON_REFS,
                },
            },
            "options_sequential": {
                "description": "Layers grouped under one name: the list itself, or {layers: […]}.",
                "anyOf": [
                    {"$ref": "#/definitions/layers"},
                    {
                        "type": "object",
                        "required": ["layers"],
                        "additionalProperties": False,
                        "properties": {
                            "layers": {"$ref": "#/definitions/layers"},
                            **COMMON_REFS,
                        },
                    },
                ],
            },
            "block_use": {
                "description": "Options of an entry that uses a block: its "
                "parameters, repeat and first.",
                "type": ["object", "null"],
                "properties": {
                    "repeat": {
                        "description": "Run the block this "
                        "many times in a row "
                        "(instances name.0, "
                        "name.1, …).",
                        "allOf": [{"$ref": "#/definitions/positive_int"}],
                    },
                    "first": {
                        "description": "Parameters for the first instance only.",
                        "type": ["object", "null"],
                    },
                    **COMMON_REFS,
                },
            },
            "entry": {
                "description": "One layer, container or block use: 'relu', or {kind: {options}}.",
                "oneOf": [
                    {
                        "description": "A kind that needs no options, or a "
                        "block without arguments.",
                        "type": "string",
                        "anyOf": [
                            {"enum": NO_OPTIONS},
                            {"pattern": "^[A-Za-z_][A-Za-z0-9_-]*$", "not": {"enum": RESERVED}},
                        ],
                    },
                    {
                        "description": "One key: the kind (or a block's name), "
                        "whose value holds the options.",
                        "type": "object",
                        "minProperties": 1,
                        "maxProperties": 1,
                        "properties": ENTRIES,
                        "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_-]*$"},
                        "additionalProperties": {"$ref": "#/definitions/block_use"},
                    },
                ],
            },
            "layers": {"type": "array", "items": {"$ref": "#/definitions/entry"}},
            "block": {
                "type": "object",
                "required": ["layers"],
                "additionalProperties": False,
                "properties": {
                    "description": {"type": "string"},
                    "params": {
                        "description": "Parameter names and "
                        "their defaults, for "
                        "$expressions inside.",
                        "type": ["object", "null"],
                        "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_-]*$"},
                    },
                    "layers": {"$ref": "#/definitions/layers"},
                },
            },
            "params": {
                "type": ["object", "null"],
                "propertyNames": {
                    "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                    "not": {"enum": ["in_channels", "in_h", "in_w"]},
                },
            },
        },
    }
