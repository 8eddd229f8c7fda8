"""ONNX files read into a convcalc document, counting weights by their shapes alone.

:mod:`.onnxproto` reads the file's graph without the ``onnx`` package and
without touching the weights' bytes. The graph is then walked once, in
topological order. Each ONNX tensor becomes one
of four things:

- a :class:`_Tensor`: an activation, produced by a convcalc layer (or the
  input), with its ONNX shape and, for each convcalc axis (channels last), the
  ONNX axis it sits on — ``(2, 1)`` for N×C×L, ``(2, 3, 1)`` for N×C×H×W,
  ``(2, 3, 4, 1)`` for N×C×D×H×W, ``(1, 2, 3)`` after a transpose to
  N×H×W×C — so transposes cost nothing and a layer norm or a matrix product
  on the last ONNX axis finds the channels;
- a :class:`_Const`: an initializer or a constant, with its dims and, when
  small (shapes, axes, scalars), its values; weights are never decoded.
  Shape arithmetic on small constants is evaluated (:mod:`.onnxconst`), so
  pads or shapes computed by a subgraph of constants read as constants;
- an :class:`_Erf` or :class:`_Grouped` marker, the middle of a GELU or of a
  channel shuffle, resolved when the pattern completes.

Convolutions, pooling, padding and batch norm on N×C×L (1-D) and
N×C×D×H×W (3-D) tensors become convcalc's 1-D and 3-D kinds (``conv1d``,
``maxpool3d``, ``batchnorm3d``…), with the ONNX operator definitions' pads.

Shapes are inferred with convcalc's own layer rules as the document is
built; ONNX shape inference is not consulted. Element-wise arithmetic with a
scalar constant has no parameters and no MACs, so it passes its input through
without a layer. A per-channel constant multiplier is a learnable ``scale``;
a per-channel constant added after a matrix product is that ``dense``'s bias.

Parameters follow what the file holds. An eval export folds each batch norm
into the convolution before it, which then has a bias (``conv2d`` with
``bias: true``); a ``BatchNormalization`` node left in the graph is a
``batchnorm2d`` (2·C trainable, 2·C running statistics). Each stored tensor
counts once, by name: a bias, a norm's scale and shift, or a layer scale read
by a second layer is left out of that layer's count (``bias: false``,
``affine: false``, ``identity``, with a comment saying where it is counted);
a shared convolution or matrix weight cannot be, and is counted again with a
:class:`SharedWeightsWarning`.
"""

from __future__ import annotations

import math
import struct
import warnings
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import ConvCalcError
from . import onnxconst
from .document import COMMENT, SourceError

__all__ = ["SharedWeightsWarning", "UnknownOpWarning", "read_onnx"]

SMALL = 64
"""Most elements of a constant whose values are decoded (shapes, axes, scalars)."""
_INT64_MAX = 2**63 - 1
_LAYOUTS = {
    2: ((1,), ("feature",)),
    3: ((2, 1), ("L", "C")),
    4: ((2, 3, 1), ("H", "W", "C")),
    5: ((2, 3, 4, 1), ("D", "H", "W", "C")),
}
"""ONNX input rank → the ONNX axis of each convcalc axis (channels last), and the axes' names."""


class UnknownOpWarning(UserWarning):
    """Ops counted as identities under ``--unknown zero``."""


class SharedWeightsWarning(UserWarning):
    """Layers that reuse another layer's weight tensor, which convcalc counts again."""


class _Tensor(NamedTuple):
    """An activation: which convcalc layer makes it, and how its axes map."""

    ref: str
    """The convcalc layer whose output this is (``input`` for the model input)."""
    shape: tuple[int, ...]
    """ONNX shape, batch first (batch is 1)."""
    axes: tuple[int, ...]
    """For each convcalc axis (H, W, C or F), the ONNX axis it sits on."""

    @property
    def channel_axis(self) -> int:
        return self.axes[-1]

    @property
    def nchw(self) -> bool:
        return len(self.shape) == 4 and self.axes == (2, 3, 1)

    @property
    def spatial(self) -> int:
        """The spatial axes of an N×C×L, N×C×H×W or N×C×D×H×W tensor (1, 2 or 3); 0 for any other layout."""
        n = len(self.shape) - 2
        return n if 1 <= n <= 3 and self.axes == (*range(2, n + 2), 1) else 0


class _Const(NamedTuple):
    """An initializer or constant: dims always, values when small."""

    dims: tuple[int, ...] | None
    values: tuple[Any, ...] | None = None
    weight: str | None = None
    """The tensor's name when it holds stored numbers (a weight), else None."""

    @property
    def size(self) -> int | None:
        return None if self.dims is None else math.prod(self.dims)

    def scalar(self) -> Any:
        return self.values[0] if self.values is not None and len(self.values) == 1 else None


class _Erf(NamedTuple):
    """erf(x / √2) (+ 1): the middle of an exact GELU of ``x``."""

    x: _Tensor


class _Flat(NamedTuple):
    """x reshaped to one flat vector, batch included: the start of ``as_strided``."""

    x: _Tensor


class _Grouped(NamedTuple):
    """x viewed as N×g×(C/g)×H×W for a channel shuffle; ``swapped`` after the transpose."""

    x: _Tensor
    groups: int
    swapped: bool = False


def read_onnx(path: str | Path, *, input: Any = None, unknown: str = "error") -> dict[str, Any]:
    """The convcalc document for the ONNX file at ``path``.

    ``input`` overrides the spatial size, ``(H, W)`` or ``(H, W, C)``;
    ``unknown="zero"`` turns an unsupported op into an identity (with an
    :class:`UnknownOpWarning` listing every such node) instead of an error.
    """
    path = Path(path)
    graph = _load(path)
    try:
        return _Converter(path, graph, input, unknown).run()
    except SourceError:
        raise
    except ConvCalcError as error:  # a layer rule refused what the file describes
        raise SourceError(error.reason, context=str(path)) from None


# ------------------------------------------------------------------ loading


def _load(path: Path) -> Any:
    """The file's main graph, read by :mod:`.onnxproto` (weights stay on disk)."""
    from .onnxproto import ProtoError, read_model

    if not path.is_file():
        raise SourceError("no such file" if not path.exists() else "not a file", context=str(path))
    try:
        graph = read_model(path)
    except OSError as error:
        raise SourceError(f"cannot be read ({error.strerror or error})", context=str(path)) from None
    except ProtoError as error:
        raise SourceError(f"not a readable ONNX model: {error}", context=str(path)) from None
    if not graph.node:
        raise SourceError("not an ONNX model: its graph has no nodes", context=str(path))
    return graph


_FORMATS = {1: "f", 6: "i", 7: "q", 11: "d", 9: "?", 2: "B", 3: "b", 4: "H", 5: "h", 12: "I", 13: "Q"}
_FIELDS = {1: "float_data", 6: "int32_data", 7: "int64_data", 11: "double_data", 9: "int32_data",
           2: "int32_data", 3: "int32_data", 4: "int32_data", 5: "int32_data", 12: "uint64_data", 13: "uint64_data"}


def _decode(tensor: Any) -> tuple[Any, ...] | None:
    """The values of a small tensor, without NumPy; None for weights and unknown types."""
    n = math.prod(tensor.dims)
    code = _FORMATS.get(tensor.data_type)
    if n > SMALL or code is None or tensor.data_location == 1:
        return None
    if tensor.raw_data:
        if len(tensor.raw_data) != n * struct.calcsize(code):
            return None
        return struct.unpack(f"<{n}{code}", tensor.raw_data)
    values = tuple(getattr(tensor, _FIELDS[tensor.data_type]))
    return values if len(values) == n else None


