"""What every layer spec shares: its result record and how it is built.

A spec is a frozen, slotted dataclass whose fields are its options, already
normalised; :meth:`LayerSpec.build` turns user options (from flags or a file)
into one, naming any unknown option with a did-you-mean.

**One home per kind.** A kind's class declares everything convcalc knows
about it, and nothing else keeps a table of kinds:

=====================  =====================================================
``kind``, ``aliases``  its name and the other names it answers to (PyTorch,
                       Keras and the shell's short spellings)
fields (``option``)    its options: normaliser (with its schema fragment),
                       default and one-line doc; ``positional`` is the one a
                       bare number sets in a shell line (``conv 64``)
``infer``              output shape, parameters and MACs
``field_steps``,       window geometry (:mod:`.geometry`): receptive fields,
``taps``,              ``--explain LAYER``, ``solve`` and check's dropped-
``trailing_padding``   pixel rule
``explain``            the arithmetic, with the numbers substituted
``scratch``            elements its NumPy kernel allocates besides its output
=====================  =====================================================

The NumPy kernel stays in :mod:`convcalc.forward.kernels`, registered by
kind, so that it remains an independent check. ``tests/test_kinds.py`` walks
every kind and fails if any rule is missing: there are no fallbacks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, ClassVar, NamedTuple

from ..errors import ShapeError, SpecError
from ..shapes import Shape
from .options import Padding

__all__ = ["LayerResult", "LayerSpec", "option"]

# Names people bring from PyTorch or Keras, and what convcalc calls them.
_FOREIGN_NAMES = {
    "kernel_size": "kernel",
    "strides": "stride",
    "out_channels": "filters",
    "out_features": "units",
    "dilation_rate": "dilation",
    "use_bias": "bias",
    "p": "rate",
    "scale_factor": "scale",
    "negative_slope": "negative_slope",
    "alpha": "negative_slope",
    "elementwise_affine": "affine",
}


class LayerResult(NamedTuple):
    """What one layer does to the shape flowing through it."""

    output: Shape
    """Output shape, channels last."""
    trainable: int = 0
    """Parameters updated by training (weights, biases, norm scale and shift)."""
    non_trainable: int = 0
    """Stored state that is not trained (batch norm's running mean and variance)."""
    macs: int = 0
    """Multiply-accumulates for one sample (conventions: the README)."""

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable


def option(norm: Callable[[str, Any], Any], default: Any = dataclasses.MISSING, doc: str = "") -> Any:
    """Declare a spec field: the function that normalises user input for it
    (whose ``.schema`` describes the values it takes), its default and a
    one-line doc for ``--help``, the schema and messages."""
    return dataclasses.field(default=default, metadata={"norm": norm, "doc": doc})


class LayerSpec:
    """Mixin for layer specs: building from options, arity and the option view."""

    __slots__ = ()
    kind: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    """Other names accepted for the kind, in files, ``-t`` and shell lines."""
    positional: ClassVar[str | None] = None
    """The option a bare number sets in a shell line (``conv 64``: filters)."""
    arity: ClassVar[tuple[int, int | None]] = (1, 1)
    """Fewest and most inputs (``None``: any number)."""
    is_view: ClassVar[bool] = False
    """True when the output shares its input's memory (``flatten``), for
    training memory."""

    def __post_init__(self) -> None:
        # Normalise every field once, however the spec was constructed, so a
        # spec built directly (``Conv2d(64, 3)``) equals one built from a file.
        for name, norm, default, normalised in _normalisers(type(self)):
            value = getattr(self, name)
            # An option left at its default (the very object) was normalised once, per class.
            object.__setattr__(self, name, normalised if value is default else norm(name, value))
        self.validate()

    def validate(self) -> None:
        """Checks across options; raises :class:`SpecError`."""

    def infer(self, *inputs: Shape) -> LayerResult:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        return tuple(_fields(cls))

    @classmethod
    def build(cls, options: Mapping[str, Any], kind: str | None = None) -> LayerSpec:
        """Normalise ``options`` into a spec, rejecting unknown or missing ones.

        >>> from convcalc.layers.conv import Conv2d
        >>> Conv2d.build({"filters": 64, "kernel": 7, "stride": 2}).stride
        (2, 2)
        """
        kind = kind or cls.kind
        known = _fields(cls)
        for name in options:
            if name not in known:
                raise SpecError(unknown_option_message(kind, name, tuple(known)), option=name)
        for name, f in known.items():
            if name not in options and f.default is dataclasses.MISSING:
                raise SpecError(f"{kind} needs the option '{name}' ({f.metadata['doc']})")
        return cls(**options)

    def options(self) -> dict[str, Any]:
        """Options that differ from their defaults, as plain values a file would hold."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if f.default is not dataclasses.MISSING and value == f.metadata["norm"](f.name, f.default):
                continue
            if isinstance(value, Padding):
                value = value.as_value()
            elif isinstance(value, tuple):
                value = value[0] if len(set(value)) == 1 else list(value)
            out[f.name] = value
        return out

    def check_arity(self, inputs: tuple[Shape, ...]) -> None:
        low, high = self.arity
        n = len(inputs)
        if n < low or (high is not None and n > high):
            if high == 1:
                want = "one input"
            elif high is None:
                want = f"at least {low} inputs"
            else:
                want = f"{low} to {high} inputs"
            raise ShapeError(f"{self.kind} takes {want}, got {n}")


@cache
def _fields(cls: type) -> dict[str, dataclasses.Field]:
    """A spec class's fields by name, looked up once per class (``dataclasses.fields``
    rebuilds its tuple on every call, which a 100,000-layer file feels)."""
    return {f.name: f for f in dataclasses.fields(cls)}


@cache
def _normalisers(cls: type) -> tuple[tuple[str, Callable[[str, Any], Any], Any, Any], ...]:
    """Each field's name, normalising function, default and normalised
    default, looked up once per class."""
    found = []
    for f in dataclasses.fields(cls):
        norm = f.metadata["norm"]
        missing = f.default is dataclasses.MISSING
        found.append((f.name, norm, f.default, None if missing else norm(f.name, f.default)))
    return tuple(found)


def unknown_option_message(kind: str, name: str, known: tuple[str, ...]) -> str:
    """``conv2d has no option 'strid'; did you mean 'stride'?``"""
    from difflib import get_close_matches

    message = f"{kind} has no option {name!r}"
    foreign = _FOREIGN_NAMES.get(name)
    close = get_close_matches(name, known, n=1, cutoff=0.6)
    if foreign in known and foreign != name:
        return f"{message}; convcalc calls it {foreign!r}"
    if close:
        return f"{message}; did you mean {close[0]!r}?"
    if not known:
        return f"{message}; it takes no options"
    return f"{message}; its options are " + ", ".join(known)
