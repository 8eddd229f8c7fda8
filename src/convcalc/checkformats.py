"""The reports of ``convcalc check``: text, JSON, GitHub annotations, JUnit, SARIF.

Each ``as_*`` function is pure: it takes the findings and every file that was
checked (clean ones too, in order) and returns the whole report as a string.
Nothing here prints, colours or exits; the CLI does.

Every format lists findings in the same order: by file (in the order of
``files``), then line, then column; ties keep the order they came in. A path
that has findings but is missing from ``files`` is appended after them, so no
finding is ever dropped.

A warning that ``--strict`` made failing keeps its severity word
(``warning``): the rule has not changed, only its consequence. The human
formats add `` [--strict]`` to its message so a reader sees why it fails, and
the formats that only know "fails or not" report it as an error (GitHub
``::error``, SARIF ``level: error``, a JUnit ``<failure>``). JSON keeps
``"severity": "warning"`` with ``"fails": true``.

>>> from convcalc.findings import Finding
>>> found = [Finding("a.yaml", 14, 5, "CC106", "kernel 7 > input 5"),
...          Finding("a.yaml", 9, 3, "CC203", "layer 'aux' is unused", strict=True)]
>>> print(as_text(found, ["a.yaml", "b.yaml"]), end="")
a.yaml:9:3: warning CC203 layer 'aux' is unused [--strict]
a.yaml:14:5: error CC106 kernel 7 > input 5
2 files checked: 1 error, 1 warning (1 failing under --strict)
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import PurePath
from urllib.parse import quote

from .findings import RULES, Finding, Severity
from .formatting import escape_controls, shorten

__all__ = [
    "INFORMATION_URI",
    "as_github",
    "as_json",
    "as_junit",
    "as_sarif",
    "as_text",
    "report_order",
    "text_line",
    "text_summary",
]

INFORMATION_URI = "https://pypi.org/project/convcalc/"
"""Where SARIF viewers send a reader who asks what convcalc is."""

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

STRICT_MARK = " [--strict]"
"""Appended to the message of a warning that fails only because of ``--strict``."""


# -- shared -------------------------------------------------------------------


def _paths(findings: Iterable[Finding], files: list[str]) -> list[str]:
    """``files`` in order, then any path that has findings but was not listed."""
    seen = dict.fromkeys(files)
    for f in findings:
        seen.setdefault(f.path)
    return list(seen)


def _ordered(findings: list[Finding], paths: list[str]) -> list[Finding]:
    """By file (in ``paths`` order), line, column; stable for ties."""
    rank = {p: i for i, p in enumerate(paths)}
    return sorted(findings, key=lambda f: (rank[f.path], f.line, f.column))


def report_order(findings: list[Finding], files: list[str]) -> list[Finding]:
    """The findings in the order every format lists them: file, line, column.

    For a caller that renders lines itself (the CLI colours :func:`text_line`).
    """
    return _ordered(findings, _paths(findings, files))


def _by_file(findings: list[Finding], files: list[str]) -> dict[str, list[Finding]]:
    """Every path (clean ones too) with its findings, in report order."""
    grouped: dict[str, list[Finding]] = {p: [] for p in _paths(findings, files)}
    for f in report_order(findings, files):
        grouped[f.path].append(f)
    return grouped


def _strict_only(f: Finding) -> bool:
    """A warning that fails only because ``--strict`` was given."""
    return f.severity is Severity.WARNING and f.fails


def _shown(f: Finding) -> str:
    """The message as people read it: at most :data:`MAX_MESSAGE` characters, with the ``--strict`` mark where it applies."""
    return shorten(f.message) + (STRICT_MARK if _strict_only(f) else "")


def _level(f: Finding) -> str:
    """'error' or 'warning': whether the finding fails, for formats with only those two."""
    return "error" if f.fails else "warning"


def _plural(n: int, word: str) -> str:
    """``_plural(2, 'error') -> '2 errors'``; 'fatal' does not take an s."""
    return f"{n} {word}" if n == 1 or word == "fatal" else f"{n} {word}s"


def _count(findings: Iterable[Finding], severity: Severity) -> int:
    return sum(f.severity is severity for f in findings)


# -- text ---------------------------------------------------------------------

_LINE_BREAK = re.compile(r"[ \t]*(?:\r\n|\r|\n)[ \t]*")


def text_line(finding: Finding) -> str:
    """One finding as ``path:line:col: severity CODE message``.

    Line breaks inside the message become spaces, so each finding is exactly
    one line (grep and editors' problem matchers rely on that). Other control
    characters, in the message or the path, are shown escaped, so a file
    cannot drive the terminal that reads the report.

    >>> text_line(Finding("m.yaml", 3, 1, "CC101", "expected a mapping,\\n  found a list"))
    'm.yaml:3:1: error CC101 expected a mapping, found a list'
    >>> text_line(Finding("\\x1b[2J.yaml", 1, 1, "CC001", "no such file"))
    '\\\\x1b[2J.yaml:1:1: fatal CC001 no such file'
    """
    message = escape_controls(_LINE_BREAK.sub(" ", _shown(finding)))
    path = escape_controls(finding.path)
    return f"{path}:{finding.line}:{finding.column}: {finding.severity.value} {finding.code} {message}"


def text_summary(findings: list[Finding], files: list[str]) -> str:
    """The closing line: how many files, and how many findings of each severity.

    Zero counts are left out; a warning failing under ``--strict`` is counted
    as a warning and noted.

    >>> text_summary([], ["a.yaml"])
    '1 file checked: no findings'
    >>> text_summary([Finding("a.yaml", 1, 1, "CC106", "x")] * 2, ["a.yaml", "b.yaml"])
    '2 files checked: 2 errors'
    """
    n_files = len(_paths(findings, files))
    head = f"{_plural(n_files, 'file')} checked"
    fatal, errors = _count(findings, Severity.FATAL), _count(findings, Severity.ERROR)
    warnings = _count(findings, Severity.WARNING)
    strict = sum(_strict_only(f) for f in findings)
    parts = [_plural(n, word) for n, word in [(fatal, "fatal"), (errors, "error"), (warnings, "warning")] if n]
    if strict:
        parts[-1] += f" ({strict} failing under --strict)"
    return f"{head}: {', '.join(parts) if parts else 'no findings'}"


def as_text(findings: list[Finding], files: list[str]) -> str:
    """One :func:`text_line` per finding, then the :func:`text_summary` line."""
    lines = [text_line(f) for f in report_order(findings, files)]
    return "\n".join([*lines, text_summary(findings, files)]) + "\n"


# -- JSON ---------------------------------------------------------------------

JSON_VERSION = 1
"""Bumped when a key is removed or changes meaning; adding keys keeps it."""


def as_json(findings: list[Finding], files: list[str]) -> str:
    """A stable JSON document.

    ``{"version": 1, "files": [...], "findings": [{path, line, column,
    severity, code, rule, message, fails}], "summary": {errors, warnings,
    fatal, failed}}``; severities are the rules' own (a strict warning is
    ``"warning"`` with ``"fails": true``), messages are unchanged but for
    a cut in the middle of one over 500 characters (:func:`~convcalc.formatting.shorten`).
    """
    paths = _paths(findings, files)
    doc = {
        "schema_version": JSON_VERSION,  # the name every convcalc JSON document uses (docs/output.md)
        "version": JSON_VERSION,
        "files": paths,
        "findings": [
            {
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "severity": f.severity.value,
                "code": f.code,
                "rule": f.rule.name,
                "message": shorten(f.message),
                "fails": f.fails,
            }
            for f in _ordered(findings, paths)
        ],
        "summary": {
            "errors": _count(findings, Severity.ERROR),
            "warnings": _count(findings, Severity.WARNING),
            "fatal": _count(findings, Severity.FATAL),
            "failed": any(f.fails for f in findings),
        },
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# -- GitHub Actions -------------------------------------------------------------


def _escape_data(text: str) -> str:
    """A workflow command's message, escaped as GitHub's toolkit does.

    >>> _escape_data("50% off\\r\\nnext: a,b")
    '50%25 off%0D%0Anext: a,b'
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """A workflow command's property value: as data, and ``:`` and ``,`` too.

    >>> _escape_property("dir:a,b/50%.yaml")
    'dir%3Aa%2Cb/50%25.yaml'
    """
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(f: Finding) -> str:
    """``::error file=…,line=…,col=…,title=CC106 impossible-layer::message``."""
    command = "error" if f.fails else "warning"
    props = {"file": escape_controls(f.path), "line": str(f.line), "col": str(f.column), "title": f"{f.code} {f.rule.name}"}
    joined = ",".join(f"{key}={_escape_property(value)}" for key, value in props.items())
    return f"::{command} {joined}::{_escape_data(escape_controls(_shown(f), newlines=True))}"


