"""ONNX import without the onnx package: committed 2 KB fixtures and damaged copies of them.

``tests/data/onnx/tiny_cnn.onnx`` (built by ``make_fixtures.py`` next to it):
1×3×16×16 → Conv 8, 3×3, stride 2, pad 1, bias → Relu → MaxPool 3, stride 2,
pad 1 → BatchNormalization → GlobalAveragePool → Flatten → Gemm 10.
``tiny_audio.onnx`` (N×C×L) and ``tiny_video.onnx`` (N×C×D×H×W), built by
``make_nd_fixtures.py``, are described there.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from convcalc.cli import app
from convcalc.importers import SourceError, load_source, read_document
from convcalc.importers.onnxproto import ProtoError, _varint, read_model
from convcalc.loader import parse_model
from convcalc.model import analyse

TINY = Path(__file__).parent / "data" / "onnx" / "tiny_cnn.onnx"
AUDIO = TINY.with_name("tiny_audio.onnx")
VIDEO = TINY.with_name("tiny_video.onnx")


def test_tiny_cnn_figures() -> None:
    """Worked by hand:

    conv1: 8×8×8 out (16 + 2 − 3) // 2 + 1 = 8; params 3·3·3·8 + 8 = 224; MACs 8·8·8 · 27 = 13,824
    bn: 2·8 = 16 trainable, 2·8 = 16 running statistics
    fc: 8·10 + 10 = 90 params, 80 MACs
    total 224 + 32 + 90 = 346; MACs 13,904
    """
    summary = analyse(parse_model(load_source(TINY), str(TINY)))
    t = summary.totals
    assert (t.params, t.trainable_params, t.non_trainable_params, t.macs) == (346, 330, 16, 13_904)
    assert summary.output.dims == (10,)
    assert [r.node.name for r in summary.rows] == ["conv1", "relu", "maxpool", "bn", "avgpool", "Flatten", "fc"]


def test_tiny_audio_figures() -> None:
    """N×C×L, worked by hand:

    pad: the exporter's pads subgraph gives [0, 0, 2, 0, 0, 1]: L 64 + 2 + 1 = 67
    conv: (67 − 5) // 2 + 1 = 32 positions × 4; params 5·1·4 + 4 = 24; MACs 32·4 · 5 = 640
    bn: 2·4 = 8 trainable, 2·4 = 8 running statistics (its training-mode outputs are not layers)
    pool: ceil((32 − 2) / 2) + 1 = 16 positions
    fc: 4·3 + 3 = 15 params, 12 MACs
    total 24 + 16 + 15 = 55; MACs 652
    """
    summary = analyse(parse_model(load_source(AUDIO), str(AUDIO)))
    t = summary.totals
    assert (t.params, t.trainable_params, t.non_trainable_params, t.macs) == (55, 47, 8, 652)
    assert [(r.node.name, r.node.spec.kind, r.result.output.dims) for r in summary.rows] == [
        ("pad", "zeropad1d", (67, 1)),
        ("conv", "conv1d", (32, 4)),
        ("bn", "batchnorm1d", (32, 4)),
        ("relu", "relu", (32, 4)),
        ("pool", "maxpool1d", (16, 4)),
        ("avgpool", "global_avgpool1d", (1, 4)),
        ("Flatten", "flatten", (4,)),
        ("fc", "dense", (3,)),
    ]


def test_tiny_video_figures() -> None:
    """N×C×D×H×W, worked by hand:

    s: D 4, H = W = (8 + 2 − 3) // 2 + 1 = 4; params 1·3·3·2·4 = 72; MACs 4·4·4·4 · 18 = 4,608
    bn: 8 trainable, 8 running statistics
    t: 4×4×4×4; params 3·4·4 + 4 = 52; MACs 256 · 12 = 3,072
    pool: 2×2×2×4; fc: 4·5 + 5 = 25 params, 20 MACs
    total 72 + 16 + 52 + 25 = 165; MACs 7,700
    """
    summary = analyse(parse_model(load_source(VIDEO), str(VIDEO)))
    t = summary.totals
    assert (t.params, t.trainable_params, t.non_trainable_params, t.macs) == (165, 157, 8, 7_700)
    assert read_document(VIDEO)["input"] == [4, 8, 8, 2]
    kinds = [(r.node.spec.kind, r.result.output.dims) for r in summary.rows]
    assert kinds[:6] == [
        ("conv3d", (4, 4, 4, 4)),
        ("batchnorm3d", (4, 4, 4, 4)),
        ("relu", (4, 4, 4, 4)),
        ("conv3d", (4, 4, 4, 4)),
        ("add", (4, 4, 4, 4)),
        ("maxpool3d", (2, 2, 2, 4)),
    ]


def test_symbolic_batch_is_one_sample() -> None:
    graph = read_model(TINY)
    assert graph.input[0].dims == ["batch", 3, 16, 16]
    assert read_document(TINY)["input"] == [16, 16, 3]


def test_import_command_writes_yaml(tmp_path: Path) -> None:
    target = tmp_path / "tiny.yaml"
    result = CliRunner().invoke(app, ["import", str(TINY), "-o", str(target), "--input", "32x32"])
    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert "input: [32, 32, 3]\n" in text
    assert "  - conv2d: {name: conv1, filters: 8, kernel: 3, stride: 2, padding: 1, bias: true}\n" in text


def test_import_refuses_to_write_over_its_source(tmp_path: Path) -> None:
    source = tmp_path / "tiny.onnx"
    source.write_bytes(TINY.read_bytes())
    result = CliRunner().invoke(app, ["import", str(source), "-o", str(source)])
    assert result.exit_code == 2
    assert source.read_bytes() == TINY.read_bytes()


def test_import_refuses_an_architecture_file(tmp_path: Path) -> None:
    source = tmp_path / "net.yaml"
    source.write_text("input: [8, 8, 3]\nlayers: [relu]\n")
    result = CliRunner().invoke(app, ["import", str(source)])
    assert result.exit_code == 2
    assert "convcalc import reads ONNX (.onnx) and Keras (.keras, .json) files" in result.output


@pytest.mark.parametrize(
    ("data", "value"),
    [(b"\x00", 0), (b"\x96\x01", 150), (b"\xac\x02", 300), (b"\xff\xff\xff\xff\x0f", 2**32 - 1)],
    ids=["zero", "150", "300", "uint32-max"],
)
def test_varint(data: bytes, value: int) -> None:
    assert _varint(data, 0) == (value, len(data))


def test_varint_cut_short() -> None:
    with pytest.raises(ProtoError, match="truncated"):
        _varint(b"\x96", 0)


@pytest.mark.parametrize("cut", range(1, TINY.stat().st_size, 97))
def test_every_truncation_is_one_sentence(cut: int, tmp_path: Path) -> None:
    path = tmp_path / "cut.onnx"
    path.write_bytes(TINY.read_bytes()[:cut])
    with pytest.raises(SourceError, match=r"cut\.onnx: "):
        read_document(path)


@pytest.mark.parametrize("source", [TINY, AUDIO], ids=["2-D", "1-D-pad-subgraph"])
@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2125), st.integers(0, 255)), min_size=1, max_size=8))
def test_damaged_bytes_never_escape_as_another_error(source: Path, tmp_path_factory: pytest.TempPathFactory, flips: list[tuple[int, int]]) -> None:
    data = bytearray(source.read_bytes())
    for at, byte in flips:
        data[at % len(data)] = byte
    path = tmp_path_factory.mktemp("damaged") / "d.onnx"
    path.write_bytes(bytes(data))
    try:
        analyse(parse_model(load_source(path), str(path)))
    except SourceError as error:
        assert error.message.startswith(str(path))
    except Exception as error:  # the loader may refuse a converted file with its own error
        from convcalc.errors import ConvCalcError

        assert isinstance(error, ConvCalcError), repr(error)


_NOT_UNDERSTOOD = ("is not understood; give the spatial size with positive whole numbers, optionally with "
                   "channels: 299x299, 299x299x3, 16000 (audio), 16x112x112 (video)")


@pytest.mark.parametrize(
    ("source", "size", "code", "said"),
    [
        (AUDIO, "40", 0, "input: 40×1 (L×C"),  # a bare length: the channels stay
        (AUDIO, "40x1", 0, "input: 40×1 (L×C"),
        (VIDEO, "6x10x12", 0, "input: 6×10×12×2 (D×H×W×C"),
        (TINY, "32x32", 0, "input: 32×32×3 (H×W×C"),
        (TINY, "²x32", 2, f"error: --input '²x32' {_NOT_UNDERSTOOD}"),  # isdigit() would say yes, int() no
        (TINY, "３２x32", 2, f"error: --input '３２x32' {_NOT_UNDERSTOOD}"),
        (TINY, "0x32", 2, f"error: --input '0x32' {_NOT_UNDERSTOOD}"),
        (TINY, "1x2x3x4x5", 2, f"error: --input '1x2x3x4x5' {_NOT_UNDERSTOOD}"),
        (TINY, "9" * 12 + "x32", 2, f"error: --input '{'9' * 12}x32' has a size above 2,147,483,647, the largest accepted (docs/limits.md)"),
    ],
    ids=["audio-length", "audio-lxc", "video-dhw", "image-hw", "superscript", "full-width", "zero", "five-sizes", "huge"],
)  # fmt: skip
def test_model_input_override_of_an_imported_file(source: Path, size: str, code: int, said: str) -> None:
    result = CliRunner().invoke(app, ["model", str(source), "--input", size], env={"NO_COLOR": "1"})
    assert result.exit_code == code, result.output
    assert said in result.output
