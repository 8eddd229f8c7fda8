"""Arithmetic in block parameters: ``$width * 4``, ``$stride``, ``$project``.

A string option that starts with ``$`` is an expression over the block's
parameters. Only numbers, names, ``+ - * / // %``, comparisons, ``and``,
``or``, ``not`` and parentheses are allowed; nothing else of Python is
reachable.

>>> evaluate("$width * 4", {"width": 64})
256
>>> evaluate("$c // 2 + 1", {"c": 7})
4
>>> evaluate("$not project", {"project": False})
True
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping
from difflib import get_close_matches
from typing import Any

from .errors import SpecError

__all__ = ["evaluate", "is_expression"]

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


_WORDS = {"true": True, "false": False, "True": True, "False": False}
"""YAML's and Python's spellings of the two truth values."""


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("$")


def evaluate(text: str, params: Mapping[str, Any]) -> Any:
    """Value of ``$expression`` with ``params`` as its names."""
    # ``$`` starts an expression; names inside may carry one too: ``$a + $b``.
    source = text[1:].replace("$", "").strip()
    try:
        tree = ast.parse(source, mode="eval")
        value = _eval(tree.body, params, text)
    except (SyntaxError, ValueError):
        raise SpecError(f"expression {text!r} is not valid arithmetic") from None
    except RecursionError:
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


def _eval(node: ast.AST, params: Mapping[str, Any], text: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, bool)):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in _WORDS and node.id not in params:
            return _WORDS[node.id]
        if node.id in params:
            return params[node.id]
        close = get_close_matches(node.id, list(params), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else (
            f"; known: {', '.join(params)}" if params else "; this block has no params"
        )
        raise SpecError(f"expression {text!r} uses unknown parameter {node.id!r}{hint}")
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left = _number(_eval(node.left, params, text), text)
        right = _number(_eval(node.right, params, text), text)
        try:
            return _BINARY[type(node.op)](left, right)
        except ArithmeticError as error:  # division by zero, a quotient too large for a float
            raise SpecError(f"expression {text!r} cannot be computed: {error}") from None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
        value = _eval(node.operand, params, text)
        if isinstance(node.op, ast.Not):
            return not value
        value = _number(value, text)
        return -value if isinstance(node.op, ast.USub) else +value
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, params, text) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        left = _eval(node.left, params, text)
        for op, right_node in zip(node.ops, node.comparators):
            right = _eval(right_node, params, text)
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
        f"expression {text!r} may use only numbers, parameter names, + - * / // %, "
        "comparisons, and/or/not and parentheses"
    )
