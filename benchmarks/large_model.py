"""Load time of generated deep networks (target: 10,000 layers < 0.4 s,
100,000 layers < 4 s, linear).

Generates a plain chain of conv/batchnorm/relu layers with a residual every
few layers, writes it as YAML, and times :func:`convcalc.loader.load`, which
parses, validates and analyses in one pass (every shape is inferred as its
layer is read). Usage: ``python benchmarks/large_model.py [N ...]``.
"""

from __future__ import annotations

import sys
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


def main(sizes: list[int]) -> None:
    for size in sizes:
        text = generate(size)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "deep.yaml"
            path.write_text(text)
            start = time.perf_counter()
            summary = load(path)
            done = time.perf_counter()
        per_layer = (done - start) / len(summary.rows) * 1e6
        print(f"{len(summary.rows):>7,} layers: load, validate and analyse {done - start:6.2f} s ({per_layer:.0f} µs a layer)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
