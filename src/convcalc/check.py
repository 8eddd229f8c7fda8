"""``convcalc check``: architecture files examined for CI.

For each file: load and validate it (any error becomes one finding with its
place), compare the figures its ``expect:`` section asserts, and look for
things that work but are probably not meant (warnings). The result is a flat
list of :class:`~convcalc.findings.Finding`; formats live in
:mod:`convcalc.checkformats`.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from .errors import ConvCalcError
from .findings import Finding, rule
from .loader import LoadError, parse_model
from .model import INPUT, Model, Summary, analyse

__all__ = ["CheckResult", "check_file", "check_paths", "expand_paths"]

SUFFIXES = (".yaml", ".yml")

Verifier = Callable[[Model, Summary], list[tuple[int, str]]]
"""Runs the forward pass; returns (node index, message) per disagreement."""


class CheckResult(NamedTuple):
    files: list[str]
    """Every file checked, in order."""
    findings: list[Finding]

    @property
    def fatal(self) -> bool:
        return any(f.code == "CC001" for f in self.findings)

    @property
    def failed(self) -> bool:
        return any(f.fails for f in self.findings)


def expand_paths(paths: Iterable[str]) -> tuple[list[str], list[Finding]]:
    """Files named, found under folders (``*.yaml``, ``*.yml``) or by globs.

    Paths that match nothing are fatal findings (CC001).
    """
    files: list[str] = []
    problems: list[Finding] = []
    for given in paths:
        if os.path.isdir(given):
            found = sorted(
                str(p) for p in Path(given).rglob("*") if p.suffix in SUFFIXES and p.is_file()
            )
            if not found:
                problems.append(_unreadable(given, "is a folder with no .yaml or .yml files"))
            files.extend(found)
        elif os.path.exists(given):
            files.append(given)
        elif glob.has_magic(given):
            found = sorted(p for p in glob.glob(given, recursive=True) if os.path.isfile(p))
            if not found:
                problems.append(_unreadable(given, "matches no file"))
            files.extend(found)
        else:
            problems.append(_unreadable(given, "no such file or folder"))
    return list(dict.fromkeys(files)), problems


def _unreadable(path: str, why: str) -> Finding:
    return Finding(path, 1, 1, "CC001", why)


def check_paths(paths: Iterable[str], strict: bool = False, verify: Verifier | None = None) -> CheckResult:
    files, findings = expand_paths(paths)
    for path in files:
        findings.extend(check_file(path, strict, verify))
    return CheckResult(files, findings)


def check_file(path: str, strict: bool = False, verify: Verifier | None = None) -> list[Finding]:
    """Every finding for one file, in line order (a load error stops the rest)."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        return [_unreadable(path, f"is not UTF-8 text (byte {error.start})")]
    except OSError as error:
        return [_unreadable(path, f"cannot be read ({error.strerror})")]
    try:
        model = parse_model(text, path, default_name=Path(path).stem)
    except LoadError as error:
        return [_from_error(path, error)]
    summary = analyse(model)
    findings = [*_expectations(path, summary), *_warnings(path, summary, strict)]
    if verify is not None:
        for index, message in verify(model, summary):
            at = model.nodes[index].at if index != INPUT else None
            findings.append(Finding(path, at.line if at else 1, at.column if at else 1, "CC108", message))
    return sorted(findings, key=lambda f: (f.line, f.column, f.code))


_LOCATION = re.compile(r"(\d+):(\d+): (.*)", re.S)


def _from_error(path: str, error: ConvCalcError) -> Finding:
    """A load error's ``path:line:col: message`` as a finding."""
    message = error.message
    line, column, detail = 1, 1, message
    if message.startswith(f"{path}:"):
        rest = message[len(path) + 1 :]
        match = _LOCATION.match(rest)
        if match:
            line, column, detail = int(match[1]), int(match[2]), match[3]
        else:
            detail = rest.lstrip(": ").strip()
    code = rule(error.rule or "schema").code
    return Finding(path, line, column, code, detail)


# ------------------------------------------------------------ expectations


def _expectations(path: str, summary: Summary) -> list[Finding]:
    totals = summary.totals
    model_figures = {
        "params": totals.params,
        "trainable_params": totals.trainable_params,
        "non_trainable_params": totals.non_trainable_params,
        "macs": totals.macs,
    }
    rows = {row.node.name: row for row in summary.rows}
    layout = summary.model.layout
    findings = []
    for e in summary.model.expectations:
        if e.layer is None:
            actual = summary.output if e.figure == "output" else model_figures[e.figure]
            subject = e.figure
        else:
            r = rows[e.layer].result
            actual = {
                "output": r.output,
                "params": r.params,
                "trainable": r.trainable,
                "non_trainable": r.non_trainable,
                "macs": r.macs,
            }[e.figure]
            subject = f"layer {e.layer!r} {e.figure}"
        if actual != e.expected:
            if e.figure == "output":
                shown = f"{e.expected.format(layout)}, computed {actual.format(layout)}"
            else:
                shown = f"{e.expected:,}, computed {actual:,} ({actual - e.expected:+,})"
            findings.append(Finding(path, e.at.line, e.at.column, "CC107", f"expected {subject} {shown}"))
    return findings


# ------------------------------------------------------------ warnings


