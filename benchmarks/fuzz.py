"""A seeded mutation fuzzer for the loader and ``convcalc check`` (issue 11). Run by hand.

Each document is a bundled config (``src/convcalc/configs/*.yaml``) with one
to three mutations: a flipped byte, a deleted, duplicated or swapped line,
a number pushed to an extreme (0, −1, 2³¹, 2⁶³, a 400-digit number, 1e308,
.nan), two keys swapped or a key misspelled, a value nested 50–300 deep, an
alias bomb (ten aliases of ten, 3–9 deep) in ``params``, a block's params or
the layers, a huge ``repeat``, control characters, a truncation. Document
``i`` depends only on ``(seed, i)``, so any one can be rebuilt alone
(``--show I``) and shrunk to a few lines (``--minimise I``).

In worker processes (each capped at 1 GiB of address space) every document
is loaded (:func:`convcalc.loader.parse`) and, if it loads, checked
(:func:`convcalc.check.check_file`), each under a 10 s alarm. Counted:

- tracebacks — any exception that is not a ``ConvCalcError`` (MemoryError
  included), by distinct signature (type and innermost convcalc frame);
- slow runs — over 10 s;
- unlocated — a load error without a ``file:line:col``, or one past the
  last line;
- a worker that died (killed by the memory cap, a segfault).

Every ``--cli-every``-th document also runs through the real CLI
(``check FILE`` and ``model FILE``) in a subprocess under 10 s of CPU and
500 MB, counting exit codes (anything but 0, 1, 2 is a failure), tracebacks
and ``internal error`` lines.

Usage: ``python benchmarks/fuzz.py --count 40000 --seed 1 [--jobs 2]``.
Exit code 1 when anything was counted as a failure.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BASES = ("alexnet", "convnext_tiny", "efficientnet_b0", "googlenet", "lenet5", "m5", "mobilenet_v2", "r2plus1d_18",
         "r3d_18", "resnet50", "resnet50_keras", "resnet50_stem", "shufflenet_v2_x1_0", "vgg16")
"""The bundled configs mutated, named so that a config added later does not renumber the documents."""
CONFIGS = [p for name in BASES if (p := ROOT / "src" / "convcalc" / "configs" / f"{name}.yaml").exists()]
SLOW_SECONDS = 10
WORKER_MEMORY = 2**30
CLI_MEMORY = 500 * 2**20

EXTREMES = ["0", "-1", "1", "2147483648", "9223372036854775808", "1" + "0" * 400, "1e308", "-1e308", ".nan", ".inf",
            "0.5", "-0", "99999999999", "3" * 5000, "true", "null", "''", "[]", "{}", "0x1F", "1_000", "²", "２２４"]
KEYS = ["kernel", "stride", "padding", "filters", "units", "dilation", "groups", "repeat", "name", "from", "if",
        "trainable", "params", "blocks", "layers", "input", "output", "expect", "layout", "first", "body", "paths",
        "merge", "shortcut", "scale", "rate", "kernell", "stide", "Kernel", "", "<<", "&a", "*a", "?"]
JUNK = ["\t", "{", "}", "[", "]", ":", "- ", "&a ", "*a", "!!python/object:os.system ", "<<: *a", "\x1b[2J", "\x00",
        "\u202e", "$", "$(", "$x ** 99999", "${", "\ufeff", "'", '"', "#", "|", ">", "%YAML 1.1\n---", "...\n"]
_NUMBER = re.compile(rb"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_KEY = re.compile(rb"([A-Za-z_][A-Za-z0-9_]*)(?=:)")


# ------------------------------------------------------------------ mutations


def _bomb(rng: random.Random, indent: str, levels: int) -> str:
    first = rng.choice(["1", "relu", "[1, 2]", "{a: 1}"])
    lines = [f"{indent}b0: &b0 [{', '.join([first] * 10)}]"]
    lines += [f"{indent}b{i}: &b{i} [{', '.join([f'*b{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def mutate(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    kind = rng.choice(["flip", "flip", "delete", "duplicate", "swap", "number", "number", "number", "key", "key",
                       "nest", "bomb", "repeat", "junk", "truncate", "control"])
    if kind == "flip" and data:
        i = rng.randrange(len(data))
        return data[:i] + bytes([rng.randrange(256) if rng.random() < 0.5 else data[i] ^ (1 << rng.randrange(8))]) + data[i + 1:]
    if kind == "delete" and len(lines) > 1:
        del lines[rng.randrange(len(lines))]
    elif kind == "duplicate":
        i = rng.randrange(len(lines))
        lines[i:i] = [lines[i]] * rng.choice([1, 1, 2, 50])
    elif kind == "swap" and len(lines) > 1:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "number":
        found = list(_NUMBER.finditer(data))
        if found:
            m = rng.choice(found)
            return data[: m.start()] + rng.choice(EXTREMES).encode() + data[m.end():]
    elif kind == "key":
        found = list(_KEY.finditer(data))
        if len(found) > 1:
            a, b = rng.sample(found, 2)
            if rng.random() < 0.5:  # swap two keys' names
                first, second = sorted((a, b), key=lambda m: m.start())
                return (data[: first.start()] + second.group(1) + data[first.end(): second.start()] + first.group(1)
                        + data[second.end():])
            return data[: a.start()] + rng.choice(KEYS).encode() + data[a.end():]
    elif kind == "nest":
        found = list(_NUMBER.finditer(data))
        if found:
            m, depth = rng.choice(found), rng.choice([50, 99, 101, 300])
            opening, closing = rng.choice([("[" * depth, "]" * depth), ("{a: " * depth, "}" * depth)])
            return data[: m.start()] + opening.encode() + m.group() + closing.encode() + data[m.end():]
    elif kind == "bomb":
        levels = rng.randrange(3, 10)
        where = rng.choice(["params", "block", "layers"])
        text = data.decode("utf-8", "replace")
        if where == "params":
            text = re.sub(r"^input:", "params:\n" + _bomb(rng, "  ", levels) + "input:", text, count=1, flags=re.M)
        elif where == "block":
            text = re.sub(r"^blocks:\n", "blocks:\n  zz:\n    params:\n" + _bomb(rng, "      ", levels) + "    layers: [relu]\n",
                          text, count=1, flags=re.M)
            text = re.sub(r"^layers:\n", "layers:\n  - zz\n", text, count=1, flags=re.M)
        else:
            anchors = _bomb(rng, "  ", levels).replace("[1, 1", "[relu, relu").replace(", 1", ", relu")
            text = "params:\n" + anchors + text  # a second 'params' (if any) is itself an error
            text = re.sub(r"^layers:\n", f"layers:\n  - sequential: {{layers: *b{levels - 1}}}\n", text, count=1, flags=re.M)
        return text.encode()
    elif kind == "repeat":
        text = data.decode("utf-8", "replace")
        n = rng.choice(["1000000", "100001", "99999", "10**9", "$n"])
        text, done = re.subn(r"repeat: \d+", f"repeat: {n}", text, count=1)
        if not done:
            text = text.rstrip("\n") + f"\n  - sequential: {{layers: [relu], repeat: {n}}}\n"
        return text.encode()
    elif kind == "junk":
        i = rng.randrange(len(lines))
        col = rng.randrange(len(lines[i]) + 1)
        lines[i] = lines[i][:col] + rng.choice(JUNK).encode() + lines[i][col:]
    elif kind == "truncate" and data:
        return data[: rng.randrange(len(data))]
    elif kind == "control":
        i = rng.randrange(len(lines))
        lines[i] = lines[i].replace(b"name: ", b"name: \x1b]0;x\x07", 1) + rng.choice([b"\r", b"\x85", b"\x0b", b" \xe9"])
    return b"\n".join(lines)


def document(seed: int, i: int) -> bytes:
    """Document ``i`` of ``seed``: a bundled config with 1–3 mutations."""
    rng = random.Random(f"{seed}:{i}")
    data = CONFIGS[rng.randrange(len(CONFIGS))].read_bytes()
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        data = mutate(data, rng)
    return data


# ------------------------------------------------------------------ running one document


class Slow(BaseException):
    """Raised by the alarm; a BaseException so no ``except Exception`` in convcalc swallows it."""


def _signature(error: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "convcalc" in f.filename]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno} in {frames[-1].name}" if frames else "?"
    return f"{type(error).__name__} at {where}"


def run_one(data: bytes, path: Path) -> dict[str, Any]:
    """Load and check one document; what happened."""
    from convcalc.check import check_file
    from convcalc.errors import ConvCalcError
    from convcalc.loader import load

    path.write_bytes(data)
    lines = max(len(data.decode("utf-8", "replace").split("\n")), 1)
    started = time.perf_counter()
    outcome: dict[str, Any] = {"outcome": "ok"}
    signal.alarm(SLOW_SECONDS)
    try:
        try:
            load(path)
        except ConvCalcError as error:
            outcome = {"outcome": "error"}
            at = error.at
            if at is None or at.line > lines:
                reason = re.sub(r"\d+", "N", error.reason)[:120]
                outcome = {"outcome": "unlocated", "signature": f"{type(error).__name__} ({error.rule}): {reason}"}
        # A file that does not load gives check that same error as its one finding.
        for finding in check_file(str(path)) if outcome["outcome"] == "ok" else ():
            if finding.line < 1 or finding.column < 1 or finding.line > lines:
                outcome = {"outcome": "unlocated", "signature": f"finding {finding.code} at {finding.line}:{finding.column}"}
    except Slow:
        outcome = {"outcome": "slow"}
    except ConvCalcError as error:  # check_file should turn these into findings
        outcome = {"outcome": "traceback", "signature": "uncaught " + _signature(error)}
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):
            raise
        outcome = {"outcome": "traceback", "signature": _signature(error)}
    finally:
        signal.alarm(0)
    outcome["seconds"] = round(time.perf_counter() - started, 3)
    return outcome


def worker(seed: int, start: int, stop: int) -> None:
    """Run documents start … stop − 1, one JSON line each, under the memory cap."""
    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))

    def alarm(signum: int, frame: Any) -> None:
        raise Slow

    signal.signal(signal.SIGALRM, alarm)
    sys.setrecursionlimit(10_000)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        for i in range(start, stop):
            result = run_one(document(seed, i), path)
            print(json.dumps({"i": i, **result}), flush=True)


def _cli_limits() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (SLOW_SECONDS, SLOW_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (CLI_MEMORY, CLI_MEMORY))


def run_cli(data: bytes, folder: Path, i: int) -> list[dict[str, Any]]:
    path = folder / f"doc{i}.yaml"
    path.write_bytes(data)
    out = []
    for command in (["check", path.name], ["model", path.name]):
        started = time.perf_counter()
        try:
            done = subprocess.run([sys.executable, "-m", "convcalc", *command], capture_output=True, cwd=folder,
                                  timeout=60, preexec_fn=_cli_limits, env={**os.environ, "NO_COLOR": "1"})
            code, err = done.returncode, done.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            code, err = "timeout", ""
        seconds = time.perf_counter() - started
        bad = code not in (0, 1, 2) or "Traceback" in err or "internal error" in err
        if command[0] == "model" and code == 1:
            bad = True  # only a failed check may exit 1
        out.append({"i": i, "command": command[0], "code": code, "seconds": round(seconds, 2), "bad": bad,
                    "stderr": err.strip().splitlines()[-1][:300] if err.strip() else ""})
    path.unlink()
    return out


# ------------------------------------------------------------------ the run


def fuzz(count: int, seed: int, jobs: int, cli_every: int, log: str | None) -> int:
    started = time.perf_counter()
    # --jobs 0: only the CLI sample
    chunks = [(a, min(a + (count + jobs - 1) // jobs, count)) for a in range(0, count, (count + jobs - 1) // jobs)] if jobs else []
    results: dict[int, dict[str, Any]] = {}
    lock = threading.Lock()

    def chunk(a: int, b: int) -> None:
        """One worker per chunk; a worker that dies is recorded and the chunk resumed after it."""
        while a < b:
            proc = subprocess.Popen(
                [sys.executable, __file__, "--worker", "--seed", str(seed), "--start", str(a), "--stop", str(b)],
                stdout=subprocess.PIPE, text=True,
            )
            last = a - 1
            for line in proc.stdout:  # type: ignore[union-attr]
                row = json.loads(line)
                with lock:
                    results[row["i"]] = row
                    if log:
                        with open(log, "a") as f:
                            f.write(line)
                last = row["i"]
            proc.wait()
            if last + 1 < b:  # the worker died on document last + 1
                with lock:
                    results[last + 1] = {"i": last + 1, "outcome": "died", "signature": f"worker exit {proc.returncode}", "seconds": 0}
            a = last + 2

    threads = [threading.Thread(target=chunk, args=c) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cli: list[dict[str, Any]] = []
    if cli_every:
        with tempfile.TemporaryDirectory() as folder:
            for i in range(0, count, cli_every):
                cli += run_cli(document(seed, i), Path(folder), i)
    seconds = time.perf_counter() - started
    return report(results, cli, count, seed, seconds)


def report(results: dict[int, dict[str, Any]], cli: list[dict[str, Any]], count: int, seed: int, seconds: float) -> int:
    outcomes = collections.Counter(r["outcome"] for r in results.values())
    print(f"fuzz: {len(results):,} of {count:,} documents in process, seed {seed}, {seconds:.0f} s")
    print("  " + ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items())))
    if results:
        slowest = max(results.values(), key=lambda r: r["seconds"])
        print(f"  slowest document: {slowest['i']} ({slowest['seconds']} s)")
    failures = {k: v for k, v in outcomes.items() if k in ("traceback", "slow", "unlocated", "died")}
    signatures: dict[str, list[int]] = collections.defaultdict(list)
    for r in results.values():
        if r["outcome"] in failures:
            signatures[f"{r['outcome']}: {r.get('signature', '')}"].append(r["i"])
    for signature, docs in sorted(signatures.items(), key=lambda s: -len(s[1])):
        print(f"  {len(docs):>6,} × {signature}  (e.g. --show {docs[0]})")
    if cli:
        codes = collections.Counter(str(r["code"]) for r in cli)
        bad = [r for r in cli if r["bad"]]
        slow = [r for r in cli if r["seconds"] > SLOW_SECONDS]
        print(f"  CLI: {len(cli):,} runs, exit codes {dict(sorted(codes.items()))}, {len(bad)} bad, {len(slow)} over {SLOW_SECONDS} s")
        for r in bad[:20]:
            print(f"    doc {r['i']} {r['command']}: exit {r['code']}: {r['stderr']}")
    return 1 if failures or any(r["bad"] for r in cli) else 0


def summarise_log(log: str, count: int, seed: int) -> int:
    """The figures of a run so far, from its ``--log``."""
    rows = [json.loads(line) for line in Path(log).read_text().splitlines() if line.strip()]
    return report({r["i"]: r for r in rows}, [], count, seed, 0)


def minimise(seed: int, i: int) -> None:
    """Delete lines, then characters, while the document still fails the same way."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        signal.signal(signal.SIGALRM, lambda s, f: (_ for _ in ()).throw(Slow()))
        data = document(seed, i)
        target = run_one(data, path)
        key = (target["outcome"], target.get("signature"))
        if target["outcome"] in ("ok", "error"):
            print(f"document {i} does not fail ({target['outcome']})")
            return
        lines = data.split(b"\n")
        changed = True
        while changed:
            changed = False
            for j in range(len(lines) - 1, -1, -1):
                trial = lines[:j] + lines[j + 1:]
                got = run_one(b"\n".join(trial), path)
                if (got["outcome"], got.get("signature")) == key:
                    lines, changed = trial, True
        print(f"# {key[0]}: {key[1]}")
        print(b"\n".join(lines).decode("utf-8", "backslashreplace"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--cli-every", type=int, default=200, help="run every Nth document through the CLI (0: none)")
    parser.add_argument("--log", help="append each document's result (a JSON line) to this file as it comes")
    parser.add_argument("--summarise", action="store_true", help="with --log: report the figures logged so far")
    parser.add_argument("--show", type=int, help="print document I and stop")
    parser.add_argument("--minimise", type=int, help="shrink failing document I to the lines that matter")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--stop", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.seed, args.start, args.stop)
        return 0
    if args.show is not None:
        sys.stdout.write(document(args.seed, args.show).decode("utf-8", "backslashreplace"))
        return 0
    if args.log and args.summarise:
        return summarise_log(args.log, args.count, args.seed)
    if args.minimise is not None:
        minimise(args.seed, args.minimise)
        return 0
    return fuzz(args.count, args.seed, args.jobs, args.cli_every, args.log)


if __name__ == "__main__":
    sys.exit(main())
