"""Architecture files (YAML) read into an analysed :class:`~convcalc.model.Model`.

The format is documented in ``docs/format.md`` and described by the JSON
Schema ``convcalc/schema.json``. Loading validates the whole file: every
layer is built and its output inferred as it is added, so a bad file fails
here, with ``file:line:col`` and the layer's name, never halfway through
later work. Because shapes are known while the file is read, a block can
use the shape flowing into it (``$in_channels``), and the analysis is done
once: :func:`load` and :func:`parse` return the
:class:`~convcalc.model.Summary`; :func:`load_model` and :func:`parse_model`
return only its model.

Errors are :class:`LoadError`, whose place travels as data: ``at`` (the
``Position`` of the offending key or value), ``layer``, ``kind`` and
``noun`` (``layer``, ``block`` or ``container``), ``option`` and ``rule``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from .errors import ConvCalcError
from .expr import Absent, evaluate, is_expression
from .layers import ALIASES, KINDS, apply, canonical_kind, make_layer, spec_class
from .layers.base import unknown_option_message
from .model import INPUT, Expectation, Model, Node, Row, Summary, infer_row, paused_gc, summarise
from .shapes import Layout, Shape
from .yamlnodes import Located, Position, parse_yaml

__all__ = ["LoadError", "layers_read", "load", "load_model", "parse", "parse_model"]

EXPECT_KEYS = ("output", "params", "trainable_params", "non_trainable_params", "macs", "layers")
EXPECT_LAYER_KEYS = ("output", "params", "trainable", "non_trainable", "macs")
TOP_KEYS = ("name", "description", "input", "layout", "params", "blocks", "layers", "output", "expect")
BLOCK_KEYS = ("description", "params", "layers")
COMMON = ("name", "from", "trainable", "if")
"""Keys every layer entry may carry besides its own options."""
_COMMON = frozenset(COMMON)
_PLAIN = frozenset({int, float, bool, type(None)})
"""Types of option values that are never an expression: read as they are."""
_new = tuple.__new__
"""Builds a record (a NamedTuple) without its Python-level ``__new__``, for
the few made once per layer: a 100,000-layer file makes half a million."""
CONTAINERS = {
    "residual": ("body", "shortcut", "merge"),
    "branches": ("paths", "merge"),
    "sequential": ("layers",),
}
MERGES = ("add", "multiply", "concat")
SPLITS = ("split",)
"""Kinds the loader expands into one ``slice`` node per part."""
INPUT_PARAMS = ("in_channels", "in_l", "in_d", "in_h", "in_w")
"""Names a block's expressions may use for the shape flowing into it."""
_SPATIAL_PARAMS = {1: ("in_l",), 2: ("in_h", "in_w"), 3: ("in_d", "in_h", "in_w")}
"""The spatial ones by the map's spatial rank: L; H, W; D, H, W."""
MAX_NESTING = 64
"""Deepest nesting of blocks and containers inside one another; real networks use 4."""
MAX_LAYERS = 100_000
"""Most layers a file may expand to (blocks and repeats included): a network
that size loads in a few seconds and prints in a few more; ten times it would
not (see docs/limits.md)."""
"""Most layers a file may expand to (blocks and repeats included)."""
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\-]*\Z")
"""A layer's name: torchvision's ``0`` and ``downsample`` as well as ``conv1``."""
_BLOCK = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")
"""A block's name, used as a kind: it starts with a letter or ``_``."""
_PARAM = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
"""A parameter's name, usable in expressions."""


class LoadError(ConvCalcError):
    """An architecture file cannot be read, or describes an impossible network."""

    rule = "schema"

    def __init__(self, reason: str, *, noun: str = "layer", **fields: Any) -> None:
        super().__init__(reason, **fields)
        self.noun = noun
        """What ``layer`` names: a ``layer``, a ``block`` (instance) or a ``container``."""

    @property
    def where(self) -> str:
        """``file:3:5: block 'u' (unit)``: as the root's, with the entry's noun."""
        parts = [] if self.at is None else [str(self.at)]
        if self.context:
            parts.append(self.context)
        if self.layer is not None:
            parts.append(f"{self.noun} {self.layer!r} ({self.kind})" if self.kind else f"{self.noun} {self.layer!r}")
        return ": ".join(parts)


