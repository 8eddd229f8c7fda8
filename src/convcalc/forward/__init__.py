"""The NumPy forward pass that checks convcalc's figures: the only numpy user.

A calculator is trusted when its numbers are checked by something that does
not share its formulas. This package builds every layer's weights as real
float32 arrays, pushes a random batch through the network with NumPy, and
compares each layer's output array and allocated weights with the computed
shape and parameter counts::

    kernels   every layer kind: its weights and its NumPy computation
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
    from .engine import ForwardError, Network, random_input, run_layer
    from .kernels import KERNELS, Params, tf_same_padding
    from .memory import DEFAULT_MAX_MEMORY, MemoryLimitError, check_memory, estimate_peak_bytes
    from .verify import LayerCheck, Progress, Verification, verify, verify_layer

_LOCATIONS = {
    "ForwardError": "engine",
    "Network": "engine",
    "random_input": "engine",
    "run_layer": "engine",
    "KERNELS": "kernels",
    "Params": "kernels",
    "tf_same_padding": "kernels",
    "DEFAULT_MAX_MEMORY": "memory",
    "MemoryLimitError": "memory",
    "check_memory": "memory",
    "estimate_peak_bytes": "memory",
    "LayerCheck": "verify",
    "Progress": "verify",
    "Verification": "verify",
    "verify": "verify",
    "verify_layer": "verify",
}

__all__ = [
    "DEFAULT_MAX_MEMORY",
    "KERNELS",
    "ForwardError",
    "LayerCheck",
    "MemoryLimitError",
    "Network",
    "Params",
    "Progress",
    "Verification",
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
    value = getattr(import_module(f".{_LOCATIONS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
