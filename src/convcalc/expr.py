"""Arithmetic in block parameters: ``$width * 4``, ``$stride``, ``$project``.

A string option that starts with ``$`` is an expression over the block's
parameters. Only numbers, names, ``+ - * / // %``, comparisons, ``and``,
``or``, ``not``, parentheses, a conditional (``a if test else b``) and the
functions ``min``, ``max``, ``int``, ``round``, ``floor``, ``ceil`` and
``abs`` are allowed; nothing else of Python is reachable. An expression is
at most :data:`MAX_LENGTH` characters and :data:`MAX_DEPTH` operations deep,
so no text can exhaust memory or the stack.

>>> evaluate("$width * 4", {"width": 64})
256
>>> evaluate("$c // 2 + 1", {"c": 7})
4
>>> evaluate("$not project", {"project": False})
True

MobileNet's ``_make_divisible(v, 8)``: round to the nearest multiple of 8,
at least 8, and never more than 10% below ``v``. For v = 32 · 0.35 = 11.2,
int(11.2 + 4) // 8 · 8 = 8 is below 0.9 · 11.2 = 10.08, so 8 more:

>>> rule = "$max(8, int(v + 4) // 8 * 8) + (8 if max(8, int(v + 4) // 8 * 8) < 0.9 * v else 0)"
>>> evaluate(rule, {"v": 11.2}), evaluate(rule, {"v": 44.8})
(16, 48)
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from difflib import get_close_matches
from typing import Any

from .errors import SpecError

__all__ = ["FUNCTIONS", "MAX_DEPTH", "MAX_LENGTH", "Absent", "evaluate", "is_expression"]


class Absent(str):
    """A parameter value meaning: this name exists elsewhere but not here; the
    text says why (``$in_d`` in a block whose input is 2-D). Using it is an
    error that says so, rather than "unknown parameter"."""

    __slots__ = ()

MAX_LENGTH = 1000
"""Longest expression accepted, in characters (``$`` included)."""
MAX_DEPTH = 100
"""Deepest nesting of operations accepted; real expressions use under 10."""

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    "min": (min, 2, 64),
    "max": (max, 2, 64),
    "int": (int, 1, 1),
    "round": (round, 1, 1),
    "floor": (math.floor, 1, 1),
    "ceil": (math.ceil, 1, 1),
    "abs": (abs, 1, 1),
}
"""Name → (function, fewest and most arguments). All take numbers only;
``int`` truncates toward zero as Python's does, ``round`` rounds halves to
even (``round(2.5)`` is 2), ``floor`` and ``ceil`` give whole numbers."""

_WORDS = {"true": True, "false": False, "True": True, "False": False}
"""YAML's and Python's spellings of the two truth values."""

def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("$")


def evaluate(text: str, params: Mapping[str, Any]) -> Any:
    """Value of ``$expression`` with ``params`` as its names."""
    if len(text) > MAX_LENGTH:
        raise SpecError(
            f"expression {text[:20] + '…'!r} is {len(text):,} characters long; "
            f"expressions are at most {MAX_LENGTH:,}"
        )
    # ``$`` starts an expression; names inside may carry one too: ``$a + $b``.
    source = text[1:].replace("$", "").strip()
    try:
        tree = ast.parse(source, mode="eval")
        value = _eval(tree.body, params, text, 0)
    except (SyntaxError, ValueError):
        raise SpecError(f"expression {text!r} is not valid arithmetic") from None
    except (RecursionError, MemoryError):  # the parser's own limits, before ours
        raise SpecError(f"expression {text!r} is nested too deeply") from None
    if isinstance(value, int) and value.bit_length() > 1000:  # past what Python will print
        raise SpecError(f"expression {text!r} gives a number of more than 300 digits")
    # 64 * 1.0 should still be a whole number of filters
    if isinstance(value, float) and value.is_integer() and "/" not in source:
        return int(value)
    return value


def _number(value: Any, text: str) -> Any:
    """``value`` if arithmetic may use it: text or lists repeated by ``*`` are refused."""
    if isinstance(value, (int, float)):
        return value
    raise SpecError(f"expression {text!r} cannot be computed: {value!r} is not a number")


def _eval(node: ast.AST, params: Mapping[str, Any], text: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise SpecError(f"expression {text!r} is nested more than {MAX_DEPTH} deep")
    depth += 1
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, bool)):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in _WORDS and node.id not in params:
            return _WORDS[node.id]
        if node.id in params:
            value = params[node.id]
            if isinstance(value, Absent):
                raise SpecError(f"expression {text!r} uses {node.id!r}, {value}")
            return value
        known = [name for name, value in params.items() if not isinstance(value, Absent)]
        close = get_close_matches(node.id, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else (
            f"; known: {', '.join(known)}" if known else "; this block has no params"
        )
        raise SpecError(f"expression {text!r} uses unknown parameter {node.id!r}{hint}")
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left = _number(_eval(node.left, params, text, depth), text)
        right = _number(_eval(node.right, params, text, depth), text)
        try:
            return _BINARY[type(node.op)](left, right)
        except ArithmeticError as error:  # division by zero, a quotient too large for a float
            raise SpecError(f"expression {text!r} cannot be computed: {error}") from None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
        value = _eval(node.operand, params, text, depth)
        if isinstance(node.op, ast.Not):
            return not value
        value = _number(value, text)
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, params, text, depth) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.IfExp):  # only the branch taken is computed
        chosen = node.body if _eval(node.test, params, text, depth) else node.orelse
        return _eval(chosen, params, text, depth)
    if isinstance(node, ast.Call):
        return _call(node, params, text, depth)
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        left = _eval(node.left, params, text, depth)
        for op, right_node in zip(node.ops, node.comparators):
            right = _eval(right_node, params, text, depth)
            try:
                if not _COMPARE[type(op)](left, right):
                    return False
            except TypeError:  # ordering text against a number
                raise SpecError(
                    f"expression {text!r} cannot compare {left!r} with {right!r}"
                ) from None
            left = right
        return True
    raise SpecError(
        f"expression {text!r} may use only numbers, parameter names, + - * / // %, comparisons, "
        f"and/or/not, parentheses, 'a if test else b' and the functions {', '.join(FUNCTIONS)}"
    )


def _call(node: ast.Call, params: Mapping[str, Any], text: str, depth: int) -> Any:
    """``min(a, b)``, ``int(x)``, …: a known function of numbers, positional arguments only."""
    name = node.func.id if isinstance(node.func, ast.Name) else None
    if name not in FUNCTIONS or node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        known = ", ".join(f"{f}()" for f in FUNCTIONS)
        shown = f"{name}()" if name else "this call"
        raise SpecError(f"expression {text!r} cannot use {shown}; the functions are {known}, with plain arguments")
    function, fewest, most = FUNCTIONS[name]
    if not fewest <= len(node.args) <= most:
        wanted = f"{fewest} or more" if most > fewest else f"{fewest}"
        raise SpecError(f"expression {text!r}: {name}() takes {wanted} argument{'s' if most > 1 else ''}, got {len(node.args)}")
    args = [_number(_eval(a, params, text, depth), text) for a in node.args]
    try:
        return function(*args)
    except (ArithmeticError, ValueError) as error:  # int(inf), ceil(nan)
        raise SpecError(f"expression {text!r} cannot be computed: {error}") from None
