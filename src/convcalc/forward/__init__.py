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

>>> from convcalc.loader import load_model            # doctest: +SKIP
>>> model = load_model("configs/resnet50.yaml")        # doctest: +SKIP
>>> check_memory(model, batch=1)                       # doctest: +SKIP
123456789
>>> verify(model, batch=1).mismatches                  # doctest: +SKIP
()
"""

from .engine import ForwardError, Network, random_input, run_layer
from .kernels import KERNELS, Params, tf_same_padding
from .memory import DEFAULT_MAX_MEMORY, MemoryLimitError, check_memory, estimate_peak_bytes
from .verify import LayerCheck, Progress, Verification, verify, verify_layer

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
