"""Every layer kind as NumPy arrays: the weights it allocates and what it computes.

Arrays are channels-last with the batch axis first, ``(N, H, W, C)`` for a map
and ``(N, F)`` for a vector, float32 throughout. Weight layouts (Keras' order,
so a convolution is one matmul on a channels-last im2col)::

    conv2d            kernel (kh, kw, C_in / groups, filters), bias (filters,)
    conv_transpose2d  kernel (kh, kw, filters / groups, C_in), bias (filters,)
    dense             kernel (in_features, units), bias (units,)
    batchnorm2d       gamma, beta (C,) trained; running_mean, running_var (C,) state
    layernorm         gamma, beta (C,)
    groupnorm         gamma, beta (C,)
    instancenorm      gamma, beta (C,) if affine; running_mean, running_var (C,) state if tracked
    normalization     mean, variance (C,), count (1,), all state (Keras' adapted statistics)
    prelu             alpha: (1,), (C,) or the sample's shape, by ``per``
    scale             gamma (C,)

PyTorch's ``(filters, C_in / groups, kh, kw)`` is ``kernel.transpose(3, 2, 0, 1)``
and its transposed ``(C_in, filters / groups, kh, kw)`` is ``kernel.transpose(3, 2, 0, 1)``
as well.

Independence is the point of this module. Output sizes are never taken from
the layer specs' shape rules (``infer``, :class:`~convcalc.layers.window.Window`):
a kernel reads the spec's options (kernel, stride, padding, dilation, groups),
resolves ``same`` padding with its own TensorFlow rule, pads the array and
takes windows with ``sliding_window_view``; the output is whatever shape the
windows and the matmul produce. Weight shapes come from the actual input
array, so a wrong parameter formula cannot leak into the weights either.

Every kernel returns :class:`Computed`: its output and the multiply-accumulates
it performed, counted from the arrays it multiplied, never from a formula.
A GEMM ``(…, M, K) @ (K, N)`` counts M·N·K per product in the batch (the
output's size times K); the depthwise loop counts the size of each shifted
view it multiplies; a transposed convolution counts the multiplies of its
GEMM whose operand is a real input pixel (see :func:`conv_transpose2d`).
Pooling, normalisation, activations, resampling and merges count 0 — the
README's convention: their per-element multiplies are not MACs. A kernel
that multiplies and forgets to count reports 0, which ``--verify`` flags.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from math import floor, gcd
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["KERNELS", "Computed", "Kernel", "Params", "make_params", "run_kernel", "tf_same_padding"]

F32 = np.float32
KERAS_EPSILON = 1e-7
"""``keras.backend.epsilon()``: the floor of Keras Normalization's standard deviation."""


@dataclass(frozen=True, slots=True)
class Params:
    """The arrays one layer allocated, by name; ``state`` names the non-trained ones."""

    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    state: frozenset[str] = frozenset()
    """Stored but not trained (batch norm's running statistics)."""

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def get(self, name: str) -> np.ndarray | None:
        return self.arrays.get(name)

    @property
    def trainable(self) -> int:
        """Elements in trained arrays: the sum of their ``.size``."""
        return sum(a.size for k, a in self.arrays.items() if k not in self.state)

    @property
    def non_trainable(self) -> int:
        return sum(a.size for k, a in self.arrays.items() if k in self.state)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays.values())


NO_PARAMS = Params()


class Computed(NamedTuple):
    """What a kernel returns."""

    output: np.ndarray
    """The layer's output, batch axis first."""
    macs: int
    """Multiply-accumulates the kernel performed, over the whole batch."""


def _matmul(a: np.ndarray, b: np.ndarray) -> Computed:
    """``a @ b`` and its M·N·K: each output number is a dot product of K = ``a.shape[-1]``.

    >>> _matmul(np.ones((2, 3, 4), F32), np.ones((4, 5), F32)).macs   # 2·3 × 5 × 4
    120
    """
    out = np.matmul(a, b)
    return Computed(out, out.size * a.shape[-1])


