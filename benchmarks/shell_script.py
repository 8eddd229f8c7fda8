"""Time a piped ``convcalc shell`` script of N lines (target: 5,000 lines in < 10 s, linear).

Each script sets an input, then adds one layer a line — ``relu`` lines, or
``conv`` lines (``conv 8 k3 p1``, which keeps the shape) — and is piped to
the installed command, end to end (process start to exit). Prints the wall
time, the CPU time of the child, its peak memory and the CPU time per line,
also with the start-up taken off (the least CPU time of three scripts that
only set the input), so that linear cost shows as a flat last µs/line column.
Usage: ``python benchmarks/shell_script.py [N ...]`` (default 1000 5000 20000).
Before the shell grew its model line by line (issue 11) it took 4.3 s for
400 ``relu`` lines and more than 60 s for 2,000 ``conv`` lines; before its
entries were shared between states (``Entries``), 20,000 ``conv`` lines cost
about half as much again per line as 5,000.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

LINES = {"relu": "relu", "conv": "conv 8 k3 p1"}


def run(kind: str, count: int) -> tuple[float, float, int, int]:
    """Wall seconds, child CPU seconds, child peak RSS in MB, and the exit code."""
    exe = shutil.which("convcalc")
    command = [exe] if exe else [sys.executable, "-m", "convcalc"]
    script = "input 32x32x8\n" + f"{LINES[kind]}\n" * count
    with tempfile.TemporaryFile("w+") as stdin, tempfile.TemporaryFile("w+") as stderr:
        stdin.write(script)
        stdin.seek(0)
        start = time.perf_counter()
        child = subprocess.Popen(
            [*command, "shell"], stdin=stdin, stdout=subprocess.DEVNULL, stderr=stderr
        )
        # wait4 gives this child's own usage; RUSAGE_CHILDREN's peak is the largest of every child so far.
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = code = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        message = stderr.read().strip()
    if code != 0:
        print(message.splitlines()[-1] if message else "(no message)", file=sys.stderr)
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024, code


def main(counts: list[int]) -> None:
    startup = min(run("relu", 0)[1] for _ in range(3))
    print(f"start-up (input only): {startup:.2f} s CPU")
    print(
        f"{'lines':>8} {'kind':>5} {'wall s':>8} {'cpu s':>7} {'µs/line (cpu)':>14} {'less start-up':>14} {'peak MB':>8} exit"
    )
    for kind in LINES:
        for count in counts:
            wall, cpu, peak, code = run(kind, count)
            each, beyond = cpu / count * 1e6, (cpu - startup) / count * 1e6
            print(
                f"{count:>8,} {kind:>5} {wall:>8.2f} {cpu:>7.2f} {each:>14.0f} {beyond:>14.0f} {peak:>8} {code}"
            )
    print(f"(machine load average: {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 5000, 20000])
