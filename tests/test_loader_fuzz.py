"""Robustness: whatever the text, loading returns a model or a located LoadError.

Three sources of text: the bundled configs with lines and characters deleted,
duplicated, swapped or inserted; random nested structures dumped as YAML; and
random architectures built from the format's own vocabulary (kinds, options,
containers, blocks, expressions), which get past the YAML and reach layer
building and shape inference. Any other exception is a bug in the loader.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convcalc
from convcalc.layers import ALIASES, KINDS, spec_class
from convcalc.loader import COMMON, CONTAINERS, TOP_KEYS, LoadError, parse_model
from convcalc.model import Model

CONFIGS = {p.stem: p.read_text(encoding="utf-8") for p in sorted((Path(convcalc.__file__).parent / "configs").glob("*.yaml"))}
LOCATED = re.compile(r"net\.yaml:[1-9]\d*:[1-9]\d*: \S")
FUZZ = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
"""About 4 s for the four properties together; raise max_examples to hunt."""


def check(text: str) -> None:
    """The property: a Model, or a one-line LoadError starting ``net.yaml:line:col: ``."""
    try:
        model = parse_model(text, "net.yaml")
    except LoadError as error:
        message = str(error)
        assert LOCATED.match(message), message
        assert "\n" not in message, message
    else:
        assert isinstance(model, Model)


# ------------------------------------------------------------ mutated configs

_SPECIAL = [*":-[]{},$#&*!|>'\"\t ", "\n", "0", "1", "9", "x", "_", "~", "<<: ", "- ", ": "]


@st.composite
def mutated_config(draw: st.DrawFn) -> str:
    lines = CONFIGS[draw(st.sampled_from(sorted(CONFIGS)))].splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        k = draw(st.integers(0, max(len(line) - 1, 0)))
        match draw(st.sampled_from(["delete-line", "duplicate-line", "swap-lines", "delete-char",
                                    "duplicate-char", "swap-chars", "insert", "replace"])):
            case "delete-line":
                del lines[i]
            case "duplicate-line":
                lines.insert(j, line)
            case "swap-lines":
                lines[i], lines[j] = lines[j], lines[i]
            case "delete-char":
                lines[i] = line[:k] + line[k + 1 :]
            case "duplicate-char":
                lines[i] = line[:k] + line[k : k + 1] + line[k:]
            case "swap-chars":
                lines[i] = line[:k] + line[k + 1 : k + 2] + line[k : k + 1] + line[k + 2 :]
            case "insert":
                lines[i] = line[:k] + draw(st.sampled_from(_SPECIAL)) + line[k:]
            case "replace":
                lines[i] = line[:k] + draw(st.sampled_from(_SPECIAL)) + line[k + 1 :]
    return "".join(lines)


@settings(FUZZ, max_examples=400)
@given(mutated_config())
def test_mutated_configs(text: str) -> None:
    check(text)


# ------------------------------------------------------------ random nested YAML

_WORDS = [*TOP_KEYS, *KINDS, *ALIASES, *CONTAINERS, *COMMON, "repeat", "first", "kernel", "filters",
          "input", "stride", "padding", "units", "same", "valid", "hwc", "chw", "unit", "x"]
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 300),
    # Finite and moderate: see test_upsample_of_an_infinite_scale below.
    st.floats(-1e6, 1e6, allow_nan=False),
    st.sampled_from(_WORDS),
    st.text(max_size=8),
    st.sampled_from(["$x", "$x * 2", "$1/0", "$x //", "$-x", "$not x", "$x < 'a'", "$(1, 2)", "$x ** 2"]),
)
_NESTED = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(_WORDS), st.text(max_size=6)), inner, max_size=4),
    ),
    max_leaves=25,
)


@settings(FUZZ, max_examples=300)
@given(_NESTED)
def test_random_nested_yaml(value: Any) -> None:
    check(yaml.safe_dump(value, allow_unicode=True))


@settings(FUZZ, max_examples=300)
@given(st.dictionaries(st.sampled_from(TOP_KEYS), _NESTED, max_size=5))
def test_random_top_level(value: dict[str, Any]) -> None:
    check(yaml.safe_dump(value, allow_unicode=True))


# ------------------------------------------------------------ random architectures
# Mostly plausible values, so that many documents load and reach shape
# inference; a few wrong ones, so that every check is exercised.

_GOOD = {
    "int": st.integers(1, 4),
    "pair": st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=2, max_size=2)),
    "padding": st.one_of(st.integers(0, 2), st.sampled_from(["same", "valid", [0, 1], [1, 0, 1, 0]])),
    "bool": st.booleans(),
    "number": st.floats(0, 0.9),
    "expr": st.sampled_from(["$w", "$w * 2", "$w // 2 + 1", "$p", "$not p", "$w > 2"]),
}
_BAD = st.sampled_from([0, -1, 1.5, "two", [1, 2, 3], None, "$w / 3", "$1/0", "$unknown", "$w +", {"a": 1}])
_OPTION_VALUES = {
    "filters": "int", "units": "int", "groups": "int", "kernel": "pair", "stride": "pair",
    "dilation": "pair", "output_size": "pair", "output_padding": "pair", "size": "pair", "scale": "pair",
    "padding": "padding", "bias": "bool", "ceil_mode": "bool", "count_include_pad": "bool",
    "keepdims": "bool", "affine": "bool", "align_corners": "bool", "rate": "number",
    "negative_slope": "number",
}


def _value(option: str) -> st.SearchStrategy[Any]:
    good = _GOOD[_OPTION_VALUES.get(option, "int")]
    return st.sampled_from([good] * 12 + [_GOOD["expr"], _BAD]).flatmap(lambda chosen: chosen)


_NAMES = st.sampled_from(["a", "b", "c", "a", "b", "c", "input", "a.b", "u.0.a", "1x"])
_COMMON = st.one_of(st.just({}), st.just({}), st.just({}), st.fixed_dictionaries({}, optional={
    "name": _NAMES,
    "from": st.one_of(_NAMES, st.lists(_NAMES, min_size=1, max_size=3)),
    "if": st.sampled_from([True, True, False, "$p", "$not p", "maybe"]),
    "trainable": st.sampled_from([True, False, "$p", "no"]),
}))


def _required(kind: str) -> tuple[str, ...]:
    return tuple(f.name for f in spec_class(kind).declared() if f.required)


@st.composite
def _layer(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from([*KINDS, *KINDS, *ALIASES, "unit", "unit", "unit", "nope"]))
    if kind == "unit":
        names: tuple[str, ...] = ("w", "p", "repeat", "first")
    elif kind == "nope":
        names = ("filters",)
    else:
        names = spec_class(kind).option_names()
    required = () if kind in ("unit", "nope") else _required(kind)
    options = {n: draw(_value(n)) for n in names if n in required or draw(st.integers(0, 3)) == 0}
    if kind == "unit" and "repeat" in options:
        options["repeat"] = draw(st.sampled_from([1, 2, 3, 0, "$w // 2"]))
    if kind == "unit" and "first" in options:
        options["first"] = draw(st.sampled_from([{"w": 2}, {"p": False}, None, {"q": 1}, [1]]))
    if draw(st.integers(0, 19)) == 0:
        options[draw(st.sampled_from(["kernel_size", "strid", "weights"]))] = 3
    options.update(draw(_COMMON))
    if draw(st.integers(0, 7)) == 0:
        return draw(st.sampled_from([kind, {kind: None}]))
    return {kind: options}


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    body = st.lists(children, max_size=3)
    merge = st.fixed_dictionaries({}, optional={"merge": st.sampled_from(["add", "add", "concat", "multiply", "sum"])})
    return st.one_of(
        st.builds(lambda b, s, m, c: {"residual": {"body": b, **({"shortcut": s} if s else {}), **m, **c}},
                  body, body, merge, _COMMON),
        st.builds(lambda ps, m, c: {"branches": {"paths": ps, **m, **c}},
                  st.lists(body, min_size=2, max_size=3), merge, _COMMON),
        st.builds(lambda b, c: {"sequential": {"layers": b, **c}}, body, _COMMON),
        st.builds(lambda b: {"sequential": b}, body),
    )


_ENTRIES = st.recursive(_layer(), lambda children: st.one_of(children, _containers(children)), max_leaves=10)


@st.composite
def architecture(draw: st.DrawFn) -> str:
    doc: dict[str, Any] = {
        "input": draw(st.sampled_from([[16, 16, 4], [8, 8, 3], [12], [3, 16, 16], [1, 1, 1]])),
        "params": {"w": draw(st.integers(1, 4)), "p": draw(st.booleans())},
        "blocks": {"unit": {"params": {"w": 4, "p": True},
                            "layers": draw(st.lists(_ENTRIES, min_size=1, max_size=3))}},
        "layers": draw(st.lists(_ENTRIES, min_size=1, max_size=6)),
    }
    if draw(st.booleans()):
        doc["layout"] = draw(st.sampled_from(["chw", "hwc"]))
    if draw(st.integers(0, 3)) == 0:
        doc["output"] = draw(_NAMES)
    return yaml.safe_dump(doc, sort_keys=False)


@FUZZ
@given(architecture())
def test_random_architectures(text: str) -> None:
    check(text)


# ------------------------------------------------------------ known gaps


def test_upsample_of_an_infinite_scale_is_refused() -> None:
    with pytest.raises(LoadError, match=r"^net\.yaml:3:23: layer .upsample. \(upsample\): scale must be a positive finite number"):
        parse_model("input: [8, 8, 3]\nlayers:\n  - upsample: {scale: .inf}\n", "net.yaml")
