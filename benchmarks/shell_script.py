"""Time a piped ``convcalc shell`` script of N lines (target: 5,000 lines in < 10 s, linear).

Each script sets an input, then adds one layer a line — ``relu`` lines, or
``conv`` lines (``conv 8 k3 p1``, which keeps the shape) — and is piped to
the installed command, end to end (process start to exit). Prints the wall
time, the CPU time of the child, its peak memory and the time per line, so
that linear cost shows as a flat µs/line column. Usage:
``python benchmarks/shell_script.py [N ...]`` (default 1000 5000 20000).
Before the shell grew its model line by line (issue 11) it took 4.3 s for
400 ``relu`` lines and more than 60 s for 2,000 ``conv`` lines.
"""

from __future__ import annotations

import os
import resource
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
    with tempfile.TemporaryFile("w+") as stdin:
        stdin.write(script)
        stdin.seek(0)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run([*command, "shell"], stdin=stdin, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        print(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "(no message)", file=sys.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, after.ru_maxrss // 1024, done.returncode


def main(counts: list[int]) -> None:
    print(f"{'lines':>8} {'kind':>5} {'wall s':>8} {'cpu s':>7} {'µs/line (cpu)':>14} {'peak MB':>8} exit")
    for kind in LINES:
        for count in counts:
            wall, cpu, peak, code = run(kind, count)
            print(f"{count:>8,} {kind:>5} {wall:>8.2f} {cpu:>7.2f} {cpu / count * 1e6:>14.0f} {peak:>8} {code}")
    print(f"(machine load average: {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 5000, 20000])
