"""Architecture files (YAML) read into a :class:`~convcalc.model.Model`.

The format is documented in ``docs/format.md`` and described by the JSON
Schema ``convcalc/schema.json``. Loading validates the whole file: every
layer is built and every shape inferred, so a bad file fails here, with
``file:line:col`` and the layer's name, never halfway through later work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from .errors import ConvCalcError
from .expr import evaluate, is_expression
from .layers import ALIASES, KINDS, canonical_kind, make_layer, spec_class
from .layers.base import unknown_option_message
from .model import INPUT, Expectation, Model, Node, analyse, paused_gc
from .shapes import Layout, Shape
from .yamlnodes import Located, Position, parse_yaml

__all__ = ["LoadError", "load_model", "parse_model"]

EXPECT_KEYS = ("output", "params", "trainable_params", "non_trainable_params", "macs", "layers")
EXPECT_LAYER_KEYS = ("output", "params", "trainable", "non_trainable", "macs")
TOP_KEYS = ("name", "description", "input", "layout", "params", "blocks", "layers", "output", "expect")
BLOCK_KEYS = ("description", "params", "layers")
COMMON = ("name", "from", "trainable", "if")
"""Keys every layer entry may carry besides its own options."""
CONTAINERS = {
    "residual": ("body", "shortcut", "merge"),
    "branches": ("paths", "merge"),
    "sequential": ("layers",),
}
MERGES = ("add", "multiply", "concat")
MAX_LAYERS = 1_000_000
"""Most layers a file may expand to (blocks and repeats included)."""
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")


class LoadError(ConvCalcError):
    """An architecture file cannot be read, or describes an impossible network."""

    rule = "schema"


def get_close_matches(word: str, possibilities: Any, n: int = 1, cutoff: float = 0.6) -> list[str]:
    """difflib's, imported only when a message needs a suggestion."""
    from difflib import get_close_matches as close_matches

    return close_matches(word, possibilities, n=n, cutoff=cutoff)


def _fail(at: Position, message: str, rule: str = "schema") -> LoadError:
    return LoadError(f"{at}: {message}", rule=rule)


