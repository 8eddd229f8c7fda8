"""Checking the computed figures against a real forward pass.

For every layer, three figures are compared with what the NumPy arrays did:

- the output array's shape with the computed output shape (and its batch
  axis with the batch asked for);
- the sums of the ``.size`` of the weights the layer allocated with the
  computed trainable and non-trainable parameter counts (a frozen layer
  counts all as non-trainable);
- the multiply-accumulates its kernel counted while running (the M·N·K of
  each matmul, the loop counts of direct kernels; see
  :mod:`~convcalc.forward.kernels`) with the computed MACs × the batch.

Each disagreement becomes a :class:`Mismatch`: the node index, layer name,
kind and the aspect as fields, and one sentence naming both figures::

    layer 'layer1.0.conv2' (conv2d): computed output 56×56×64, actual 55×55×64

The core returns data and never prints; ``progress(step, total, name)`` lets
the command line drive a progress bar.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple

import numpy as np

from ..formatting import binary_bytes
from ..layers import LayerResult, apply
from ..model import Model, Summary, analyse
from ..shapes import Layout, Shape
from .engine import NUMPY_REFUSALS, ForwardError, Network, out_of_memory, random_input
from .kernels import Params, make_params, run_kernel
from .memory import BYTES, DEFAULT_MAX_MEMORY, MARGIN, SLACK, MemoryLimitError, scratch

__all__ = [
    "Aspect",
    "LayerCheck",
    "Mismatch",
    "Progress",
    "Verification",
    "check_layer_memory",
    "verify",
    "verify_layer",
]

Progress = Callable[[int, int, str], None]
"""``progress(layers done, total layers, name of the layer just run)``."""

CHECKED = "output shape, parameters and MACs"
"""What the pass compares on every layer it runs."""


class Aspect(str, Enum):
    """What a :class:`Mismatch` is about."""

    OUTPUT = "output"
    BATCH = "batch"
    TRAINABLE = "trainable"
    NON_TRAINABLE = "non-trainable"
    MACS = "macs"
    RUN = "run"
    """NumPy could not run the layer at all."""


class Mismatch(NamedTuple):
    """One disagreement between the analysis and the forward pass."""

    index: int
    """The layer's node index in ``model.nodes`` (0 for a single layer)."""
    layer: str
    """The layer's full name."""
    kind: str
    aspect: Aspect
    reason: str
    """Both figures, without the location: ``computed 113 MACs, actual 112``."""

    @property
    def message(self) -> str:
        """The sentence a user reads: ``layer 'c1' (conv2d): computed …``."""
        return f"layer {self.layer!r} ({self.kind}): {self.reason}"


