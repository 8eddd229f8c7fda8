"""The parts of an ONNX file convcalc reads, straight from the protobuf wire format.

An ONNX file is one protobuf message (``ModelProto``, schema ``onnx.proto``).
Reading it with the ``onnx`` package costs a second of imports and a copy of
every weight; convcalc needs only the graph's structure and each weight's
*shape*. This reader maps the file and walks the fields it needs, jumping
over every weight's bytes, so a 100 MB file costs a few milliseconds and
almost no memory: the pages of weight data are never touched.

Wire format, in brief: a message is a run of fields, each a varint key
``field_number << 3 | wire_type`` followed by a varint (type 0), 8 bytes
(type 1), a varint length and that many bytes (type 2: strings, bytes,
packed numbers, nested messages) or 4 bytes (type 5). Field numbers below are
those of ``onnx.proto`` (``GraphProto.node = 1``, ``TensorProto.raw_data = 9``…).

>>> _varint(b"\\xac\\x02", 0)   # 300 = 0b10_0101100
(300, 2)
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["Attribute", "Graph", "Node", "ProtoError", "Tensor", "ValueInfo", "read_model"]

SMALL_BYTES = 4096
"""Tensors with at most this many bytes of data keep it (shapes, axes, scalars)."""


class ProtoError(Exception):
    """The bytes are not a well-formed ONNX model; the message says where it broke."""


def _varint(buf: Any, i: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        try:
            byte = buf[i]
        except IndexError:
            raise ProtoError("the file ends inside a number (truncated)") from None
        i += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, i
        shift += 7
        if shift > 70:
            raise ProtoError("a number is longer than 10 bytes (corrupt)")


def _fields(buf: Any, start: int, end: int) -> Iterator[tuple[int, int, Any]]:
    """(field, wire type, value) of one message: an int for types 0, 1 and 5, (start, end) for type 2."""
    i = start
    while i < end:
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            length, i = _varint(buf, i)
            value = (i, i + length)
            i += length
        elif wire == 1:
            value = (i, i + 8)
            i += 8
        elif wire == 5:
            value = (i, i + 4)
            i += 4
        else:
            raise ProtoError(f"wire type {wire} at byte {i} is not used by ONNX (corrupt, or not an ONNX file)")
        if i > end or field == 0:
            raise ProtoError("a field runs past the end of its message (truncated or corrupt)")
        yield field, wire, value


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _span(wire: int, value: Any) -> tuple[int, int]:
    """A length-delimited field's (start, end); another wire type means the bytes are damaged."""
    if wire != 2:
        raise ProtoError(f"a field holds wire type {wire} where ONNX has a message or text (corrupt)")
    return value


def _int(wire: int, value: Any) -> int:
    if wire != 0:
        raise ProtoError(f"a field holds wire type {wire} where ONNX has a number (corrupt)")
    return value


def _text(buf: Any, span: tuple[int, int]) -> str:
    return bytes(buf[span[0] : span[1]]).decode("utf-8", "replace")


def _packed_varints(buf: Any, wire: int, value: Any) -> list[int]:
    if wire == 0:
        return [_signed(value)]
    start, end = _span(wire, value)
    out, i = [], start
    while i < end:
        v, i = _varint(buf, i)
        out.append(_signed(v))
    return out


def _float(buf: Any, wire: int, value: Any) -> float:
    if wire != 5:
        raise ProtoError(f"a field holds wire type {wire} where ONNX has a float (corrupt)")
    return struct.unpack("<f", bytes(buf[value[0] : value[1]]))[0]


def _double(buf: Any, wire: int, value: Any) -> float:
    if wire != 1:
        raise ProtoError(f"a field holds wire type {wire} where ONNX has a double (corrupt)")
    return struct.unpack("<d", bytes(buf[value[0] : value[1]]))[0]


def _packed(buf: Any, wire: int, value: Any, code: str) -> list[Any]:
    start, end = _span(wire, value)
    data = bytes(buf[start:end])
    size = struct.calcsize(code)
    if len(data) % size:
        raise ProtoError(f"packed numbers take {len(data)} bytes, not a multiple of {size} (corrupt)")
    return list(struct.unpack(f"<{len(data) // size}{code}", data))


