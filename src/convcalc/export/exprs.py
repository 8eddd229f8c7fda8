"""Block-parameter arithmetic (``$width * 4``) as Python source for generated code.

A value in an exported program is either known (a plain ``int``, ``float``,
``bool``, tuple or :class:`~convcalc.layers.options.Padding`) or a
:class:`Sym`: Python source over the enclosing block's constructor
arguments. :func:`translate` turns a file's ``$expression`` into one, putting
in the values it already knows (top-level ``params``) and folding what is
left constant, so the generated code reads ``width * 4`` where the file says
``$width * 4`` and ``256`` where everything is known.

>>> translate("$width * 4", {"width"}, {})
Sym(src='width * 4')
>>> translate("$depth // 2 + 1", set(), {"depth": 7})
4
>>> combine(Sym("width"), "*", 4)
Sym(src='width * 4')
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

__all__ = ["Sym", "combine", "condition_names", "fold", "forward_source", "identifier", "if_else", "source", "substitute", "translate"]

_WORDS = {"true": True, "false": False, "True": True, "False": False}
_SAFE = {"min": min, "max": max, "int": int, "round": round, "abs": abs}


class Sym(NamedTuple):
    """Python source of a value known only when the block is built."""

    src: str


def identifier(name: str) -> str:
    """A legal Python name for ``name``: ``0`` → ``_0``, ``conv-1`` → ``conv_1``, ``class`` → ``class_``.

    >>> identifier("downsample-conv"), identifier("0"), identifier("lambda")
    ('downsample_conv', '_0', 'lambda_')
    """
    text = name.replace("-", "_").replace(".", "_")
    if not text or text[0].isdigit():
        text = "_" + text
    return text + "_" if keyword.iskeyword(text) else text


class _Names(ast.NodeTransformer):
    """Rewrites names: known values become constants, floor/ceil become integer arithmetic."""

    def __init__(self, rename: Callable[[str], ast.expr | None]) -> None:
        self.rename = rename

    def visit_Name(self, node: ast.Name) -> ast.expr:
        found = self.rename(node.id)
        return node if found is None else ast.copy_location(found, node)

    def visit_Call(self, node: ast.Call) -> ast.expr:
        self.generic_visit(node)
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        if name in ("floor", "ceil") and len(node.args) == 1:
            # floor(v) = int(v // 1); ceil(v) = -int(-v // 1): no import of math in generated code
            arg = node.args[0] if name == "floor" else ast.UnaryOp(ast.USub(), node.args[0])
            whole = ast.Call(ast.Name("int", ast.Load()), [ast.BinOp(arg, ast.FloorDiv(), ast.Constant(1))], [])
            return whole if name == "floor" else ast.UnaryOp(ast.USub(), whole)
        return node


def _constant(value: Any) -> ast.expr:
    return ast.parse(repr(value), mode="eval").body


def fold(src: str, divides: bool | None = None) -> Any:
    """``src`` evaluated when it names nothing unknown, else a :class:`Sym` of it, tidied.

    As convcalc's own arithmetic, a whole float from an expression without
    ``/`` becomes an int (``64 * 1.0`` filters is 64).
    """
    tree = ast.parse(src, mode="eval")
    text = ast.unparse(tree)
    free = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - set(_SAFE)
    if free:
        return Sym(text)
    value = eval(compile(tree, "<expr>", "eval"), {"__builtins__": {}}, dict(_SAFE))
    if isinstance(value, float) and value.is_integer() and "/" not in (src if divides is None else ("/" if divides else "")):
        return int(value)
    return value


def translate(text: str, symbolic: set[str], known: Mapping[str, Any]) -> Any:
    """A file's ``$expression``: names in ``symbolic`` stay, those in ``known`` are put in."""
    body = ast.parse(text[1:].replace("$", "").strip(), mode="eval")

    def rename(name: str) -> ast.expr | None:
        if name in symbolic:
            return ast.Name(identifier(name), ast.Load()) if identifier(name) != name else None
        if name in known:
            return _constant(known[name])
        if name in _WORDS:
            return _constant(_WORDS[name])
        return None

    tree = ast.fix_missing_locations(_Names(rename).visit(body))
    return fold(ast.unparse(tree), divides="/" in text.replace("//", ""))


def source(value: Any) -> str:
    """Python source of a known value or a :class:`Sym`; tuples of one number collapse: (3, 3) → 3."""
    if isinstance(value, Sym):
        return value.src
    if isinstance(value, tuple) and value and len(set(value)) == 1:
        return repr(value[0])
    if isinstance(value, float):
        return repr(value)
    return repr(value)


def combine(a: Any, operator: str, b: Any) -> Any:
    """``a operator b``, folded when both are known."""
    return fold(f"({source(a)}) {operator} ({source(b)})", divides=operator == "/")


def if_else(condition: str | None, yes: Any, no: Any) -> Any:
    """``yes if condition else no``; just ``yes`` when they agree or there is no condition."""
    if condition is None or yes == no:
        return yes
    return fold(f"({source(yes)}) if ({condition}) else ({source(no)})")


def substitute(value: Any, names: Mapping[str, Any]) -> Any:
    """``value`` with names replaced by other values (a block's output at a call site)."""
    if not isinstance(value, Sym):
        return value
    tree = ast.parse(value.src, mode="eval")
    tree = ast.fix_missing_locations(_Names(lambda n: ast.parse(f"({source(names[n])})", mode="eval").body if n in names else None).visit(tree))
    return fold(ast.unparse(tree))


def forward_source(condition: str, owner: str = "self") -> str:
    """A condition over constructor arguments, read from attributes in ``forward``: ``self.stride == 2``.

    >>> forward_source("stride == 2 and not project")
    'self.stride == 2 and (not self.project)'
    """
    tree = ast.parse(condition, mode="eval")
    tree = ast.fix_missing_locations(
        _Names(lambda n: None if n in _SAFE else ast.Attribute(ast.Name(owner, ast.Load()), n, ast.Load())).visit(tree)
    )
    return ast.unparse(tree)


def condition_names(condition: str) -> list[str]:
    """The argument names a condition reads, in order."""
    tree = ast.parse(condition, mode="eval")
    return list(dict.fromkeys(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in _SAFE))

