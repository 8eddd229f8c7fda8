"""Expressions: what they compute, what they refuse, and that no text can crash them.

MobileNet's channel rounding (``_make_divisible``) written as an expression
is checked against torchvision's own function where it is installed, and
against the widths torchvision's MobileNetV2 publishes for its multipliers.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcalc.errors import SpecError
from convcalc.expr import MAX_DEPTH, MAX_LENGTH, evaluate
from convcalc.loader import LoadError, parse

CASES = [
    ("$min(3, 7)", {}, 3),
    ("$max(3, 7, 5)", {}, 7),
    ("$max(8, c // 4)", {"c": 16}, 8),
    ("$int(7.9)", {}, 7),
    ("$int(-7.9)", {}, -7),  # toward zero, as Python
    ("$round(2.5)", {}, 2),  # halves to even, as Python
    ("$round(3.5)", {}, 4),
    ("$floor(2.5) + ceil(2.1)", {}, 5),
    ("$abs(-4)", {}, 4),
    ("$64 if project else 32", {"project": True}, 64),
    ("$64 if project else 32", {"project": False}, 32),
    ("$(2 if stride == 2 else 1) * width", {"stride": 2, "width": 24}, 48),
    ("$1 if 1 > 0 else 1 // 0", {}, 1),  # only the branch taken is computed
    ("$a if a < b else b", {"a": 5, "b": 3}, 3),
]


@pytest.mark.parametrize(("text", "params", "value"), CASES, ids=[c[0] for c in CASES])
def test_evaluates(text: str, params: dict, value: object) -> None:
    assert evaluate(text, params) == value


MAKE_DIVISIBLE = "$max(8, int(v + 4) // 8 * 8) + (8 if max(8, int(v + 4) // 8 * 8) < 0.9 * v else 0)"
"""``_make_divisible(v, 8)``: the nearest multiple of 8, at least 8, never more than 10% below v."""


@pytest.mark.parametrize(
    ("v", "published"),
    [
        # torchvision mobilenet_v2(width_mult=…): the first convolution has make_divisible(32 · w) filters
        pytest.param(32 * 0.35, 16, id="0.35-stem"),  # 8 would be 29% below 11.2, so 16
        pytest.param(32 * 0.5, 16, id="0.5-stem"),
        pytest.param(32 * 0.75, 24, id="0.75-stem"),
        pytest.param(32 * 1.4, 48, id="1.4-stem"),
        pytest.param(1280 * 1.4, 1792, id="1.4-last-channel"),
        pytest.param(96 * 1.3, 128, id="1.3-stage"),  # 124.8 + 4 = 128.8 → 128
    ],
)
def test_make_divisible_matches_published_widths(v: float, published: int) -> None:
    assert evaluate(MAKE_DIVISIBLE, {"v": v}) == published


@settings(max_examples=300, deadline=None)
@given(v=st.floats(min_value=0.5, max_value=5000, allow_nan=False))
def test_make_divisible_matches_torchvision(v: float) -> None:
    utils = pytest.importorskip("torchvision.models._utils")
    assert evaluate(MAKE_DIVISIBLE, {"v": v}) == utils._make_divisible(v, 8)


def test_make_divisible_in_a_file() -> None:
    text = (
        "input: [224, 224, 3]\nparams: {alpha: 0.35}\n"
        "blocks:\n  stem:\n    params: {width: 32}\n    layers:\n"
        f"      - conv2d: {{filters: '{MAKE_DIVISIBLE.replace('v', '(width * alpha)')}', kernel: 3, stride: 2, padding: 1}}\n"
        "layers: [stem]\n"
    )
    assert parse(text, "net.yaml").output.dims == (112, 112, 16)


BAD = [
    ("$min(3)", "expression '$min(3)': min() takes 2 or more arguments, got 1"),
    ("$int(1, 2)", "expression '$int(1, 2)': int() takes 1 argument, got 2"),
    ("$len(3)", "expression '$len(3)' cannot use len(); the functions are min(), max(), int(), round(), floor(), "
     "ceil(), abs(), with plain arguments"),
    ("$max(*xs)", "expression '$max(*xs)' cannot use max(); the functions are min(), max(), int(), round(), "
     "floor(), ceil(), abs(), with plain arguments"),
    ("$x.real", "expression '$x.real' may use only numbers, parameter names, + - * / // %, comparisons, "
     "and/or/not, parentheses, 'a if test else b' and the functions min, max, int, round, floor, ceil, abs"),
    ("$int(mode)", "expression '$int(mode)' cannot be computed: '3' is not a number"),
    ("$int(1e308 * 10)", "expression '$int(1e308 * 10)' cannot be computed: cannot convert float infinity to integer"),
    ("$1 if 0 else", "expression '$1 if 0 else' is not valid arithmetic"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[b[0] for b in BAD])
def test_refuses(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
        evaluate(text, {"x": 3, "mode": "3"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("$" + "-" * 100_000 + "1", f"is 100,002 characters long; expressions are at most {MAX_LENGTH:,}", id="long"),
        pytest.param("$" + "-" * 500 + "1", f"is nested more than {MAX_DEPTH} deep", id="deep-unary"),
        pytest.param("$" + "(" * 250 + "1" + ")" * 250, "is not valid arithmetic", id="deep-parentheses"),  # the parser's limit
        pytest.param("$" + "+".join(["1"] * 400), f"is nested more than {MAX_DEPTH} deep", id="long-chain"),
        pytest.param("$" + "max(" * 120 + "1" + ", 1)" * 120, "", id="deep-calls"),
    ],
)
def test_huge_or_deep_expressions_are_one_sentence(text: str, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        evaluate(text, {})
    assert message in caught.value.message
    assert "\n" not in caught.value.message and len(caught.value.message) < 1100


def test_a_huge_expression_in_a_file_is_one_located_sentence() -> None:
    text = "input: [8, 8, 3]\nlayers:\n  - conv2d: {filters: $" + "-" * 100_000 + "1, kernel: 1}\n"
    with pytest.raises(LoadError, match=r"^net\.yaml:3:23: layer 'conv2d' \(conv2d\): expression '\$-{19}…' is "
                       r"100,002 characters long; expressions are at most 1,000$"):
        parse(text, "net.yaml")
