"""ResNet-50 forward pass, float32, 224×224, batch 1: convcalc's NumPy engine vs PyTorch.

Targets: our median time ≤ 1.5× PyTorch's, our peak memory ≤ 1.5× PyTorch's.

Time: both engines run in this process on the same weights and input
(PyTorch through ``torch.nn.functional`` in N×C×H×W, torchvision's ops,
``inference_mode``), in alternating rounds so drifts in machine load hit both,
with a pause and a warm-up pass before each round so neither library's
spinning idle threads steal a core from the other; the figure is the median
over all timed passes. The share of a core that other processes used
meanwhile is printed: OpenBLAS slows many-fold when a core is taken. PyTorch gets as many threads
as NumPy's BLAS has (threadpoolctl; 2 if it is not installed).

Memory: each engine runs in a fresh subprocess that resets the kernel's
resident-set high-water mark after its imports (``5 > /proc/self/clear_refs``)
and reports ``VmHWM`` minus the resident size at that point, after building
its weights and running three passes: weights + activations + scratch +
allocator overhead, measured the same way for both. For our engine the
tracemalloc peak of one pass (NumPy reports its buffers to tracemalloc) is
printed too.

OpenBLAS: where the machine sets ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE``
(older OpenBLAS builds misbehave on some processors), a current NumPy runs a
slower kernel. To see both, run it twice::

    python benchmarks/forward_resnet50.py
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/forward_resnet50.py

The kernel OpenBLAS picked is printed (threadpoolctl's ``architecture``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

import convcalc
from convcalc.forward import Network, random_input
from convcalc.loader import load_model
from convcalc.model import Model

CONFIG = Path(convcalc.__file__).parent / "configs" / "resnet50.yaml"
MiB = 1024 * 1024


def blas() -> tuple[int, str]:
    """NumPy's BLAS threads and kernel name (threadpoolctl), or (2, 'unknown')."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return 2, "unknown (threadpoolctl not installed)"
    for pool in threadpool_info():
        if pool["user_api"] == "blas" and "numpy" in pool["filepath"]:
            return pool["num_threads"], f"{pool['internal_api']} {pool['version']} {pool.get('architecture')}"
    return 2, "unknown"


