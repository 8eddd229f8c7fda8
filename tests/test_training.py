"""Training memory: parts worked out by hand, ResNet-50 pinned with its
arithmetic, and the saved activations counted on the NumPy forward pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import convcalc
from convcalc.dtypes import DType
from convcalc.errors import InputError
from convcalc.loader import load_model, parse_model
from convcalc.model import analyse
from convcalc.training import Optimizer, explain_training, training_memory

CONFIGS = Path(convcalc.__file__).parent / "configs"

TINY = """
input: [8, 8, 3]
layers:
  - conv2d: {filters: 4, kernel: 3, padding: 1}
  - batchnorm2d
  - relu
  - flatten
  - dense: {units: 10}
"""
# params: conv 3·3·3·4 + 4 = 112; batch norm 2·4 = 8 trained, 2·4 = 8 running
# statistics; dense 8·8·4 = 256 features → 256·10 + 10 = 2,570.
# trainable 112 + 8 + 2,570 = 2,690; all 2,698.
# saved per sample: input 8·8·3 = 192, conv, bn, relu 3 × 256 = 768, flatten a
# view (0), dense 10: 970.


@pytest.mark.parametrize(
    ("batch", "dtype", "optimizer", "parts"),
    [
        # float16 (2 B), momentum (1 state): 2,698·2 = 5,396; 2,690·2 = 5,380;
        # 1·2,690·2 = 5,380; 4·970·2 = 7,760; total 23,916
        (4, "float16", "momentum", (5_396, 5_380, 5_380, 7_760, 23_916)),
        # float32, plain SGD: 10,792; 10,760; 0; 1·970·4 = 3,880; 25,432
        (1, "float32", "sgd", (10_792, 10_760, 0, 3_880, 25_432)),
        # float32, Adam: state 2·2,690·4 = 21,520; activations 8·970·4 = 31,040
        (8, "float32", "adam", (10_792, 10_760, 21_520, 31_040, 74_112)),
        # AdamW keeps the same two moments
        (8, "float32", "adamw", (10_792, 10_760, 21_520, 31_040, 74_112)),
        # float64 doubles float32: 21,584; 21,520; 2·21,520 = 43,040; 2·970·8 = 15,520
        (2, "float64", "adam", (21_584, 21_520, 43_040, 15_520, 101_664)),
    ],
    ids=["fp16-momentum", "fp32-sgd", "fp32-adam", "fp32-adamw", "fp64-adam"],
)
def test_tiny_model_by_hand(batch: int, dtype: str, optimizer: str, parts: tuple[int, ...]) -> None:
    memory = training_memory(analyse(parse_model(TINY)), batch, dtype, optimizer)
    assert memory[:5] == parts
    assert memory.saved_per_sample == 970
    assert memory.total == sum(memory[:4])


def test_frozen_layers_have_no_gradient_or_state() -> None:
    # the conv frozen: 112 parameters move to non-trainable, so gradients and
    # Adam state cover 2,690 − 112 = 2,578 parameters
    text = TINY.replace("padding: 1}", "padding: 1, trainable: false}")
    memory = training_memory(analyse(parse_model(text)), 1, "float32", "adam")
    assert (memory.parameters, memory.gradients, memory.optimizer_state) == (2_698 * 4, 2_578 * 4, 2 * 2_578 * 4)


def test_resnet50_batch_32_adam() -> None:
    # parameters   25,610,152 × 4                  =   102,440,608
    # gradients    25,557,032 × 4                  =   102,228,128
    # Adam state   2 × 25,557,032 × 4              =   204,456,256
    # activations  32 × (150,528 + 37,559,784) × 4 = 4,826,919,936, where per sample
    #   input 224·224·3 = 150,528 and the layer outputs sum, by stage:
    #   stem     conv1, bn1, relu 3 × 112·112·64 = 2,408,448; maxpool 56·56·64 = 200,704
    #   layer1   per block 6 × 56²·64 + 4 × 56²·256 = 1,204,224 + 3,211,264 = 4,415,488;
    #            × 3, plus the projection (conv, bn) 2 × 802,816: 14,852,096
    #   layer2   block 0: 3 × 56²·128 + 3 × 28²·128 + 6 × 28²·512 = 1,204,224 + 301,056
    #            + 2,408,448 = 3,913,728; 3 more × (6 × 100,352 + 4 × 401,408) = 6,623,232:
    #            10,536,960
    #   layer3   block 0: 3 × 28²·256 + 3 × 14²·256 + 6 × 14²·1024 = 602,112 + 150,528
    #            + 1,204,224 = 1,956,864; 5 more × 1,103,872 = 5,519,360: 7,476,224
    #   layer4   block 0: 3 × 14²·512 + 3 × 7²·512 + 6 × 7²·2048 = 301,056 + 75,264
    #            + 602,112 = 978,432; 2 more × 551,936 = 1,103,872: 2,082,304
    #   head     avgpool 2,048 + fc 1,000 = 3,048
    #   2,609,152 + 14,852,096 + 10,536,960 + 7,476,224 + 2,082,304 + 3,048 = 37,559,784
    # total 5,236,044,928 B ≈ 5.24 GB
    summary = analyse(load_model(CONFIGS / "resnet50.yaml"))
    memory = training_memory(summary, batch=32, dtype=DType.FLOAT32, optimizer=Optimizer.ADAM)
    assert memory == (
        102_440_608, 102_228_128, 204_456_256, 4_826_919_936, 5_236_044_928,
        32, DType.FLOAT32, Optimizer.ADAM, 37_710_312,
    )
    assert explain_training(memory, summary) == [
        "parameters: 25,610,152 × 4 B = 102,440,608 B",
        "gradients: 25,557,032 trainable × 4 B = 102,228,128 B",
        "optimizer state (Adam, 2 per trainable parameter): 2 × 25,557,032 × 4 B = 204,456,256 B",
        "activations: batch 32 × (input 150,528 + layer outputs 37,559,784) × 4 B = 4,826,919,936 B",
        "total: 102,440,608 + 102,228,128 + 204,456,256 + 4,826,919,936 = 5,236,044,928 B",
    ]


@pytest.mark.parametrize("config", ["lenet5", "resnet50_stem", "vgg16"])
def test_saved_activations_match_the_forward_pass(config: str) -> None:
    """The numbers saved per sample are the input plus every array the NumPy
    pass produces, flatten's (a reshape of its input) left out."""
    np = pytest.importorskip("numpy")
    from convcalc.forward import Network

    model = load_model(CONFIGS / f"{config}.yaml")
    if config == "vgg16":  # the same network at 32×32 keeps the pass fast
        from convcalc.shapes import Shape

        model = model._replace(input=Shape.of(32, 32, 3))
    counted = [0]

    def hook(step: int, out: Any, params: Any, seconds: float) -> None:
        if model.nodes[step].spec.kind != "flatten":
            counted[0] += out[0].size

    x = np.zeros((1, *model.input.dims), np.float32)
    Network(model).run(x, hook)
    assert training_memory(analyse(model)).saved_per_sample == model.input.size + counted[0]


