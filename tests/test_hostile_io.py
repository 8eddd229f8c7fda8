"""Hostile input at the edges: files read and written, numbers typed, errors shown.

Each reproduction of issue 11 that belongs to I/O, the CLI and the terminal
runs as a real process under a 500 MB address-space limit and a 5 s timeout
(enforced here, not hoped for): it must exit 0, 1 (a genuine finding) or 2
with one line on stderr, never a traceback, and never harm a file.
"""

from __future__ import annotations

import json
import os
import re
import resource
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from convcalc.cli.options import numbers
from convcalc.errors import InputError
from convcalc.files import (
    MAX_FILE_BYTES,
    UnreadableError,
    glob_files,
    read_source,
    unique_files,
    write_atomically,
)
from convcalc.formatting import binary_bytes, count, escape_controls, shorten, si
from convcalc.shapes import parse_shape
from convcalc.yamlnodes import YamlError, parse_yaml

MEMORY = 500 * 2**20
SECONDS = 5
OK = "name: ok\ninput: [8, 8, 3]\nlayers:\n  - relu\n"
LONG_NAME = "a" * 300 + ".yaml"


class Ran(NamedTuple):
    code: int
    stdout: str
    stderr: str


def convcalc(*args: str, cwd: Path, umask: int | None = None, env: dict[str, str] | None = None, program: list[str] | None = None) -> Ran:
    """``python -m convcalc ARGS`` bounded to 500 MB and 5 s."""

    def bounded() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
        if umask is not None:
            os.umask(umask)

    environment = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "PYTHONIOENCODING": "utf-8", **(env or {})}
    environment.pop("GITHUB_ACTIONS", None)
    environment.pop("CONVCALC_DEBUG", None) if "CONVCALC_DEBUG" not in (env or {}) else None
    done = subprocess.run(
        [*(program or [sys.executable, "-m", "convcalc"]), *args],
        cwd=cwd, env=environment, capture_output=True, text=True, encoding="utf-8",
        errors="replace", timeout=SECONDS, preexec_fn=bounded, stdin=subprocess.DEVNULL,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def one_line(ran: Ran) -> str:
    """The single stderr line of a failed run (asserting there is exactly one)."""
    assert "Traceback" not in ran.stderr + ran.stdout
    lines = ran.stderr.splitlines()
    assert len(lines) == 1, ran.stderr
    return lines[0]


# ----------------------------------------------------------- reproductions


def _fifo(folder: Path) -> str:
    os.mkfifo(folder / "pipe.yaml")
    return "pipe.yaml"


def _large(folder: Path) -> str:
    with open(folder / "large.yaml", "w") as handle:
        handle.write("input: [8, 8, 3]\nlayers:\n")
        handle.write("  - relu\n" * (MAX_FILE_BYTES // 9 + 1000))
    return "large.yaml"


def _loop(folder: Path) -> str:
    (folder / "loop" / "sub").mkdir(parents=True)
    for i in range(20):
        (folder / "loop" / ("sub" if i % 2 else "") / f"f{i}.yaml").write_text(OK)
    (folder / "loop" / "sub" / "back").symlink_to("..")  # loop/sub/back/sub/back/…
    (folder / "loop" / "again").symlink_to(".")  # and a second loop, so the walk would be exponential
    return "loop/**/*.yaml"


def _big_input(folder: Path) -> str:
    (folder / "wide.yaml").write_text("input: [" + ", ".join(["1"] * 20_000) + "]\nlayers:\n  - relu\n")
    return "wide.yaml"


class Case(NamedTuple):
    id: str
    args: list[str]
    code: int
    stderr: str
    """The one stderr line, as a regular expression matched in full ('' for none)."""
    setup: Callable[[Path], str] | None = None
    """Makes a file in the run's folder and returns its name, put in place of '{}' in ``args``."""


CASES = [
    Case("superscript-digit", ["layer", "²x8x3", "-k", "1", "-f", "1"], 2,
         re.escape("error: input shape '²x8x3' has '²' where a positive whole number was expected")),
    Case("full-width-digits", ["layer", "２２４x２２４x3", "-k", "1", "-f", "1"], 2,
         re.escape("error: input shape '２２４x２２４x3' has '２２４' where a positive whole number was expected")),
    Case("superscript-kernel", ["layer", "8x8x3", "-k", "²", "-f", "1"], 2,
         re.escape("error: --kernel '²' is not understood; give a number or two like 3x5")),
    Case("4301-digit-size", ["layer", "9" * 4301 + "x8x3", "-k", "1", "-f", "1"], 2,
         r"error: input shape '9{100,} … \([0-9,]+ characters cut\) … 9+x8x3' has a size above "
         r"2,147,483,647, the largest accepted \(docs/limits\.md\)"),
    Case("1e160-side", ["layer", f"{10**160}x{10**160}x3", "-k", "1", "-f", "1"], 2,
         r"error: input shape '10+x10+x3' has a size above 2,147,483,647, the largest accepted \(docs/limits\.md\)"),
    Case("filters-full-width", ["layer", "8x8x3", "-k", "1", "-f", "２"], 2,
         re.escape("error: convcalc layer: invalid value for '-f' / '--filters' / '--units': "
                   "'２' is not a whole number written with the digits 0-9 (see 'convcalc layer --help')")),
    Case("scale-1e308", ["layer", "8x8x3", "-t", "upsample", "--scale", "1e308"], 2,
         re.escape("error: --scale '1e308' has a value above 2,147,483,647, the largest accepted (docs/limits.md)")),
    Case("solve-huge-input", ["solve", "-i", "1" + "0" * 30, "--output-size", "2"], 2,
         r"error: convcalc solve: invalid value for '--input' / '-i': '10+' is above 2,147,483,647, .*"),
    Case("model-long-name", ["model", LONG_NAME], 2,
         re.escape(f"error: {LONG_NAME}: the file name is too long for this system (305 characters)")),
    Case("solve-model-long-name", ["solve", "--model", LONG_NAME], 2,
         re.escape(f"error: {LONG_NAME}: the file name is too long for this system (305 characters)")),
    Case("shell-long-name", ["shell", LONG_NAME], 2,
         re.escape(f"error: {LONG_NAME}: the file name is too long for this system (305 characters)")),
    Case("shell-fifo", ["shell", "{}"], 2,
         re.escape("error: pipe.yaml: is a FIFO (named pipe), not a regular file"), _fifo),
    Case("model-dev-zero", ["model", "/dev/zero"], 2,
         re.escape("error: /dev/zero: is a character device, not a regular file")),
    Case("check-dev-zero", ["check", "/dev/zero"], 2, ""),
    Case("model-fifo", ["model", "{}"], 2,
         re.escape("error: pipe.yaml: is a FIFO (named pipe), not a regular file"), _fifo),
    Case("check-fifo", ["check", "{}"], 2, "", _fifo),
    Case("solve-model-fifo", ["solve", "--model", "{}"], 2,
         re.escape("error: pipe.yaml: is a FIFO (named pipe), not a regular file"), _fifo),
    Case("model-large-file", ["model", "{}"], 2,
         r"error: large\.yaml: is [0-9,]+ bytes, over the 10,485,760-byte limit for an architecture file \(docs/limits\.md\)",
         _large),
    Case("check-large-file", ["check", "{}"], 2, "", _large),
    Case("check-symlink-loop", ["check", "{}"], 0, "", _loop),
    Case("wide-input-message-capped", ["model", "{}"], 2,
         r"error: wide\.yaml:1:8: input must be .{0,300} … \([0-9,]+ characters cut\) … .{0,250}", _big_input),
    Case("unknown-option", ["layer", "8x8x3", "--kernal", "3"], 2,
         re.escape("error: convcalc layer: no such option '--kernal'; did you mean '--kernel'? (see 'convcalc layer --help')")),
    Case("missing-argument", ["check"], 2,
         re.escape("error: convcalc check: missing argument 'paths' (see 'convcalc check --help')")),
    Case("unknown-command", ["modle"], 2,
         re.escape("error: convcalc: no such command 'modle'; did you mean 'model', 'models', 'solve'? (see 'convcalc --help')")),
    Case("bad-choice", ["model", "lenet5", "--layout", "whc"], 2,
         re.escape("error: convcalc model: invalid value for '--layout': 'whc' is not one of 'hwc', 'chw' (see 'convcalc model --help')")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reproduction_is_one_bounded_sentence(case: Case, tmp_path: Path) -> None:
    made = case.setup(tmp_path) if case.setup else ""
    ran = convcalc(*(a.replace("{}", made) for a in case.args), cwd=tmp_path)
    assert ran.code == case.code, ran.stderr
    assert "Traceback" not in ran.stdout + ran.stderr
    if case.stderr:
        line = one_line(ran)
        assert re.fullmatch(case.stderr, line), line
        assert len(line) <= len("error: ") + 500
    else:
        assert ran.stderr == ""


def test_check_reports_an_unreadable_path_as_a_located_finding(tmp_path: Path) -> None:
    _fifo(tmp_path)
    ran = convcalc("check", "pipe.yaml", "/dev/zero", cwd=tmp_path)
    assert ran.code == 2
    assert ran.stdout.splitlines() == [
        "pipe.yaml:1:1: fatal CC001 is a FIFO (named pipe), not a regular file",
        "/dev/zero:1:1: fatal CC001 is a character device, not a regular file",
        "2 files checked: 2 fatal",
    ]


def test_a_symlink_loop_is_walked_once(tmp_path: Path) -> None:
    pattern = _loop(tmp_path)
    ran = convcalc("check", pattern, cwd=tmp_path)
    assert (ran.code, ran.stdout) == (0, "20 files checked: no findings\n")


# ----------------------------------------------------------- internal errors

# A bug planted in a real process: the bundled-model lookup divides by zero.
BUGGY = [sys.executable, "-c", "import convcalc.catalog as c; c.resolve = lambda s: 1 / 0\nfrom convcalc.cli import main; main()"]


@pytest.mark.parametrize(
    ("args", "env", "traceback"),
    [
        pytest.param(["model", "x"], {}, False, id="plain"),
        pytest.param(["--debug", "model", "x"], {}, True, id="--debug"),
        pytest.param(["model", "x"], {"CONVCALC_DEBUG": "1"}, True, id="CONVCALC_DEBUG=1"),
        pytest.param(["model", "x"], {"CONVCALC_DEBUG": "0"}, False, id="CONVCALC_DEBUG=0"),
    ],
)
def test_an_internal_error_is_one_line_and_exit_2(args: list[str], env: dict[str, str], traceback: bool, tmp_path: Path) -> None:
    ran = convcalc(*args, cwd=tmp_path, env=env, program=BUGGY)
    assert ran.code == 2
    last = ran.stderr.splitlines()[-1]
    if traceback:
        assert ran.stderr.startswith("Traceback (most recent call last):")
        assert last == "internal error: ZeroDivisionError: division by zero; please report it"
    else:
        assert ran.stderr == (
            "internal error: ZeroDivisionError: division by zero; please report it "
            "(CONVCALC_DEBUG=1 or --debug shows the traceback)\n"
        )


def test_help_is_unchanged_by_the_boundary(tmp_path: Path) -> None:
    ran = convcalc("layer", "--help", cwd=tmp_path)
    assert ran.code == 0
    assert "Usage: convcalc layer [OPTIONS] [SHAPE]" in ran.stdout.replace("shape", "SHAPE")
    assert ran.stderr == ""


# ----------------------------------------------------------- writing files


def _regular(path: Path) -> None:
    path.write_text("old\n")


def _symlink(path: Path) -> None:
    (path.parent / "target.txt").write_text("target\n")
    path.symlink_to("target.txt")


def _hard_link(path: Path) -> None:
    (path.parent / "other.txt").write_text("linked\n")
    os.link(path.parent / "other.txt", path)


def _device(path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a copy of /dev/null, never the real one


def _fifo_at(path: Path) -> None:
    os.mkfifo(path)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(_symlink, "is a symbolic link; convcalc does not replace links, so give the real file's path", id="symlink"),
        pytest.param(_hard_link, "has 2 hard links; replacing it would split them, so write to another file", id="hard-link"),
        pytest.param(_fifo_at, "is a FIFO (named pipe); convcalc writes only regular files (or '-' for stdout)", id="fifo"),
        pytest.param(_device, "is a character device; convcalc writes only regular files (or '-' for stdout)", id="device"),
    ],
)
def test_output_is_never_written_over_a_non_regular_file(make: Callable[[Path], None], reason: str, tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(OK)
    target = tmp_path / "out.json"
    make(target)
    before = os.lstat(target)
    ran = convcalc("check", "ok.yaml", "--format", "json", "-o", "out.json", cwd=tmp_path)
    assert ran.code == 2
    assert one_line(ran) == f"error: --output 'out.json': {reason}"
    after = os.lstat(target)
    assert (after.st_ino, after.st_mode, after.st_nlink) == (before.st_ino, before.st_mode, before.st_nlink)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.json")] == []  # no temporary left


@pytest.mark.parametrize(
    ("args", "output"),
    [
        pytest.param(["check", "ok.yaml", "--format", "json"], "ok.yaml", id="check-same-name"),
        pytest.param(["check", "ok.yaml", "--format", "json"], "sub/../ok.yaml", id="check-other-spelling"),
        pytest.param(["model", "ok.yaml", "--format", "json"], "ok.yaml", id="model"),
    ],
)
def test_output_is_never_one_of_the_inputs(args: list[str], output: str, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "ok.yaml").write_text(OK)
    ran = convcalc(*args, "-o", output, cwd=tmp_path)
    assert ran.code == 2
    assert one_line(ran) == f"error: --output {output!r}: is one of the input files; write the report to another file"
    assert (tmp_path / "ok.yaml").read_text() == OK


@pytest.mark.parametrize(
    ("umask", "old_mode", "mode"),
    [
        pytest.param(0o022, None, 0o644, id="new-umask-022"),
        pytest.param(0o077, None, 0o600, id="new-umask-077"),
        pytest.param(0o002, None, 0o664, id="new-umask-002"),
        pytest.param(0o077, 0o644, 0o644, id="replaced-keeps-0644"),
        pytest.param(0o022, 0o640, 0o640, id="replaced-keeps-0640"),
        pytest.param(0o022, 0o600, 0o600, id="replaced-keeps-0600"),
    ],
)
def test_written_files_follow_the_umask_or_keep_their_mode(umask: int, old_mode: int | None, mode: int, tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(OK)
    out = tmp_path / "report.json"
    if old_mode is not None:
        out.write_text("old\n")
        out.chmod(old_mode)
    ran = convcalc("check", "ok.yaml", "--format", "json", "-o", "report.json", cwd=tmp_path, umask=umask)
    assert ran.code == 0, ran.stderr
    assert stat.S_IMODE(out.stat().st_mode) == mode
    assert json.loads(out.read_text())["files"] == ["ok.yaml"]


@pytest.mark.parametrize(
    ("make", "code", "stderr", "mode"),
    [
        pytest.param(lambda p: (p.write_text("old\n"), p.chmod(0o644)), 0, "", 0o644, id="keeps-0644-under-umask-077"),
        pytest.param(lambda p: p.symlink_to("ok.yaml"), 2,
                     "error: line 2: cannot save to 'saved.yaml': is a symbolic link; convcalc does not replace links, "
                     "so give the real file's path\n", None, id="refuses-a-symlink"),
    ],
)
def test_shell_save_uses_the_same_rules(make: Callable[[Path], object], code: int, stderr: str, mode: int | None, tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(OK)
    make(tmp_path / "saved.yaml")
    done = subprocess.run(
        [sys.executable, "-m", "convcalc", "shell", "-i", "8x8x3"], input="relu\nsave! saved.yaml\n",
        cwd=tmp_path, capture_output=True, text=True, timeout=SECONDS, env={**os.environ, "NO_COLOR": "1"},
        preexec_fn=lambda: (resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY)), os.umask(0o077)),
    )
    assert (done.returncode, done.stderr) == (code, stderr)
    if mode is not None:
        assert stat.S_IMODE((tmp_path / "saved.yaml").stat().st_mode) == mode
    assert (tmp_path / "ok.yaml").read_text() == OK


def test_dash_writes_to_stdout(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(OK)
    ran = convcalc("check", "ok.yaml", "--format", "json", "-o", "-", cwd=tmp_path)
    assert ran.code == 0
    assert json.loads(ran.stdout)["files"] == ["ok.yaml"]
    assert not (tmp_path / "-").exists()


def test_replacing_keeps_the_owner(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    out = tmp_path / "net.txt"
    out.write_text("old\n")
    os.chown(out, 12345, 23456)
    write_atomically(out, "new\n")
    info = out.stat()
    assert (info.st_uid, info.st_gid, out.read_text()) == (12345, 23456, "new\n")


# ----------------------------------------------------------- terminal escapes


def test_names_and_paths_are_escaped_on_the_terminal_but_not_in_json(tmp_path: Path) -> None:
    (tmp_path / "evil.yaml").write_text(
        'name: "net\\e]0;pwned\\a"\ndescription: "d\\e[2J"\ninput: [8, 8, 3]\nlayers:\n  - relu\n'
    )
    folder = tmp_path / "d\x1b[31mx"
    folder.mkdir()
    (folder / "bad.yaml").write_text("input: [8, 8, 3]\nlayers:\n  - conv2d: {filters: 4, kernel: 9}\n")

    table = convcalc("model", "evil.yaml", cwd=tmp_path)
    assert table.code == 0
    assert "\x1b" not in table.stdout and "\x07" not in table.stdout
    assert "net\\x1b]0;pwned\\x07  d\\x1b[2J" in table.stdout

    markdown = convcalc("model", "evil.yaml", "--format", "markdown", cwd=tmp_path)
    assert markdown.stdout.startswith("## net\\x1b]0;pwned\\x07\n")

    document = json.loads(convcalc("model", "evil.yaml", "--format", "json", cwd=tmp_path).stdout)
    assert (document["name"], document["description"]) == ("net\x1b]0;pwned\x07", "d\x1b[2J")

    for fmt in ("text", "github"):
        found = convcalc("check", folder.name, "--format", fmt, cwd=tmp_path)
        assert found.code == 1
        assert "\x1b" not in found.stdout
        assert "d\\x1b[31mx/bad.yaml" in found.stdout
    report = json.loads(convcalc("check", folder.name, "--format", "json", cwd=tmp_path).stdout)
    assert report["files"] == [f"{folder.name}/bad.yaml"]


def test_an_error_message_is_escaped(tmp_path: Path) -> None:
    ran = convcalc("model", "no\x1b[2Jsuch.yaml", cwd=tmp_path)
    assert ran.code == 2
    assert "\x1b" not in ran.stderr
    assert one_line(ran).startswith("error: 'no\\x1b[2Jsuch.yaml' is neither a file nor a bundled model")


# ----------------------------------------------------------- in-process units


def test_read_source_reads_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "net.yaml").write_text("é\n", encoding="utf-8")
    assert read_source(tmp_path / "net.yaml") == "é\n"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        pytest.param(lambda p: None, "no such file", id="missing"),
        pytest.param(lambda p: p.mkdir(), "is a directory, not an architecture file", id="folder"),
        pytest.param(os.mkfifo, "is a FIFO (named pipe), not a regular file", id="fifo"),
        pytest.param(lambda p: p.write_bytes(b"x" * 101), "is 101 bytes, over the 100-byte limit for an architecture file (docs/limits.md)", id="over-limit"),
    ],
)
def test_read_source_refuses(make: Callable[[Path], None], reason: str, tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    make(path)
    with pytest.raises(UnreadableError, match=f"^{re.escape(f'{path}: {reason}')}$") as caught:
        read_source(path, limit=100)
    assert (caught.value.reason, caught.value.rule) == (reason, "unreadable")


@pytest.mark.parametrize(("data", "line", "column"), [
    (b"name: caf\xe9\n", 1, 10),
    (b"input: [8, 8, 3]\nlayers:\n  - conv2d: {filters: $fil\x8eers}\n", 3, 27),
    ("name: café\nx: \xe9".encode() + b"\xff", 2, 5),  # columns count characters, not bytes
])  # fmt: skip
def test_read_source_places_a_byte_that_is_not_utf8(data: bytes, line: int, column: int, tmp_path: Path) -> None:
    path = tmp_path / "net.yaml"
    path.write_bytes(data)
    with pytest.raises(UnreadableError) as caught:
        read_source(path, limit=100)
    assert (caught.value.at.line, caught.value.at.column) == (line, column)
    assert caught.value.reason.endswith("is not UTF-8 text; save the file as UTF-8")


def test_read_source_names_a_name_too_long(tmp_path: Path) -> None:
    with pytest.raises(UnreadableError, match=r": the file name is too long for this system \(305 characters\)$"):
        read_source(LONG_NAME)


def test_glob_does_not_follow_folder_links_and_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / "a" / ".git").mkdir(parents=True)
    (tmp_path / "a" / "x.yaml").write_text(OK)
    (tmp_path / "a" / ".git" / "y.yaml").write_text(OK)
    (tmp_path / "a" / "loop").symlink_to(".")
    (tmp_path / "a" / "alias.yaml").symlink_to("x.yaml")
    pattern = str(tmp_path / "a" / "**" / "*.yaml")
    assert glob_files(pattern) == [str(tmp_path / "a" / "alias.yaml"), str(tmp_path / "a" / "x.yaml")]
    assert unique_files(glob_files(pattern)) == [str(tmp_path / "a" / "alias.yaml")]  # one file, two names


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("²", "input shape '²' has '²' where a positive whole number was expected", id="superscript"),
        pytest.param("٣x٣x٣", "input shape '٣x٣x٣' has '٣' where a positive whole number was expected", id="arabic-indic"),
        pytest.param("2147483648", "input shape '2147483648' has a size above 2,147,483,647, the largest accepted (docs/limits.md)", id="2**31"),
    ],
)
def test_parse_shape_takes_ascii_digits_only(text: str, message: str) -> None:
    with pytest.raises(InputError, match=f"^{re.escape(message)}$"):
        parse_shape(text)


def test_parse_shape_takes_the_largest_size() -> None:
    assert parse_shape("2147483647x1x0001").dims == (2_147_483_647, 1, 1)


@pytest.mark.parametrize(
    ("flag", "text", "floats", "expected"),
    [
        pytest.param("--kernel", "3x5", False, [3, 5], id="pair"),
        pytest.param("--scale", "1.5", True, 1.5, id="float"),
        pytest.param("--scale", "2", True, 2, id="whole-scale-stays-int"),
        pytest.param("--kernel", "３", False, "--kernel '３' is not understood; give a number or two like 3x5", id="full-width"),
        pytest.param("--scale", "inf", True, "--scale 'inf' is not understood; give a number or two like 3x5", id="inf"),
        pytest.param("--scale", "１.５", True, "--scale '１.５' is not understood; give a number or two like 3x5", id="full-width-float"),
        pytest.param("--kernel", "9" * 5000, False, f"--kernel '{'9' * 5000}' has a value above 2,147,483,647, the largest accepted (docs/limits.md)", id="5000-digits"),
    ],
)
def test_numbers_follow_the_one_rule(flag: str, text: str, floats: bool, expected: object) -> None:
    if isinstance(expected, str):
        with pytest.raises(InputError, match=f"^{re.escape(expected)}$"):
            numbers(flag, text, floats=floats)
    else:
        assert numbers(flag, text, floats=floats) == expected


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        # An unclosed { on line 4 of a 5-line file: the parser notices at the end
        # of the file (6:1, a line that does not exist); the fix is at the brace.
        pytest.param("input: [8, 8, 3]\nname: x\nlayers:\n  - conv: {filters: 4, kernel: 3\n  - relu\n", (4, 11),
                     "YAML syntax error: did not find expected ',' or '}', in a flow mapping that starts here "
                     "(the parser stopped at the end of the file)", id="unclosed-brace"),
        pytest.param("input: [8, 8, 3", (1, 8),
                     "YAML syntax error: did not find expected ',' or ']', in a flow sequence that starts here "
                     "(the parser stopped at the end of the file)", id="unclosed-bracket-no-newline"),
        pytest.param("input: [8, 8, 3]\nname: 'abc\nlayers: [relu]\n", (2, 7),
                     "YAML syntax error: found unexpected end of stream, in a quoted scalar that starts here "
                     "(the parser stopped at the end of the file)", id="unclosed-quote"),
        pytest.param("input: [8, 8, 3]\nname x\nlayers: [relu]\n", (2, 1),
                     "YAML syntax error: could not find expected ':', in a simple key that starts here "
                     "(the parser stopped at line 3, column 1)", id="missing-colon"),
        pytest.param("input: [8, 8, 3]\nlayers:\n  - relu\n - relu\n", (4, 2),
                     "YAML syntax error: did not find expected key (while parsing a block mapping that starts "
                     "at line 1, column 1)", id="bad-indent-stays-at-the-line"),
    ],
)
def test_yaml_syntax_errors_point_at_the_fix_and_a_real_line(text: str, position: tuple[int, int], reason: str) -> None:
    with pytest.raises(YamlError) as caught:
        parse_yaml(text, "net.yaml")
    assert (caught.value.at.line, caught.value.at.column) == position
    assert caught.value.reason == reason
    assert caught.value.at.line <= len(text.splitlines())


