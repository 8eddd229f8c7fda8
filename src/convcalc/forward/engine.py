"""Running a whole model on NumPy arrays, layer by layer, in graph order.

:class:`Network` walks ``model.nodes`` in order; a node reads the arrays of
the nodes it names (``-1`` is the input), and an array is dropped right after
its last reader, so only the live set stays in memory. A layer's weights are
made the first time it runs, from the shapes of the arrays it actually
receives, with a generator seeded by ``(seed, 1, node index)``; the input by
``(seed, 0, 0)``. The same seed gives the same numbers on every run and machine.

:meth:`Network.steps` yields each layer's :class:`Step` — output, weights,
the MACs its kernel counted, seconds — for the forward-pass check;
:meth:`Network.run` just returns the model's output. NumPy refusing a layer is
a :class:`ForwardError`; running out of memory is a
:class:`~convcalc.forward.MemoryLimitError`, bad input rather than a finding.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from ..errors import ConvCalcError
from ..model import Model
from ..shapes import Shape
from .kernels import Params, make_params, run_kernel
from .memory import MemoryLimitError

__all__ = ["ForwardError", "Network", "Step", "random_input", "run_layer"]

INPUT = -1

LayerHook = Callable[[int, np.ndarray, Params, float], None]
"""``hook(node index, output array, its weights, seconds)`` after each layer."""

NUMPY_REFUSALS = (ValueError, TypeError, IndexError, ArithmeticError)
"""What NumPy raises for arrays a kernel cannot combine: a disagreement, not bad input."""


class ForwardError(ConvCalcError):
    """A layer could not be run on the arrays it received.

    >>> ForwardError("NumPy could not run it on 1×6×6×4: bad", step=1, layer="r1", kind="relu").message
    "layer 'r1' (relu): NumPy could not run it on 1×6×6×4: bad"
    """

    def __init__(self, reason: str, step: int = -1, **fields: Any) -> None:
        super().__init__(reason, **fields)
        self.step = step
        """Index of the node that failed."""


class Step(NamedTuple):
    """One layer run by :meth:`Network.steps`."""

    index: int
    """The node's index in ``model.nodes``."""
    output: np.ndarray
    """Its output array, batch axis first."""
    params: Params
    """The weights it ran with."""
    macs: int
    """Multiply-accumulates its kernel performed, over the whole batch."""
    seconds: float
    """Time spent in its kernel."""


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
    return run_kernel(spec, params, *inputs).output, params


def out_of_memory(error: MemoryError, doing: str, **fields: Any) -> MemoryLimitError:
    """A NumPy allocation failure as a sentence: bad input (too big), not a disagreement.

    >>> out_of_memory(MemoryError("Unable to allocate 1.00 TiB"), "running it on 1×9×9×3").message
    'NumPy ran out of memory running it on 1×9×9×3 (Unable to allocate 1.00 TiB); use a smaller --batch or input'
    """
    detail = str(error) or "MemoryError"
    return MemoryLimitError(
        f"NumPy ran out of memory {doing} ({detail}); use a smaller --batch or input", **fields
    )


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

        Raises :class:`ForwardError` naming the layer if NumPy refuses one,
        :class:`~convcalc.forward.MemoryLimitError` if it runs out of memory.
        """
        model = self.model
        if not model.nodes:
            return x
        result = x if model.output == INPUT else None
        steps = self.steps(x)
        del x  # the pass holds the only reference, so it can be freed
        for ran in steps:
            if hook is not None:
                hook(ran.index, ran.output, ran.params, ran.seconds)
            if ran.index == model.output:
                result = ran.output
            del ran
        return result

    def steps(self, x: np.ndarray) -> Iterator[Step]:
        """Run the model on ``x``, yielding each layer's :class:`Step` as it finishes.

        An array is dropped after its last reader; hold on to a step's
        output only as long as you need it.
        """
        model, last_use = self.model, self._last_use
        live: dict[int, np.ndarray] = {INPUT: x}
        del x
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
                out, macs = run_kernel(node.spec, params, *inputs)
                seconds = time.perf_counter() - start
            except NUMPY_REFUSALS as error:
                shapes = " and ".join(_describe(a) for a in inputs)
                raise ForwardError(
                    f"NumPy could not run it on {shapes}: {error}",
                    step, layer=node.name, kind=node.spec.kind,
                ) from None
            except MemoryError as error:
                shapes = " and ".join(_describe(a) for a in inputs)
                raise out_of_memory(error, f"running it on {shapes}", layer=node.name, kind=node.spec.kind) from None
            del inputs
            for i in node.inputs:
                if last_use[i] == step:
                    live.pop(i, None)
            if last_use.get(step, -1) > step:
                live[step] = out
            yield Step(step, out, params, macs, seconds)
            del out


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