# ---------------------------------------------------------------- PyTorch side
def torch_weights(model: Model, network: Network | None) -> list[dict[str, Any]]:
    """Our weights as torch tensors in PyTorch's layouts, or random ones of the same shapes."""
    import torch

    out = []
    for step, node in enumerate(model.nodes):
        tensors = {}
        if network is not None:
            for name, a in network.params[step].arrays.items():
                if name == "kernel":
                    a = a.transpose(3, 2, 0, 1) if a.ndim == 4 else a.T
                tensors[name] = torch.from_numpy(np.ascontiguousarray(a))
        else:
            spec = node.spec
            if spec.kind == "conv2d":
                tensors["kernel"] = torch.randn(spec.filters, _channels(model, step) // spec.groups, *spec.kernel)
            elif spec.kind == "batchnorm2d":
                c = _channels(model, step)
                tensors = {k: torch.rand(c) + 0.5 for k in ("gamma", "beta", "running_mean", "running_var")}
            elif spec.kind == "dense":
                tensors = {"kernel": torch.randn(spec.units, _channels(model, step)), "bias": torch.randn(spec.units)}
        out.append(tensors)
    return out


_summary_cache: dict[int, Any] = {}


def _channels(model: Model, step: int) -> int:
    from convcalc.model import analyse

    summary = _summary_cache.setdefault(id(model), analyse(model))
    return summary.rows[step].inputs[0].channels


def torch_forward(model: Model, params: list[dict[str, Any]], x: Any) -> Any:
    """torchvision's ResNet-50 forward, op for op (ReLU in place, as torchvision)."""
    import torch.nn.functional as F

    live: dict[int, Any] = {-1: x}
    for step, node in enumerate(model.nodes):
        s, p = node.spec, params[step]
        ins = [live[i] for i in node.inputs]
        kind = s.kind
        if kind == "conv2d":
            y = F.conv2d(ins[0], p["kernel"], p.get("bias"), s.stride, (s.padding.top, s.padding.left), s.dilation, s.groups)
        elif kind == "batchnorm2d":
            y = F.batch_norm(ins[0], p["running_mean"], p["running_var"], p["gamma"], p["beta"], False, 0.0, 1e-5)
        elif kind == "relu":
            y = F.relu(ins[0], inplace=True)
        elif kind == "maxpool2d":
            y = F.max_pool2d(ins[0], s.kernel, s.stride, (s.padding.top, s.padding.left))
        elif kind == "add":
            y = ins[0] + ins[1]
        elif kind == "global_avgpool2d":
            y = ins[0].mean((2, 3))
        elif kind == "dense":
            y = F.linear(ins[0], p["kernel"], p["bias"])
        else:
            raise ValueError(f"no torch op for {kind}")
        live[step] = y
        for i in node.inputs:
            if all(i not in later.inputs for later in model.nodes[step + 1 :]):
                live.pop(i, None)
    return live[model.output]


# ---------------------------------------------------------------- measurements
def kind_label(node: Any) -> str:
    s = node.spec
    if s.kind == "conv2d":
        return f"conv {s.kernel[0]}×{s.kernel[1]} stride {s.stride[0]}"
    return s.kind


def time_both(model: Model, rounds: int, per_round: int, threads: int, with_torch: bool) -> dict[str, Any]:
    network = Network(model)
    x = random_input(model.input, 1)
    network.run(x.copy())  # makes the weights
    result: dict[str, Any] = {"ours": [], "torch": [], "kinds": {}}
    by_step: dict[int, list[float]] = {}

    def hook(step: int, out: Any, params: Any, seconds: float) -> None:
        by_step.setdefault(step, []).append(seconds)

    if with_torch:
        import torch

        torch.set_num_threads(threads)
        params = torch_weights(model, network)
        xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
        with torch.inference_mode():
            for _ in range(3):
                torch_forward(model, params, xt)
    for _ in range(3):
        network.run(x.copy())
    for _ in range(rounds):
        # Each library's idle worker threads spin for a while after its last
        # call and would steal a core from the other: pause, then warm up.
        if with_torch:
            time.sleep(0.3)
            with torch.inference_mode():
                torch_forward(model, params, xt)
                for _ in range(per_round):
                    start = time.perf_counter()
                    torch_forward(model, params, xt)
                    result["torch"].append(time.perf_counter() - start)
        time.sleep(0.3)
        network.run(x.copy())
        for _ in range(per_round):
            xs = x.copy()
            start = time.perf_counter()
            network.run(xs, hook)
            result["ours"].append(time.perf_counter() - start)
    for step, seconds in by_step.items():
        label = kind_label(model.nodes[step])
        result["kinds"][label] = result["kinds"].get(label, 0.0) + statistics.median(seconds)
    if with_torch:
        result["torch_ops"] = torch_profile(model, params, xt)
    return result


def torch_profile(model: Model, params: Any, xt: Any) -> list[tuple[str, float]]:
    """PyTorch's own time per op (its profiler), milliseconds per pass."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    passes = 10
    with torch.inference_mode(), profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(passes):
            torch_forward(model, params, xt)
    rows = [
        (e.key, e.self_cpu_time_total / 1000 / passes)
        for e in prof.key_averages()
    ]
    return sorted(rows, key=lambda r: -r[1])[:8]


def tracemalloc_peak(model: Model) -> tuple[int, int]:
    """(peak of a fresh pass including making the weights, peak of a later pass with weights built)."""
    network = Network(model)
    x = random_input(model.input, 1)
    tracemalloc.start()
    network.run(x.copy())
    first = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    network.run(x.copy())
    later = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return first, later


def _busy_seconds() -> float:
    """CPU time all processes have used (user, nice, system, irq, softirq), /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    return sum(int(fields[i]) for i in (0, 1, 2, 5, 6)) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    t = os.times()
    return t.user + t.system


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def memory_child(engine: str, threads: int) -> None:
    """Runs in a subprocess: print {'peak': bytes above the post-import resident size}."""
    model = load_model(CONFIG)
    x = random_input(model.input, 1)
    if engine == "torch":
        import torch

        torch.set_num_threads(threads)
        xt = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous()
        _channels(model, 0)
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    base = _status("VmRSS")
    if engine == "torch":
        params = torch_weights(model, None)
        with torch.inference_mode():
            for _ in range(3):
                torch_forward(model, params, xt)
    else:
        network = Network(model)
        for _ in range(3):
            network.run(x.copy())
    print(json.dumps({"peak": _status("VmHWM") - base}))


def rss_peak(engine: str, threads: int) -> int | None:
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--memory-child", engine, "--threads", str(threads)],
            capture_output=True, text=True, check=True, timeout=300,
        )
    except (subprocess.CalledProcessError, OSError) as error:
        print(f"  ({engine} memory child failed: {error})", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])["peak"]


