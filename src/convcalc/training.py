"""Memory for one training step: weights, gradients, optimizer state, activations.

Four parts, each a count of numbers times the bytes of ``dtype``::

    parameters       every parameter, trainable or not (batch norm's running
                     statistics live on the device too)
    gradients        one per trainable parameter
    optimizer state  buffers per trainable parameter: plain SGD 0, SGD with
                     momentum 1 (the velocity), Adam and AdamW 2 (the first
                     and second moment estimates)
    activations      batch × (the input + every layer's output), the tensors
                     autograd keeps for the backward pass

The activation convention, kept simple on purpose: every layer's output is
kept once, as is the model input (the first layer needs it for its weight
gradient), as PyTorch autograd roughly does without in-place operations. The
one exception is ``flatten``, a view that shares its input's memory. Not
counted: temporaries inside a layer's backward, max pooling's argmax indices,
dropout masks, workspace of the convolution algorithms, and the framework's
own overhead; real peaks are higher, in-place ReLU makes them lower. The
per-sample sum equals :attr:`convcalc.model.Totals.activation_bytes` plus the
input, minus any flatten outputs.

ResNet-50, batch 32, float32 (4 bytes), Adam::

    parameters       25,610,152 × 4                     =   102,440,608 B
    gradients        25,557,032 trainable × 4           =   102,228,128 B
    optimizer state  2 × 25,557,032 × 4                 =   204,456,256 B
    activations      32 × (150,528 + 37,559,784) × 4    = 4,826,919,936 B
                     (input 224·224·3; layer outputs, per sample)
    total                                                 5,236,044,928 B ≈ 5.24 GB
"""

from __future__ import annotations

from typing import NamedTuple

from .dtypes import DType, Optimizer
from .errors import InputError
from .model import Summary

__all__ = ["Optimizer", "TrainingMemory", "explain_training", "training_memory"]

class TrainingMemory(NamedTuple):
    """Bytes for one training step, by part; ``total`` is their sum."""

    parameters: int
    """All parameters × bytes."""
    gradients: int
    """Trainable parameters × bytes."""
    optimizer_state: int
    """Optimizer buffers × trainable parameters × bytes."""
    activations: int
    """batch × saved numbers per sample × bytes."""
    total: int
    batch: int
    dtype: DType
    optimizer: Optimizer
    saved_per_sample: int
    """Numbers kept for the backward pass per sample: the input plus every
    layer's output except views."""


def training_memory(
    summary: Summary,
    batch: int = 1,
    dtype: DType | str = DType.FLOAT32,
    optimizer: Optimizer | str = Optimizer.ADAM,
) -> TrainingMemory:
    """The memory parts of one training step of ``summary``'s model.

    A dense layer 4 → 3 (15 parameters) on a 4-feature input, batch 2,
    float32, SGD with momentum: parameters 15·4 = 60, gradients 60, state
    1·15·4 = 60, activations 2·(4 + 3)·4 = 56, total 236.

    >>> from convcalc.loader import parse_model
    >>> from convcalc.model import analyse
    >>> s = analyse(parse_model("input: [4]\\nlayers: [dense: {units: 3}]"))
    >>> training_memory(s, batch=2, optimizer="momentum")[:5]
    (60, 60, 60, 56, 236)
    """
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise InputError(f"batch must be a positive whole number (got {batch!r})")
    dtype = _choice(DType, dtype, "dtype")
    optimizer = _choice(Optimizer, optimizer, "optimizer")
    size = dtype.bytes
    totals = summary.totals
    saved = summary.model.input.size + sum(
        row.result.output.size for row in summary.rows if not row.node.spec.is_view
    )
    parts = (
        totals.params * size,
        totals.trainable_params * size,
        optimizer.states * totals.trainable_params * size,
        batch * saved * size,
    )
    return TrainingMemory(*parts, sum(parts), batch, dtype, optimizer, saved)


def _choice(enum: type, value: object, name: str):  # type: ignore[no-untyped-def]
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(m.value for m in enum)
        raise InputError(f"{name} {value!r} is not one of {known}") from None


def explain_training(memory: TrainingMemory, summary: Summary) -> list[str]:
    """The arithmetic of each part, for ``--explain``.

    >>> from convcalc.loader import parse_model
    >>> from convcalc.model import analyse
    >>> s = analyse(parse_model("input: [4]\\nlayers: [dense: {units: 3}]"))
    >>> print("\\n".join(explain_training(training_memory(s, 2, "float32", "adam"), s)))
    parameters: 15 × 4 B = 60 B
    gradients: 15 trainable × 4 B = 60 B
    optimizer state (Adam, 2 per trainable parameter): 2 × 15 × 4 B = 120 B
    activations: batch 2 × (input 4 + layer outputs 3) × 4 B = 56 B
    total: 60 + 60 + 120 + 56 = 296 B
    """
    t = summary.totals
    b = memory.dtype.bytes
    inputs = summary.model.input.size
    states = memory.optimizer.states
    per = "per trainable parameter"
    return [
        f"parameters: {t.params:,} × {b} B = {memory.parameters:,} B",
        f"gradients: {t.trainable_params:,} trainable × {b} B = {memory.gradients:,} B",
        f"optimizer state ({memory.optimizer.label}, {states} {per}): "
        f"{states} × {t.trainable_params:,} × {b} B = {memory.optimizer_state:,} B",
        f"activations: batch {memory.batch} × (input {inputs:,} + layer outputs "
        f"{memory.saved_per_sample - inputs:,}) × {b} B = {memory.activations:,} B",
        f"total: {memory.parameters:,} + {memory.gradients:,} + {memory.optimizer_state:,} + "
        f"{memory.activations:,} = {memory.total:,} B",
    ]
