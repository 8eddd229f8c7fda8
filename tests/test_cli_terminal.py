"""The commands on a real terminal (a pseudo-terminal), where Rich draws colour.

CliRunner and pipes take the plain-text paths; these runs take the others.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

import pytest

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def on_terminal(*args: str) -> tuple[int, str]:
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "CI")}
    env.update({"TERM": "xterm-256color", "COLUMNS": "160", "LINES": "50", "FORCE_COLOR": "1"})
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
        pytest.param(["model", "resnet50", "--depth", "0", "--verify"], 0, ["layer4", "✓", "MACs: 4,089,184,256"], id="model-verify"),
        pytest.param(["layer", "224x224x3", "-k", "7", "-s", "2", "-p", "3", "-f", "64", "--explain"], 0, ["112×112×64", "9,472"], id="layer"),
        pytest.param(["check", "configs", "--strict"], 0, ["7 files checked: no findings"], id="check"),
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
