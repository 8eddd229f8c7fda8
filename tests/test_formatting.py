"""Edge cases of the count formatters; expected strings are worked by hand."""

from __future__ import annotations

import pytest

from convcalc.formatting import binary_bytes, count, si


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1,000"),
        (999_999, "999,999"),
        (1_000_000, "1,000,000"),
        (9472, "9,472"),
        (4_089_184_256, "4,089,184,256"),
    ],
    ids=str,
)
def test_count(n: int, text: str) -> None:
    assert count(n) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [
        pytest.param(0, "0", id="zero"),
        pytest.param(999, "999", id="below-1000-exact"),
        pytest.param(1000, "1.0 k", id="1000"),
        pytest.param(1500, "1.5 k", id="1500"),
        # 9.999 to three significant digits is 10.0
        pytest.param(9999, "10.0 k", id="9999-rounds-to-10"),
        pytest.param(12_345, "12.3 k", id="12345"),
        # 999.499 k to one decimal
        pytest.param(999_499, "999.5 k", id="999499"),
        # 999.999 k rounds to 1000.0 k, which is 1.0 M
        pytest.param(999_999, "1.0 M", id="999999-rolls-over"),
        pytest.param(1_000_000, "1.0 M", id="1e6"),
        pytest.param(1_234_567, "1.23 M", id="1234567"),
        # 112·112·64·147 MACs of the ResNet stem
        pytest.param(118_013_952, "118.0 M", id="resnet-stem"),
        pytest.param(999_999_999, "1.0 G", id="999999999-rolls-over"),
        # ResNet-50's multiply-adds
        pytest.param(4_089_184_256, "4.09 G", id="4.09G"),
        pytest.param(10**15, "1.0 P", id="1e15"),
        # past the largest unit the value keeps growing in P
        pytest.param(10**18, "1000.0 P", id="1e18"),
    ],
)
def test_si(n: int, text: str) -> None:
    assert si(n) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [
        pytest.param(0, "0 B", id="zero"),
        pytest.param(1023, "1023 B", id="1023"),
        pytest.param(1024, "1.0 KiB", id="1024"),
        # 1536 / 1024 = 1.5
        pytest.param(1536, "1.5 KiB", id="1536"),
        # 1,048,575 / 1024 = 1023.999 KiB rounds to 1024.0 KiB, which is 1.0 MiB
        pytest.param(1_048_575, "1.0 MiB", id="1MiB-minus-1-rolls-over"),
        pytest.param(1024**2, "1.0 MiB", id="1MiB"),
        # 98·1024² = 102,760,448
        pytest.param(102_760_448, "98.0 MiB", id="98MiB"),
        pytest.param(1024**3, "1.0 GiB", id="1GiB"),
        # 1.5·1024⁴
        pytest.param(3 * 1024**4 // 2, "1.5 TiB", id="1.5TiB"),
        pytest.param(1024**5, "1024.0 TiB", id="past-largest-unit"),
    ],
)
def test_binary_bytes(n: int, text: str) -> None:
    assert binary_bytes(n) == text