class Tensor:
    """A ``TensorProto``: name, dims and type always; the numbers only when small."""

    __slots__ = ("data_location", "data_type", "dims", "double_data", "float_data", "int32_data", "int64_data", "name", "raw_data", "uint64_data")

    def __init__(self, buf: Any, start: int, end: int) -> None:
        self.name = ""
        self.data_type = 0
        self.data_location = 0
        self.raw_data = b""
        dims: list[int] = []
        lists: dict[str, list[Any]] = {"float_data": [], "int32_data": [], "int64_data": [], "double_data": [], "uint64_data": []}
        for field, wire, value in _fields(buf, start, end):
            if field == 1:
                dims += _packed_varints(buf, wire, value)
            elif field == 2:
                self.data_type = _int(wire, value)
            elif field == 8:
                self.name = _text(buf, _span(wire, value))
            elif field == 9:
                value = _span(wire, value)
                if value[1] - value[0] <= SMALL_BYTES:
                    self.raw_data = bytes(buf[value[0] : value[1]])
            elif field == 14:
                self.data_location = _int(wire, value)
            elif wire == 2 and value[1] - value[0] > SMALL_BYTES:
                continue  # a weight stored in a typed field: only its dims matter
            elif field == 4:
                lists["float_data"] += [_float(buf, wire, value)] if wire != 2 else _packed(buf, wire, value, "f")
            elif field in (5, 7):
                lists["int32_data" if field == 5 else "int64_data"] += _packed_varints(buf, wire, value)
            elif field == 10:
                lists["double_data"] += [_double(buf, wire, value)] if wire != 2 else _packed(buf, wire, value, "d")
            elif field == 11:
                lists["uint64_data"] += [value] if wire == 0 else [v & (2**64 - 1) for v in _packed_varints(buf, wire, value)]
        self.dims = tuple(dims)
        for key, values in lists.items():
            setattr(self, key, tuple(values))


class Attribute:
    """An ``AttributeProto``: ``type`` 1 float, 2 int, 3 string, 4 tensor, 6 floats, 7 ints."""

    __slots__ = ("f", "floats", "i", "ints", "name", "s", "t", "type")

    def __init__(self, buf: Any, start: int, end: int) -> None:
        self.name, self.type, self.f, self.i, self.s, self.t = "", 0, 0.0, 0, b"", None
        floats: list[float] = []
        ints: list[int] = []
        seen = 0
        for field, wire, value in _fields(buf, start, end):
            if field == 1:
                self.name = _text(buf, _span(wire, value))
            elif field == 20:
                self.type = _int(wire, value)
            elif field == 2:
                self.f, seen = _float(buf, wire, value), seen or 1
            elif field == 3:
                self.i, seen = _signed(_int(wire, value)), seen or 2
            elif field == 4:
                start, stop = _span(wire, value)
                self.s, seen = bytes(buf[start:stop]), seen or 3
            elif field == 5:
                self.t, seen = Tensor(buf, *_span(wire, value)), seen or 4
            elif field == 7:
                floats += [_float(buf, wire, value)] if wire != 2 else _packed(buf, wire, value, "f")
                seen = seen or 6
            elif field == 8:
                ints += _packed_varints(buf, wire, value)
                seen = seen or 7
            elif field in (6, 11):
                seen = seen or 5  # a subgraph: convcalc does not follow control flow
        self.floats, self.ints = tuple(floats), tuple(ints)
        if not self.type:
            self.type = seen


class Entry:
    """A ``StringStringEntryProto`` (metadata)."""

    __slots__ = ("key", "value")

    def __init__(self, buf: Any, start: int, end: int) -> None:
        self.key = self.value = ""
        for field, wire, value in _fields(buf, start, end):
            if field == 1:
                self.key = _text(buf, _span(wire, value))
            elif field == 2:
                self.value = _text(buf, _span(wire, value))