def _as_load_error(error: ConvCalcError, **fields: Any) -> LoadError:
    """``error`` as a :class:`LoadError` with its rule and place, empty fields filled from ``fields``."""
    kept = {name: getattr(error, name) for name in ("at", "layer", "kind", "option", "context")}
    for name, value in fields.items():
        if kept.get(name) is None:
            kept[name] = value
    return LoadError(error.reason, rule=error.rule, **kept)


class _Subject(NamedTuple):
    """The entry a message is about: ``layer 'layer1.0.conv2' (conv2d)``."""

    noun: str
    name: str
    kind: str

    def fields(self) -> dict[str, str]:
        return {"noun": self.noun, "layer": self.name, "kind": self.kind}


def get_close_matches(word: str, possibilities: Any, n: int = 1, cutoff: float = 0.6) -> list[str]:
    """difflib's, imported only when a message needs a suggestion."""
    from difflib import get_close_matches as close_matches

    return close_matches(word, possibilities, n=n, cutoff=cutoff)


def _fail(at: Position, reason: str, rule: str = "schema", subject: _Subject | None = None, **fields: Any) -> LoadError:
    return LoadError(reason, rule=rule, at=at, **(subject.fields() if subject else {}), **fields)


def load(path: str | Path, input: Shape | None = None) -> Summary:
    """Read, validate and analyse the file at ``path`` (at ``input`` instead of its own, if given)."""
    from .files import UnreadableError, read_source  # regular files only, size-capped, never blocks

    path = Path(path)
    try:
        text = read_source(path)
    except UnreadableError as error:
        where = {"at": error.at} if error.at is not None else {"context": str(path)}
        raise LoadError(error.reason, rule="unreadable", **where) from None
    return parse(text, str(path), default_name=path.stem, input=input)


def parse(text: str, file: str = "<text>", default_name: str = "model", input: Shape | None = None) -> Summary:
    """Build and analyse a model from YAML text; ``file`` names it in messages.

    ``input`` replaces the file's input shape (checked, then ignored): every
    layer, and every ``$in_h``/``$in_w``/``$in_channels``, sees the new one.

    >>> s = parse("{input: [32, 32, 3], layers: [conv2d: {filters: 8, kernel: 3}]}")
    >>> s.output.format(), s.totals.params          # 30 = 32 − 3 + 1; (3·3·3 + 1)·8
    ('30×30×8', 224)
    """
    try:
        with paused_gc():
            root = parse_yaml(text, file)
            return _Builder(file).summary(root, default_name, input)
    except LoadError:
        raise
    except ConvCalcError as error:
        raise _as_load_error(error) from None
    except RecursionError:  # blocks inside blocks inside blocks …, hundreds deep
        raise LoadError("blocks and containers are nested too deeply", at=Position(file, 1, 1)) from None


def load_model(path: str | Path) -> Model:
    """The model of the file at ``path``, validated (:func:`load` keeps the analysis)."""
    return load(path).model


def parse_model(text: str, file: str = "<text>", default_name: str = "model") -> Model:
    """The model of YAML text, validated (:func:`parse` keeps the analysis)."""
    return parse(text, file, default_name).model


def layers_read(root: Located, file: str) -> tuple[Any, Any, int]:
    """A builder that has read ``root``, a file :func:`parse` accepted, up to the end of
    its layers (not ``output`` or ``expect``): ``(builder, context, last)``, where
    ``builder.entry(item, last, context)`` reads one more entry as if it came next in
    the list (and returns the new last node), as the shell does for each line it adds.
    """
    top = root.value
    builder = _Builder(file)
    builder.input = builder._input(top["input"], Layout(top["layout"].value) if "layout" in top else Layout.HWC)
    builder.top_params = params = builder._params(top.get("params"), {}, "params")
    if "blocks" in top:
        builder._blocks(top["blocks"])
    context = _Context(_Scope(""), params, (), True)
    return builder, context, builder.sequence(top["layers"], INPUT, context)


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


def _expect_mapping(located: Located, what: str, subject: _Subject | None = None) -> dict[str, Located]:
    if located.value is None:
        return {}
    if not isinstance(located.value, dict):
        raise _fail(located.at, f"{what} must be a mapping of keys to values, got {_kind_of(located)}", subject=subject)
    return located.value


