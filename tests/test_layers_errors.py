"""The exact wording of every error a user can get from the layer engine.

Each message names the rule, the bad value and what was expected; these tests
pin it so a reworded message is a deliberate change.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from convcalc.errors import ConvCalcError, InputError, ShapeError, SpecError
from convcalc.layers import apply, make_layer
from convcalc.shapes import Shape, parse_shape

S = Shape.of

# ------------------------------------------------------------ bad option values
BAD_VALUES = [
    # (id, kind, options, message)
    ("filters-zero", "conv2d", {"filters": 0, "kernel": 3},
     "filters must be a positive whole number (got 0)"),
    ("filters-negative", "conv2d", {"filters": -8, "kernel": 3},
     "filters must be a positive whole number (got -8)"),
    ("filters-float", "conv2d", {"filters": 8.0, "kernel": 3},
     "filters must be a positive whole number (got 8.0)"),
    ("kernel-zero", "conv2d", {"filters": 8, "kernel": 0},
     "kernel must be a positive whole number, or a pair [h, w] of them (got 0)"),
    ("kernel-pair-negative", "conv2d", {"filters": 8, "kernel": [3, -1]},
     "kernel must be a positive whole number, or a pair [h, w] of them (got [3, -1])"),
    ("kernel-bool", "conv2d", {"filters": 8, "kernel": True},
     "kernel must be a positive whole number, or a pair [h, w] of them (got True)"),
    ("kernel-triple", "conv2d", {"filters": 8, "kernel": [3, 3, 3]},
     "kernel must be a positive whole number, or a pair [h, w] of them (got [3, 3, 3])"),
    ("stride-zero", "conv2d", {"filters": 8, "kernel": 3, "stride": 0},
     "stride must be a positive whole number, or a pair [h, w] of them (got 0)"),
    ("dilation-zero", "conv2d", {"filters": 8, "kernel": 3, "dilation": 0},
     "dilation must be a positive whole number, or a pair [h, w] of them (got 0)"),
    ("groups-zero", "conv2d", {"filters": 8, "kernel": 3, "groups": 0},
     "groups must be a positive whole number (got 0)"),
    ("padding-negative", "conv2d", {"filters": 8, "kernel": 3, "padding": -1},
     "padding must be a whole number ≥ 0, [h, w], [top, bottom, left, right], "
     "'same' or 'valid' (got -1)"),
    ("padding-three-numbers", "conv2d", {"filters": 8, "kernel": 3, "padding": [1, 2, 3]},
     "padding must be a whole number ≥ 0, [h, w], [top, bottom, left, right], "
     "'same' or 'valid' (got [1, 2, 3])"),
    ("padding-unknown-word", "conv2d", {"filters": 8, "kernel": 3, "padding": "full"},
     "padding 'full' is not understood; use a number, [h, w], [top, bottom, left, right], "
     "'same' or 'valid'"),
    ("bias-not-bool", "conv2d", {"filters": 8, "kernel": 3, "bias": "yes"},
     "bias must be true or false (got 'yes')"),
    ("output_padding-negative", "conv_transpose2d",
     {"filters": 8, "kernel": 3, "output_padding": -1},
     "output_padding must be a whole number ≥ 0, or a pair [h, w] of them (got -1)"),
    ("pool-kernel-zero", "maxpool2d", {"kernel": 0},
     "kernel must be a positive whole number, or a pair [h, w] of them (got 0)"),
    ("pool-stride-zero", "avgpool2d", {"kernel": 2, "stride": 0},
     "stride must be a positive whole number, or a pair [h, w] of them (got 0)"),
    ("adaptive-output_size-zero", "adaptive_avgpool2d", {"output_size": 0},
     "output_size must be a positive whole number, or a pair [h, w] of them (got 0)"),
    ("units-zero", "dense", {"units": 0}, "units must be a positive whole number (got 0)"),
    ("shuffle-groups-zero", "channel_shuffle", {"groups": 0},
     "groups must be a positive whole number (got 0)"),
    ("upsample-scale-zero", "upsample", {"scale": 0},
     "scale must be a positive finite number or a pair [h, w] of them (got 0)"),
    ("upsample-scale-negative-pair", "upsample", {"scale": [2, -2]},
     "scale must be a positive finite number or a pair [h, w] of them (got [2, -2])"),
    ("upsample-size-zero", "upsample", {"size": 0},
     "size must be a positive whole number, or a pair [h, w] of them (got 0)"),
    ("upsample-mode", "upsample", {"scale": 2, "mode": "bicubic"},
     "mode must be 'nearest' or 'bilinear' (got 'bicubic')"),
    ("dropout-rate-one", "dropout", {"rate": 1.0},
     "rate must be a number from 0 up to (not including) 1 (got 1.0)"),
    ("dropout-rate-negative", "dropout", {"rate": -0.1},
     "rate must be a number from 0 up to (not including) 1 (got -0.1)"),
    ("leaky-slope-negative", "leaky_relu", {"negative_slope": -0.1},
     "negative_slope must be a number ≥ 0 (got -0.1)"),
    ("zeropad-same", "zeropad2d", {"padding": "same"},
     "padding of zeropad2d must be numbers, not 'same'"),
]


@pytest.mark.parametrize(("kind", "options", "message"), [c[1:] for c in BAD_VALUES],
                         ids=[c[0] for c in BAD_VALUES])
def test_bad_option_value(kind: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
        make_layer(kind, options)


# ------------------------------------------------- unknown kind / unknown option
NAMES = [
    ("kind-did-you-mean", "conv4d", {}, "unknown layer kind 'conv4d'; did you mean 'conv3d'?"),
    ("kind-missing-letter", "maxpol2d", {}, "unknown layer kind 'maxpol2d'; did you mean 'maxpool2d'?"),
    ("option-typo", "conv2d", {"filters": 8, "kernel": 3, "strid": 2},
     "conv2d has no option 'strid'; did you mean 'stride'?"),
    ("option-torch-kernel_size", "conv2d", {"filters": 8, "kernel_size": 3},
     "conv2d has no option 'kernel_size'; convcalc calls it 'kernel'"),
    ("option-torch-out_channels", "conv2d", {"out_channels": 8, "kernel": 3},
     "conv2d has no option 'out_channels'; convcalc calls it 'filters'"),
    ("option-keras-strides", "conv2d", {"filters": 8, "kernel": 3, "strides": 2},
     "conv2d has no option 'strides'; convcalc calls it 'stride'"),
    ("option-keras-dilation_rate", "conv2d", {"filters": 8, "kernel": 3, "dilation_rate": 2},
     "conv2d has no option 'dilation_rate'; convcalc calls it 'dilation'"),
    ("option-keras-use_bias", "conv2d", {"filters": 8, "kernel": 3, "use_bias": False},
     "conv2d has no option 'use_bias'; convcalc calls it 'bias'"),
    ("option-torch-out_features", "dense", {"out_features": 8},
     "dense has no option 'out_features'; convcalc calls it 'units'"),
    ("option-torch-p", "dropout", {"p": 0.1}, "dropout has no option 'p'; convcalc calls it 'rate'"),
    ("option-torch-scale_factor", "upsample", {"scale_factor": 2},
     "upsample has no option 'scale_factor'; convcalc calls it 'scale'"),
    ("option-torch-elementwise_affine", "layernorm", {"elementwise_affine": False},
     "layernorm has no option 'elementwise_affine'; convcalc calls it 'affine'"),
    ("option-keras-alpha", "leaky_relu", {"alpha": 0.2},
     "leaky_relu has no option 'alpha'; convcalc calls it 'negative_slope'"),
    ("option-unrelated-lists-options", "dense", {"units": 8, "foo": 1},
     "dense has no option 'foo'; its options are units, bias"),
    # A foreign name whose convcalc name the kind does not have falls back to the list.
    ("option-foreign-not-applicable", "maxpool2d", {"kernel": 2, "out_channels": 3},
     "maxpool2d has no option 'out_channels'; its options are kernel, stride, padding, "
     "dilation, ceil_mode"),
    ("option-on-optionless-kind", "relu", {"inplace": True},
     "relu has no option 'inplace'; it takes no options"),
]


@pytest.mark.parametrize(("kind", "options", "message"), [c[1:] for c in NAMES],
                         ids=[c[0] for c in NAMES])
def test_unknown_name(kind: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
        make_layer(kind, options)


def test_unknown_kind_without_close_match_lists_known_kinds() -> None:
    with pytest.raises(SpecError) as info:
        make_layer("banana")
    message = str(info.value)
    assert message.startswith("unknown layer kind 'banana'; known kinds: conv2d, conv_transpose2d, ")
    for kind in ("dense", "channel_shuffle", "concat", "leaky_relu"):
        assert kind in message


# ---------------------------------------------------- missing required options
MISSING = [
    ("conv2d-filters", "conv2d", {"kernel": 3},
     "conv2d needs the option 'filters' (number of output channels)"),
    ("conv2d-kernel", "conv2d", {"filters": 3},
     "conv2d needs the option 'kernel' (kernel size, e.g. 3 or [1, 7])"),
    ("conv_transpose2d-kernel", "conv_transpose2d", {"filters": 3},
     "conv_transpose2d needs the option 'kernel' (kernel size, e.g. 4 or [3, 3])"),
    ("dense-units", "dense", {}, "dense needs the option 'units' (number of output features)"),
    ("maxpool2d-kernel", "maxpool2d", {}, "maxpool2d needs the option 'kernel' (window size, e.g. 3)"),
    ("avgpool2d-kernel", "avgpool2d", {}, "avgpool2d needs the option 'kernel' (window size, e.g. 2)"),
    ("adaptive-output_size", "adaptive_maxpool2d", {},
     "adaptive_maxpool2d needs the option 'output_size' (output size, e.g. 7 or [6, 6])"),
    ("zeropad2d-padding", "zeropad2d", {},
     "zeropad2d needs the option 'padding' (pixels, [h, w] or [t, b, l, r])"),
    ("channel_shuffle-groups", "channel_shuffle", {},
     "channel_shuffle needs the option 'groups' (number of channel groups)"),
]


@pytest.mark.parametrize(("kind", "options", "message"), [c[1:] for c in MISSING],
                         ids=[c[0] for c in MISSING])
def test_missing_option(kind: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
        make_layer(kind, options)


# ------------------------------------------------------- contradictory options
CONTRADICTIONS = [
    ("upsample-scale-and-size", "upsample", {"scale": 2, "size": [4, 6]},
     "upsample needs exactly one of 'scale' and 'size', got both (scale 2, size [4, 6])"),
    ("upsample-neither", "upsample", {},
     "upsample needs exactly one of 'scale' and 'size', got neither"),
    ("upsample-align_corners-nearest", "upsample", {"size": 4, "align_corners": True},
     "align_corners applies only to mode 'bilinear', not 'nearest'"),
    ("convT-same-with-output_padding", "conv_transpose2d",
     {"filters": 8, "kernel": 3, "stride": 2, "padding": "same", "output_padding": 1},
     "output_padding cannot be combined with padding 'same', which sets the output size "
     "itself; give numeric padding instead"),
    ("convT-valid-with-output_padding", "conv_transpose2d",
     {"filters": 8, "kernel": 3, "stride": 2, "padding": "valid", "output_padding": [0, 1]},
     "output_padding cannot be combined with padding 'valid', which sets the output size "
     "itself; give numeric padding instead"),
    # PyTorch: "output padding must be smaller than either stride or dilation".
    ("convT-output_padding-equals-stride", "conv_transpose2d",
     {"filters": 8, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 2},
     "output_padding 2 along H must be smaller than the stride (2) or the dilation (1)"),
    ("convT-output_padding-W", "conv_transpose2d",
     {"filters": 8, "kernel": 3, "stride": [4, 2], "padding": 1, "output_padding": [0, 3]},
     "output_padding 3 along W must be smaller than the stride (2) or the dilation (1)"),
    ("convT-output_padding-equals-dilation", "conv_transpose2d",
     {"filters": 8, "kernel": 3, "dilation": 2, "output_padding": 2},
     "output_padding 2 along H must be smaller than the stride (1) or the dilation (2)"),
    # PyTorch: "pad should be smaller than or equal to half of kernel size" (the raw
    # kernel, not the dilated one — MaxPool2d(3, padding=2, dilation=2) is rejected).
    ("maxpool-padding-over-half", "maxpool2d", {"kernel": 3, "padding": 2},
     "padding 2 along H is more than half the kernel 3; PyTorch allows at most 1"),
    ("maxpool-padding-over-half-dilated", "maxpool2d", {"kernel": 3, "padding": 2, "dilation": 2},
     "padding 2 along H is more than half the kernel 3; PyTorch allows at most 1"),
    ("avgpool-padding-over-half-W", "avgpool2d", {"kernel": [3, 5], "padding": [1, 3]},
     "padding 3 along W is more than half the kernel 5; PyTorch allows at most 2"),
    ("maxpool-padding-over-half-bottom", "maxpool2d", {"kernel": 3, "padding": [0, 2, 0, 0]},
     "padding 2 along H is more than half the kernel 3; PyTorch allows at most 1"),
    ("pool-ceil_mode-with-same", "maxpool2d", {"kernel": 3, "padding": "same", "ceil_mode": True},
     "ceil_mode applies to numeric padding, not 'same'; drop one of them"),
]


@pytest.mark.parametrize(("kind", "options", "message"), [c[1:] for c in CONTRADICTIONS],
                         ids=[c[0] for c in CONTRADICTIONS])
def test_contradictory_options(kind: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=f"^{re.escape(message)}$"):
        make_layer(kind, options)


# ------------------------------------------------ options that do not fit the input
SHAPES = [
    ("kernel-larger-than-input", "conv2d", {"filters": 8, "kernel": 7}, [S(5, 5, 3)],
     "kernel 7 is larger than the padded input 5 (H=5, padding=0)"),
    ("kernel-larger-than-asymmetric-padded", "conv2d",
     {"filters": 8, "kernel": 7, "padding": [0, 1, 0, 1]}, [S(4, 4, 3)],
     "kernel 7 is larger than the padded input 5 (H=4, padding=0+1)"),
    ("dilated-kernel-larger", "conv2d", {"filters": 8, "kernel": 3, "dilation": 4}, [S(8, 8, 3)],
     "dilated kernel 9 (kernel 3, dilation 4) is larger than the padded input 8 (H=8, padding=0)"),
    ("kernel-larger-along-W", "conv2d", {"filters": 8, "kernel": [1, 9]}, [S(8, 8, 3)],
     "kernel 9 is larger than the padded input 8 (W=8, padding=0)"),
    ("dilated-kernel-larger-along-W", "conv2d",
     {"filters": 8, "kernel": 3, "padding": 1, "dilation": [1, 5]}, [S(8, 8, 3)],
     "dilated kernel 11 (kernel 3, dilation 5) is larger than the padded input 10 "
     "(W=8, padding=1)"),
    ("pool-kernel-larger", "maxpool2d", {"kernel": 5}, [S(4, 4, 3)],
     "kernel 5 is larger than the padded input 4 (H=4, padding=0)"),
    # ceil(−1 / 1) + 1 = 0 windows even rounding up (PyTorch: "Output size is too small").
    ("pool-ceil-kernel-larger-stride-1", "maxpool2d", {"kernel": 5, "stride": 1, "ceil_mode": True},
     [S(4, 4, 3)], "kernel 5 is larger than the padded input 4 (H=4, padding=0)"),
    ("groups-not-dividing-channels", "conv2d", {"filters": 6, "kernel": 3, "groups": 3},
     [S(8, 8, 64)],
     "conv2d: groups=3 does not divide the 64 input channels; use a divisor of 64"),
    ("groups-not-dividing-filters", "conv2d", {"filters": 6, "kernel": 3, "groups": 4},
     [S(8, 8, 64)], "conv2d: groups=4 does not divide the 6 filters; use a multiple of 4 filters"),
    ("convT-groups-not-dividing-channels", "conv_transpose2d",
     {"filters": 8, "kernel": 3, "groups": 3}, [S(8, 8, 64)],
     "conv_transpose2d: groups=3 does not divide the 64 input channels; use a divisor of 64"),
    ("convT-groups-not-dividing-filters", "conv_transpose2d",
     {"filters": 6, "kernel": 3, "groups": 4}, [S(8, 8, 64)],
     "conv_transpose2d: groups=4 does not divide the 6 filters; use a multiple of 4 filters"),
    ("shuffle-groups-not-dividing", "channel_shuffle", {"groups": 3}, [S(8, 8, 64)],
     "channel_shuffle: groups=3 does not divide the 64 channels; use a divisor of 64"),
    # (2 − 1)·1 + 3 = 4 pixels before cropping, 4 − 3 − 3 = −2.
    ("convT-padding-crops-everything", "conv_transpose2d", {"filters": 8, "kernel": 3, "padding": 3},
     [S(2, 2, 3)],
     "padding 3+3 crops the whole 4-pixel output along H (H=2, kernel 3, stride 1)"),
    ("upsample-scale-to-nothing", "upsample", {"scale": 0.1}, [S(4, 4, 3)],
     "scale 0.1 shrinks the 4×4 input to 0×0; use a scale that keeps at least 1 pixel on each axis"),
    ("upsample-scale-pair-to-nothing", "upsample", {"scale": [1, 0.1]}, [S(4, 4, 3)],
     "scale [1, 0.1] shrinks the 4×4 input to 4×0; use a scale that keeps at least 1 pixel "
     "on each axis"),
    # merge mismatches quote every shape
    ("add-channels-differ", "add", {}, [S(56, 56, 64), S(56, 56, 32)],
     "add cannot broadcast 56×56×64 and 56×56×32: sizes 64 and 32 differ along C; "
     "sizes must match or be 1"),
    ("multiply-height-differs", "multiply", {}, [S(56, 56, 64), S(28, 28, 64)],
     "multiply cannot broadcast 56×56×64 and 28×28×64: sizes 56 and 28 differ along H; "
     "sizes must match or be 1"),
    ("add-vector-onto-map-mismatch", "add", {}, [S(7, 7, 64), S(32)],
     "add cannot broadcast 7×7×64 and 32: sizes 64 and 32 differ along C; "
     "sizes must match or be 1"),
    ("add-vectors", "add", {}, [S(1000), S(10)],
     "add cannot broadcast 1000 and 10: sizes 1000 and 10 differ on axis 0; "
     "sizes must match or be 1"),
    ("concat-spatial-mismatch", "concat", {}, [S(56, 56, 64), S(28, 28, 64)],
     "concat joins along channels, so all but the last axis must match; "
     "got 56×56×64 and 28×28×64"),
    ("concat-map-and-vector", "concat", {}, [S(7, 7, 512), S(512)],
     "concat joins along channels, so all but the last axis must match; got 7×7×512 and 512"),
    # vector inputs to layers that need a map
    *[
        (f"{kind}-on-vector", kind, options, [S(2048)],
         f"{kind} needs an H×W×C feature map, got a vector of 2,048 features")
        for kind, options in [
            ("conv2d", {"filters": 8, "kernel": 3}),
            ("conv_transpose2d", {"filters": 8, "kernel": 3}),
            ("maxpool2d", {"kernel": 2}),
            ("avgpool2d", {"kernel": 2}),
            ("adaptive_avgpool2d", {"output_size": 7}),
            ("global_avgpool2d", {}),
            ("global_maxpool2d", {}),
            ("upsample", {"scale": 2}),
            ("zeropad2d", {"padding": 1}),
        ]
    ],
    # wrong number of inputs
    ("conv-two-inputs", "conv2d", {"filters": 8, "kernel": 3}, [S(8, 8, 3), S(8, 8, 3)],
     "conv2d takes one input, got 2"),
    ("conv-no-input", "conv2d", {"filters": 8, "kernel": 3}, [], "conv2d takes one input, got 0"),
    ("add-one-input", "add", {}, [S(8, 8, 3)], "add takes at least 2 inputs, got 1"),
    ("concat-no-input", "concat", {}, [], "concat takes at least 2 inputs, got 0"),
]


@pytest.mark.parametrize(("kind", "options", "inputs", "message"), [c[1:] for c in SHAPES],
                         ids=[c[0] for c in SHAPES])
def test_shape_error(kind: str, options: dict[str, Any], inputs: list[Shape], message: str) -> None:
    spec = make_layer(kind, options)
    with pytest.raises(ShapeError, match=f"^{re.escape(message)}$"):
        apply(spec, *inputs)


# ---------------------------------------------------------- typed input shapes
BAD_SHAPES = [
    ("zero-dim", "224x0x3", "input shape '224x0x3' has '0' where a positive whole number was expected"),
    ("negative", "-3", "input shape '-3' has '-3' where a positive whole number was expected"),
    ("word", "abc", "input shape 'abc' has 'abc' where a positive whole number was expected"),
    ("five-dims", "2x16x112x112x3",
     "input shape '2x16x112x112x3' should be H×W×C like 224x224x3 (L×C like 16000x1, "
     "D×H×W×C like 16x112x112x3), or a feature count like 2048"),
]


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in BAD_SHAPES],
                         ids=[c[0] for c in BAD_SHAPES])
def test_bad_typed_shape(text: str, message: str) -> None:
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        parse_shape(text)


def test_errors_share_one_root_and_keep_their_type_with_context() -> None:
    for cls in (SpecError, ShapeError, InputError):
        assert issubclass(cls, ConvCalcError)
    err = ShapeError("kernel 7 is larger than the padded input 5 (H=5, padding=0)")
    wrapped = err.within("layer 'c1' (conv2d)")
    assert type(wrapped) is ShapeError
    assert str(wrapped) == "layer 'c1' (conv2d): kernel 7 is larger than the padded input 5 (H=5, padding=0)"
