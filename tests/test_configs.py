"""The bundled architecture files against their networks' published figures.

Every number here comes from a published model summary, paper or framework
documentation, or from hand arithmetic written next to it — never from
convcalc itself. Each YAML file in the configs folder must have a row in
``FIGURES``, so a config added without its figures fails this test.
Shapes are channels-last (H, W, C), (L, C) or (D, H, W, C), or (F,).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

import convcalc
from convcalc.loader import load_model
from convcalc.model import Summary, analyse

CONFIGS = Path(convcalc.__file__).parent / "configs"


class Layer(NamedTuple):
    """A layer's figures, or a group's (block instance, container): its last layer's output."""

    output: tuple[int, ...]
    params: int | None = None
    """Trainable + non-trainable, as a Keras summary's Param # column."""


class Figures(NamedTuple):
    output: tuple[int, ...]
    trainable: int
    non_trainable: int | None = None
    total: int | None = None
    macs: int | None = None
    layers: dict[str, Layer] = {}  # noqa: RUF012 - read-only default


FIGURES: dict[str, Figures] = {
    # Keras ResNet50 summary, first rows: conv1_pad 230×230×3, conv1_conv
    # 112×112×64 with (7·7·3 + 1)·64 = 9,472, conv1_bn 4·64 = 256, pool1_pool
    # 56×56×64. MACs: 112·112·64 × 7·7·3 = 118,013,952.
    "resnet50_stem": Figures(
        output=(56, 56, 64), trainable=9_472 + 128, non_trainable=128, total=9_728,
        macs=118_013_952,
        layers={
            "conv1_pad": Layer((230, 230, 3), 0),
            "conv1_conv": Layer((112, 112, 64), 9_472),
            "conv1_bn": Layer((112, 112, 64), 256),
            "pool1_pad": Layer((114, 114, 64), 0),
            "pool1_pool": Layer((56, 56, 64), 0),
        },
    ),
    # torchvision resnet50: 25,557,032 parameters, 4.09 GFLOPS (multiply-adds)
    # = 4,089,184,256 MACs; its batch norms' running mean and variance are the
    # same 53,120 numbers Keras reports as non-trainable.
    "resnet50": Figures(
        output=(1000,), trainable=25_557_032, non_trainable=53_120, total=25_610_152,
        macs=4_089_184_256,
        layers={
            "conv1": Layer((112, 112, 64), 7 * 7 * 3 * 64),
            "maxpool": Layer((56, 56, 64), 0),
            "layer1.0.conv1": Layer((56, 56, 64), 64 * 64),
            "layer1.0.downsample_conv": Layer((56, 56, 256), 64 * 256),
            "layer2.0.conv2": Layer((28, 28, 128), 3 * 3 * 128 * 128),  # v1.5: stride on the 3×3
            "layer4.2.relu_2": Layer((7, 7, 2048), 0),
            "fc": Layer((1000,), 2048 * 1000 + 1000),
        },
    ),
    # keras.applications.ResNet50().summary(): Total params: 25,636,712;
    # Trainable: 25,583,592; Non-trainable: 53,120. Keras layer
    # conv3_block1_1_conv is 28×28×128 with 256·128 + 128 = 32,896 params
    # (v1: stride on the 1×1), conv5_block3_out 7×7×2048, avg_pool 2048.
    "resnet50_keras": Figures(
        output=(1000,), trainable=25_583_592, non_trainable=53_120, total=25_636_712,
        layers={
            "conv1_conv": Layer((112, 112, 64), 9_472),
            "pool1_pool": Layer((56, 56, 64), 0),
            "conv2_block1.conv0": Layer((56, 56, 256), 64 * 256 + 256),
            "conv2_block1.out": Layer((56, 56, 256), 0),
            "conv3_block1.conv1": Layer((28, 28, 128), 32_896),
            "conv3_block1.conv0": Layer((28, 28, 512), 256 * 512 + 512),
            "conv4_block6.out": Layer((14, 14, 1024), 0),
            "conv5_block3.out": Layer((7, 7, 2048), 0),
            "avg_pool": Layer((2048,), 0),
            "predictions": Layer((1000,), 2_049_000),
        },
    ),
    # torchvision vgg16: 138,357,544 parameters, 15.47 GFLOPS; Keras VGG16
    # summary: block5_pool 7×7×512, flatten 25,088, fc1 102,764,544 params.
    "vgg16": Figures(
        output=(1000,), trainable=138_357_544, non_trainable=0, total=138_357_544,
        macs=15_470_264_320,
        layers={
            "block1.conv1": Layer((224, 224, 64), 1_792),
            "block1.pool": Layer((112, 112, 64), 0),
            "block3.conv3": Layer((56, 56, 256), 590_080),
            "block5.pool": Layer((7, 7, 512), 0),
            "flatten": Layer((25_088,), 0),
            "fc1": Layer((4096,), 102_764_544),
            "fc2": Layer((4096,), 16_781_312),
            "predictions": Layer((1000,), 4_097_000),
        },
    ),
    # torchvision alexnet: 61,100,840 parameters, 0.71 GFLOPS (714,188,480
    # MACs). Feature maps: 55×55×64 → 27 → 27×27×192 → 13 → 13×13×256 → 6.
    "alexnet": Figures(
        output=(1000,), trainable=61_100_840, non_trainable=0, total=61_100_840,
        macs=714_188_480,
        layers={
            "conv1": Layer((55, 55, 64), 11 * 11 * 3 * 64 + 64),
            "pool1": Layer((27, 27, 64), 0),
            "conv2": Layer((27, 27, 192), 5 * 5 * 64 * 192 + 192),
            "pool2": Layer((13, 13, 192), 0),
            "conv5": Layer((13, 13, 256), 3 * 3 * 256 * 256 + 256),
            "pool5": Layer((6, 6, 256), 0),
            "flatten": Layer((9_216,), 0),
            "fc6": Layer((4096,), 9_216 * 4096 + 4096),
        },
    ),
    # torchvision mobilenet_v2: 3,504,872 parameters, 0.30 GFLOPS
    # (300,774,272 MACs); keras.applications.MobileNetV2 (the same layers)
    # summary: Total params: 3,538,984; Non-trainable: 34,112.
    "mobilenet_v2": Figures(
        output=(1000,), trainable=3_504_872, non_trainable=34_112, total=3_538_984,
        macs=300_774_272,
        layers={
            "conv1": Layer((112, 112, 32), 3 * 3 * 3 * 32),
            "block1.project": Layer((112, 112, 16), 32 * 16),
            "block2.0.expand": Layer((112, 112, 96), 16 * 96),
            "block2.0.depthwise": Layer((56, 56, 96), 3 * 3 * 96),
            "block7.project": Layer((7, 7, 320), 960 * 320),
            "conv_last": Layer((7, 7, 1280), 320 * 1280),
            "classifier": Layer((1000,), 1280 * 1000 + 1000),
        },
    ),
    # torchvision shufflenet_v2_x1_0: 2,278,604 parameters, 0.14 GFLOPS
    # (144,907,992 MACs); its 56 batch norms hold 2 × 8,090 = 16,180 running
    # statistics. Stage outputs 28×28×116, 14×14×232, 7×7×464 (Ma et al., table 5).
    "shufflenet_v2_x1_0": Figures(
        output=(1000,), trainable=2_278_604, non_trainable=16_180, total=2_294_784,
        macs=144_907_992,
        layers={
            "conv1.0": Layer((112, 112, 24), 3 * 3 * 3 * 24),
            "maxpool": Layer((56, 56, 24), 0),
            "stage2.0.branch1.0": Layer((28, 28, 24), 3 * 3 * 24),  # depthwise, stride 2
            "stage2.0.branch2.0": Layer((56, 56, 58), 24 * 58),  # 1×1 on the whole input
            "stage2.1.branch2.0": Layer((28, 28, 58), 58 * 58),  # 1×1 on half the channels
            "stage2.3.channel_shuffle": Layer((28, 28, 116), 0),
            "stage3.7.channel_shuffle": Layer((14, 14, 232), 0),
            "stage4.3.channel_shuffle": Layer((7, 7, 464), 0),
            "conv5.0": Layer((7, 7, 1024), 464 * 1024),
            "fc": Layer((1000,), 1024 * 1000 + 1000),
        },
    ),
    # torchvision convnext_tiny: 28,589,128 parameters, 4.46 GFLOPS
    # (4,455,531,264 MACs); layer norms only, so nothing non-trainable.
    # Stages 56×56×96, 28×28×192, 14×14×384, 7×7×768 (Liu et al., 2022).
    "convnext_tiny": Figures(
        output=(1000,), trainable=28_589_128, non_trainable=0, total=28_589_128,
        macs=4_455_531_264,
        layers={
            "features.0.0": Layer((56, 56, 96), (4 * 4 * 3 + 1) * 96),  # patchify stem
            "features.1.0.block.0": Layer((56, 56, 96), (7 * 7 + 1) * 96),  # depthwise 7×7
            "features.1.0.block.3": Layer((56, 56, 384), 96 * 384 + 384),
            "features.1.0.layer_scale": Layer((56, 56, 96), 96),
            "features.2.1": Layer((28, 28, 192), (2 * 2 * 96 + 1) * 192),
            "features.5.8.block.5": Layer((14, 14, 384), 1536 * 384 + 384),
            # the last block: depthwise (7·7 + 1)·768, LN 2·768, MLP (768 + 1)·3072
            # and (3072 + 1)·768, layer scale 768
            "features.7.2": Layer((7, 7, 768), 50 * 768 + 2 * 768 + 769 * 3072 + 3073 * 768 + 768),
            "classifier.2": Layer((1000,), 768 * 1000 + 1000),
        },
    ),
    # torchvision efficientnet_b0: 5,288,548 parameters, 0.39 GFLOPS
    # (385,814,752 MACs); its batch norms hold 42,016 running statistics.
    # Stage outputs (Tan & Le, 2019, table 1): 112×112×16, 56×56×24,
    # 28×28×40, 14×14×80, 14×14×112, 7×7×192, 7×7×320, 7×7×1280.
    "efficientnet_b0": Figures(
        output=(1000,), trainable=5_288_548, non_trainable=42_016, total=5_330_564,
        macs=385_814_752,
        layers={
            "features.0.0": Layer((112, 112, 32), 3 * 3 * 3 * 32),
            "features.1.0": Layer((112, 112, 16)),
            "features.2.1": Layer((56, 56, 24)),
            "features.3.1": Layer((28, 28, 40)),
            "features.4.2": Layer((14, 14, 80)),
            "features.5.2": Layer((14, 14, 112)),
            "features.6.3": Layer((7, 7, 192)),
            "features.7.0": Layer((7, 7, 320)),
            "features.1.0.se.fc1": Layer((1, 1, 8), 32 * 8 + 8),  # squeeze to 32 / 4
            "features.3.0.depthwise": Layer((28, 28, 144), 5 * 5 * 144),
            "features.8.0": Layer((7, 7, 1280), 320 * 1280),
            "classifier.1": Layer((1000,), 1280 * 1000 + 1000),
        },
    ),
    # torchvision googlenet (no auxiliary heads): 6,624,904 parameters,
    # 1.50 GFLOPS (1,498,376,192 MACs); its batch norms hold 14,560 running
    # statistics. Szegedy et al., table 1: 56×56×64 after the first pool,
    # inception (3a) 28×28×256, (3b) 28×28×480, (4e) 14×14×832, (5b) 7×7×1024.
    "googlenet": Figures(
        output=(1000,), trainable=6_624_904, non_trainable=14_560, total=6_639_464,
        macs=1_498_376_192,
        layers={
            "conv1.conv": Layer((112, 112, 64), 7 * 7 * 3 * 64),
            "conv1.bn": Layer((112, 112, 64), 4 * 64),
            "maxpool1": Layer((56, 56, 64), 0),  # ceil_mode: 55 without it
            "conv3.conv": Layer((56, 56, 192), 3 * 3 * 64 * 192),
            "maxpool2": Layer((28, 28, 192), 0),
            "inception3a": Layer((28, 28, 256)),
            "inception3b": Layer((28, 28, 480)),
            "inception4a": Layer((14, 14, 512)),
            "inception4e": Layer((14, 14, 832)),
            "maxpool4": Layer((7, 7, 832), 0),
            "inception5b": Layer((7, 7, 1024)),
            "fc": Layer((1000,), 1024 * 1000 + 1000),
        },
    ),
    # torchvision densenet121: 7,978,856 parameters, 2.83 GFLOPS (2,834,161,664
    # MACs, counted by torch in tests/test_torchvision.py). Huang et al., 2017,
    # table 1: 112×112 after the stem, 56×56 after the pool and through dense
    # block 1, then 28, 14 and 7 after each transition; growth 32 gives 64 + 6·32
    # = 256, 128 + 12·32 = 512, 256 + 24·32 = 1024, 512 + 16·32 = 1024 channels,
    # each transition halving them. Batch-norm channels: 64 (norm0); norm1 of
    # the dense layers Σ(c0 + 32i) = 864, 3,648, 14,976, 12,032; norm2 128 each
    # (58 · 128 = 7,424); transitions 256 + 512 + 1024; norm5 1024; 41,824 in
    # all, so 83,648 running statistics.
    "densenet121": Figures(
        output=(1000,), trainable=7_978_856, non_trainable=83_648, total=8_062_504,
        macs=2_834_161_664,
        layers={
            "features.conv0": Layer((112, 112, 64), 7 * 7 * 3 * 64),
            "features.pool0": Layer((56, 56, 64), 0),
            "features.denseblock1.0.conv1": Layer((56, 56, 128), 64 * 128),  # bottleneck: 4 · 32
            "features.denseblock1.5.conv2": Layer((56, 56, 32), 3 * 3 * 128 * 32),
            "features.denseblock1": Layer((56, 56, 256)),
            "features.transition1.conv": Layer((56, 56, 128), 256 * 128),
            "features.transition1": Layer((28, 28, 128)),
            "features.denseblock2": Layer((28, 28, 512)),
            "features.transition2": Layer((14, 14, 256)),
            "features.denseblock3": Layer((14, 14, 1024)),
            "features.transition3": Layer((7, 7, 512)),
            "features.denseblock4": Layer((7, 7, 1024)),
            "classifier": Layer((1000,), 1024 * 1000 + 1000),
        },
    ),
    # torchvision r3d_18 (video, D×H×W×C, one 16×112×112×3 clip): 33,371,472
    # parameters, 40.70 GFLOPS in its table (_ops 40.697: multiply-adds of
    # the convs and the linear layer, torch's FlopCounterMode FLOPs / 2) =
    # 40,696,553,472 MACs. Its 17 batch norms hold 64 + 4·64 + 5·128 + 5·256
    # + 5·512 = 4,800 channels, so 9,600 running statistics.
    "r3d_18": Figures(
        output=(400,), trainable=33_371_472, non_trainable=9_600, total=33_381_072,
        macs=40_696_553_472,
        layers={
            "stem.0": Layer((16, 56, 56, 64), 3 * 7 * 7 * 3 * 64),  # stride 1 in time, 2 in space
            "layer1.0.conv1.0": Layer((16, 56, 56, 64), 3 * 3 * 3 * 64 * 64),
            "layer2.0.conv1.0": Layer((8, 28, 28, 128), 3 * 3 * 3 * 64 * 128),  # stride 2 on every axis
            "layer2.0.downsample.0": Layer((8, 28, 28, 128), 64 * 128),
            "layer3.1": Layer((4, 14, 14, 256)),
            "layer4.1.conv2.1": Layer((2, 7, 7, 512), 4 * 512),
            "layer4.1": Layer((2, 7, 7, 512)),
            "avgpool": Layer((512,), 0),
            "fc": Layer((400,), 512 * 400 + 400),  # Kinetics-400
        },
    ),
    # torchvision r2plus1d_18: 31,505,325 parameters, 40.52 GFLOPS (_ops
    # 40.519) = 40,519,080,960 MACs at 16×112×112×3. Each 3×3×3 conv becomes
    # a 1×3×3 conv to midplanes = in·out·27 // (in·9 + 3·out) channels and a
    # 3×1×1 conv (Tran et al., 2018): 144 in layer1; 230 (64 →
    # 128: 221,184 // 960) and 288 in layer2; 460, 576; 921, 1152. Batch-norm
    # channels: stem 45 + 64, layer1 2·(2·144 + 2·64), layer2 (2·230 + 3·128)
    # + (2·288 + 2·128), layer3 (2·460 + 3·256) + (2·576 + 2·256), layer4
    # (2·921 + 3·512) + (2·1152 + 2·512) = 12,675, so 25,350 running statistics.
    "r2plus1d_18": Figures(
        output=(400,), trainable=31_505_325, non_trainable=25_350, total=31_530_675,
        macs=40_519_080_960,
        layers={
            "stem.0": Layer((16, 56, 56, 45), 7 * 7 * 3 * 45),
            "stem.3": Layer((16, 56, 56, 64), 3 * 45 * 64),
            "layer1.0.conv1.0.0": Layer((16, 56, 56, 144), 3 * 3 * 64 * 144),
            "layer1.0.conv1.0.3": Layer((16, 56, 56, 64), 3 * 144 * 64),
            "layer2.0.conv1.0.0": Layer((16, 28, 28, 230), 3 * 3 * 64 * 230),  # spatial stride first
            "layer2.0.conv1.0.3": Layer((8, 28, 28, 128), 3 * 230 * 128),  # then temporal
            "layer2.0.conv2.0.0": Layer((8, 28, 28, 230), 3 * 3 * 128 * 230),  # the block's midplanes
            "layer2.1.conv1.0.0": Layer((8, 28, 28, 288), 3 * 3 * 128 * 288),
            "layer4.0.conv1.0.0": Layer((4, 7, 7, 921), 3 * 3 * 256 * 921),
            "layer4.1": Layer((2, 7, 7, 512)),
            "fc": Layer((400,), 512 * 400 + 400),
        },
    ),
    # M5 (Dai et al., 2017, table 1; 1-D, L×C): "0.5M" parameters, rounded,
    # so the figures here are the hand arithmetic of its layers, with conv
    # biases: (80 + 1)·128 + (3·128 + 1)·128 + (3·128 + 1)·256 + (3·256 + 1)·512
    # + 2·(128 + 128 + 256 + 512) batch-norm + 512·10 + 10 = 559,114
    # (556,032 weights); running statistics 2,048. "Same" padding and ceil
    # pools: 32,000 → 8,000 → 2,000 → 500 → 125 → 32. MACs: 8000·128·80 +
    # 2000·128·384 + 500·256·384 + 125·512·768 + 5,120 = 278,533,120.
    "m5": Figures(
        output=(10,), trainable=559_114, non_trainable=2_048, total=561_162,
        macs=278_533_120,
        layers={
            "conv1": Layer((8000, 128), (80 + 1) * 128),
            "bn1": Layer((8000, 128), 4 * 128),
            "pool1": Layer((2000, 128), 0),
            "conv2": Layer((2000, 128), (3 * 128 + 1) * 128),
            "pool2": Layer((500, 128), 0),
            "conv3": Layer((500, 256), (3 * 128 + 1) * 256),
            "pool3": Layer((125, 256), 0),
            "conv4": Layer((125, 512), (3 * 256 + 1) * 512),
            "pool4": Layer((32, 512), 0),  # 125 / 4 rounded up
            "avgpool": Layer((512,), 0),
            "fc": Layer((10,), 512 * 10 + 10),
        },
    ),
    # LeNet-5 (LeCun et al., 1998): 61,706 parameters; C1 28×28×6 (156),
    # S2 14×14×6, C3 10×10×16 (2,416), S4 5×5×16, C5 120 (48,120), F6 84
    # (10,164), output 10 (850).
    "lenet5": Figures(
        output=(10,), trainable=61_706, non_trainable=0, total=61_706,
        layers={
            "c1": Layer((28, 28, 6), 156),
            "s2": Layer((14, 14, 6), 0),
            "c3": Layer((10, 10, 16), 2_416),
            "s4": Layer((5, 5, 16), 0),
            "flatten": Layer((400,), 0),
            "c5": Layer((120,), 48_120),
            "f6": Layer((84,), 10_164),
            "output": Layer((10,), 850),
        },
    ),
}


