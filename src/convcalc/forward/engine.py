"""Running a whole model on NumPy arrays, layer by layer, in graph order.

:class:`Network` walks ``model.nodes`` in order; a node reads the arrays of
the nodes it names (``-1`` is the input), and an array is dropped right after
its last reader, so only the live set stays in memory. A layer's weights are
made the first time it runs, from the shapes of the arrays it actually
receives, with a generator seeded by ``(seed, 1, node index)``; the input by
``(seed, 0, 0)``. The same seed gives the same numbers on every run and machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import ConvCalcError
from ..model import Model
from ..shapes import Shape
from .kernels import Params, make_params, run_kernel

__all__ = ["ForwardError", "Network", "random_input", "run_layer"]

INPUT = -1

LayerHook = Callable[[int, np.ndarray, Params, float], None]
"""``hook(node index, output array, its weights, seconds)`` after each layer."""


class ForwardError(ConvCalcError):
    """A layer could not be run on the arrays it received."""

    def __init__(self, message: str, step: int = -1) -> None:
        super().__init__(message)
        self.step = step
        """Index of the node that failed."""

    def within(self, context: str) -> ForwardError:
        return type(self)(f"{context}: {self.message}", self.step)


def random_input(shape: Shape, batch: int = 1, seed: int = 0, stream: int = 0) -> np.ndarray:
    """A standard-normal float32 batch, ``(batch, *shape.dims)``; ``stream``
    tells apart the several inputs of one layer."""
    rng = np.random.default_rng([seed, 0, stream])
    return rng.standard_normal((batch, *shape.dims), dtype=np.float32)


def run_layer(spec: Any, *inputs: np.ndarray, seed: int = 0, params: Params | None = None):
    """Apply one layer to arrays: ``(output, params)``, making the weights if not given."""
    if params is None:
        rng = np.random.default_rng([seed, 1, 0])
        params = make_params(spec, tuple(a.shape for a in inputs), rng)
    return run_kernel(spec, params, *inputs), params


class Network:
    """A model with real weights, run forward on NumPy arrays."""

    def __init__(self, model: Model, seed: int = 0) -> None:
        self.model = model
        self.seed = seed
        self.params: list[Params | None] = [None] * len(model.nodes)
        """Each layer's weights, made on the first run."""
        self._last_use = _last_use(model)

    def run(self, x: np.ndarray, hook: LayerHook | None = None) -> np.ndarray:
        """The model's output for ``x`` (batch axis first).

        Raises :class:`ForwardError` naming the layer if NumPy refuses one.
        """
        model, last_use = self.model, self._last_use
        live: dict[int, np.ndarray] = {INPUT: x}
        del x  # the live table holds the only reference, so it can be freed
        if last_use.get(INPUT, -1) < 0 and model.nodes:
            live.pop(INPUT)
        for step, node in enumerate(model.nodes):
            inputs = [live[i] for i in node.inputs]
            try:
                params = self.params[step]
                if params is None:
                    rng = np.random.default_rng([self.seed, 1, step])
                    params = make_params(node.spec, tuple(a.shape for a in inputs), rng)
                    self.params[step] = params
                start = time.perf_counter()
                out = run_kernel(node.spec, params, *inputs)
                seconds = time.perf_counter() - start
            except (ValueError, TypeError, IndexError, ArithmeticError, MemoryError) as error:
                shapes = " and ".join(_describe(a) for a in inputs)
                raise ForwardError(
                    f"layer {node.name!r} ({node.spec.kind}): NumPy could not run it on "
                    f"{shapes}: {error}",
                    step,
                ) from None
            del inputs
            if hook is not None:
                hook(step, out, params, seconds)
            for i in node.inputs:
                if last_use[i] == step:
                    live.pop(i, None)
            if last_use.get(step, -1) > step:
                live[step] = out
            del out
        return live[model.output] if model.nodes else live[INPUT]


def _last_use(model: Model) -> dict[int, int]:
    """Tensor → the last step that reads it; the output is read 'after the end'."""
    last = {}
    for step, node in enumerate(model.nodes):
        for i in node.inputs:
            last[i] = step
    last[model.output] = len(model.nodes)
    return last


def _describe(a: np.ndarray) -> str:
    return "×".join(str(d) for d in a.shape)

