"""The format's newer features, table-driven: top-level params inside blocks,
names that start with a digit, the shape flowing into a block
(``$in_channels``), ``split``, and the loader's errors as data.

Shapes and counts are worked by hand in the comments; the split parts are
checked against PyTorch's ``chunk`` and ``split`` where torch is installed.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import pytest

from convcalc.dtypes import DType
from convcalc.loader import LoadError, load, parse, parse_model
from convcalc.model import INPUT, analyse


class Good(NamedTuple):
    id: str
    text: str
    outputs: dict[str, tuple[int, ...]]
    """Node name → its output dims (channels last)."""
    inputs: dict[str, list[str]] = {}  # noqa: RUF012 - read-only default
    """Node name → the names it reads (``input`` for the model input)."""


GOOD = [
    # ------------------------------------------------------------ top-level params in blocks
    Good("top-level-params-inside-a-block",  # the snippet of issue 10
         "input: [8, 8, 4]\nparams: {base: 16}\nblocks: {unit: {layers: [conv2d: {filters: $base, kernel: 1}]}}\n"
         "layers: [unit]\n",
         {"unit.conv2d": (8, 8, 16)}),
    Good("block-param-hides-top-level",
         "input: [8, 8, 4]\nparams: {base: 16}\n"
         "blocks: {unit: {params: {base: 8}, layers: [conv2d: {filters: $base, kernel: 1}]}}\nlayers: [unit]\n",
         {"unit.conv2d": (8, 8, 8)}),
    Good("instance-override-hides-both",
         "input: [8, 8, 4]\nparams: {base: 16}\n"
         "blocks: {unit: {params: {base: 8}, layers: [conv2d: {filters: $base, kernel: 1}]}}\n"
         "layers: [unit: {base: $base * 2}]\n",  # the override is computed where the block is used: 16 · 2
         {"unit.conv2d": (8, 8, 32)}),
    Good("top-level-params-in-a-nested-block",
         "input: [8, 8, 4]\nparams: {base: 6}\n"
         "blocks:\n  inner: {layers: [conv2d: {filters: $base, kernel: 1}]}\n  outer: {layers: [inner]}\n"
         "layers: [outer]\n",
         {"outer.inner.conv2d": (8, 8, 6)}),
    # ------------------------------------------------------------ names that start with a digit
    Good("torchvision-style-names",
         "input: [8, 8, 3]\nlayers:\n  - sequential:\n      name: features\n      layers:\n"
         "        - conv2d: {name: '0', filters: 4, kernel: 3, padding: 1}\n        - relu: {name: '1'}\n"
         "        - conv2d: {name: '2', filters: 8, kernel: 1}\n        - relu: {name: '3'}\n"
         "  - conv2d: {filters: 2, kernel: 1, from: features.3, name: 0_head}\n"
         "  - add: {from: [features.1, features.1]}\n",
         {"features.0": (8, 8, 4), "features.3": (8, 8, 8), "0_head": (8, 8, 2)},
         {"0_head": ["features.3"], "add": ["features.1", "features.1"]}),
    Good("digit-names-reached-inside-their-scope",
         "input: [8, 8, 3]\nlayers:\n  - sequential:\n      name: downsample\n      layers:\n"
         "        - conv2d: {name: '0', filters: 4, kernel: 1}\n        - batchnorm2d: {name: '1', from: '0'}\n",
         {"downsample.1": (8, 8, 4)}, {"downsample.1": ["downsample.0"]}),
    Good("repeat-instances-by-name",
         "input: [8, 8, 4]\nblocks: {unit: {layers: [conv2d: {filters: 4, kernel: 1}]}}\n"
         "layers:\n  - unit: {name: layer1, repeat: 3}\n  - relu: {from: layer1.1}\n",
         {"relu": (8, 8, 4)}, {"relu": ["layer1.1.conv2d"]}),
    # ------------------------------------------------------------ the shape flowing into a block
    Good("in-channels-expands-four-times",
         "input: [8, 8, 6]\nblocks: {wide: {layers: [conv2d: {filters: $in_channels * 4, kernel: 1}]}}\n"
         "layers: [wide, wide]\n",  # 6 · 4 = 24, then 24 · 4 = 96
         {"wide.conv2d": (8, 8, 24), "wide_1.conv2d": (8, 8, 96)}),
    Good("in-channels-per-repeat-instance",
         "input: [8, 8, 3]\nblocks: {double: {layers: [conv2d: {filters: $in_channels * 2, kernel: 1}]}}\n"
         "layers: [double: {repeat: 3, name: d}]\n",  # 3 → 6 → 12 → 24
         {"d.0.conv2d": (8, 8, 6), "d.1.conv2d": (8, 8, 12), "d.2.conv2d": (8, 8, 24)}),
    Good("in-channels-from-a-from",
         "input: [8, 8, 3]\nblocks: {same: {layers: [conv2d: {filters: $in_channels, kernel: 1}]}}\n"
         "layers:\n  - conv2d: {filters: 10, kernel: 1, name: wide}\n  - relu: {from: input}\n"
         "  - same: {from: wide}\n",
         {"same.conv2d": (8, 8, 10)}),
    Good("in-h-and-in-w",
         "input: [12, 20, 3]\nblocks:\n  whole:\n    layers: [avgpool2d: {kernel: [$in_h, $in_w]}]\n"
         "layers: [whole]\n",
         {"whole.avgpool2d": (1, 1, 3)}),
    # The 1-D and 3-D counterparts: a window as long as the map leaves one position per axis,
    # and a 1×1 conv with as many filters as the map is long gives the channels
    Good("in-l-of-a-1d-map",
         "input: [100, 4]\nblocks:\n  whole:\n    layers:\n      - conv1d: {filters: $in_l, kernel: 1}\n"
         "      - avgpool1d: {kernel: $in_l}\nlayers: [whole]\n",
         {"whole.conv1d": (100, 100), "whole.avgpool1d": (1, 100)}),
    Good("in-d-in-h-in-w-of-a-3d-map",
         "input: [6, 12, 20, 3]\nblocks:\n  whole:\n    layers: [avgpool3d: {kernel: [$in_d, $in_h, $in_w]}]\n"
         "layers: [whole]\n",
         {"whole.avgpool3d": (1, 1, 1, 3)}),
    Good("in-d-per-repeat-instance",  # each instance halves the depth it is given: 16 → 8 → 4
         "input: [16, 8, 8, 2]\nblocks:\n  half:\n    layers: [maxpool3d: {kernel: [2, 1, 1], name: p}]\n"
         "  probe:\n    layers: [conv3d: {filters: $in_d, kernel: 1, name: c}]\n"
         "layers: [half, probe, half, probe]\n",
         {"probe.c": (8, 8, 8, 8), "probe_1.c": (4, 8, 8, 4)}),
    Good("in-channels-of-a-vector",
         "input: [10]\nblocks: {half: {layers: [dense: {units: $in_channels // 2}]}}\nlayers: [half]\n",
         {"half.dense": (5,)}),
    Good("in-channels-in-a-squeeze-excite",
         "input: [8, 8, 32]\nblocks:\n  se:\n    params: {ratio: 4}\n    layers:\n"
         "      - global_avgpool2d: {keepdims: true}\n"
         "      - conv2d: {filters: '$max(8, in_channels // ratio)', kernel: 1}\n"  # quoted: a comma in {…}
         "      - conv2d: {filters: $in_channels, kernel: 1}\n"
         "layers: [se, se: {ratio: 16}]\n",  # max(8, 32 // 4) = 8 and max(8, 32 // 16) = 8
         {"se.conv2d": (1, 1, 8), "se.conv2d_1": (1, 1, 32)}),
    # ------------------------------------------------------------ split
    Good("split-parts-named-by-index",
         "input: [8, 8, 116]\nlayers:\n  - split: {parts: 2, name: s}\n"
         "  - conv2d: {filters: 58, kernel: 1}\n  - concat: {from: [s.0, conv2d]}\n",
         {"s.0": (8, 8, 58), "s.1": (8, 8, 58), "concat": (8, 8, 116)},
         {"s.0": ["input"], "s.1": ["input"], "conv2d": ["s.1"], "concat": ["s.0", "conv2d"]}),
    Good("split-default-names-and-sizes",
         "input: [8, 8, 10]\nlayers:\n  - split: {sizes: [4, 6]}\n  - chunk: {parts: 2, from: split.0}\n"
         "  - relu: {from: split}\n",  # a split's name stands for its last part
         {"split.0": (8, 8, 4), "split.1": (8, 8, 6), "split_1.0": (8, 8, 2), "split_1.1": (8, 8, 2)},
         {"split_1.0": ["split.0"], "relu": ["split.1"]}),
    Good("split-inside-a-block-by-short-name",
         "input: [8, 8, 8]\nblocks:\n  unit:\n    layers:\n      - split: {parts: 2, name: s}\n"
         "      - conv2d: {filters: $in_channels // 2, kernel: 1}\n      - concat: {from: [s.0, conv2d]}\n"
         "      - channel_shuffle: {groups: 2}\n"
         "layers: [unit: {repeat: 2, name: stage}]\n",
         {"stage.1.s.0": (8, 8, 4), "stage.1.channel_shuffle": (8, 8, 8)},
         {"stage.1.s.0": ["stage.0.channel_shuffle"], "stage.1.concat": ["stage.1.s.0", "stage.1.conv2d"]}),
    Good("split-skipped-by-if",
         "input: [8, 8, 4]\nlayers:\n  - split: {parts: 2, if: false}\n  - relu\n",
         {"relu": (8, 8, 4)}, {"relu": ["input"]}),
]


def _names(model: Any, indices: tuple[int, ...]) -> list[str]:
    return ["input" if i == INPUT else model.nodes[i].name for i in indices]


@pytest.mark.parametrize("good", GOOD, ids=[g.id for g in GOOD])
def test_feature(good: Good) -> None:
    summary = parse(good.text, "net.yaml")
    rows = {row.node.name: row for row in summary.rows}
    for name, dims in good.outputs.items():
        assert rows[name].result.output.dims == dims, name
    for name, reads in good.inputs.items():
        assert _names(summary.model, rows[name].node.inputs) == reads, name


class Bad(NamedTuple):
    id: str
    text: str
    message: str
    there: str
    """What the text at the message's line and column starts with."""