def _expect_list(located: Located, what: str, subject: _Subject | None = None) -> list[Located]:
    if not isinstance(located.value, list):
        raise _fail(located.at, f"{what} must be a list, got {_kind_of(located)}", subject=subject)
    return located.value


def _check_keys(mapping: Located, allowed: tuple[str, ...], what: str) -> None:
    for key, at in (mapping.key_at or {}).items():
        if key not in allowed:
            close = get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else f"; expected one of: {', '.join(allowed)}"
            raise _fail(at, f"unknown key {key!r} in {what}{hint}")


_INPUT_MEANINGS = {
    "in_channels": "channels",
    "in_l": "length L (1-D maps)",
    "in_d": "depth D (3-D maps)",
    "in_h": "height H (2-D and 3-D maps)",
    "in_w": "width W (2-D and 3-D maps)",
}
"""What each of :data:`INPUT_PARAMS` is, for messages."""


def _input_params(shape: Shape) -> dict[str, Any]:
    """What a block's expressions know of the shape flowing into it: C (or F),
    and the map's L; H, W; or D, H, W. The other names say why they are
    missing when used."""
    spatial = _SPATIAL_PARAMS.get(shape.spatial_rank, ()) if shape.rank > 1 else ()
    known: dict[str, Any] = {"in_channels": shape.channels, **dict(zip(spatial, shape.spatial))}
    for name in INPUT_PARAMS:
        if name not in known:
            known[name] = Absent(f"the input's {_INPUT_MEANINGS[name]}, but this block's input is {shape.describe()}")
    return known


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


class _Common(NamedTuple):
    """An entry's mapping split into its own options and the common keys."""

    options: dict[str, Located]
    include: bool
    inputs: list[int]
    name: str | None
    """The name written with ``name:``, if any."""
    trainable: bool
    subject: _Subject
    """What messages about the entry name: ``layer 'layer1.0.conv2d_1' (conv2d)``."""