@pytest.mark.parametrize(
    ("render", "n", "text"),
    [
        # 10**320 bytes is 10**320 / 1024**4 TiB, past a float's 1.8e308
        pytest.param(binary_bytes, 10**320, "9.09e+307 TiB", id="bytes-10^320"),
        pytest.param(binary_bytes, 4 * 10**320, "3.63e+308 TiB", id="bytes-past-float"),
        pytest.param(si, 10**400, "1.00e+385 P", id="si-10^400"),
        pytest.param(count, 10**5000, "1.00e+5000", id="count-past-int-str-limit"),
    ],
)
def test_formatting_any_size(render: Callable[[int], str], n: int, text: str) -> None:
    assert render(n) == text


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        pytest.param("a\x1b[2Jb", "a\\x1b[2Jb", id="csi"),
        pytest.param("t\x1b]0;x\x07", "t\\x1b]0;x\\x07", id="osc-title"),
        pytest.param("r\u202eevil", "r\\u202eevil", id="bidi-override"),
        pytest.param("c\x9bd", "c\\x9bd", id="c1-csi"),
        pytest.param("tab\tok, é ×", "tab\tok, é ×", id="printable-kept"),
        pytest.param("two\nlines", "two\\nlines", id="newline"),
    ],
)
def test_escape_controls(text: str, escaped: str) -> None:
    assert escape_controls(text) == escaped


