"""An architecture file read again as programs: one for the network, one per block.

The loader expands every block instance into concrete layers; an exporter
needs the opposite, the block *once*, with its parameters still symbolic, so
it can become one class whose constructor takes them. :func:`programs`
walks the file's YAML (which the loader has already validated) the way the
loader does, with three differences:

* inside a block, ``$expressions`` over the block's parameters stay as
  Python source (:class:`~convcalc.export.exprs.Sym`) and ``if:`` becomes a
  condition on every op it covers, instead of being decided;
* channels are tracked as expressions too (``width * 4``), because PyTorch
  needs every layer's input channels;
* where a size is only known concretely (the input of a ``flatten``, a
  ``same`` padding with a stride), it is read from the loaded model, for
  every instance of the block; if the instances disagree the export stops.

Each op keeps the loader's name for its layer (``conv1``, ``se.fc1``,
``relu_1``), so the generated modules carry the file's names. Where an
``if:`` makes an instance number its unnamed layers differently,
:func:`placements` pairs the loader's layers with the ops by walking each
instance as it runs.

One idiom is read as what it means rather than as written: a ``residual``
under ``if: C`` beside a ``sequential`` of the same layers under the
opposite condition (mobilenet_v2's "shortcut only where the shape is kept")
becomes the layers once and the addition under ``C``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConvCalcError
from ..expr import evaluate, is_expression
from ..layers import canonical_kind, make_layer, spec_class
from ..loader import CONTAINERS, SPLITS
from ..model import INPUT, Summary
from ..shapes import Shape
from ..yamlnodes import Located
from .exprs import Sym, combine, condition_names, identifier, if_else, translate

__all__ = ["Call", "ExportError", "Op", "Program", "Step", "Value", "exclusive", "implies", "placements", "programs"]


class ExportError(ConvCalcError):
    """A network cannot be written exactly for the chosen framework."""

    rule = "export"


@dataclass(eq=False)
class Value:
    """A tensor flowing through a program."""

    channels: Any
    """Channels (features of a vector): an int, a :class:`Sym`, or None if unknown."""
    rank: int
    """3 for an H×W×C map, 1 for a vector."""
    shapes: tuple[Shape, ...] | None = None
    """Its concrete shape in each instance of the program, where the model says."""
    when: tuple[str, Value, Value] | None = None
    """For a phi: its condition, the value while that holds, and the value otherwise."""

    def under(self, condition: str | None) -> Value:
        """The value as an op that runs only under ``condition`` sees it."""
        if self.when is not None and condition is not None:
            if implies(condition, self.when[0]):
                return self.when[1].under(condition)
            if exclusive(condition, self.when[0]):
                return self.when[2].under(condition)
        return self

    def shape(self) -> Shape | None:
        """The concrete shape if every instance agrees on it."""
        if not self.shapes or len(set(self.shapes)) != 1:
            return None
        return self.shapes[0]


@dataclass(frozen=True)
class Call:
    """One block instance: its constructor arguments (in_channels first)."""

    in_channels: Any
    args: tuple[tuple[str, Any], ...]


@dataclass(eq=False)
class Op:
    """One statement of a program: a layer, a block instance, a split, a sequential or a phi."""

    kind: str
    """A layer kind; or ``block``, ``sequential`` (a named chain kept whole) or ``phi``."""
    name: str
    """The loader's name within the program (``se.fc1``)."""
    local: str
    """The name within its own scope (``fc1``)."""
    owner: tuple[str, ...]
    """Named non-chain containers it sits in, outermost first (holder modules)."""
    inputs: list[Value]
    outputs: list[Value]
    options: dict[str, Any] = field(default_factory=dict)
    """Normalised known values, or Sym."""
    condition: str | None = None
    """Python condition over the constructor arguments, or None: always."""
    outer: str | None = None
    """For a phi: the condition around the one it closes."""
    trainable: Any = True
    block: str | None = None
    calls: tuple[Call, ...] = ()
    """For a block op: one call, or one per repeat."""
    children: list[Op] = field(default_factory=list)
    """For a sequential: its ops, a chain."""
    at: Any = None
    prefix: str = ""
    """The first instance of its program (``inception3a.``): messages name a layer the user can find."""
    shown: str | None = None
    """The loader's name for it in the first instance that has it, once :func:`placements` has run."""

    @property
    def spec(self) -> Any:
        """The concrete spec when every option is known, else None."""
        if any(isinstance(v, Sym) for v in self.options.values()):
            return None
        return make_layer(self.kind, self.options)

    def fail(self, reason: str) -> ExportError:
        kind = self.kind if self.kind not in ("block", "sequential") else self.block or self.kind
        return ExportError(reason, at=self.at, layer=self.shown or self.prefix + self.name, kind=kind)


