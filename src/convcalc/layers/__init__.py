"""The layer engine: every kind convcalc knows, and how to build and apply one.

Each kind lives in one module of this package, which declares everything
about it (see :mod:`.base`). :data:`KINDS` and :data:`ALIASES` come from the
generated index ``_index.py``, so that naming a kind imports only its module
and the command line pays only for the layers it touches; ``python -m
convcalc.layers`` rewrites the index (and ``schema.json``) from the kinds'
own declarations, and a test fails when either is stale.

>>> spec = make_layer("conv2d", {"filters": 64, "kernel": 7, "stride": 2, "padding": 3})
>>> r = apply(spec, Shape.of(224, 224, 3))
>>> r.output.format(), r.trainable, r.macs        # (7·7·3 + 1)·64 = 9,472
('112×112×64', 9472, 118013952)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import Enum
from functools import cache
from importlib import import_module
from typing import Any

from ..errors import SpecError
from ..shapes import Shape
from ._index import ALIASES as _ALIASES
from ._index import LOCATIONS as _LOCATIONS
from .base import LayerResult, LayerSpec

__all__ = [
    "ALIASES",
    "KINDS",
    "MODULES",
    "Kind",
    "LayerResult",
    "LayerSpec",
    "apply",
    "canonical_kind",
    "discover",
    "make_layer",
    "spec_class",
]

MODULES = ("conv", "pool", "resample", "norm", "elementwise", "merge", "dense", "channels", "nd")
"""The modules that hold kinds, in the order ``--help`` lists them."""

KINDS: tuple[str, ...] = tuple(_LOCATIONS)
"""Every layer kind by its canonical name."""

ALIASES: dict[str, str] = dict(_ALIASES)
"""Other names accepted for a kind (PyTorch, Keras, the shell's short ones)."""

_FOLDED = {name.lower(): kind for name, kind in (*ALIASES.items(), *((k, k) for k in KINDS))}
"""Every accepted name, case folded: ``Conv2D`` and ``conv2d`` are one kind."""



def __getattr__(name: str) -> Any:
    """``Kind``, an Enum of every kind's name and alias, made on first use:
    building an Enum of some 150 members costs more than the rest of the
    command line's start-up."""
    if name == "Kind":
        kind = Enum("Kind", {n.upper(): n for n in [*KINDS, *ALIASES]}, type=str)  # type: ignore[misc]
        kind.__doc__ = "A layer kind's name, for option types and validation."
        globals()["Kind"] = kind
        return kind
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def canonical_kind(name: str) -> str:
    """``'linear'`` → ``'dense'``, ``'BatchNormalization'`` → ``'batchnorm2d'``;
    an unknown name raises with a did-you-mean."""
    found = _FOLDED.get(name.lower()) if isinstance(name, str) else None
    if found is not None:
        return found
    from difflib import get_close_matches

    close = get_close_matches(str(name), [*KINDS, *ALIASES], n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; known kinds: {', '.join(KINDS)}"
    raise SpecError(f"unknown layer kind {name!r}{hint}")


def spec_class(kind: str) -> type[LayerSpec]:
    """The spec class of a kind (or alias), importing its module on first use."""
    found = _CLASSES.get(kind)
    if found is None:
        found = _class_of(canonical_kind(kind))
        _CLASSES[kind] = found
    return found


_CLASSES: dict[str, type[LayerSpec]] = {}
"""Classes found so far, by the name asked for: a file names the same few kinds
thousands of times."""


@cache
def _class_of(kind: str) -> type[LayerSpec]:
    module, attr = _LOCATIONS[kind]
    return getattr(import_module(f"{__name__}.{module}"), attr)


def make_layer(kind: str, options: Mapping[str, Any] | None = None) -> LayerSpec:
    """Build the spec of ``kind`` from user options, normalised and checked."""
    cls = spec_class(kind)
    return cls.build(options or {}, kind=cls.kind)


def apply(spec: LayerSpec, *inputs: Shape) -> LayerResult:
    """Check the number of inputs, then infer output shape and counts."""
    spec.check_arity(inputs)
    return spec.infer(*inputs)


def discover() -> Iterator[tuple[str, type[LayerSpec]]]:
    """Import every kind module and yield ``(module, class)`` for each kind
    class, in declaration order: the source of the generated index."""
    for module in MODULES:
        found = import_module(f"{__name__}.{module}")
        for value in vars(found).values():
            if (
                isinstance(value, type)
                and issubclass(value, LayerSpec)
                and "kind" in vars(value)
                and value.__module__ == found.__name__
            ):
                yield module, value