BAD = [
    Bad("caller-block-params-stay-in-the-caller",  # params are lexical: a block sees its own and the top level's
        "input: [8, 8, 4]\nblocks:\n  inner: {layers: [conv2d: {filters: $g, kernel: 1}]}\n"
        "  outer: {params: {g: 2}, layers: [inner]}\nlayers: [outer]\n",
        "net.yaml:3:38: layer 'outer.inner.conv2d' (conv2d): expression '$g' uses unknown parameter 'g'; "
        "known: in_channels, in_h, in_w", "$g"),
    Bad("name-unquoted-number", "input: [8, 8, 3]\nlayers:\n  - relu: {name: 3}\n",
        "net.yaml:3:18: layer 'relu' (relu): a name must be a word of letters, digits, _ and - (not 'input'), "
        "got 3; quote a number to use it as a name: '3'", "3"),
    Bad("name-with-a-dot", "input: [8, 8, 3]\nlayers:\n  - relu: {name: features.3}\n",
        "net.yaml:3:18: layer 'relu' (relu): a name must be a word of letters, digits, _ and - (not 'input'), "
        "got 'features.3'", "features.3"),
    Bad("block-name-starting-with-a-digit", "input: [8, 8, 3]\nblocks:\n  3x3: {layers: [relu]}\nlayers: [relu]\n",
        "net.yaml:3:3: block name '3x3' must be a word (letters, digits, _, -)", "3x3"),
    Bad("in-channels-at-the-top-level", "input: [8, 8, 3]\nlayers:\n  - conv2d: {filters: $in_channels, kernel: 1}\n",
        "net.yaml:3:23: layer 'conv2d' (conv2d): expression '$in_channels' uses unknown parameter "
        "'in_channels'; this block has no params", "$in_channels"),
    Bad("in-h-of-a-vector", "input: [10]\nblocks:\n  b:\n    layers:\n      - dense: {units: $in_h}\n"
        "layers: [b]\n",
        "net.yaml:5:24: layer 'b.dense' (dense): expression '$in_h' uses 'in_h', the input's height H "
        "(2-D and 3-D maps), but this block's input is a vector of 10 features", "$in_h"),
    Bad("in-d-of-a-2d-map", "input: [8, 8, 3]\nblocks:\n  b:\n    layers:\n      - conv2d: {filters: $in_d, kernel: 1}\n"
        "layers: [b]\n",
        "net.yaml:5:27: layer 'b.conv2d' (conv2d): expression '$in_d' uses 'in_d', the input's depth D "
        "(3-D maps), but this block's input is an 8×8×3 map", "$in_d"),
    Bad("in-h-of-a-1d-map", "input: [100, 4]\nblocks:\n  b:\n    layers:\n      - conv1d: {filters: $in_h, kernel: 1}\n"
        "layers: [b]\n",
        "net.yaml:5:27: layer 'b.conv1d' (conv1d): expression '$in_h' uses 'in_h', the input's height H "
        "(2-D and 3-D maps), but this block's input is a 100×4 map (L×C)", "$in_h"),
    Bad("reserved-in-d", "input: [8, 8, 3]\nblocks: {b: {params: {in_d: 3}, layers: [relu]}}\nlayers: [b]\n",
        "net.yaml:2:23: parameter name 'in_d' is reserved: inside a block it is the input's depth D "
        "(3-D maps); choose another name", "in_d"),
    Bad("reserved-parameter-name", "input: [8, 8, 3]\nblocks: {b: {params: {in_channels: 3}, layers: [relu]}}\nlayers: [b]\n",
        "net.yaml:2:23: parameter name 'in_channels' is reserved: inside a block it is the input's channels; "
        "choose another name", "in_channels"),
    Bad("split-two-inputs", "input: [8, 8, 4]\nlayers:\n  - relu: {name: a}\n  - split: {parts: 2, from: [a, input]}\n",
        "net.yaml:4:5: layer 'split' (split): a split takes one input; 'from' names 2", "split"),
    Bad("split-part-out-of-range", "input: [8, 8, 4]\nlayers:\n  - split: {parts: 2, name: s}\n  - relu: {from: s.2}\n",
        "net.yaml:4:18: layer 'relu' (relu): no earlier layer is named 's.2'; did you mean 's.1'?", "s.2"),
    Bad("expect-null-entry", "input: [8, 8, 3]\nlayers: [relu: {name: r}]\nexpect: {layers: {r: }}\n",
        "net.yaml:3:22: expect: layer 'r' lists no figures; give one or more of output, params, trainable, "
        "non_trainable, macs", "}"),
    Bad("expect-unknown-name", "input: [8, 8, 3]\nlayers: [sequential: {name: head, layers: [relu]}]\n"
        "expect: {layers: {haed: {output: [8, 8, 3]}}}\n",
        "net.yaml:3:19: expect: no layer, block or container is named 'haed'; did you mean 'head'?", "haed"),
    Bad("expect-on-an-empty-group", "input: [8, 8, 3]\nlayers:\n  - relu\n  - sequential: {name: s, layers: [relu: {if: false}]}\n"
        "expect: {layers: {s: {params: 0}}}\n",
        "net.yaml:5:19: expect: 's' has no layers (every entry in it was skipped by 'if'); there is nothing to compare",
        "s: "),
]