def test_shorten_keeps_both_ends_within_the_limit() -> None:
    text = "f.yaml:1:8: " + "x" * 3_000_000 + " give 3"
    short = shorten(text)
    assert len(short) == 500
    assert short.startswith("f.yaml:1:8: xxx")
    assert short.endswith("x give 3")
    assert "characters cut" in short


def test_an_owner_that_cannot_be_kept_refuses_and_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "net.txt"
    out.write_text("old\n")
    owner = out.stat()

    def refuse(fd: int, uid: int, gid: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "getuid", lambda: owner.st_uid + 1)  # as if another user ran convcalc
    monkeypatch.setattr(os, "fchown", refuse)
    with pytest.raises(InputError, match=rf"^is owned by uid {owner.st_uid}, gid {owner.st_gid}; replacing it would change that, so write to another file$"):
        write_atomically(out, "new\n")
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.txt"]


@pytest.mark.parametrize(("given", "message"), [
    ("9" * 400, "is not a size; give bytes or a size like 4GiB, 512MiB, 2GB"),
    ("99999999999999999999999GiB", "is above 9,223,372,036,854,775,808 bytes (8 EiB), the largest accepted"),
    ("２GiB", "is not a size; give bytes or a size like 4GiB, 512MiB, 2GB"),
])  # fmt: skip
def test_max_memory_is_read_exactly_and_capped(given: str, message: str) -> None:
    from convcalc.cli.verify import memory_size

    with pytest.raises(InputError, match=re.escape(message)):
        memory_size(given)


def test_max_memory_reads_decimals_exactly() -> None:
    from convcalc.cli.verify import memory_size

    assert memory_size("1.5GiB") == 3 * 2**29
