"""``--verify``: the NumPy forward pass run from the command line, and its mismatches reported.

NumPy is imported only inside these functions, when a pass really runs.
"""

import re
import sys
from typing import Any

import typer

from ..errors import InputError

__all__ = ["memory_size", "report_mismatches", "verifier", "verify_layer", "verify_model"]

_MEMORY = re.compile(r"\s*([0-9]{1,30}(?:\.[0-9]{1,30})?)\s*([kmgt]?i?b?)\s*", re.I)
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2, "mib": 1024**2,
          "g": 1000**3, "gb": 1000**3, "gib": 1024**3, "t": 1000**4, "tb": 1000**4, "tib": 1024**4}


def memory_size(text: str) -> int:
    """``4GiB`` → 4,294,967,296; ``512MB`` → 512,000,000; ``1000000`` bytes."""
    match = _MEMORY.fullmatch(text)
    unit = match[2].lower() if match else None
    if match is None or unit not in _UNITS:
        raise InputError(f"--max-memory {text!r} is not a size; give bytes or a size like 4GiB, 512MiB, 2GB")
    from fractions import Fraction

    size = int(Fraction(match[1]) * _UNITS[unit])  # exact: no float rounding, no overflow
    if size > MAX_MEMORY:
        raise InputError(f"--max-memory {text!r} is above {MAX_MEMORY:,} bytes (8 EiB), the largest accepted")
    return size


MAX_MEMORY = 2**63
"""Largest --max-memory accepted: 8 EiB, past any machine."""


def verify_model(model: Any, summary: Any, batch: int, max_memory: str) -> Any:
    """The forward pass with the memory guard first and a progress bar on a terminal."""
    from ..forward import check_memory, verify

    check_memory(model, batch, limit=memory_size(max_memory), summary=summary)
    if not sys.stderr.isatty():
        return verify(model, summary, batch=batch)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("forward pass", total=len(model.nodes))

        def advance(step: int, total: int, name: str) -> None:
            bar.update(task, completed=step, description=f"forward pass: {name}")

        return verify(model, summary, batch=batch, progress=advance)


def verify_layer(spec: Any, inputs: tuple[Any, ...], batch: int, layout: Any, max_memory: str) -> Any:
    """One layer's forward pass, refused first if its estimate is above ``max_memory``."""
    from ..forward import check_layer_memory
    from ..forward import verify_layer as run

    check_layer_memory(spec, *inputs, batch=batch, limit=memory_size(max_memory))
    return run(spec, *inputs, batch=batch, layout=layout)


def report_mismatches(verification: Any) -> None:
    """The verdict on stderr: each mismatch, then the summary line (what was
    checked on how many layers); exit 1 on any mismatch. Nothing without a pass."""
    if verification is None:
        return
    from rich.console import Console

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    for message in verification.mismatches:
        console.print(f"mismatch: {message}", markup=False, style="bold red")
    console.print(verification.summary, markup=False, style="green" if verification.ok else "bold red")
    if not verification.ok:
        raise typer.Exit(1)


def verifier() -> Any:
    """The forward pass as a check, after the memory guard at batch 1:
    (node index, sentence) per disagreement."""
    from ..forward import check_memory, verify

    def run(model: Any, summary: Any) -> list[tuple[int, str]]:
        check_memory(model, 1, summary=summary)
        return [(problem.index, problem.message) for problem in verify(model, summary).problems]

    return run