def load_model(path: str | Path) -> Model:
    """Read, validate and analyse the file at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LoadError(f"{path}: no such file", rule="unreadable") from None
    except IsADirectoryError:
        raise LoadError(f"{path}: is a directory, not an architecture file", rule="unreadable") from None
    except UnicodeDecodeError as error:
        raise LoadError(f"{path}: not UTF-8 text (byte {error.start})", rule="unreadable") from None
    except OSError as error:
        raise LoadError(f"{path}: cannot be read ({error.strerror})", rule="unreadable") from None
    return parse_model(text, str(path), default_name=path.stem)


def parse_model(text: str, file: str = "<text>", default_name: str = "model") -> Model:
    """Build a model from YAML text; ``file`` names it in messages."""
    try:
        with paused_gc():
            root = parse_yaml(text, file)
            model = _Builder(file).model(root, default_name)
            analyse(model)  # validates every shape now, with positions
    except LoadError:
        raise
    except ConvCalcError as error:
        raise LoadError(error.message, rule=error.rule) from None
    except RecursionError:  # blocks inside blocks inside blocks …, hundreds deep
        raise LoadError(f"{file}:1:1: blocks and containers are nested too deeply") from None
    return model


# ---------------------------------------------------------------- helpers


def _whole(value: Any, minimum: int = 1) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _kind_of(located: Located) -> str:
    v = located.value
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    if v is None:
        return "nothing"
    if isinstance(v, bool):
        return f"{str(v).lower()} (a boolean)"
    kind = type(v).__name__
    return f"{v!r} ({'an' if kind[0] in 'aeiou' else 'a'} {kind})"


def _expect_mapping(located: Located, what: str) -> dict[str, Located]:
    if located.value is None:
        return {}
    if not isinstance(located.value, dict):
        raise _fail(located.at, f"{what} must be a mapping of keys to values, got {_kind_of(located)}")
    return located.value


def _expect_list(located: Located, what: str) -> list[Located]:
    if not isinstance(located.value, list):
        raise _fail(located.at, f"{what} must be a list, got {_kind_of(located)}")
    return located.value


def _check_keys(mapping: Located, allowed: tuple[str, ...], what: str) -> None:
    for key, at in (mapping.key_at or {}).items():
        if key not in allowed:
            close = get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of: {', '.join(allowed)}"
            raise _fail(at, f"unknown key {key!r} in {what}{hint}")


class _Scope:
    """Names visible inside one group; ``prefix`` makes them unique overall."""

    __slots__ = ("counts", "names", "parent", "prefix")

    def __init__(self, prefix: str, parent: _Scope | None = None) -> None:
        self.prefix = prefix
        self.parent = parent
        self.names: dict[str, int] = {}
        self.counts: dict[str, int] = {}

    def auto(self, base: str, claim: bool = True) -> str:
        """Keras-style names: conv2d, conv2d_1, conv2d_2, …; ``claim=False`` only looks."""
        n = self.counts.get(base, 0)
        while True:
            name = base if n == 0 else f"{base}_{n}"
            n += 1
            if name not in self.names:
                if claim:
                    self.counts[base] = n
                return name

    def resolve(self, name: str) -> int | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return None


# The loader's private records are NamedTuples: cheap to define, which keeps
# the command line's start-up short.
class _Block(NamedTuple):
    name: str
    params: dict[str, Located]
    layers: Located
    at: Position


class _Context(NamedTuple):
    """What an entry is read within."""

    scope: _Scope
    params: Mapping[str, Any]
    path: tuple[str, ...]
    trainable: bool
    blocks_open: tuple[str, ...] = ()


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.nodes: list[Node] = []
        self.groups: dict[str, str] = {}
        self.blocks: dict[str, _Block] = {}
        self.global_names: dict[str, int] = {}
        self.used_blocks: set[str] = set()

    # ------------------------------------------------------------ top level

    def model(self, root: Located, default_name: str) -> Model:
        top = _expect_mapping(root, "an architecture file")
        if not top:
            raise _fail(root.at, "an architecture needs at least 'input' and 'layers'")
        _check_keys(root, TOP_KEYS, "the architecture")
        for required in ("input", "layers"):
            if required not in top:
                raise _fail(root.at, f"the architecture has no {required!r}; add it (see docs/format.md)")
        name = self._string(top.get("name"), "name") or default_name
        description = self._string(top.get("description"), "description") or ""
        layout = Layout.HWC
        if "layout" in top:
            value = top["layout"].value
            if value not in ("hwc", "chw"):
                raise _fail(top["layout"].at, f"layout must be 'hwc' or 'chw', got {_kind_of(top['layout'])}")
            layout = Layout(value)
        shape = self._input(top["input"], layout)
        params = self._params(top.get("params"), {}, "params")
        if "blocks" in top:
            self._blocks(top["blocks"])
        scope = _Scope("")
        context = _Context(scope, params, (), True)
        layers = _expect_list(top["layers"], "layers")
        if not layers:
            raise _fail(top["layers"].at, "layers is empty; list at least one layer")
        output = self.sequence(top["layers"], INPUT, context)
        if "output" in top:
            ref = top["output"]
            if not isinstance(ref.value, str):
                raise _fail(ref.at, f"output must be a layer name, got {_kind_of(ref)}")
            output = self._reference(ref.value, ref.at, scope, "output")
            if output == INPUT:
                raise _fail(ref.at, "output must name a layer, not the input")
        if output == INPUT:
            raise _fail(top["layers"].at, "every layer was skipped by 'if'; the model has no layers")
        expectations = self._expectations(top["expect"], layout) if "expect" in top else ()
        unused = tuple((b.name, b.at) for b in self.blocks.values() if b.name not in self.used_blocks)
        return Model(
            name, shape, tuple(self.nodes), output, layout, description, dict(self.groups), expectations, unused
        )

    def _expectations(self, located: Located, layout: Layout) -> tuple[Expectation, ...]:
        """``expect:`` — figures the file asserts, checked by ``convcalc check``."""
        top = _expect_mapping(located, "expect")
        _check_keys(located, EXPECT_KEYS, "expect")
        found = [self._figure(None, key, value, layout) for key, value in top.items() if key != "layers"]
        if "layers" in top:
            layers = top["layers"]
            for name, figures in _expect_mapping(layers, "expect: layers").items():
                at = layers.key_at[name]  # type: ignore[index]
                if name not in self.global_names:
                    close = get_close_matches(name, list(self.global_names), n=1, cutoff=0.6)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise _fail(at, f"expect: no layer is named {name!r}{hint}", "dangling-reference")
                _expect_mapping(figures, f"expect: layer {name!r}")
                _check_keys(figures, EXPECT_LAYER_KEYS, f"expect: layer {name!r}")
                found.extend(self._figure(name, key, value, layout) for key, value in figures.value.items())
        return tuple(found)

    def _figure(self, layer: str | None, key: str, located: Located, layout: Layout) -> Expectation:
        where = f"expect: {key}" if layer is None else f"expect: layer {layer!r}: {key}"
        value = located.value
        if key == "output":
            sizes = value if isinstance(value, list) else None
            if not sizes or len(sizes) not in (1, 3) or not all(_whole(v.value) for v in sizes):
                raise _fail(located.at, f"{where} must be a shape like [112, 112, 64] or [1000], got {_kind_of(located)}")
            dims = [v.value for v in sizes]
            if len(dims) == 3 and layout is Layout.CHW:
                dims = [dims[1], dims[2], dims[0]]
            return Expectation(layer, key, Shape(tuple(dims)), located.at)
        if not _whole(value, minimum=0):
            raise _fail(located.at, f"{where} must be a whole number ≥ 0, got {_kind_of(located)}")
        return Expectation(layer, key, value, located.at)

    def _string(self, located: Located | None, what: str) -> str | None:
        if located is None:
            return None
        if not isinstance(located.value, str):
            raise _fail(located.at, f"{what} must be text, got {_kind_of(located)}")
        return located.value

    def _input(self, located: Located, layout: Layout) -> Shape:
        value = located.value
        if isinstance(value, list) and len(value) in (1, 3):
            dims = [v.value for v in value]
            for v in value:
                if not isinstance(v.value, int) or isinstance(v.value, bool) or v.value < 1:
                    raise _fail(v.at, f"input sizes must be positive whole numbers, got {_kind_of(v)}")
            if len(dims) == 3 and layout is Layout.CHW:
                dims = [dims[1], dims[2], dims[0]]
            return Shape(tuple(dims))
        order = "[C, H, W]" if layout is Layout.CHW else "[H, W, C]"
        got = f"{len(value)} sizes, {located.plain()}" if isinstance(value, list) else _kind_of(located)
        raise _fail(located.at, f"input must be {order} like {'[3, 224, 224]' if layout is Layout.CHW else '[224, 224, 3]'} or [features], got {got}")

    def _params(self, located: Located | None, outer: Mapping[str, Any], what: str) -> dict[str, Any]:
        params = dict(outer)
        if located is None:
            return params
        for key, value in _expect_mapping(located, what).items():
            if not _NAME.match(key):
                raise _fail(located.key_at[key], f"parameter name {key!r} must be a word (letters, digits, _)")  # type: ignore[index]
            params[key] = self._value(value, outer)
        return params

    def _blocks(self, located: Located) -> None:
        for name, body in _expect_mapping(located, "blocks").items():
            at = located.key_at[name]  # type: ignore[index]
            if name in KINDS or name in ALIASES or name in CONTAINERS:
                raise _fail(at, f"block name {name!r} is already a layer kind; choose another")
            if not _NAME.match(name):
                raise _fail(at, f"block name {name!r} must be a word (letters, digits, _, -)")
            spec = _expect_mapping(body, f"block {name!r}")
            _check_keys(body, BLOCK_KEYS, f"block {name!r}")
            if "layers" not in spec:
                raise _fail(body.at, f"block {name!r} has no 'layers'")
            _expect_list(spec["layers"], f"layers of block {name!r}")
            params = _expect_mapping(spec["params"], f"params of block {name!r}") if "params" in spec else {}
            for key in params:
                if not _NAME.match(key):
                    raise _fail(spec["params"].key_at[key], f"parameter name {key!r} must be a word (letters, digits, _)")  # type: ignore[index]
            self.blocks[name] = _Block(name, params, spec["layers"], at)

    # ------------------------------------------------------------ values

    def _value(self, located: Located, params: Mapping[str, Any], label: str = "") -> Any:
        """Plain value with ``$expressions`` evaluated against ``params``.

        ``label`` names the entry the value belongs to, for messages.
        """
        v = located.value
        if isinstance(v, list):
            return [self._value(item, params, label) for item in v]
        if isinstance(v, dict):
            return {k: self._value(item, params, label) for k, item in v.items()}
        if is_expression(v):
            try:
                return evaluate(v, params)
            except ConvCalcError as error:
                raise _fail(located.at, f"{label}: {error.message}" if label else error.message) from None
        return v

    # ------------------------------------------------------------ layers

    def sequence(self, located: Located, x: int, context: _Context, what: str = "layers") -> int:
        for item in _expect_list(located, what):
            x = self.entry(item, x, context)
        return x

    def entry(self, item: Located, x: int, context: _Context) -> int:
        if isinstance(item.value, str):
            key, key_at, body = item.value, item.at, Located(None, item.at)
        elif isinstance(item.value, dict) and len(item.value) == 1:
            ((key, body),) = item.value.items()
            key_at = item.key_at[key]  # type: ignore[index]
        elif isinstance(item.value, dict) and item.value:
            keys = list(item.value)
            extra = [k for k in keys if k in COMMON]
            kind = next((k for k in keys if k not in COMMON), keys[0])
            hint = (
                f"; put {', '.join(map(repr, extra))} inside the options, as in "
                f"'- {kind}: {{{extra[0]}: ...}}'"
                if extra
                else ""
            )
            # Point at the second key: the first is taken as the kind.
            raise _fail(item.key_at[keys[1]], f"a layer entry has one key (its kind), found {len(keys)}: {', '.join(keys)}{hint}")  # type: ignore[index]
        else:
            raise _fail(item.at, f"expected a layer such as 'relu' or 'conv2d: {{filters: 64, kernel: 3}}', got {_kind_of(item)}")

        if key in CONTAINERS:
            if key == "sequential" and isinstance(body.value, list):
                body = Located({"layers": body}, body.at, {"layers": body.at})
            return self._container(key, key_at, body, x, context)
        if key in self.blocks:
            return self._block(self.blocks[key], key_at, body, x, context)
        try:
            kind = canonical_kind(key)
        except ConvCalcError:
            choices = [*KINDS, *ALIASES, *CONTAINERS, *self.blocks]
            close = get_close_matches(key, choices, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else "; see 'convcalc layer --help' for the kinds"
            raise _fail(key_at, f"unknown layer kind {key!r}{hint}", "unknown-kind") from None
        return self._layer(kind, key_at, body, x, context)

    def _common(self, body: Located, context: _Context, x: int, allowed: tuple[str, ...], noun: str, base: str) -> tuple[dict[str, Located], bool, list[int], str | None, bool, str]:
        """Split an entry's mapping into its own options and the common keys.

        Returns (options, include?, inputs, explicit name, trainable, label);
        the label, ``layer 'layer1.0.conv2d_1' (conv2d)``, begins every message
        about the entry. An entry skipped by ``if`` is still checked for
        unknown keys, but its name and ``from`` are not: what it refers to
        may have been skipped too, and a kept twin may carry the same name.
        """
        scope = context.scope
        label = f"{noun} {scope.prefix + scope.auto(base, claim=False)!r} ({base})"
        if body.value is not None and not isinstance(body.value, dict):
            raise _fail(body.at, f"{label}: the options must be a mapping of keys to values, got {_kind_of(body)}")
        mapping: dict[str, Located] = body.value or {}
        name = None
        if "name" in mapping:
            name = self._value(mapping["name"], context.params, label)
            if not isinstance(name, str) or not _NAME.match(name) or name == "input":
                raise _fail(mapping["name"].at, f"{label}: a name must be a word of letters, digits, _ and - (not 'input'), got {name!r}")
            label = f"{noun} {scope.prefix + name!r} ({base})"
        for key, at in (body.key_at or {}).items():
            if key not in allowed and key not in COMMON:
                raise _fail(at, f"{label}: {unknown_option_message(base, key, (*allowed, *COMMON))}")
        if "if" in mapping:
            include = self._value(mapping["if"], context.params, label)
            if not isinstance(include, bool):
                raise _fail(mapping["if"].at, f"{label}: 'if' must be true or false, got {include!r}")
            if not include:
                return {}, False, [], name, False, label
        trainable = context.trainable
        if "trainable" in mapping:
            own = self._value(mapping["trainable"], context.params, label)
            if not isinstance(own, bool):
                raise _fail(mapping["trainable"].at, f"{label}: 'trainable' must be true or false, got {own!r}")
            trainable = trainable and own
        if name is not None and name in scope.names:
            raise _fail(mapping["name"].at, f"{label}: name {name!r} is already used in this scope; names must be unique")
        inputs = [x]
        if "from" in mapping:
            ref = mapping["from"]
            refs = ref.value if isinstance(ref.value, list) else [ref]
            inputs = []
            for r in refs:
                if not isinstance(r.value, str):
                    raise _fail(r.at, f"{label}: 'from' names earlier layers, got {_kind_of(r)}")
                inputs.append(self._reference(r.value, r.at, scope, label))
            if not inputs:
                raise _fail(ref.at, f"{label}: 'from' is empty; name at least one earlier layer")
        options = {k: v for k, v in mapping.items() if k not in COMMON}
        return options, True, inputs, name, trainable, label

    def _reference(self, name: str, at: Position, scope: _Scope, label: str = "") -> int:
        prefix = f"{label}: " if label else ""
        if name == "input":
            return INPUT
        found = scope.resolve(name)
        if found == -2:
            raise _fail(at, f"{prefix}{name!r} is the block or container this layer is inside; refer to a layer before it", "dangling-reference")
        if found is None:
            found = self.global_names.get(name)
        if found is None:
            known = [*self.global_names, *_visible(scope)]
            close = get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else "; name the layer with 'name:' before referring to it"
            raise _fail(at, f"{prefix}no earlier layer is named {name!r}{hint}", "dangling-reference")
        return found

    def _add(self, name: str, spec: Any, inputs: list[int], context: _Context, at: Position, local: str) -> int:
        index = len(self.nodes)
        if index >= MAX_LAYERS:
            raise _fail(at, f"the network grows past {MAX_LAYERS:,} layers here (a large 'repeat', or YAML aliases?); convcalc stops there")
        self.nodes.append(Node(name, spec, tuple(inputs), context.path, context.trainable, at))
        context.scope.names[local] = index
        self.global_names[name] = index
        return index

    def _layer(self, kind: str, key_at: Position, body: Located, x: int, context: _Context) -> int:
        names = spec_class(kind).option_names()
        options, include, inputs, name, trainable, label = self._common(body, context, x, names, "layer", kind)
        if not include:
            return x
        values = {k: self._value(v, context.params, label) for k, v in options.items()}
        local = name or context.scope.auto(kind)
        full = context.scope.prefix + local
        try:
            spec = make_layer(kind, values)
        except ConvCalcError as error:
            # Messages begin with the option they are about; point at its value.
            first = error.message.split(" ", 1)[0]
            at = options[first].at if first in options else key_at
            hint = ""
            if first in options and isinstance(values[first], float) and "/" in str(options[first].value).replace("//", ""):
                hint = "; '/' divides into a decimal, '//' gives a whole number"
            raise _fail(at, f"{label}: {error.message}{hint}") from None
        if spec.arity[0] > 1 and "from" not in (body.value or {}):
            raise _fail(key_at, f"{label} joins several inputs; say which with from: [a, b]")
        inner = _Context(context.scope, context.params, context.path, trainable)
        return self._add(full, spec, inputs, inner, key_at, local)

    def _block(self, block: _Block, key_at: Position, body: Located, x: int, context: _Context) -> int:
        self.used_blocks.add(block.name)
        if block.name in context.blocks_open:
            cycle = " → ".join((*context.blocks_open[context.blocks_open.index(block.name):], block.name))
            raise _fail(key_at, f"block {block.name!r} uses itself ({cycle}); blocks cannot recurse")
        allowed = (*block.params, "repeat", "first")
        options, include, inputs, name, trainable, label = self._common(body, context, x, allowed, "block", block.name)
        if not include:
            return x
        if len(inputs) != 1:
            raise _fail(key_at, f"{label} takes one input; 'from' names {len(inputs)}")
        repeat = 1
        if "repeat" in options:
            repeat = self._value(options["repeat"], context.params, label)
            if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 1:
                raise _fail(options["repeat"].at, f"{label}: repeat must be a positive whole number, got {repeat!r}")
            if repeat > MAX_LAYERS:
                raise _fail(options["repeat"].at, f"{label}: repeat {repeat:,} is more than the {MAX_LAYERS:,} layers a file may have")
        first: dict[str, Any] = {}
        if "first" in options:
            given = _expect_mapping(options["first"], f"{label}: first")
            for key, at in (options["first"].key_at or {}).items():
                if key not in block.params:
                    raise _fail(at, f"{label}: {unknown_option_message(block.name, key, tuple(block.params))}")
            first = {k: self._value(v, context.params, label) for k, v in given.items()}
        overrides = {k: self._value(v, context.params, label) for k, v in options.items() if k not in ("repeat", "first")}
        defaults = {k: self._value(v, context.params, label) for k, v in block.params.items()}
        local = name or context.scope.auto(block.name)
        full = context.scope.prefix + local
        context.scope.names[local] = -2  # reserved while the block is built
        x = inputs[0]
        for i in range(repeat):
            instance = full if "repeat" not in options else f"{full}.{i}"
            params = {**defaults, **overrides, **(first if i == 0 else {})}
            path = context.path + ((full,) if "repeat" in options else ()) + (instance,)
            self.groups[instance] = block.name
            inner = _Context(_Scope(instance + ".", context.scope), params, path, trainable, (*context.blocks_open, block.name))
            x = self.sequence(block.layers, x, inner)
        if "repeat" in options:
            self.groups[full] = f"{block.name} ×{repeat}"
        context.scope.names[local] = x
        self.global_names[full] = x
        return x

    def _container(self, kind: str, key_at: Position, body: Located, x: int, context: _Context) -> int:
        options, include, inputs, name, trainable, label = self._common(body, context, x, CONTAINERS[kind], "container", kind)
        if not include:
            return x
        if len(inputs) != 1:
            raise _fail(key_at, f"{label} takes one input; 'from' names {len(inputs)}")
        x = inputs[0]
        local = name or context.scope.auto(kind)
        full = context.scope.prefix + local
        context.scope.names[local] = -2
        # A named container scopes the names inside it (``stage.conv1``); an
        # unnamed one groups its layers but leaves their names to the parent.
        scope = _Scope(full + ".", context.scope) if name else context.scope
        inner = _Context(scope, context.params, (*context.path, full), trainable, context.blocks_open)
        self.groups[full] = kind
        if kind == "sequential":
            if "layers" not in options:
                raise _fail(key_at, f"{label} needs 'layers'")
            out = self.sequence(options["layers"], x, inner, f"{label}: layers")
        else:
            merge = self._merge(options, kind, context, label)
            if kind == "residual":
                if "body" not in options:
                    raise _fail(key_at, f"{label} needs 'body': the layers whose output is added to the shortcut")
                outs = [self.sequence(options["body"], x, inner, f"{label}: body")]
                outs.append(self.sequence(options["shortcut"], x, inner, f"{label}: shortcut") if "shortcut" in options else x)
            else:
                if "paths" not in options:
                    raise _fail(key_at, f"{label} needs 'paths': a list of layer lists, run side by side")
                paths = _expect_list(options["paths"], f"{label}: paths")
                if len(paths) < 2:
                    raise _fail(options["paths"].at, f"{label} needs at least 2 paths, got {len(paths)}")
                outs = [self.sequence(p, x, inner, f"{label}: each path") for p in paths]
            merge_local = inner.scope.auto(merge)
            out = self._add(inner.scope.prefix + merge_local, make_layer(merge), outs, inner, key_at, merge_local)
        context.scope.names[local] = out
        self.global_names[full] = out
        return out

    def _merge(self, options: dict[str, Located], kind: str, context: _Context, label: str) -> str:
        default = "add" if kind == "residual" else "concat"
        if "merge" not in options:
            return default
        merge = self._value(options["merge"], context.params, label)
        if merge not in MERGES:
            raise _fail(options["merge"].at, f"{label}: merge must be one of {', '.join(MERGES)}, got {merge!r}")
        return merge


def _visible(scope: _Scope) -> list[str]:
    names: list[str] = []
    s: _Scope | None = scope
    while s is not None:
        names.extend(s.names)
        s = s.parent
    return names