def _text_at(text: str, message: str) -> str:
    line, column = (int(n) for n in re.match(r"net\.yaml:(\d+):(\d+): ", message).groups())  # type: ignore[union-attr]
    return text.splitlines()[line - 1][column - 1 :]


@pytest.mark.parametrize("bad", BAD, ids=[b.id for b in BAD])
def test_error_message(bad: Bad) -> None:
    with pytest.raises(LoadError, match=f"^{re.escape(bad.message)}$"):
        parse(bad.text, "net.yaml")


@pytest.mark.parametrize("bad", BAD, ids=[b.id for b in BAD])
def test_error_points_at_the_offending_text(bad: Bad) -> None:
    assert _text_at(bad.text, bad.message).startswith(bad.there)


@pytest.mark.parametrize(
    ("text", "line", "column", "option"),
    [
        pytest.param("input: [8, 8, 5]\nlayers:\n  - relu\n  - split: {parts: 2, name: s}\n", 4, 5, None, id="parts"),
        pytest.param("input: [8, 8, 5]\nlayers:\n  - relu\n  - split: {sizes: [2, 2], name: s}\n", 4, 20, "sizes", id="sizes"),
    ],
)
def test_a_split_that_does_not_fit_is_reported_at_the_split(text: str, line: int, column: int, option: str | None) -> None:
    """The wording is the layer's own (layers/channels.py); the place and the layer are the loader's."""
    with pytest.raises(LoadError) as caught:
        parse(text, "net.yaml")
    e = caught.value
    assert (e.at.line, e.at.column, e.layer, e.kind, e.rule) == (line, column, "s", "split", "impossible-layer")
    assert e.message.startswith(f"net.yaml:{line}:{column}: layer 's' (split): ") and "5" in e.reason
    if option is not None:
        assert e.option == option


