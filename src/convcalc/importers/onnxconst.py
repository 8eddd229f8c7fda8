"""Small constant tensors of an ONNX graph, evaluated in pure Python.

Exporters leave shape arithmetic in graphs: PyTorch's TorchScript exporter,
in training mode (when it does not fold constants), writes ``nn.ZeroPad2d(3)``
as a ``Pad`` whose pads come from ``Concat``, ``Reshape``, ``Slice``,
``Transpose`` and ``Cast`` of constants. These functions compute such
results, following the ONNX operator definitions, on a tensor held as its
dims and its values flattened in row-major (C) order — the layout of an
ONNX ``TensorProto``. They never see weights: the importer decodes only
tensors of at most :data:`~.onnx.SMALL` elements.

The pads of ``ZeroPad2d(3)`` on an N×C×H×W input, as the exporter computes them::

    [3, 3, 3, 3] ++ [0, 0, 0, 0]           Concat          (8,)
    → [[3, 3], [3, 3], [0, 0], [0, 0]]     Reshape [-1, 2]  (4, 2)
    → [[0, 0], [0, 0], [3, 3], [3, 3]]     Slice, step −1   (4, 2)
    → [[0, 0, 3, 3], [0, 0, 3, 3]]         Transpose        (2, 4)
    → [0, 0, 3, 3, 0, 0, 3, 3]             Reshape [-1]     (8,)

>>> dims, values = concat([((4,), (3, 3, 3, 3)), ((4,), (0, 0, 0, 0))], 0)
>>> dims = reshape_dims(dims, [-1, 2])
>>> dims, values = slice_(dims, values, [-1], [-(2**63 - 1)], [0], [-1])
>>> dims, values = transpose(dims, values, [1, 0])
>>> reshape_dims(dims, [-1]), values
((8,), (0, 0, 3, 3, 0, 0, 3, 3))
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

__all__ = ["cast", "concat", "reshape_dims", "slice_", "transpose"]

Dims = tuple[int, ...]
Values = tuple[Any, ...]

_INTEGERS = {2, 3, 4, 5, 6, 7, 12, 13}
"""ONNX ``TensorProto.DataType`` codes of integer types (uint8 … uint64)."""
_FLOATS = {1, 10, 11, 16}
"""float, float16, double, bfloat16."""
_BOOL = 9


def _flat(dims: Dims) -> list[int]:
    """Row-major strides: the flat index of ``idx`` is ``sum(i * s)``.

    >>> _flat((2, 3, 4))
    [12, 4, 1]
    """
    out, step = [], 1
    for d in reversed(dims):
        out.append(step)
        step *= d
    return out[::-1]


def reshape_dims(dims: Dims, target: Sequence[int], allowzero: bool = False) -> Dims:
    """ONNX ``Reshape``'s output dims: 0 copies the input's dim (unless
    ``allowzero``), one −1 takes what is left.

    >>> reshape_dims((4, 2), [-1]), reshape_dims((2, 3, 4), [0, -1])
    ((8,), (2, 12))
    """
    shape = [
        dims[i] if v == 0 and not allowzero and i < len(dims) else int(v)
        for i, v in enumerate(target)
    ]
    if shape.count(-1) > 1:
        raise ValueError(f"reshape target {list(target)} has more than one -1")
    if -1 in shape:
        known = math.prod(v for v in shape if v != -1)
        shape[shape.index(-1)] = math.prod(dims) // known if known else 0
    if math.prod(shape) != math.prod(dims):
        raise ValueError(f"cannot reshape {list(dims)} to {list(target)}: the sizes differ")
    return tuple(shape)


def transpose(dims: Dims, values: Values, perm: Sequence[int]) -> tuple[Dims, Values]:
    """ONNX ``Transpose``: output axis i is input axis ``perm[i]``.

    >>> transpose((2, 3), (1, 2, 3, 4, 5, 6), [1, 0])
    ((3, 2), (1, 4, 2, 5, 3, 6))
    """
    strides = _flat(dims)
    out_dims = tuple(dims[p] for p in perm)
    picked = tuple(
        values[sum(i * strides[p] for i, p in zip(idx, perm))]
        for idx in itertools.product(*map(range, out_dims))
    )
    return out_dims, picked


def slice_(
    dims: Dims,
    values: Values,
    starts: Sequence[int],
    ends: Sequence[int],
    axes: Sequence[int],
    steps: Sequence[int],
) -> tuple[Dims, Values]:
    """ONNX ``Slice`` (opset 10+): per listed axis, ``starts`` to ``ends`` by ``steps``.

    Negative starts and ends count from the end; then starts clamp to
    [0, dim] (or [0, dim − 1] for a negative step) and ends to [0, dim] (or
    [−1, dim − 1]) — the rule of Python's ``slice.indices``, which this uses.

    >>> slice_((5,), (0, 1, 2, 3, 4), [-1], [-(2**63 - 1)], [0], [-2])
    ((3,), (4, 2, 0))
    >>> slice_((2, 3), (1, 2, 3, 4, 5, 6), [1], [99], [-1], [1])
    ((2, 2), (2, 3, 5, 6))
    """
    chosen = [range(d) for d in dims]
    for start, end, axis, step in zip(starts, ends, axes, steps):
        if step == 0:
            raise ValueError("a slice step is 0")
        axis %= len(dims)
        chosen[axis] = range(*slice(start, end, step).indices(dims[axis]))
    strides = _flat(dims)
    picked = tuple(
        values[sum(i * s for i, s in zip(idx, strides))] for idx in itertools.product(*chosen)
    )
    return tuple(len(r) for r in chosen), picked


def concat(parts: Sequence[tuple[Dims, Values]], axis: int) -> tuple[Dims, Values]:
    """ONNX ``Concat``: tensors alike but along ``axis``, joined along it.

    >>> concat([((2, 1), (1, 2)), ((2, 2), (3, 4, 5, 6))], 1)
    ((2, 3), (1, 3, 4, 2, 5, 6))
    """
    first = parts[0][0]
    axis %= len(first)
    if any(
        len(d) != len(first) or d[:axis] != first[:axis] or d[axis + 1 :] != first[axis + 1 :]
        for d, _ in parts
    ):
        raise ValueError(
            f"concatenates tensors of shapes {[list(d) for d, _ in parts]} along axis {axis}"
        )
    outer = math.prod(first[:axis])
    out: list[Any] = []
    for o in range(outer):
        for d, v in parts:
            chunk = math.prod(d[axis:])
            out += v[o * chunk : (o + 1) * chunk]
    dims = (*first[:axis], sum(d[axis] for d, _ in parts), *first[axis + 1 :])
    return dims, tuple(out)


def cast(values: Values, to: int) -> Values:
    """ONNX ``Cast`` of known values: integers truncate toward zero.

    >>> cast((2.7, -2.7), 7), cast((3,), 1), cast((0, 2), 9)
    ((2, -2), (3.0,), (False, True))
    """
    if to in _INTEGERS:
        return tuple(int(v) for v in values)
    if to in _FLOATS:
        return tuple(float(v) for v in values)
    if to == _BOOL:
        return tuple(bool(v) for v in values)
    return values
