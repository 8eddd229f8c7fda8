"""The kinds added for modern networks: figures and refusals, table-driven.

Figures come from the frameworks' definitions (PyTorch's module parameter
counts, written out per case), refusals pin their sentence. The torch
property tests in ``test_new_kinds_torch.py`` check the same rules against
torch itself where it is installed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from typer.testing import CliRunner

from convcalc.cli import app
from convcalc.errors import ConvCalcError
from convcalc.layers import apply, make_layer
from convcalc.loader import LoadError, parse_model
from convcalc.model import analyse
from convcalc.shapes import Shape

# (id, kind, options, input, output, trainable, non-trainable)
FIGURES = [
    # nn.GroupNorm(32, 256): weight and bias of 256 each
    ("groupnorm", "groupnorm", {"groups": 32}, (56, 56, 256), (56, 56, 256), 512, 0),
    # nn.InstanceNorm2d(64) has no parameters and no buffers by default
    ("instancenorm-default", "instancenorm", {}, (32, 32, 64), (32, 32, 64), 0, 0),
    ("instancenorm-affine-tracked", "instancenorm", {"affine": True, "track_running_stats": True}, (32, 32, 64), (32, 32, 64), 128, 128),
    # nn.PReLU() has one weight; nn.PReLU(64) 64; Keras PReLU() one per element
    ("prelu-tensor", "prelu", {}, (8, 8, 64), (8, 8, 64), 1, 0),
    ("prelu-channel", "prelu", {"per": "channel"}, (8, 8, 64), (8, 8, 64), 64, 0),
    ("prelu-element", "prelu", {"per": "element"}, (8, 8, 64), (8, 8, 64), 4096, 0),
    # ConvNeXt's layer scale: gamma of shape (C,)
    ("scale", "scale", {"init": 1e-6}, (56, 56, 96), (56, 56, 96), 96, 0),
    # Keras Normalization on RGB: mean (3), variance (3), count ()
    ("normalization", "normalization", {}, (224, 224, 3), (224, 224, 3), 0, 7),
    # ... but with mean and variance given in the layer, Keras 3 makes no weights (EfficientNetV2's preprocessing)
    ("normalization-given", "normalization", {"mean": [0.485, 0.456, 0.406], "variance": [0.052, 0.05, 0.051]}, (224, 224, 3), (224, 224, 3), 0, 0),
    # Keras BatchNormalization(scale=False), as InceptionV3 uses it: β only, and the running statistics
    ("batchnorm-keras-scale-false", "batchnorm2d", {"scale": False}, (35, 35, 64), (35, 35, 64), 64, 128),
    ("batchnorm-eps", "batchnorm2d", {"eps": 0.001, "momentum": 0.01}, (28, 28, 192), (28, 28, 192), 384, 384),
    ("pixel_shuffle", "pixel_shuffle", {"factor": 3}, (10, 12, 18), (30, 36, 2), 0, 0),
    ("pixel_unshuffle", "pixel_unshuffle", {"factor": 2}, (10, 12, 3), (5, 6, 12), 0, 0),
    ("slice", "slice", {"start": 4, "stop": 10}, (7, 7, 16), (7, 7, 6), 0, 0),
    ("slice-chunk", "slice", {"chunk": 1, "chunks": 4}, (7, 7, 16), (7, 7, 4), 0, 0),
    ("split-last-part", "split", {"sizes": [10, 6]}, (7, 7, 16), (7, 7, 6), 0, 0),
    ("reshape", "reshape", {"shape": [1, 1, -1]}, (960,), (1, 1, 960), 0, 0),
    ("drop_path", "drop_path", {"rate": 0.2}, (14, 14, 384), (14, 14, 384), 0, 0),
    ("identity", "identity", {}, (3,), (3,), 0, 0),
    ("mish", "mish", {}, (4, 4, 4), (4, 4, 4), 0, 0),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "options", "given", "output", "trainable", "frozen"), [f[1:] for f in FIGURES], ids=[f[0] for f in FIGURES])
def test_figures(kind: str, options: dict[str, Any], given: tuple[int, ...], output: tuple[int, ...], trainable: int, frozen: int) -> None:
    result = apply(make_layer(kind, options), Shape(given))
    assert (result.output.dims, result.trainable, result.non_trainable, result.macs) == (output, trainable, frozen, 0)


# (id, kind, options, input, the sentence)
REFUSED = [
    ("split-not-dividing", "split", {"parts": 3}, (28, 28, 116),
     "cannot cut 116 channels into 3 equal parts; use a number of parts that divides 116 (2, 4, 29, 58, 116), or give sizes"),
    ("split-sizes-sum", "split", {"sizes": [58, 50]}, (28, 28, 116),
     "the split's sizes add up to 108 channels but its input has 116; make the sizes add up to 116"),
    ("slice-past-end", "slice", {"start": 100, "stop": 130}, (28, 28, 116), "stop 130 is past the 116 channels; use at most 116"),
    ("slice-start-past-end", "slice", {"start": 116}, (28, 28, 116), "start 116 is past the 116 channels; use at most 115"),
    ("scale-wrong-size", "scale", {"channels": 384}, (768,),
     "scale was made for 384 channels but gets a vector of 768 features; set channels to 768 or feed it 384 channels"),
    ("pixel_shuffle-channels", "pixel_shuffle", {"factor": 2}, (8, 8, 18),
     "pixel_shuffle needs channels divisible by r² = 2² = 4, got 18; use a multiple of 4 channels"),
    ("pixel_unshuffle-height", "pixel_unshuffle", {"factor": 2}, (7, 8, 3), "pixel_unshuffle needs H divisible by the factor 2, got H=7"),
    ("groupnorm-groups", "groupnorm", {"groups": 4}, (8, 8, 18), "groupnorm: groups=4 does not divide the 18 channels; use a divisor of 18"),
    ("reshape-size", "reshape", {"shape": [2, 2, 10]}, (30,),
     "reshape cannot fit a vector of 30 features (30 numbers) into [2, 2, 10] (40 numbers); the sizes must match"),
    ("instancenorm-vector", "instancenorm", {}, (64,), "instancenorm needs an H×W×C feature map, got a vector of 64 features"),
]  # fmt: skip

REFUSED_OPTIONS = [
    ("split-neither", "split", {}, "split needs exactly one of 'parts' and 'sizes'"),
    ("split-one-part", "split", {"parts": 1}, "parts must be at least 2 (got 1)"),
    ("slice-chunk-range", "slice", {"chunk": 2, "chunks": 2}, "chunk 2 is not one of the 2 chunks; use 0 to 1"),
    ("slice-empty", "slice", {"start": 5, "stop": 5}, "stop 5 must be after start 5"),
    ("eps-zero", "batchnorm2d", {"eps": 0}, "eps must be a number > 0 (got 0)"),
    ("momentum-range", "groupnorm", {"groups": 2, "momentum": 0.5}, "groupnorm has no option 'momentum'; its options are groups, affine, eps"),
    ("prelu-per", "prelu", {"per": "row"}, "per must be 'tensor', 'channel' or 'element' (got 'row')"),
    ("drop_path-rate", "drop_path", {"rate": 1.0}, "rate must be a number from 0 up to (not including) 1 (got 1.0)"),
    ("factor-zero", "pixel_shuffle", {"factor": 0}, "factor must be a positive whole number (got 0)"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "options", "given", "message"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_refused_shapes(kind: str, options: dict[str, Any], given: tuple[int, ...], message: str) -> None:
    with pytest.raises(ConvCalcError, match=f"^{re.escape(message)}$"):
        apply(make_layer(kind, options), Shape(given))


@pytest.mark.parametrize(("kind", "options", "message"), [r[1:] for r in REFUSED_OPTIONS], ids=[r[0] for r in REFUSED_OPTIONS])
def test_refused_options(kind: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConvCalcError, match=f"^{re.escape(message)}$") as caught:
        make_layer(kind, options)
    assert caught.value.option is not None


@pytest.mark.parametrize(("argv", "message"), [
    (["layer", "28x28x116", "-t", "split", "--set", "parts=3"], "error: cannot cut 116 channels into 3 equal parts"),
    (["layer", "8x8x16", "-t", "slice", "--set", "start=4", "--set", "stop=20"], "error: stop 20 is past the 16 channels"),
    (["layer", "768", "-t", "scale", "--set", "channels=384"], "error: scale was made for 384 channels"),
    (["layer", "8x8x18", "-t", "pixel_shuffle", "--set", "factor=2"], "error: pixel_shuffle needs channels divisible by r² = 2² = 4, got 18"),
    (["layer", "8x8x18", "-t", "pixelshufle"], "error: unknown layer kind 'pixelshufle'; did you mean 'pixel_shuffle'?"),
    (["layer", "8x8x18", "-t", "split", "--set", "parts"], "error: --set takes KEY=VALUE, like --set parts=2 (got 'parts')"),
])  # fmt: skip
def test_cli_refuses_with_one_sentence(argv: list[str], message: str) -> None:
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 2
    assert result.output.strip().startswith(message)
    assert "Traceback" not in result.output


SHUFFLE_UNIT = """
input: [28, 28, 116]
layers:
  - split: {parts: 2, name: s}
  - conv2d: {filters: 58, kernel: 1, bias: false}
  - batchnorm2d
  - relu
  - conv2d: {filters: 58, kernel: 3, padding: 1, groups: 58, bias: false}
  - batchnorm2d
  - conv2d: {filters: 58, kernel: 1, bias: false}
  - batchnorm2d
  - relu: {name: branch}
  - concat: {from: [s.0, branch]}
  - channel_shuffle: {groups: 2}
"""


def test_split_parts_are_named_and_the_next_layer_reads_the_last() -> None:
    summary = analyse(parse_model(SHUFFLE_UNIT))
    names = [row.node.name for row in summary.rows]
    assert names[:3] == ["s.0", "s.1", "conv2d"]
    rows = {row.node.name: row for row in summary.rows}
    assert rows["conv2d"].node.inputs == (1,)
    assert rows["s.0"].result.output.dims == (28, 28, 58)
    assert summary.output.dims == (28, 28, 116)
    # ShuffleNet V2's stride-1 unit for 116 channels: three convs and three norms.
    assert summary.totals.trainable_params == 58 * 58 + 58 * 9 + 58 * 58 + 3 * 2 * 58


def test_split_that_does_not_divide_is_located() -> None:
    with pytest.raises(LoadError, match=r"^net.yaml:4:5: layer 's' \(split\): cannot cut 115 channels into 2 equal parts"):
        parse_model(SHUFFLE_UNIT.replace("[28, 28, 116]", "[28, 28, 115]"), "net.yaml")
