"""Time ``convcalc check`` on 1,000 small architecture files (target: < 5 s).

Generates small but realistic files — a few conv/BN/ReLU stages, a residual
block, pooling and a classifier, with an ``expect:`` block — into a temporary
folder, then runs the installed command on the folder end to end (process
start to exit) and prints the time. Usage: ``python benchmarks/check_many.py [N]``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = """\
name: net{i}
input: [{size}, {size}, 3]
blocks:
  unit:
    params: {{width: 16}}
    layers:
      - residual:
          body:
            - conv2d: {{filters: $width, kernel: 3, padding: 1, bias: false}}
            - batchnorm2d
            - relu
            - conv2d: {{filters: $width, kernel: 3, padding: 1, bias: false}}
            - batchnorm2d
      - relu
layers:
  - conv2d: {{filters: {width}, kernel: 3, padding: 1}}
  - batchnorm2d
  - relu
  - unit: {{width: {width}, repeat: 2}}
  - maxpool2d: {{kernel: 2}}
  - conv2d: {{filters: {wide}, kernel: 3, padding: 1}}
  - relu
  - global_avgpool2d
  - dense: {{units: 10}}
expect:
  output: [10]
"""


def main(count: int) -> None:
    exe = shutil.which("convcalc")
    command = [exe] if exe else [sys.executable, "-m", "convcalc"]
    with tempfile.TemporaryDirectory() as folder:
        for i in range(count):
            width = 8 * (1 + i % 4)
            text = TEMPLATE.format(i=i, size=32 + 8 * (i % 5), width=width, wide=2 * width)
            Path(folder, f"net{i:04}.yaml").write_text(text)
        start = time.perf_counter()
        done = subprocess.run([*command, "check", folder, "--strict"], capture_output=True, text=True)
        seconds = time.perf_counter() - start
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr.strip()
    print(f"convcalc check on {count:,} files: {seconds:.2f} s (exit {done.returncode}; {last})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