# ==================================================================== errors as data


class Fields(NamedTuple):
    id: str
    text: str
    line: int
    column: int
    layer: str | None
    kind: str | None
    noun: str
    option: str | None
    rule: str


FIELDS = [
    Fields("option-value", "input: [8, 8, 3]\nlayers:\n  - conv2d: {filters: 8, kernel: 3, stride: 0, name: c}\n",
           3, 45, "c", "conv2d", "layer", "stride", "schema"),
    Fields("unknown-option", "input: [8, 8, 3]\nlayers:\n  - conv2d: {filters: 8, kernel: 3, strid: 2}\n",
           3, 37, "conv2d", "conv2d", "layer", "strid", "schema"),
    Fields("shape", "input: [5, 5, 3]\nlayers:\n  - relu\n  - conv2d: {filters: 8, kernel: 7}\n",
           4, 5, "conv2d", "conv2d", "layer", None, "impossible-layer"),
    Fields("merge", "input: [8, 8, 3]\nlayers:\n  - conv2d: {filters: 4, kernel: 1, name: a}\n  - add: {from: [a, input]}\n",
           4, 5, "add", "add", "layer", None, "merge-mismatch"),
    Fields("block", "input: [8, 8, 3]\nblocks: {u: {layers: [relu]}}\nlayers:\n  - u: {repeat: 0, name: s}\n",
           4, 17, "s", "u", "block", "repeat", "schema"),
    Fields("container", "input: [8, 8, 3]\nlayers:\n  - residual: {body: [relu], merge: sum}\n",
           3, 37, "residual", "residual", "container", "merge", "schema"),
    Fields("reference", "input: [8, 8, 3]\nlayers:\n  - relu: {from: nowhere}\n",
           3, 18, "relu", "relu", "layer", "from", "dangling-reference"),
    Fields("kind", "input: [8, 8, 3]\nlayers:\n  - rleu\n", 3, 5, None, None, "layer", None, "unknown-kind"),
    Fields("yaml", "input: [8, 8, 3]\nlayers:\n  - conv2d: {filters: 8, kernel: 3, filters: 4}\n", 3, 37, None, None, "layer", None, "yaml-syntax"),
]