class Node:
    """A ``NodeProto``. Of its metadata only PyTorch's module path is kept."""

    __slots__ = ("attribute", "domain", "input", "metadata_props", "name", "op_type", "output")

    def __init__(self, buf: Any, start: int, end: int) -> None:
        self.name = self.op_type = self.domain = ""
        inputs: list[str] = []
        outputs: list[str] = []
        self.attribute: list[Attribute] = []
        self.metadata_props: list[Entry] = []
        for field, wire, value in _fields(buf, start, end):
            if field == 1:
                inputs.append(_text(buf, _span(wire, value)))
            elif field == 2:
                outputs.append(_text(buf, _span(wire, value)))
            elif field == 3:
                self.name = _text(buf, _span(wire, value))
            elif field == 4:
                self.op_type = _text(buf, _span(wire, value))
            elif field == 7:
                self.domain = _text(buf, _span(wire, value))
            elif field == 5:
                self.attribute.append(Attribute(buf, *_span(wire, value)))
            elif field == 9 and wire == 2 and value[1] - value[0] < 2048:  # skip stack traces
                entry = Entry(buf, *_span(wire, value))
                if entry.key == "pkg.torch.onnx.name_scopes":
                    self.metadata_props.append(entry)
        self.input, self.output = tuple(inputs), tuple(outputs)


class ValueInfo:
    """A graph input or output: its name and dims (an int, a symbol, or None)."""

    __slots__ = ("dims", "name")

    def __init__(self, buf: Any, start: int, end: int) -> None:
        self.name = ""
        self.dims: list[int | str | None] = []
        for field, wire, value in _fields(buf, start, end):
            if field == 1:
                self.name = _text(buf, _span(wire, value))
            elif field == 2:
                self._type(buf, value)

    def _type(self, buf: Any, span: tuple[int, int]) -> None:
        for field, wire, value in _fields(buf, *span):  # TypeProto.tensor_type
            if field == 1:
                for f2, w2, v2 in _fields(buf, *_span(wire, value)):  # Tensor.shape
                    if f2 == 2:
                        for f3, w3, v3 in _fields(buf, *_span(w2, v2)):  # TensorShapeProto.dim
                            if f3 == 1:
                                self.dims.append(self._dim(buf, _span(w3, v3)))

    @staticmethod
    def _dim(buf: Any, span: tuple[int, int]) -> int | str | None:
        found: int | str | None = None
        for field, wire, value in _fields(buf, *span):
            if field == 1:
                found = _signed(_int(wire, value))
            elif field == 2:
                found = _text(buf, _span(wire, value))
        return found


class Graph:
    """A ``GraphProto``: nodes, initializers (weights as shapes), inputs and outputs."""

    def __init__(self, buf: Any, start: int, end: int) -> None:
        self.name = ""
        self.node: list[Node] = []
        self.initializer: list[Tensor] = []
        self.sparse_initializer: list[Tensor] = []
        self.input: list[ValueInfo] = []
        self.output: list[ValueInfo] = []
        for field, wire, value in _fields(buf, start, end):
            if field == 1:
                self.node.append(Node(buf, *_span(wire, value)))
            elif field == 2:
                self.name = _text(buf, _span(wire, value))
            elif field == 5:
                self.initializer.append(Tensor(buf, *_span(wire, value)))
            elif field == 15:
                self.sparse_initializer.append(self._sparse(buf, _span(wire, value)))
            elif field == 11:
                self.input.append(ValueInfo(buf, *_span(wire, value)))
            elif field == 12:
                self.output.append(ValueInfo(buf, *_span(wire, value)))

    @staticmethod
    def _sparse(buf: Any, span: tuple[int, int]) -> Tensor:
        """A sparse initializer counts as its dense shape (``SparseTensorProto.dims``)."""
        values: Tensor | None = None
        dims: list[int] = []
        for field, wire, value in _fields(buf, *span):
            if field == 1:
                values = Tensor(buf, *_span(wire, value))
            elif field == 3:
                dims += _packed_varints(buf, wire, value)
        if values is None:
            raise ProtoError("a sparse initializer has no values")
        values.dims, values.raw_data = tuple(dims), b""
        return values


def read_model(path: str | Path) -> Graph:
    """The main graph of the ONNX file at ``path``; raises :class:`ProtoError` or ``OSError``."""
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
        if size == 0:
            raise ProtoError("the file is empty")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            graph = None
            for field, wire, value in _fields(buf, 0, size):
                if field == 7 and wire == 2:
                    graph = Graph(buf, *_span(wire, value))
            if graph is None:
                raise ProtoError("it holds no graph (not an ONNX model)")
            return graph
