"""The NumPy forward pass that checks convcalc's figures: the only numpy user.

A calculator is trusted when its numbers are checked by something that does
not share its formulas. This package builds every layer's weights as real
float32 arrays, pushes a random batch through the network with NumPy, and
compares each layer's output array, allocated weights and the
multiply-accumulates its kernel counted with the computed shape, parameter
counts and MACs::

    kernels   every layer kind: its weights, its NumPy computation and its MACs
    engine    runs a model in graph order, freeing arrays after their last use
    verify    compares the pass with the analysis, one sentence per mismatch
    memory    an upper bound on the pass's peak memory, before running it

Names are imported on first use, so the memory guard (``check_memory``)
costs no NumPy import::

    model = load_model("configs/resnet50.yaml")
    check_memory(model, batch=1)          # ≈ 120 MB, or MemoryLimitError
    verify(model, batch=1).mismatches     # ()
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import ForwardError, Network, Step, random_input, run_layer
    from .kernels import KERNELS, Computed, Params, tf_same_padding
    from .memory import DEFAULT_MAX_MEMORY, MemoryLimitError, check_memory, estimate_peak_bytes
    from .verify import (
        Aspect,
        LayerCheck,
        Mismatch,
        Progress,
        Verification,
        check_layer_memory,
        verify,
        verify_layer,
    )

_LOCATIONS = {
    "ForwardError": "engine",
    "Network": "engine",
    "Step": "engine",
    "random_input": "engine",
    "run_layer": "engine",
    "KERNELS": "kernels",
    "Computed": "kernels",
    "Params": "kernels",
    "tf_same_padding": "kernels",
    "DEFAULT_MAX_MEMORY": "memory",
    "MemoryLimitError": "memory",
    "check_memory": "memory",
    "estimate_peak_bytes": "memory",
    "Aspect": "verify",
    "LayerCheck": "verify",
    "Mismatch": "verify",
    "Progress": "verify",
    "Verification": "verify",
    "check_layer_memory": "verify",
    "verify": "verify",
    "verify_layer": "verify",
}

__all__ = [
    "DEFAULT_MAX_MEMORY",
    "KERNELS",
    "Aspect",
    "Computed",
    "ForwardError",
    "LayerCheck",
    "MemoryLimitError",
    "Mismatch",
    "Network",
    "Params",
    "Progress",
    "Step",
    "Verification",
    "check_layer_memory",
    "check_memory",
    "estimate_peak_bytes",
    "random_input",
    "run_layer",
    "tf_same_padding",
    "verify",
    "verify_layer",
]


def __getattr__(name: str) -> Any:
    if name not in _LOCATIONS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    where = _LOCATIONS[name]
    module = import_module(f".{where}", __name__)
    # Bind every name the module provides at once: importing the submodule
    # ``verify`` set this package's attribute ``verify`` to the module, and the
    # function must replace it whichever of its names is asked for first.
    for other, home in _LOCATIONS.items():
        if home == where:
            globals()[other] = getattr(module, other)
    return globals()[name]


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