@pytest.mark.parametrize("case", FIELDS, ids=[c.id for c in FIELDS])
def test_errors_carry_their_place_as_fields(case: Fields) -> None:
    with pytest.raises(LoadError) as caught:
        parse(case.text, "net.yaml")
    e = caught.value
    assert (e.at.file, e.at.line, e.at.column) == ("net.yaml", case.line, case.column)
    assert (e.layer, e.kind, e.option, e.rule) == (case.layer, case.kind, case.option, case.rule)
    assert getattr(e, "noun", "layer") == case.noun
    # the message is composed from the fields: place first, then the entry, then the reason
    where = f"net.yaml:{case.line}:{case.column}: " + (f"{case.noun} {case.layer!r} ({case.kind}): " if case.layer else "")
    assert e.message == where + e.reason


def test_a_file_that_cannot_be_read_names_it(tmp_path: Any) -> None:
    with pytest.raises(LoadError, match=r"^.*missing\.yaml: no such file$") as caught:
        load(tmp_path / "missing.yaml")
    assert caught.value.rule == "unreadable" and caught.value.at is None


# ==================================================================== load once


def test_parse_returns_the_same_analysis_as_analyse() -> None:
    text = (
        "input: [16, 16, 3]\nlayers:\n  - conv2d: {filters: 8, kernel: 3, padding: 1}\n  - batchnorm2d\n"
        "  - residual: {body: [conv2d: {filters: 8, kernel: 3, padding: 1}], trainable: false}\n"
        "  - global_avgpool2d\n  - dense: {units: 10}\n"
    )
    summary = parse(text, "net.yaml")
    assert summary == analyse(parse_model(text, "net.yaml"))
    assert summary.totals.dtype is DType.FLOAT32


@pytest.mark.parametrize("dtype", list(DType), ids=[d.value for d in DType])
def test_with_dtype_recomputes_only_the_totals(dtype: DType) -> None:
    text = "input: [16, 16, 3]\nlayers:\n  - conv2d: {filters: 8, kernel: 3}\n  - relu\n  - dense: {units: 4}\n"
    summary = parse(text, "net.yaml")
    again = summary.with_dtype(dtype)
    assert again == analyse(summary.model, dtype)
    assert again.rows is summary.rows


# ==================================================================== split against PyTorch


@pytest.mark.parametrize(
    ("options", "channels", "cut"),
    [
        pytest.param("{parts: 2}", 116, lambda x: x.chunk(2, dim=1), id="chunk-2"),
        pytest.param("{parts: 4}", 12, lambda x: x.chunk(4, dim=1), id="chunk-4"),
        pytest.param("{sizes: [3, 5, 8]}", 16, lambda x: x.split([3, 5, 8], dim=1), id="sizes"),
    ],
)
def test_split_parts_match_pytorch(options: str, channels: int, cut: Any) -> None:
    torch = pytest.importorskip("torch")
    summary = parse(f"input: [4, 4, {channels}]\nlayers:\n  - split: {options}\n", "net.yaml")
    parts = cut(torch.zeros(1, channels, 4, 4))
    assert [row.result.output.dims for row in summary.rows] == [(4, 4, p.shape[1]) for p in parts]
    assert [row.node.name for row in summary.rows] == [f"split.{i}" for i in range(len(parts))]
