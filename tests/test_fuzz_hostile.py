"""Issue 11: a bounded run of the mutation fuzzer (``benchmarks/fuzz.py``).

1,000 mutated documents, built from the four smallest bundled configs so the
run stays well under a minute, go through the loader and ``check`` in this
process, each under a 1 s alarm; every 100th also through the real CLI in a
child process under 10 s of CPU and 500 MB. The full run
(``python benchmarks/fuzz.py --count 40000 --seed 1``) is done by hand.

Asserted: no traceback (an exception that is not a ``ConvCalcError``), no
exit code but 0, 1 and 2, every load error and finding at a ``file:line:col``
inside the document, and no document over the alarm.
"""

from __future__ import annotations

import collections
import importlib.util
import signal
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("convcalc_fuzz", ROOT / "benchmarks" / "fuzz.py")
fuzz = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(fuzz)  # type: ignore[union-attr]

COUNT = 1000
SEED = 11
SMALL = [p for p in fuzz.CONFIGS if p.name in ("lenet5.yaml", "alexnet.yaml", "resnet50_stem.yaml", "vgg16.yaml")]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("fuzz")
    saved = fuzz.CONFIGS, fuzz.SLOW_SECONDS
    fuzz.CONFIGS, fuzz.SLOW_SECONDS = SMALL, 1

    def alarm(signum: int, frame: Any) -> None:
        raise fuzz.Slow

    previous = signal.signal(signal.SIGALRM, alarm)
    try:
        return {i: fuzz.run_one(fuzz.document(SEED, i), folder / "doc.yaml") for i in range(COUNT)}
    finally:
        signal.signal(signal.SIGALRM, previous)
        fuzz.CONFIGS, fuzz.SLOW_SECONDS = saved


def _listed(outcomes: dict[int, dict[str, Any]], kind: str) -> list[str]:
    found = collections.defaultdict(list)
    for i, r in outcomes.items():
        if r["outcome"] == kind:
            found[r.get("signature", "")].append(i)
    return [f"{len(v)} × {k} (document {v[0]})" for k, v in found.items()]


def test_the_fuzzer_reaches_both_outcomes(outcomes: dict[int, dict[str, Any]]) -> None:
    counts = collections.Counter(r["outcome"] for r in outcomes.values())
    # mutations that keep a file loadable and ones that break it: both must be common
    assert counts["ok"] > COUNT // 20 and counts["error"] > COUNT // 4, counts


def test_no_traceback(outcomes: dict[int, dict[str, Any]]) -> None:
    assert _listed(outcomes, "traceback") == []


def test_every_error_is_located(outcomes: dict[int, dict[str, Any]]) -> None:
    assert _listed(outcomes, "unlocated") == []


def test_no_document_runs_long(outcomes: dict[int, dict[str, Any]]) -> None:
    assert _listed(outcomes, "slow") == []


def test_the_cli_exits_0_1_or_2(tmp_path: Path) -> None:
    saved = fuzz.CONFIGS
    fuzz.CONFIGS = SMALL
    try:
        runs = [r for i in range(0, COUNT, 100) for r in fuzz.run_cli(fuzz.document(SEED, i), tmp_path, i)]
    finally:
        fuzz.CONFIGS = saved
    bad = [f"doc {r['i']} {r['command']}: exit {r['code']}: {r['stderr']}" for r in runs if r["bad"]]
    assert bad == []
    assert {r["code"] for r in runs} <= {0, 1, 2}
