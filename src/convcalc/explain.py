"""The arithmetic behind one layer, written out with the numbers substituted.

Each kind writes its own lines (its ``explain`` method, beside its shape
rule); this module only applies the layer first, so that an impossible layer
fails with its own sentence rather than halfway through an explanation.

>>> from convcalc.layers import make_layer
>>> spec = make_layer("conv2d", {"filters": 64, "kernel": 7, "stride": 2, "padding": 1})
>>> print("\\n".join(explain(spec, Shape.of(230, 230, 3))))
H: (230 + 2·1 − 7) / 2 + 1 = 113.5 → 113
   113.5 is rounded down: the last window would need 1 more row; only padding goes unread (no input row is lost)
W: (230 + 2·1 − 7) / 2 + 1 = 113.5 → 113
   113.5 is rounded down: the last window would need 1 more column; only padding goes unread (no input column is lost)
params: (7·7·3 + 1) · 64 = 9,472
MACs: 113·113·64 outputs × 7·7·3 = 120,130,752
"""

from __future__ import annotations

from .layers import LayerSpec, apply
from .shapes import Shape

__all__ = ["explain"]


def explain(spec: LayerSpec, *inputs: Shape) -> list[str]:
    """Lines of arithmetic for ``spec`` applied to ``inputs``."""
    result = apply(spec, *inputs)
    return spec.explain(inputs, result)  # type: ignore[attr-defined]