# ------------------------------------------------------------------ weights
def _uniform(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    """U(−b, b) with b = √(3 / fan_in): unit-variance outputs for unit inputs."""
    bound = F32(np.sqrt(3.0 / max(fan_in, 1)))
    out = rng.random(shape, dtype=F32)
    out *= 2 * bound
    out -= bound
    return out


def _conv_params(spec: Any, shapes: tuple[tuple[int, ...], ...], rng: np.random.Generator) -> Params:
    c, f, g = shapes[0][-1], spec.filters, spec.groups
    kh, kw = spec.kernel
    if spec.kind == "conv2d":
        kernel = _uniform(rng, (kh, kw, c // g, f), kh * kw * (c // g))
    else:
        kernel = _uniform(rng, (kh, kw, f // g, c), kh * kw * (c // g))
    arrays = {"kernel": kernel}
    if spec.bias:
        arrays["bias"] = _uniform(rng, (f,), 1) * F32(0.1)
    return Params(arrays)


def _dense_params(spec: Any, shapes: tuple[tuple[int, ...], ...], rng: np.random.Generator) -> Params:
    n = shapes[0][-1]
    arrays = {"kernel": _uniform(rng, (n, spec.units), n)}
    if spec.bias:
        arrays["bias"] = _uniform(rng, (spec.units,), 1) * F32(0.1)
    return Params(arrays)


def _batchnorm_params(spec: Any, shapes: tuple[tuple[int, ...], ...], rng: np.random.Generator) -> Params:
    c = shapes[0][-1]
    arrays = {}
    # Keras' scale=False / center=False drop γ or β alone; PyTorch's affine=False both.
    if spec.affine and getattr(spec, "scale", True):
        arrays["gamma"] = rng.random(c, dtype=F32) + F32(0.5)
    if spec.affine and getattr(spec, "center", True):
        arrays["beta"] = (rng.random(c, dtype=F32) - F32(0.5)) * F32(0.2)
    arrays["running_mean"] = (rng.random(c, dtype=F32) - F32(0.5)) * F32(0.2)
    arrays["running_var"] = rng.random(c, dtype=F32) + F32(0.5)
    return Params(arrays, frozenset({"running_mean", "running_var"}))


def _affine_params(spec: Any, shapes: tuple[tuple[int, ...], ...], rng: np.random.Generator) -> Params:
    """γ and β per channel when ``spec.affine`` (layer and group norm)."""
    if not spec.affine:
        return NO_PARAMS
    c = shapes[0][-1]
    return Params({
        "gamma": rng.random(c, dtype=F32) + F32(0.5),
        "beta": (rng.random(c, dtype=F32) - F32(0.5)) * F32(0.2),
    })


def _instancenorm_params(spec: Any, shapes: tuple[tuple[int, ...], ...], rng: np.random.Generator) -> Params:
    arrays = dict(_affine_params(spec, shapes, rng).arrays)
    if not spec.track_running_stats:
        return Params(arrays)
    c = shapes[0][-1]
    arrays["running_mean"] = (rng.random(c, dtype=F32) - F32(0.5)) * F32(0.2)
    arrays["running_var"] = rng.random(c, dtype=F32) + F32(0.5)
    return Params(arrays, frozenset({"running_mean", "running_var"}))


def _normalization_params(spec: Any, shapes: tuple[tuple[int, ...], ...], rng: np.random.Generator) -> Params:
    c = shapes[0][-1]
    arrays = {
        "mean": (rng.random(c, dtype=F32) - F32(0.5)) * F32(0.2),
        "variance": rng.random(c, dtype=F32) + F32(0.5),
        "count": np.array([1000], dtype=F32),  # samples Keras' adapt() saw
    }
    return Params(arrays, frozenset(arrays))


def _prelu_params(spec: Any, shapes: tuple[tuple[int, ...], ...], rng: np.random.Generator) -> Params:
    sample = shapes[0][1:]
    shape = {"tensor": (1,), "channel": sample[-1:], "element": sample}[spec.per]
    return Params({"alpha": rng.random(shape, dtype=F32) * F32(0.5)})  # PyTorch starts at 0.25


def _scale_params(spec: Any, shapes: tuple[tuple[int, ...], ...], rng: np.random.Generator) -> Params:
    c = shapes[0][-1]
    return Params({"gamma": F32(spec.init) * (rng.random(c, dtype=F32) + F32(0.5))})


_PARAMS = {
    "conv2d": _conv_params,
    "conv_transpose2d": _conv_params,
    "dense": _dense_params,
    "batchnorm2d": _batchnorm_params,
    "layernorm": _affine_params,
    "groupnorm": _affine_params,
    "instancenorm": _instancenorm_params,
    "normalization": _normalization_params,
    "prelu": _prelu_params,
    "scale": _scale_params,
}


def make_params(spec: Any, shapes: tuple[tuple[int, ...], ...], rng: np.random.Generator) -> Params:
    """The layer's weights for inputs of ``shapes`` (batch axis included)."""
    build = _PARAMS.get(spec.kind)
    return build(spec, shapes, rng) if build else NO_PARAMS


# ------------------------------------------------------------------ padding and windows
def tf_same_padding(size: int, span: int, stride: int) -> tuple[int, int]:
    """TensorFlow's ``SAME`` padding of one axis, the extra pixel after.

    As TensorFlow's ``GetWindowedOutputSize`` writes it: the total is
    ``span − stride`` when the stride divides the size, else
    ``span − size mod stride``, never negative.

    >>> tf_same_padding(224, 7, 2)     # 224 mod 2 = 0: 7 − 2 = 5 → 2 + 3
    (2, 3)
    >>> tf_same_padding(5, 3, 2)       # 3 − 5 mod 2 = 2 → 1 + 1
    (1, 1)
    """
    total = max(span - (stride if size % stride == 0 else size % stride), 0)
    return total // 2, total - total // 2


def _pads(spec: Any, hw: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) for ``spec.padding`` on an input of ``hw``."""
    p = spec.padding
    if p.mode == "explicit":
        return p.top, p.bottom, p.left, p.right
    if p.mode == "valid":
        return 0, 0, 0, 0
    stride = getattr(spec, "strides", None) or spec.stride
    (top, bottom), (left, right) = (
        tf_same_padding(n, d * (k - 1) + 1, s)
        for n, k, s, d in zip(hw, spec.kernel, stride, dilation)
    )
    return top, bottom, left, right


def _pad(x: np.ndarray, top: int, bottom: int, left: int, right: int, value: float = 0.0) -> np.ndarray:
    """``x`` with ``value`` rows and columns added around H and W."""
    if not (top or bottom or left or right):
        return x
    n, h, w, c = x.shape
    out = np.empty((n, top + h + bottom, left + w + right, c), dtype=x.dtype)
    out[:, :top] = value
    out[:, top + h :] = value
    out[:, top : top + h, :left] = value
    out[:, top : top + h, left + w :] = value
    out[:, top : top + h, left : left + w] = x
    return out


def _windows(
    x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]
) -> np.ndarray:
    """Every window of a padded ``(N, H, W, C)`` array: ``(N, Ho, Wo, C, kh, kw)``, a view.

    Ho and Wo are simply how many strided windows fit.
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    spans = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    return sliding_window_view(x, spans, axis=(1, 2))[:, ::sh, ::sw, :, ::dh, ::dw]


def _im2col(
    x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]
) -> np.ndarray:
    """Windows copied into a contiguous ``(N, Ho, Wo, kh, kw·C)`` array.

    Without dilation along W, a window's row of kw pixels is kw·C contiguous
    numbers in the channels-last input, so the copy moves runs of kw·C floats
    (7·3 = 21 for the ResNet stem, 3·64 = 192 for a 3×3 conv over 64
    channels) rather than runs of C. For ResNet-50's layer1 3×3 convs the
    copy (56·56 × 576 floats, 7.2 MB) takes 0.14 ms against 2.2 ms for the
    matmul; one matmul over it beat nine shifted matmuls of K = 64.
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    n, h, w, c = x.shape
    if dw == 1:
        rows = x.reshape(n, h, w * c)
        view = sliding_window_view(rows, (dh * (kh - 1) + 1, kw * c), axis=(1, 2))
        return np.ascontiguousarray(view[:, ::sh, :: sw * c, ::dh, :])  # (N, Ho, Wo, kh, kw·C)
    view = _windows(x, kernel, stride, dilation)  # (N, Ho, Wo, C, kh, kw)
    out = np.empty((*view.shape[:3], kh, kw, c), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, :, i, j] = view[..., i, j]
    return out.reshape(*view.shape[:3], kh, kw * c)


# ------------------------------------------------------------------ convolution
def _correlate(x: np.ndarray, kernel: np.ndarray, stride, dilation, groups: int) -> Computed:
    """Cross-correlation of a padded ``x`` with ``kernel`` (kh, kw, C/g, F), no bias, and its MACs."""
    kh, kw, cg, f = kernel.shape
    c = x.shape[-1]
    if groups == 1:
        if (kh, kw) == (1, 1):
            cols = np.ascontiguousarray(x[:, :: stride[0], :: stride[1]])  # no copy at stride 1
        else:
            cols = _im2col(x, (kh, kw), stride, dilation)
        out, macs = _matmul(cols.reshape(-1, kh * kw * c), kernel.reshape(kh * kw * c, f))
        return Computed(out.reshape(*cols.shape[:3], f), macs)
    if cg == 1 and f == c:
        return _depthwise(x, kernel[:, :, 0, :], stride, dilation)
    # Grouped: one batched matmul, (G, M, kh·kw·C/g) @ (G, kh·kw·C/g, F/g).
    view = _windows(x, (kh, kw), stride, dilation)  # (N, Ho, Wo, C, kh, kw)
    lead = view.shape[:3]
    cols = view.reshape(*lead, groups, cg, kh, kw).transpose(3, 0, 1, 2, 5, 6, 4)
    cols = np.ascontiguousarray(cols).reshape(groups, -1, kh * kw * cg)
    w = kernel.reshape(kh, kw, cg, groups, f // groups).transpose(3, 0, 1, 2, 4)
    out, macs = _matmul(cols, w.reshape(groups, kh * kw * cg, f // groups))  # (G, M, F/g)
    return Computed(np.ascontiguousarray(out.transpose(1, 0, 2)).reshape(*lead, f), macs)


def _depthwise(x: np.ndarray, kernel: np.ndarray, stride, dilation) -> Computed:
    """One filter per channel: the sum over kh·kw shifted views times ``kernel[i, j]``.

    MACs: the size of every view multiplied, kh·kw × N·Ho·Wo·C.
    """
    kh, kw = kernel.shape[:2]
    view = _windows(x, (kh, kw), stride, dilation)  # (N, Ho, Wo, C, kh, kw)
    out = np.multiply(view[..., 0, 0], kernel[0, 0])
    macs = out.size
    tmp = np.empty_like(out)
    for i in range(kh):
        for j in range(kw):
            if i or j:
                np.multiply(view[..., i, j], kernel[i, j], out=tmp)
                out += tmp
                macs += tmp.size
    return Computed(out, macs)


def conv2d(spec: Any, p: Params, x: np.ndarray) -> Computed:
    dilation = spec.dilation
    x = _pad(x, *_pads(spec, x.shape[1:3], dilation))
    out, macs = _correlate(x, p["kernel"], spec.stride, dilation, spec.groups)
    if spec.bias:
        out += p["bias"]
    return Computed(out, macs)


def _transposed_pads(spec: Any, hw: tuple[int, int]) -> list[tuple[int, int, int]]:
    """(crop before, crop after, extra zeros after) per axis.

    Numeric padding crops the full output, ``output_padding`` extends it (as
    PyTorch). Keras' strings: ``same`` is the transpose of a ``SAME``
    convolution over an input of size·stride, so it crops that convolution's
    TensorFlow padding; ``valid`` crops nothing. Either extends by
    stride − span when the kernel is shorter than the stride.
    """
    p = spec.padding
    out = []
    for axis, size in enumerate(hw):
        k, s, d = spec.kernel[axis], spec.stride[axis], spec.dilation[axis]
        span = d * (k - 1) + 1
        if p.mode == "explicit":
            before, after = (p.top, p.bottom) if axis == 0 else (p.left, p.right)
            out.append((before, after, spec.output_padding[axis]))
        elif p.mode == "same":
            out.append((*tf_same_padding(size * s, span, s), max(s - span, 0)))
        else:
            out.append((0, 0, max(s - span, 0)))
    return out


def _real_taps(real: np.ndarray, positions: int, taps: int, dilation: int) -> int:
    """Along one axis: (output position, tap) pairs of a stride-1 correlation
    whose input is marked ``real`` — the sum over taps of the real cells each sees."""
    return sum(int(np.count_nonzero(real[t * dilation : t * dilation + positions])) for t in range(taps))


def conv_transpose2d(spec: Any, p: Params, x: np.ndarray) -> Computed:
    """Insert stride − 1 zeros between input pixels, pad by span − 1 (plus the
    extension after), correlate with the flipped kernel, then crop.

    MACs: the correlation's GEMM multiplies each of the fh·fw uncropped
    output pixels' kh·kw taps by (C/g)·F weights (times the batch), mostly on
    inserted or padded zeros. Counted are the multiplies whose input is a real
    pixel: the GEMM's count times the share of (pixel, tap) pairs landing on
    one, taken from where the input was actually placed. Each input pixel
    meets each tap exactly once in the uncropped output, so this is
    H·W·kh·kw·C·F/g per sample — convcalc's "input elements × filters/groups
    × kernel area", and what PyTorch's FlopCounterMode counts (as 2·MACs),
    cropped outputs included. The GEMM itself does fh·fw/(H·W) ≈ sh·sw
    times as many: 5×5 at stride 2, kernel 3, padding 1, output_padding 1
    (→ 10×10) correlates fh = fw = (5 − 1)·2 + 1 + 2 + 1 = 12 rows and
    columns, 144/25 = 5.76 times as many.
    """
    n, h, w, c = x.shape
    (sh, sw), (dh, dw), g = spec.stride, spec.dilation, spec.groups
    kernel = p["kernel"]  # (kh, kw, F/g, C)
    kh, kw, fg, _ = kernel.shape
    (tb, ta, th), (lb, la, lw) = _transposed_pads(spec, (h, w))
    eh, ew = dh * (kh - 1), dw * (kw - 1)  # span − 1
    z = np.zeros((n, (h - 1) * sh + 1 + 2 * eh + th, (w - 1) * sw + 1 + 2 * ew + lw, c), dtype=x.dtype)
    z[:, eh : eh + (h - 1) * sh + 1 : sh, ew : ew + (w - 1) * sw + 1 : sw] = x
    # As a convolution: weight[i, j, c_local, g·F/g + f] = kernel[kh−1−i, kw−1−j, f, g·C/g + c_local].
    flipped = kernel[::-1, ::-1].reshape(kh, kw, fg, g, c // g).transpose(0, 1, 4, 3, 2)
    flipped = np.ascontiguousarray(flipped).reshape(kh, kw, c // g, g * fg)
    full, gemm_macs = _correlate(z, flipped, (1, 1), (dh, dw), g)
    fh, fw = full.shape[1:3]
    real_h, real_w = np.zeros(z.shape[1], bool), np.zeros(z.shape[2], bool)
    real_h[eh : eh + (h - 1) * sh + 1 : sh] = True  # the rows and columns x was written to
    real_w[ew : ew + (w - 1) * sw + 1 : sw] = True
    per_pair = gemm_macs // (fh * fw * kh * kw)  # batch × (C/g)·F
    macs = per_pair * _real_taps(real_h, fh, kh, dh) * _real_taps(real_w, fw, kw, dw)
    out = np.ascontiguousarray(full[:, tb : full.shape[1] - ta, lb : full.shape[2] - la])
    if spec.bias:
        out += p["bias"]
    return Computed(out, macs)


# ------------------------------------------------------------------ pooling
def _pool(spec: Any, x: np.ndarray, reduce: str) -> np.ndarray:
    """Max or average over windows, PyTorch's ceil_mode and count_include_pad.

    With ``ceil_mode`` the input is padded by stride − 1 more on the right so a
    partial last window exists, and windows that start in that right padding
    (past the input and its left padding) are dropped, as PyTorch does. The
    average's divisor is the same windows summed over a mask of the cells it
    counts: the input, the padding if ``count_include_pad``, never the
    ceil_mode overhang (PyTorch), and never Keras ``same`` padding.
    """
    h, w = x.shape[1:3]
    kernel, stride = spec.kernel, spec.stride or spec.kernel
    dilation = getattr(spec, "dilation", (1, 1))
    top, bottom, left, right = _pads(spec, (h, w), dilation)
    extra_h, extra_w = (stride[0] - 1, stride[1] - 1) if spec.ceil_mode else (0, 0)
    fill = -np.inf if reduce == "max" else 0.0
    xp = _pad(x, top, bottom + extra_h, left, right + extra_w, fill)
    view = _windows(xp, kernel, stride, dilation)  # (N, Ho, Wo, C, kh, kw)
    if spec.ceil_mode:
        # Starts grow with the index, so the windows kept are a prefix.
        keep_h = np.count_nonzero(np.arange(view.shape[1]) * stride[0] < top + h)
        keep_w = np.count_nonzero(np.arange(view.shape[2]) * stride[1] < left + w)
        view = view[:, :keep_h, :keep_w]
    kh, kw = kernel
    op = np.maximum if reduce == "max" else np.add
    out = np.array(view[..., 0, 0], dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            if i or j:
                op(out, view[..., i, j], out=out)
    if reduce == "max":
        return out
    counted = np.zeros(xp.shape[1:3], dtype=x.dtype)
    if getattr(spec, "count_include_pad", True) and spec.padding.mode == "explicit":
        counted[: top + h + bottom, : left + w + right] = 1
    else:
        counted[top : top + h, left : left + w] = 1
    mask = _windows(counted[None, :, :, None], kernel, stride, dilation)
    if spec.ceil_mode:
        mask = mask[:, :keep_h, :keep_w]
    divisor = mask.sum(axis=(-2, -1), dtype=x.dtype)  # (1, Ho, Wo, 1)
    out /= divisor
    return out


def maxpool2d(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    return _pool(spec, x, "max")


def avgpool2d(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    return _pool(spec, x, "avg")


def _adaptive_axis(x: np.ndarray, axis: int, out: int, reduce: Callable) -> np.ndarray:
    """PyTorch's adaptive windows along one axis: [⌊i·in/out⌋, ⌈(i+1)·in/out⌉)."""
    size = x.shape[axis]
    parts = []
    for i in range(out):
        start, end = (i * size) // out, -(-(i + 1) * size // out)
        window = x[(slice(None),) * axis + (slice(start, end),)]
        parts.append(reduce(window, axis=axis, keepdims=True))
    return np.concatenate(parts, axis=axis)


def _adaptive(spec: Any, x: np.ndarray, reduce: Callable) -> np.ndarray:
    # A window is a product of an H interval and a W interval, so the mean (or
    # max) over it is the mean over W of the means over H.
    oh, ow = spec.output_size
    return _adaptive_axis(_adaptive_axis(x, 1, oh, reduce), 2, ow, reduce)


def adaptive_avgpool2d(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    return _adaptive(spec, x, np.mean)


def adaptive_maxpool2d(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    return _adaptive(spec, x, np.max)


def global_avgpool2d(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    return x.mean(axis=(1, 2), keepdims=spec.keepdims, dtype=x.dtype)


def global_maxpool2d(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    return x.max(axis=(1, 2), keepdims=spec.keepdims)


# ------------------------------------------------------------------ normalisation, dense
def _running(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    """Inference with stored statistics: (x − running_mean) / √(running_var + ε)·γ + β,
    as x·scale + shift."""
    scale = (1.0 / np.sqrt(p["running_var"] + F32(spec.eps))).astype(F32)
    if p.get("gamma") is not None:
        scale *= p["gamma"]
    shift = -p["running_mean"] * scale
    if p.get("beta") is not None:
        shift += p["beta"]
    out = np.multiply(x, scale)
    out += shift
    return out


def batchnorm2d(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    return _running(spec, p, x)


def _standardise(spec: Any, p: Params, x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """(x − mean) / √(var + ε) over ``axes`` (biased variance, as PyTorch), then γ, β."""
    centred = x - x.mean(axis=axes, keepdims=True)
    var = np.mean(np.square(centred), axis=axes, keepdims=True)
    centred /= np.sqrt(var + F32(spec.eps))
    return centred


def _affine(spec: Any, p: Params, out: np.ndarray) -> np.ndarray:
    if spec.affine:
        out *= p["gamma"]
        out += p["beta"]
    return out


def layernorm(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    return _affine(spec, p, _standardise(spec, p, x, (-1,)))


def groupnorm(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    """Channels cut into ``groups`` runs of C/g (PyTorch's order), each
    standardised over all positions of the sample and its C/g channels."""
    n, c, g = x.shape[0], x.shape[-1], spec.groups
    grouped = x.reshape(n, -1, g, c // g)  # (N, positions, G, C/g)
    out = _standardise(spec, p, grouped, (1, 3)).reshape(x.shape)
    return _affine(spec, p, out)


def instancenorm(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    """Each channel of each sample over its H·W positions; with tracked
    statistics, inference uses the running ones instead (PyTorch's eval mode)."""
    if spec.track_running_stats:
        return _running(spec, p, x)
    return _affine(spec, p, _standardise(spec, p, x, (1, 2)))


def normalization(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    """Keras: (x − mean) / max(√variance, ε)."""
    out = x - p["mean"]
    out /= np.maximum(np.sqrt(p["variance"]), F32(KERAS_EPSILON))
    return out


def dense(spec: Any, p: Params, x: np.ndarray) -> Computed:
    out, macs = _matmul(x, p["kernel"])  # a map: (N, H, W, C) @ (C, units), M = N·H·W
    if spec.bias:
        out += p["bias"]
    return Computed(out, macs)


def flatten(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[0], -1)


def reshape(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    """The sample's numbers in channels-last order, refolded; NumPy resolves a −1."""
    return x.reshape(x.shape[0], *spec.shape)


def identity(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    return x  # also dropout and drop_path: identity at inference


# ------------------------------------------------------------------ activations
def _erf(x: np.ndarray) -> np.ndarray:
    """erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, below float32's step)."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + F32(0.3275911) * a)
    poly = t * (F32(0.254829592) + t * (F32(-0.284496736) + t * (F32(1.421413741)
           + t * (F32(-1.453152027) + t * F32(1.061405429)))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # ½·(1 + tanh(x/2)) never overflows, unlike 1 / (1 + exp(−x)) for x ≪ 0.
    out = np.tanh(x * F32(0.5))
    out += 1
    out *= F32(0.5)
    return out


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e


def _rows(x: np.ndarray) -> tuple[np.ndarray, int]:
    """``x`` viewed as rows of ``k`` numbers, ``k`` the largest power of two ≤ 1024 dividing its size.

    ``np.maximum(x, 0)`` takes no SIMD path against a scalar; against a
    zero row of a thousand numbers it does: ReLU of 112×112×64 falls from
    0.27 ms to 0.12 ms.
    """
    k = gcd(x.size, 1024)
    return x.reshape(-1, k), k


_ZEROS = np.zeros(1024, dtype=F32)


def _relu(x: np.ndarray) -> np.ndarray:
    rows, k = _rows(x)
    if k < 64:  # short rows gain nothing
        return np.maximum(x, F32(0))
    return np.maximum(rows, _ZEROS[:k]).reshape(x.shape)


def _softplus(x: np.ndarray, beta: float = 1.0, threshold: float | None = None) -> np.ndarray:
    """log(1 + exp(β·x)) / β, without overflow; x itself where β·x > threshold (PyTorch)."""
    bx = x * F32(beta)
    linear = bx > F32(threshold) if threshold is not None else None
    np.logaddexp(F32(0), bx, out=bx)
    if beta != 1:
        bx /= F32(beta)
    return bx if linear is None else np.where(linear, x, bx)


def _mish(x: np.ndarray) -> np.ndarray:
    out = _softplus(x)
    np.tanh(out, out=out)
    out *= x
    return out


def _elu(x: np.ndarray, alpha: float) -> np.ndarray:
    negative = np.minimum(x, F32(0))
    np.expm1(negative, out=negative)
    negative *= F32(alpha)
    return np.where(x > 0, x, negative)


def _rescale(x: np.ndarray, scale: float, offset: float) -> np.ndarray:
    out = x * F32(scale)
    out += F32(offset)
    return out


_ACTIVATIONS: dict[str, Callable[[Any, np.ndarray], np.ndarray]] = {
    "relu": lambda s, x: _relu(x),
    "relu6": lambda s, x: np.clip(x, F32(0), F32(6)),
    "sigmoid": lambda s, x: _sigmoid(x),
    "tanh": lambda s, x: np.tanh(x),
    "gelu": lambda s, x: F32(0.5) * x * (1 + _erf(x * F32(1 / np.sqrt(2)))),
    "silu": lambda s, x: x * _sigmoid(x),
    "hardswish": lambda s, x: x * np.clip(x + F32(3), F32(0), F32(6)) / F32(6),
    "hardsigmoid": lambda s, x: np.clip(x + F32(3), F32(0), F32(6)) / F32(6),
    "softmax": lambda s, x: _softmax(x),
    "leaky_relu": lambda s, x: np.where(x > 0, x, x * F32(s.negative_slope)),
    "mish": lambda s, x: _mish(x),
    "elu": lambda s, x: _elu(x, s.alpha),
    "softplus": lambda s, x: _softplus(x, s.beta, s.threshold),
    "rescaling": lambda s, x: _rescale(x, s.scale, s.offset),
}


def prelu(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    """x if x > 0 else α·x; α broadcasts from the right: one, per channel, per element."""
    return np.where(x > 0, x, x * p["alpha"])


def scale(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    """x·γ per channel (the last axis)."""
    return x * p["gamma"]



# ------------------------------------------------------------------ resampling
def zeropad2d(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    q = spec.padding
    return _pad(x, q.top, q.bottom, q.left, q.right)


def _resized(size: int, spec: Any, axis: int) -> int:
    """The output length PyTorch's ``interpolate`` gives: ``size``, or ⌊in·scale⌋."""
    if spec.size is not None:
        return spec.size[axis]
    return floor(size * spec.scale[axis])


def _nearest_index(size: int, out: int, scale: float | None) -> np.ndarray:
    """PyTorch's 'nearest': src = min(⌊dst·s⌋, in − 1), s = 1/scale or in/out, in float32.

    As PyTorch (``nearest_idx``), an output of exactly the input's length or
    twice it maps dst → dst or dst // 2 whatever the scale: scale 2.3 on 2
    pixels gives 4, read from [0, 0, 1, 1] and not ⌊dst/2.3⌋ = [0, 0, 0, 1].
    """
    if out in (size, 2 * size):
        return np.arange(out) // (out // size)
    s = F32(1.0 / scale) if scale is not None else F32(size) / F32(out)
    return np.minimum(np.floor(np.arange(out, dtype=F32) * s).astype(np.intp), size - 1)


def _linear_weights(size: int, out: int, scale: float | None, align_corners: bool):
    """Source indices i0, i1 and weight of i1 per output pixel (PyTorch, float32)."""
    dst = np.arange(out, dtype=F32)
    if align_corners:
        s = F32((size - 1) / (out - 1)) if out > 1 else F32(0)
        src = dst * s
    else:
        s = F32(1.0 / scale) if scale is not None else F32(size) / F32(out)
        src = np.maximum(s * (dst + F32(0.5)) - F32(0.5), F32(0))
    i0 = src.astype(np.intp)  # src ≥ 0, so truncation is floor
    lam = (src - i0).astype(F32)
    i1 = np.minimum(i0 + 1, size - 1)
    return i0, i1, lam


def upsample(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    h, w = x.shape[1:3]
    oh, ow = _resized(h, spec, 0), _resized(w, spec, 1)
    sh, sw = spec.scale if spec.scale is not None else (None, None)
    if spec.mode == "nearest":
        ih, iw = _nearest_index(h, oh, sh), _nearest_index(w, ow, sw)
        return x[:, ih][:, :, iw]
    h0, h1, lh = _linear_weights(h, oh, sh, spec.align_corners)
    w0, w1, lw = _linear_weights(w, ow, sw, spec.align_corners)
    lh, lw = lh[:, None, None], lw[:, None]
    rows = x[:, h0] * (1 - lh) + x[:, h1] * lh  # (N, oh, W, C)
    return rows[:, :, w0] * (1 - lw) + rows[:, :, w1] * lw


def pixel_shuffle(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    """(N, H, W, C·r²) → (N, H·r, W·r, C), PyTorch's order: output channel c at
    sub-pixel (i, j) is input channel c·r² + i·r + j."""
    n, h, w, cr2 = x.shape
    r = spec.factor
    blocks = x.reshape(n, h, w, cr2 // (r * r), r, r)  # (N, H, W, C, i, j)
    return np.ascontiguousarray(blocks.transpose(0, 1, 4, 2, 5, 3)).reshape(n, h * r, w * r, -1)


def pixel_unshuffle(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    """The inverse: (N, H·r, W·r, C) → (N, H, W, C·r²), channel c·r² + i·r + j."""
    n, hr, wr, c = x.shape
    r = spec.factor
    cells = x.reshape(n, hr // r, r, wr // r, r, c)  # (N, H, i, W, j, C)
    return np.ascontiguousarray(cells.transpose(0, 1, 3, 5, 2, 4)).reshape(n, hr // r, wr // r, -1)


def _channels(x: np.ndarray, start: int, stop: int | None) -> np.ndarray:
    """A copy of channels start … stop − 1, so the input it came from can be freed."""
    return np.ascontiguousarray(x[..., start:stop])


def slice_(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    """Channels start … stop − 1, or equal chunk ``chunk`` of ``chunks`` (NumPy's
    split refuses channels the chunks do not divide)."""
    if spec.chunks is not None:
        return np.ascontiguousarray(np.split(x, spec.chunks, axis=-1)[spec.chunk])
    return _channels(x, spec.start, spec.stop)


def split(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    """The last part (what the next layer reads); the file loader makes one
    ``slice`` per part for the others."""
    cuts = spec.parts if spec.parts is not None else np.cumsum(spec.sizes[:-1])
    return np.ascontiguousarray(np.split(x, cuts, axis=-1)[-1])


def channel_shuffle(spec: Any, p: Params, x: np.ndarray) -> np.ndarray:
    """C as (groups, C/groups), transposed: PyTorch's order, channels last."""
    g = spec.groups
    lead, c = x.shape[:-1], x.shape[-1]
    return np.ascontiguousarray(x.reshape(*lead, g, c // g).swapaxes(-1, -2)).reshape(*lead, c)


# ------------------------------------------------------------------ merging
def _aligned(arrays: tuple[np.ndarray, ...]) -> list[np.ndarray]:
    """Give lower-rank inputs size-1 axes after the batch axis, so NumPy aligns
    the per-sample shapes from the right (56×56×64 with 64 → 1×1×64)."""
    rank = max(a.ndim for a in arrays)
    return [a.reshape(a.shape[0], *(1,) * (rank - a.ndim), *a.shape[1:]) for a in arrays]


def _fold(op: np.ufunc, xs: tuple[np.ndarray, ...]) -> np.ndarray:
    """``op`` over all inputs, left to right, broadcasting; in place once the
    running result has the final shape."""
    first, second, *rest = _aligned(xs)
    out = op(first, second)
    for other in rest:
        grown = np.broadcast_shapes(out.shape, other.shape) != out.shape
        out = op(out, other) if grown else op(out, other, out=out)
    return out


def add(spec: Any, p: Params, *xs: np.ndarray) -> np.ndarray:
    return _fold(np.add, xs)


def multiply(spec: Any, p: Params, *xs: np.ndarray) -> np.ndarray:
    return _fold(np.multiply, xs)


def concat(spec: Any, p: Params, *xs: np.ndarray) -> np.ndarray:
    return np.concatenate(xs, axis=-1)


Kernel = Callable[..., Computed]
"""``kernel(spec, params, *inputs) -> Computed(output, macs)``."""


def _no_macs(kernel: Callable[..., np.ndarray]) -> Kernel:
    """A kernel whose work is 0 MACs by convcalc's convention (README,
    Conventions: only convolutions and dense count), reporting that."""

    @wraps(kernel)
    def counted(spec: Any, p: Params, *xs: np.ndarray) -> Computed:
        return Computed(kernel(spec, p, *xs), 0)

    return counted


def _elementwise(f: Callable[[Any, np.ndarray], np.ndarray]) -> Kernel:
    return lambda spec, p, x: Computed(f(spec, x), 0)


KERNELS: dict[str, Kernel] = {
    "conv2d": conv2d,
    "conv_transpose2d": conv_transpose2d,
    "dense": dense,
    **{kernel.__name__: _no_macs(kernel) for kernel in (
        maxpool2d, avgpool2d, adaptive_avgpool2d, adaptive_maxpool2d, global_avgpool2d,
        global_maxpool2d, zeropad2d, batchnorm2d, layernorm, groupnorm, instancenorm, normalization,
        flatten, reshape, identity, upsample, channel_shuffle, pixel_shuffle, pixel_unshuffle, split,
        prelu, scale, add, multiply, concat,
    )},
    "slice": _no_macs(slice_),
    "dropout": _no_macs(identity),
    "drop_path": _no_macs(identity),
    **{kind: _elementwise(f) for kind, f in _ACTIVATIONS.items()},
}
"""Layer kind → its NumPy implementation; every kind in :data:`convcalc.layers.KINDS`."""


def run_kernel(spec: Any, params: Params, *inputs: np.ndarray) -> Computed:
    """Apply one layer to arrays (batch axis first): its output and MACs."""
    return KERNELS[spec.kind](spec, params, *inputs)


# The 1-D and 3-D kinds, written once for any number of spatial axes, and
# upsample of any rank (issue 14); kept in their own module.
from .kernels_nd import ND_KERNELS, ND_PARAMS  # noqa: E402

KERNELS.update(ND_KERNELS)
_PARAMS.update(ND_PARAMS)
