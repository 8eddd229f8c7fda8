"""Results as plain data: the stable JSON documents convcalc prints.

The layer document (``convcalc layer --format json``)::

    {"kind": "conv2d", "options": {"filters": 64, "kernel": 7, ...},
     "layout": "hwc", "input": [224, 224, 3], "output": [112, 112, 64],
     "params": {"trainable": 9408, "non_trainable": 0, "total": 9408},
     "macs": 118013952,
     "padding": {"top": 3, "bottom": 3, "left": 3, "right": 3}}

``padding`` appears for windowed kinds (convolution and pooling) with the
padding actually applied, ``same`` resolved; ``others`` lists the extra inputs
of a merge; ``explain`` the arithmetic lines when asked for.
"""

from __future__ import annotations

from typing import Any

from .layers import LayerResult, LayerSpec
from .shapes import Layout, Shape

__all__ = ["layer_document", "resolved_padding"]


def resolved_padding(spec: LayerSpec, x: Shape) -> dict[str, int] | None:
    """The four pads a windowed layer applies to ``x`` (``same`` resolved)."""
    windows = getattr(spec, "windows", None)
    if windows is None:
        return None
    wh, ww = windows(x)
    return {"top": wh.pad_before, "bottom": wh.pad_after, "left": ww.pad_before, "right": ww.pad_after}


def layer_document(
    spec: LayerSpec,
    inputs: tuple[Shape, ...],
    result: LayerResult,
    layout: Layout,
    explanation: list[str] | None = None,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "kind": spec.kind,
        "options": spec.options(),
        "layout": layout.value,
        "input": list(inputs[0].ordered(layout)),
        "output": list(result.output.ordered(layout)),
        "params": {
            "trainable": result.trainable,
            "non_trainable": result.non_trainable,
            "total": result.params,
        },
        "macs": result.macs,
    }
    if len(inputs) > 1:
        doc["others"] = [list(s.ordered(layout)) for s in inputs[1:]]
    padding = resolved_padding(spec, inputs[0])
    if padding is not None:
        doc["padding"] = padding
    if explanation is not None:
        doc["explain"] = explanation
    return doc