def _warnings(path: str, summary: Summary, strict: bool) -> list[Finding]:
    model = summary.model
    raw: list[tuple[int, int, str, str]] = []

    def add(at: object, code: str, message: str) -> None:
        if at is not None:
            raw.append((at.line, at.column, code, message))  # type: ignore[attr-defined]

    padding = trailing_padding(model)
    for row in summary.rows:
        node = row.node
        label = f"layer {node.name!r} ({node.spec.kind})"
        windows = getattr(node.spec, "windows", None)
        if windows is not None and row.inputs[0].is_map:
            parts = []
            source = node.inputs[0]
            pads = padding[source] if source != INPUT else (0, 0)
            for w, pad in zip(windows(row.inputs[0]), pads):
                # rows a zeropad2d added are not input the network loses
                if w.dropped > pad and not w.ceil_mode:
                    unit = "row" if w.axis == "H" else "column"
                    many = f"the last {w.dropped} input {unit}s" if w.dropped > 1 else f"the last input {unit}"
                    parts.append(f"{many} of {w.axis}={w.size}")
            if parts:
                add(node.at, "CC201", f"{label}: rounding down leaves {' and '.join(parts)} read by no window")
            if node.spec.kind in ("maxpool2d", "avgpool2d"):
                for w in windows(row.inputs[0]):
                    if w.size == 1 and w.kernel > 1:
                        side = "high" if w.axis == "H" else "wide"
                        add(node.at, "CC202", f"{label}: its input is 1 pixel {side} but the window is {w.kernel}; the pooling only sees padding")
                        break
        if node.spec.kind.startswith("adaptive_") and row.inputs[0].is_map:
            h, w = row.inputs[0].hw
            oh, ow = node.spec.output_size  # type: ignore[attr-defined]
            if oh > h or ow > w:
                add(node.at, "CC202", f"{label}: output {oh}×{ow} is larger than its {h}×{w} input, so windows repeat pixels")

    # Layers that do not reach the output, reported once per dead region, at
    # the layer that starts it: a lone dead end is "unused" (CC203), a longer
    # chain "unreachable" (CC204).
    readers: list[list[int]] = [[] for _ in model.nodes]
    for i, node in enumerate(model.nodes):
        for j in node.inputs:
            if j != INPUT:
                readers[j].append(i)
    reaches = _reaching_output(model)
    output_name = model.nodes[model.output].name
    for i, node in enumerate(model.nodes):
        if reaches[i] or any(j != INPUT and not reaches[j] for j in node.inputs):
            continue
        label = f"layer {node.name!r} ({node.spec.kind})"
        region = _downstream(i, readers)
        if len(region) == 1:
            add(node.at, "CC203", f"{label}: its output is read by no layer and is not the model output {output_name!r}")
        else:
            names = ", ".join(model.nodes[k].name for k in region[:4]) + (", …" if len(region) > 4 else "")
            add(node.at, "CC204", f"{label} starts {len(region)} layers ({names}) whose output never reaches the model output {output_name!r}")
    for name, at in model.unused_blocks:
        add(at, "CC205", f"block {name!r} is defined but never used")
    return _merge_repeats(path, raw, strict)


_PASS_THROUGH = frozenset(
    {"batchnorm2d", "layernorm", "dropout", "relu", "relu6", "leaky_relu", "sigmoid", "tanh",
     "gelu", "silu", "hardswish", "hardsigmoid", "softmax", "channel_shuffle"}
)


def trailing_padding(model: Model) -> list[tuple[int, int]]:
    """Per node: how many of its last rows and columns are zeropad2d padding."""
    trailing: list[tuple[int, int]] = []
    for node in model.nodes:
        source = node.inputs[0]
        before = trailing[source] if source != INPUT else (0, 0)
        if node.spec.kind == "zeropad2d":
            p = node.spec.padding  # type: ignore[attr-defined]
            trailing.append((before[0] + p.bottom, before[1] + p.right))
        elif node.spec.kind in _PASS_THROUGH:
            trailing.append(before)
        else:
            trailing.append((0, 0))
    return trailing


def _downstream(start: int, readers: list[list[int]]) -> list[int]:
    """``start`` and every layer that reads from it, directly or not, in order."""
    seen = {start}
    stack = [start]
    while stack:
        for k in readers[stack.pop()]:
            if k not in seen:
                seen.add(k)
                stack.append(k)
    return sorted(seen)


def _reaching_output(model: Model) -> list[bool]:
    """Which nodes feed, directly or not, the output node."""
    reaches = [False] * len(model.nodes)
    reaches[model.output] = True
    for i in range(len(model.nodes) - 1, -1, -1):
        if reaches[i]:
            for j in model.nodes[i].inputs:
                if j != INPUT:
                    reaches[j] = True
    return reaches


def _merge_repeats(path: str, raw: list[tuple[int, int, str, str]], strict: bool) -> list[Finding]:
    """One finding per place and rule: a block used six times warns once."""
    first: dict[tuple[int, int, str], str] = {}
    extra: dict[tuple[int, int, str], int] = {}
    for line, column, code, message in raw:
        key = (line, column, code)
        if key in first:
            extra[key] += 1
        else:
            first[key] = message
            extra[key] = 0
    findings = []
    for (line, column, code), message in first.items():
        if extra[(line, column, code)]:
            n = extra[(line, column, code)]
            message += f" (and {n} more use{'s' if n > 1 else ''} of this line)"
        findings.append(Finding(path, line, column, code, message, strict=strict))
    return findings
