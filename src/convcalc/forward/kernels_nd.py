"""The 1-D and 3-D kinds as NumPy arrays, written once for any number of spatial axes.

Arrays are channels-last with the batch first: ``(N, L, C)`` for a 1-D map,
``(N, D, H, W, C)`` for a 3-D one. Weight layouts extend the 2-D ones of
:mod:`.kernels` by axis::

    conv1d / conv3d                      kernel (*k, C_in / groups, filters), bias (filters,)
    conv_transpose1d / conv_transpose3d  kernel (*k, filters / groups, C_in), bias (filters,)
    batchnorm1d / batchnorm3d            gamma, beta (C,) trained; running_mean, running_var (C,) state

The 2-D kernels stay as they are (tuned for H×W); these follow the same
rules and the same independence: sizes come from the windows NumPy takes
(``sliding_window_view``), ``same`` is resolved with TensorFlow's own rule,
and MACs are counted from the arrays multiplied.
"""

from __future__ import annotations

from math import prod
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .kernels import (
    F32,
    NO_PARAMS,
    Computed,
    Params,
    _adaptive_axis,
    _batchnorm_params,
    _linear_weights,
    _matmul,
    _nearest_index,
    _running,
    _uniform,
    tf_same_padding,
)
from .kernels import upsample as _upsample2d

__all__ = ["ND_KERNELS", "ND_PARAMS"]


