"""Architecture files: the exact message and place of every error, and the format's features.

Errors read ``file:line:col: message``; the line and column are those of the
offending key or value, which each row also pins by the text found there.
Successes are checked against hand-computed shapes and counts.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import pytest

from convcalc.loader import LoadError, parse_model
from convcalc.model import INPUT, Model, analyse

H = "input: [8, 8, 3]\nlayers:\n"
UNIT = (
    "input: [8, 8, 3]\nblocks:\n  unit:\n    params: {width: 8}\n    layers:\n"
    "      - conv2d: {filters: $width, kernel: 1}\n"
)


class Bad(NamedTuple):
    id: str
    text: str
    message: str
    """The whole message, ``net.yaml:line:col: …``."""
    there: str
    """What the text at that line and column starts with."""


ERRORS = [
    # ---------------------------------------------------------------- YAML itself
    Bad("yaml-unclosed-bracket", "input: [224, 224, 3\nlayers:\n  - relu\n",
        "net.yaml:1:8: YAML syntax error: did not find expected ',' or ']', in a flow sequence "
        "that starts here (the parser stopped at line 2, column 7)", "["),
    Bad("yaml-tab-indent", H + "\t- relu\n",
        "net.yaml:3:1: YAML syntax error: found character that cannot start any token", "\t"),
    Bad("yaml-control-character", "input: [8, 8, 3]\nname: a\x07b\nlayers: [relu]\n",
        "net.yaml:2:8: YAML syntax error: character '\\x07' is not allowed in YAML text", "\x07"),
    Bad("yaml-two-documents", "input: [8, 8, 3]\nlayers: [relu]\n---\ninput: [1]\n",
        "net.yaml:3:1: YAML syntax error: expected a single document in the stream, "
        "but found another document", "---"),
    Bad("yaml-duplicate-key", H + "  - conv2d: {filters: 8, kernel: 3, filters: 4}\n",
        "net.yaml:3:37: duplicate key 'filters' (first at line 3)", "filters: 4"),
    Bad("yaml-merge-key", "input: [8, 8, 3]\nparams: &p {kernel: 3}\nlayers:\n  - conv2d: {<<: *p, filters: 8}\n",
        "net.yaml:4:14: YAML merge keys ('<<') are not supported; use a block instead", "<<"),
    Bad("yaml-impossible-date", "input: [8, 8, 3]\nname: 2024-13-01\nlayers: [relu]\n",
        "net.yaml:2:7: '2024-13-01' is not a valid timestamp (month must be in 1..12); "
        "quote it to make it text", "2024-13-01"),
    Bad("yaml-recursive-alias", "input: [8, 8, 3]\nlayers: &l\n  - sequential: *l\n",
        "net.yaml:2:9: an alias refers to a node that contains it; remove the recursive '*' reference",
        "&l"),
    # ---------------------------------------------------------------- the top level
    Bad("empty-file", "", "net.yaml:1:1: the file is empty; an architecture needs 'input' and 'layers'", ""),
    Bad("only-comments", "# nothing yet\n",
        "net.yaml:1:1: the file is empty; an architecture needs 'input' and 'layers'", "#"),
    Bad("top-level-list", "- relu\n- relu\n",
        "net.yaml:1:1: an architecture file must be a mapping of keys to values, got a list", "- relu"),
    Bad("top-level-text", "resnet50\n",
        "net.yaml:1:1: an architecture file must be a mapping of keys to values, got 'resnet50' (a str)",
        "resnet50"),
    Bad("missing-input", "layers:\n  - relu\n",
        "net.yaml:1:1: the architecture has no 'input'; add it (see docs/format.md)", "layers"),
    Bad("missing-layers", "input: [8, 8, 3]\n",
        "net.yaml:1:1: the architecture has no 'layers'; add it (see docs/format.md)", "input"),
    Bad("unknown-top-level-key", "input: [8, 8, 3]\nlayers: [relu]\nouptut: relu\n",
        "net.yaml:3:1: unknown key 'ouptut' in the architecture; did you mean 'output'?", "ouptut"),
    Bad("unknown-top-level-key-far", "input: [8, 8, 3]\nlayers: [relu]\nweights: imagenet\n",
        "net.yaml:3:1: unknown key 'weights' in the architecture; expected one of: name, "
        "description, input, layout, params, blocks, layers, output, expect", "weights"),
    Bad("input-not-a-list", "input: 224\nlayers: [relu]\n",
        "net.yaml:1:8: input must be [H, W, C] like [224, 224, 3] ([L, C], [D, H, W, C]) or [features], got 224 (an int)", "224"),
    Bad("input-as-text", "input: 224x224x3\nlayers: [relu]\n",
        "net.yaml:1:8: input must be [H, W, C] like [224, 224, 3] ([L, C], [D, H, W, C]) or [features], "
        "got '224x224x3' (a str)", "224x224x3"),
    Bad("input-five-sizes", "input: [2, 16, 112, 112, 3]\nlayers: [relu]\n",
        "net.yaml:1:8: input must be [H, W, C] like [224, 224, 3] ([L, C], [D, H, W, C]) or [features], "
        "got 5 sizes, [2, 16, 112, 112, 3]", "[2, 16, 112, 112, 3]"),
    Bad("input-chw-five-sizes", "layout: chw\ninput: [3, 2, 16, 112, 112]\nlayers: [relu]\n",
        "net.yaml:2:8: input must be [C, H, W] like [3, 224, 224] ([C, L], [C, D, H, W]) or [features], "
        "got 5 sizes, [3, 2, 16, 112, 112]", "[3, 2, 16, 112, 112]"),
    Bad("input-zero", "input: [224, 0, 3]\nlayers: [relu]\n",
        "net.yaml:1:14: input sizes must be positive whole numbers, got 0 (an int)", "0, 3]"),
    Bad("layout-invalid", "input: [8, 8, 3]\nlayout: nchw\nlayers: [relu]\n",
        "net.yaml:2:9: layout must be 'hwc' or 'chw', got 'nchw' (a str)", "nchw"),
    Bad("layers-empty", "input: [8, 8, 3]\nlayers: []\n",
        "net.yaml:2:9: layers is empty; list at least one layer", "[]"),
    Bad("layers-a-mapping", "input: [8, 8, 3]\nlayers:\n  relu: {}\n",
        "net.yaml:3:3: layers must be a list, got a mapping", "relu"),
    Bad("expect-not-a-mapping", "input: [8, 8, 3]\nlayers: [relu]\nexpect: [1000]\n",
        "net.yaml:3:9: expect must be a mapping of keys to values, got a list", "[1000]"),
    Bad("params-bad-name", "input: [8, 8, 3]\nparams: {2x: 8}\nlayers: [relu]\n",
        "net.yaml:2:10: parameter name '2x' must be a word (letters, digits, _)", "2x"),
    Bad("output-unknown", "input: [8, 8, 3]\nlayers:\n  - relu: {name: features}\noutput: featurs\n",
        "net.yaml:4:9: output: no earlier layer is named 'featurs'; did you mean 'features'?", "featurs"),
    Bad("output-input", "input: [8, 8, 3]\nlayers: [relu]\noutput: input\n",
        "net.yaml:3:9: output must name a layer, not the input", "input"),
    Bad("everything-skipped", "input: [8, 8, 3]\nlayers:\n  - relu: {if: false}\n",
        "net.yaml:3:3: every layer was skipped by 'if'; the model has no layers", "- relu"),
    # ---------------------------------------------------------------- entries and kinds
    Bad("unknown-kind", H + "  - conv2: {filters: 8, kernel: 3}\n",
        "net.yaml:3:5: unknown layer kind 'conv2'; did you mean 'conv2d'?", "conv2:"),
    Bad("unknown-kind-bare", H + "  - rleu\n",
        "net.yaml:3:5: unknown layer kind 'rleu'; did you mean 'relu'?", "rleu"),
    Bad("unknown-kind-far", H + "  - transformer: {heads: 8}\n",
        "net.yaml:3:5: unknown layer kind 'transformer'; see 'convcalc layer --help' for the kinds",
        "transformer"),
    Bad("entry-with-two-keys", H + "  - conv2d: {filters: 8, kernel: 3}\n    name: c1\n",
        "net.yaml:4:5: a layer entry has one key (its kind), found 2: conv2d, name; put 'name' "
        "inside the options, as in '- conv2d: {name: ...}'", "name: c1"),
    Bad("entry-with-from-first", H + "  - from: input\n    relu: {}\n",
        "net.yaml:4:5: a layer entry has one key (its kind), found 2: from, relu; put 'from' "
        "inside the options, as in '- relu: {from: ...}'", "relu"),
    Bad("entry-not-a-layer", H + "  - 3\n",
        "net.yaml:3:5: expected a layer such as 'relu' or 'conv2d: {filters: 64, kernel: 3}', "
        "got 3 (an int)", "3"),
    Bad("options-not-a-mapping", H + "  - relu: [1]\n",
        "net.yaml:3:11: layer 'relu' (relu): the options must be a mapping of keys to values, got a list",
        "[1]"),
    # ---------------------------------------------------------------- options
    Bad("unknown-option", H + "  - conv2d: {filters: 8, kernel: 3, strid: 2}\n",
        "net.yaml:3:37: layer 'conv2d' (conv2d): conv2d has no option 'strid'; did you mean 'stride'?",
        "strid"),
    Bad("foreign-option-name", H + "  - conv2d: {filters: 8, kernel_size: 3}\n",
        "net.yaml:3:26: layer 'conv2d' (conv2d): conv2d has no option 'kernel_size'; "
        "convcalc calls it 'kernel'", "kernel_size"),
    Bad("unknown-option-named-layer", H + "  - conv2d: {filters: 8, kernel: 3, name: stem, strides: 2}\n",
        "net.yaml:3:49: layer 'stem' (conv2d): conv2d has no option 'strides'; convcalc calls it 'stride'",
        "strides"),
    Bad("unknown-option-listed", H + "  - dense: {units: 8, activation: relu}\n",
        "net.yaml:3:23: layer 'dense' (dense): dense has no option 'activation'; "
        "its options are units, bias, name, from, trainable, if", "activation"),
    Bad("unknown-option-when-skipped", H + "  - relu\n  - conv2d: {filters: 8, kernel: 3, if: false, strid: 2}\n",
        "net.yaml:4:48: layer 'conv2d' (conv2d): conv2d has no option 'strid'; did you mean 'stride'?",
        "strid"),
    Bad("unknown-container-option", H + "  - residual: {bdy: [relu]}\n",
        "net.yaml:3:16: container 'residual' (residual): residual has no option 'bdy'; "
        "did you mean 'body'?", "bdy"),
    Bad("missing-option", H + "  - conv2d: {kernel: 3}\n",
        "net.yaml:3:5: layer 'conv2d' (conv2d): conv2d needs the option 'filters' "
        "(number of output channels)", "conv2d"),
    Bad("stride-as-word", H + "  - conv2d: {filters: 8, kernel: 3, stride: two}\n",
        "net.yaml:3:45: layer 'conv2d' (conv2d): stride must be a positive whole number, "
        "or a pair [h, w] of them (got 'two')", "two"),
    Bad("filters-fraction", H + "  - conv2d: {filters: 1.5, kernel: 3}\n",
        "net.yaml:3:23: layer 'conv2d' (conv2d): filters must be a positive whole number (got 1.5)", "1.5"),
    Bad("filters-of-second-conv", H + "  - conv2d: {filters: 8, kernel: 3}\n  - conv2d: {filters: -8, kernel: 3}\n",
        "net.yaml:4:23: layer 'conv2d_1' (conv2d): filters must be a positive whole number (got -8)", "-8"),
    Bad("trainable-as-text", H + "  - conv2d: {filters: 8, kernel: 3, trainable: \"no\"}\n",
        "net.yaml:3:48: layer 'conv2d' (conv2d): 'trainable' must be true or false, got 'no'", "\"no\""),
    Bad("if-as-text", H + "  - relu: {if: maybe}\n",
        "net.yaml:3:16: layer 'relu' (relu): 'if' must be true or false, got 'maybe'", "maybe"),
    Bad("padding-word", H + "  - conv2d: {filters: 8, kernel: 3, padding: full}\n",
        "net.yaml:3:46: layer 'conv2d' (conv2d): padding 'full' is not understood; use a number, "
        "[h, w], [top, bottom, left, right], 'same' or 'valid'", "full"),
    # ---------------------------------------------------------------- names and references
    Bad("name-not-a-word", H + "  - relu: {name: my relu}\n",
        "net.yaml:3:18: layer 'relu' (relu): a name must be a word of letters, digits, _ and - "
        "(not 'input'), got 'my relu'", "my relu"),
    Bad("name-input", H + "  - relu: {name: input}\n",
        "net.yaml:3:18: layer 'relu' (relu): a name must be a word of letters, digits, _ and - "
        "(not 'input'), got 'input'", "input"),
    Bad("duplicate-name", H + "  - conv2d: {filters: 8, kernel: 3, name: stem}\n  - relu: {name: stem}\n",
        "net.yaml:4:18: layer 'stem' (relu): name 'stem' is already used in this scope; "
        "names must be unique", "stem"),
    Bad("duplicate-name-of-a-container", H + "  - relu: {name: stage}\n  - sequential: {name: stage, layers: [relu]}\n",
        "net.yaml:4:24: container 'stage' (sequential): name 'stage' is already used in this scope; "
        "names must be unique", "stage"),
    Bad("dangling-from", H + "  - conv2d: {filters: 8, kernel: 3, name: stem}\n  - relu: {from: stme}\n",
        "net.yaml:4:18: layer 'relu' (relu): no earlier layer is named 'stme'; did you mean 'stem'?", "stme"),
    Bad("dangling-from-in-list", "input: [8, 8, 3]\nlayers:\n  - relu: {name: left}\n  - add: {from: [left, rigth]}\n",
        "net.yaml:4:24: layer 'add' (add): no earlier layer is named 'rigth'; "
        "name the layer with 'name:' before referring to it", "rigth"),
    Bad("from-a-later-layer", H + "  - relu: {from: later}\n  - relu: {name: later}\n",
        "net.yaml:3:18: layer 'relu' (relu): no earlier layer is named 'later'; "
        "name the layer with 'name:' before referring to it", "later"),
    Bad("from-the-enclosing-container", H + "  - sequential:\n      name: stage\n      layers:\n        - relu: {from: stage}\n",
        "net.yaml:6:24: layer 'stage.relu' (relu): 'stage' is the block or container this layer is "
        "inside; refer to a layer before it", "stage"),
    Bad("from-empty-list", H + "  - relu: {from: []}\n",
        "net.yaml:3:18: layer 'relu' (relu): 'from' is empty; name at least one earlier layer", "[]"),
    Bad("from-a-number", H + "  - relu: {from: 3}\n",
        "net.yaml:3:18: layer 'relu' (relu): 'from' names earlier layers, got 3 (an int); "
        "quote a name that is a number: '3'", "3"),
    Bad("inner-name-outside-its-scope", H + "  - sequential: {name: stage, layers: [relu: {name: act}]}\n  - relu: {from: act}\n",
        "net.yaml:4:18: layer 'relu' (relu): no earlier layer is named 'act'; "
        "name the layer with 'name:' before referring to it", "act"),
    # ---------------------------------------------------------------- merges and shapes
    Bad("merge-without-from", H + "  - add\n",
        "net.yaml:3:5: layer 'add' (add): add joins several inputs; say which with from: [a, b]", "add"),
    Bad("merge-one-input", H + "  - add: {from: input}\n",
        "net.yaml:3:5: layer 'add' (add): add takes at least 2 inputs, got 1", "add"),
    Bad("add-56x56x64-and-56x56x256",
        "input: [56, 56, 64]\nlayers:\n  - conv2d: {filters: 256, kernel: 1, name: expand}\n"
        "  - add: {from: [input, expand], name: join}\n",
        "net.yaml:4:5: layer 'join' (add): add cannot broadcast 56×56×64 and 56×56×256: "
        "sizes 64 and 256 differ along C; sizes must match or be 1", "add"),
    Bad("residual-body-and-identity-differ",
        "input: [56, 56, 64]\nlayers:\n  - residual:\n      name: block\n      body:\n"
        "        - conv2d: {filters: 256, kernel: 1}\n",
        "net.yaml:3:5: layer 'block.add' (add): add cannot broadcast 56×56×256 and 56×56×64: "
        "sizes 256 and 64 differ along C; sizes must match or be 1", "residual"),
    Bad("concat-different-heights",
        "input: [56, 56, 64]\nlayers:\n  - branches:\n      paths:\n"
        "        - [conv2d: {filters: 32, kernel: 3}]\n        - [conv2d: {filters: 32, kernel: 1}]\n",
        "net.yaml:3:5: layer 'concat' (concat): concat joins along channels, so all but the last "
        "axis must match; got 54×54×32 and 56×56×32", "branches"),
    Bad("kernel-larger-than-padded-input", "input: [5, 5, 3]\nlayers:\n  - conv2d: {filters: 8, kernel: 7, padding: 0, name: conv3}\n",
        "net.yaml:3:5: layer 'conv3' (conv2d): kernel 7 is larger than the padded input 5 (H=5, padding=0)",
        "conv2d"),
    Bad("groups-not-dividing-channels", "input: [8, 8, 6]\nlayers:\n  - conv2d: {filters: 8, kernel: 3, groups: 4, name: grouped}\n",
        "net.yaml:3:5: layer 'grouped' (conv2d): conv2d: groups=4 does not divide the 6 input channels; "
        "use a divisor of 6", "conv2d"),
    Bad("vector-into-conv", "input: [2048]\nlayers:\n  - conv2d: {filters: 8, kernel: 1}\n",
        "net.yaml:3:5: layer 'conv2d' (conv2d): conv2d needs an H×W×C feature map, "
        "got a vector of 2,048 features", "conv2d"),
    # ---------------------------------------------------------------- containers
    Bad("branches-one-path", H + "  - branches: {paths: [[relu]]}\n",
        "net.yaml:3:23: container 'branches' (branches): branches needs at least 2 paths, got 1", "[[relu]]"),
    Bad("branches-path-not-a-list", H + "  - branches: {paths: [relu, relu]}\n",
        "net.yaml:3:24: container 'branches' (branches): each path must be a list, got 'relu' (a str)",
        "relu, relu"),
    Bad("residual-without-body", H + "  - residual: {shortcut: [relu]}\n",
        "net.yaml:3:5: container 'residual' (residual): residual needs 'body': the layers whose output is added "
        "to the shortcut", "residual"),
    Bad("residual-empty-shortcut-key", H + "  - residual: {body: [relu], shortcut: }\n",
        "net.yaml:3:40: container 'residual' (residual): shortcut must be a list, got nothing", "}"),
    Bad("merge-unknown", H + "  - residual: {body: [relu], merge: sum}\n",
        "net.yaml:3:37: container 'residual' (residual): merge must be one of add, multiply, concat, "
        "got 'sum'", "sum"),
    Bad("sequential-without-layers", H + "  - sequential: {name: s}\n",
        "net.yaml:3:5: container 's' (sequential): sequential needs 'layers'", "sequential"),
    # ---------------------------------------------------------------- blocks
    Bad("block-unknown-param", UNIT + "layers:\n  - unit: {widht: 4}\n",
        "net.yaml:8:12: block 'unit' (unit): unit has no option 'widht'; did you mean 'width'?", "widht"),
    Bad("block-unknown-param-in-first", UNIT + "layers:\n  - unit: {repeat: 2, first: {widht: 4}}\n",
        "net.yaml:8:31: block 'unit' (unit): unit has no option 'widht'; did you mean 'width'?", "widht"),
    Bad("block-repeat-zero", UNIT + "layers:\n  - unit: {repeat: 0}\n",
        "net.yaml:8:20: block 'unit' (unit): repeat must be a positive whole number, got 0", "0"),
    Bad("block-repeat-fraction", UNIT + "layers:\n  - unit: {name: stage, repeat: 1.5}\n",
        "net.yaml:8:33: block 'stage' (unit): repeat must be a positive whole number, got 1.5", "1.5"),
    Bad("block-first-not-a-mapping", UNIT + "layers:\n  - unit: {first: [1]}\n",
        "net.yaml:8:19: block 'unit' (unit): first must be a mapping of keys to values, got a list", "[1]"),
    Bad("block-recursion", "input: [8, 8, 3]\nblocks:\n  unit:\n    layers:\n      - relu\n      - unit\nlayers:\n  - unit\n",
        "net.yaml:6:9: block 'unit' uses itself (unit → unit); blocks cannot recurse", "unit"),
    Bad("block-mutual-recursion", "input: [8, 8, 3]\nblocks:\n  ping:\n    layers: [pong]\n  pong:\n    layers: [ping]\nlayers:\n  - ping\n",
        "net.yaml:6:14: block 'ping' uses itself (ping → pong → ping); blocks cannot recurse", "ping"),
    Bad("block-named-like-a-kind", "input: [8, 8, 3]\nblocks:\n  relu:\n    layers: [relu]\nlayers: [relu]\n",
        "net.yaml:3:3: block name 'relu' is already a layer kind; choose another", "relu"),
    Bad("block-without-layers", "input: [8, 8, 3]\nblocks:\n  unit:\n    params: {width: 8}\nlayers: [unit]\n",
        "net.yaml:4:5: block 'unit' has no 'layers'", "params"),
    Bad("block-unknown-key", "input: [8, 8, 3]\nblocks:\n  unit:\n    parms: {width: 8}\n    layers: [relu]\nlayers: [unit]\n",
        "net.yaml:4:5: unknown key 'parms' in block 'unit'; did you mean 'params'?", "parms"),
    Bad("block-two-inputs", "input: [8, 8, 3]\nblocks:\n  unit: {layers: [relu]}\nlayers:\n  - relu: {name: a}\n  - unit: {from: [a, input]}\n",
        "net.yaml:6:5: block 'unit' (unit): a block takes one input; 'from' names 2", "unit"),
    # ---------------------------------------------------------------- expressions
    Bad("expression-typo", UNIT.replace("$width", "$widht") + "layers:\n  - unit: {name: u}\n",
        "net.yaml:6:27: layer 'u.conv2d' (conv2d): expression '$widht' uses unknown parameter "
        "'widht'; did you mean 'width'?", "$widht"),
    Bad("expression-division-by-zero", H + "  - conv2d: {filters: $1/0, kernel: 1}\n",
        "net.yaml:3:23: layer 'conv2d' (conv2d): expression '$1/0' cannot be computed: division by zero",
        "$1/0"),
    Bad("expression-syntax", "input: [8, 8, 3]\nparams: {width: 8}\nlayers:\n  - conv2d: {filters: $width +, kernel: 1}\n",
        "net.yaml:4:23: layer 'conv2d' (conv2d): expression '$width +' is not valid arithmetic", "$width +"),
    Bad("expression-power", "input: [8, 8, 3]\nparams: {width: 8}\nlayers:\n  - conv2d: {filters: $width ** 2, kernel: 1}\n",
        "net.yaml:4:23: layer 'conv2d' (conv2d): expression '$width ** 2' may use only numbers, "
        "parameter names, + - * / // %, comparisons, and/or/not, parentheses, 'a if test else b' "
        "and the functions min, max, int, round, floor, ceil, abs", "$width ** 2"),
    Bad("expression-true-division", "input: [8, 8, 3]\nparams: {width: 8}\nlayers:\n  - conv2d: {filters: $width / 3, kernel: 1}\n",
        "net.yaml:4:23: layer 'conv2d' (conv2d): filters must be a positive whole number "
        "(got 2.6666666666666665); '/' divides into a decimal, '//' gives a whole number", "$width / 3"),
    Bad("expression-on-text", "input: [8, 8, 3]\nparams: {mode: nearest}\nlayers:\n  - conv2d: {filters: $mode * 2, kernel: 1}\n",
        "net.yaml:4:23: layer 'conv2d' (conv2d): expression '$mode * 2' cannot be computed: "
        "'nearest' is not a number", "$mode * 2"),
    Bad("expression-ordering-text", "input: [8, 8, 3]\nparams: {mode: nearest}\nlayers:\n  - relu: {if: $mode > 1}\n",
        "net.yaml:4:16: layer 'relu' (relu): expression '$mode > 1' cannot compare 'nearest' with 1",
        "$mode > 1"),
    Bad("expression-too-large", H + f"  - dense: {{units: ${'9' * 200} * {'9' * 200}}}\n",
        f"net.yaml:3:20: layer 'dense' (dense): expression '${'9' * 200} * {'9' * 200}' gives a number "
        "of more than 300 digits", "$999"),
    Bad("expression-in-block-default", "input: [8, 8, 3]\nblocks:\n  unit:\n    params: {width: $base * 2}\n"
        "    layers: [relu]\nlayers:\n  - unit\n",
        "net.yaml:4:21: block 'unit' (unit): expression '$base * 2' uses unknown parameter 'base'; "
        "this block has no params", "$base * 2"),
]


def _text_at(text: str, message: str) -> str:
    """The source text from the line and column a message points at."""
    line, column = (int(n) for n in re.match(r"net\.yaml:(\d+):(\d+): ", message).groups())  # type: ignore[union-attr]
    lines = text.splitlines() or [""]
    return lines[line - 1][column - 1 :]


@pytest.mark.parametrize("bad", ERRORS, ids=[b.id for b in ERRORS])
def test_error_message(bad: Bad) -> None:
    with pytest.raises(LoadError, match=f"^{re.escape(bad.message)}$"):
        parse_model(bad.text, "net.yaml")


@pytest.mark.parametrize("bad", ERRORS, ids=[b.id for b in ERRORS])
def test_error_points_at_the_offending_text(bad: Bad) -> None:
    assert _text_at(bad.text, bad.message).startswith(bad.there)


def test_error_ids_are_unique() -> None:
    assert len({b.id for b in ERRORS}) == len(ERRORS)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    text = "input: [8, 8, 3]\nlayers: [relu]\nexpect: " + "[" * 500 + "]" * 500 + "\n"
    with pytest.raises(LoadError, match=r"^net\.yaml:3:\d+: lists and mappings are nested more than 100 deep here$"):
        parse_model(text, "net.yaml")


# ==================================================================== features


class Good(NamedTuple):
    id: str
    text: str
    names: list[str] | None = None
    """Every node's name, in order."""
    output: tuple[int, ...] | None = None
    trainable: int | None = None
    non_trainable: int | None = None
    inputs: dict[str, list[str]] = {}  # noqa: RUF012 - read-only default
    """Node name → the names it reads (``input`` for the model input)."""