class _Builder:
    """Reads entries in order, adding each layer as a node and inferring its output at once."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.input = Shape((1,))
        self.nodes: list[Node] = []
        self.rows: list[Row] = []
        self.groups: dict[str, str] = {}
        self.blocks: dict[str, _Block] = {}
        self.top_params: dict[str, Any] = {}
        self.global_names: dict[str, int] = {}
        self.used_blocks: set[str] = set()
        self.results: dict[Any, Any] = {}
        """Layer results by (spec, input shapes), shared by every node alike."""
        self.specs: dict[Any, Any] = {}
        """Specs by (kind, options): a deep file repeats the same entry."""
        self.kinds: dict[str, str] = {}
        """Canonical kinds by the name written (``Conv2D`` → ``conv2d``)."""
        self.options: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {}
        """A kind's option names, and those with the common keys as a set."""

    def shape(self, index: int) -> Shape:
        """The output of node ``index`` (inferred when it was added), or the input."""
        return self.input if index == INPUT else self.rows[index].result.output

    # ------------------------------------------------------------ top level

    def summary(self, root: Located, default_name: str, input: Shape | None = None) -> Summary:
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
        self.input = self._input(top["input"], layout)
        if input is not None:
            self.input = input
        self.top_params = params = self._params(top.get("params"), {}, "params")
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
            output = self._reference(ref.value, ref.at, scope, context="output")
            if output == INPUT:
                raise _fail(ref.at, "output must name a layer, not the input")
        if output == INPUT:
            raise _fail(top["layers"].at, "every layer was skipped by 'if'; the model has no layers")
        expectations = self._expectations(top["expect"], layout) if "expect" in top else ()
        unused = tuple((b.name, b.at) for b in self.blocks.values() if b.name not in self.used_blocks)
        model = Model(
            name, self.input, tuple(self.nodes), output, layout, description, dict(self.groups), expectations, unused
        )
        return summarise(model, self.rows)

    def _expectations(self, located: Located, layout: Layout) -> tuple[Expectation, ...]:
        """``expect:`` — figures the file asserts, checked by ``convcalc check``."""
        top = _expect_mapping(located, "expect")
        _check_keys(located, EXPECT_KEYS, "expect")
        found = [self._figure(None, key, value, layout) for key, value in top.items() if key != "layers"]
        if "layers" in top:
            layers = top["layers"]
            entries = _expect_mapping(layers, "expect: layers")
            filled = {p for node in self.nodes for p in node.path} if entries else set()
            for name, figures in entries.items():
                at = layers.key_at[name]  # type: ignore[index]
                if name not in self.global_names and name not in self.groups:
                    known = [*self.global_names, *self.groups]
                    close = get_close_matches(name, known, n=1, cutoff=0.6)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    raise _fail(at, f"no layer, block or container is named {name!r}{hint}", "dangling-reference", context="expect")
                if name in self.groups and name not in filled:
                    raise _fail(at, f"{name!r} has no layers (every entry in it was skipped by 'if'); there is nothing to compare", context="expect")
                _expect_mapping(figures, f"expect: layer {name!r}")
                if not figures.value:
                    raise _fail(figures.at, f"layer {name!r} lists no figures; give one or more of {', '.join(EXPECT_LAYER_KEYS)}", context="expect")
                _check_keys(figures, EXPECT_LAYER_KEYS, f"expect: layer {name!r}")
                found.extend(self._figure(name, key, value, layout) for key, value in figures.value.items())
        return tuple(found)

    def _figure(self, layer: str | None, key: str, located: Located, layout: Layout) -> Expectation:
        where = f"expect: {key}" if layer is None else f"expect: layer {layer!r}: {key}"
        value = located.value
        if key == "output":
            sizes = value if isinstance(value, list) else None
            if not sizes or len(sizes) > 4 or not all(_whole(v.value) for v in sizes):
                raise _fail(located.at, f"{where} must be a shape like [112, 112, 64] or [1000], got {_kind_of(located)}")
            dims = [v.value for v in sizes]
            if len(dims) >= 2 and layout is Layout.CHW:
                dims = [*dims[1:], dims[0]]
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
        if isinstance(value, list) and 1 <= len(value) <= 4:
            dims = [v.value for v in value]
            for v in value:
                if not isinstance(v.value, int) or isinstance(v.value, bool) or v.value < 1:
                    raise _fail(v.at, f"input sizes must be positive whole numbers, got {_kind_of(v)}")
            if len(dims) >= 2 and layout is Layout.CHW:  # channels first, any spatial rank
                dims = [*dims[1:], dims[0]]
            return Shape(tuple(dims))
        if layout is Layout.CHW:
            order = "[C, H, W] like [3, 224, 224] ([C, L], [C, D, H, W])"
        else:
            order = "[H, W, C] like [224, 224, 3] ([L, C], [D, H, W, C])"
        got = f"{len(value)} sizes, {located.plain()}" if isinstance(value, list) else _kind_of(located)
        raise _fail(located.at, f"input must be {order} or [features], got {got}")

    def _param_name(self, key: str, at: Position) -> None:
        if not _PARAM.match(key):
            raise _fail(at, f"parameter name {key!r} must be a word (letters, digits, _)")
        if key in INPUT_PARAMS:
            raise _fail(at, f"parameter name {key!r} is reserved: inside a block it is the input's {_INPUT_MEANINGS[key]}; choose another name")

    def _params(self, located: Located | None, outer: Mapping[str, Any], what: str) -> dict[str, Any]:
        params = dict(outer)
        if located is None:
            return params
        for key, value in _expect_mapping(located, what).items():
            self._param_name(key, located.key_at[key])  # type: ignore[index]
            params[key] = self._value(value, outer)
        return params

    def _blocks(self, located: Located) -> None:
        for name, body in _expect_mapping(located, "blocks").items():
            at = located.key_at[name]  # type: ignore[index]
            if name in KINDS or name in ALIASES or name in CONTAINERS or name in SPLITS:
                raise _fail(at, f"block name {name!r} is already a layer kind; choose another")
            if not _BLOCK.match(name):
                raise _fail(at, f"block name {name!r} must be a word (letters, digits, _, -)")
            spec = _expect_mapping(body, f"block {name!r}")
            _check_keys(body, BLOCK_KEYS, f"block {name!r}")
            if "layers" not in spec:
                raise _fail(body.at, f"block {name!r} has no 'layers'")
            _expect_list(spec["layers"], f"layers of block {name!r}")
            params = _expect_mapping(spec["params"], f"params of block {name!r}") if "params" in spec else {}
            for key in params:
                self._param_name(key, spec["params"].key_at[key])  # type: ignore[index]
            self.blocks[name] = _Block(name, params, spec["layers"], at)

    # ------------------------------------------------------------ values

    def _value(self, located: Located, params: Mapping[str, Any], subject: _Subject | None = None) -> Any:
        """Plain value with ``$expressions`` evaluated against ``params``.

        ``subject`` is the entry the value belongs to, for messages.
        """
        v = located.value
        if isinstance(v, list):
            return [self._value(item, params, subject) for item in v]
        if isinstance(v, dict):
            return {k: self._value(item, params, subject) for k, item in v.items()}
        if is_expression(v):
            try:
                return evaluate(v, params)
            except ConvCalcError as error:
                raise _as_load_error(error, at=located.at, **(subject.fields() if subject else {})) from None
        return v

    # ------------------------------------------------------------ layers

    def sequence(self, located: Located, x: int, context: _Context, what: str = "layers", subject: _Subject | None = None) -> int:
        for item in _expect_list(located, what, subject):
            x = self.entry(item, x, context)
        return x

    def entry(self, item: Located, x: int, context: _Context) -> int:
        if len(context.path) > MAX_NESTING:
            raise _fail(item.at, f"blocks and containers are nested more than {MAX_NESTING} deep here; real networks need a handful of levels")
        if isinstance(item.value, str):
            key, key_at, body = item.value, item.at, _new(Located, (None, item.at, None))
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
        kind = self.kinds.get(key)
        if kind is None:
            try:
                kind = self.kinds[key] = canonical_kind(key)
            except ConvCalcError:
                choices = [*KINDS, *ALIASES, *CONTAINERS, *self.blocks]
                close = get_close_matches(key, choices, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else "; see 'convcalc layer --help' for the kinds"
                raise _fail(key_at, f"unknown layer kind {key!r}{hint}", "unknown-kind") from None
        if kind in SPLITS:
            return self._split(kind, key_at, body, x, context)
        return self._layer(kind, key_at, body, x, context)

    def _common(
        self, body: Located, context: _Context, x: int, allowed: tuple[str, ...], noun: str, base: str, known: frozenset[str] | None = None
    ) -> _Common:
        """Split an entry's mapping into its own options and the common keys.

        An entry skipped by ``if`` is still checked for unknown keys, but
        its name and ``from`` are not: what it refers to may have been
        skipped too, and a kept twin may carry the same name. ``known`` is
        ``allowed`` and :data:`COMMON` as a set, if the caller keeps one.
        """
        scope = context.scope
        if body.value is not None and not isinstance(body.value, dict):
            subject = _Subject(noun, scope.prefix + scope.auto(base, claim=False), base)
            raise _fail(body.at, f"the options must be a mapping of keys to values, got {_kind_of(body)}", subject=subject)
        mapping: dict[str, Located] = body.value or {}
        named = mapping.get("name")
        name = None if named is None else named.value
        # Most names are plain words, taken as they are; an expression, or a
        # name to refuse, is read as before, with the automatic name in messages.
        if name is not None and (name.__class__ is not str or name[:1] == "$" or not _NAME.match(name) or name == "input"):
            subject = _Subject(noun, scope.prefix + scope.auto(base, claim=False), base)
            name = self._value(named, context.params, subject)  # type: ignore[arg-type]
            if not isinstance(name, str) or not _NAME.match(name) or name == "input":
                hint = f"; quote a number to use it as a name: '{name}'" if _whole(name, 0) else ""
                raise _fail(named.at, f"a name must be a word of letters, digits, _ and - (not 'input'), got {name!r}{hint}", subject=subject)  # type: ignore[union-attr]
        subject = _new(_Subject, (noun, scope.prefix + (scope.auto(base, claim=False) if name is None else name), base))
        key_at = body.key_at
        if key_at and not (known or frozenset((*allowed, *COMMON))).issuperset(key_at):
            for key, at in key_at.items():
                if key not in allowed and key not in COMMON:
                    raise _fail(at, unknown_option_message(base, key, (*allowed, *COMMON)), subject=subject, option=key)
        if "if" in mapping:
            include = self._value(mapping["if"], context.params, subject)
            if not isinstance(include, bool):
                raise _fail(mapping["if"].at, f"'if' must be true or false, got {include!r}", subject=subject, option="if")
            if not include:
                return _Common({}, False, [], name, False, subject)
        trainable = context.trainable
        if "trainable" in mapping:
            own = self._value(mapping["trainable"], context.params, subject)
            if not isinstance(own, bool):
                raise _fail(mapping["trainable"].at, f"'trainable' must be true or false, got {own!r}", subject=subject, option="trainable")
            trainable = trainable and own
        if name is not None and name in scope.names:
            raise _fail(mapping["name"].at, f"name {name!r} is already used in this scope; names must be unique", subject=subject, option="name")
        inputs = [x]
        if "from" in mapping:
            ref = mapping["from"]
            refs = ref.value if isinstance(ref.value, list) else [ref]
            inputs = []
            for r in refs:
                if not isinstance(r.value, str):
                    hint = f"; quote a name that is a number: '{r.value}'" if _whole(r.value, 0) else ""
                    raise _fail(r.at, f"'from' names earlier layers, got {_kind_of(r)}{hint}", subject=subject, option="from")
                inputs.append(self._reference(r.value, r.at, scope, subject, option="from"))
            if not inputs:
                raise _fail(ref.at, "'from' is empty; name at least one earlier layer", subject=subject, option="from")
        options = dict(mapping)
        for key in _COMMON.intersection(mapping):
            del options[key]
        return _new(_Common, (options, True, inputs, name, trainable, subject))

    def _reference(self, name: str, at: Position, scope: _Scope, subject: _Subject | None = None, **fields: Any) -> int:
        if name == "input":
            return INPUT
        found = scope.resolve(name)
        if found == -2:
            raise _fail(at, f"{name!r} is the block or container this layer is inside; refer to a layer before it", "dangling-reference", subject, **fields)
        if found is None:
            found = self.global_names.get(name)
        if found is None:
            known = [*self.global_names, *_visible(scope)]
            close = get_close_matches(name, known, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else "; name the layer with 'name:' before referring to it"
            raise _fail(at, f"no earlier layer is named {name!r}{hint}", "dangling-reference", subject, **fields)
        return found

    def _add(self, name: str, spec: Any, inputs: list[int], context: _Context, at: Position, local: str) -> int:
        """Add a node and infer its output now, so errors come in file order."""
        index = len(self.nodes)
        if index >= MAX_LAYERS:
            raise _fail(at, f"the network grows past {MAX_LAYERS:,} layers here (a large 'repeat', or YAML aliases?); convcalc stops there")
        node = _new(Node, (name, spec, tuple(inputs), context.path, context.trainable, at))
        rows = self.rows
        shapes = tuple([self.input if i == INPUT else rows[i].result.output for i in inputs])
        rows.append(infer_row(node, shapes, self.results))
        self.nodes.append(node)
        context.scope.names[local] = index
        self.global_names[name] = index
        return index

    def _make(self, kind: str, values: dict[str, Any], options: dict[str, Located], key_at: Position, subject: _Subject) -> Any:
        """The spec of ``kind``; a bad option is reported at its value."""
        # Types are part of the key: 1, 1.0 and True are equal but not the same option value.
        key: Any = (kind, tuple(values.items()), tuple(map(type, values.values())))
        try:
            found = self.specs.get(key)
        except TypeError:  # a list or mapping among the values: built each time
            found = key = None
        if found is not None:
            return found
        try:
            spec = make_layer(kind, values)
            if key is not None:
                self.specs[key] = spec
            return spec
        except ConvCalcError as error:
            option = error.option
            given = options.get(option) if option else None
            reason = error.reason
            if given is not None and isinstance(values[option], float) and "/" in str(given.value).replace("//", ""):
                reason += "; '/' divides into a decimal, '//' gives a whole number"
            raise LoadError(
                reason, rule="schema", at=given.at if given else key_at, option=option, context=error.context, **subject.fields()
            ) from None

    def _option_names(self, kind: str) -> tuple[tuple[str, ...], frozenset[str]]:
        """``kind``'s option names, and a set of them with :data:`COMMON`, found once per kind."""
        found = self.options.get(kind)
        if found is None:
            names = spec_class(kind).option_names()
            found = self.options[kind] = (names, frozenset((*names, *COMMON)))
        return found

    def _layer(self, kind: str, key_at: Position, body: Located, x: int, context: _Context) -> int:
        names, known = self.options.get(kind) or self._option_names(kind)
        common = self._common(body, context, x, names, "layer", kind, known)
        if not common.include:
            return x
        params, subject = context.params, common.subject
        values = {k: v.value if v.value.__class__ in _PLAIN else self._value(v, params, subject) for k, v in common.options.items()}
        local = common.name or context.scope.auto(kind)
        spec = self._make(kind, values, common.options, key_at, subject)
        if spec.arity[0] > 1 and "from" not in (body.value or {}):
            raise _fail(key_at, f"{kind} joins several inputs; say which with from: [a, b]", subject=subject)
        # _add reads the scope, path and trainable: the context itself serves unless 'trainable' changed.
        inner = context if common.trainable == context.trainable else _Context(context.scope, context.params, context.path, common.trainable)
        return self._add(context.scope.prefix + local, spec, common.inputs, inner, key_at, local)

    def _split(self, kind: str, key_at: Position, body: Located, x: int, context: _Context) -> int:
        """``split: {parts: 2, name: s}`` → slices ``s.0`` and ``s.1``; what follows reads the last."""
        names, known = self._option_names(kind)
        common = self._common(body, context, x, names, "layer", kind, known)
        if not common.include:
            return x
        if len(common.inputs) != 1:
            raise _fail(key_at, f"a {kind} takes one input; 'from' names {len(common.inputs)}", subject=common.subject)
        values = {k: self._value(v, context.params, common.subject) for k, v in common.options.items()}
        spec = self._make(kind, values, common.options, key_at, common.subject)
        (source,) = common.inputs
        try:  # parts that do not divide the channels, sizes that do not add up to them
            apply(spec, self.shape(source))
        except ConvCalcError as error:
            given = common.options.get(error.option) if error.option else None
            raise _as_load_error(error, at=given.at if given else key_at, **common.subject.fields()) from None
        local = common.name or context.scope.auto(kind)
        full = context.scope.prefix + local
        self.groups[full] = kind
        inner = _Context(context.scope, context.params, (*context.path, full), common.trainable)
        out = source
        for i, options in enumerate(spec.slices()):
            part = f"{local}.{i}"
            out = self._add(context.scope.prefix + part, make_layer("slice", options), [source], inner, key_at, part)
        context.scope.names[local] = out
        self.global_names[full] = out
        return out

    def _block(self, block: _Block, key_at: Position, body: Located, x: int, context: _Context) -> int:
        self.used_blocks.add(block.name)
        if block.name in context.blocks_open:
            cycle = " → ".join((*context.blocks_open[context.blocks_open.index(block.name):], block.name))
            raise _fail(key_at, f"block {block.name!r} uses itself ({cycle}); blocks cannot recurse")
        allowed = (*block.params, "repeat", "first")
        common = self._common(body, context, x, allowed, "block", block.name)
        if not common.include:
            return x
        options, subject = common.options, common.subject
        if len(common.inputs) != 1:
            raise _fail(key_at, f"a block takes one input; 'from' names {len(common.inputs)}", subject=subject)
        repeat = 1
        if "repeat" in options:
            repeat = self._value(options["repeat"], context.params, subject)
            if not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 1:
                raise _fail(options["repeat"].at, f"repeat must be a positive whole number, got {repeat!r}", subject=subject, option="repeat")
            if repeat > MAX_LAYERS:
                raise _fail(options["repeat"].at, f"repeat {repeat:,} is more than the {MAX_LAYERS:,} layers a file may have", subject=subject, option="repeat")
        first: dict[str, Any] = {}
        if "first" in options:
            given = _expect_mapping(options["first"], "first", subject)
            for key, at in (options["first"].key_at or {}).items():
                if key not in block.params:
                    raise _fail(at, unknown_option_message(block.name, key, tuple(block.params)), subject=subject, option=key)
            first = {k: self._value(v, context.params, subject) for k, v in given.items()}
        overrides = {k: self._value(v, context.params, subject) for k, v in options.items() if k not in ("repeat", "first")}
        defaults = {k: self._value(v, context.params, subject) for k, v in block.params.items()}
        local = common.name or context.scope.auto(block.name)
        full = context.scope.prefix + local
        context.scope.names[local] = -2  # reserved while the block is built
        x = common.inputs[0]
        before = len(self.nodes)
        for i in range(repeat):
            if i == 1:  # the first instance shows the size of each: refuse before building the rest
                each = len(self.nodes) - before
                if len(self.nodes) + each * (repeat - 1) > MAX_LAYERS:
                    raise _fail(
                        options["repeat"].at,
                        f"repeat {repeat:,} of {each:,} layers each would grow the network past the "
                        f"{MAX_LAYERS:,} layers a file may have",
                        subject=subject,
                        option="repeat",
                    )
            instance = full if "repeat" not in options else f"{full}.{i}"
            # Top-level params, hidden by the block's own, then the input's shape.
            params = {**self.top_params, **defaults, **overrides, **(first if i == 0 else {}), **_input_params(self.shape(x))}
            path = context.path + ((full,) if "repeat" in options else ()) + (instance,)
            self.groups[instance] = block.name
            inner = _Context(_Scope(instance + ".", context.scope), params, path, common.trainable, (*context.blocks_open, block.name))
            x = self.sequence(block.layers, x, inner)
            if instance != full:
                self.global_names[instance] = x
        if "repeat" in options:
            self.groups[full] = f"{block.name} ×{repeat}"
        context.scope.names[local] = x
        self.global_names[full] = x
        return x

    def _container(self, kind: str, key_at: Position, body: Located, x: int, context: _Context) -> int:
        common = self._common(body, context, x, CONTAINERS[kind], "container", kind)
        if not common.include:
            return x
        options, subject = common.options, common.subject
        if len(common.inputs) != 1:
            raise _fail(key_at, f"a container takes one input; 'from' names {len(common.inputs)}", subject=subject)
        x = common.inputs[0]
        local = common.name or context.scope.auto(kind)
        full = context.scope.prefix + local
        context.scope.names[local] = -2
        # A named container scopes the names inside it (``stage.conv1``); an
        # unnamed one groups its layers but leaves their names to the parent.
        scope = _Scope(full + ".", context.scope) if common.name else context.scope
        inner = _Context(scope, context.params, (*context.path, full), common.trainable, context.blocks_open)
        self.groups[full] = kind
        if kind == "sequential":
            if "layers" not in options:
                raise _fail(key_at, "sequential needs 'layers'", subject=subject)
            out = self.sequence(options["layers"], x, inner, "layers", subject)
        else:
            merge = self._merge(options, kind, context, subject)
            if kind == "residual":
                if "body" not in options:
                    raise _fail(key_at, "residual needs 'body': the layers whose output is added to the shortcut", subject=subject)
                outs = [self.sequence(options["body"], x, inner, "body", subject)]
                outs.append(self.sequence(options["shortcut"], x, inner, "shortcut", subject) if "shortcut" in options else x)
            else:
                if "paths" not in options:
                    raise _fail(key_at, "branches needs 'paths': a list of layer lists, run side by side", subject=subject)
                paths = _expect_list(options["paths"], "paths", subject)
                if len(paths) < 2:
                    raise _fail(options["paths"].at, f"branches needs at least 2 paths, got {len(paths)}", subject=subject, option="paths")
                outs = [self.sequence(p, x, inner, "each path", subject) for p in paths]
            merge_local = inner.scope.auto(merge)
            out = self._add(inner.scope.prefix + merge_local, make_layer(merge), outs, inner, key_at, merge_local)
        context.scope.names[local] = out
        self.global_names[full] = out
        return out

    def _merge(self, options: dict[str, Located], kind: str, context: _Context, subject: _Subject) -> str:
        default = "add" if kind == "residual" else "concat"
        if "merge" not in options:
            return default
        merge = self._value(options["merge"], context.params, subject)
        if merge not in MERGES:
            raise _fail(options["merge"].at, f"merge must be one of {', '.join(MERGES)}, got {merge!r}", subject=subject, option="merge")
        return merge


def _visible(scope: _Scope) -> list[str]:
    names: list[str] = []
    s: _Scope | None = scope
    while s is not None:
        names.extend(s.names)
        s = s.parent
    return names