def _conv_params(spec: Any, shapes: tuple[tuple[int, ...], ...], rng: np.random.Generator) -> Params:
    c, f, g = shapes[0][-1], spec.filters, spec.groups
    k = tuple(spec.kernel)
    inner = (c // g, f) if spec.kind.startswith("conv") and "transpose" not in spec.kind else (f // g, c)
    arrays = {"kernel": _uniform(rng, (*k, *inner), prod(k) * (c // g))}
    if spec.bias:
        arrays["bias"] = _uniform(rng, (f,), 1) * F32(0.1)
    return Params(arrays)


def _pads(spec: Any, sizes: tuple[int, ...], dilation: tuple[int, ...]) -> list[tuple[int, int]]:
    """(before, after) per spatial axis for ``spec.padding`` on an input of ``sizes``."""
    p = spec.padding
    if p.mode == "explicit":
        return list(p.pads())
    if p.mode == "valid":
        return [(0, 0)] * len(sizes)
    stride = getattr(spec, "strides", None) or spec.stride
    return [tf_same_padding(n, d * (k - 1) + 1, s) for n, k, s, d in zip(sizes, spec.kernel, stride, dilation)]


def _pad(x: np.ndarray, sides: list[tuple[int, int]], value: float = 0.0) -> np.ndarray:
    if not any(a or b for a, b in sides):
        return x
    return np.pad(x, [(0, 0), *sides, (0, 0)], constant_values=value)


def _windows(x: np.ndarray, kernel: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]) -> np.ndarray:
    """Every window of a padded ``(N, *S, C)`` array: ``(N, *O, C, *k)``, a view."""
    r = len(kernel)
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    view = sliding_window_view(x, spans, axis=tuple(range(1, r + 1)))
    return view[(slice(None), *(slice(None, None, s) for s in stride), slice(None), *(slice(None, None, d) for d in dilation))]


def _correlate(x: np.ndarray, kernel: np.ndarray, stride: tuple[int, ...], dilation: tuple[int, ...], groups: int) -> Computed:
    """Cross-correlation of a padded ``x`` with ``kernel`` (*k, C/g, F): one
    (batched) matmul over the windows, and its MACs."""
    *k, cg, f = kernel.shape
    r = len(k)
    view = _windows(x, tuple(k), stride, dilation)  # (N, *O, C, *k)
    lead = view.shape[: r + 1]
    # (N, *O, G, C/g, *k) → (G, N, *O, *k, C/g): each group's columns in the kernel's order
    grouped = view.reshape(*lead, groups, cg, *k)
    order = (r + 1, *range(r + 1), *range(r + 3, 2 * r + 3), r + 2)
    cols = np.ascontiguousarray(grouped.transpose(order)).reshape(groups, -1, prod(k) * cg)
    w = kernel.reshape(*k, cg, groups, f // groups)
    w = np.moveaxis(w, r + 1, 0).reshape(groups, prod(k) * cg, f // groups)
    out, macs = _matmul(cols, w)  # (G, M, F/g)
    return Computed(np.ascontiguousarray(np.moveaxis(out, 0, 1)).reshape(*lead, f), macs)


def conv_nd(spec: Any, p: Params, x: np.ndarray) -> Computed:
    dilation = tuple(spec.dilation)
    x = _pad(x, _pads(spec, x.shape[1:-1], dilation))
    out, macs = _correlate(x, p["kernel"], tuple(spec.stride), dilation, spec.groups)
    if spec.bias:
        out += p["bias"]
    return Computed(out, macs)


def conv_transpose_nd(spec: Any, p: Params, x: np.ndarray) -> Computed:
    """As :func:`.kernels.conv_transpose2d`, along any number of axes: insert
    stride − 1 zeros, pad by span − 1 (plus the extension after), correlate
    with the flipped kernel, crop. MACs count only the multiplies whose
    operand is a real input pixel (the product over axes of the real taps)."""
    n, *sizes, c = x.shape
    r = len(sizes)
    kernel = p["kernel"]  # (*k, F/g, C)
    *k, fg, _ = kernel.shape
    g = spec.groups
    stride, dilation = tuple(spec.stride), tuple(spec.dilation)
    crops = []
    pad = spec.padding
    for axis, size in enumerate(sizes):
        s, span = stride[axis], dilation[axis] * (k[axis] - 1) + 1
        if pad.mode == "explicit":
            crops.append((*pad.pads()[axis], spec.output_padding[axis]))
        elif pad.mode == "same":
            crops.append((*tf_same_padding(size * s, span, s), max(s - span, 0)))
        else:
            crops.append((0, 0, max(s - span, 0)))
    edge = [d * (kk - 1) for kk, d in zip(k, dilation)]
    z_shape = [(size - 1) * s + 1 + 2 * e + extra for size, s, e, (_, _, extra) in zip(sizes, stride, edge, crops)]
    z = np.zeros((n, *z_shape, c), dtype=x.dtype)
    placed = tuple(slice(e, e + (size - 1) * s + 1, s) for e, size, s in zip(edge, sizes, stride))
    z[(slice(None), *placed)] = x
    flipped = kernel[tuple(slice(None, None, -1) for _ in k)].reshape(*k, fg, g, c // g)
    flipped = np.moveaxis(flipped, (r, r + 1, r + 2), (r + 2, r + 1, r))  # (*k, C/g, G, F/g)
    flipped = np.ascontiguousarray(flipped).reshape(*k, c // g, g * fg)
    full, gemm_macs = _correlate(z, flipped, (1,) * r, dilation, g)
    per_pair = gemm_macs // (prod(full.shape[1:-1]) * prod(k))
    macs = per_pair
    for axis in range(r):
        real = np.zeros(z.shape[axis + 1], bool)
        real[placed[axis]] = True
        positions = full.shape[axis + 1]
        macs *= sum(int(np.count_nonzero(real[t * dilation[axis] : t * dilation[axis] + positions])) for t in range(k[axis]))
    cropped = tuple(slice(before, full.shape[axis + 1] - after) for axis, (before, after, _) in enumerate(crops))
    out = np.ascontiguousarray(full[(slice(None), *cropped)])
    if spec.bias:
        out += p["bias"]
    return Computed(out, macs)


def _pool(spec: Any, x: np.ndarray, reduce: str) -> np.ndarray:
    """Max or average over windows with PyTorch's ceil_mode and count_include_pad
    (see :func:`.kernels._pool`, the 2-D original)."""
    sizes = x.shape[1:-1]
    r = len(sizes)
    kernel = tuple(spec.kernel)
    stride = tuple(spec.stride or spec.kernel)
    dilation = tuple(getattr(spec, "dilation", (1,) * r))
    sides = _pads(spec, sizes, dilation)
    grown = [(a, b + (s - 1 if spec.ceil_mode else 0)) for (a, b), s in zip(sides, stride)]
    fill = -np.inf if reduce == "max" else 0.0
    xp = _pad(x, grown, fill)
    view = _windows(xp, kernel, stride, dilation)  # (N, *O, C, *k)
    keep = tuple(slice(None) for _ in range(r))
    if spec.ceil_mode:  # drop windows that start in the right padding (a prefix is kept)
        keep = tuple(
            slice(0, int(np.count_nonzero(np.arange(view.shape[axis + 1]) * s < before + n)))
            for axis, (s, (before, _), n) in enumerate(zip(stride, sides, sizes))
        )
        view = view[(slice(None), *keep)]
    axes = tuple(range(-r, 0))
    if reduce == "max":
        return view.max(axis=axes)
    total = view.sum(axis=axes, dtype=x.dtype)
    counted = np.zeros(xp.shape[1:-1], dtype=x.dtype)
    if getattr(spec, "count_include_pad", True) and spec.padding.mode == "explicit":
        counted[tuple(slice(0, a + n + b) for (a, b), n in zip(sides, sizes))] = 1
    else:
        counted[tuple(slice(a, a + n) for (a, _), n in zip(sides, sizes))] = 1
    mask = _windows(counted[None, ..., None], kernel, stride, dilation)[(slice(None), *keep)]
    total /= mask.sum(axis=axes, dtype=x.dtype)
    return total


def _adaptive(spec: Any, x: np.ndarray, reduce: Any) -> np.ndarray:
    for axis, size in enumerate(spec.output_size, start=1):
        x = _adaptive_axis(x, axis, size, reduce)
    return x


def _global(spec: Any, x: np.ndarray, reduce: str) -> np.ndarray:
    axes = tuple(range(1, x.ndim - 1))
    if reduce == "max":
        return x.max(axis=axes, keepdims=spec.keepdims)
    return x.mean(axis=axes, keepdims=spec.keepdims, dtype=x.dtype)


def zeropad_nd(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    return _pad(x, list(spec.padding.pads()))


def upsample(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    """Any rank: the 2-D kernel for H×W maps; otherwise nearest or linear
    interpolation along each axis in turn (separable, as PyTorch's linear,
    bilinear and trilinear are)."""
    if x.ndim == 4:
        return _upsample2d(spec, p, x)
    sizes = x.shape[1:-1]
    r = len(sizes)
    given = spec.size if spec.size is not None else spec.scale
    each = (given[0],) * r if len(given) != r else tuple(given)
    for axis, size in enumerate(sizes, start=1):
        value = each[axis - 1]
        out = value if spec.size is not None else int(np.floor(size * value))
        scale = None if spec.size is not None else value
        if spec.mode == "nearest":
            x = np.take(x, _nearest_index(size, out, scale), axis=axis)
            continue
        i0, i1, lam = _linear_weights(size, out, scale, spec.align_corners)
        lam = lam.reshape((-1,) + (1,) * (x.ndim - axis - 1))
        x = np.take(x, i0, axis=axis) * (1 - lam) + np.take(x, i1, axis=axis) * lam
    return x


def _no_macs(f: Any) -> Any:
    return lambda spec, p, x: Computed(f(spec, p, x), 0)


ND_KERNELS = {
    **{f"conv{r}d": conv_nd for r in (1, 3)},
    **{f"conv_transpose{r}d": conv_transpose_nd for r in (1, 3)},
    **{f"maxpool{r}d": _no_macs(lambda s, p, x: _pool(s, x, "max")) for r in (1, 3)},
    **{f"avgpool{r}d": _no_macs(lambda s, p, x: _pool(s, x, "avg")) for r in (1, 3)},
    **{f"adaptive_avgpool{r}d": _no_macs(lambda s, p, x: _adaptive(s, x, np.mean)) for r in (1, 3)},
    **{f"adaptive_maxpool{r}d": _no_macs(lambda s, p, x: _adaptive(s, x, np.max)) for r in (1, 3)},
    **{f"global_avgpool{r}d": _no_macs(lambda s, p, x: _global(s, x, "avg")) for r in (1, 3)},
    **{f"global_maxpool{r}d": _no_macs(lambda s, p, x: _global(s, x, "max")) for r in (1, 3)},
    **{f"zeropad{r}d": _no_macs(zeropad_nd) for r in (1, 3)},
    **{f"batchnorm{r}d": _no_macs(_running) for r in (1, 3)},
    "upsample": _no_macs(upsample),
}
"""Kind → kernel for the 1-D and 3-D kinds (and ``upsample`` of any rank)."""

ND_PARAMS = {
    **{f"conv{r}d": _conv_params for r in (1, 3)},
    **{f"conv_transpose{r}d": _conv_params for r in (1, 3)},
    **{f"batchnorm{r}d": _batchnorm_params for r in (1, 3)},
}

_ = NO_PARAMS  # re-exported helpers stay imported for readers of this module