GOOD = [
    Good("names-from-and-input",
         "input: [32, 32, 16]\nlayers:\n"
         "  - conv2d: {filters: 16, kernel: 3, padding: 1, name: left}\n"
         "  - conv2d: {filters: 16, kernel: 1, from: input, name: right}\n"
         "  - add: {from: [left, right]}\n"
         "  - relu\n",
         names=["left", "right", "add", "relu"], output=(32, 32, 16),
         # (3·3·16 + 1)·16 = 2,320 and (16 + 1)·16 = 272
         trainable=2_320 + 272,
         inputs={"left": ["input"], "right": ["input"], "add": ["left", "right"], "relu": ["add"]}),
    Good("auto-names-keras-style",
         "input: [8, 8, 3]\nlayers:\n  - conv2d: {filters: 4, kernel: 1}\n  - relu\n"
         "  - conv2d: {filters: 4, kernel: 1, name: conv2d_1}\n  - conv2d: {filters: 4, kernel: 1}\n"
         "  - relu\n  - linear: {units: 2}\n  - dense: {units: 2}\n",
         names=["conv2d", "relu", "conv2d_1", "conv2d_2", "relu_1", "dense", "dense_1"]),
    Good("residual-identity",
         "input: [56, 56, 64]\nlayers:\n  - residual:\n      body:\n"
         "        - conv2d: {filters: 64, kernel: 3, padding: 1, bias: false}\n        - relu\n",
         names=["conv2d", "relu", "add"], output=(56, 56, 64), trainable=3 * 3 * 64 * 64,
         inputs={"conv2d": ["input"], "add": ["relu", "input"]}),
    Good("residual-projection-shortcut",
         "input: [56, 56, 64]\nlayers:\n  - residual:\n      name: down\n"
         "      body: [conv2d: {filters: 128, kernel: 3, stride: 2, padding: 1, bias: false, name: conv}]\n"
         "      shortcut: [conv2d: {filters: 128, kernel: 1, stride: 2, bias: false, name: proj}]\n"
         "  - relu: {from: down}\n",
         names=["down.conv", "down.proj", "down.add", "relu"], output=(28, 28, 128),
         trainable=3 * 3 * 64 * 128 + 64 * 128,
         inputs={"down.conv": ["input"], "down.proj": ["input"], "down.add": ["down.conv", "down.proj"],
                 "relu": ["down.add"]}),
    Good("branches-concat",
         "input: [28, 28, 192]\nlayers:\n  - branches:\n      paths:\n"
         "        - [conv2d: {filters: 64, kernel: 1}]\n"
         "        - [conv2d: {filters: 96, kernel: 1}, conv2d: {filters: 128, kernel: 3, padding: 1}]\n"
         "        - []\n",
         names=["conv2d", "conv2d_1", "conv2d_2", "concat"], output=(28, 28, 64 + 128 + 192),
         inputs={"concat": ["conv2d", "conv2d_2", "input"]}),
    Good("branches-add",
         "input: [8, 8, 4]\nlayers:\n  - branches: {name: b, merge: add, paths: [[relu], [sigmoid]]}\n",
         names=["b.relu", "b.sigmoid", "b.add"], output=(8, 8, 4)),
    Good("sequential-named-and-unnamed",
         "input: [8, 8, 4]\nlayers:\n  - sequential: {name: head, layers: [relu, relu]}\n"
         "  - sequential: [relu, {relu: {name: last}}]\n",
         names=["head.relu", "head.relu_1", "relu", "last"]),
    Good("dotted-names-from-outside",
         "input: [8, 8, 4]\nlayers:\n  - sequential:\n      name: stage\n      layers:\n"
         "        - conv2d: {filters: 4, kernel: 1, name: conv1}\n        - relu\n"
         "  - add: {from: [stage.conv1, stage]}\n",
         names=["stage.conv1", "stage.relu", "add"], inputs={"add": ["stage.conv1", "stage.relu"]}),
    Good("outer-names-visible-inside",
         "input: [8, 8, 4]\nlayers:\n  - relu: {name: stem}\n"
         "  - sequential: {name: s, layers: [sigmoid, multiply: {from: [stem, sigmoid]}]}\n",
         inputs={"s.multiply": ["stem", "s.sigmoid"]}),
    Good("block-repeat-with-first",
         "input: [56, 56, 64]\nblocks:\n  unit:\n    params: {width: 64, stride: 1}\n    layers:\n"
         "      - conv2d: {filters: $width, kernel: 3, stride: $stride, padding: 1, bias: false, name: conv}\n"
         "      - relu\n"
         "layers:\n  - unit: {name: layer2, repeat: 3, width: 128, first: {stride: 2}}\n",
         names=["layer2.0.conv", "layer2.0.relu", "layer2.1.conv", "layer2.1.relu", "layer2.2.conv", "layer2.2.relu"],
         output=(28, 28, 128),
         trainable=3 * 3 * 64 * 128 + 2 * 3 * 3 * 128 * 128,
         inputs={"layer2.0.conv": ["input"], "layer2.1.conv": ["layer2.0.relu"]}),
    Good("block-without-repeat-and-auto-names",
         "input: [8, 8, 4]\nblocks:\n  unit: {layers: [relu]}\nlayers:\n  - unit\n  - unit\n  - unit: {name: u}\n",
         names=["unit.relu", "unit_1.relu", "u.relu"]),
    Good("block-inside-block",
         "input: [8, 8, 4]\nblocks:\n  inner:\n    params: {f: 4}\n    layers: [conv2d: {filters: $f, kernel: 1}]\n"
         "  outer:\n    params: {g: 2}\n    layers: [inner: {f: $g * 3, name: i}]\n"
         "layers:\n  - outer: {g: 5, name: o}\n",
         names=["o.i.conv2d"], output=(8, 8, 15)),
    Good("if-with-expressions",
         "input: [8, 8, 4]\nblocks:\n  unit:\n    params: {project: false}\n    layers:\n"
         "      - conv2d: {filters: 8, kernel: 1, name: proj, if: $project}\n"
         "      - relu: {name: proj, if: $not project}\n"
         "      - add: {from: [proj, input], if: $project and 1 > 2}\n"
         "layers:\n  - unit: {name: a}\n  - unit: {name: b, project: true, if: $1 < 2}\n  - relu: {if: false}\n",
         names=["a.proj", "b.proj"], output=(8, 8, 8),
         inputs={"a.proj": ["input"], "b.proj": ["a.proj"]}),
    Good("expressions",
         "input: [32, 32, 3]\nparams: {base: 16}\nblocks:\n  stage:\n    params: {width: 16, expand: 4}\n"
         "    layers:\n      - conv2d: {filters: $width * expand, kernel: 1, name: expand}\n"
         "      - conv2d: {filters: $width * 1.5, kernel: [$3 // 2 + 2, 1], padding: [1, 0], name: mix}\n"
         "layers:\n  - conv2d: {filters: $base, kernel: 3, padding: $base // 16}\n"
         "  - stage: {width: $base, expand: $6 % 4 + 4}\n",
         names=["conv2d", "stage.expand", "stage.mix"], output=(32, 32, 24),
         # 3·3·3·16 + 16 = 448; 16·96 + 96 = 1,632; 3·1·96·24 + 24 = 6,936
         trainable=448 + 1_632 + 6_936),
    Good("trainable-false-on-a-layer",
         "input: [8, 8, 3]\nlayers:\n  - conv2d: {filters: 8, kernel: 3, padding: 1, trainable: false}\n"
         "  - batchnorm2d\n  - dense: {units: 2}\n",
         # frozen conv (3·3·3 + 1)·8 = 224; batch norm 16 trainable + 16 running; dense 8·2 + 2 = 18
         trainable=16 + 18, non_trainable=224 + 16),
    Good("trainable-false-on-a-block",
         "input: [8, 8, 3]\nblocks:\n  backbone:\n    layers:\n"
         "      - conv2d: {filters: 8, kernel: 3, padding: 1, trainable: true}\n      - batchnorm2d\n"
         "layers:\n  - backbone: {trainable: false}\n  - global_avgpool2d\n  - dense: {units: 2}\n",
         # everything in the block is frozen, even the layer marked trainable: 224 + 16 + 16
         trainable=18, non_trainable=224 + 32),
    Good("trainable-false-on-a-container",
         "input: [8, 8, 3]\nlayers:\n  - residual: {trainable: false, body: [conv2d: {filters: 3, kernel: 1}]}\n"
         "  - conv2d: {filters: 3, kernel: 1}\n",
         trainable=12, non_trainable=12),
    Good("layout-chw-input",
         "layout: chw\ninput: [3, 32, 16]\nlayers:\n  - conv2d: {filters: 8, kernel: 3}\n",
         output=(30, 14, 8), trainable=(3 * 3 * 3 + 1) * 8),
    Good("output-picks-a-middle-layer",
         "input: [64, 64, 3]\nlayers:\n  - conv2d: {filters: 16, kernel: 3, padding: 1, name: features}\n"
         "  - global_avgpool2d\n  - dense: {units: 10, name: head}\noutput: features\n",
         names=["features", "global_avgpool2d", "head"], output=(64, 64, 16),
         trainable=(3 * 3 * 3 + 1) * 16 + 16 * 10 + 10),
    Good("output-by-dotted-name",
         "input: [8, 8, 4]\nlayers:\n  - sequential: {name: s, layers: [relu: {name: r}, flatten]}\noutput: s.r\n",
         output=(8, 8, 4)),
    Good("vector-input",
         "input: [784]\nlayers:\n  - dense: {units: 10}\n  - softmax\n",
         output=(10,), trainable=784 * 10 + 10),
    Good("yaml-anchors-reuse-layers",
         "input: [8, 8, 4]\nlayers:\n  - sequential: {name: a, layers: &pair [relu, sigmoid]}\n"
         "  - sequential: {name: b, layers: *pair}\n",
         names=["a.relu", "a.sigmoid", "b.relu", "b.sigmoid"]),
    Good("empty-first-and-null-options",
         "input: [8, 8, 4]\nblocks:\n  unit: {params: {w: 1}, layers: [relu]}\n"
         "layers:\n  - unit: {repeat: 2, first: }\n  - batchnorm2d:\n",
         names=["unit.0.relu", "unit.1.relu", "batchnorm2d"]),
]


