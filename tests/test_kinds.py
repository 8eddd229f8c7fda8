"""Every kind declares every rule, in its own class: no table elsewhere, no fallback.

The walk builds each kind on a sample input and calls each rule, so a kind
that lacks one (or whose rule crashes on an ordinary input) fails here by
name. The generated index and schema must match the declarations.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from convcalc.errors import SpecError
from convcalc.forward.kernels import KERNELS
from convcalc.layers import (
    ALIASES,
    KINDS,
    LayerResult,
    apply,
    canonical_kind,
    discover,
    make_layer,
    spec_class,
)
from convcalc.layers.__main__ import index_source, schema_text
from convcalc.layers.geometry import AxisStep
from convcalc.shapes import Shape

MAP = Shape.of(8, 8, 16)
LINE = Shape.of(12, 16)
"""A 1-D map: L×C."""
VOLUME = Shape.of(4, 8, 8, 16)
"""A 3-D map: D×H×W×C."""

SAMPLES: dict[str, tuple[dict[str, Any], tuple[Shape, ...]]] = {
    "conv2d": ({"filters": 4, "kernel": 3, "stride": 2, "padding": 1}, (MAP,)),
    "conv_transpose2d": ({"filters": 4, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1}, (MAP,)),
    "maxpool2d": ({"kernel": 3, "stride": 2, "padding": 1}, (MAP,)),
    "avgpool2d": ({"kernel": 2}, (MAP,)),
    "adaptive_avgpool2d": ({"output_size": 3}, (MAP,)),
    "adaptive_maxpool2d": ({"output_size": [2, 3]}, (MAP,)),
    "global_avgpool2d": ({"keepdims": True}, (MAP,)),
    "global_maxpool2d": ({}, (MAP,)),
    "zeropad2d": ({"padding": [1, 2, 0, 1]}, (MAP,)),
    "upsample": ({"scale": 2, "mode": "bilinear"}, (MAP,)),
    "channel_shuffle": ({"groups": 4}, (MAP,)),
    "batchnorm2d": ({"eps": 1e-3}, (MAP,)),
    "layernorm": ({"eps": 1e-6}, (MAP,)),
    "groupnorm": ({"groups": 4}, (MAP,)),
    "instancenorm": ({"affine": True}, (MAP,)),
    "normalization": ({}, (MAP,)),
    "relu": ({}, (MAP,)),
    "relu6": ({}, (MAP,)),
    "sigmoid": ({}, (MAP,)),
    "tanh": ({}, (MAP,)),
    "gelu": ({}, (MAP,)),
    "silu": ({}, (MAP,)),
    "hardswish": ({}, (MAP,)),
    "hardsigmoid": ({}, (MAP,)),
    "softmax": ({}, (Shape.of(10),)),
    "mish": ({}, (MAP,)),
    "leaky_relu": ({"negative_slope": 0.2}, (MAP,)),
    "elu": ({"alpha": 0.5}, (MAP,)),
    "softplus": ({"beta": 2}, (MAP,)),
    "dropout": ({"rate": 0.2}, (MAP,)),
    "drop_path": ({"rate": 0.1}, (MAP,)),
    "identity": ({}, (MAP,)),
    "rescaling": ({"scale": 0.5, "offset": -1}, (MAP,)),
    "scale": ({"init": 1e-6}, (MAP,)),
    "prelu": ({"per": "channel"}, (MAP,)),
    "add": ({}, (MAP, MAP)),
    "multiply": ({}, (MAP, Shape.of(1, 1, 16))),
    "concat": ({}, (MAP, Shape.of(8, 8, 4))),
    "dense": ({"units": 5}, (Shape.of(32),)),
    "flatten": ({}, (MAP,)),
    "reshape": ({"shape": [1, 1, -1]}, (Shape.of(16),)),
    "slice": ({"start": 4, "stop": 12}, (MAP,)),
    "split": ({"parts": 2}, (MAP,)),
    "pixel_shuffle": ({"factor": 2}, (MAP,)),
    "pixel_unshuffle": ({"factor": 2}, (MAP,)),
    "conv1d": ({"filters": 4, "kernel": 3, "stride": 2, "padding": 1}, (LINE,)),
    "conv3d": ({"filters": 4, "kernel": [3, 1, 1], "stride": [1, 2, 2], "padding": [1, 0, 0]}, (VOLUME,)),
    "conv_transpose1d": ({"filters": 4, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1}, (LINE,)),
    "conv_transpose3d": ({"filters": 4, "kernel": [1, 2, 2], "stride": [1, 2, 2]}, (VOLUME,)),
    "maxpool1d": ({"kernel": 3, "stride": 2, "padding": 1}, (LINE,)),
    "maxpool3d": ({"kernel": [1, 3, 3], "stride": [1, 2, 2], "padding": [0, 1, 1]}, (VOLUME,)),
    "avgpool1d": ({"kernel": 2}, (LINE,)),
    "avgpool3d": ({"kernel": 2, "ceil_mode": True}, (VOLUME,)),
    "adaptive_avgpool1d": ({"output_size": 5}, (LINE,)),
    "adaptive_avgpool3d": ({"output_size": [1, 3, 3]}, (VOLUME,)),
    "adaptive_maxpool1d": ({"output_size": 1}, (LINE,)),
    "adaptive_maxpool3d": ({"output_size": 2}, (VOLUME,)),
    "global_avgpool1d": ({}, (LINE,)),
    "global_avgpool3d": ({"keepdims": True}, (VOLUME,)),
    "global_maxpool1d": ({"keepdims": True}, (LINE,)),
    "global_maxpool3d": ({}, (VOLUME,)),
    "zeropad1d": ({"padding": [1, 2]}, (LINE,)),
    "zeropad3d": ({"padding": [1, 0, 0, 1, 2, 0]}, (VOLUME,)),
    "batchnorm1d": ({}, (LINE,)),
    "batchnorm3d": ({"affine": False}, (VOLUME,)),
}
"""A sample of each kind; a new kind fails ``test_every_kind_has_a_sample`` until added."""


def test_every_kind_has_a_sample() -> None:
    assert set(SAMPLES) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_every_rule_is_declared_and_runs(kind: str) -> None:
    options, inputs = SAMPLES[kind]
    spec = make_layer(kind, options)
    result = apply(spec, *inputs)
    assert isinstance(result, LayerResult)
    out = result.output
    x = inputs[0]
    rank = x.spatial_rank if x.rank > 1 else 2  # a vector answers as 2-D kinds always have
    steps = spec.field_steps(x, out)
    assert len(steps) == rank and all(isinstance(s, AxisStep) and s.stride > 0 for s in steps)
    for axis in range(rank):
        n = x.spatial[axis] if x.rank > 1 else 1
        span = spec.taps(x, out, axis, (0, 0))
        assert span is None or 0 <= span[0] <= span[1] < n
    trailing = spec.trailing_padding((1,) * rank)
    assert len(trailing) == rank and all(isinstance(t, int) and t >= 0 for t in trailing)
    lines = spec.explain(inputs, result)
    assert lines and all(isinstance(line, str) and line for line in lines)
    assert isinstance(spec.scratch(inputs, out), int) and spec.scratch(inputs, out) >= 0
    assert isinstance(spec.merges, bool) and spec.merges == (spec.arity[0] > 1)
    assert kind in KERNELS, f"{kind} has no NumPy kernel in forward/kernels.py"


@pytest.mark.parametrize("kind", KINDS)
def test_every_option_is_declared_with_a_schema_and_doc(kind: str) -> None:
    cls = spec_class(kind)
    assert cls.__doc__ and cls.__doc__.strip()
    for f in cls.declared():
        assert isinstance(f.norm.schema, dict), f"{kind}.{f.name} has no schema fragment"
        assert f.doc, f"{kind}.{f.name} has no doc"
    assert cls.positional is None or cls.positional in cls.option_names()


def test_names_are_unique_across_kinds() -> None:
    seen: dict[str, str] = {}
    for _, cls in discover():
        for name in (cls.kind, *cls.aliases):
            assert name.lower() not in seen, f"{name!r} names both {seen[name.lower()]} and {cls.kind}"
            seen[name.lower()] = cls.kind


@pytest.mark.parametrize(
    ("name", "kind"),
    [("Conv2D", "conv2d"), ("BatchNormalization", "batchnorm2d"), ("bn", "batchnorm2d"), ("LINEAR", "dense"),
     ("depth_to_space", "pixel_shuffle"), ("chunk", "split"), ("LayerScale", "scale"), ("StochasticDepth", "drop_path"),
     ("Conv1D", "conv1d"), ("conv3D", "conv3d"), ("MaxPooling3D", "maxpool3d"), ("AveragePooling1D", "avgpool1d"),
     ("GlobalAveragePooling3D", "global_avgpool3d"), ("ZeroPadding1D", "zeropad1d"), ("Conv3DTranspose", "conv_transpose3d")],
)  # fmt: skip
def test_aliases_are_case_insensitive(name: str, kind: str) -> None:
    assert canonical_kind(name) == kind


def test_unknown_kind_suggests_one() -> None:
    with pytest.raises(SpecError, match=r"^unknown layer kind 'pixelshufle'; did you mean 'pixel_shuffle'\?$"):
        canonical_kind("pixelshufle")


def test_generated_index_is_current() -> None:
    from importlib.resources import files

    shipped = (files("convcalc.layers") / "_index.py").read_text(encoding="utf-8")
    assert shipped == index_source(), "run `python -m convcalc.layers` to regenerate"
    assert set(ALIASES) == {a for _, cls in discover() for a in cls.aliases}


def test_generated_schema_is_current() -> None:
    from importlib.resources import files

    shipped = (files("convcalc") / "schema.json").read_text(encoding="utf-8")
    assert shipped == schema_text(), "run `python -m convcalc.layers` to regenerate"


def test_fractions_in_steps_are_exact() -> None:
    spec = make_layer("pixel_shuffle", {"factor": 3})
    steps = spec.field_steps(Shape.of(4, 4, 9), Shape.of(12, 12, 1))
    assert steps[0].stride == Fraction(1, 3)


def test_generated_kinds_doc_is_current() -> None:
    from convcalc.layers.__main__ import DOCS, kinds_markdown

    if not DOCS.exists():
        pytest.skip("not a source checkout")
    assert DOCS.read_text(encoding="utf-8") == kinds_markdown(), "run `python -m convcalc.layers` to regenerate"


# --------------------------------------------------------------- the spec object
def _conv(**options: Any) -> Any:
    return make_layer("conv2d", {"filters": 8, "kernel": 3, **options})


SPEC_ERRORS = [
    # (what, call, exception, message)
    ("too many positional", lambda: spec_class("relu")(1), TypeError, "ReLU() takes 0 positional arguments but 1 were given"),
    ("unknown keyword", lambda: spec_class("conv2d")(8, 3, strid=2), TypeError, "Conv2d() got an unexpected keyword argument 'strid'"),
    ("missing required", lambda: spec_class("conv2d")(8), TypeError, "Conv2d() missing required argument: 'kernel'"),
    ("given twice", lambda: spec_class("conv2d")(8, 3, filters=4), TypeError, "Conv2d() got multiple values for argument 'filters'"),
    ("assigned", lambda: setattr(_conv(), "stride", (2, 2)), AttributeError, "a layer spec is frozen: cannot assign to 'stride'; use replace()"),
    ("deleted", lambda: delattr(_conv(), "stride"), AttributeError, "a layer spec is frozen: cannot delete 'stride'"),
]


@pytest.mark.parametrize(("what", "call", "error", "message"), SPEC_ERRORS, ids=[c[0] for c in SPEC_ERRORS])
def test_spec_construction_errors(what: str, call: Any, error: type, message: str) -> None:
    with pytest.raises(error) as caught:
        call()
    assert str(caught.value) == message


def test_spec_built_directly_equals_one_built_from_options() -> None:
    # positional order is declaration order; values are normalised either way
    direct = spec_class("conv2d")(8, 3, 2)
    built = _conv(stride=[2, 2])
    assert direct == built and hash(direct) == hash(built)
    assert direct.stride == (2, 2) and direct.options() == {"filters": 8, "kernel": 3, "stride": 2}
    assert repr(direct).startswith("Conv2d(filters=8, kernel=(3, 3), stride=(2, 2), padding=")


def test_specs_of_different_kinds_differ_even_without_options() -> None:
    assert make_layer("relu") != make_layer("sigmoid")
    assert make_layer("relu") == make_layer("ReLU")
    assert len({make_layer("relu"), make_layer("relu"), make_layer("sigmoid")}) == 2


def test_replace_normalises_and_validates_anew() -> None:
    spec = _conv()
    strided = spec.replace(stride=2)
    assert strided.stride == (2, 2) and spec.stride == (1, 1)
    assert apply(strided, MAP).output == Shape.of(3, 3, 8)  # (8 − 3) // 2 + 1
    with pytest.raises(SpecError, match="groups"):
        make_layer("conv2d", {"filters": 8, "kernel": 3, "groups": 3}).replace(groups=0)


def test_specs_pickle() -> None:
    import pickle

    for kind, (options, _) in SAMPLES.items():
        spec = make_layer(kind, options)
        assert pickle.loads(pickle.dumps(spec)) == spec, kind


def test_an_option_may_not_hide_a_method() -> None:
    from convcalc.layers.base import LayerSpec, option
    from convcalc.layers.options import whole

    with pytest.raises(TypeError, match="Bad: option 'replace' would hide an attribute of its bases"):
        type("Bad", (LayerSpec,), {"replace": option(whole, 1, "a clash")})


def test_a_subclass_keeps_the_order_of_options_it_redeclares() -> None:
    from convcalc.layers.base import LayerSpec, option
    from convcalc.layers.options import whole

    base = type("Base", (LayerSpec,), {"a": option(whole, 1, "a"), "b": option(whole, 2, "b")})
    child = type("Child", (base,), {"a": option(whole, 5, "a again"), "c": option(whole, 3, "c")})
    assert child.option_names() == ("a", "b", "c")
    made = child()
    assert (made.a, made.b, made.c) == (5, 2, 3)


@pytest.mark.parametrize("kind", KINDS)
def test_every_spec_is_slotted(kind: str) -> None:
    # a mixin without __slots__ would give every spec a __dict__ (memory per
    # layer in a 100,000-layer file, and a way around the frozen guard)
    spec = make_layer(kind, SAMPLES[kind][0])
    assert not hasattr(spec, "__dict__"), [c.__name__ for c in type(spec).__mro__ if "__slots__" not in vars(c)]