def as_github(findings: list[Finding], files: list[str]) -> str:
    """GitHub Actions workflow commands: annotations, grouped per file.

    Only files with findings get a ``::group::`` (a group per clean file would
    bury the few that matter in a long log); the :func:`text_summary` line
    closes the report outside any group. A finding that fails is ``::error``
    (fatal ones included), one that does not is ``::warning``.
    """
    lines: list[str] = []
    for path, found in _by_file(findings, files).items():
        if found:
            lines.append(f"::group::{_escape_data(escape_controls(path))}")
            lines.extend(_annotation(f) for f in found)
            lines.append("::endgroup::")
    lines.append(text_summary(findings, files))
    return "\n".join(lines) + "\n"


# -- JUnit XML ------------------------------------------------------------------

# Characters XML 1.0 cannot carry at all, even as references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Text that survives XML: forbidden characters as U+FFFD, line breaks as ``\\n``.

    (A parser would turn a bare ``\\r`` into ``\\n`` anyway.)

    >>> _xml_text("bell\\x07 and\\r\\nbreak") == "bell\\ufffd and\\nbreak"
    True
    """
    return _NOT_XML.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))


def as_junit(findings: list[Finding], files: list[str]) -> str:
    """JUnit XML: one ``<testsuite>`` with one ``<testcase>`` per checked file.

    A file that could not be checked (a fatal finding) gets an ``<error>``, one
    with failing findings a ``<failure>``; ``type`` is the first such finding's
    code, ``message`` its text line, and the element's text all of the file's
    failing findings, one text line each. Warnings that do not fail go into
    the test case's ``<system-out>``, so a file with only those passes.
    ``tests``, ``failures`` and ``errors`` count test cases (files), as JUnit
    does. Valid against Jenkins' ``junit-10.xsd``.
    """
    suite = ET.Element("testsuite", name="convcalc check")
    failures = errors = 0
    for path, found in _by_file(findings, files).items():
        case = ET.SubElement(suite, "testcase", classname="convcalc.check", name=_xml_text(path), time="0")
        failing = [f for f in found if f.fails]
        if failing:
            fatal = any(f.severity is Severity.FATAL for f in failing)
            errors += fatal
            failures += not fatal
            first = next(f for f in failing if f.severity is Severity.FATAL) if fatal else failing[0]
            element = ET.SubElement(case, "error" if fatal else "failure", message=_xml_text(text_line(first)), type=first.code)
            element.text = _xml_text("\n".join(text_line(f) for f in failing))
        passing = [f for f in found if not f.fails]
        if passing:
            ET.SubElement(case, "system-out").text = _xml_text("\n".join(text_line(f) for f in passing))
    suite.attrib.update(tests=str(len(suite)), failures=str(failures), errors=str(errors), skipped="0", time="0")
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


# -- SARIF ----------------------------------------------------------------------

_SARIF_DEFAULT_LEVEL = {Severity.ERROR: "error", Severity.FATAL: "error", Severity.WARNING: "warning"}


def _uri(path: str) -> str:
    """A path as a SARIF ``artifactLocation.uri``: relative with forward slashes.

    Relative paths stay relative (percent-encoded where a URI needs it), so
    GitHub code scanning can place them in the repository; absolute ones
    become ``file://`` URIs.

    >>> _uri("./models/res net.yaml")
    'models/res%20net.yaml'
    """
    pure = PurePath(path)
    return pure.as_uri() if pure.is_absolute() else quote(pure.as_posix(), safe="/")


def as_sarif(findings: list[Finding], files: list[str]) -> str:
    """A SARIF 2.1.0 log with one run.

    ``tool.driver.rules`` lists every rule in :data:`~convcalc.findings.RULES`
    (id = code, ``defaultConfiguration.level`` from its severity); each result
    names its rule by id and index, and its artifact by index into
    ``artifacts`` (every checked file). A result's ``level`` is ``error`` when
    the finding fails (fatal, error, or a warning under ``--strict``), else
    ``warning``. Columns count Unicode code points, as Python strings do.
    """
    from . import __version__

    paths = _paths(findings, files)
    rule_index = {code: i for i, code in enumerate(RULES)}
    artifact_index = {p: i for i, p in enumerate(paths)}
    rules = [
        {
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "defaultConfiguration": {"level": _SARIF_DEFAULT_LEVEL[r.severity]},
        }
        for r in RULES.values()
    ]
    results = [
        {
            "ruleId": f.code,
            "ruleIndex": rule_index[f.code],
            "level": _level(f),
            "message": {"text": shorten(f.message)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.path), "index": artifact_index[f.path]},
                        "region": {"startLine": f.line, "startColumn": f.column},
                    }
                }
            ],
        }
        for f in _ordered(findings, paths)
    ]
    run = {
        "tool": {
            "driver": {"name": "convcalc", "informationUri": INFORMATION_URI, "version": __version__, "rules": rules}
        },
        # A fatal finding means some path could not be checked at all.
        "invocations": [{"executionSuccessful": not any(f.severity is Severity.FATAL for f in findings)}],
        "columnKind": "unicodeCodePoints",
        "artifacts": [{"location": {"uri": _uri(p)}} for p in paths],
        "results": results,
    }
    doc = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
