"""Start-up cost of the CLI against the imports it cannot avoid.

Runs ``convcalc <args>`` and ``python -c "import typer, rich.table, yaml"``
alternately and prints the median of each and their ratio (targets: layer
≤ 1.3×, model ≤ 1.5×). Usage::

    python benchmarks/startup.py                      # the layer command
    python benchmarks/startup.py model configs/resnet50.yaml
"""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import subprocess
import sys
import time

RUNS = int(__import__("os").environ.get("RUNS", "40"))


# Measure what an installed convcalc costs: byte-code compiled once and read
# from __pycache__ afterwards (some shells set PYTHONDONTWRITEBYTECODE, which
# would make every run recompile an editable install).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


def main(argv: list[str]) -> None:
    args = argv or ["layer", "224x224x3", "-k", "7", "-s", "2", "-p", "3", "-f", "64"]
    exe = shutil.which("convcalc")
    command = [exe, *args] if exe else [sys.executable, "-m", "convcalc", *args]
    baseline = [sys.executable, "-c", "import typer, rich.table, yaml"]
    import convcalc

    compileall.compile_dir(os.path.dirname(convcalc.__file__), quiet=1)
    ours, base = [], []
    for _ in range(3):  # warm the file cache and .pyc files
        _time(command), _time(baseline)
    for _ in range(RUNS):
        ours.append(_time(command))
        base.append(_time(baseline))
    m_ours, m_base = statistics.median(ours), statistics.median(base)
    ratios = statistics.median(o / b for o, b in zip(ours, base))
    print(f"convcalc {' '.join(args)}")
    print(f"  convcalc  median {m_ours * 1000:6.1f} ms over {RUNS} runs")
    print(f"  baseline  median {m_base * 1000:6.1f} ms (import typer, rich.table, yaml)")
    print(f"  ratio of medians {m_ours / m_base:.2f}×, median of paired ratios {ratios:.2f}×")


if __name__ == "__main__":
    main(sys.argv[1:])
