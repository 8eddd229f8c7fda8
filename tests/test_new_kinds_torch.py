"""The new kinds against PyTorch itself: shapes, parameters, buffers and validity.

Skipped where torch is not installed. Channels-last convcalc shapes are
turned into N×C×H×W tensors for torch, and back.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from convcalc.errors import ConvCalcError  # noqa: E402
from convcalc.layers import apply, make_layer  # noqa: E402
from convcalc.shapes import Shape  # noqa: E402

small = st.integers(1, 9)
channels = st.integers(1, 48)
SETTINGS = settings(max_examples=60, deadline=None)


def _ours(kind: str, options: dict, dims: tuple[int, ...]):
    """convcalc's result, or None where convcalc refuses the layer."""
    try:
        return apply(make_layer(kind, options), Shape(dims))
    except ConvCalcError:
        return None


def _counts(module) -> tuple[int, int]:
    trained = sum(p.numel() for p in module.parameters())
    stored = sum(b.numel() for n, b in module.named_buffers() if not n.endswith("num_batches_tracked"))
    return trained, stored


def _nchw(h: int, w: int, c: int):
    return torch.zeros(1, c, h, w)


@SETTINGS
@given(small, small, channels, st.integers(1, 16), st.booleans())
def test_groupnorm(h: int, w: int, c: int, groups: int, affine: bool) -> None:
    ours = _ours("groupnorm", {"groups": groups, "affine": affine}, (h, w, c))
    try:
        module = torch.nn.GroupNorm(groups, c, affine=affine)
        module(torch.zeros(2, c, h, w))  # batch 2: torch refuses one value per group
    except (ValueError, RuntimeError):
        assert ours is None
        return
    assert ours is not None and (ours.trainable, ours.non_trainable) == _counts(module)


@SETTINGS
@given(small, small, channels, st.booleans(), st.booleans())
def test_instancenorm(h: int, w: int, c: int, affine: bool, track: bool) -> None:
    ours = _ours("instancenorm", {"affine": affine, "track_running_stats": track}, (h, w, c))
    module = torch.nn.InstanceNorm2d(c, affine=affine, track_running_stats=track)
    assert ours is not None and (ours.trainable, ours.non_trainable) == _counts(module)


@SETTINGS
@given(small, small, channels, st.sampled_from(["tensor", "channel"]))
def test_prelu(h: int, w: int, c: int, per: str) -> None:
    ours = _ours("prelu", {"per": per}, (h, w, c))
    module = torch.nn.PReLU(num_parameters=1 if per == "tensor" else c)
    out = module(_nchw(h, w, c))
    assert ours is not None and ours.trainable == _counts(module)[0]
    assert ours.output.dims == (out.shape[2], out.shape[3], out.shape[1])


@SETTINGS
@given(small, small, channels, st.integers(1, 4))
def test_pixel_shuffle(h: int, w: int, c: int, r: int) -> None:
    ours = _ours("pixel_shuffle", {"factor": r}, (h, w, c))
    try:
        out = torch.nn.PixelShuffle(r)(_nchw(h, w, c))
    except RuntimeError:
        assert ours is None
        return
    assert ours is not None and ours.output.dims == (out.shape[2], out.shape[3], out.shape[1])


@SETTINGS
@given(st.integers(1, 16), st.integers(1, 16), channels, st.integers(1, 4))
def test_pixel_unshuffle(h: int, w: int, c: int, r: int) -> None:
    ours = _ours("pixel_unshuffle", {"factor": r}, (h, w, c))
    try:
        out = torch.nn.PixelUnshuffle(r)(_nchw(h, w, c))
    except RuntimeError:
        assert ours is None
        return
    assert ours is not None and ours.output.dims == (out.shape[2], out.shape[3], out.shape[1])


@SETTINGS
@given(small, channels, st.lists(st.integers(1, 20), min_size=2, max_size=4))
def test_split_sizes(h: int, c: int, sizes: list[int]) -> None:
    ours = _ours("split", {"sizes": sizes}, (h, h, c))
    try:
        parts = torch.split(_nchw(h, h, c), sizes, dim=1)
    except RuntimeError:
        assert ours is None
        return
    assert ours is not None and ours.output.channels == parts[-1].shape[1]


@SETTINGS
@given(small, channels, st.integers(2, 6))
def test_chunk_where_it_divides(h: int, c: int, parts: int) -> None:
    """convcalc asks for equal parts; where torch.chunk's parts are all equal, they agree."""
    ours = _ours("split", {"parts": parts}, (h, h, c))
    pieces = torch.chunk(_nchw(h, h, c), parts, dim=1)
    equal = len(pieces) == parts and len({p.shape[1] for p in pieces}) == 1
    assert (ours is not None) == equal
    if equal:
        assert ours.output.channels == pieces[-1].shape[1]


@SETTINGS
@given(small, channels, st.integers(0, 50), st.integers(1, 50))
def test_slice_within_range(h: int, c: int, start: int, stop: int) -> None:
    ours = _ours("slice", {"start": start, "stop": stop}, (h, h, c))
    torch_size = _nchw(h, h, c)[:, start:stop].shape[1]
    if start < stop <= c:
        assert ours is not None and ours.output.channels == torch_size
    else:
        assert ours is None  # torch clamps or gives an empty slice; convcalc refuses both


@SETTINGS
@given(st.lists(st.integers(1, 6), min_size=1, max_size=3), st.lists(st.integers(1, 6), min_size=1, max_size=3), st.booleans())
def test_reshape(source: list[int], target: list[int], infer: bool) -> None:
    if len(target) == 2 or len(source) == 2:
        return  # rank-2 shapes are not convcalc shapes
    goal = [-1, *target[1:]] if infer else target
    ours = _ours("reshape", {"shape": goal}, tuple(source))
    try:
        out = torch.zeros(1, *source).reshape(1, *goal)
    except RuntimeError:
        assert ours is None
        return
    assert ours is not None and ours.output.dims == tuple(out.shape[1:])