# ---------------------------------------------------------------- report
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=6)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--memory-child", choices=["ours", "torch"])
    parser.add_argument("--threads", type=int)
    args = parser.parse_args()
    threads, kernel = blas()
    threads = args.threads or threads
    if args.memory_child:
        memory_child(args.memory_child, threads)
        return
    try:
        import torch
    except ImportError:
        torch = None
    with_torch = torch is not None and not args.no_torch
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    print(f"NumPy {np.__version__}, BLAS {kernel}, {threads} threads; OpenBLAS env {env or 'unset'}")
    if with_torch:
        print(f"PyTorch {torch.__version__}, {threads} threads")

    model = load_model(CONFIG)
    before, mine = _busy_seconds(), _own_seconds()
    wall = time.perf_counter()
    r = time_both(model, args.rounds, args.per_round, threads, with_torch)
    wall = time.perf_counter() - wall
    others = max(_busy_seconds() - before - (_own_seconds() - mine), 0.0) / wall
    ours = statistics.median(r["ours"]) * 1000
    print(f"\nother processes used {others:.0%} of a core meanwhile (OpenBLAS slows badly when a core is taken)")
    print(f"time, median of {len(r['ours'])} passes (min):")
    print(f"  convcalc NumPy  {ours:7.1f} ms  ({min(r['ours']) * 1000:.1f})")
    if with_torch:
        theirs = statistics.median(r["torch"]) * 1000
        print(f"  PyTorch         {theirs:7.1f} ms  ({min(r['torch']) * 1000:.1f})")
        print(f"  ratio           {ours / theirs:7.2f}×  (target ≤ 1.5×)")

    total = sum(r["kinds"].values()) * 1000
    print(f"\nconvcalc time per layer kind (medians, {total:.1f} ms in kernels):")
    for label, seconds in sorted(r["kinds"].items(), key=lambda kv: -kv[1]):
        print(f"  {label:22} {seconds * 1000:6.2f} ms  {seconds * 100_000 / total:5.1f} %")
    if with_torch:
        print("\nPyTorch self time per op (its profiler, per pass; adds profiling overhead):")
        for name, ms in r["torch_ops"]:
            print(f"  {name:32} {ms:6.2f} ms")

    first, later = tracemalloc_peak(model)
    print("\nmemory:")
    print(f"  convcalc tracemalloc peak: first pass with weights {first / MiB:.1f} MiB, later pass {later / MiB:.1f} MiB")
    ours_rss = rss_peak("ours", threads)
    if ours_rss is not None:
        print(f"  convcalc resident-set peak above imports: {ours_rss / MiB:7.1f} MiB")
    if with_torch:
        torch_rss = rss_peak("torch", threads)
        if torch_rss is not None:
            print(f"  PyTorch  resident-set peak above imports: {torch_rss / MiB:7.1f} MiB")
            if ours_rss is not None:
                print(f"  ratio {ours_rss / torch_rss:.2f}×  (target ≤ 1.5×; both include the 97.7 MiB of weights)")


if __name__ == "__main__":
    main()
