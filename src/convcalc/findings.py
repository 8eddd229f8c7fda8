"""What ``convcalc check`` reports: findings, their rules and codes.

A :class:`Finding` is one problem at one place in one file. Every finding
belongs to a :class:`Rule` with a stable code; the table :data:`RULES` is the
single list of them (documented in ``docs/check.md``), so output formats
(text, JSON, GitHub annotations, JUnit, SARIF) and tests all read it.

Codes ``CC1xx`` are errors (the file is wrong), ``CC2xx`` warnings (the file
works but probably not as meant). ``CC001`` means the tool could not run on
the path at all (exit code 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

__all__ = ["RULES", "Finding", "Rule", "Severity", "rule"]


class Severity(str, Enum):
    """How bad a finding is; ``fatal`` means the path could not be checked."""

    ERROR = "error"
    WARNING = "warning"
    FATAL = "fatal"


class Rule(NamedTuple):
    """A kind of finding."""

    code: str
    """Stable identifier, e.g. ``CC104``."""
    name: str
    """Short kebab-case name, e.g. ``impossible-layer``."""
    severity: Severity
    summary: str
    """One sentence: what the rule finds."""


RULES: dict[str, Rule] = {
    r.code: r
    for r in [
        Rule("CC001", "unreadable", Severity.FATAL, "The path does not exist, is not readable, or is not UTF-8 text."),
        Rule("CC101", "yaml-syntax", Severity.ERROR, "The file is not valid YAML."),
        Rule("CC102", "schema", Severity.ERROR, "A key is unknown or missing, or a value has the wrong type or range."),
        Rule("CC103", "unknown-kind", Severity.ERROR, "A layer names a kind, block or container that does not exist."),
        Rule("CC104", "dangling-reference", Severity.ERROR, "'from', 'output' or 'expect: layers' names a layer that does not exist (or, for 'from', comes later)."),
        Rule("CC105", "merge-mismatch", Severity.ERROR, "add, multiply or concat joins shapes that do not fit together."),
        Rule("CC106", "impossible-layer", Severity.ERROR, "A layer cannot be applied to the shape it receives."),
        Rule("CC107", "expectation", Severity.ERROR, "A figure in 'expect:' differs from the computed one."),
        Rule("CC108", "verify-mismatch", Severity.ERROR, "The NumPy forward pass disagrees with a computed shape or count."),
        Rule("CC201", "dropped-pixels", Severity.WARNING, "Rounding down leaves input rows or columns that no window reads."),
        Rule("CC202", "collapsed-pooling", Severity.WARNING, "A pooling layer receives a 1-pixel side but has a larger window."),
        Rule("CC203", "unused-layer", Severity.WARNING, "A layer's output is read by nothing and is not the model output."),
        Rule("CC204", "unreachable-layer", Severity.WARNING, "A layer's output never reaches the model output."),
        Rule("CC205", "unused-block", Severity.WARNING, "A block is defined but never used."),
    ]
}

_BY_NAME = {r.name: r for r in RULES.values()}


def rule(name: str) -> Rule:
    """The rule called ``name`` (``'impossible-layer'`` → CC106)."""
    return _BY_NAME[name]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem at one place."""

    path: str
    line: int
    """1-based; 1 when the problem is the whole file."""
    column: int
    """1-based."""
    code: str
    message: str
    """One sentence, without the location."""
    strict: bool = False
    """True when ``--strict`` made this warning fail the check."""

    @property
    def rule(self) -> Rule:
        return RULES[self.code]

    @property
    def severity(self) -> Severity:
        return self.rule.severity

    @property
    def fails(self) -> bool:
        """Whether this finding makes the check fail (exit code 1 or 2)."""
        return self.severity is not Severity.WARNING or self.strict
