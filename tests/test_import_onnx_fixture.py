"""ONNX import without the onnx package: a committed 2 KB fixture and damaged copies of it.

``tests/data/onnx/tiny_cnn.onnx`` (built by ``make_fixtures.py`` next to it):
1×3×16×16 → Conv 8, 3×3, stride 2, pad 1, bias → Relu → MaxPool 3, stride 2,
pad 1 → BatchNormalization → GlobalAveragePool → Flatten → Gemm 10.
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


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2125), st.integers(0, 255)), min_size=1, max_size=8))
def test_damaged_bytes_never_escape_as_another_error(tmp_path_factory: pytest.TempPathFactory, flips: list[tuple[int, int]]) -> None:
    data = bytearray(TINY.read_bytes())
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
