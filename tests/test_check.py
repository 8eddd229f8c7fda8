"""``convcalc check`` on a folder of broken files, one per finding code.

Each file in tests/data/broken is named after the one finding it must give;
the table pins that finding's line and column, which are read off the files
by eye (the line of the offending layer, key or value).
"""

from __future__ import annotations

import json
import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from convcalc.check import check_paths
from convcalc.cli import app

runner = CliRunner()
ENV = {"COLUMNS": "200", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "GITHUB_ACTIONS": None}
BROKEN = Path(__file__).parent / "data" / "broken"

# file → (code, line, column)
EXPECTED = {
    "cc001_not_utf8.yaml": ("CC001", 2, 10),  # the byte 0xE9 after "name: caf"
    "cc101_yaml_syntax.yaml": ("CC101", 4, 34),  # the unclosed [ of 'kernel: [3, 3}'
    "cc102_schema.yaml": ("CC102", 4, 37),  # the key 'strides'
    "cc103_unknown_kind.yaml": ("CC103", 4, 5),  # 'convolution'
    "cc104_dangling_reference.yaml": ("CC104", 5, 21),  # 'b' inside from: [a, b]
    "cc105_merge_mismatch.yaml": ("CC105", 5, 5),  # the add
    "cc106_impossible_layer.yaml": ("CC106", 4, 5),  # the 9×9 conv on 8×8
    "cc107_expectation.yaml": ("CC107", 6, 11),  # params: 100
    "cc201_dropped_pixels.yaml": ("CC201", 4, 5),  # 2×2/2 on 9: row 8 unread
    "cc202_collapsed_pooling.yaml": ("CC202", 4, 5),  # 3×3 pool on 1×1
    "cc203_unused_layer.yaml": ("CC203", 4, 5),  # 'side'
    "cc204_unreachable_layer.yaml": ("CC204", 4, 5),  # 'b' → c → add, none reaching 'd'
    "cc205_unused_block.yaml": ("CC205", 3, 3),  # block 'spare'
}


def run(args: str):
    return runner.invoke(app, ["check", *shlex.split(args)], env=ENV)


