"""A whole network as a graph of layer specs, and its analysis.

A :class:`Model` is a list of :class:`Node` in execution order; each node
names the nodes it reads (``-1`` is the model input). :func:`analyse` walks
the list once, inferring every output shape from its inputs, and returns a
:class:`Summary` of per-layer rows whose totals are sums of those rows.
Cost is linear in the number of layers.

Memory (``dtype`` bytes per number):

* parameter memory = total parameters × bytes;
* activation memory = the sum of every layer's output, × bytes (what a
  training step keeps for the backward pass, roughly);
* peak activation memory = the largest set of tensors alive at once during
  inference, executing layers in order, freeing a tensor after its last
  reader, and never computing in place.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import repeat
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from .dtypes import DType
from .errors import ConvCalcError, ShapeError
from .layers import LayerResult, LayerSpec, apply
from .shapes import Layout, Shape

if TYPE_CHECKING:
    from .yamlnodes import Position

__all__ = [
    "DType",
    "Expectation",
    "Model",
    "Node",
    "Part",
    "Row",
    "Summary",
    "Totals",
    "analyse",
    "infer_row",
    "peak_live",
    "summarise",
]

INPUT = -1
"""Index that stands for the model input in :attr:`Node.inputs`."""


class Node(NamedTuple):
    """One layer in the graph."""

    name: str
    """Unique, dotted by enclosing blocks: ``layer1.0.conv2d_1``."""
    spec: LayerSpec
    inputs: tuple[int, ...]
    """Indices of the nodes read, in order; ``-1`` is the model input."""
    path: tuple[str, ...] = ()
    """Enclosing groups, outermost first: ``('layer1', 'layer1.0')``."""
    trainable: bool = True
    """False inside a frozen (``trainable: false``) layer or block."""
    at: Position | None = None
    """Where the layer is written, for messages."""


class Model(NamedTuple):
    """A network: its input, its nodes and which node is the output."""

    name: str
    input: Shape
    nodes: tuple[Node, ...]
    output: int
    layout: Layout = Layout.HWC
    description: str = ""
    groups: Mapping[str, str] = MappingProxyType({})
    """Group name → what it is (``'bottleneck'``, ``'residual'``)."""
    expectations: tuple[Expectation, ...] = ()
    """Figures the file asserts in ``expect:``."""
    unused_blocks: tuple[tuple[str, Position], ...] = ()
    """Blocks defined but never used, with where they are defined."""


class Expectation(NamedTuple):
    """One figure asserted in a file's ``expect:`` section."""

    layer: str | None
    """The layer's full name, or None for the whole model."""
    figure: str
    """``output``, ``params``, ``trainable_params``, … (model) or
    ``output``, ``params``, ``trainable``, ``non_trainable``, ``macs`` (layer)."""
    expected: Any
    """A :class:`Shape` for ``output``, else a whole number."""
    at: Position


class Row(NamedTuple):
    """One analysed layer."""

    node: Node
    inputs: tuple[Shape, ...]
    result: LayerResult
    """Counts as the layer defines them, with frozen layers' parameters moved
    to non-trainable."""


class Totals(NamedTuple):
    """Sums over the rows, and memory at a given dtype."""

    params: int
    trainable_params: int
    non_trainable_params: int
    macs: int
    param_bytes: int
    activation_bytes: int
    peak_activation_bytes: int
    input_bytes: int
    dtype: DType


class Part(NamedTuple):
    """The figures of one layer, or of a group (block instance, container)."""

    output: Shape
    """The layer's output; a group's is the output of its last layer."""
    params: int
    trainable: int
    non_trainable: int
    macs: int
    """For a group, sums over the layers inside it."""


class Summary(NamedTuple):
    model: Model
    rows: tuple[Row, ...]
    totals: Totals

    @property
    def output(self) -> Shape:
        return self.rows[self.model.output].result.output if self.rows else self.model.input

    def with_dtype(self, dtype: DType) -> Summary:
        """The same analysis with memory figures at ``dtype``: totals only, no inference."""
        if dtype == self.totals.dtype:
            return self
        return self._replace(totals=_totals(self.model, self.rows, dtype))

    def part(self, name: str) -> Part:
        """Figures of the layer or group called ``name`` (a full name); KeyError if none.

        A group's counts are the sums over the layers inside it
        (:attr:`Node.path`), and its output is that of its last layer, which
        is what the group's name stands for in ``from:``.

        >>> from convcalc.loader import parse
        >>> s = parse("{input: [8, 8, 3], layers: [sequential: {name: head, layers: "
        ...           "[conv2d: {filters: 4, kernel: 1}, relu]}]}")
        >>> s.part("head")                        # (3 + 1)·4 = 16; 8·8·4 outputs × 3
        Part(output=Shape(dims=(8, 8, 4)), params=16, trainable=16, non_trainable=0, macs=768)
        """
        inside = [r.result for r in self.rows if r.node.name == name or name in r.node.path]
        if not inside:
            raise KeyError(name)
        trainable = sum(r.trainable for r in inside)
        non_trainable = sum(r.non_trainable for r in inside)
        macs = sum(r.macs for r in inside)
        return Part(inside[-1].output, trainable + non_trainable, trainable, non_trainable, macs)


