"""Load time of generated deep networks (target: 10,000 layers < 0.4 s,
100,000 layers < 4 s, linear).

Generates a plain chain of conv/batchnorm/relu layers with a residual every
few layers, writes it as YAML, and times :func:`convcalc.loader.load`, which
parses, validates and analyses in one pass (every shape is inferred as its
layer is read). Each size is loaded ``--repeat`` times (default 5) after one
untimed load that pays the imports; the best wall and CPU times are printed,
since one run on a shared machine measures the machine more than the loader.
Usage: ``python benchmarks/large_model.py [--repeat R] [N ...]``.

Issue 11: 0.68 s and 6.0 s (single runs, loaded machine); the YAML tree is
now converted with its scalars inline, each layer's options checked against a
set and its result found by the identity of its spec and input shapes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from convcalc.loader import load


def generate(layers: int) -> str:
    lines = ["name: deep", "input: [32, 32, 16]", "layers:"]
    n = 0
    while n < layers:
        lines.append(f"  - conv2d: {{filters: 16, kernel: 3, padding: 1, name: c{n}}}")
        lines.append("  - batchnorm2d")
        lines.append("  - relu")
        lines.append(f"  - add: {{from: [c{n}, relu{'' if n == 0 else f'_{n // 4}'}]}}")
        n += 4
    return "\n".join(lines) + "\n"


def best_of(path: Path, repeat: int) -> tuple[float, float, int]:
    """Least wall and CPU seconds of ``repeat`` loads of ``path``, and its layer count."""
    walls, cpus = [], []
    layers = len(load(path).rows)  # untimed: imports each kind's module once
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        summary = load(path)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        del summary  # freed outside the timing, as a caller that keeps it would
    return min(walls), min(cpus), layers


def main(sizes: list[int], repeat: int) -> None:
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "deep.yaml"
            path.write_text(generate(size))
            wall, cpu, layers = best_of(path, repeat)
        per_layer = wall / layers * 1e6
        print(
            f"{layers:>7,} layers: load, validate and analyse {wall:6.2f} s wall, {cpu:6.2f} s CPU "
            f"(best of {repeat}; {per_layer:.0f} µs a layer)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000], metavar="N")
    parser.add_argument("--repeat", type=int, default=5, metavar="R")
    args = parser.parse_args()
    main(args.sizes, args.repeat)
