"""What every layer spec shares: its result record and how it is built.

A spec is a frozen, slotted object whose attributes are its options, already
normalised; :meth:`LayerSpec.build` turns user options (from flags or a file)
into one, naming any unknown option with a did-you-mean. A kind declares its
options as class attributes made by :func:`option`; the metaclass turns them
into slots and one :class:`Option` record each, in declaration order (a
subclass inherits its base's and may redeclare one in place). The methods a
dataclass would generate (``__init__``, equality, hashing, ``repr``) are
written once here: generating them per class cost about a millisecond a kind
on every start of the command line.

**One home per kind.** A kind's class declares everything convcalc knows
about it, and nothing else keeps a table of kinds:

=====================  =====================================================
``kind``, ``aliases``  its name and the other names it answers to (PyTorch,
                       Keras and the shell's short spellings)
``option(...)``        its options: normaliser (with its schema fragment),
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

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, NamedTuple

from ..errors import ShapeError, SpecError
from ..shapes import Shape
from .options import Padding

__all__ = ["REQUIRED", "LayerResult", "LayerSpec", "Option", "option"]

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


class _Required:
    """The default of an option that has none: the user must give it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""The default of a required option."""


class Option:
    """One declared option of a kind: its name, the function that normalises
    user input for it (whose ``.schema`` describes the values it takes), its
    default (:data:`REQUIRED` when it has none) and a one-line doc for
    ``--help``, the schema and messages."""

    __slots__ = ("default", "doc", "name", "norm")

    def __init__(self, norm: Callable[[str, Any], Any], default: Any = REQUIRED, doc: str = "", name: str = "") -> None:
        self.norm, self.default, self.doc, self.name = norm, default, doc, name

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def __repr__(self) -> str:
        return f"Option({self.name!r}, default={self.default!r})"


def option(norm: Callable[[str, Any], Any], default: Any = REQUIRED, doc: str = "") -> Any:
    """Declare an option in a kind's class body: ``stride = option(pair, 1,
    "step between windows")``. The same declaration may serve several kinds."""
    return Option(norm, default, doc)


class SpecMeta(type):
    """Makes each :func:`option` of a class body a slot and an :class:`Option`
    named after its attribute, after those the bases declared."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> SpecMeta:
        declared: dict[str, Option] = {}
        for base in reversed(bases):
            declared.update((o.name, o) for o in getattr(base, "_declared", ()))
        slotted = {s for base in bases for klass in base.__mro__ for s in vars(klass).get("__slots__", ())}
        own = []
        for key, value in list(namespace.items()):
            if isinstance(value, Option):
                del namespace[key]
                if any(hasattr(base, key) for base in bases) and key not in declared:
                    raise TypeError(f"{name}: option {key!r} would hide an attribute of its bases")
                declared[key] = Option(value.norm, value.default, value.doc, key)
                if key not in slotted:
                    own.append(key)
        namespace["__slots__"] = (*namespace.get("__slots__", ()), *own)
        namespace["_declared"] = tuple(declared.values())
        return super().__new__(mcs, name, bases, namespace)


class LayerSpec(metaclass=SpecMeta):
    """Base of layer specs: building from options, arity and the option view."""

    __slots__ = ()
    _declared: ClassVar[tuple[Option, ...]]
    """The kind's options in declaration order (see :class:`SpecMeta`)."""
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Normalise every option once, however the spec was constructed, so a
        # spec built directly (``Conv2d(64, 3)``) equals one built from a file.
        cls = type(self)
        declared = cls._declared
        if args:
            if len(args) > len(declared):
                raise TypeError(f"{cls.__name__}() takes {len(declared)} positional arguments but {len(args)} were given")
            for o, value in zip(declared, args):
                if o.name in kwargs:
                    raise TypeError(f"{cls.__name__}() got multiple values for argument {o.name!r}")
                kwargs[o.name] = value
        setter = object.__setattr__
        for o, normalised in _defaults(cls):
            value = kwargs.pop(o.name, o.default)
            if value is REQUIRED:
                raise TypeError(f"{cls.__name__}() missing required argument: {o.name!r}")
            # An option left at its default (the very object) was normalised once, per class.
            setter(self, o.name, normalised if value is o.default else o.norm(o.name, value))
        if kwargs:
            raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {next(iter(kwargs))!r}")
        self.validate()

    def values(self) -> tuple[Any, ...]:
        """The options' normalised values, in declaration order."""
        return tuple(getattr(self, o.name) for o in self._declared)

    def replace(self, **changes: Any) -> LayerSpec:
        """A copy with some options changed (normalised and validated anew)."""
        return type(self)(**{o.name: getattr(self, o.name) for o in self._declared} | changes)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self.values() == other.values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self.values())

    def __repr__(self) -> str:
        inner = ", ".join(f"{o.name}={getattr(self, o.name)!r}" for o in self._declared)
        return f"{type(self).__qualname__}({inner})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a layer spec is frozen: cannot assign to {name!r}; use replace()")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a layer spec is frozen: cannot delete {name!r}")

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), self.values()

    def validate(self) -> None:
        """Checks across options; raises :class:`SpecError`."""

    def infer(self, *inputs: Shape) -> LayerResult:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def declared(cls) -> tuple[Option, ...]:
        """The kind's options in declaration order."""
        return cls._declared

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        return tuple(o.name for o in cls._declared)

    @classmethod
    def build(cls, options: Mapping[str, Any], kind: str | None = None) -> LayerSpec:
        """Normalise ``options`` into a spec, rejecting unknown or missing ones.

        >>> from convcalc.layers.conv import Conv2d
        >>> Conv2d.build({"filters": 64, "kernel": 7, "stride": 2}).stride
        (2, 2)
        """
        kind = kind or cls.kind
        declared = cls._declared
        if len(options) > len(declared) or any(name not in _names(cls) for name in options):
            known = cls.option_names()
            name = next(name for name in options if name not in known)
            raise SpecError(unknown_option_message(kind, name, known), option=name)
        for o in declared:
            if o.default is REQUIRED and o.name not in options:
                raise SpecError(f"{kind} needs the option '{o.name}' ({o.doc})")
        return cls(**options)

    def options(self) -> dict[str, Any]:
        """Options that differ from their defaults, as plain values a file would hold."""
        out: dict[str, Any] = {}
        for o, normalised in _defaults(type(self)):
            value = getattr(self, o.name)
            if o.default is not REQUIRED and value == normalised:
                continue
            if isinstance(value, Padding):
                value = value.as_value()
            elif isinstance(value, tuple):
                value = value[0] if len(set(value)) == 1 else list(value)
            out[o.name] = value
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


_DEFAULTS: dict[type, tuple[tuple[Option, Any], ...]] = {}
_NAMES: dict[type, frozenset[str]] = {}


def _defaults(cls: type[LayerSpec]) -> tuple[tuple[Option, Any], ...]:
    """Each option with its normalised default (``None`` if required), worked
    out on the class's first use rather than at import."""
    found = _DEFAULTS.get(cls)
    if found is None:
        found = tuple((o, None if o.default is REQUIRED else o.norm(o.name, o.default)) for o in cls._declared)
        _DEFAULTS[cls] = found
    return found


def _names(cls: type[LayerSpec]) -> frozenset[str]:
    found = _NAMES.get(cls)
    if found is None:
        found = _NAMES[cls] = frozenset(cls.option_names())
    return found


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
