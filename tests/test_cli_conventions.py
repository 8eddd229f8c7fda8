"""The conventions people expect of a command-line tool (issue 13, item 5)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import convcalc
from convcalc.catalog import bundled
from convcalc.cli import COMMANDS, app, application, main

runner = CliRunner()
ENV = {"COLUMNS": "200", "NO_COLOR": "1"}


def run(args: str):
    return runner.invoke(app, shlex.split(args), env=ENV)


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str) -> None:
    result = run(flag)
    assert (result.exit_code, result.stdout) == (0, f"convcalc {convcalc.__version__}\n")


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        pytest.param("-h", "--install-completion", id="root-with-completion"),
        pytest.param("layer -h", "--kernel", id="layer"),
        pytest.param("model -h", "torchinfo", id="model-depth-stated"),
        pytest.param("solve -h", "--output-size", id="solve"),
        pytest.param("show -h", "bundled model", id="show"),
    ],
)
def test_short_help(args: str, phrase: str) -> None:
    result = run(args)
    assert result.exit_code == 0, result.output
    assert phrase in result.stdout


def test_show_prints_the_bundled_file_as_it_ships() -> None:
    result = run("show lenet5")
    assert result.exit_code == 0, result.output
    assert result.stdout == bundled()["lenet5"].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param("show resnt50", "error: 'resnt50' is not a bundled model; did you mean 'resnet50'?", id="did-you-mean"),
        pytest.param("show configs/lenet5.yaml", "error: 'configs/lenet5.yaml' is not a bundled model;", id="not-a-path"),
    ],
)
def test_show_refuses_what_is_not_bundled(args: str, message: str) -> None:
    result = run(args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)


@pytest.mark.parametrize("name", ["resnet50", "mobilenet_v2.yaml"])
def test_check_accepts_bundled_names(name: str) -> None:
    # Issue 13: 'check resnet50' said "no such file" although 'model resnet50' works.
    result = run(f"check {name}")
    assert result.exit_code == 0, result.output
    assert "1 file checked: no findings" in result.stdout


def test_check_still_reports_a_missing_file() -> None:
    result = run("check no_such_net")
    assert result.exit_code == 2
    assert "no such file" in result.stdout


def test_solve_dash_o_writes_a_file(tmp_path: Path) -> None:
    target = tmp_path / "solutions.json"
    result = run(f"solve -i 224 --output-size 112 -k 7 --format json -o {target}")
    assert result.exit_code == 0, result.output
    doc = json.loads(target.read_text(encoding="utf-8"))
    # (224 + 2·3 − 7) / 2 + 1 = 112: kernel 7, stride 2, padding 3 is the first answer
    assert (doc["solutions"][0]["kernel"], doc["solutions"][0]["stride"], doc["solutions"][0]["padding"]) == (7, 2, 3)


def test_solve_old_output_spelling_is_caught_not_written() -> None:
    # -o used to be the wanted length; now it names a file, so '-o 112' would write a file called 112
    result = run("solve -i 224 -o 112 -k 7")
    assert result.exit_code == 2
    assert result.stderr == "error: -o/--output names a file now; give the wanted length as --output-size 112\n"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("maxpool", "maxpool2d"), ("bn", "batchnorm2d"), ("fc", "dense"), ("conv", "conv2d")],
)
def test_type_takes_the_shell_spellings(kind: str, expected: str) -> None:
    result = run(f"layer 8x8x4 -t {kind} --format json" + (" -k 2" if kind in ("maxpool", "conv") else "") + (" -f 3" if kind in ("fc", "conv") else ""))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["kind"] == expected


def test_type_suggests_a_close_kind() -> None:
    result = run("layer 8x8x3 -t maxpol -k 2")
    assert result.exit_code == 2
    assert result.stderr == "error: unknown layer kind 'maxpol'; did you mean 'maxpool'?\n"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_run_builds_only_its_command_and_behaves_the_same(name: str) -> None:
    # main() builds just the command a run names; its help and its usage
    # errors must read exactly as the whole application's do.
    narrow = application(name)
    for args in ([name, "--help"], [name, "--no-such-flag"]):
        alone, whole = runner.invoke(narrow, args, env=ENV), runner.invoke(app, args, env=ENV)
        assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output), args
    assert [c.name for c in typer.main.get_command(narrow).commands.values()] == [name]  # type: ignore[attr-defined]


def test_main_builds_the_whole_application_for_anything_else(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.argv", ["convcalc", "lyer"])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 2
    assert capsys.readouterr().err == "error: convcalc: no such command 'lyer'; did you mean 'layer'? (see 'convcalc --help')\n"
