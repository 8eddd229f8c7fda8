"""The one-line layer syntax: reading, writing back, and its error wording."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convcalc.errors import InputError
from convcalc.layers import KINDS, make_layer, spec_class
from convcalc.linesyntax import (
    COMMON_KEYS,
    KIND_ALIASES,
    POSITIONAL,
    format_entry,
    parse_layers,
    parse_line,
    parse_options,
    parse_value,
)

READS = [
    ("conv 64 k7 s2 p3", {"conv2d": {"filters": 64, "kernel": 7, "stride": 2, "padding": 3}}),
    ("conv2d 64 k7 s2 p3 @conv1", {"conv2d": {"filters": 64, "kernel": 7, "stride": 2, "padding": 3, "name": "conv1"}}),
    ("conv 32 k1x7 p=same bias=false", {"conv2d": {"filters": 32, "kernel": [1, 7], "padding": "same", "bias": False}}),
    ("conv 8 name=c d2 g2 k3", {"conv2d": {"filters": 8, "kernel": 3, "dilation": 2, "groups": 2, "name": "c"}}),
    ("conv 8 kernel=3 padding=0,1,0,1", {"conv2d": {"filters": 8, "kernel": 3, "padding": [0, 1, 0, 1]}}),
    ("conv 8 k3 trainable=false", {"conv2d": {"filters": 8, "kernel": 3, "trainable": False}}),
    ("deconv 32 k4 s2 output_padding=1", {"conv_transpose2d": {"filters": 32, "kernel": 4, "stride": 2, "output_padding": 1}}),
    ("maxpool k3 s2 p1", {"maxpool2d": {"kernel": 3, "stride": 2, "padding": 1}}),
    ("maxpool k3 ceil_mode", {"maxpool2d": {"kernel": 3, "ceil_mode": True}}),
    ("avgpool k2 count_include_pad=false", {"avgpool2d": {"kernel": 2, "count_include_pad": False}}),
    ("adaptive_avgpool 7", {"adaptive_avgpool2d": {"output_size": 7}}),
    ("adaptive_maxpool 6x6", {"adaptive_maxpool2d": {"output_size": [6, 6]}}),
    ("gap", "global_avgpool2d"),
    ("gap keepdims", {"global_avgpool2d": {"keepdims": True}}),
    ("gmp", "global_maxpool2d"),
    ("pad 3", {"zeropad2d": {"padding": 3}}),
    ("pad 1x2", {"zeropad2d": {"padding": [1, 2]}}),
    ("pad [2]", {"zeropad2d": {"padding": [2]}}),
    ("bn", "batchnorm2d"),
    ("bn affine=false", {"batchnorm2d": {"affine": False}}),
    ("ln", "layernorm"),
    ("fc 10", {"dense": {"units": 10}}),
    ("linear 10 bias=false @head", {"dense": {"units": 10, "bias": False, "name": "head"}}),
    ("flatten", "flatten"),
    ("dropout 0.2", {"dropout": {"rate": 0.2}}),
    ("drop .5", {"dropout": {"rate": 0.5}}),
    ("relu", "relu"),
    ("lrelu 0.1", {"leaky_relu": {"negative_slope": 0.1}}),
    ("swish", "silu"),
    ("up 2", {"upsample": {"scale": 2}}),
    ("up 1.5x2 mode=bilinear align_corners", {"upsample": {"scale": [1.5, 2], "mode": "bilinear", "align_corners": True}}),
    ("upsample size=28x56", {"upsample": {"size": [28, 56]}}),
    ("shuffle 4", {"channel_shuffle": {"groups": 4}}),
    ("add from=a,b", {"add": {"from": ["a", "b"]}}),
    ("cat from=[a,b] @joined", {"concat": {"from": ["a", "b"], "name": "joined"}}),
    ("mul from=x, if=false", {"multiply": {"from": ["x"], "if": False}}),
    ("relu from=input", {"relu": {"from": "input"}}),
    ("conv filters=$width*2 k3", {"conv2d": {"filters": "$width*2", "kernel": 3}}),
    ("CONV 8 k3   # a comment", {"conv2d": {"filters": 8, "kernel": 3}}),
    ("bn eps=0.001 momentum=0.01", {"batchnorm2d": {"eps": 0.001, "momentum": 0.01}}),
    ("gn 32", {"groupnorm": {"groups": 32}}),
    ("instancenorm affine track_running_stats", {"instancenorm": {"affine": True, "track_running_stats": True}}),
    ("Normalization", "normalization"),
    ("mish", "mish"),
    ("elu 0.5", {"elu": {"alpha": 0.5}}),
    ("softplus beta=2 threshold=10", {"softplus": {"beta": 2, "threshold": 10}}),
    ("stochastic_depth 0.1", {"drop_path": {"rate": 0.1}}),
    ("identity", "identity"),
    ("rescaling 0.5 offset=-1", {"rescaling": {"scale": 0.5, "offset": -1}}),
    ("layer_scale 1e-6", {"scale": {"init": 1e-6}}),
    ("prelu per=channel", {"prelu": {"per": "channel"}}),
    ("reshape 1x1x960", {"reshape": {"shape": [1, 1, 960]}}),
    ("slice start=0 stop=58", {"slice": {"start": 0, "stop": 58}}),
    ("chunk 2 @s", {"split": {"parts": 2, "name": "s"}}),
    ("split sizes=58,58", {"split": {"sizes": [58, 58]}}),
    ("depth_to_space 2", {"pixel_shuffle": {"factor": 2}}),
    ("pixel_unshuffle 4", {"pixel_unshuffle": {"factor": 4}}),
    # 1-D and 3-D kinds (issue 14): per-axis values are lists of one or three
    ("conv1d 128 k80 s4", {"conv1d": {"filters": 128, "kernel": 80, "stride": 4}}),
    ("Conv3D 64 k3x7x7 s1x2x2 p1x3x3 bias=false", {"conv3d": {"filters": 64, "kernel": [3, 7, 7], "stride": [1, 2, 2], "padding": [1, 3, 3], "bias": False}}),
    ("conv_transpose1d 8 k4 s2 p1", {"conv_transpose1d": {"filters": 8, "kernel": 4, "stride": 2, "padding": 1}}),
    ("Conv3DTranspose 8 k2 s1x2x2", {"conv_transpose3d": {"filters": 8, "kernel": 2, "stride": [1, 2, 2]}}),
    ("maxpool1d k4", {"maxpool1d": {"kernel": 4}}),
    ("MaxPooling3D k1x3x3 s1x2x2 p0x1x1", {"maxpool3d": {"kernel": [1, 3, 3], "stride": [1, 2, 2], "padding": [0, 1, 1]}}),
    ("AveragePooling1D k2 ceil_mode", {"avgpool1d": {"kernel": 2, "ceil_mode": True}}),
    ("avgpool3d k2 count_include_pad=false", {"avgpool3d": {"kernel": 2, "count_include_pad": False}}),
    ("adaptive_avgpool1d 1", {"adaptive_avgpool1d": {"output_size": 1}}),
    ("adaptive_avgpool3d 1x7x7", {"adaptive_avgpool3d": {"output_size": [1, 7, 7]}}),
    ("adaptive_maxpool1d 8", {"adaptive_maxpool1d": {"output_size": 8}}),
    ("adaptive_maxpool3d 2", {"adaptive_maxpool3d": {"output_size": 2}}),
    ("GlobalAveragePooling1D", "global_avgpool1d"),
    ("global_avgpool3d keepdims", {"global_avgpool3d": {"keepdims": True}}),
    ("GlobalMaxPooling1D", "global_maxpool1d"),
    ("global_maxpool3d", "global_maxpool3d"),
    ("ZeroPadding1D 1,2", {"zeropad1d": {"padding": [1, 2]}}),
    ("zeropad3d 0,1,0,0,0,0", {"zeropad3d": {"padding": [0, 1, 0, 0, 0, 0]}}),
    ("batchnorm1d", "batchnorm1d"),
    ("batchnorm3d eps=0.001", {"batchnorm3d": {"eps": 0.001}}),
]  # fmt: skip


@pytest.mark.parametrize(("line", "entry"), READS, ids=[r[0] for r in READS])
def test_reads(line: str, entry: object) -> None:
    assert parse_line(line) == entry


def test_every_kind_has_a_reading_example() -> None:
    kinds = {next(iter(e)) if isinstance(e, dict) else e for _, e in READS}
    missing = set(KINDS) - kinds - {"conv2d", "relu6", "sigmoid", "tanh", "gelu", "hardswish", "hardsigmoid", "softmax"}
    assert not missing


ERRORS = [
    ("", "the line is empty; write a layer such as 'relu' or 'conv 64 k3'"),
    ("cnv 64", "unknown layer kind 'cnv'; did you mean 'conv'?"),
    ("residual", "'residual' is a container; containers do not fit on one line, so write them in a file and load it"),
    ("relu k3", "'k3': relu has no option 'kernel'; it takes no options"),
    ("relu 3", "'3': relu takes no options"),
    ("bn 3", "'3': batchnorm2d takes no count; give its options as key=value (affine, eps, momentum, scale, center)"),
    ("conv 64 32", "'32': conv2d takes one count (filters), and '64' already gives it"),
    ("conv s1 stride=2", "'stride=2': stride is already given ('s1'); give it once"),
    ("conv strid=2", "'strid=2': conv2d has no option 'strid'; did you mean 'stride'?"),
    ("conv kernel_size=3", "'kernel_size=3': conv2d has no option 'kernel_size'; convcalc calls it 'kernel'"),
    ("conv 8 nmae=x", "'nmae=x': conv2d has no option 'nmae'; did you mean 'name'?"),
    ("conv stride", "'stride': stride needs a value, as in stride=…"),
    ("conv wide", "'wide' is not understood for conv2d; expected a count such as 64, a flag such as k3 or s2, key=value, or @name"),
    ("conv =3", "'=3' has no option name before '='; write key=value, as in stride=2"),
    ("conv k=", "'k=' has no value after '='; write k=VALUE"),
    ("conv @", "'@' needs a name after it, as in @conv1"),
    ("add from=a,,b", "from='a,,b' has an empty name; write from=a or from=a,b"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "message"), ERRORS, ids=[e[0] or "empty" for e in ERRORS])
def test_error_wording(line: str, message: str) -> None:
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        parse_line(line)


def test_parse_layers_numbers_the_bad_layer() -> None:
    with pytest.raises(InputError, match=r"^layer 3: '7': relu takes no options$"):
        parse_layers("conv 8 k3; bn; relu 7")
    with pytest.raises(InputError, match=r"^layer 12: "):
        parse_layers("relu k1", first=12)


def test_parse_layers_splits_on_semicolons_and_lines_and_skips_empty_parts() -> None:
    assert parse_layers("conv 8 k3; bn;\nrelu ;; # done\n") == [
        {"conv2d": {"filters": 8, "kernel": 3}}, "batchnorm2d", "relu",
    ]  # fmt: skip


def test_parse_options_for_set_can_unset() -> None:
    assert parse_options("conv2d", ["s=", "128"], allow_unset=True) == {"stride": None, "filters": 128}
    assert parse_options(None, ["repeat=2", "@stage"]) == {"repeat": 2, "name": "stage"}
    with pytest.raises(InputError, match=r"^'k3' is not understood for this entry; expected key=value or @name$"):
        parse_options(None, ["k3"])


@pytest.mark.parametrize(
    ("text", "value"),
    [("3", 3), ("-1", -1), ("0.5", 0.5), ("1e-3", 0.001), ("2.0", 2.0), ("1x7", [1, 7]), ("1,7", [1, 7]),
     ("0x1x0x1", [0, 1, 0, 1]), ("[3]", [3]), ("[]", []), ("true", True), ("False", False),
     ("same", "same"), ("max", "max"), ("3x", "3x"), ("inf", "inf")],
)  # fmt: skip
def test_parse_value(text: str, value: object) -> None:
    parsed = parse_value(text)
    assert parsed == value and type(parsed) is type(value)


NORMALISES = [
    ("conv 64 k7 s2 p3 @conv1", "conv2d 64 k7 s2 p3 name=conv1"),
    ("conv k3 bias=false 16 p=same", "conv2d 16 k3 padding=same bias=false"),
    ("maxpool s2 k3", "maxpool2d k3 s2"),
    ("gap keepdims=true", "global_avgpool2d keepdims"),
    ("fc units=10 @head", "dense 10 name=head"),
    ("add from=[a,b]", "add from=a,b"),
    ("mul from=a,", "multiply from=a,"),
    ("pad p=0,1,0,1", "zeropad2d 0x1x0x1"),
    ("pad p=same", "zeropad2d padding=same"),
    ("conv filters=-3 k3", "conv2d filters=-3 k3"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "normal"), NORMALISES, ids=[n[0] for n in NORMALISES])
def test_format_normalises(line: str, normal: str) -> None:
    assert format_entry(parse_line(line)) == normal
    assert parse_line(normal) == parse_line(line)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"residual": {"body": ["relu"]}}, "'residual' is not a layer kind, so it cannot be written on one line; edit the file instead"),
        ("bottleneck", "'bottleneck' is not a layer kind, so it cannot be written on one line; edit the file instead"),
        ({"conv2d": {"filters": "$width * 2", "kernel": 1}}, "the value '$width * 2' cannot be written on one line; edit the file instead"),
        ({"relu": {"name": "a b"}}, "the name 'a b' cannot be written on one line"),
        ({"conv2d": {"strides": 2}}, "conv2d has no option 'strides'; convcalc calls it 'stride'"),
        (["relu"], "['relu'] is not a layer entry (a kind, or one kind with its options)"),
    ],
    ids=["container", "block", "spaced-expression", "spaced-name", "foreign-option", "list"],
)  # fmt: skip
def test_format_refuses_what_a_line_cannot_hold(entry: object, message: str) -> None:
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        format_entry(entry)


def test_file_aliases_format_to_canonical_kinds() -> None:
    assert format_entry({"conv": {"filters": 8, "kernel": 3}}) == "conv2d 8 k3"
    assert format_entry("swish") == "silu"


def test_every_alias_names_a_kind_and_every_count_an_option() -> None:
    assert set(KIND_ALIASES.values()) <= set(KINDS)
    for kind, option in POSITIONAL.items():
        assert option in spec_class(kind).option_names()


def test_a_parsed_line_builds_the_spec_the_options_describe() -> None:
    # The line and make_layer's options must be the same layer.
    ((kind, options),) = parse_line("conv 64 k7 s2 p3 bias=false").items()  # type: ignore[union-attr]
    assert make_layer(kind, options) == make_layer("conv2d", {"filters": 64, "kernel": 7, "stride": 2, "padding": 3, "bias": False})


# ------------------------------------------------------------------ round trip

_pos = st.integers(1, 4096)
_nonneg = st.integers(0, 64)
_pair = st.one_of(_pos, st.lists(_pos, min_size=2, max_size=2))
_real = st.floats(0, 100, allow_nan=False, allow_infinity=False)
_name = st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,10}", fullmatch=True)

OPTION_VALUES = {
    "filters": _pos,
    "units": _pos,
    "groups": _pos,
    "kernel": _pair,
    "stride": _pair,
    "dilation": _pair,
    "output_size": _pair,
    "size": _pair,
    "padding": st.one_of(
        _nonneg,
        st.lists(_nonneg, min_size=2, max_size=2),
        st.lists(_nonneg, min_size=4, max_size=4),
        st.sampled_from(["same", "valid"]),
    ),
    "output_padding": st.one_of(_nonneg, st.lists(_nonneg, min_size=2, max_size=2)),
    "scale": st.one_of(_pos, _real.filter(lambda x: x > 0), st.lists(_real.filter(lambda x: x > 0), min_size=2, max_size=2)),
    "mode": st.sampled_from(["nearest", "bilinear"]),
    "rate": st.floats(0, 0.99),
    "negative_slope": _real,
    "eps": _real.filter(lambda x: x > 0),
    "momentum": st.floats(0, 1),
    "alpha": _real,
    "beta": _real.filter(lambda x: x > 0),
    "threshold": _real.filter(lambda x: x > 0),
    "offset": st.floats(-100, 100),
    "init": _real,
    "per": st.sampled_from(["tensor", "channel", "element"]),
    "start": _nonneg,
    "stop": _pos,
    "chunk": _nonneg,
    "chunks": _pos,
    "total": _pos,
    "parts": _pos,
    "sizes": st.lists(_pos, min_size=2, max_size=4),
    "factor": _pos,
    "shape": st.lists(_pos, min_size=1, max_size=3),
    "channels": _pos,
    "mean": st.one_of(_real, st.lists(_real, min_size=1, max_size=3)),
    "variance": st.one_of(_real, st.lists(_real, min_size=1, max_size=3)),
    **{
        flag: st.booleans()
        for flag in ("bias", "ceil_mode", "count_include_pad", "keepdims", "affine", "align_corners", "track_running_stats", "center")
    },
    "name": _name,
    "from": st.one_of(_name, st.lists(_name, min_size=1, max_size=4)),
    "trainable": st.booleans(),
    "if": st.booleans(),
}
"""A strategy for every option of every kind; a new option fails the test until added."""


def _entries(kind: str) -> st.SearchStrategy[object]:
    options = [*spec_class(kind).option_names(), *COMMON_KEYS]
    body = st.fixed_dictionaries({}, optional={o: OPTION_VALUES[o] for o in options})
    return body.map(lambda d: {kind: d} if d else kind)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(KINDS).flatmap(_entries))
def test_round_trip(entry: object) -> None:
    line = format_entry(entry)
    assert parse_line(line) == entry
    assert format_entry(parse_line(line)) == line