def _attrs(node: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for a in node.attribute:
        t = a.type
        if t == 1:
            out[a.name] = a.f
        elif t == 2:
            out[a.name] = a.i
        elif t == 3:
            out[a.name] = a.s.decode("utf-8", "replace")
        elif t == 4:
            out[a.name] = a.t
        elif t == 6:
            out[a.name] = tuple(a.floats)
        elif t == 7:
            out[a.name] = tuple(a.ints)
        else:
            out[a.name] = a
    return out


# ---------------------------------------------------------------- the walk


def _compact(values: list[int]) -> Any:
    """[3, 3] → 3; [1, 7] stays."""
    return values[0] if len(set(values)) == 1 else list(values)


def _padding(pads: list[int]) -> Any:
    """ONNX pads ``[x1_begin, x2_begin, …, x1_end, x2_end, …]`` as convcalc's
    shortest padding value, whose sides go axis by axis (``[before, after, …]``).

    >>> _padding([3, 3, 3, 3]), _padding([0, 1, 0, 1]), _padding([0, 1, 2, 1]), _padding([38, 38])
    (3, [0, 1], [0, 2, 1, 1], 38)
    >>> _padding([1, 0, 0, 1, 0, 0]), _padding([0, 2])
    ([1, 0, 0], [0, 2])
    """
    from ..layers.options import Padding

    n = len(pads) // 2
    return Padding.of(list(zip(pads[:n], pads[n:]))).as_value()


def _label(node: Any) -> str:
    """How messages name a node: its name, else its first output."""
    return node.name or next((o for o in node.output if o), "") or "(unnamed)"


def _module_path(node_name: str) -> str:
    """The PyTorch module path in a TorchScript export's node name.

    >>> _module_path("/features/features.1/conv/conv.0/conv.0.0/Conv")
    'features.1.conv.0.0'
    >>> _module_path("/layer1/layer1.0/Add"), _module_path("/Flatten")
    ('layer1.0', '')
    """
    path, previous = "", ""
    for part in [p for p in node_name.split("/") if p][:-1]:
        if previous and part.startswith(previous + "."):
            path += part[len(previous) :]
        else:
            path = f"{path}.{part}" if path else part
        previous = part
    return path


def _plain_name(text: str) -> str:
    out = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in text)
    out = "_".join(part for part in out.split("_") if part) or "layer"
    if not (out[0].isalpha() or out[0] == "_"):
        out = f"n{out}"
    return "input_" if out == "input" else out


