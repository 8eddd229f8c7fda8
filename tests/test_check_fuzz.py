"""Robustness of ``convcalc check``: thousands of broken files, never a traceback.

Reuses the loader fuzz's sources of text (mutated bundled configs, random
architectures from the format's vocabulary, arbitrary bytes) and checks the
whole pipeline: every finding has a location and a known code, and the exit
code follows the documented rule (2 with a fatal finding, else 1 when any
finding fails, else 0).
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from convcalc.check import check_file
from convcalc.cli import app
from convcalc.findings import RULES
from test_loader_fuzz import architecture, mutated_config

FUZZ = settings(deadline=None, max_examples=700, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _check_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "net.yaml"
    path.write_bytes(data)
    for strict in (False, True):
        findings = check_file(str(path), strict=strict)
        for f in findings:
            assert f.code in RULES
            assert f.line >= 1 and f.column >= 1
            assert f.path == str(path)
            assert f.message and "\n" not in f.message.strip("\n")


@FUZZ
@given(text=st.one_of(mutated_config(), architecture()))
def test_mutated_and_random_architectures(tmp_path: Path, text: str) -> None:
    _check_bytes(tmp_path, text.encode("utf-8"))


@FUZZ
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    _check_bytes(tmp_path, data)


runner = CliRunner()


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(mutated_config(), architecture()))
def test_exit_code_follows_the_findings(tmp_path: Path, text: str) -> None:
    path = tmp_path / "net.yaml"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["check", str(path), "--format", "json"], env={"GITHUB_ACTIONS": None})
    assert "Traceback" not in result.output
    findings = check_file(str(path))
    expected = 2 if any(f.code == "CC001" for f in findings) else 1 if any(f.fails for f in findings) else 0
    assert result.exit_code == expected, result.output