def _names(model: Model, indices: tuple[int, ...]) -> list[str]:
    return ["input" if i == INPUT else model.nodes[i].name for i in indices]


@pytest.mark.parametrize("good", GOOD, ids=[g.id for g in GOOD])
def test_feature(good: Good) -> None:
    model = parse_model(good.text, "net.yaml")
    summary = analyse(model)
    by_name = {node.name: node for node in model.nodes}
    if good.names is not None:
        assert [node.name for node in model.nodes] == good.names
    if good.output is not None:
        assert summary.output.dims == good.output
    if good.trainable is not None:
        assert summary.totals.trainable_params == good.trainable
    if good.non_trainable is not None:
        assert summary.totals.non_trainable_params == good.non_trainable
    for name, reads in good.inputs.items():
        assert _names(model, by_name[name].inputs) == reads, name


def test_block_groups_and_paths() -> None:
    model = parse_model(
        "input: [8, 8, 4]\nblocks:\n  unit: {layers: [residual: {body: [relu]}]}\n"
        "layers:\n  - unit: {name: layer1, repeat: 2}\n",
        "net.yaml",
    )
    assert model.nodes[0].path == ("layer1", "layer1.0", "layer1.0.residual")
    assert dict(model.groups) == {
        "layer1": "unit ×2", "layer1.0": "unit", "layer1.0.residual": "residual",
        "layer1.1": "unit", "layer1.1.residual": "residual",
    }


def test_positions_are_kept_on_nodes() -> None:
    model = parse_model(H + "  - relu\n  - conv2d: {filters: 4, kernel: 1}\n", "net.yaml")
    assert [(n.at.line, n.at.column) for n in model.nodes] == [(3, 5), (4, 5)]  # type: ignore[union-attr]


def test_default_name_and_description() -> None:
    assert parse_model(H + "  - relu\n", "net.yaml", default_name="tiny").name == "tiny"
    model = parse_model("name: small\ndescription: one layer\n" + H + "  - relu\n", "net.yaml")
    assert (model.name, model.description) == ("small", "one layer")
