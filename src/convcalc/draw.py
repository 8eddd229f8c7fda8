"""The sliding-window picture every convolution tutorial draws, as data.

For a layer that slides a window (convolution, pooling) over an input small
enough to show, :func:`window_picture` lays out the padded input grid: which
cells are padding, which input cells some window reads, which input cells no
window reads (lost to rounding, or skipped by a stride larger than the
window), and where the first windows sit. Rendering (terminal text, SVG)
lives in :mod:`convcalc.render_draw`; this module only computes.

``5×5`` input, kernel 3, stride 2, padding 1: a 7×7 padded grid, windows at
rows and columns 0, 2, 4, a 3×3 output — (5 + 2·1 − 3) / 2 + 1 = 3. A 1-D
layer (``conv1d`` over L×C) is the same picture one row high.

>>> from convcalc.layers import make_layer
>>> p = window_picture(make_layer("conv2d", {"filters": 2, "kernel": 3, "stride": 2, "padding": 1}), Shape.of(5, 5, 3))
>>> p.padded, p.output, [f.top for f in p.frames]
((7, 7), (3, 3), [0, 0, 0])
>>> p.grid[0], p.grid[1]
('ppppppp', 'piiiiip')
"""

from __future__ import annotations

from typing import NamedTuple

from .errors import InputError
from .layers import LayerSpec, apply
from .layers.window import Window
from .shapes import Shape

__all__ = ["MAX_CELLS", "Frame", "WindowPicture", "window_picture"]

MAX_CELLS = 32
"""Largest padded side drawn; past it the picture no longer fits a terminal."""

PAD, READ, UNREAD = "p", "i", "x"
"""Cell kinds in :attr:`WindowPicture.grid`."""


class Frame(NamedTuple):
    """One window: the output cell it makes and the padded cells it reads."""

    out_row: int
    out_col: int
    top: int
    """Padded row of its first tap."""
    left: int
    taps_h: tuple[int, ...]
    """Padded rows it reads (dilation spreads them)."""
    taps_w: tuple[int, ...]


class WindowPicture(NamedTuple):
    """The padded grid, the first windows and the output size (a 1-D layer's
    as one row: H is 1, W is L)."""

    kind: str
    rank: int
    """Spatial axes of the layer's input: 2, or 1 for an L×C map."""
    input: tuple[int, int]
    """Input H and W."""
    padding: tuple[int, int, int, int]
    """Rows and columns added: top, bottom, left, right."""
    padded: tuple[int, int]
    output: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    grid: tuple[str, ...]
    """One string per padded row, one letter per cell: ``p`` padding, ``i``
    input read by some window, ``x`` input read by none."""
    frames: tuple[Frame, ...]
    """The first windows: along the first output row, then down the first
    output column, at most ``limit`` in all."""


def _taps(w: Window, o: int) -> tuple[int, ...]:
    start = o * w.stride
    return tuple(start + t * w.dilation for t in range(w.kernel))


def window_picture(spec: LayerSpec, x: Shape, limit: int = 3) -> WindowPicture:
    """The picture of ``spec`` sliding over ``x``; refuses kinds without a
    window and inputs too large to draw."""
    windows = getattr(spec, "windows", None)
    if windows is None:
        raise InputError(
            f"--draw shows a sliding window, and {spec.kind} has none; "
            "use it with conv2d, maxpool2d or avgpool2d"
        )
    rank = x.spatial_rank
    if rank not in (1, 2):
        raise InputError(
            f"--draw shows a window sliding over a line or an H×W grid; {spec.kind} on {x.describe()} has "
            f"{rank or 'no'} spatial ax{'e' if rank != 1 else 'i'}s; use --explain for its arithmetic"
        )
    result = apply(spec, x)
    if rank == 1:  # one row: a window that neither slides nor pads along H
        (ww,), wh = windows(x), Window("H", 1, 1, 1, 0, 0)
        if ww.padded > MAX_CELLS:
            raise InputError(
                f"--draw fits padded inputs up to {MAX_CELLS}; this one is {ww.padded}; "
                f"try a smaller input such as 12x{x.channels}"
            )
    else:
        wh, ww = windows(x)
        if max(wh.padded, ww.padded) > MAX_CELLS:
            raise InputError(
                f"--draw fits padded inputs up to {MAX_CELLS}×{MAX_CELLS}; this one is "
                f"{wh.padded}×{ww.padded}; try a smaller input such as 7x7x{x.channels}"
            )
    oh, ow = (1, *result.output.spatial) if rank == 1 else result.output.hw
    # With ceil_mode a last window may overhang the padded input: its taps
    # past the end read nothing (PyTorch ignores them).
    read_h = {t for o in range(oh) for t in _taps(wh, o) if t < wh.padded}
    read_w = {t for o in range(ow) for t in _taps(ww, o) if t < ww.padded}
    grid = []
    for r in range(wh.padded):
        row = []
        for c in range(ww.padded):
            inside = wh.pad_before <= r < wh.pad_before + wh.size and ww.pad_before <= c < ww.pad_before + ww.size
            row.append(PAD if not inside else READ if r in read_h and c in read_w else UNREAD)
        grid.append("".join(row))
    spots = [(0, j) for j in range(min(ow, limit))]
    spots += [(i, 0) for i in range(1, oh) if len(spots) < limit]
    frames = tuple(
        Frame(i, j, i * wh.stride, j * ww.stride, _taps(wh, i), _taps(ww, j)) for i, j in spots
    )
    return WindowPicture(
        spec.kind,
        rank,
        (wh.size, ww.size),
        (wh.pad_before, wh.pad_after, ww.pad_before, ww.pad_after),
        (wh.padded, ww.padded),
        (oh, ow),
        (wh.kernel, ww.kernel),
        (wh.stride, ww.stride),
        (wh.dilation, ww.dilation),
        tuple(grid),
        frames,
    )