class LayerCheck(NamedTuple):
    """One layer: what the formulas say and what the arrays did."""

    index: int
    """The layer's node index (0 for a single layer)."""
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
    computed_macs: int
    """MACs from the analysis, per sample."""
    actual_macs: int
    """MACs the kernel counted while running, over the whole batch."""
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
            and self.actual_macs == self.computed_macs * self.batch
        )

    def problems(self, layout: Layout = Layout.HWC) -> list[Mismatch]:
        """One :class:`Mismatch` per disagreement (none when :attr:`ok`)."""
        out = []

        def found(aspect: Aspect, reason: str) -> None:
            out.append(Mismatch(self.index, self.name, self.kind, aspect, reason))

        if self.actual_shape != self.computed:
            found(Aspect.OUTPUT, f"computed output {self.computed.format(layout)}, "
                                 f"actual {self.actual_shape.format(layout)}")
        if self.actual[:1] != (self.batch,):
            got = self.actual[0] if self.actual else "gone"
            found(Aspect.BATCH, f"the batch axis is {got} after the layer, expected {self.batch}")
        for aspect, computed, actual in (
            (Aspect.TRAINABLE, self.computed_trainable, self.actual_trainable),
            (Aspect.NON_TRAINABLE, self.computed_non_trainable, self.actual_non_trainable),
        ):
            if computed != actual:
                found(aspect, f"computed {computed:,} {aspect.value} parameters, actual {actual:,}")
        if self.actual_macs != self.computed_macs * self.batch:
            computed = f"{self.computed_macs:,} MACs"
            if self.batch != 1:
                computed += f" × batch {self.batch} = {self.computed_macs * self.batch:,}"
            found(Aspect.MACS, f"computed {computed}, the NumPy kernel did {self.actual_macs:,}")
        return out


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of a verified forward pass."""

    checks: tuple[LayerCheck, ...]
    """Every layer that ran, in order."""
    problems: tuple[Mismatch, ...]
    """Every disagreement or failure, in order; empty when all agree."""
    batch: int
    seed: int
    total_layers: int
    """Layers in the model; more than ``len(checks)`` if the pass stopped early."""

    @property
    def mismatches(self) -> tuple[str, ...]:
        """The problems as sentences, one each."""
        return tuple(p.message for p in self.problems)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.checks)

    @property
    def summary(self) -> str:
        """One line for the end of a report: what was checked on how many layers."""
        run = f"a NumPy forward pass at batch {self.batch}"
        checked = len(self.checks)
        if self.ok:
            layers = "the layer" if self.total_layers == 1 else f"all {self.total_layers} layers"
            return f"verified: {run} agrees with the {CHECKED} of {layers}"
        found = len(self.problems)
        return (
            f"not verified: {found} mismatch{'es' if found != 1 else ''}; {run} checked the "
            f"{CHECKED} of {checked} of {self.total_layers} layer{'s' if self.total_layers != 1 else ''}"
        )

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


def _check(index: int, name: str, kind: str, result: LayerResult, output: np.ndarray,
           counts: tuple[int, int], macs: int, batch: int, seconds: float) -> LayerCheck:
    return LayerCheck(
        index, name, kind, result.output, output.shape, batch,
        result.trainable, result.non_trainable, counts[0], counts[1], result.macs, macs, seconds,
    )


def _random_batch(shape: Shape, batch: int, seed: int, stream: int = 0) -> np.ndarray:
    try:
        return random_input(shape, batch, seed, stream)
    except MemoryError as error:
        raise out_of_memory(error, f"making a random {batch}×{shape.format()} input") from None


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
    it; the layers before it are still reported. Running out of memory is not
    a mismatch: it raises :class:`~convcalc.forward.MemoryLimitError` (guard
    with :func:`~convcalc.forward.check_memory` first).
    """
    summary = summary or analyse(model)
    nodes, rows = model.nodes, summary.rows
    total = len(nodes)
    checks: list[LayerCheck] = []
    failure: list[Mismatch] = []
    network = Network(model, seed)
    try:
        for ran in network.steps(_random_batch(model.input, batch, seed)):
            node = nodes[ran.index]
            counts = _counts(ran.params, node.trainable)
            checks.append(_check(ran.index, node.name, node.spec.kind, rows[ran.index].result,
                                 ran.output, counts, ran.macs, batch, ran.seconds))
            del ran  # the pass frees each array after its last reader
            if progress is not None:
                progress(len(checks), total, node.name)
    except ForwardError as error:
        failure.append(Mismatch(error.step, error.layer or "", error.kind or "", Aspect.RUN, error.reason))
    del network
    problems = [p for c in checks for p in c.problems(model.layout)] + failure
    return Verification(tuple(checks), tuple(problems), batch, seed, total)


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
    >>> v.checks[0].actual_macs      # 4·4·8 outputs × 3·3·3
    3456
    >>> v.summary
    'verified: a NumPy forward pass at batch 1 agrees with the output shape, parameters and MACs of the layer'
    """
    result = apply(spec, *inputs)
    name = name or spec.kind
    arrays = [_random_batch(shape, batch, seed, i) for i, shape in enumerate(inputs)]
    try:
        params = make_params(spec, tuple(a.shape for a in arrays), np.random.default_rng([seed, 1, 0]))
        start = time.perf_counter()
        out, macs = run_kernel(spec, params, *arrays)
        seconds = time.perf_counter() - start
    except NUMPY_REFUSALS as error:
        shapes = " and ".join(s.format(layout) for s in inputs)
        problem = Mismatch(0, name, spec.kind, Aspect.RUN, f"NumPy could not run it on {shapes}: {error}")
        return Verification((), (problem,), batch, seed, 1)
    except MemoryError as error:
        shapes = " and ".join(f"{batch}×{s.format(layout)}" for s in inputs)
        raise out_of_memory(error, f"running it on {shapes}", layer=name, kind=spec.kind) from None
    check = _check(0, name, spec.kind, result, out, _counts(params, True), macs, batch, seconds)
    return Verification((check,), tuple(check.problems(layout)), batch, seed, 1)


def check_layer_memory(
    spec: Any, *inputs: Shape, batch: int = 1, limit: int = DEFAULT_MAX_MEMORY, name: str | None = None
) -> int:
    """:func:`~convcalc.forward.check_memory` for one layer: the estimate in
    bytes, or :class:`~convcalc.forward.MemoryLimitError` above ``limit``.

    The same bound as a model's: weights + (inputs + output + the kernel's
    scratch) × batch, in float32, plus the margin and slack. A 3×3 conv with
    64 filters on 100000×100000×3: output 99,998²·64 (2.56 TB) + im2col
    99,998²·27 (1.08 TB) + input (0.12 TB) = 3.76 TB, 3.42 TiB, 3 % more:

    >>> from convcalc.layers import make_layer
    >>> check_layer_memory(make_layer("conv2d", {"filters": 64, "kernel": 3}), Shape.of(100000, 100000, 3))
    Traceback (most recent call last):
    ...
    convcalc.forward.memory.MemoryLimitError: layer 'conv2d' (conv2d): the forward pass at batch 1 would need about 3.52 TiB, more than the limit of 4.0 GiB; use a smaller --batch or raise --max-memory
    """
    result = apply(spec, *inputs)
    per_sample = sum(s.size for s in inputs) + result.output.size + scratch(spec, inputs, result.output)
    needed = int((result.trainable + result.non_trainable + per_sample * batch) * BYTES * MARGIN) + SLACK
    if needed > limit:
        raise MemoryLimitError(
            f"the forward pass at batch {batch} would need about {binary_bytes(needed)}, more than "
            f"the limit of {binary_bytes(limit)}; use a smaller --batch or raise --max-memory",
            layer=name or spec.kind, kind=spec.kind,
        )
    return needed
