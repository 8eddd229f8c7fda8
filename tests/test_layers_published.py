"""Published and hand-computed cases for the layer engine (no torch needed).

Every expected number comes from a published model summary / paper / framework
documentation, or from hand arithmetic written next to it — never from calling
convcalc's own formulas. Shapes are channels-last (H, W, C) or (F,).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from convcalc.layers import apply, make_layer
from convcalc.shapes import Shape


class Case(NamedTuple):
    id: str
    kind: str
    options: dict[str, Any]
    inputs: tuple[tuple[int, ...], ...]
    output: tuple[int, ...]
    trainable: int | None = None
    non_trainable: int = 0
    macs: int | None = None


def one(*dims: int) -> tuple[tuple[int, ...], ...]:
    return (dims,)


CASES = [
    # ---------------------------------------------------------------- conv2d
    # Keras ResNet50 summary: conv1_pad → 230×230×3, conv1_conv 112×112×64, 9,472 params.
    # floor((230 − 7) / 2) + 1 = 111 + 1 = 112; (7·7·3 + 1)·64 = 148·64 = 9,472.
    Case("keras-resnet50-conv1_conv", "conv2d", {"filters": 64, "kernel": 7, "stride": 2},
         one(230, 230, 3), (112, 112, 64), 9_472),
    # Same layer with padding 1: floor((232 − 7) / 2) + 1 = 112 + 1 = 113.
    Case("keras-resnet50-conv1_conv-padding-1", "conv2d",
         {"filters": 64, "kernel": 7, "stride": 2, "padding": 1},
         one(230, 230, 3), (113, 113, 64), 9_472),
    # torchvision resnet conv1 (bias=False): floor((224 + 6 − 7) / 2) + 1 = 112;
    # 7·7·3·64 = 9,408 params; MACs 112·112·64 · 7·7·3 = 802,816 · 147 = 118,013,952.
    Case("torchvision-resnet-conv1", "conv2d",
         {"filters": 64, "kernel": 7, "stride": 2, "padding": 3, "bias": False},
         one(224, 224, 3), (112, 112, 64), 9_408, macs=118_013_952),
    # CS231n "Convolution Demo": W=5, F=3, S=2, P=1, K=2 → (5 − 3 + 2)/2 + 1 = 3;
    # (3·3·3 + 1)·2 = 56 params.
    Case("cs231n-demo-5x5x3-k3-s2-p1", "conv2d",
         {"filters": 2, "kernel": 3, "stride": 2, "padding": 1},
         one(5, 5, 3), (3, 3, 2), 56),
    # Keras VGG16 block1_conv1: 224×224×64, 1,792 params = (3·3·3 + 1)·64.
    # MACs 224·224·64 · 27 = 3,211,264 · 27 = 86,704,128.
    Case("keras-vgg16-block1_conv1", "conv2d", {"filters": 64, "kernel": 3, "padding": 1},
         one(224, 224, 3), (224, 224, 64), 1_792, macs=86_704_128),
    # torchvision AlexNet features[0]: floor((224 + 4 − 11) / 4) + 1 = 54 + 1 = 55;
    # 11·11·3·64 + 64 = 23,232 + 64 = 23,296.
    Case("torchvision-alexnet-conv1", "conv2d",
         {"filters": 64, "kernel": 11, "stride": 4, "padding": 2},
         one(224, 224, 3), (55, 55, 64), 23_296),
    # MobileNetV2 first depthwise 3×3 (groups = channels = 32):
    # 3·3·(32/32)·32 = 288 weights, + 32 bias = 320; MACs 112·112·32 · 9 = 3,612,672.
    Case("mobilenetv2-depthwise-bias", "conv2d",
         {"filters": 32, "kernel": 3, "padding": 1, "groups": 32},
         one(112, 112, 32), (112, 112, 32), 320, macs=3_612_672),
    Case("mobilenetv2-depthwise-no-bias", "conv2d",
         {"filters": 32, "kernel": 3, "padding": 1, "groups": 32, "bias": False},
         one(112, 112, 32), (112, 112, 32), 288, macs=3_612_672),
    # Keras MobileNet conv_pw_1 (1×1, no bias): 32·64 = 2,048 params.
    Case("keras-mobilenet-conv_pw_1", "conv2d", {"filters": 64, "kernel": 1, "bias": False},
         one(112, 112, 32), (112, 112, 64), 2_048),
    # Keras ResNet50 conv2_block1_1_conv: 1×1, 64 → 64 with bias: 64·64 + 64 = 4,160.
    Case("keras-resnet50-conv2_block1_1_conv", "conv2d", {"filters": 64, "kernel": 1},
         one(56, 56, 64), (56, 56, 64), 4_160),
    # Grouped conv (ResNeXt 32×4d, conv2 3×3, 128 → 128, groups 32, no bias):
    # 3·3·(128/32)·128 = 4,608 params.
    Case("resnext-grouped-3x3", "conv2d",
         {"filters": 128, "kernel": 3, "padding": 1, "groups": 32, "bias": False},
         one(56, 56, 128), (56, 56, 128), 4_608),
    # Atrous conv (DeepLab): span 2·(3 − 1) + 1 = 5, padding 2 → 64 + 4 − 5 + 1 = 64.
    Case("atrous-k3-d2-p2-keeps-size", "conv2d",
         {"filters": 8, "kernel": 3, "dilation": 2, "padding": 2},
         one(64, 64, 8), (64, 64, 8), 3 * 3 * 8 * 8 + 8),
    # Asymmetric kernel (Inception 1×7, padding [0, 3]): H 17 − 1 + 1 = 17, W 17 + 6 − 7 + 1 = 17;
    # 1·7·128·128 + 128 = 114,816.
    Case("inception-1x7", "conv2d", {"filters": 128, "kernel": [1, 7], "padding": [0, 3]},
         one(17, 17, 128), (17, 17, 128), 114_816),
    # Explicit [top, bottom, left, right]: H 10 + 0 + 1 − 3 + 1 = 9, W 10 + 2 + 0 − 3 + 1 = 10.
    Case("asymmetric-padding", "conv2d",
         {"filters": 1, "kernel": 3, "padding": [0, 1, 2, 0]},
         one(10, 10, 1), (9, 10, 1), 10),
    # TF 'same', stride 2: out = ceil(224 / 2) = 112; ceil(225 / 2) = 113.
    Case("tf-same-224-k3-s2", "conv2d", {"filters": 32, "kernel": 3, "stride": 2, "padding": "same"},
         one(224, 224, 3), (112, 112, 32), 3 * 3 * 3 * 32 + 32),
    Case("tf-same-225-k3-s2", "conv2d", {"filters": 32, "kernel": 3, "stride": 2, "padding": "same"},
         one(225, 225, 3), (113, 113, 32)),
    # TF 'valid' is no padding: floor((224 − 3) / 2) + 1 = 110 + 1 = 111.
    Case("tf-valid-224-k3-s2", "conv2d", {"filters": 32, "kernel": 3, "stride": 2, "padding": "valid"},
         one(224, 224, 3), (111, 111, 32)),
    # ------------------------------------------------------- conv_transpose2d
    # DCGAN-style doubling: (16 − 1)·2 − 2·1 + 4 = 32.
    # Params: 64·(32/1)·4·4 + 32 = 32,768 + 32 = 32,800;
    # MACs: input elements 16·16·64 = 16,384 × 32·4·4 = 512 → 8,388,608.
    Case("convT-16-k4-s2-p1", "conv_transpose2d",
         {"filters": 32, "kernel": 4, "stride": 2, "padding": 1},
         one(16, 16, 64), (32, 32, 32), 32_800, macs=8_388_608),
    # PyTorch docs: output_padding resolves the ambiguity; (16 − 1)·2 − 2 + 3 + 1 = 32,
    # without it (16 − 1)·2 − 2 + 3 = 31.
    Case("convT-16-k3-s2-p1-op1", "conv_transpose2d",
         {"filters": 8, "kernel": 3, "stride": 2, "padding": 1, "output_padding": 1},
         one(16, 16, 8), (32, 32, 8), 3 * 3 * 8 * 8 + 8),
    Case("convT-16-k3-s2-p1-op0", "conv_transpose2d",
         {"filters": 8, "kernel": 3, "stride": 2, "padding": 1},
         one(16, 16, 8), (31, 31, 8)),
    # Dilated: span 2·(3 − 1) + 1 = 5; (8 − 1)·1 + 5 = 12.
    Case("convT-dilation-2", "conv_transpose2d", {"filters": 4, "kernel": 3, "dilation": 2},
         one(8, 8, 4), (12, 12, 4)),
    # Grouped: weight 16 × (8/4) × 3 × 3 = 288, + 8 bias = 296.
    Case("convT-groups-4", "conv_transpose2d", {"filters": 8, "kernel": 3, "groups": 4},
         one(8, 8, 16), (10, 10, 8), 296),
    # Keras Conv2DTranspose: 'same' → in·stride = 32; 'valid' → in·stride + max(k − stride, 0)
    # = 32 + 1 = 33.
    Case("convT-keras-same", "conv_transpose2d",
         {"filters": 8, "kernel": 3, "stride": 2, "padding": "same"},
         one(16, 16, 8), (32, 32, 8)),
    Case("convT-keras-valid", "conv_transpose2d",
         {"filters": 8, "kernel": 3, "stride": 2, "padding": "valid"},
         one(16, 16, 8), (33, 33, 8)),
    # Keras 'valid' with stride > kernel: 16·4 + max(2 − 4, 0) = 64.
    Case("convT-keras-valid-stride-above-kernel", "conv_transpose2d",
         {"filters": 8, "kernel": 2, "stride": 4, "padding": "valid"},
         one(16, 16, 8), (64, 64, 8)),
    # ---------------------------------------------------------------- pooling
    # torchvision resnet maxpool: floor((112 + 2 − 3) / 2) + 1 = 55 + 1 = 56. No parameters.
    Case("torchvision-resnet-maxpool", "maxpool2d", {"kernel": 3, "stride": 2, "padding": 1},
         one(112, 112, 64), (56, 56, 64), 0, macs=0),
    # torchvision GoogLeNet maxpool1 MaxPool2d(3, 2, ceil_mode=True): 112 → 56
    # (ceil((112 − 3) / 2) + 1 = ceil(54.5) + 1 = 56); floor mode gives 54 + 1 = 55.
    Case("googlenet-maxpool1-ceil", "maxpool2d", {"kernel": 3, "stride": 2, "ceil_mode": True},
         one(112, 112, 64), (56, 56, 64)),
    Case("googlenet-maxpool1-floor", "maxpool2d", {"kernel": 3, "stride": 2},
         one(112, 112, 64), (55, 55, 64)),
    # GoogLeNet maxpool4 MaxPool2d(2, 2, ceil_mode=True): 14 → 7 (exact, ceil changes nothing).
    Case("googlenet-maxpool4-ceil-exact", "maxpool2d", {"kernel": 2, "stride": 2, "ceil_mode": True},
         one(14, 14, 832), (7, 7, 832)),
    # ceil_mode drop rule: 5, k2 s2 p1 → ceil((7 − 2) / 2) + 1 = 4, but the 4th window would
    # start at (4 − 1)·2 = 6 ≥ 5 + 1 (inside the right padding) and is dropped → 3.
    Case("ceil-last-window-in-padding-dropped", "maxpool2d",
         {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True},
         one(5, 5, 1), (3, 3, 1)),
    # …whereas 6, k2 s2 p1: ceil((8 − 2) / 2) + 1 = 4, last start 6 < 6 + 1 → kept, 4.
    Case("ceil-last-window-in-input-kept", "maxpool2d",
         {"kernel": 2, "stride": 2, "padding": 1, "ceil_mode": True},
         one(6, 6, 1), (4, 4, 1)),
    # PyTorch: MaxPool2d(3, 2, ceil_mode=True) maps 2×2 to 1×1 — ceil((2 − 3) / 2) + 1 = 0 + 1 = 1,
    # one window overhanging the input.
    Case("ceil-kernel-overhangs-small-input", "maxpool2d",
         {"kernel": 3, "stride": 2, "ceil_mode": True},
         one(2, 2, 8), (1, 1, 8)),
    # Dilated max pooling: span 2·(3 − 1) + 1 = 5; 10 − 5 + 1 = 6.
    Case("maxpool-dilation-2", "maxpool2d", {"kernel": 3, "stride": 1, "dilation": 2},
         one(10, 10, 4), (6, 6, 4)),
    # Keras MaxPooling2D 'same': ceil(7 / 2) = 4.
    Case("keras-maxpool-same", "maxpool2d", {"kernel": 3, "stride": 2, "padding": "same"},
         one(7, 7, 4), (4, 4, 4)),
    # DenseNet transition AvgPool2d(2, 2): 56 → 28. stride defaults to the kernel.
    Case("densenet-transition-avgpool", "avgpool2d", {"kernel": 2},
         one(56, 56, 128), (28, 28, 128), 0),
    # AvgPool2d(3, 2, ceil_mode=True): ceil((7 − 3) / 2) + 1 = 3 (exact); on 8: ceil(2.5) + 1 = 4,
    # last start 6 < 8 → kept.
    Case("avgpool-ceil-8", "avgpool2d", {"kernel": 3, "stride": 2, "ceil_mode": True},
         one(8, 8, 2), (4, 4, 2)),
    Case("avgpool-floor-8", "avgpool2d", {"kernel": 3, "stride": 2},
         one(8, 8, 2), (3, 3, 2)),
    # torchvision AlexNet avgpool AdaptiveAvgPool2d((6, 6)) on 13×13×256 (for 224 inputs).
    Case("alexnet-adaptive-avgpool", "adaptive_avgpool2d", {"output_size": 6},
         one(13, 13, 256), (6, 6, 256), 0),
    # VGG AdaptiveAvgPool2d((7, 7)) also upsamples smaller maps: 1×1 → 7×7.
    Case("vgg-adaptive-avgpool-upsamples", "adaptive_avgpool2d", {"output_size": 7},
         one(1, 1, 512), (7, 7, 512)),
    Case("adaptive-maxpool-rect", "adaptive_maxpool2d", {"output_size": [2, 3]},
         one(13, 9, 16), (2, 3, 16)),
    # Keras ResNet50 avg_pool (GlobalAveragePooling2D): 7×7×2048 → 2048.
    Case("keras-resnet50-avg_pool", "global_avgpool2d", {}, one(7, 7, 2048), (2048,), 0),
    Case("global-avgpool-keepdims", "global_avgpool2d", {"keepdims": True},
         one(7, 7, 2048), (1, 1, 2048)),
    Case("global-maxpool", "global_maxpool2d", {}, one(7, 7, 512), (512,)),
    # ------------------------------------------------------------ dense, flatten
    # Keras ResNet50 predictions: 2048·1000 + 1000 = 2,049,000; MACs 1000 · 2048 = 2,048,000.
    Case("keras-resnet50-predictions", "dense", {"units": 1000},
         one(2048), (1000,), 2_049_000, macs=2_048_000),
    Case("linear-alias-no-bias", "linear", {"units": 1000, "bias": False},
         one(2048), (1000,), 2_048_000, macs=2_048_000),
    # Dense on a map acts on the last axis: 7·7 positions × (512·10 + 10 = 5,130 params);
    # MACs 7·7·10 · 512 = 250,880.
    Case("dense-on-map-last-axis", "dense", {"units": 10},
         one(7, 7, 512), (7, 7, 10), 5_130, macs=250_880),
    # Keras VGG16 flatten: 7·7·512 = 25,088; fc1: 25,088·4096 + 4096 = 102,764,544.
    Case("keras-vgg16-flatten", "flatten", {}, one(7, 7, 512), (25_088,), 0),
    Case("keras-vgg16-fc1", "dense", {"units": 4096}, one(25_088), (4096,), 102_764_544),
    # ---------------------------------------------------------- normalisation
    # Keras ResNet50 conv1_bn: 256 params = 128 trainable (γ, β) + 128 non-trainable (mean, var).
    Case("keras-resnet50-conv1_bn", "batchnorm2d", {}, one(112, 112, 64), (112, 112, 64),
         128, non_trainable=128),
    Case("batchnorm-alias-no-affine", "batchnorm", {"affine": False},
         one(112, 112, 64), (112, 112, 64), 0, non_trainable=128),
    # BERT-base LayerNorm(768): γ and β → 1,536 params.
    Case("bert-base-layernorm", "layernorm", {}, one(768), (768,), 1_536),
    Case("layernorm-on-map-channels", "layernorm", {}, one(14, 14, 384), (14, 14, 384), 768),
    Case("layernorm-no-affine", "layernorm", {"affine": False}, one(768), (768,), 0),
    # --------------------------------------------------------------- resample
    # U-Net/FPN nearest ×2: 7 → 14.
    Case("upsample-scale-2", "upsample", {"scale": 2}, one(7, 7, 512), (14, 14, 512), 0),
    # PyTorch: output = floor(input · scale): floor(7 · 1.5) = floor(10.5) = 10; floor(7 · 0.5) = 3.
    Case("upsample-scale-1.5-floors", "upsample", {"scale": 1.5}, one(7, 7, 8), (10, 10, 8)),
    Case("upsample-scale-0.5-floors", "upsample", {"scale": 0.5}, one(7, 7, 8), (3, 3, 8)),
    Case("upsample-scale-pair", "upsample", {"scale": [2, 3], "mode": "bilinear"},
         one(5, 5, 8), (10, 15, 8)),
    Case("upsample-size", "upsample", {"size": [28, 30], "mode": "bilinear", "align_corners": True},
         one(7, 7, 8), (28, 30, 8)),
    # Keras ResNet50 conv1_pad ZeroPadding2D(3): 224 + 3 + 3 = 230.
    Case("keras-resnet50-conv1_pad", "zeropad2d", {"padding": 3}, one(224, 224, 3), (230, 230, 3), 0),
    Case("zeropad-asymmetric", "zeropad2d", {"padding": [0, 1, 2, 3]},
         one(10, 10, 3), (11, 15, 3)),
    # ShuffleNet (g = 3) stage 2 has 240 channels: 240 / 3 = 80, shape unchanged.
    Case("shufflenet-g3-channel_shuffle", "channel_shuffle", {"groups": 3},
         one(28, 28, 240), (28, 28, 240), 0),
    # ------------------------------------------------------------------ merge
    # torchvision GoogLeNet inception3a: 64 + 128 + 32 + 32 = 256 channels.
    Case("googlenet-inception3a-concat", "concat", {},
         ((28, 28, 64), (28, 28, 128), (28, 28, 32), (28, 28, 32)), (28, 28, 256), 0),
    Case("concat-vectors", "concat", {}, ((2048,), (512,)), (2560,)),
    # ResNet residual add.
    Case("resnet-residual-add", "add", {}, ((56, 56, 256), (56, 56, 256)), (56, 56, 256), 0, macs=0),
    # Squeeze-and-excitation gating broadcasts 1×1×64 over 56×56×64.
    Case("se-multiply-broadcast", "multiply", {}, ((56, 56, 64), (1, 1, 64)), (56, 56, 64)),
    Case("se-multiply-broadcast-reversed", "multiply", {}, ((1, 1, 64), (56, 56, 64)), (56, 56, 64)),
    # NumPy broadcasting aligns from the right: (7, 7, 2048) + (2048,) → (7, 7, 2048).
    Case("add-vector-onto-map", "add", {}, ((7, 7, 2048), (2048,)), (7, 7, 2048)),
    # (56, 1, 64) · (1, 28, 64) → (56, 28, 64).
    Case("multiply-two-way-broadcast", "multiply", {}, ((56, 1, 64), (1, 28, 64)), (56, 28, 64)),
    Case("add-three-inputs", "add", {}, ((8, 8, 4), (8, 8, 4), (1, 8, 1)), (8, 8, 4)),
    # ---------------------------------------------------- shape-preserving
    Case("relu", "relu", {}, one(112, 112, 64), (112, 112, 64), 0, macs=0),
    Case("leaky_relu", "leaky_relu", {"negative_slope": 0.2}, one(8, 8, 3), (8, 8, 3), 0),
    Case("swish-alias", "swish", {}, one(8, 8, 3), (8, 8, 3), 0),
    Case("softmax-vector", "softmax", {}, one(1000), (1000,), 0),
    Case("dropout", "dropout", {"rate": 0.5}, one(4096), (4096,), 0),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_published(case: Case) -> None:
    spec = make_layer(case.kind, case.options)
    r = apply(spec, *(Shape(dims) for dims in case.inputs))
    assert r.output.dims == case.output
    if case.trainable is not None:
        assert (r.trainable, r.non_trainable) == (case.trainable, case.non_trainable)
        assert r.params == case.trainable + case.non_trainable
    if case.macs is not None:
        assert r.macs == case.macs


# TensorFlow's 'same' (tf.nn.convolution docs): out = ceil(in / stride),
# total = max((out − 1)·stride + k − in, 0), top = total // 2, bottom = total − top.
SAME = [
    # 224, k3 s2: out 112, total = 111·2 + 3 − 224 = 1 → top 0, bottom 1.
    pytest.param(224, 3, 2, 1, 112, (0, 1), id="224-k3-s2"),
    # 224, k7 s2: total = 111·2 + 7 − 224 = 5 → 2 / 3.
    pytest.param(224, 7, 2, 1, 112, (2, 3), id="224-k7-s2"),
    # 225, k3 s2: out 113, total = 112·2 + 3 − 225 = 2 → 1 / 1.
    pytest.param(225, 3, 2, 1, 113, (1, 1), id="225-k3-s2"),
    # 5, k3 s2: out 3, total = 2·2 + 3 − 5 = 2 → 1 / 1.
    pytest.param(5, 3, 2, 1, 3, (1, 1), id="5-k3-s2"),
    # Stride 1, k3: total 2 → 1 / 1; k4: total 3 → 1 / 2.
    pytest.param(56, 3, 1, 1, 56, (1, 1), id="56-k3-s1"),
    pytest.param(56, 4, 1, 1, 56, (1, 2), id="56-k4-s1-even-kernel"),
    # k1 s2 on 7: out 4, total = 3·2 + 1 − 7 = 0.
    pytest.param(7, 1, 2, 1, 4, (0, 0), id="7-k1-s2-no-padding"),
    # k3 s1 dilation 2 (span 5): total 4 → 2 / 2.
    pytest.param(32, 3, 1, 2, 32, (2, 2), id="32-k3-d2"),
    # k2 s3 on 10: out 4, total = 3·3 + 2 − 10 = 1 → 0 / 1.
    pytest.param(10, 2, 3, 1, 4, (0, 1), id="10-k2-s3"),
    # kernel wider than the input: 3, k7 s1 → out 3, total = 2 + 7 − 3 = 6 → 3 / 3.
    pytest.param(3, 7, 1, 1, 3, (3, 3), id="3-k7-s1-kernel-wider"),
]


@pytest.mark.parametrize(("size", "kernel", "stride", "dilation", "out", "pads"), SAME)
def test_tf_same_padding_split(
    size: int, kernel: int, stride: int, dilation: int, out: int, pads: tuple[int, int]
) -> None:
    spec = make_layer(
        "conv2d",
        {"filters": 4, "kernel": kernel, "stride": stride, "dilation": dilation, "padding": "same"},
    )
    wh, ww = spec.windows(Shape.of(size, size, 3))  # type: ignore[attr-defined]
    for window in (wh, ww):
        assert (window.pad_before, window.pad_after) == pads
        assert window.out == out


def test_tf_same_padding_split_per_axis() -> None:
    # H: 224, k7 s2 → 2 / 3 (above); W: 225, k3 s2 → 1 / 1.
    spec = make_layer("conv2d", {"filters": 4, "kernel": [7, 3], "stride": 2, "padding": "same"})
    wh, ww = spec.windows(Shape.of(224, 225, 3))  # type: ignore[attr-defined]
    assert (wh.pad_before, wh.pad_after, wh.out) == (2, 3, 112)
    assert (ww.pad_before, ww.pad_after, ww.out) == (1, 1, 113)


def test_dropped_rows_keras_resnet50_conv1() -> None:
    # (230 − 7) / 2 = 111.5: the last window covers rows 222..228, so row 229 is never read.
    spec = make_layer("conv2d", {"filters": 64, "kernel": 7, "stride": 2})
    wh, _ = spec.windows(Shape.of(230, 230, 3))  # type: ignore[attr-defined]
    assert (wh.out, wh.dropped, wh.exact) == (112, 1, False)


def test_spec_equality_and_options_round_trip() -> None:
    a = make_layer("conv2d", {"filters": 64, "kernel": 3, "stride": [2, 2], "padding": [1, 1]})
    b = make_layer("conv", {"filters": 64, "kernel": [3, 3], "stride": 2, "padding": 1})
    assert a == b
    assert a.options() == {"filters": 64, "kernel": 3, "stride": 2, "padding": 1}
    assert make_layer("conv2d", a.options()) == a
