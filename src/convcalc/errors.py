"""The one error tree convcalc raises for anything a user got wrong.

::

    ConvCalcError                 root: every user-facing failure
    ├── SpecError                 a layer's options are wrong on their own
    │                             (stride 0, unknown option, bad padding string)
    ├── ShapeError                the options are fine but do not fit the input
    │                             (kernel larger than the padded input, groups
    │                             that do not divide the channels, merge mismatch)
    └── InputError                a shape or value typed on the command line
                                  cannot be read (``224x0x3``, ``-k seven``)

(The loader's ``LoadError``, the YAML reader's ``YamlError``, the forward
pass's ``ForwardError`` and ``MemoryLimitError`` hang off the root too.)

Messages state the rule, the bad value and what was expected. Where it
happened travels as data, never inside the text for someone to parse back:
``at`` (a :class:`~convcalc.yamlnodes.Position`, ``file:line:col``),
``layer`` and ``kind`` (the layer's full name and kind), ``option`` (the
option the message is about) and ``rule`` (the finding it becomes in
``convcalc check``). :attr:`ConvCalcError.message` composes them into the one
sentence a user reads::

    configs/net.yaml:14:5: layer 'conv3' (conv2d): kernel 7 is larger than …

Context is added on the way up with :meth:`~ConvCalcError.located` (fields)
or :meth:`~ConvCalcError.within` (free text, e.g. ``--output 'x'``), once per
level, so the user reads one sentence and never a traceback.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["ConvCalcError", "InputError", "ShapeError", "SpecError"]


class ConvCalcError(Exception):
    """Root of every error convcalc reports to a user.

    ``rule`` names the kind of problem for ``convcalc check`` (see
    :mod:`convcalc.findings`); subclasses set a default.
    """

    rule: str | None = None

    def __init__(
        self,
        reason: str,
        *,
        rule: str | None = None,
        at: Any = None,
        layer: str | None = None,
        kind: str | None = None,
        option: str | None = None,
        context: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        """The rule broken and the bad value, without any location."""
        if rule is not None:
            self.rule = rule
        self.at = at
        """Where, as a ``Position`` (``file:line:col``), or None."""
        self.layer = layer
        """The layer's full name (``layer1.0.conv2``), or None."""
        self.kind = kind
        """The layer's kind (``conv2d``), or None."""
        self.option = option
        """The option the message is about (``stride``), or None."""
        self.context = context
        """Free-text context in front of the reason (``--output 'x'``)."""

    @property
    def where(self) -> str:
        """The location part: ``file:3:5: layer 'c1' (conv2d)``, or ''."""
        parts = []
        if self.at is not None:
            parts.append(str(self.at))
        if self.context:
            parts.append(self.context)
        if self.layer is not None:
            parts.append(f"layer {self.layer!r} ({self.kind})" if self.kind else f"layer {self.layer!r}")
        return ": ".join(parts)

    @property
    def message(self) -> str:
        """The whole sentence a user reads: location, then the reason."""
        where = self.where
        return f"{where}: {self.reason}" if where else self.reason

    def __str__(self) -> str:
        return self.message

    def located(self, **fields: Any) -> ConvCalcError:
        """A copy with location fields filled in where still empty.

        >>> e = SpecError("stride must be positive", option="stride")
        >>> e.located(layer="c1", kind="conv2d").message
        "layer 'c1' (conv2d): stride must be positive"
        """
        other = copy.copy(self)
        for name, value in fields.items():
            if getattr(other, name) is None:
                setattr(other, name, value)
        return other

    def within(self, context: str) -> ConvCalcError:
        """Return the same kind of error with ``context: `` put in front.

        >>> str(SpecError("stride must be positive").within("layer 'c1' (conv2d)"))
        "layer 'c1' (conv2d): stride must be positive"
        """
        other = copy.copy(self)
        other.context = f"{context}: {self.context}" if self.context else context
        return other


class SpecError(ConvCalcError):
    """A layer option is invalid whatever the input."""

    rule = "schema"


class ShapeError(ConvCalcError):
    """A layer cannot be applied to the shape it receives."""

    rule = "impossible-layer"


class InputError(ConvCalcError):
    """A value typed by the user cannot be read."""