@dataclass(eq=False)
class Program:
    """The network, or one block: what a class is generated from."""

    name: str
    """The block's name, or the model's."""
    params: dict[str, Any]
    """Constructor arguments and their defaults (known values); empty for the network."""
    input: Value
    ops: list[Op]
    output: Value
    instances: tuple[str, ...]
    """Name prefixes of the program's instances (``('',)`` for the network)."""
    is_block: bool = True

    def walk(self) -> list[Op]:
        """Every op, sequentials' children included, in order."""
        out: list[Op] = []
        for op in self.ops:
            out.append(op)
            out.extend(op.children)
        return out


class _Scope:
    def __init__(self, prefix: str, parent: _Scope | None = None) -> None:
        self.prefix = prefix
        self.parent = parent
        self.names: dict[str, Value] = {}
        self.counts: dict[str, int] = {}

    def auto(self, base: str) -> str:
        n = self.counts.get(base, 0)
        while True:
            name = base if n == 0 else f"{base}_{n}"
            n += 1
            if name not in self.names:
                self.counts[base] = n
                return name

    def resolve(self, name: str) -> Value | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return None


@dataclass
class _Ctx:
    scope: _Scope
    condition: str | None
    trainable: Any
    owner: tuple[str, ...]
    ops: list[Op]


def _conjuncts(condition: str) -> set[str]:
    import ast

    tree = ast.parse(condition, mode="eval").body
    parts = tree.values if isinstance(tree, ast.BoolOp) and isinstance(tree.op, ast.And) else [tree]
    return {ast.unparse(p) for p in parts}


def _negate(condition: str) -> str:
    """``a == 1 and b == c`` → ``a != 1 or b != c`` (De Morgan), as source."""
    import ast

    inverse = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt}

    def flip(node: ast.expr) -> ast.expr:
        if isinstance(node, ast.BoolOp):
            return ast.BoolOp(ast.Or() if isinstance(node.op, ast.And) else ast.And(), [flip(v) for v in node.values])
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            return ast.Compare(node.left, [inverse[type(node.ops[0])]()], node.comparators)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return node.operand
        return ast.UnaryOp(ast.Not(), node)

    return ast.unparse(flip(ast.parse(condition, mode="eval").body))


def _normal(condition: str) -> str:
    import ast

    return ast.unparse(ast.parse(condition, mode="eval"))


def implies(condition: str, other: str) -> bool:
    """Whether ``condition`` holding means ``other`` holds: its conjuncts include the other's."""
    return _conjuncts(other) <= _conjuncts(condition)


