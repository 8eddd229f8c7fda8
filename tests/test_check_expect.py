"""``expect: layers:`` on blocks and containers, as ``convcalc check`` sees it.

A group's figures are the sums over the layers inside it, and its output is
what its name stands for in ``from:``; the figures here are worked by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from convcalc.check import check_file

HEAD = "input: [8, 8, 3]\nlayers: [sequential: {name: head, layers: [conv2d: {filters: 4, kernel: 1}]}]\n"
RESNETISH = (
    "input: [8, 8, 4]\nblocks:\n  unit:\n    layers:\n"
    "      - residual: {body: [conv2d: {filters: 4, kernel: 3, padding: 1, bias: false}, batchnorm2d]}\n"
    "      - relu\n"
    "layers:\n  - unit: {name: stage, repeat: 2}\n  - global_avgpool2d\n  - dense: {units: 2, name: fc}\n"
)
# one unit: conv 3·3·4·4 = 144, batch norm 8 trainable + 8 running = 16; MACs 8·8·4 · 3·3·4 = 9,216


def _check(tmp_path: Path, text: str) -> list[tuple[str, int, int, str]]:
    path = tmp_path / "net.yaml"
    path.write_text(text, encoding="utf-8")
    return [(f.code, f.line, f.column, f.message) for f in check_file(str(path))]


CLEAN = [
    pytest.param(HEAD + "expect: {layers: {head: {output: [8, 8, 4]}}}\n", id="issue-10-snippet"),
    pytest.param(HEAD + "expect: {layers: {head: {params: 16, trainable: 16, non_trainable: 0, macs: 768}}}\n",
                 id="container-sums"),  # (3 + 1)·4 = 16; 8·8·4 · 3 = 768
    pytest.param(RESNETISH + "expect:\n  layers:\n    stage.0: {output: [8, 8, 4], params: 160, trainable: 152, "
                 "non_trainable: 8, macs: 9_216}\n", id="block-instance"),
    pytest.param(RESNETISH + "expect:\n  layers:\n    stage: {params: 320, macs: 18_432}\n"
                 "    stage.1.residual: {params: 160}\n    fc: {params: 10}\n", id="repeat-and-nested"),
    pytest.param("input: [8, 8, 6]\nlayers:\n  - split: {sizes: [2, 4], name: s}\n  - concat: {from: [s, s.0]}\n"
                 "expect: {layers: {s: {output: [8, 8, 4], params: 0}, s.0: {output: [8, 8, 2]}}}\n", id="split"),
]


@pytest.mark.parametrize("text", CLEAN)
def test_group_expectations_that_hold_are_clean(tmp_path: Path, text: str) -> None:
    assert _check(tmp_path, text) == []


FOUND = [
    pytest.param(HEAD + "expect: {layers: {head: {output: [8, 8, 5]}}}\n",
                 ("CC107", 3, 34, "expected 'head' (sequential) output 8×8×5, computed 8×8×4"), id="group-output"),
    pytest.param(RESNETISH + "expect:\n  layers:\n    stage: {params: 300}\n",
                 ("CC107", 13, 21, "expected 'stage' (unit ×2) params 300, computed 320 (+20)"), id="group-params"),
    pytest.param(HEAD + "expect: {layers: {haed: {output: [8, 8, 4]}}}\n",
                 ("CC104", 3, 19, "expect: no layer, block or container is named 'haed'; did you mean 'head'?"),
                 id="unknown-name"),
    pytest.param(HEAD + "expect: {layers: {head: }}\n",
                 ("CC102", 3, 25, "expect: layer 'head' lists no figures; give one or more of output, params, "
                  "trainable, non_trainable, macs"), id="null-entry"),
]


@pytest.mark.parametrize(("text", "finding"), FOUND)
def test_group_expectations_that_fail_are_located(tmp_path: Path, text: str, finding: tuple) -> None:
    assert _check(tmp_path, text) == [finding]