class _Converter:
    def __init__(self, path: Path, graph: Any, input: Any, unknown: str) -> None:
        self.path = path
        self.graph = graph
        self.input_override = tuple(input) if input is not None else None
        self.unknown = unknown
        self.values: dict[str, Any] = {}
        self.layers: list[dict[str, Any]] = []
        self.entries: dict[str, dict[str, Any]] = {}
        self.shapes: dict[str, Any] = {}
        self.used_names: set[str] = {"input"}
        self.previous = "input"
        self.consumers: dict[str, list[Any]] = {}
        self.skip: set[int] = set()
        self.zeroed: list[str] = []
        self.claimed: dict[str, str] = {}
        self.shared: list[str] = []
        self.notes: list[str] = []
        self.node: Any = None

    # ---- errors

    def fail(self, reason: str) -> SourceError:
        node = self.node
        where = f"node {_label(node)!r} ({node.op_type})" if node is not None else None
        return SourceError(f"{where}: {reason}" if where else reason, context=str(self.path))

    # ---- the whole graph

    def run(self) -> dict[str, Any]:
        g = self.graph
        for init in g.initializer:
            self.values[init.name] = _Const(tuple(init.dims), _decode(init), init.name)
        for sparse in g.sparse_initializer:
            self.values[sparse.name] = _Const(tuple(sparse.dims), None, sparse.name)
        inputs = [i for i in g.input if i.name not in self.values]
        if len(inputs) != 1:
            names = ", ".join(repr(i.name) for i in inputs) or "none"
            raise SourceError(f"the graph has {len(inputs)} inputs ({names}); convcalc models take one", context=str(self.path))
        nodes = self._ordered(inputs[0].name)
        self.positions = {id(n): i for i, n in enumerate(nodes)}
        for node in nodes:
            for name in node.input:
                if name:
                    self.consumers.setdefault(name, []).append(node)
        first = self._input(inputs[0])
        self.values[inputs[0].name] = first
        for index, node in enumerate(nodes):
            self.node = node
            if index in self.skip:
                continue
            if node.domain not in ("", "ai.onnx"):
                self._unknown(node)
                continue
            handler = getattr(self, f"op_{node.op_type}", None)
            if handler is None:
                self._unknown(node)
                continue
            try:
                handler(node, _attrs(node))
            except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError, struct.error) as error:
                # A damaged file: a missing attribute or input, a value of the wrong type.
                raise self.fail(f"is malformed ({type(error).__name__}: {error})") from None
        self.node = None
        return self._document(first)

    def _ordered(self, input_name: str) -> list[Any]:
        """Nodes in an order where every input comes first, keeping the file's
        order where it already is one; a cycle or a dangling input fails."""
        import heapq

        g = self.graph
        known = set(self.values) | {input_name, ""}
        producer: dict[str, int] = {}
        for i, node in enumerate(g.node):
            for out in node.output:
                if out:
                    producer[out] = i
        users: dict[int, list[int]] = {}
        waiting: dict[int, int] = {}
        for i, node in enumerate(g.node):
            deps = set()
            for name in node.input:
                if name in known:
                    continue
                if name not in producer:
                    self.node = node
                    raise self.fail(f"reads {name!r}, which no node, initializer or graph input provides")
                deps.add(producer[name])
            for d in deps:
                users.setdefault(d, []).append(i)
            waiting[i] = len(deps)
        heap = [i for i, n in waiting.items() if n == 0]
        heapq.heapify(heap)
        order: list[Any] = []
        while heap:
            i = heapq.heappop(heap)
            order.append(g.node[i])
            for j in users.get(i, ()):
                waiting[j] -= 1
                if waiting[j] == 0:
                    heapq.heappush(heap, j)
        if len(order) != len(g.node):
            self.node = g.node[min(i for i, n in waiting.items() if n > 0)]
            raise self.fail("is part of a cycle: its inputs depend on its own output")
        return order

    def _input(self, info: Any) -> _Tensor:
        dims = [d if isinstance(d, str) or (d or 0) > 0 else None for d in info.dims]
        if len(dims) not in _LAYOUTS:
            raise SourceError(
                f"input {info.name!r} has shape {dims}; convcalc reads N×F vectors and N×C×L, N×C×H×W "
                "or N×C×D×H×W maps",
                context=str(self.path),
            )
        nhwc = all(
            n.op_type == "Transpose" and tuple(_attrs(n).get("perm", ())) == (0, 3, 1, 2)
            for n in self.consumers.get(info.name, [None])
            if n is not None
        ) and len(dims) == 4 and bool(self.consumers.get(info.name))
        axes = (1, 2, 3) if nhwc else _LAYOUTS[len(dims)][0]
        names = _LAYOUTS[len(dims)][1]
        shape = [1, *dims[1:]]  # the batch, symbolic or not, is one sample
        spatial = len(axes) - 1
        if self.input_override is not None:
            given = self.input_override
            if not spatial or len(given) not in (spatial, spatial + 1):
                text = "x".join(map(str, given))
                layout = "×".join(["N", "C", *names[:-1]]) if spatial else "N×F"
                wanted = f"give {'×'.join(names[:-1])} or {'×'.join(names)}" if spatial else "it has no spatial size"
                raise SourceError(f"--input {text} does not fit input {info.name!r}, which is {layout}: {wanted}", context=str(self.path))
            for a, size in zip(axes, given[:spatial]):
                shape[a] = size
            channels = axes[-1]
            if len(given) > spatial and isinstance(shape[channels], int) and shape[channels] != given[-1]:
                raise SourceError(f"--input has {given[-1]} channels but the model's input has {shape[channels]}", context=str(self.path))
            if len(given) > spatial:
                shape[channels] = given[-1]
        for i, a in enumerate(axes):
            if not isinstance(shape[a], int):
                hint = f"; give --input {'x'.join(names[:-1]) if spatial > 1 else 'LxC'}" if i < spatial else ""
                raise SourceError(
                    f"input {info.name!r} has a symbolic {names[i]} size {shape[a]!r}{hint}", context=str(self.path)
                )
        return _Tensor("input", tuple(shape), axes)

    def _document(self, first: _Tensor) -> dict[str, Any]:
        outputs = [o.name for o in self.graph.output]
        value = self.values.get(outputs[0]) if outputs else None
        if not isinstance(value, _Tensor) or not self.layers or value.ref == "input":
            raise SourceError("the graph's output is not computed by any layer convcalc can follow", context=str(self.path))
        doc: dict[str, Any] = {}
        header = [f"Imported from {self.path.name} by convcalc import (ONNX)."]
        header += self.notes
        if self.zeroed:
            header.append(f"Counted as identities with 0 parameters and 0 MACs (--unknown zero): {', '.join(self.zeroed)}")
        doc[COMMENT] = header
        doc["name"] = _plain_name(self.path.stem)
        doc["description"] = f"imported from {self.path.name}"
        doc["input"] = [first.shape[a] for a in first.axes]
        doc["layers"] = self.layers
        if value.ref != self.previous:
            doc["output"] = value.ref
        if self.shared:
            header.append(f"Weights shared between layers, counted again for each layer: {'; '.join(self.shared)}")
            warnings.warn(
                f"{self.path}: weights shared between layers are counted again for each layer: {'; '.join(self.shared)}",
                SharedWeightsWarning,
                stacklevel=3,
            )
        if self.zeroed:
            warnings.warn(
                f"{self.path}: counted as identities with 0 parameters and 0 MACs: {', '.join(self.zeroed)}",
                UnknownOpWarning,
                stacklevel=3,
            )
        return doc

    def _last_name(self) -> str:
        entry = self.layers[-1]
        return entry[next(iter(entry))]["name"]

    # ---- helpers for handlers

    def tensor(self, name: str) -> _Tensor:
        value = self.values.get(name)
        if isinstance(value, _Tensor):
            return value
        if isinstance(value, _Erf):
            raise self.fail("uses Erf outside the GELU pattern x · (1 + erf(x / √2)) / 2")
        if isinstance(value, _Grouped):
            raise self.fail("uses a grouped view outside the channel-shuffle pattern")
        if isinstance(value, _Flat):
            raise self.fail("uses a tensor flattened with its batch axis, which convcalc cannot follow")
        raise self.fail(f"expects an activation for input {name!r}, got a constant")

    def const(self, name: str, what: str = "") -> _Const:
        value = self.values.get(name)
        if isinstance(value, _Const):
            return value
        raise self.fail(f"needs {what or repr(name)} to be a constant (an initializer), not computed from the input")

    def ints(self, name: str, what: str) -> list[int]:
        c = self.const(name, what)
        if c.values is None:
            raise self.fail(f"needs {what} as a small constant; {name!r} cannot be read")
        return [int(v) for v in c.values]

    def is_const(self, name: str) -> bool:
        return isinstance(self.values.get(name), _Const)

    def name_for(self, node: Any, weight: str | None = None) -> str:
        base = ""
        if weight and weight.endswith(".weight") and not weight.startswith("onnx::") and weight not in self.claimed:
            base = weight[: -len(".weight")]
        if not base:
            for prop in node.metadata_props:
                if prop.key == "pkg.torch.onnx.name_scopes":
                    scopes = [s.strip().strip("'\"") for s in prop.value.strip("[]").split(",")]
                    scopes = [s for s in scopes if s]
                    base = scopes[-2] if len(scopes) >= 2 else scopes[0] if scopes else ""
        if not base and node.name.startswith("/"):
            base = _module_path(node.name)
        if not base:
            base = node.name
        if not base:
            base = node.op_type.lower()
        name = _plain_name(base)
        if name in self.used_names:
            name = _plain_name(f"{base}_{node.op_type.lower()}")
        stem, n = name, 1
        while name in self.used_names:
            name = f"{stem}_{n}"
            n += 1
        self.used_names.add(name)
        return name

    def emit(
        self,
        node: Any,
        kind: str,
        options: dict[str, Any],
        inputs: list[_Tensor],
        *,
        weight: str | None = None,
        stored: tuple[str, ...] | None = None,
        note: str | None = None,
        rank: int | None = None,
        axes: tuple[int, ...] | None = None,
    ) -> _Tensor:
        """Add a layer reading ``inputs``; return its output as a tensor.

        ``weight`` names the layer (``layer1.0.conv1.weight`` → ``layer1_0_conv1``);
        ``stored`` lists the weight tensors the layer's count includes (default:
        ``weight``), each claimed by this layer. One already claimed by another
        layer is counted again, with a warning: the file format has no shared
        weights. The output keeps the first input's axis map unless ``axes``
        (and the ONNX ``rank``) say otherwise.
        """
        from ..layers import apply, make_layer

        name = self.name_for(node, weight)
        spec = make_layer(kind, options)
        try:
            result = apply(spec, *(self.shapes_of(t) for t in inputs))
        except ConvCalcError as error:
            where = f"node {_label(node)!r} ({node.op_type}) as layer {name!r} ({kind})"
            raise SourceError(f"{where}: {error.reason}", context=str(self.path)) from None
        entry: dict[str, Any] = {"name": name, **options}
        for tensor in (weight,) if stored is None and weight is not None else stored or ():
            if tensor in self.claimed:
                self.shared.append(f"{name!r} reuses the weights of {self.claimed[tensor]!r} ({tensor!r})")
                note = f"shares {tensor} with {self.claimed[tensor]}: counted again"
            else:
                self.claimed[tensor] = name
        refs = [t.ref for t in inputs]
        if len(refs) > 1:
            entry["from"] = refs
        elif refs[0] != self.previous:
            entry["from"] = refs[0]
        if note:
            entry[COMMENT] = note
        self.layers.append({kind: entry})
        self.entries[name] = entry
        self.shapes[name] = result.output
        self.previous = name
        out_dims = result.output.dims
        like = inputs[0]
        if axes is None and len(out_dims) == len(like.axes):
            axes, rank = like.axes, len(like.shape)
        if axes is None:  # another rank: a vector is N×F, a map channels first
            rank = len(out_dims) + 1
            axes = _LAYOUTS[rank][0] if rank in _LAYOUTS else tuple(range(1, rank))
        shape = [1] * (rank or len(out_dims) + 1)
        for size, a in zip(out_dims, axes):
            shape[a] = size
        return _Tensor(name, tuple(shape), axes)

    def shapes_of(self, t: _Tensor) -> Any:
        from ..shapes import Shape

        return Shape(tuple(t.shape[a] for a in t.axes))

    def set(self, node: Any, value: Any, index: int = 0) -> None:
        if index < len(node.output) and node.output[index]:
            self.values[node.output[index]] = value

    def _unknown(self, node: Any) -> None:
        tensors = [n for n in node.input if n and isinstance(self.values.get(n), _Tensor)]
        if not tensors:
            for out in node.output:
                if out:
                    self.values[out] = _Const(None)
            return
        label = f"{node.op_type} {_label(node)!r}"
        if self.unknown != "zero":
            raise SourceError(
                f"ONNX op {node.op_type!r} (node {_label(node)!r}) is not supported by convcalc; "
                "'convcalc import --unknown zero' counts it as an identity with 0 parameters and 0 MACs",
                context=str(self.path),
            )
        self.zeroed.append(label)
        out = self.emit(node, "identity", {}, [self.tensor(tensors[0])], note=f"ONNX {node.op_type}: unknown, counted as 0")
        for name in node.output:
            if name:
                self.values[name] = out

    # ---------------------------------------------------------- constants

    def tensor_attribute(self, a: dict[str, Any], name: str) -> Any:
        """The tensor in attribute ``name``; a damaged file may hold something else there."""
        from .onnxproto import Tensor

        t = a[name]
        if not isinstance(t, Tensor):
            raise self.fail(f"has a {name!r} attribute that is not a tensor")
        return t

    def op_Constant(self, node: Any, a: dict[str, Any]) -> None:
        if "value" in a:
            t = self.tensor_attribute(a, "value")
            self.set(node, _Const(tuple(t.dims), _decode(t), node.output[0] if math.prod(t.dims) > 1 else None))
        elif "value_float" in a or "value_int" in a:
            self.set(node, _Const((), (a.get("value_float", a.get("value_int")),)))
        elif "value_floats" in a or "value_ints" in a:
            v = a.get("value_floats", a.get("value_ints"))
            self.set(node, _Const((len(v),), tuple(v)))
        else:
            self.set(node, _Const(None))

    def op_Identity(self, node: Any, a: dict[str, Any]) -> None:
        value = self.values[node.input[0]]
        if isinstance(value, _Const) and value.weight is not None:
            value = value._replace(weight=node.output[0])  # a distinct tensor, deduplicated by value
        self.set(node, value)

    def op_Cast(self, node: Any, a: dict[str, Any]) -> None:
        value = self.values[node.input[0]]
        if isinstance(value, _Const) and value.values is not None and "to" in a:
            return self.set(node, value._replace(values=onnxconst.cast(value.values, a["to"])))
        self.op_Identity(node, a)

    op_CastLike = op_Identity

    def op_Shape(self, node: Any, a: dict[str, Any]) -> None:
        value = self.values[node.input[0]]
        shape = value.shape if isinstance(value, _Tensor) else value.dims
        if shape is None:
            raise self.fail("takes the shape of a tensor whose shape is unknown")
        start, end = a.get("start", 0), a.get("end", len(shape))
        picked = tuple(shape[start:end])
        self.set(node, _Const((len(picked),), picked))

    def op_Size(self, node: Any, a: dict[str, Any]) -> None:
        value = self.values[node.input[0]]
        shape = value.shape if isinstance(value, _Tensor) else value.dims
        self.set(node, _Const((), (math.prod(shape),)))

    def op_ConstantOfShape(self, node: Any, a: dict[str, Any]) -> None:
        dims = tuple(self.ints(node.input[0], "the shape"))
        fill = (_decode(self.tensor_attribute(a, "value")) or (0.0,))[0] if "value" in a else 0.0
        n = math.prod(dims)
        self.set(node, _Const(dims, (fill,) * n if n <= SMALL else None))

    def _const_only(self, node: Any) -> bool:
        """Evaluate a shape computation on constants; False if an input is an activation."""
        values = [self.values.get(n) for n in node.input if n]
        return all(isinstance(v, _Const) for v in values)

    def op_Gather(self, node: Any, a: dict[str, Any]) -> None:
        flat, indices = (self.values.get(n) for n in node.input[:2])
        if isinstance(flat, _Flat) and isinstance(indices, _Const) and indices.dims == flat.x.shape:
            # torch's as_strided as the dynamo exporter writes it: flatten, then
            # gather every element back into the same shape. Nothing is computed.
            return self.set(node, flat.x)
        if not self._const_only(node):
            return self._unknown(node)
        data, idx = self.const(node.input[0]), self.const(node.input[1])
        if data.values is None or idx.values is None or len(data.dims or ()) != 1:
            return self.set(node, _Const(None))
        picked = tuple(data.values[int(i)] for i in idx.values)
        self.set(node, _Const(idx.dims, picked))

    def op_Unsqueeze(self, node: Any, a: dict[str, Any]) -> None:
        axes = a.get("axes") or (self.ints(node.input[1], "the axes") if len(node.input) > 1 else [])
        value = self.values[node.input[0]]
        if isinstance(value, _Const):
            dims = list(value.dims or ())
            for ax in sorted(x % (len(dims) + len(axes)) for x in axes):
                dims.insert(ax, 1)
            return self.set(node, value._replace(dims=tuple(dims)))
        x = self.tensor(node.input[0])
        rank = len(x.shape) + len(axes)
        inserted = sorted(v % rank for v in axes)
        target = list(x.shape)
        for ax in inserted:
            target.insert(ax, 1)
        if len(x.axes) >= 2 and 0 not in inserted:
            # a map viewed with more axes of size 1 (the dynamo exporter's 1-D
            # pooling through 2-D): the same numbers, the axes renumbered
            moved = [i for i in range(rank) if i not in inserted]
            return self.set(node, _Tensor(x.ref, tuple(target), tuple(moved[a] for a in x.axes)))
        self._reshape_to(node, x, tuple(target))

    def op_Squeeze(self, node: Any, a: dict[str, Any]) -> None:
        value = self.values[node.input[0]]
        if not isinstance(value, _Const):
            value = self.tensor(node.input[0])
        shape = value.shape if isinstance(value, _Tensor) else value.dims
        axes = a.get("axes") or (self.ints(node.input[1], "the axes") if len(node.input) > 1 and node.input[1] else None)
        if axes is None:
            axes = [i for i, s in enumerate(shape) if s == 1]
        axes = {v % len(shape) for v in axes}
        target = tuple(s for i, s in enumerate(shape) if i not in axes)
        if isinstance(value, _Const):
            return self.set(node, value._replace(dims=target))
        x = value
        if len(x.axes) >= 2 and not axes & {0, *x.axes} and all(shape[i] == 1 for i in axes):
            # only size-1 axes no convcalc axis sits on: the same map, the axes renumbered
            kept = [i for i in range(len(shape)) if i not in axes]
            return self.set(node, _Tensor(x.ref, target, tuple(kept.index(a) for a in x.axes)))
        self._reshape_to(node, x, target)

    def op_Concat(self, node: Any, a: dict[str, Any]) -> None:
        if self._const_only(node):
            parts = [self.const(n) for n in node.input if n]
            if parts and all(p.values is not None and p.dims is not None for p in parts):
                try:
                    dims, values = onnxconst.concat([(p.dims, p.values) for p in parts], a.get("axis", 0))
                except ValueError:  # parts that do not fit: nothing convcalc reads
                    return self.set(node, _Const(None))
                return self.set(node, _Const(dims, values if len(values) <= SMALL else None))
            return self.set(node, _Const(None))
        xs = [self.tensor(n) for n in node.input if n]
        if len(xs) == 1:  # torch.cat([x]): nothing to join
            return self.set(node, xs[0])
        axis = a.get("axis", 1) % len(xs[0].shape)
        if any(x.axes != xs[0].axes for x in xs) or axis != xs[0].channel_axis:
            raise self.fail(f"concatenates along ONNX axis {axis}; convcalc's concat joins channels")
        self.set(node, self.emit(node, "concat", {}, xs))

    def op_Range(self, node: Any, a: dict[str, Any]) -> None:
        if not self._const_only(node):
            return self._unknown(node)
        try:
            start, limit, delta = (self.const(n).scalar() for n in node.input)
            values = tuple(range(int(start), int(limit), int(delta)))
        except (TypeError, ValueError):
            return self.set(node, _Const(None))
        self.set(node, _Const((len(values),), values))

    # ---------------------------------------------------------- arithmetic

    def _binary(self, node: Any, op: str) -> None:
        left, right = (self.values.get(n) for n in node.input[:2])
        if isinstance(left, _Const) and isinstance(right, _Const):
            return self.set(node, _fold(op, left, right))
        if op in ("Mul",) and self._gelu(node, left, right):
            return None
        if isinstance(left, _Erf) or isinstance(right, _Erf):
            erf = left if isinstance(left, _Erf) else right
            other = right if erf is left else left
            if op in ("Add", "Mul", "Div", "Sub") and isinstance(other, _Const) and other.size == 1:
                return self.set(node, erf)
            raise self.fail("uses Erf outside the GELU pattern x · (1 + erf(x / √2)) / 2")
        if isinstance(left, _Tensor) and isinstance(right, _Tensor):
            if left.axes != right.axes and len(left.shape) == len(right.shape):
                raise self.fail("combines two activations laid out differently (a transpose convcalc cannot follow)")
            kind = "add" if op in ("Add", "Sub") else "multiply"
            first, second = (left, right) if len(left.axes) >= len(right.axes) else (right, left)
            note = {"Sub": "ONNX Sub (counted as add)", "Div": "ONNX Div (counted as multiply)"}.get(op)
            return self.set(node, self.emit(node, kind, {}, [first, second], note=note))
        x, k = (left, right) if isinstance(left, _Tensor) else (right, left)
        name_of_k = node.input[1] if k is right else node.input[0]
        if not isinstance(x, _Tensor) or not isinstance(k, _Const):
            raise self.fail("combines values convcalc cannot follow")
        if k.size == 1 or (k.weight is None and k.values is not None and len(set(k.values)) == 1):
            return self.set(node, x)  # a scalar: no parameters, no MACs
        if k.dims is None:
            raise self.fail("combines an activation with a constant of unknown shape")
        channels = self._per_channel(x, k)
        if op == "Mul" and channels and name_of_k in self.claimed:
            # the same tensor as an earlier layer scale (exporters deduplicate equal
            # tensors): counted there; this layer multiplies by it without parameters
            note = f"multiplies by {name_of_k}, the weights of {self.claimed[name_of_k]}, counted there"
            return self.set(node, self.emit(node, "identity", {}, [x], note=note))
        if op == "Mul" and channels:
            return self.set(node, self.emit(node, "scale", {}, [x], weight=k.weight, stored=(name_of_k,)))
        if op == "Add" and channels and self._fold_bias(x, channels, name_of_k):
            return self.set(node, x)
        what = "per-channel" if channels else f"{'×'.join(map(str, k.dims))}"
        raise self.fail(f"{op.lower()}s a {what} constant to an activation; convcalc has no layer for that here")

    def _per_channel(self, x: _Tensor, k: _Const) -> int:
        """C when ``k`` broadcasts along x's channels only, else 0."""
        dims = (1,) * (len(x.shape) - len(k.dims or ())) + tuple(k.dims or ())
        if len(dims) != len(x.shape):
            return 0
        c = x.channel_axis
        others = all(d == 1 for i, d in enumerate(dims) if i != c)
        return x.shape[c] if others and dims[c] == x.shape[c] else 0

    def _fold_bias(self, x: _Tensor, channels: int, bias: str) -> bool:
        entry = self.entries.get(x.ref)
        dense = self.layers and x.ref == self._last_name() and "dense" in self.layers[-1]
        if dense and entry is not None and entry.get("bias") is False and entry.get("units") == channels:
            # the matrix product's bias, added as a separate node
            if bias in self.claimed:
                entry[COMMENT] = f"bias {bias} shared with {self.claimed[bias]}, counted there"
            else:
                del entry["bias"]
                self.claimed[bias] = x.ref
            return True
        return False

    def op_Add(self, node: Any, a: dict[str, Any]) -> None:
        self._binary(node, "Add")

    def op_Sub(self, node: Any, a: dict[str, Any]) -> None:
        self._binary(node, "Sub")

    def op_Mul(self, node: Any, a: dict[str, Any]) -> None:
        self._binary(node, "Mul")

    def op_Div(self, node: Any, a: dict[str, Any]) -> None:
        self._binary(node, "Div")

    def op_Pow(self, node: Any, a: dict[str, Any]) -> None:
        if self._const_only(node):
            return self.set(node, _Const(None))
        self._unknown(node)

    op_Sqrt = op_Pow

    def op_Erf(self, node: Any, a: dict[str, Any]) -> None:
        self.set(node, _Erf(self.tensor(node.input[0])))

    def _gelu(self, node: Any, left: Any, right: Any) -> bool:
        for x, e in ((left, right), (right, left)):
            if isinstance(x, _Tensor) and isinstance(e, _Erf) and e.x == x:
                self.set(node, self.emit(node, "gelu", {}, [x], note="ONNX Erf pattern"))
                return True
        return False

    # ---------------------------------------------------------- layers with weights

    def _window(self, x: _Tensor, w: _Const, what: str) -> int:
        """The spatial rank of a convolution of ``x`` by ``w``: 1, 2 or 3, with matching weights."""
        n = x.spatial
        if not n or len(w.dims or ()) != n + 2:
            weights = f"{len(w.dims)}-D weights" if w.dims is not None else "weights of unknown shape"
            raise self.fail(
                f"is not a {what} convcalc reads: it takes a tensor of shape {list(x.shape)} with {weights}; "
                "convcalc reads N×C×L, N×C×H×W and N×C×D×H×W tensors with 3-D, 4-D and 5-D weights"
            )
        return n

    def op_Conv(self, node: Any, a: dict[str, Any]) -> None:
        x = self.tensor(node.input[0])
        w = self.const(node.input[1], "the weights")
        n = self._window(x, w, "convolution")
        filters, per_group, *kernel = w.dims
        groups = a.get("group", 1)
        if per_group * groups != x.shape[1]:
            raise self.fail(
                f"has weights for {per_group}·{groups} = {per_group * groups} input channels but receives {x.shape[1]}"
            )
        options: dict[str, Any] = {"filters": filters, "kernel": _compact(kernel)}
        strides = list(a.get("strides", [1] * n))
        dilations = list(a.get("dilations", [1] * n))
        padding = self._pads(a, x, kernel, strides, dilations)
        if strides != [1] * n:
            options["stride"] = _compact(strides)
        if padding != 0:
            options["padding"] = padding
        if dilations != [1] * n:
            options["dilation"] = _compact(dilations)
        if groups != 1:
            options["groups"] = groups
        stored, note = self._bias(node, 2, options, filters)
        self.set(node, self.emit(node, f"conv{n}d", options, [x], weight=w.weight, stored=(node.input[1], *stored), note=note))

    def _pads(self, a: dict[str, Any], x: _Tensor, kernel: list[int], strides: list[int], dilations: list[int]) -> Any:
        """A window's padding by the ONNX definition: ``pads`` is every axis's
        begin, then every axis's end; ``auto_pad`` SAME_UPPER (convcalc's
        ``same``) pads to ⌈in / stride⌉ outputs with the odd pixel at the end,
        SAME_LOWER with it at the beginning."""
        n = len(kernel)
        auto = a.get("auto_pad", "NOTSET")
        if auto == "VALID":
            return 0
        if auto == "SAME_UPPER":
            return "same"
        if auto == "SAME_LOWER":
            begin, end = [], []
            for size, k, s, d in zip(x.shape[2:], kernel, strides, dilations):
                total = max((-(-size // s) - 1) * s + (k - 1) * d + 1 - size, 0)
                begin.append(total - total // 2)  # the odd pixel before
                end.append(total // 2)
            return _padding(begin + end)
        pads = list(a.get("pads", [0] * 2 * n))
        if len(pads) != 2 * n:
            raise self.fail(f"has pads {pads}; a {n}-D window takes {2 * n}")
        return _padding(pads)

    def op_ConvTranspose(self, node: Any, a: dict[str, Any]) -> None:
        x = self.tensor(node.input[0])
        w = self.const(node.input[1], "the weights")
        n = self._window(x, w, "transposed convolution")
        if "output_shape" in a:
            raise self.fail("sets output_shape; convcalc needs pads and output_padding instead")
        cin, per_group, *kernel = w.dims
        groups = a.get("group", 1)
        if cin != x.shape[1]:
            raise self.fail(f"has weights for {cin} input channels but receives {x.shape[1]}")
        options: dict[str, Any] = {"filters": per_group * groups, "kernel": _compact(kernel)}
        strides = list(a.get("strides", [1] * n))
        if strides != [1] * n:
            options["stride"] = _compact(strides)
        auto = a.get("auto_pad", "NOTSET")
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            padding: Any = "same"
        elif auto == "VALID":
            padding = 0
        else:
            pads = list(a.get("pads", [0] * 2 * n))
            if len(pads) != 2 * n:
                raise self.fail(f"has pads {pads}; a {n}-D window takes {2 * n}")
            padding = _padding(pads)
        if padding != 0:
            options["padding"] = padding
        if any(a.get("output_padding", ())):
            options["output_padding"] = _compact(list(a["output_padding"]))
        dilations = list(a.get("dilations", [1] * n))
        if dilations != [1] * n:
            options["dilation"] = _compact(dilations)
        if groups != 1:
            options["groups"] = groups
        stored, note = self._bias(node, 2, options, per_group * groups)
        kind = f"conv_transpose{n}d"
        self.set(node, self.emit(node, kind, options, [x], weight=w.weight, stored=(node.input[1], *stored), note=note))

    def _bias(self, node: Any, index: int, options: dict[str, Any], count: int) -> tuple[tuple[str, ...], str | None]:
        """Set ``options['bias']`` for the bias input at ``index``; return it to claim.

        A bias another layer already counted (exporters deduplicate equal
        tensors, such as the zero biases of an untrained network) is left out
        here, so each stored tensor counts once.
        """
        name = node.input[index] if len(node.input) > index else ""
        value = self.values.get(name)
        if not name or not isinstance(value, _Const) or value.size != count or (count == 1 and value.dims == ()):
            options["bias"] = False
            return (), None
        if name in self.claimed:
            options["bias"] = False
            return (), f"bias {name} shared with {self.claimed[name]}, counted there"
        options["bias"] = True
        return (name,), None

    def _affine(self, node: Any) -> tuple[dict[str, Any], tuple[str, ...], str | None, bool]:
        """A norm's scale γ and shift β, each counted once.

        Returns the norm's options, the tensors it claims, a note, and whether
        a separate ``scale`` must carry γ: when another layer already counted β
        (exporters deduplicate equal tensors), the norm is ``affine: false``
        and γ alone is a ``scale`` after it. Shared γ with a fresh β cannot
        be written that way; it is counted again, with a warning.
        """
        scale, shift = node.input[1], node.input[2] if len(node.input) > 2 else ""
        if scale in self.claimed and shift in self.claimed:
            return {"affine": False}, (), f"scale and shift shared with {self.claimed[scale]}, counted there", False
        if shift in self.claimed and scale not in self.claimed:
            return {"affine": False}, (), f"shift {shift} shared with {self.claimed[shift]}, counted there; its scale follows", True
        return {}, (scale, shift), None, False

    def _norm(self, node: Any, kind: str, x: _Tensor, statistics: tuple[str, ...] = ()) -> _Tensor:
        options, stored, note, separate = self._affine(node)
        out = self.emit(node, kind, options, [x], weight=node.input[1], stored=(*stored, *statistics), note=note)
        if separate:
            out = self.emit(node, "scale", {}, [out], stored=(node.input[1],), note=f"the scale γ of {out.ref}")
        return out

    def op_BatchNormalization(self, node: Any, a: dict[str, Any]) -> None:
        x = self.tensor(node.input[0])
        if x.channel_axis != 1:
            raise self.fail("normalises ONNX axis 1, which is not this tensor's channel axis")
        # PyTorch's kinds: N×F and N×C×L take BatchNorm1d, N×C×D×H×W BatchNorm3d
        kind = {1: "batchnorm1d", 2: "batchnorm1d", 4: "batchnorm3d"}.get(len(x.axes), "batchnorm2d")
        out = self._norm(node, kind, x, tuple(node.input[3:5]))
        self.set(node, out)
        for i in range(1, len(node.output)):  # training mode: running statistics
            self.set(node, _Const((x.shape[1],)), i)

    def op_Gemm(self, node: Any, a: dict[str, Any]) -> None:
        x = self.tensor(node.input[0])
        w = self.const(node.input[1], "the weights")
        if a.get("transA", 0) or len(x.shape) != 2 or len(w.dims or ()) != 2:
            raise self.fail("is not activation × weights on an N×F tensor")
        k, units = (w.dims[1], w.dims[0]) if a.get("transB", 0) else w.dims
        if k != x.shape[1]:
            raise self.fail(f"has weights for {k} features but receives {x.shape[1]}")
        options: dict[str, Any] = {"units": units}
        stored, note = self._bias(node, 2, options, units)
        self.set(node, self.emit(node, "dense", options, [x], weight=w.weight, stored=(node.input[1], *stored), note=note))

    def op_MatMul(self, node: Any, a: dict[str, Any]) -> None:
        x = self.tensor(node.input[0])
        if not self.is_const(node.input[1]):
            raise self.fail("multiplies two activations; convcalc's dense needs a weight matrix")
        w = self.const(node.input[1], "the weights")
        if len(w.dims or ()) != 2:
            raise self.fail(f"multiplies by a {len(w.dims or ())}-D constant; dense needs a matrix")
        if x.channel_axis != len(x.shape) - 1:
            raise self.fail("multiplies along an ONNX axis that is not this tensor's channel axis")
        if w.dims[0] != x.shape[-1]:
            raise self.fail(f"has weights for {w.dims[0]} features but receives {x.shape[-1]}")
        self.set(node, self.emit(node, "dense", {"units": w.dims[1], "bias": False}, [x], weight=w.weight))

    def op_LayerNormalization(self, node: Any, a: dict[str, Any]) -> None:
        x = self.tensor(node.input[0])
        axis = a.get("axis", -1) % len(x.shape)
        if axis != len(x.shape) - 1 or x.channel_axis != axis:
            raise self.fail(f"normalises from ONNX axis {axis}; convcalc's layernorm normalises the channels only")
        if len(node.input) < 3 or not node.input[2]:
            raise self.fail("has a scale but no bias; convcalc's layernorm learns both")
        self.set(node, self._norm(node, "layernorm", x))

    def op_PRelu(self, node: Any, a: dict[str, Any]) -> None:
        x = self.tensor(node.input[0])
        slope = self.const(node.input[1], "the slope")
        per = "tensor" if slope.size == 1 else "channel" if self._per_channel(x, slope) else "element"
        self.set(node, self.emit(node, "prelu", {"per": per}, [x], weight=slope.weight))

    # ---------------------------------------------------------- activations

    def _activation(self, node: Any, kind: str, options: dict[str, Any] | None = None) -> None:
        self.set(node, self.emit(node, kind, options or {}, [self.tensor(node.input[0])]))

    def op_Relu(self, node: Any, a: dict[str, Any]) -> None:
        self._activation(node, "relu")

    def op_Tanh(self, node: Any, a: dict[str, Any]) -> None:
        self._activation(node, "tanh")

    def op_Gelu(self, node: Any, a: dict[str, Any]) -> None:
        self._activation(node, "gelu")

    def op_HardSwish(self, node: Any, a: dict[str, Any]) -> None:
        self._activation(node, "hardswish")

    def op_Elu(self, node: Any, a: dict[str, Any]) -> None:
        self._activation(node, "elu", {"alpha": a["alpha"]} if a.get("alpha", 1.0) != 1.0 else {})

    def op_Mish(self, node: Any, a: dict[str, Any]) -> None:
        self._activation(node, "mish")

    def op_Softplus(self, node: Any, a: dict[str, Any]) -> None:
        self._activation(node, "softplus")

    def op_LeakyRelu(self, node: Any, a: dict[str, Any]) -> None:
        self._activation(node, "leaky_relu", {"negative_slope": round(a.get("alpha", 0.01), 7)})

    def op_Softmax(self, node: Any, a: dict[str, Any]) -> None:
        x = self.tensor(node.input[0])
        if a.get("axis", -1) % len(x.shape) != x.channel_axis:
            raise self.fail("takes the softmax over an axis other than the channels")
        self._activation(node, "softmax")

    def _gate(self, node: Any, kind: str, fused: str) -> None:
        """sigmoid(x) · x is silu (hardsigmoid: hardswish) when x is the only other factor."""
        x = self.tensor(node.input[0])
        users = self.consumers.get(node.output[0], [])
        if len(users) == 1 and users[0].op_type == "Mul" and node.output[0] not in self._graph_outputs():
            mul = users[0]
            other = [n for n in mul.input if n != node.output[0]]
            if len(other) == 1 and self.values.get(other[0]) is x:
                out = self.emit(node, fused, {}, [x])
                self.values[mul.output[0]] = out
                self.skip.add(self._index_of(mul))
                return
        self.set(node, self.emit(node, kind, {}, [x]))

    def _graph_outputs(self) -> set[str]:
        return {o.name for o in self.graph.output}

    def _index_of(self, node: Any) -> int:
        return self.positions[id(node)]

    def op_Sigmoid(self, node: Any, a: dict[str, Any]) -> None:
        self._gate(node, "sigmoid", "silu")

    def op_HardSigmoid(self, node: Any, a: dict[str, Any]) -> None:
        self._gate(node, "hardsigmoid", "hardswish")

    def op_Clip(self, node: Any, a: dict[str, Any]) -> None:
        low, high = a.get("min"), a.get("max")
        if len(node.input) > 1 and node.input[1]:
            low = self.const(node.input[1], "the minimum").scalar()
        if len(node.input) > 2 and node.input[2]:
            high = self.const(node.input[2], "the maximum").scalar()
        if low == 0 and high == 6:
            return self._activation(node, "relu6")
        if low == 0 and (high is None or high == math.inf or high >= 3.4e38):
            return self._activation(node, "relu")
        raise self.fail(f"clips to [{low}, {high}]; convcalc knows ReLU6 [0, 6] and ReLU [0, ∞)")

    def op_Dropout(self, node: Any, a: dict[str, Any]) -> None:
        rate = a.get("ratio", 0.5)
        if len(node.input) > 1 and node.input[1]:
            rate = self.const(node.input[1], "the ratio").scalar()
        self.set(node, self.emit(node, "dropout", {"rate": round(float(rate), 7)}, [self.tensor(node.input[0])]))

    # ---------------------------------------------------------- pooling and resampling

    def _pool(self, node: Any, a: dict[str, Any], family: str) -> None:
        x = self.tensor(node.input[0])
        n = x.spatial
        kernel = list(a["kernel_shape"])
        if not n or len(kernel) != n:
            raise self.fail(
                f"pools a tensor of shape {list(x.shape)} with a {len(kernel)}-D window; "
                "convcalc pools N×C×L, N×C×H×W and N×C×D×H×W tensors"
            )
        strides = list(a.get("strides", [1] * n))
        dilations = list(a.get("dilations", [1] * n))
        options: dict[str, Any] = {"kernel": _compact(kernel), "stride": _compact(strides)}
        padding = self._pads(a, x, kernel, strides, dilations)
        if padding != 0:
            options["padding"] = padding
        if dilations != [1] * n:
            if family == "avgpool":
                raise self.fail(f"averages with dilations {dilations}; convcalc's average pooling has no dilation")
            options["dilation"] = _compact(dilations)
        if a.get("ceil_mode", 0):
            options["ceil_mode"] = True
        if family == "avgpool" and padding != 0 and not a.get("count_include_pad", 0):
            options["count_include_pad"] = False
        self.set(node, self.emit(node, f"{family}{n}d", options, [x]))

    def op_MaxPool(self, node: Any, a: dict[str, Any]) -> None:
        if len(node.output) > 1 and (node.output[1] in self.consumers or node.output[1] in self._graph_outputs()):
            raise self.fail("returns the indices of the maxima, which convcalc does not follow")
        self._pool(node, a, "maxpool")

    def op_AveragePool(self, node: Any, a: dict[str, Any]) -> None:
        self._pool(node, a, "avgpool")

    def op_GlobalAveragePool(self, node: Any, a: dict[str, Any]) -> None:
        self._global(node, "global_avgpool", True)

    def op_GlobalMaxPool(self, node: Any, a: dict[str, Any]) -> None:
        self._global(node, "global_maxpool", True)

    def _global(self, node: Any, family: str, keep: bool, reduced: set[int] | None = None) -> None:
        """Pool every spatial axis (and the size-1 axes in ``reduced``) to one value per channel."""
        x = self.tensor(node.input[0])
        n = len(x.axes) - 1
        if not 1 <= n <= 3:
            raise self.fail("pools a tensor that is not a map (N×C×L, N×C×H×W or N×C×D×H×W)")
        kind = f"{family}{n}d"
        if keep:
            return self.set(node, self.emit(node, kind, {"keepdims": True}, [x]))
        reduced = reduced or set(x.axes[:-1])
        kept = [i for i in range(len(x.shape)) if i not in reduced]
        self.set(node, self.emit(node, kind, {}, [x], axes=(kept.index(x.channel_axis),), rank=len(kept)))

    def _reduce(self, node: Any, a: dict[str, Any], family: str) -> None:
        x = self.tensor(node.input[0])
        axes = a.get("axes") or (self.ints(node.input[1], "the axes") if len(node.input) > 1 and node.input[1] else None)
        reduced = {v % len(x.shape) for v in axes or ()}
        spatial = set(x.axes[:-1])
        extra = reduced - spatial  # axes of size 1 that no convcalc axis sits on may be reduced too
        if not axes or len(x.axes) < 2 or not spatial <= reduced or any(i in (0, x.channel_axis) or x.shape[i] != 1 for i in extra):
            raise self.fail("reduces over axes other than the spatial ones (L; H and W; D, H and W)")
        self._global(node, family, bool(a.get("keepdims", 1)), reduced)

    def op_ReduceMean(self, node: Any, a: dict[str, Any]) -> None:
        self._reduce(node, a, "global_avgpool")

    def op_ReduceMax(self, node: Any, a: dict[str, Any]) -> None:
        self._reduce(node, a, "global_maxpool")

    def op_Pad(self, node: Any, a: dict[str, Any]) -> None:
        """``pads`` (an attribute before opset 11, then an input, often computed
        from constants) lists every axis's begin, then every axis's end; with
        ``axes`` (opset 18) only those axes'."""
        x = self.tensor(node.input[0])
        pads = list(a["pads"]) if "pads" in a else self.ints(node.input[1], "the pads")
        rank = len(x.shape)
        axes = list(range(rank))
        if len(node.input) > 3 and node.input[3]:
            axes = [v % rank for v in self.ints(node.input[3], "the axes")]
        if len(pads) != 2 * len(axes):
            raise self.fail(f"has {len(pads)} pads for {len(axes)} axes; ONNX takes two per axis")
        begin = dict(zip(axes, pads[: len(axes)]))
        end = dict(zip(axes, pads[len(axes) :]))
        spatial = x.axes[:-1]
        if any(v for ax, v in [*begin.items(), *end.items()] if ax not in spatial) or not 1 <= len(spatial) <= 3:
            raise self.fail("pads an axis other than the spatial ones (L; H and W; D, H and W)")
        if any(v < 0 for v in pads):
            raise self.fail(f"has negative pads {pads} (a crop); convcalc's zero padding adds")
        mode = a.get("mode", "constant")
        if len(node.input) > 2 and node.input[2] and mode == "constant":
            fill = self.const(node.input[2], "the fill value").scalar()
            if fill not in (0, None):
                mode = f"constant {fill}"
        padding = _padding([begin.get(ax, 0) for ax in spatial] + [end.get(ax, 0) for ax in spatial])
        note = None if mode == "constant" else f"ONNX Pad mode {mode}: same shape as zero padding"
        self.set(node, self.emit(node, f"zeropad{len(spatial)}d", {"padding": padding}, [x], note=note))

    def op_Resize(self, node: Any, a: dict[str, Any]) -> None:
        x = self.tensor(node.input[0])
        rank = x.spatial
        if not rank:
            raise self.fail("resizes a tensor that is not N×C×L, N×C×H×W or N×C×D×H×W")
        mode = a.get("mode", "nearest")
        options: dict[str, Any] = {}
        scales = sizes = None
        if len(node.input) > 3 and node.input[3]:
            sizes = self.ints(node.input[3], "the sizes")
        if len(node.input) > 2 and node.input[2] and self.const(node.input[2]).size:
            scales = self.const(node.input[2], "the scales").values
        if node.op_type == "Upsample":
            scales = a.get("scales") or self.const(node.input[1], "the scales").values
        # Opset 18 may give scales or sizes for some axes only (``axes``); the others keep their size.
        axes = [ax % len(x.shape) for ax in a.get("axes", range(len(x.shape)))]
        given = sizes or scales
        if given and len(given) != len(axes):
            raise self.fail(f"gives {len(given)} {'sizes' if sizes else 'scales'} for {len(axes)} axes")
        if given:
            full = dict.fromkeys(range(len(x.shape)), None)
            full.update(zip(axes, given))
            if any(full[ax] not in (None, x.shape[ax] if sizes else 1) for ax in (0, 1)):
                raise self.fail("resizes the batch or channel axis; convcalc's upsample resizes the spatial axes only")
            spatial = [full[ax] for ax in range(2, 2 + rank)]
        if sizes:
            options["size"] = _compact([x.shape[2 + i] if v is None else int(v) for i, v in enumerate(spatial)])
        elif scales:
            factors = [1.0 if v is None else float(v) for v in spatial]
            options["scale"] = _compact([int(f) if f.is_integer() else f for f in factors])
        else:
            raise self.fail("has neither scales nor sizes that convcalc can read")
        if mode in ("linear", "bilinear", "cubic"):
            options["mode"] = "bilinear"
            if a.get("coordinate_transformation_mode") == "align_corners":
                options["align_corners"] = True
        note = "ONNX cubic resize: same shape as bilinear" if mode == "cubic" else None
        self.set(node, self.emit(node, "upsample", options, [x], note=note))

    op_Upsample = op_Resize

    def op_DepthToSpace(self, node: Any, a: dict[str, Any]) -> None:
        self.set(node, self.emit(node, "pixel_shuffle", {"factor": a["blocksize"]}, [self.tensor(node.input[0])]))

    def op_SpaceToDepth(self, node: Any, a: dict[str, Any]) -> None:
        self.set(node, self.emit(node, "pixel_unshuffle", {"factor": a["blocksize"]}, [self.tensor(node.input[0])]))

    # ---------------------------------------------------------- views

    def op_Transpose(self, node: Any, a: dict[str, Any]) -> None:
        value = self.values[node.input[0]]
        perm = tuple(a.get("perm", ()))
        if isinstance(value, _Const):
            dims = value.dims
            perm = perm or tuple(reversed(range(len(dims or ()))))
            if dims is not None and value.values is not None:
                return self.set(node, _Const(*onnxconst.transpose(dims, value.values, perm), value.weight))
            return self.set(node, _Const(tuple(dims[p] for p in perm) if dims else None, None, value.weight))
        if isinstance(value, _Grouped) and perm == (0, 2, 1, 3, 4) and not value.swapped:
            return self.set(node, value._replace(swapped=True))
        x = self.tensor(node.input[0])
        perm = perm or tuple(reversed(range(len(x.shape))))
        if perm[0] != 0:
            raise self.fail(f"moves the batch axis (perm {list(perm)}); convcalc follows one sample")
        self.set(node, _Tensor(x.ref, tuple(x.shape[p] for p in perm), tuple(perm.index(ax) for ax in x.axes)))

    def op_Flatten(self, node: Any, a: dict[str, Any]) -> None:
        value = self.values[node.input[0]]
        if isinstance(value, _Const):
            return self.set(node, _Const(None))
        x = self.tensor(node.input[0])
        if a.get("axis", 1) != 1:
            raise self.fail(f"flattens from axis {a.get('axis')}; convcalc flattens everything but the batch")
        self._reshape_to(node, x, (1, math.prod(x.shape[1:])))

    def op_Reshape(self, node: Any, a: dict[str, Any]) -> None:
        value = self.values[node.input[0]]
        target = self.ints(node.input[1], "the target shape")
        if isinstance(value, _Const):
            dims = onnxconst.reshape_dims(value.dims, target, bool(a.get("allowzero", 0))) if value.dims is not None else None
            return self.set(node, _Const(dims, value.values if dims is not None else None, value.weight))
        source = value.x.shape if isinstance(value, _Grouped) else self.tensor(node.input[0]).shape
        shape = [source[i] if v == 0 and not a.get("allowzero", 0) else v for i, v in enumerate(target)]
        if shape.count(-1) == 1:
            known = math.prod(v for v in shape if v != -1)
            shape[shape.index(-1)] = math.prod(source) // known if known else 0
        shape[0] = 1 if shape and shape[0] in (1, -1) else shape[0]
        if math.prod(shape) != math.prod(source):
            raise self.fail(f"reshapes {list(source)} to {target}: the sizes differ")
        if isinstance(value, _Grouped):
            if value.swapped and tuple(shape) == value.x.shape:
                return self.set(node, self.emit(node, "channel_shuffle", {"groups": value.groups}, [value.x]))
            raise self.fail("uses a grouped view outside the channel-shuffle pattern")
        self._reshape_to(node, self.tensor(node.input[0]), tuple(shape))

    def _reshape_to(self, node: Any, x: _Tensor, shape: tuple[int, ...]) -> None:
        if shape == x.shape:
            return self.set(node, x)
        if len(shape) == 2 and shape[0] == 1:
            if len(x.axes) == 1:
                return self.set(node, _Tensor(x.ref, shape, (1,)))
            return self.set(node, self.emit(node, "flatten", {}, [x], axes=(1,), rank=2))
        if len(x.axes) == 1 and len(shape) == 4 and shape[1] == x.shape[1] and shape[2:] == (1, 1):
            return self.set(node, self.emit(node, "reshape", {"shape": [1, 1, shape[1]]}, [x], axes=(2, 3, 1), rank=4))
        if len(shape) == 1:
            return self.set(node, _Flat(x))
        if x.nchw and len(shape) == 5 and shape[3:] == x.shape[2:] and shape[1] * shape[2] == x.shape[1]:
            return self.set(node, _Grouped(x, shape[1]))
        if x.nchw and len(shape) == 4 and shape[1] == x.shape[1] and shape[2] * shape[3] == x.shape[2] * x.shape[3]:
            hwc = [shape[2], shape[3], shape[1]]
            return self.set(node, self.emit(node, "reshape", {"shape": hwc}, [x]))
        raise self.fail(f"reshapes {list(x.shape)} to {list(shape)}; convcalc follows flattening and channel shuffles only")

    def op_Split(self, node: Any, a: dict[str, Any]) -> None:
        x = self.tensor(node.input[0])
        axis = a.get("axis", 0) % len(x.shape)
        if axis != x.channel_axis:
            raise self.fail(f"splits ONNX axis {axis}, not the channels")
        c = x.shape[axis]
        n = len(node.output)
        if len(node.input) > 1 and node.input[1]:
            sizes = self.ints(node.input[1], "the split sizes")
        elif "split" in a:
            sizes = list(a["split"])
        else:
            parts = a.get("num_outputs", n)
            size = -(-c // parts)
            sizes = [min(size, c - i * size) for i in range(parts)]
        options = {"parts": len(sizes)} if len(set(sizes)) == 1 else {"sizes": sizes}
        self._split(node, x, options, sizes)

    def _split(self, node: Any, x: _Tensor, options: dict[str, Any], sizes: list[int]) -> None:
        from ..shapes import Shape

        name = self.name_for(node)
        entry = {"name": name, **options}
        if x.ref != self.previous:
            entry["from"] = x.ref
        self.layers.append({"split": entry})
        self.entries[name] = entry
        for i, size in enumerate(sizes):
            part = f"{name}.{i}"
            shape = list(x.shape)
            shape[x.channel_axis] = size
            self.shapes[part] = Shape(tuple(shape[a] for a in x.axes))
            self.set(node, _Tensor(part, tuple(shape), x.axes), i)
        self.previous = f"{name}.{len(sizes) - 1}"

    def op_Slice(self, node: Any, a: dict[str, Any]) -> None:
        value = self.values[node.input[0]]
        if len(node.input) > 1:
            starts = self.ints(node.input[1], "the starts")
            ends = self.ints(node.input[2], "the ends")
            axes = self.ints(node.input[3], "the axes") if len(node.input) > 3 and node.input[3] else list(range(len(starts)))
            steps = self.ints(node.input[4], "the steps") if len(node.input) > 4 and node.input[4] else [1] * len(starts)
        else:
            starts, ends = list(a["starts"]), list(a["ends"])
            axes = list(a.get("axes", range(len(starts))))
            steps = [1] * len(starts)
        if isinstance(value, _Const):
            if value.values is not None and value.dims is not None:
                return self.set(node, _Const(*onnxconst.slice_(value.dims, value.values, starts, ends, axes, steps)))
            return self.set(node, _Const(None))
        x = self.tensor(node.input[0])
        rank = len(x.shape)
        cuts = []
        for start, end, ax, step in zip(starts, ends, axes, steps):
            ax %= rank
            size = x.shape[ax]
            lo, hi, _ = slice(start, min(end, size) if end < _INT64_MAX // 2 else None, step).indices(size)
            if (lo, hi, step) == (0, size, 1):
                continue
            cuts.append((ax, lo, hi, step))
        if not cuts:
            return self.set(node, x)
        if len(cuts) > 1 or cuts[0][0] != x.channel_axis or cuts[0][3] != 1:
            raise self.fail("slices an axis other than the channels (or with a step); convcalc's slice takes channels")
        _, lo, hi, _ = cuts[0]
        options: dict[str, Any] = {"start": lo}
        if hi != x.shape[x.channel_axis]:
            options["stop"] = hi
        self.set(node, self.emit(node, "slice", options, [x]))


def _fold(op: str, left: _Const, right: _Const) -> _Const:
    """Element-wise arithmetic on two constants (shape computations), values when known."""
    if left.values is None or right.values is None or left.dims is None or right.dims is None:
        dims = left.dims if (left.size or 0) >= (right.size or 0) else right.dims
        weight = left.weight or right.weight
        return _Const(dims, None, weight)
    a, b = left.values, right.values
    n = max(len(a), len(b))
    if len(a) not in (1, n) or len(b) not in (1, n):
        return _Const(None)
    a = a * n if len(a) == 1 else a
    b = b * n if len(b) == 1 else b
    fn = {
        "Add": lambda p, q: p + q,
        "Sub": lambda p, q: p - q,
        "Mul": lambda p, q: p * q,
        "Div": lambda p, q: (p // q if isinstance(p, int) and isinstance(q, int) else p / q) if q else 0,
    }[op]
    dims = left.dims if len(left.dims) >= len(right.dims) else right.dims
    return _Const(dims, tuple(fn(p, q) for p, q in zip(a, b)))