def test_optimizer_states() -> None:
    assert {o.value: o.states for o in Optimizer} == {"sgd": 0, "momentum": 1, "adam": 2, "adamw": 2}


def test_optimizer_state_agrees_with_torch() -> None:
    """After one step, torch's optimizers hold this many numbers per parameter."""
    torch = pytest.importorskip("torch")
    layer = torch.nn.Linear(4, 3)
    for name, make in [
        ("sgd", lambda p: torch.optim.SGD(p, lr=0.1)),
        ("momentum", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
        ("adam", lambda p: torch.optim.Adam(p)),
        ("adamw", lambda p: torch.optim.AdamW(p)),
    ]:
        optimizer = make(layer.parameters())
        layer(torch.ones(1, 4)).sum().backward()
        optimizer.step()
        held = sum(
            v.numel() for state in optimizer.state.values() for k, v in state.items()
            if torch.is_tensor(v) and k != "step"
        )
        assert held == Optimizer(name).states * 15, name


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch": 0}, r"^batch must be a positive whole number \(got 0\)$"),
        ({"optimizer": "adagrad"}, r"^optimizer 'adagrad' is not one of sgd, momentum, adam, adamw$"),
        ({"dtype": "float8"}, r"^dtype 'float8' is not one of float32, float16, bfloat16, float64, int8$"),
    ],
    ids=["batch", "optimizer", "dtype"],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        training_memory(analyse(parse_model(TINY)), **kwargs)
