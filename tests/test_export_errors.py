"""What the exporter refuses: one located sentence naming the layer, never an approximation.

Needs no framework: the sentences come before any code is run.
"""

from __future__ import annotations

import pytest

from convcalc.export import ExportError, Target, export_text

IN_BLOCK = """\
input: [8, 8, 4]
blocks:
  unit:
    params: {lead: true}
    layers:
      - prelu: {per: channel, if: $lead}
      - prelu: {per: element}
layers:
  - unit: {name: a, lead: false}
  - unit: {name: b}
"""

INPUT_SIZE = """\
input: [8, 8, 3]
blocks:
  unit:
    layers:
      - conv2d: {filters: 4, kernel: $in_h // 4}
layers:
  - unit
"""

LAYERNORM_1D = """\
input: [40, 4]
layers:
  - conv1d: {filters: 8, kernel: 3, name: c}
  - layernorm: {name: ln}
"""

CEIL_1D = """\
input: [40, 4]
layers:
  - avgpool1d: {kernel: 3, ceil_mode: true, name: pool}
"""

GAMMA_ONLY = """\
input: [8, 8, 3]
layers:
  - conv2d: {filters: 4, kernel: 3}
  - batchnorm2d: {center: false, name: bn}
"""

SYMBOLIC_FREEZE = """\
input: [8, 8, 3]
blocks:
  unit: {layers: [conv2d: {filters: 4, kernel: 1}]}
  pair:
    params: {frozen: true}
    layers: [unit: {name: a, trainable: $frozen}]
layers: [pair]
"""


@pytest.mark.parametrize(
    ("text", "target", "message"),
    [
        pytest.param(
            IN_BLOCK, Target.PYTORCH,
            # in a, whose first prelu is skipped, the loader calls the refused one 'a.prelu' (the class: prelu_1)
            "<text>:7:9: layer 'a.prelu' (prelu): prelu with one slope per element has no PyTorch counterpart (nn.PReLU learns one per tensor or per channel)",
            id="in-a-block-named-as-the-loader-does",
        ),
        pytest.param(
            INPUT_SIZE, Target.PYTORCH,
            "<text>:5:38: '$in_h // 4' reads in_h, the size of the block's input, which a generated class is not given; write the value",
            id="input-size-in-a-block",
        ),
        pytest.param(
            LAYERNORM_1D, Target.PYTORCH,
            "<text>:4:5: layer 'ln' (layernorm): layer norm over the channels of a 1-D or 3-D map is not exported (PyTorch's nn.LayerNorm normalises the last axis)",
            id="layernorm-on-a-1-d-map",
        ),
        pytest.param(
            CEIL_1D, Target.KERAS,
            "<text>:3:5: layer 'pool' (avgpool1d): ceil_mode average pooling whose last window overhangs the input has no Keras "
            "counterpart (PyTorch leaves the overhang out of that window's divisor, Keras' valid pooling does not)",
            id="ceil-mode-in-keras",
        ),
        pytest.param(
            GAMMA_ONLY, Target.PYTORCH,
            "<text>:4:5: layer 'bn' (batchnorm2d): batch norm that learns only γ or only β (Keras' scale or center false) "
            "has no PyTorch counterpart: nn.BatchNorm's affine learns both or neither",
            id="gamma-only-batch-norm-in-pytorch",
        ),
        pytest.param(
            SYMBOLIC_FREEZE, Target.KERAS,
            "<text>:6:14: layer 'pair.a' (unit): a block instance whose trainable flag depends on a block parameter has no "
            "Keras export; give trainable: false or true",
            id="block-parameter-freezing-in-keras",
        ),
    ],
)
def test_refusals_are_one_located_sentence(text: str, target: Target, message: str) -> None:
    with pytest.raises(ExportError) as caught:
        export_text(text, target)
    assert caught.value.message == message