def _frozen(result: LayerResult) -> LayerResult:
    return result._replace(trainable=0, non_trainable=result.params)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large structures.

    Loading and analysis allocate many small objects and free none, so the
    collector only rescans a growing heap: with it running, a 100,000-layer
    file took 6.8 s to parse instead of 3.1 s. Reference counting still frees
    everything that is not cyclic.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def analyse(model: Model, dtype: DType = DType.FLOAT32) -> Summary:
    """Infer every layer's output and counts; errors name the layer and place."""
    with paused_gc():
        return _analyse(model, dtype)


def _analyse(model: Model, dtype: DType) -> Summary:
    rows: list[Row] = []
    memo: dict[Any, LayerResult] = {}
    for node in model.nodes:
        rows.append(infer_row(node, tuple(model.input if i == INPUT else rows[i].result.output for i in node.inputs), memo))
    return summarise(model, rows, dtype)


def infer_row(node: Node, inputs: tuple[Shape, ...], memo: dict[Any, LayerResult] | None = None) -> Row:
    """One node applied to its input shapes; an error names the node and its place.

    The loader calls this as it adds each node, so a file is analysed once,
    while it is read; :func:`analyse` calls it for a model built by hand.
    ``memo`` remembers results by (spec, input shapes): specs and shapes are
    frozen values and a rule is a pure function of them, and deep networks
    repeat the same layer on the same shape thousands of times. It is this
    function's own dict: it also keys results by the objects' identities,
    because hashing a spec hashes every option, while a chain hands the same
    spec and shape objects on (the entry holds them, so their ids stay theirs).
    """
    spec = node.spec
    if memo is None:
        result = _apply(node, inputs)
    else:
        ids = (id(spec), *map(id, inputs))
        known = memo.get(ids)
        if known is not None:
            result = known[2]
        else:
            key = (spec, inputs)
            result = memo.get(key)
            if result is None:
                result = memo[key] = _apply(node, inputs)
            memo[ids] = (spec, inputs, result)
    return _new(Row, (node, inputs, result if node.trainable else _frozen(result)))


_new = tuple.__new__
"""Builds a :class:`Row` without its Python-level ``__new__`` (one per layer)."""


def _apply(node: Node, inputs: tuple[Shape, ...]) -> LayerResult:
    """:func:`apply`, with an error naming the node and its place."""
    try:
        return apply(node.spec, *inputs)
    except ConvCalcError as error:
        located = error.located(at=node.at, layer=node.name, kind=node.spec.kind)
        if node.spec.arity[0] > 1 and isinstance(error, ShapeError):
            located.rule = "merge-mismatch"
        raise located from None


def summarise(model: Model, rows: Sequence[Row], dtype: DType = DType.FLOAT32) -> Summary:
    """The summary of ``model`` from its analysed rows: totals are sums over them."""
    return Summary(model, tuple(rows), _totals(model, rows, dtype))


def _totals(model: Model, rows: Sequence[Row], dtype: DType) -> Totals:
    trainable = sum(r.result.trainable for r in rows)
    non_trainable = sum(r.result.non_trainable for r in rows)
    sizes = [r.result.output.size for r in rows]
    return Totals(
        params=trainable + non_trainable,
        trainable_params=trainable,
        non_trainable_params=non_trainable,
        macs=sum(r.result.macs for r in rows),
        param_bytes=(trainable + non_trainable) * dtype.bytes,
        activation_bytes=sum(sizes) * dtype.bytes,
        peak_activation_bytes=peak_live(model, sizes) * dtype.bytes,
        input_bytes=model.input.size * dtype.bytes,
        dtype=dtype,
    )


def peak_live(model: Model, sizes: Sequence[int], scratch: Sequence[int] | None = None) -> int:
    """Largest number of elements alive at once when running in order.

    A tensor lives from the step that makes it to its last reader (the model
    output lives to the end). While a layer runs, its inputs and its output
    are all alive, plus ``scratch[step]`` temporary elements if given (the
    forward pass's padded copies and im2col buffers).

    >>> from convcalc.loader import parse_model
    >>> chain = parse_model("{input: [4, 4, 1], layers: [relu, relu]}")
    >>> peak_live(chain, [16, 16])     # input 16 + first output 16, then 16 + 16
    32
    """
    last_use = {INPUT: -1}
    for step, node in enumerate(model.nodes):
        for i in node.inputs:
            last_use[i] = step
    steps = len(model.nodes)
    last_use[model.output] = steps
    # What each step frees once it has run: the tensors it reads last, and its
    # own output if nobody reads it (dropped at once).
    freed = [0] * steps
    for tensor, step in last_use.items():
        if 0 <= step < steps:
            freed[step] += model.input.size if tensor == INPUT else sizes[tensor]
    for step in range(steps):
        if step not in last_use:
            freed[step] += sizes[step]
    live = model.input.size
    peak = live
    for size, extra, free in zip(sizes, scratch or repeat(0), freed):
        peak = max(peak, live + size + extra)
        live += size - free
    return peak
