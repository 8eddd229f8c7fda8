"""Issue 11: hostile inputs that used to loop, hang or exhaust memory.

Each row runs the real command in a child process under
``resource.setrlimit``: at most 5 s of CPU and 500 MB of address space.
A child that runs past either is killed by the kernel (SIGXCPU, or a
MemoryError traceback), so the row fails with the exit status it got, not a
hang. Every row must end with exit 0, 1 or 2 and, when it refuses, exactly
one line on stderr: the sentence naming the cap. The wall-clock timeout
only catches a child blocked without using CPU (a FIFO).

Rows marked ``loader`` reproduce work the file loader still does without
bound (its owner applies the caps in ``loader.py``); they are strict xfails,
so the mark must go once the cap lands. The cap wording for those is
checked loosely: a place (``file:line:col``) and one line.
"""

from __future__ import annotations

import re
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

CPU_SECONDS = 5
MEMORY_BYTES = 500 * 2**20
WALL_SECONDS = 60


def _limits() -> None:  # runs in the child, before exec
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))


def run_limited(args: list[str], stdin: bytes = b"", cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    """``python -m convcalc ARGS`` under the CPU and memory caps."""
    return subprocess.run(
        [sys.executable, "-m", "convcalc", *args],
        input=stdin, capture_output=True, cwd=cwd, timeout=WALL_SECONDS, preexec_fn=_limits,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "COLUMNS": "200", "CONVCALC_HISTORY": ""},
    )  # fmt: skip