def exclusive(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` cannot both hold: one's conjunct is the other's negation, or they pin a name to two values.

    >>> exclusive("stride == 1 and t != 1", "stride == 2"), exclusive("t != 1", "stride == 2")
    (True, False)
    """
    import ast

    ours, theirs = _conjuncts(a), _conjuncts(b)
    if any(_negate(c) in theirs for c in ours) or any(_negate(c) in ours for c in theirs):
        return True

    def pinned(conjuncts: set[str]) -> dict[str, Any]:
        found = {}
        for c in conjuncts:
            node = ast.parse(c, mode="eval").body
            if isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.Eq) and len(node.ops) == 1 and isinstance(node.comparators[0], ast.Constant):
                found[ast.unparse(node.left)] = node.comparators[0].value
        return found

    mine, other = pinned(ours), pinned(theirs)
    return any(name in other and other[name] != value for name, value in mine.items())


def _and(a: str | None, b: str | None) -> str | None:
    if a is None or (b is not None and implies(b, a)):
        return b
    if b is None or implies(a, b):
        return a
    return f"({a}) and ({b})" if " or " in a + b else f"{a} and {b}"


class _Reader:
    """Walks one program (the network or a block) symbolically."""

    def __init__(self, source: _Source, program: str | None) -> None:
        self.source = source
        self.block = source.blocks[program] if program else None
        self.symbolic: set[str] = set(self.block.params) | {"in_channels"} if self.block else set()
        self.instances = source.instances.get(program, ()) if program else ("",)
        self.prefix = self.instances[0] if self.instances else ""
        """Where messages place this program's layers: its first instance (``inception3a.``)."""

    # ------------------------------------------------------------ values

    def value(self, located: Located) -> Any:
        """A YAML value with its expressions translated (lists element-wise)."""
        v = located.value
        if isinstance(v, list):
            items = [self.value(item) for item in v]
            if any(isinstance(i, Sym) for i in items):
                return Sym("[" + ", ".join(i.src if isinstance(i, Sym) else repr(i) for i in items) + "]")
            return items
        if isinstance(v, dict):
            return {k: self.value(item) for k, item in v.items()}
        if is_expression(v):
            value = translate(v, self.symbolic, self.source.top)
            unknown = set(condition_names(value.src)) - {identifier(name) for name in self.symbolic} if isinstance(value, Sym) else set()
            if unknown:  # in_h, in_w: the loader knows the input's size where a block is used, a class's constructor does not
                names = ", ".join(sorted(unknown))
                raise ExportError(f"{v!r} reads {names}, the size of the block's input, which a generated class is not given; write the value", at=located.at)
            return value
        return v

    def lookup(self, name: str) -> tuple[Shape, ...] | None:
        """The output of layer or group ``name`` in every instance, if the model has it."""
        found = []
        for prefix in self.instances:
            shape = self.source.outputs.get(prefix + name)
            if shape is None:
                return None
            found.append(shape)
        return tuple(found)

    # ------------------------------------------------------------ walking

    def program(self, name: str, layers: Located, input_value: Value, params: dict[str, Any]) -> Program:
        ctx = _Ctx(_Scope(""), None, True, (), [])
        self.input = input_value
        out = self.sequence(layers, input_value, ctx)
        return Program(name, params, input_value, ctx.ops, out, self.instances, self.block is not None)

    def sequence(self, located: Located, x: Value, ctx: _Ctx) -> Value:
        items = located.value
        i = 0
        while i < len(items):
            twins = self.twins(items[i], items[i + 1]) if i + 1 < len(items) else None
            if twins is None:
                x = self.entry(items[i], x, ctx)
                i += 1
            else:
                x = self.optional_shortcut(*twins, x, ctx)
                i += 2
        return x

    def twins(self, a: Located, b: Located) -> tuple[dict[str, Located], str, Any] | None:
        """A residual under ``if: C`` beside a sequential of the same layers under ``if: not C``.

        Files say "the shortcut only where the shape is kept" this way
        (mobilenet_v2); as code it is one chain of layers and an ``if``
        around the addition, which :meth:`optional_shortcut` writes. Both
        containers are unnamed, so their layers' names are the same either way.
        """
        found: dict[str, tuple[dict[str, Located], Any]] = {}
        for item in (a, b):
            if not isinstance(item.value, dict) or len(item.value) != 1:
                return None
            ((key, body),) = item.value.items()
            if key not in ("residual", "sequential") or not isinstance(body.value, dict) or "if" not in body.value:
                return None
            found[key] = (body.value, item.key_at[key])  # type: ignore[index]
        if len(found) != 2:
            return None
        (residual, at), (sequential, _) = found["residual"], found["sequential"]
        if set(residual) - {"if", "body", "shortcut", "merge"} or set(sequential) - {"if", "layers"}:
            return None
        if "body" not in residual or "layers" not in sequential or residual["body"].plain() != sequential["layers"].plain():
            return None
        when, otherwise = self.value(residual["if"]), self.value(sequential["if"])
        if not isinstance(when, Sym) or not isinstance(otherwise, Sym):
            return None
        if _normal(_negate(when.src)) != _normal(otherwise.src) and _normal(_negate(otherwise.src)) != _normal(when.src):
            return None
        return residual, when.src, at

    def optional_shortcut(self, residual: dict[str, Located], condition: str, at: Any, x: Value, ctx: _Ctx) -> Value:
        """The body always, then the shortcut and the merge under ``condition``."""
        out = self.sequence(residual["body"], x, ctx)
        when = _and(ctx.condition, condition)
        inner = _Ctx(ctx.scope, when, ctx.trainable, ctx.owner, ctx.ops)
        shortcut = self.sequence(residual["shortcut"], x.under(when), inner) if "shortcut" in residual else x.under(when)
        merge = self.value(residual["merge"]) if "merge" in residual else "add"
        if isinstance(merge, Sym):
            raise ExportError("a merge chosen by block parameters is not exported; write add, multiply or concat", at=at)
        joined = self.layer(merge, ctx.scope.auto(merge), {}, [out.under(when), shortcut], inner, at)
        return self.phi(joined, out, when, ctx)  # type: ignore[arg-type]

    def entry(self, item: Located, x: Value, ctx: _Ctx) -> Value:
        if isinstance(item.value, str):
            key, body, at = item.value, Located(None, item.at), item.at
        else:
            ((key, body),) = item.value.items()
            at = item.key_at[key]  # type: ignore[index]
        mapping: dict[str, Located] = body.value or {}
        if key == "sequential" and isinstance(body.value, list):
            mapping = {"layers": body}
        condition = ctx.condition
        if "if" in mapping:
            include = self.value(mapping["if"])
            if include is False:
                return x
            if isinstance(include, Sym):
                condition = _and(ctx.condition, include.src)
        name = None
        if "name" in mapping:
            name = self.value(mapping["name"])
            if isinstance(name, Sym):
                raise ExportError(f"a layer name computed from block parameters ({name.src}) cannot become a Python attribute; write it out", at=mapping["name"].at)
        trainable = ctx.trainable
        if "trainable" in mapping and trainable is not False:
            trainable = self.value(mapping["trainable"])
        inputs = [x]
        if "from" in mapping:
            refs = mapping["from"].value if isinstance(mapping["from"].value, list) else [mapping["from"]]
            inputs = [self.reference(r.value, ctx, r.at) for r in refs]
        inner = _Ctx(ctx.scope, condition, trainable, ctx.owner, ctx.ops)
        inputs = [value.under(condition) for value in inputs]
        options = {k: v for k, v in mapping.items() if k not in ("name", "from", "trainable", "if")}
        if key in CONTAINERS:
            out = self.container(key, name, options, inputs[0], inner, at)
        elif key in self.source.blocks:
            out = self.block_call(key, name, options, inputs[0], inner, at)
        else:
            kind = canonical_kind(key)
            if kind in SPLITS:
                out = self.split(kind, name, options, inputs[0], inner, at)
            else:
                out = self.layer(kind, name, options, inputs, inner, at)
        if condition != ctx.condition:  # leaving an ``if``: the value is the layer's, or what came in
            return self.phi(out, x, condition, ctx)  # type: ignore[arg-type]
        return out

    def phi(self, inner: Value, outer: Value, condition: str, ctx: _Ctx) -> Value:
        shapes = inner.shapes  # known only if the layer was built in every instance
        if outer.when is not None and outer.when[0] == condition:  # consecutive entries under one 'if'
            outer = outer.when[2]
        if inner.rank != outer.rank:
            raise ExportError(f"a layer under 'if: {condition}' changes the tensor's rank; the generated code would need two different forwards")
        value = Value(if_else(condition, inner.channels, outer.channels), inner.rank, shapes, (condition, inner, outer))
        ctx.ops.append(Op("phi", "", "", ctx.owner, [inner, outer], [value], condition=condition, outer=ctx.condition))
        return value

    def reference(self, name: Any, ctx: _Ctx, at: Any) -> Value:
        if name == "input":
            if self.block is not None:
                raise ExportError("'from: input' inside a block reads the model's input, which a block class cannot reach", at=at)
            return self.input
        found = ctx.scope.resolve(name)
        if found is None:
            where = f"block {self.block.name!r}" if self.block else "the network"
            raise ExportError(f"{name!r} is not a layer of {where} before this one; a generated class can only read its own layers", at=at)
        if getattr(found, "hidden", None):
            raise ExportError(f"{name!r} is inside the sequential {found.hidden!r}, which is exported whole; read the sequential instead", at=at)  # type: ignore[attr-defined]
        return found

    def add(self, op: Op, ctx: _Ctx, local: str) -> Value:
        ctx.ops.append(op)
        ctx.scope.names[local] = op.outputs[-1]
        return op.outputs[-1]

    def layer(self, kind: str, name: str | None, options: dict[str, Located], inputs: list[Value], ctx: _Ctx, at: Any) -> Value:
        local = name or ctx.scope.auto(kind)
        full = ctx.scope.prefix + local
        values = {k: self.value(v) for k, v in options.items()}
        known = {k: v for k, v in values.items() if not isinstance(v, Sym)}
        if len(known) == len(values):
            spec = make_layer(kind, known)
            opts = {k: getattr(spec, k) for k in values}
        else:  # normalise the known options one by one; the rest stay source
            fields = {f.name: f for f in spec_class(kind).declared()}
            opts = {k: (v if isinstance(v, Sym) else fields[k].norm(k, v)) for k, v in values.items()}
        op = Op(kind, full, local, ctx.owner, inputs, [], opts, ctx.condition, trainable=ctx.trainable, at=at, prefix=self.prefix)
        channels, rank = _out(op)
        op.outputs.append(Value(channels, rank, self.lookup(full)))
        return self.add(op, ctx, local)

    def split(self, kind: str, name: str | None, options: dict[str, Located], x: Value, ctx: _Ctx, at: Any) -> Value:
        local = name or ctx.scope.auto(kind)
        full = ctx.scope.prefix + local
        values = {k: self.value(v) for k, v in options.items()}
        if any(isinstance(v, Sym) for v in values.values()):
            raise ExportError("a split whose parts depend on block parameters is not exported; give the parts as numbers", at=at, layer=self.prefix + full, kind=kind)
        spec = make_layer(kind, values)
        op = Op(kind, full, local, ctx.owner, [x], [], {"parts": spec.parts, "sizes": spec.sizes}, ctx.condition, at=at, prefix=self.prefix)  # type: ignore[attr-defined]
        for i, part in enumerate(spec.slices()):  # type: ignore[attr-defined]
            if "chunks" in part:
                channels = combine(x.channels, "//", part["chunks"]) if x.channels is not None else None
            else:
                channels = part["stop"] - part["start"]
            value = Value(channels, x.rank, self.lookup(f"{full}.{i}"))
            op.outputs.append(value)
            ctx.scope.names[f"{local}.{i}"] = value
        ctx.ops.append(op)
        ctx.scope.names[local] = op.outputs[-1]
        return op.outputs[-1]

    def container(self, kind: str, name: str | None, options: dict[str, Located], x: Value, ctx: _Ctx, at: Any) -> Value:
        local = name or ctx.scope.auto(kind)
        full = ctx.scope.prefix + local
        scope = _Scope(full + ".", ctx.scope) if name else ctx.scope
        if kind == "sequential" and name is not None:
            inner = _Ctx(scope, ctx.condition, ctx.trainable, ctx.owner, [])
            out = self.sequence(options["layers"], x, inner)
            if _is_chain(inner.ops, x, ctx.condition):
                op = Op("sequential", full, local, ctx.owner, [x], [Value(out.channels, out.rank, self.lookup(full))], condition=ctx.condition, children=inner.ops, at=at, prefix=self.prefix)
                for value in scope.names.values():
                    value.hidden = full  # type: ignore[attr-defined]
                return self.add(op, ctx, local)
            # not a chain: a holder module whose attributes are the layers
            for op in inner.ops:
                op.owner = (*ctx.owner, local, *op.owner[len(ctx.owner):])
            ctx.ops.extend(inner.ops)
            ctx.scope.names[local] = out
            return out
        owner = (*ctx.owner, local) if name else ctx.owner
        inner = _Ctx(scope, ctx.condition, ctx.trainable, owner, ctx.ops)
        if kind == "sequential":
            out = self.sequence(options["layers"], x, inner)
        else:
            merge = "add" if kind == "residual" else "concat"
            if "merge" in options:
                merge = self.value(options["merge"])
                if isinstance(merge, Sym):
                    raise ExportError("a merge chosen by block parameters is not exported; write add, multiply or concat", at=at)
            if kind == "residual":
                outs = [self.sequence(options["body"], x, inner)]
                outs.append(self.sequence(options["shortcut"], x, inner) if "shortcut" in options else x)
            else:
                outs = [self.sequence(path, x, inner) for path in options["paths"].value]
            merge_local = scope.auto(merge)
            out = self.layer(merge, merge_local, {}, outs, inner, at)
        ctx.scope.names[local] = out
        return out

    def block_call(self, block: str, name: str | None, options: dict[str, Located], x: Value, ctx: _Ctx, at: Any) -> Value:
        local = name or ctx.scope.auto(block)
        full = ctx.scope.prefix + local
        program = self.source.program(block)
        repeat = self.value(options["repeat"]) if "repeat" in options else None
        if isinstance(repeat, Sym):
            raise ExportError(f"a repeat count computed from block parameters ({repeat.src}) is not exported; write the number", at=at, layer=self.prefix + full, kind=block)
        first = {k: self.value(v) for k, v in (options["first"].value or {}).items()} if "first" in options else {}
        given = {k: self.value(v) for k, v in options.items() if k not in ("repeat", "first")}
        calls = []
        channels = x.channels
        for i in range(repeat or 1):
            args = {**given, **(first if i == 0 else {})}
            calls.append(Call(channels, tuple((k, args[k]) for k in program.params if k in args and args[k] != program.params[k])))
            named = {**program.params, **args, "in_channels": channels}
            channels = _substitute(program.output.channels, named)
        op = Op("block", full, local, ctx.owner, [x], [Value(channels, program.output.rank, self.lookup(full))], condition=ctx.condition,
                trainable=ctx.trainable, block=block, calls=tuple(calls), at=at, prefix=self.prefix)
        op.repeat = repeat  # type: ignore[attr-defined]
        return self.add(op, ctx, local)


def _src(value: Any) -> str:
    return value.src if isinstance(value, Sym) else repr(value)


def _substitute(value: Any, names: Mapping[str, Any]) -> Any:
    from .exprs import substitute

    if value is None:
        return None
    return substitute(value, {k: v for k, v in names.items() if v is not None})


def _is_chain(ops: list[Op], x: Value, condition: str | None) -> bool:
    """Ops that read each other in order, with modules, under one condition: an ``nn.Sequential``."""
    current = x
    for op in ops:
        if op.kind in ("phi", "split", "slice", "add", "multiply", "concat", "rescaling") or op.condition != condition:
            return False
        if len(op.inputs) != 1 or op.inputs[0] is not current or op.owner != (ops[0].owner if ops else ()):
            return False
        current = op.outputs[-1]
    return bool(ops)


_SAME = ("relu", "relu6", "sigmoid", "tanh", "gelu", "silu", "hardswish", "hardsigmoid", "softmax", "mish",
         "leaky_relu", "elu", "softplus", "dropout", "drop_path", "identity", "rescaling", "scale", "prelu",
         "layernorm", "groupnorm", "instancenorm", "normalization", "channel_shuffle", "upsample",
         *(f"{kind}{n}d" for n in (1, 2, 3) for kind in ("batchnorm", "maxpool", "avgpool", "adaptive_avgpool", "adaptive_maxpool", "zeropad")))
"""Kinds whose output has the input's channels and rank."""


def _out(op: Op) -> tuple[Any, int]:
    """The output channels (an int, a Sym or None) and rank of a layer op."""
    x = op.inputs[0]
    o = op.options
    kind = op.kind
    if kind in _SAME:
        return x.channels, x.rank
    if kind.startswith(("conv", "conv_transpose")):
        return o["filters"], x.rank
    if kind == "dense":
        return o["units"], x.rank
    if kind.startswith("global_"):
        return x.channels, x.rank if o.get("keepdims") else 1
    if kind == "flatten":
        if x.rank == 1:
            return x.channels, 1
        shape = x.shape()
        return (shape.size if shape else None), 1
    if kind == "reshape":
        target = o["shape"]
        if isinstance(target, Sym):
            raise op.fail("a reshape target computed from block parameters is not exported")
        size = x.shape().size if x.shape() else None
        channels = target[-1]
        if channels == -1:
            known = 1
            for d in target[:-1]:
                known *= d
            channels = size // known if size else None
        return channels, len(target)
    if kind == "slice":
        if o.get("chunks") is not None:
            return combine(x.channels, "//", o["chunks"]) if x.channels is not None else None, x.rank
        if o.get("stop") is None:
            return combine(x.channels, "-", o.get("start", 0)) if x.channels is not None else None, x.rank
        return combine(o["stop"], "-", o.get("start", 0)), x.rank
    if kind == "concat":
        total: Any = 0
        for value in op.inputs:
            if value.channels is None:
                return None, x.rank
            total = combine(total, "+", value.channels)
        return total, x.rank
    if kind in ("add", "multiply"):
        ranks = {v.rank for v in op.inputs}
        if len(ranks) > 1:
            raise op.fail("joining a map with a vector broadcasts channels-last, which has no channels-first counterpart; add a reshape to 1×1×C first")
        channels = [v.channels for v in op.inputs if v.channels not in (1, None)]
        return (channels[0] if channels else x.channels), x.rank
    if kind == "pixel_shuffle":
        return combine(x.channels, "//", combine(o["factor"], "*", o["factor"])) if x.channels is not None else None, 3
    if kind == "pixel_unshuffle":
        return combine(x.channels, "*", combine(o["factor"], "*", o["factor"])) if x.channels is not None else None, 3
    raise op.fail(f"convcalc has no export rule for {kind}")


# ---------------------------------------------------------------- the file


class _Source:
    """The validated file: its blocks, top-level params, and the loaded model's shapes."""

    def __init__(self, root: Located, summary: Summary) -> None:
        top = root.value
        self.summary = summary
        self.top: dict[str, Any] = {}
        for key, located in (top["params"].value or {}).items() if "params" in top else ():
            v = located.plain()
            self.top[key] = evaluate(v, self.top) if is_expression(v) else v
        self.blocks = {}
        for name, body in (top["blocks"].value or {}).items() if "blocks" in top else ():
            spec = body.value
            params = spec["params"].value if "params" in spec else {}
            self.blocks[name] = _BlockDef(name, {k: v for k, v in (params or {}).items()}, spec["layers"])
        self.outputs: dict[str, Shape] = {}
        self.inputs: dict[str, Shape] = {}
        model = summary.model
        for row in summary.rows:
            self.outputs[row.node.name] = row.result.output
            for group in row.node.path:
                self.outputs[group] = row.result.output
                self.inputs.setdefault(group, row.inputs[0] if row.inputs else model.input)
        self.instances: dict[str, tuple[str, ...]] = {}
        for group, what in model.groups.items():
            if what in self.blocks:
                self.instances.setdefault(what, ())
                self.instances[what] += (group + ".",)
        self.programs: dict[str, Program] = {}
        self.order: list[str] = []

    def program(self, block: str) -> Program:
        if block in self.programs:
            return self.programs[block]
        spec = self.blocks[block]
        reader = _Reader(self, block)
        params = {}
        for key, located in spec.params.items():
            v = located.plain()
            if is_expression(v):
                v = translate(v, set(), self.top)
                if isinstance(v, Sym):
                    raise ExportError(f"the default of parameter {key!r} of block {block!r} depends on where the block is used; give it as a number", at=located.at)
            params[key] = v
        shapes = tuple(self.inputs[p[:-1]] for p in reader.instances if p[:-1] in self.inputs) or None
        rank = shapes[0].rank if shapes else 3
        program = reader.program(block, spec.layers, Value(Sym("in_channels"), rank, shapes), params)
        self.programs[block] = program
        self.order.append(block)
        return program


@dataclass
class _BlockDef:
    name: str
    params: dict[str, Located]
    layers: Located


def programs(root: Located, summary: Summary) -> tuple[Program, list[Program]]:
    """The network's program and those of the blocks it uses (each once, callees first)."""
    source = _Source(root, summary)
    reader = _Reader(source, None)
    model = summary.model
    x = Value(model.input.channels, model.input.rank, (model.input,))
    network = reader.program(model.name, root.value["layers"], x, {})
    network.is_block = False
    if "output" in root.value:
        network.output = reader_output(network, root.value["output"].value)
    return network, [source.programs[name] for name in source.order]


def reader_output(network: Program, name: str) -> Value:
    """The value a top-level ``output:`` names."""
    for op in network.walk():
        if op.name == name:
            return op.outputs[-1]
    raise ExportError(f"output {name!r} is inside a sequential that is exported whole; name the sequential instead")


_ = INPUT  # the model input's index, for readers of this module: -1


# ---------------------------------------------------------------- where each layer went

Step = tuple[Op, int]
"""An op on the way to a layer, and for a repeated block the instance's index (else 0)."""


def placements(network: Program, blocks: list[Program], summary: Summary) -> dict[str, tuple[Step, ...]]:
    """Each layer of the loaded model, by the loader's name: the ops that lead to it.

    The steps are block calls (with the instance's index), sequentials, and
    the layer's op last; a writer turns them into its own names. Names are
    not matched, because a block is read once but the loader numbers an
    instance's unnamed layers as they come: where an ``if:`` leaves out a
    ``conv2d``, the next one is ``conv2d_1`` in that instance and
    ``conv2d_2`` in the others. So each instance is walked as it runs, its
    conditions decided with its arguments, and the layers met are paired
    with the model's rows in order (the loader adds them in file order too).

    Sets each op's ``shown`` name, for messages, on the way.
    """
    from .exprs import identifier, substitute

    by_name = {program.name: program for program in blocks}
    rows = summary.rows
    found: dict[str, tuple[Step, ...]] = {}
    position = 0

    def concrete(value: Any, env: Mapping[str, Any]) -> Any:
        return substitute(value, env) if isinstance(value, Sym) else value

    def arguments(program: Program, call: Call, env: Mapping[str, Any]) -> dict[str, Any]:
        named = {identifier(k): v for k, v in program.params.items()}
        named.update({identifier(k): concrete(v, env) for k, v in call.args})
        channels = concrete(call.in_channels, env)
        if not isinstance(channels, int) and position < len(rows):  # the first layer of the instance reads its input
            channels = rows[position].inputs[0].channels
        named["in_channels"] = channels
        return named

    def walk(ops: list[Op], env: Mapping[str, Any], steps: tuple[Step, ...]) -> None:
        nonlocal position
        for op in ops:
            if op.kind == "phi":
                continue
            if op.condition is not None:
                holds = concrete(Sym(op.condition), env)
                if not isinstance(holds, bool):
                    raise RuntimeError(f"internal: cannot decide {op.condition!r} for {op.prefix + op.name!r} with {dict(env)}")
                if not holds:
                    continue
            if op.kind == "block":
                program = by_name[op.block]  # type: ignore[index]
                for i, call in enumerate(op.calls):
                    walk(program.ops, arguments(program, call, env), (*steps, (op, i)))
                continue
            if op.kind == "sequential":
                walk(op.children, env, (*steps, (op, 0)))
                continue
            for _ in op.outputs if op.kind == "split" else (None,):
                row = rows[position] if position < len(rows) else None
                if row is None or row.node.spec.kind != ("slice" if op.kind == "split" else op.kind):
                    met = f"layer {row.node.name!r}" if row else "the end of the model"
                    raise RuntimeError(f"internal: the exporter's {op.kind} {op.prefix + op.name!r} meets the loader's {met}")
                position += 1
                found[row.node.name] = (*steps, (op, 0))
                if op.shown is None:
                    op.shown = row.node.name

    walk(network.ops, {}, ())
    if position != len(rows):
        raise RuntimeError(f"internal: the exporter's programs end before the loader's layer {rows[position].node.name!r}")
    return found
