"""The model table fitted to a width (issue 13): names cut in the middle, compact
numbers, columns merged or dropped in order, never shapes, parameters or MACs."""

from __future__ import annotations

import pytest

from convcalc.catalog import bundled
from convcalc.loader import load_model
from convcalc.model import analyse
from convcalc.render import compact, ellipsize, model_table
from convcalc.report import display_rows
from convcalc.shapes import Layout


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0"), (999, "999"), (1_000, "1.00k"), (9_408, "9.41k"), (99_949, "99.9k"), (99_950, "100k"),
        (215_808, "216k"), (999_499, "999k"), (999_500, "1.00M"),
        (25_610_152, "25.6M"),      # ResNet-50's parameters, as in the issue
        (4_089_184_256, "4.09G"),   # ResNet-50's MACs
        (10**18, "1000P"),
    ],
)
def test_compact(n: int, text: str) -> None:
    assert compact(n) == text


@pytest.mark.parametrize(
    ("name", "width", "text"),
    [
        ("layer4.2.conv3", 14, "layer4.2.conv3"),  # fits: untouched
        ("layer4.2.conv3", 13, "laye….2.conv3"),
        ("layer1.0.downsample_conv", 16, "layer1…mple_conv"),
        ("block16.project_bn", 12, "bloc…ject_bn"),
        ("abc", 1, "…"),
    ],
)
def test_ellipsize_keeps_the_start_and_the_distinctive_end(name: str, width: int, text: str) -> None:
    assert ellipsize(name, width) == text
    assert len(ellipsize(name, width)) == min(len(name), width)


def _table(name: str, width: int | None, depth: int | None = None, **options):
    summary = analyse(load_model(bundled()[name]))
    return model_table(summary, display_rows(summary, depth), Layout.HWC, width=width, **options)


def _lines(grid) -> list[str]:
    return grid.plain().splitlines()


def _header(grid) -> list[str]:
    return [cell.strip() for cell in _lines(grid)[2].split("┃")[1:-1]]


@pytest.mark.parametrize("width", [60, 80, 100, 120])
@pytest.mark.parametrize("name", sorted(bundled()))
def test_every_bundled_table_fits(name: str, width: int) -> None:
    grid = _table(name, width)
    assert max(len(line) for line in _lines(grid)) <= width
    header = _header(grid)
    assert header[0] == "layer" and any(h.startswith("output") for h in header)
    assert "MACs" in header and ("params" in header or "trainable" in header)


@pytest.mark.parametrize(
    ("width", "header"),
    [
        pytest.param(None, ["layer", "kind", "output H×W×C", "trainable", "non-trainable", "MACs"], id="unlimited"),
        pytest.param(120, ["layer", "kind", "output H×W×C", "trainable", "non-trainable", "MACs"], id="120-fits-whole"),
        pytest.param(100, ["layer", "kind", "output H×W×C", "params", "MACs"], id="100-params-merged"),
        pytest.param(80, ["layer", "kind", "output H×W×C", "params", "MACs"], id="80"),
        pytest.param(50, ["layer", "output H×W×C", "params", "MACs"], id="50-kind-dropped"),
    ],
)
def test_columns_give_way_in_order(width: int | None, header: list[str]) -> None:
    assert _header(_table("resnet50", width)) == header


def test_numbers_stay_full_where_they_fit_and_compact_where_not() -> None:
    wide, narrow = _table("resnet50", 120).plain(), _table("resnet50", 80).plain()
    assert "118,013,952" in wide and "118,013,952" not in narrow
    assert " 118M │" in narrow
    assert "25,610,152" in narrow  # the totals under the table stay exact


def test_explicit_columns_are_never_dropped() -> None:
    grid = _table("resnet50", 40, columns=("kind", "trainable", "non_trainable"))
    assert _header(grid) == ["layer", "kind", "trainable", "non-trainable"]


def test_totals_wrap_to_the_width() -> None:
    grid = _table("resnet50", 50)
    caption = grid.caption.splitlines()
    assert max(map(len, caption)) <= 50
    assert any(line.startswith("  ") for line in caption)  # the activations line continues indented
