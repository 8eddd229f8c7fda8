"""Time ``convcalc model FILE.onnx`` against ``convcalc model resnet50`` (the bundled YAML).

Targets (issue 12): a ~100 MB ResNet-50 export within 0.5 s of the YAML
model; a ~550 MB VGG-16 export under 3 s; peak memory under the file's size
plus 150 MB.

Each command runs end to end (process start to exit) ``--runs`` times; the
median wall time is printed with the peak resident set size of the child,
read from ``os.wait4``'s ``ru_maxrss`` (Linux: kilobytes), which counts every
page the process touched, including the file's pages if it reads them.

Usage::

    python benchmarks/onnx_speed.py resnet50.onnx [vgg16.onnx ...] [--runs 5]

Export the files first, e.g. with torchvision::

    torch.onnx.export(torchvision.models.resnet50().eval(), torch.zeros(1, 3, 224, 224),
                      "resnet50.onnx", dynamo=False, opset_version=17)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def run(args: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS in MB of one run of ``args``."""
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(args)} failed: {process.stderr.read().decode() if process.stderr else ''}")
    return elapsed, usage.ru_maxrss // 1024


def measure(label: str, args: list[str], runs: int) -> float:
    results = [run(args) for _ in range(runs)]
    wall = statistics.median(t for t, _ in results)
    peak = max(m for _, m in results)
    print(f"{label:<40} median {wall:6.2f} s   peak RSS {peak:5d} MB")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    command = shutil.which("convcalc") or sys.exit("convcalc is not installed in this environment")
    base = measure("convcalc model resnet50 (YAML)", [command, "model", "resnet50"], options.runs)
    for path in options.files:
        size = path.stat().st_size / 2**20
        wall = measure(f"convcalc model {path.name} ({size:.0f} MB)", [command, "model", str(path)], options.runs)
        print(f"{'':<40} {wall - base:+.2f} s against the YAML model")


if __name__ == "__main__":
    main()
