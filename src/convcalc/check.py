"""``convcalc check``: architecture files examined for CI.

For each file: load and validate it (any error becomes one finding with its
place), compare the figures its ``expect:`` section asserts, and look for
things that work but are probably not meant (warnings). The result is a flat
list of :class:`~convcalc.findings.Finding`; formats live in
:mod:`convcalc.checkformats`.
"""

from __future__ import annotations

import copy
import glob
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from .errors import ConvCalcError
from .files import glob_files, unique_files
from .findings import Finding, rule
from .layers.window import axis_unit
from .loader import LoadError, parse
from .model import INPUT, Model, Summary

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
            found = glob_files(given)  # '**' does not follow folder links, so a link loop is walked once
            if not found:
                problems.append(_unreadable(given, "matches no file"))
            files.extend(found)
        else:
            problems.append(_unreadable(given, "no such file or folder"))
    return unique_files(files), problems  # one file reached by two names is checked once


def _unreadable(path: str, why: str) -> Finding:
    return Finding(path, 1, 1, "CC001", why)


def check_paths(paths: Iterable[str], strict: bool = False, verify: Verifier | None = None) -> CheckResult:
    files, findings = expand_paths(paths)
    for path in files:
        findings.extend(check_file(path, strict, verify))
    return CheckResult(files, findings)


def check_file(path: str, strict: bool = False, verify: Verifier | None = None) -> list[Finding]:
    """Every finding for one file, in line order (a load error stops the rest)."""
    from .files import UnreadableError, read_source  # regular files only, size-capped, never blocks
    from .importers import SourceError, is_import, load_source

    try:
        text = load_source(path) if is_import(path) else read_source(path)  # ONNX, Keras: converted
    except UnreadableError as error:
        if error.at is not None:  # a byte that is not UTF-8, at its line and column
            return [Finding(path, error.at.line, error.at.column, "CC001", error.reason)]
        return [_unreadable(path, error.reason)]
    except SourceError as error:
        return [_unreadable(path, error.reason)]
    try:
        summary = parse(text, path, default_name=Path(path).stem)
    except LoadError as error:
        return [_from_error(path, error)]
    model = summary.model
    findings = [*_expectations(path, summary), *_warnings(path, summary, strict)]
    if verify is not None:
        for index, message in verify(model, summary):
            at = model.nodes[index].at if index != INPUT else None
            findings.append(Finding(path, at.line if at else 1, at.column if at else 1, "CC108", message))
    return sorted(findings, key=lambda f: (f.line, f.column, f.code))


def _from_error(path: str, error: ConvCalcError) -> Finding:
    """A load error as a finding: its ``at`` gives the line and column, the rest the message."""
    at = error.at
    unplaced = copy.copy(error)
    unplaced.at = None
    code = rule(error.rule or "schema").code
    return Finding(path, at.line if at else 1, at.column if at else 1, code, unplaced.message)


# ------------------------------------------------------------ expectations


def _expectations(path: str, summary: Summary) -> list[Finding]:
    totals = summary.totals
    model_figures = {
        "params": totals.params,
        "trainable_params": totals.trainable_params,
        "non_trainable_params": totals.non_trainable_params,
        "macs": totals.macs,
    }
    layout = summary.model.layout
    findings = []
    for e in summary.model.expectations:
        if e.layer is None:
            actual = summary.output if e.figure == "output" else model_figures[e.figure]
            subject = e.figure
        else:
            r = summary.part(e.layer)  # a layer, or a group: the sums over its layers
            actual = {
                "output": r.output,
                "params": r.params,
                "trainable": r.trainable,
                "non_trainable": r.non_trainable,
                "macs": r.macs,
            }[e.figure]
            group = summary.model.groups.get(e.layer)
            subject = f"{e.layer!r} ({group}) {e.figure}" if group else f"layer {e.layer!r} {e.figure}"
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
        if windows is not None and row.inputs[0].rank > 1:
            parts = []
            source = node.inputs[0]
            found = windows(row.inputs[0])
            pads = padding[source] if source != INPUT else ()
            if len(pads) != len(found):  # the model input, or a rank change on the way
                pads = (0,) * len(found)
            for w, pad in zip(found, pads):
                # rows a zeropad2d added are not input the network loses
                if w.dropped > pad and not w.ceil_mode:
                    unit = axis_unit(w.axis)
                    many = f"the last {w.dropped} input {unit}s" if w.dropped > 1 else f"the last input {unit}"
                    parts.append(f"{many} of {w.axis}={w.size}")
            if parts:
                add(node.at, "CC201", f"{label}: rounding down leaves {' and '.join(parts)} read by no window")
            if getattr(node.spec, "pools", False):
                for w in found:
                    if w.size == 1 and w.kernel > 1:
                        side = {"H": "high", "W": "wide", "D": "deep"}.get(w.axis, "long")
                        add(node.at, "CC202", f"{label}: its input is 1 pixel {side} but the window is {w.kernel}; the pooling only sees padding")
                        break
        if node.spec.kind.startswith("adaptive_"):
            sizes, wanted = row.inputs[0].spatial, node.spec.output_size  # type: ignore[attr-defined]
            if any(o > n for o, n in zip(wanted, sizes)):
                unit = {1: "positions", 2: "pixels"}.get(len(sizes), "voxels")
                add(node.at, "CC202", f"{label}: output {'×'.join(map(str, wanted))} is larger than its {'×'.join(map(str, sizes))} input, so windows repeat {unit}")

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


def trailing_padding(model: Model) -> list[tuple[int, ...]]:
    """Per node: how many of its last positions along each spatial axis
    (rows and columns in 2-D) are zero padding a zeropad added (each kind
    says how padding passes through it: ``trailing_padding``)."""
    trailing: list[tuple[int, ...]] = []
    first = (0,) * (model.input.spatial_rank if model.input.rank > 1 else 2)
    for node in model.nodes:
        source = node.inputs[0]
        before = trailing[source] if source != INPUT else first
        trailing.append(node.spec.trailing_padding(before))
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
