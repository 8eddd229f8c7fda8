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

Messages state the rule, the bad value and what was expected. Context (the
layer's name, the file and line) is added on the way up with :meth:`within`,
once per level, so the user reads one sentence and never a traceback.
"""

from __future__ import annotations

__all__ = ["ConvCalcError", "InputError", "ShapeError", "SpecError"]


class ConvCalcError(Exception):
    """Root of every error convcalc reports to a user.

    ``rule`` names the kind of problem for ``convcalc check`` (see
    :mod:`convcalc.findings`); subclasses set a default.
    """

    rule: str | None = None

    def __init__(self, message: str, *, rule: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if rule is not None:
            self.rule = rule

    def within(self, context: str) -> ConvCalcError:
        """Return the same kind of error with ``context: `` put in front.

        >>> str(SpecError("stride must be positive").within("layer 'c1' (conv2d)"))
        "layer 'c1' (conv2d): stride must be positive"
        """
        return type(self)(f"{context}: {self.message}", rule=self.rule)


class SpecError(ConvCalcError):
    """A layer option is invalid whatever the input."""

    rule = "schema"


class ShapeError(ConvCalcError):
    """A layer cannot be applied to the shape it receives."""

    rule = "impossible-layer"


class InputError(ConvCalcError):
    """A value typed by the user cannot be read."""