def _chain(indent: str, levels: int = 9) -> str:
    """Ten aliases of ten aliases, ``levels`` deep: 10**levels values from ~600 bytes."""
    lines = [f"{indent}p0: &p0 [{', '.join(['1'] * 10)}]"]
    lines += [f"{indent}p{i}: &p{i} [{', '.join([f'*p{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


FILES = {
    # 499-byte class of issue 11: the layer cap does not see parameter values
    "params_bomb.yaml": "input: [8, 8, 3]\nparams:\n" + _chain("  ") + "layers: [relu]\n",
    "block_bomb.yaml": "input: [8, 8, 3]\nblocks:\n  unit:\n    params:\n" + _chain("      ") + "    layers: [relu]\nlayers: [unit]\n",
    # 78 bytes that expand to a million layers
    "repeat.yaml": "input: [8, 8, 3]\nblocks:\n  u:\n    layers: [relu]\nlayers:\n  - u: {repeat: 1000000}\n",
    # the loader never expands an unused block, but the shell copies every value
    "unused_bomb.yaml": (
        "input: [8, 8, 3]\nblocks:\n  unused:\n    params:\n      bomb:\n"
        + "".join(f"        - {line.split(': ', 1)[1]}\n" for line in _chain("").splitlines())
        + "    layers: [relu]\nlayers: [relu]\n"
    ),
}

loader = pytest.mark.xfail(strict=True, reason="loader.py: the cap is its owner's to apply (issue 11)")


def _script(line: str, count: int) -> bytes:
    return ("input 32x32x8\n" + f"{line}\n" * count).encode()


ROWS: list[Any] = [
    # ------------------------------------------------------------ solve: closed form, or a cap before the work
    # span 999,999 with stride s: 2p ∈ [111s − 224 + 999,999, 112s − 225 + 999,999] — at most ⌈s/2⌉ paddings each
    pytest.param(["solve", "-i", "224", "--output-size", "112", "-k", "1000000"], b"", 0, None, id="solve-kernel-1e6"),
    pytest.param(["solve", "-i", "224", "--output-size", "112", "--dilation", "100000000"], b"", 0, None, id="solve-dilation-1e8"),
    pytest.param(
        ["solve", "-i", "224", "--output-size", "112", "--transposed", "-s", "50000000"], b"", 2,
        r"no conv_transpose2d maps 224 to 112 with kernel 1–11, stride 50000000, dilation 1–4",
        id="solve-transposed-stride-5e7",
    ),
    pytest.param(
        ["solve", "-i", "224", "--output-size", "112", "-k", str(10**30)], b"", 2,
        r"'-k' / '--kernel': '1000000000000000000000000000000' is above 2,147,483,647, the largest accepted",
        id="solve-kernel-1e30",
    ),
    pytest.param(
        # stride 10⁶: 2p ∈ [111·10⁶ − 224 + span, 112·10⁶ − 225 + span], 10⁶ values, so 500,000 paddings
        # (each below the span 1,999,999,999 as the search requires)
        ["solve", "-i", "224", "--output-size", "112", "-k", "2000000000", "-s", "1000000", "--dilation", "1"], b"", 2,
        r"500,000 configurations map 224 to 112, more than the 10,000 convcalc lists; hold more options fixed",
        id="solve-too-many-solutions",
    ),
    pytest.param(
        ["solve", "--model", "lenet5", "--high", str(10**12)], b"", 2,
        r"'--high': '1000000000000' is above 2,147,483,647, the largest accepted", id="solve-model-high-1e12",
    ),
    pytest.param(
        ["solve", "--model", "lenet5", "--high", "2000000000"], b"", 2,
        r"scanning input sides up to 2,000,000,000 means 1,999,999,969 analyses of 12 layers, "
        r"more than the 500,000 layer analyses of one scan; lower --high to about 41,666 or less",
        id="solve-model-high-2e9",
    ),
    # ------------------------------------------------------------ the shell grows its model line by line
    pytest.param(["shell"], _script("relu", 2000), 0, None, id="shell-2000-relu"),
    pytest.param(["shell"], _script("conv 8 k3 p1", 2000), 0, None, id="shell-2000-conv"),
    pytest.param(
        ["shell"], b"input 32x32x3\nconv 8 k3 name=caf\xe9\n", 2,
        r"line 2: column 19: byte 0xE9 is not UTF-8 text; write the line in UTF-8 \(names are ASCII words\)",
        id="shell-latin1-byte",
    ),
    pytest.param(
        ["shell", "unused_bomb.yaml"], b"", 2,
        r"unused_bomb.yaml:\d+:\d+: this value expands to more than 1,000,000 values through YAML aliases",
        id="shell-load-alias-bomb",
    ),
    # ------------------------------------------------------------ the loader (reported; its owner fixes)
    pytest.param(["model", "params_bomb.yaml"], b"", 2, r"params_bomb.yaml:\d+:\d+: ", id="params-alias-bomb"),
    pytest.param(["model", "block_bomb.yaml"], b"", 2, r"block_bomb.yaml:\d+:\d+: ", id="block-params-alias-bomb"),
    pytest.param(["check", "params_bomb.yaml"], b"", 1, None, id="check-params-alias-bomb"),
    pytest.param(["model", "repeat.yaml", "--format", "json"], b"", 2, r"repeat.yaml:\d+:\d+: .*100,000", id="repeat-1e6-json"),
    pytest.param(["model", "repeat.yaml"], b"", 2, r"repeat.yaml:\d+:\d+: .*100,000", id="repeat-1e6-table"),
]


@pytest.mark.parametrize(("args", "stdin", "code", "message"), ROWS)
def test_bounded(tmp_path: Path, args: list[str], stdin: bytes, code: int, message: str | None) -> None:
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    done = run_limited(args, stdin, cwd=tmp_path)
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == code, f"exit {done.returncode} (negative: killed by a limit); stderr: {err[-2000:]}"
    if message is None:
        assert err == ""
        return
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err[-2000:]
    assert re.search(message, lines[0]), lines[0]


def test_the_limits_hold_for_a_runaway_child() -> None:
    """The harness itself: a child that loops is stopped by the CPU cap, one that
    allocates by the memory cap; neither reports success."""
    spin = subprocess.run([sys.executable, "-c", "while True: pass"], preexec_fn=_limits, timeout=WALL_SECONDS)
    assert spin.returncode < 0  # SIGXCPU or SIGKILL
    grab = subprocess.run([sys.executable, "-c", "x = bytearray(600 * 2**20)"], preexec_fn=_limits, capture_output=True, timeout=WALL_SECONDS)
    assert grab.returncode != 0 and b"MemoryError" in grab.stderr
