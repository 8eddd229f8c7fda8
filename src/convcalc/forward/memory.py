"""How much memory a NumPy forward pass will take, worked out before running it.

The estimate is an upper bound on the peak, in bytes of float32::

    peak ≤ weights + max over layers (arrays alive + its output + its scratch) + slack

*Arrays alive* are the outputs still waiting for a reader when the layer runs
(the model input included); *scratch* is what the layer's kernel allocates
besides its output: the padded copy, the im2col buffer of a convolution
(Ho·Wo·kh·kw·C_in per sample, 56·56·3·3·64 = 1,806,336 for a ResNet-50 3×3
conv, 7.2 MB), the zero-inserted input of a transposed convolution, the
intermediates of an activation. It uses the computed shapes, which is fine
for a guard: it runs before there is anything to measure.

This module reads shapes only and does not import NumPy.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConvCalcError
from ..formatting import binary_bytes
from ..model import Model, Summary, analyse, peak_live
from ..shapes import Shape

__all__ = ["BYTES", "DEFAULT_MAX_MEMORY", "MemoryLimitError", "check_memory", "estimate_peak_bytes", "scratch"]

BYTES = 4
"""float32."""
DEFAULT_MAX_MEMORY = 4 * 1024**3
"""The guard's default limit, 4 GiB."""
SLACK = 4 << 20
"""Fixed allowance for generators, index arrays, per-channel vectors and
NumPy's own caches, 4 MiB."""
MARGIN = 1.03
"""And 3% for the small arrays the per-layer rules leave out."""


class MemoryLimitError(ConvCalcError):
    """The forward pass would need more memory than allowed."""


def scratch(spec: Any, inputs: tuple[Shape, ...], output: Shape) -> int:
    """Elements per sample a layer's kernel allocates besides its output:
    the kind's own rule (each kind declares ``scratch`` beside its shape rule)."""
    return spec.scratch(inputs, output)


def estimate_peak_bytes(model: Model, batch: int = 1, summary: Summary | None = None) -> int:
    """An upper bound on the forward pass's peak memory at ``batch``, in bytes.

    ResNet-50 at 224×224, batch 1: weights 25,610,152·4 = 102.4 MB, the
    worst step layer1.1.conv2 (the block's 56·56·256 input kept for the
    shortcut, its 56·56·64 input and output, a 58·58·64 padded copy and the
    56·56·576 im2col: 3,225,856 numbers, 12.9 MB), 3 % and 4 MiB more:
    123.0 MB (117 MiB). tracemalloc sees a peak of 102.6 MB.
    """
    summary = summary or analyse(model)
    rows = summary.rows
    sizes = [r.result.output.size for r in rows]
    temporary = [scratch(r.node.spec, r.inputs, r.result.output) for r in rows]
    peak = peak_live(model, sizes, temporary)
    weights = summary.totals.params
    return int((weights + peak * batch) * BYTES * MARGIN) + SLACK


def check_memory(
    model: Model, batch: int, limit: int = DEFAULT_MAX_MEMORY, summary: Summary | None = None
) -> int:
    """The estimate, or :class:`MemoryLimitError` in a sentence if it is above ``limit``."""
    needed = estimate_peak_bytes(model, batch, summary)
    if needed > limit:
        raise MemoryLimitError(
            f"the forward pass of {model.name!r} at batch {batch} would need about "
            f"{binary_bytes(needed)}, more than the limit of {binary_bytes(limit)}; "
            "use a smaller --batch or raise --max-memory"
        )
    return needed
