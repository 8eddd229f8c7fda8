"""The report formats of ``convcalc check``: exact text and GitHub output, JSON
that round-trips, and JUnit and SARIF that validate against their published
schemas (vendored in tests/data/, see tests/data/README.md)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote

import jsonschema
import pytest
import xmlschema

import convcalc
from convcalc import checkformats
from convcalc.checkformats import (
    as_github,
    as_json,
    as_junit,
    as_sarif,
    as_text,
    report_order,
    text_line,
    text_summary,
)
from convcalc.findings import RULES, Finding, Severity

DATA = Path(__file__).parent / "data"

A, ODD, CLEAN, MISSING = "models/a.yaml", "models/b,c:50%.yaml", "models/clean.yaml", "missing.yaml"

# Given out of order on purpose: every format sorts by file, line, column.
SAMPLE = [
    Finding(A, 14, 5, "CC106", "layer 'conv3' (conv2d): kernel 7 is larger than the padded input 5 (H=3, padding=1)"),
    Finding(MISSING, 1, 1, "CC001", "no such file or directory"),
    Finding(A, 20, 3, "CC107", "expect: params 25,557,032 ≠ computed 25,610,152 (+0.2%)\nsee ‘fc’ — 2048×1000"),
    Finding(ODD, 7, 9, "CC201", "pool1: 1 of 224 input rows is never read", strict=True),
    Finding(A, 9, 3, "CC203", "layer 'aux' is read by nothing and is not the model output"),
]
WARNING_ONLY = [Finding(A, 9, 3, "CC203", "layer 'aux' is read by nothing and is not the model output")]


class Case(NamedTuple):
    findings: list[Finding]
    files: list[str]
    text: str
    github: str


CASES = {
    "mixed": Case(
        SAMPLE,
        [A, ODD, CLEAN, MISSING],
        "models/a.yaml:9:3: warning CC203 layer 'aux' is read by nothing and is not the model output\n"
        "models/a.yaml:14:5: error CC106 layer 'conv3' (conv2d): kernel 7 is larger than the padded input 5 (H=3, padding=1)\n"
        "models/a.yaml:20:3: error CC107 expect: params 25,557,032 ≠ computed 25,610,152 (+0.2%) see ‘fc’ — 2048×1000\n"
        "models/b,c:50%.yaml:7:9: warning CC201 pool1: 1 of 224 input rows is never read [--strict]\n"
        "missing.yaml:1:1: fatal CC001 no such file or directory\n"
        "4 files checked: 1 fatal, 2 errors, 2 warnings (1 failing under --strict)\n",
        "::group::models/a.yaml\n"
        "::warning file=models/a.yaml,line=9,col=3,title=CC203 unused-layer::layer 'aux' is read by nothing and is not the model output\n"
        "::error file=models/a.yaml,line=14,col=5,title=CC106 impossible-layer::layer 'conv3' (conv2d): kernel 7 is larger than the padded input 5 (H=3, padding=1)\n"
        "::error file=models/a.yaml,line=20,col=3,title=CC107 expectation::expect: params 25,557,032 ≠ computed 25,610,152 (+0.2%25)%0Asee ‘fc’ — 2048×1000\n"
        "::endgroup::\n"
        "::group::models/b,c:50%25.yaml\n"
        "::error file=models/b%2Cc%3A50%25.yaml,line=7,col=9,title=CC201 dropped-pixels::pool1: 1 of 224 input rows is never read [--strict]\n"
        "::endgroup::\n"
        "::group::missing.yaml\n"
        "::error file=missing.yaml,line=1,col=1,title=CC001 unreadable::no such file or directory\n"
        "::endgroup::\n"
        "4 files checked: 1 fatal, 2 errors, 2 warnings (1 failing under --strict)\n",
    ),
    "warning-only": Case(
        WARNING_ONLY,
        [A, CLEAN],
        "models/a.yaml:9:3: warning CC203 layer 'aux' is read by nothing and is not the model output\n"
        "2 files checked: 1 warning\n",
        "::group::models/a.yaml\n"
        "::warning file=models/a.yaml,line=9,col=3,title=CC203 unused-layer::layer 'aux' is read by nothing and is not the model output\n"
        "::endgroup::\n"
        "2 files checked: 1 warning\n",
    ),
    "clean": Case([], [A, CLEAN], "2 files checked: no findings\n", "2 files checked: no findings\n"),
    "one-clean-file": Case([], [CLEAN], "1 file checked: no findings\n", "1 file checked: no findings\n"),
}
IDS = list(CASES)
RENDERERS = [as_text, as_json, as_github, as_junit, as_sarif]


@pytest.fixture(scope="module")
def junit_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(DATA / "junit-10.xsd")


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_public_names() -> None:
    assert checkformats.__all__ == [
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


# -- text -----------------------------------------------------------------------


@pytest.mark.parametrize("name", IDS)
def test_text_exact(name: str) -> None:
    case = CASES[name]
    assert as_text(case.findings, case.files) == case.text


def test_text_is_lines_then_summary() -> None:
    # What the CLI prints when it colours each line itself.
    lines = as_text(SAMPLE, CASES["mixed"].files).splitlines()
    ordered = sorted(SAMPLE, key=lambda f: ([A, ODD, CLEAN, MISSING].index(f.path), f.line, f.column))
    assert report_order(SAMPLE, CASES["mixed"].files) == ordered
    assert lines == [*map(text_line, ordered), text_summary(SAMPLE, CASES["mixed"].files)]


@pytest.mark.parametrize(
    ("finding", "line"),
    [
        (Finding("m.yaml", 3, 1, "CC101", "bad\r\n   indent"), "m.yaml:3:1: error CC101 bad indent"),
        (Finding("m.yaml", 2, 4, "CC202", "pool: 1-pixel side", strict=True), "m.yaml:2:4: warning CC202 pool: 1-pixel side [--strict]"),
        (Finding("m.yaml", 2, 4, "CC202", "pool: 1-pixel side"), "m.yaml:2:4: warning CC202 pool: 1-pixel side"),
        # strict only changes warnings: an error is an error either way.
        (Finding("m.yaml", 5, 2, "CC104", "'from: x' names no earlier layer", strict=True), "m.yaml:5:2: error CC104 'from: x' names no earlier layer"),
    ],
    ids=["line-breaks", "strict-warning", "warning", "strict-error"],
)
def test_text_line(finding: Finding, line: str) -> None:
    assert text_line(finding) == line


# -- GitHub ---------------------------------------------------------------------


@pytest.mark.parametrize("name", IDS)
def test_github_exact(name: str) -> None:
    case = CASES[name]
    assert as_github(case.findings, case.files) == case.github


@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("50%", "50%25", "50%25"),
        ("a\nb", "a%0Ab", "a%0Ab"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("k: v, w", "k: v, w", "k%3A v%2C w"),
        ("%0A", "%250A", "%250A"),  # an escape-looking text is escaped, not passed through
        ("ré × 2 — ‘q’", "ré × 2 — ‘q’", "ré × 2 — ‘q’"),
    ],
    ids=["plain", "percent", "newline", "crlf", "colon-comma", "fake-escape", "non-ascii"],
)
def test_github_escaping(raw: str, data: str, prop: str) -> None:
    assert checkformats._escape_data(raw) == data
    assert checkformats._escape_property(raw) == prop
    # The escapes are percent-encodings, so the standard decoder undoes them.
    assert unquote(data) == unquote(prop) == raw


def test_github_commands_stay_on_one_line() -> None:
    lines = as_github(SAMPLE, CASES["mixed"].files).splitlines()
    annotations = [line for line in lines if line.startswith(("::error ", "::warning "))]
    assert len(annotations) == len(SAMPLE)
    for line in annotations:
        props = line.split(" ", 1)[1].split("::", 1)[0]  # properties cannot hold "::", escaped
        assert "\r" not in line and "\n" not in line
        assert [kv.split("=", 1)[0] for kv in props.split(",")] == ["file", "line", "col", "title"]


# -- JSON -----------------------------------------------------------------------


@pytest.mark.parametrize("name", IDS)
def test_json_round_trips(name: str) -> None:
    case = CASES[name]
    doc = json.loads(as_json(case.findings, case.files))
    assert doc["version"] == 1
    assert doc["files"] == case.files
    assert sorted((f["path"], f["line"], f["column"], f["code"], f["message"]) for f in doc["findings"]) == sorted(
        (f.path, f.line, f.column, f.code, f.message) for f in case.findings
    )
    for entry in doc["findings"]:
        rule = RULES[entry["code"]]
        assert (entry["rule"], entry["severity"]) == (rule.name, rule.severity.value)
        assert set(entry) == {"path", "line", "column", "severity", "code", "rule", "message", "fails"}
    severities = [f["severity"] for f in doc["findings"]]
    assert doc["summary"] == {
        "errors": severities.count("error"),
        "warnings": severities.count("warning"),
        "fatal": severities.count("fatal"),
        "failed": any(f["fails"] for f in doc["findings"]),
    }


def test_json_sample_counts() -> None:
    doc = json.loads(as_json(SAMPLE, CASES["mixed"].files))
    assert doc["summary"] == {"errors": 2, "warnings": 2, "fatal": 1, "failed": True}
    assert [f["fails"] for f in doc["findings"]] == [False, True, True, True, True]
    assert doc["findings"][3] | {"message": ""} == {
        "path": ODD, "line": 7, "column": 9, "severity": "warning", "code": "CC201",
        "rule": "dropped-pixels", "message": "", "fails": True,
    }  # fmt: skip


def test_json_warning_only_does_not_fail() -> None:
    assert json.loads(as_json(WARNING_ONLY, [A]))["summary"]["failed"] is False


# -- JUnit ----------------------------------------------------------------------


@pytest.mark.parametrize("name", IDS)
def test_junit_validates(name: str, junit_schema: xmlschema.XMLSchema) -> None:
    case = CASES[name]
    junit_schema.validate(as_junit(case.findings, case.files))


@pytest.mark.parametrize("name", IDS)
def test_junit_counts(name: str) -> None:
    case = CASES[name]
    suite = ET.fromstring(as_junit(case.findings, case.files))
    fatal_files = {f.path for f in case.findings if f.severity is Severity.FATAL}
    failing_files = {f.path for f in case.findings if f.fails} - fatal_files
    assert suite.tag == "testsuite" and suite.get("name") == "convcalc check"
    assert [c.get("name") for c in suite.iter("testcase")] == case.files
    assert {c.get("classname") for c in suite.iter("testcase")} <= {"convcalc.check"}
    assert suite.get("tests") == str(len(case.files))
    assert suite.get("failures") == str(len(failing_files)) == str(len(suite.findall("testcase/failure")))
    assert suite.get("errors") == str(len(fatal_files)) == str(len(suite.findall("testcase/error")))


def test_junit_sample_contents() -> None:
    suite = ET.fromstring(as_junit(SAMPLE, CASES["mixed"].files))
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    failure = cases[A].find("failure")
    assert failure is not None
    assert failure.get("type") == "CC106"
    assert failure.get("message") == text_line(SAMPLE[0])
    assert failure.text == f"{text_line(SAMPLE[0])}\n{text_line(SAMPLE[2])}"
    assert cases[A].findtext("system-out") == text_line(SAMPLE[4])  # the warning that does not fail
    assert cases[ODD].find("failure").get("type") == "CC201"  # strict warning fails the file
    assert len(cases[CLEAN]) == 0
    assert cases[MISSING].find("error").get("type") == "CC001"


def test_junit_survives_characters_xml_cannot_carry(junit_schema: xmlschema.XMLSchema) -> None:
    report = as_junit([Finding("x<&>\".yaml", 1, 1, "CC101", "bell\x07 & <tag> \"q\"\r\nnext")], ["x<&>\".yaml"])
    junit_schema.validate(report)
    case = ET.fromstring(report).find("testcase")
    assert case.get("name") == "x<&>\".yaml"
    # The text line already shows the bell escaped, as a terminal would get it.
    assert case.find("failure").text == "x<&>\".yaml:1:1: error CC101 bell\\x07 & <tag> \"q\" next"


def test_junit_schema_is_not_vacuous(junit_schema: xmlschema.XMLSchema) -> None:
    assert not junit_schema.is_valid('<testsuite name="x"><testcase name="a"/></testsuite>')  # no counts
    assert not junit_schema.is_valid('<testsuite name="x" tests="1" failures="0" errors="0"><case/></testsuite>')


# -- SARIF ----------------------------------------------------------------------


@pytest.mark.parametrize("name", IDS)
def test_sarif_validates(name: str, sarif_validator: jsonschema.protocols.Validator) -> None:
    case = CASES[name]
    sarif_validator.validate(json.loads(as_sarif(case.findings, case.files)))


def test_sarif_schema_is_not_vacuous(sarif_validator: jsonschema.protocols.Validator) -> None:
    doc = json.loads(as_sarif(SAMPLE, CASES["mixed"].files))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    assert not sarif_validator.is_valid(doc)
    assert not sarif_validator.is_valid({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]})


def test_sarif_contents() -> None:
    files = CASES["mixed"].files
    doc = json.loads(as_sarif(SAMPLE, files))
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-schema-2.1.0.json")
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("convcalc", convcalc.__version__)
    assert driver["informationUri"].startswith("https://")
    assert [(r["id"], r["name"], r["shortDescription"]["text"], r["defaultConfiguration"]["level"]) for r in driver["rules"]] == [
        (r.code, r.name, r.summary, "warning" if r.severity is Severity.WARNING else "error") for r in RULES.values()
    ]
    assert [a["location"]["uri"] for a in run["artifacts"]] == ["models/a.yaml", "models/b%2Cc%3A50%25.yaml", "models/clean.yaml", "missing.yaml"]
    assert run["invocations"] == [{"executionSuccessful": False}]  # missing.yaml could not be checked
    got = []
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert run["artifacts"][artifact["index"]]["location"]["uri"] == artifact["uri"]
        region = location["physicalLocation"]["region"]
        got.append((files[artifact["index"]], region["startLine"], region["startColumn"], result["ruleId"], result["level"], result["message"]["text"]))
    assert got == [
        (A, 9, 3, "CC203", "warning", SAMPLE[4].message),
        (A, 14, 5, "CC106", "error", SAMPLE[0].message),
        (A, 20, 3, "CC107", "error", SAMPLE[2].message),
        (ODD, 7, 9, "CC201", "error", SAMPLE[3].message),  # strict: fails, so an error in this run
        (MISSING, 1, 1, "CC001", "error", SAMPLE[1].message),  # fatal has no SARIF level of its own
    ]


def test_sarif_clean_run_succeeds() -> None:
    (run,) = json.loads(as_sarif([], [A]))["runs"]
    assert run["results"] == [] and run["invocations"] == [{"executionSuccessful": True}]


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("models/a.yaml", "models/a.yaml"),
        ("./models/a.yaml", "models/a.yaml"),
        ("../up/a.yaml", "../up/a.yaml"),
        ("res net/ré.yaml", "res%20net/r%C3%A9.yaml"),
        ("/abs/x y.yaml", "file:///abs/x%20y.yaml"),
    ],
    ids=["relative", "dot", "parent", "space-non-ascii", "absolute"],
)
def test_sarif_uri(path: str, uri: str) -> None:
    assert checkformats._uri(path) == uri


# -- all formats ----------------------------------------------------------------


@pytest.mark.parametrize("render", RENDERERS, ids=lambda r: r.__name__)
def test_input_order_does_not_matter(render) -> None:
    files = CASES["mixed"].files
    assert render(SAMPLE, files) == render(SAMPLE[::-1], files)


@pytest.mark.parametrize("render", RENDERERS, ids=lambda r: r.__name__)
def test_unlisted_path_is_reported(render) -> None:
    # A finding whose path the caller forgot to list still appears, after the listed files.
    stray = [Finding("stray.yaml", 2, 2, "CC106", "boom")]
    assert "stray.yaml:2:2: error CC106 boom" in as_text(stray, [A])
    report = render(stray, [A])
    assert "stray.yaml" in report
    assert "2 files checked: 1 error" in as_text(stray, [A])
    assert json.loads(as_json(stray, [A]))["files"] == [A, "stray.yaml"]