def test_the_table_covers_every_broken_file() -> None:
    assert sorted(p.name for p in BROKEN.iterdir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_broken_file_gives_exactly_its_finding(name: str) -> None:
    result = check_paths([str(BROKEN / name)], strict=True)
    got = [(f.code, f.line, f.column) for f in result.findings]
    assert got == [EXPECTED[name]]


def _path(name: str) -> str:
    return str(BROKEN / name)


def _per_file(findings: list[tuple[str, str, int, int]]) -> dict[str, tuple[str, int, int]]:
    out: dict[str, tuple[str, int, int]] = {}
    for path, code, line, col in findings:
        assert Path(path).name not in out, f"two findings for {path}"
        out[Path(path).name] = (code, line, col)
    return out


def _from_text(text: str) -> dict:
    found = re.findall(r"^(.+?):(\d+):(\d+): \w+ (CC\d{3}) ", text, flags=re.M)
    return _per_file([(p, c, int(line), int(col)) for p, line, col, c in found])


def _from_json(text: str) -> dict:
    return _per_file([(f["path"], f["code"], f["line"], f["column"]) for f in json.loads(text)["findings"]])


def _from_github(text: str) -> dict:
    found = re.findall(r"^::(?:error|warning) file=([^,]+),line=(\d+),col=(\d+),title=(CC\d{3})", text, flags=re.M)
    return _per_file([(p, c, int(line), int(col)) for p, line, col, c in found])


def _from_junit(text: str) -> dict:
    root = ET.fromstring(text)
    out = {}
    for case in root.iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        assert problem is not None, case.get("name")
        match = re.match(r".+?:(\d+):(\d+): \w+ (CC\d{3}) ", problem.get("message", ""))
        assert match, problem.get("message")
        out[Path(case.get("name")).name] = (match[3], int(match[1]), int(match[2]))
    return out


def _from_sarif(text: str) -> dict:
    run_ = json.loads(text)["runs"][0]
    found = []
    for r in run_["results"]:
        loc = r["locations"][0]["physicalLocation"]
        found.append((loc["artifactLocation"]["uri"], r["ruleId"], loc["region"]["startLine"], loc["region"]["startColumn"]))
    return _per_file(found)


@pytest.mark.parametrize(
    ("fmt", "parse"),
    [
        pytest.param("text", _from_text, id="text"),
        pytest.param("json", _from_json, id="json"),
        pytest.param("github", _from_github, id="github"),
        pytest.param("junit", _from_junit, id="junit"),
        pytest.param("sarif", _from_sarif, id="sarif"),
    ],
)
def test_every_format_reports_the_same_findings(fmt: str, parse, tmp_path: Path) -> None:
    target = tmp_path / f"report.{fmt}"
    result = run(f"{BROKEN} --strict --format {fmt} --output {target}")
    assert result.exit_code == 2  # the unreadable file is fatal
    assert parse(target.read_text(encoding="utf-8")) == EXPECTED


@pytest.mark.parametrize(
    ("args", "code"),
    [
        pytest.param("configs", 0, id="clean"),
        pytest.param("configs --strict", 0, id="clean-strict"),
        pytest.param(f"{_path('cc201_dropped_pixels.yaml')}", 0, id="warning-passes"),
        pytest.param(f"{_path('cc201_dropped_pixels.yaml')} --strict", 1, id="warning-fails-when-strict"),
        pytest.param(f"{_path('cc106_impossible_layer.yaml')}", 1, id="error"),
        pytest.param(f"{_path('cc106_impossible_layer.yaml')} --exit-zero", 0, id="exit-zero"),
        pytest.param(f"{_path('cc001_not_utf8.yaml')} --exit-zero", 2, id="exit-zero-never-hides-2"),
        pytest.param("no/such/folder", 2, id="missing-path"),
        pytest.param(f"'{BROKEN}/cc10*.yaml'", 1, id="glob"),
        pytest.param("configs --format nonsense", 2, id="usage-error"),
    ],
)
def test_exit_codes(args: str, code: int) -> None:
    result = run(args)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output


def test_glob_and_folder_expand_to_yaml_files() -> None:
    result = check_paths([f"{BROKEN}/cc10*.yaml"])
    assert [Path(f).name for f in result.files] == sorted(n for n in EXPECTED if n.startswith("cc10"))


def test_github_is_the_default_under_github_actions() -> None:
    result = runner.invoke(app, ["check", _path("cc106_impossible_layer.yaml")], env={**ENV, "GITHUB_ACTIONS": "true"})
    assert result.stdout.startswith("::group::")
    assert "::error file=" in result.stdout


def test_check_never_modifies_files(tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in BROKEN.iterdir()}
    run(f"{BROKEN} --strict --verify")
    assert {p.name: p.read_bytes() for p in BROKEN.iterdir()} == before


def test_verify_catches_a_wrong_formula(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A conv rule that claims one output row too many is caught by the forward pass."""
    from convcalc.layers.window import Window

    path = tmp_path / "net.yaml"
    path.write_text("input: [8, 8, 3]\nlayers:\n  - relu\n  - conv2d: {filters: 4, kernel: 3}\n")
    right = Window.out
    monkeypatch.setattr(Window, "out", property(lambda w: right.fget(w) + 1))
    result = run(f"{path} --verify")
    assert result.exit_code == 1
    assert re.search(r":4:5: error CC108 layer 'conv2d' \(conv2d\): computed output 7×7×4, actual 6×6×4", result.stdout)


def test_docs_list_every_rule() -> None:
    from convcalc.findings import RULES

    doc = (Path(__file__).parents[1] / "docs" / "check.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(CC\d{3})` \| `([a-z-]+)` \| (\w+) \|", doc, flags=re.M)
    assert rows == [(r.code, r.name, r.severity.value) for r in RULES.values()]
