"""Checking the computed figures against a real forward pass.

For every layer, the output array's shape is compared with the computed
output shape (and its batch axis with the batch asked for), and the sums of
the ``.size`` of the weights the layer allocated with the computed trainable
and non-trainable parameter counts (a frozen layer counts all as
non-trainable). Each disagreement becomes one sentence naming the layer and
both figures::

    layer 'layer1.0.conv2' (conv2d): computed output 56×56×64, actual 55×55×64

The core returns data and never prints; ``progress(step, total, name)`` lets
the command line drive a progress bar.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..layers import LayerResult, apply
from ..model import Model, Summary, analyse
from ..shapes import Layout, Shape
from .engine import ForwardError, Network, random_input, run_layer
from .kernels import Params

__all__ = ["LayerCheck", "Progress", "Verification", "verify", "verify_layer"]

Progress = Callable[[int, int, str], None]
"""``progress(layers done, total layers, name of the layer just run)``."""


class LayerCheck(NamedTuple):
    """One layer: what the formulas say and what the arrays did."""

    name: str
    kind: str
    computed: Shape
    """Output shape from the analysis, without the batch axis."""
    actual: tuple[int, ...]
    """Shape of the output array, batch axis first."""
    batch: int
    """The batch the pass ran with."""
    computed_trainable: int
    computed_non_trainable: int
    actual_trainable: int
    """Sum of ``.size`` over the trained arrays the layer allocated."""
    actual_non_trainable: int
    seconds: float
    """Time spent in the layer's NumPy kernel."""

    @property
    def actual_shape(self) -> Shape:
        """The output array's shape without the batch axis."""
        return Shape(self.actual[1:])

    @property
    def ok(self) -> bool:
        return (
            self.actual_shape == self.computed
            and self.actual[:1] == (self.batch,)
            and self.actual_trainable == self.computed_trainable
            and self.actual_non_trainable == self.computed_non_trainable
        )

    def problems(self, layout: Layout = Layout.HWC) -> list[str]:
        """One sentence per disagreement (none when :attr:`ok`)."""
        where = f"layer {self.name!r} ({self.kind})"
        out = []
        if self.actual_shape != self.computed:
            out.append(
                f"{where}: computed output {self.computed.format(layout)}, "
                f"actual {self.actual_shape.format(layout)}"
            )
        if self.actual[:1] != (self.batch,):
            got = self.actual[0] if self.actual else "gone"
            out.append(f"{where}: the batch axis is {got} after the layer, expected {self.batch}")
        for what, computed, actual in (
            ("trainable", self.computed_trainable, self.actual_trainable),
            ("non-trainable", self.computed_non_trainable, self.actual_non_trainable),
        ):
            if computed != actual:
                out.append(f"{where}: computed {computed:,} {what} parameters, actual {actual:,}")
        return out


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of a verified forward pass."""

    checks: tuple[LayerCheck, ...]
    """Every layer that ran, in order."""
    mismatches: tuple[str, ...]
    """Readable sentences, one per disagreement or failure; empty when all agree."""
    batch: int
    seed: int
    total_layers: int
    """Layers in the model; more than ``len(checks)`` if the pass stopped early."""

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.checks)

    def seconds_by_kind(self) -> dict[str, float]:
        """Kernel time per layer kind, largest first."""
        totals: dict[str, float] = {}
        for c in self.checks:
            totals[c.kind] = totals.get(c.kind, 0.0) + c.seconds
        return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


def _counts(params: Params, trainable: bool) -> tuple[int, int]:
    if trainable:
        return params.trainable, params.non_trainable
    return 0, params.trainable + params.non_trainable


def _check(name: str, kind: str, result: LayerResult, actual: tuple[int, ...],
           counts: tuple[int, int], batch: int, seconds: float) -> LayerCheck:
    return LayerCheck(
        name, kind, result.output, actual, batch,
        result.trainable, result.non_trainable, counts[0], counts[1], seconds,
    )


def verify(
    model: Model,
    summary: Summary | None = None,
    *,
    batch: int = 1,
    seed: int = 0,
    progress: Progress | None = None,
) -> Verification:
    """Run ``model`` on a random float32 batch and compare every layer with ``summary``.

    ``summary`` is :func:`~convcalc.model.analyse` of the model (made here if
    not given). A layer NumPy cannot run ends the pass with a mismatch naming
    it; the layers before it are still reported.
    """
    summary = summary or analyse(model)
    nodes, rows = model.nodes, summary.rows
    total = len(nodes)
    checks: list[LayerCheck] = []

    def record(step: int, out: Any, params: Params, seconds: float) -> None:
        node = nodes[step]
        counts = _counts(params, node.trainable)
        checks.append(_check(node.name, node.spec.kind, rows[step].result, out.shape, counts, batch, seconds))
        if progress is not None:
            progress(step + 1, total, node.name)

    failure: list[str] = []
    network = Network(model, seed)
    try:
        network.run(random_input(model.input, batch, seed), hook=record)
    except ForwardError as error:
        failure.append(error.message)
    del network
    mismatches = [p for c in checks for p in c.problems(model.layout)] + failure
    return Verification(tuple(checks), tuple(mismatches), batch, seed, total)


def verify_layer(
    spec: Any,
    *inputs: Shape,
    batch: int = 1,
    seed: int = 0,
    name: str | None = None,
    layout: Layout = Layout.HWC,
) -> Verification:
    """Run one layer on random inputs of ``inputs`` and compare it with :func:`~convcalc.layers.apply`.

    >>> from convcalc.layers import make_layer
    >>> v = verify_layer(make_layer("conv2d", {"filters": 8, "kernel": 3}), Shape.of(6, 6, 3))
    >>> v.ok, v.checks[0].actual     # 6 − 3 + 1 = 4
    (True, (1, 4, 4, 8))
    """
    result = apply(spec, *inputs)
    arrays = [random_input(shape, batch, seed, i) for i, shape in enumerate(inputs)]
    name = name or spec.kind
    try:
        start = time.perf_counter()
        out, params = run_layer(spec, *arrays, seed=seed)
        seconds = time.perf_counter() - start
    except (ValueError, TypeError, IndexError, ArithmeticError, MemoryError) as error:
        shapes = " and ".join(s.format(layout) for s in inputs)
        message = f"layer {name!r} ({spec.kind}): NumPy could not run it on {shapes}: {error}"
        return Verification((), (message,), batch, seed, 1)
    check = _check(name, spec.kind, result, out.shape, _counts(params, True), batch, seconds)
    return Verification((check,), tuple(check.problems(layout)), batch, seed, 1)