def _config_files() -> list[Path]:
    return sorted([*CONFIGS.glob("*.yaml"), *CONFIGS.glob("*.yml")])


_cache: dict[str, Summary] = {}


def summary(name: str) -> Summary:
    if name not in _cache:
        (path,) = [p for p in _config_files() if p.stem == name]
        _cache[name] = analyse(load_model(path))
    return _cache[name]


def test_every_config_has_published_figures() -> None:
    files = {p.stem for p in _config_files()}
    assert files, f"no architecture files found in {CONFIGS}"
    missing = sorted(files - FIGURES.keys())
    assert not missing, f"configs without figures in tests/test_configs.py FIGURES: {missing}"
    stale = sorted(FIGURES.keys() - files)
    assert not stale, f"FIGURES rows without a config file: {stale}"


@pytest.mark.parametrize("path", _config_files(), ids=lambda p: p.name)
def test_config_loads(path: Path) -> None:
    model = load_model(path)
    assert model.nodes
    assert model.name == path.stem


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_published_figures(name: str) -> None:
    want = FIGURES[name]
    s = summary(name)
    t = s.totals
    assert s.output.dims == want.output
    assert t.trainable_params == want.trainable
    if want.non_trainable is not None:
        assert t.non_trainable_params == want.non_trainable
    if want.total is not None:
        assert t.params == want.total
    if want.macs is not None:
        assert t.macs == want.macs


@pytest.mark.parametrize(
    ("name", "layer"),
    [(name, layer) for name, f in sorted(FIGURES.items()) for layer in f.layers],
)
def test_published_layers(name: str, layer: str) -> None:
    want = FIGURES[name].layers[layer]
    try:
        part = summary(name).part(layer)  # a layer, or a block instance or container
    except KeyError:
        pytest.fail(f"{name} has no layer or group {layer!r}")
    assert part.output.dims == want.output
    if want.params is not None:
        assert part.params == want.params
