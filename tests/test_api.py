"""The public surface: exported names, promised layer kinds, and clean core imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import convcalc
from convcalc.layers import KINDS

PUBLIC = [
    "ConvCalcError",
    "InputError",
    "KINDS",
    "Kind",
    "LayerResult",
    "LayerSpec",
    "Layout",
    "Shape",
    "ShapeError",
    "SpecError",
    "apply",
    "make_layer",
    "parse_shape",
]

PROMISED_KINDS = [
    "conv2d", "conv_transpose2d",
    "maxpool2d", "avgpool2d", "adaptive_avgpool2d", "adaptive_maxpool2d",
    "global_avgpool2d", "global_maxpool2d",
    "zeropad2d", "batchnorm2d", "layernorm", "dense", "flatten", "dropout",
    "relu", "leaky_relu", "relu6", "sigmoid", "tanh", "gelu", "silu", "hardswish", "hardsigmoid",
    "softmax", "upsample", "channel_shuffle", "add", "multiply", "concat",
]  # fmt: skip


def test_all_is_pinned() -> None:
    assert sorted(convcalc.__all__) == sorted(PUBLIC)
    assert len(convcalc.__all__) == len(set(convcalc.__all__))


@pytest.mark.parametrize("name", PUBLIC)
def test_public_name_importable(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from convcalc import {name}", namespace)
    assert namespace[name] is getattr(convcalc, name)


def test_promised_kinds() -> None:
    assert set(PROMISED_KINDS) <= set(KINDS)


_CORE_IMPORTS = """
import importlib, json, pkgutil, sys
import convcalc.layers
core = ["convcalc", "convcalc.shapes", "convcalc.errors", "convcalc.explain",
        "convcalc.report", "convcalc.formatting", "convcalc.layers", "convcalc.yamlnodes",
        "convcalc.expr", "convcalc.loader", "convcalc.model", "convcalc.dtypes", "convcalc.catalog",
        "convcalc.files", "convcalc.findings", "convcalc.check", "convcalc.checkformats",
        "convcalc.linesyntax", "convcalc.shell.state", "convcalc.forward.memory",
        "convcalc.receptive", "convcalc.solve", "convcalc.training"]
core += [m.name for m in pkgutil.walk_packages(convcalc.layers.__path__, "convcalc.layers.")]
for name in core:
    importlib.import_module(name)
print(json.dumps({"imported": core, "heavy": sorted(m for m in ("rich", "typer", "numpy") if m in sys.modules)}))
"""


def test_core_modules_import_no_rich_typer_numpy() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CORE_IMPORTS], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert "convcalc.layers.conv" in report["imported"]
    assert report["heavy"] == []
