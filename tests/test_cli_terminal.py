"""The commands on a real terminal (a pseudo-terminal), where Rich draws colour.

CliRunner and pipes take the plain-text paths; these runs take the others.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import pytest

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def on_terminal(*args: str, columns: int = 160, size_only: bool = False) -> tuple[int, str]:
    """Run convcalc on a pseudo-terminal ``columns`` wide; ``size_only``: the
    terminal's size is set on the device, and COLUMNS is not in the environment."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CI", "COLUMNS", "LINES")}
    env.update({"TERM": "xterm-256color", "FORCE_COLOR": "1"})
    if not size_only:
        env.update({"COLUMNS": str(columns), "LINES": "50"})
    with subprocess.Popen(
        [sys.executable, "-m", "convcalc", *args], stdin=follower, stdout=follower, stderr=follower, env=env
    ) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the follower side closed: the process is done
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = process.wait(timeout=60)
    os.close(leader)
    return code, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("args", "code", "phrases"),
    [
        pytest.param(["model", "lenet5"], 0, ["c1", "28×28×6", "trainable: 61,706"], id="model"),
        pytest.param(["model", "resnet50", "--depth", "1", "--verify"], 0, ["layer4", "✓", "MACs: 4,089,184,256"], id="model-verify"),
        pytest.param(["layer", "224x224x3", "-k", "7", "-s", "2", "-p", "3", "-f", "64", "--explain"], 0, ["112×112×64", "9,472"], id="layer"),
        pytest.param(["check", "configs", "--strict"], 0, ["files checked: no findings"], id="check"),
        pytest.param(["layer", "224x224x3", "-k", "300", "-f", "3"], 2, ["error: kernel 300 is larger"], id="error"),
    ],
)
def test_commands_on_a_terminal(args: list[str], code: int, phrases: list[str]) -> None:
    got, output = on_terminal(*args)
    assert got == code, output
    assert "Traceback" not in output
    plain = ANSI.sub("", output)
    for phrase in phrases:
        assert phrase in plain
    if code == 0:
        assert ANSI.search(output), "a terminal gets colour"


# Issue 13: at 80 columns every row of the ResNet-50 table wrapped (113 wide).
@pytest.mark.parametrize("size_only", [False, True], ids=["COLUMNS", "terminal-size"])
@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize(
    ("name", "phrases"),
    [
        # shapes, parameters and MACs still shown, compact where full ones do not fit
        pytest.param("resnet50", ["224×224×3", "112×112×64", "7×7×2048", "2,049,000", "MACs", "params: 25,610,152"], id="resnet50"),
        pytest.param("mobilenet_v2", ["224×224×3", "112×112×32", "1280", "MACs", "trainable: 3,504,872"], id="mobilenet_v2"),
    ],
)
def test_model_table_fits_the_terminal(name: str, phrases: list[str], columns: int, size_only: bool) -> None:
    code, output = on_terminal("model", name, columns=columns, size_only=size_only)
    assert code == 0, output
    lines = ANSI.sub("", output).splitlines()
    too_long = [line for line in lines if len(line) > columns]
    assert too_long == []
    plain = "\n".join(lines)
    for phrase in phrases:
        assert phrase in plain
    header = next(line for line in lines if line.startswith("┃"))
    assert "output H×W×C" in header and "MACs" in header and ("params" in header or "trainable" in header)
    assert sum(line.startswith("│") for line in lines) > 100  # every layer has its row


def test_wide_keeps_every_column_on_a_narrow_terminal() -> None:
    code, output = on_terminal("model", "resnet50", "--wide", columns=80)
    assert code == 0, output
    plain = ANSI.sub("", output)
    assert "non-trainable" in plain and "layer1.0.downsample_conv" in plain and "4,089,184,256" in plain
    assert max(len(line) for line in plain.splitlines()) > 80
