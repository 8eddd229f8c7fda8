"""Every YAML example in docs/format.md loads, and the broken ones fail as shown.

An example marked ``<!-- invalid -->`` must be rejected; when a ```text block
follows it, that block is the exact message (the file is called net.yaml).
The worked figures of the opening example are checked by hand arithmetic.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

import pytest

from convcalc.check import check_file
from convcalc.loader import LoadError, parse_model
from convcalc.model import analyse

DOC = Path(__file__).parents[1] / "docs" / "format.md"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)


class Example(NamedTuple):
    line: int
    text: str
    invalid: bool
    message: str | None
    """The ```text block right after an invalid example, if any."""


def _examples() -> list[Example]:
    doc = DOC.read_text(encoding="utf-8")
    fences = list(_FENCE.finditer(doc))
    found = []
    for i, fence in enumerate(fences):
        if fence.group(1) != "yaml":
            continue
        before = doc[: fence.start()].rstrip().splitlines()
        invalid = bool(before) and before[-1].strip() == "<!-- invalid -->"
        after = fences[i + 1] if i + 1 < len(fences) else None
        message = None
        if invalid and after and after.group(1) == "text" and not doc[fence.end() : after.start()].strip():
            message = after.group(2).strip()
        found.append(Example(doc.count("\n", 0, fence.start()) + 1, fence.group(2), invalid, message))
    return found


EXAMPLES = _examples()


def test_the_doc_has_examples() -> None:
    assert len(EXAMPLES) >= 15
    assert sum(e.invalid for e in EXAMPLES) >= 2


@pytest.mark.parametrize("example", [e for e in EXAMPLES if not e.invalid], ids=lambda e: f"line{e.line}")
def test_example_loads(example: Example) -> None:
    parse_model(example.text, "net.yaml")


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.invalid], ids=lambda e: f"line{e.line}")
def test_invalid_example_fails_as_shown(example: Example) -> None:
    with pytest.raises(LoadError) as caught:
        parse_model(example.text, "net.yaml")
    if example.message is not None:
        assert str(caught.value) == example.message


@pytest.mark.parametrize(
    "example", [e for e in EXAMPLES if not e.invalid and "\nexpect:" in e.text], ids=lambda e: f"line{e.line}"
)
def test_example_expectations_hold(example: Example, tmp_path: Path) -> None:
    """The figures an example asserts in ``expect:`` are the computed ones: a clean check."""
    path = tmp_path / "net.yaml"
    path.write_text(example.text, encoding="utf-8")
    assert check_file(str(path)) == []


def test_opening_example_figures() -> None:
    summary = analyse(parse_model(EXAMPLES[0].text, "net.yaml"))
    stem, bn, blocks, fc = 3 * 3 * 3 * 16, 2 * 16, 2 * (2 * 3 * 3 * 16 * 16 + 2 * 2 * 16), 16 * 10 + 10
    assert summary.totals.trainable_params == stem + bn + blocks + fc == 9_978
    assert summary.totals.non_trainable_params == 2 * 16 + 2 * 2 * 2 * 16 == 160
    assert summary.totals.macs == 32 * 32 * 16 * 27 + 4 * 32 * 32 * 16 * 144 + 160 == 9_879_712
    names = [row.node.name for row in summary.rows]
    assert names[:4] == ["stem", "batchnorm2d", "relu", "stage1.0.conv2d"]
    assert "stage1.1.add" in names
