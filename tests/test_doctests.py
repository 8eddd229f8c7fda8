"""Every docstring example in the installed package runs and holds."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import convcalc

MODULES = [
    "convcalc",
    *sorted(
        info.name
        for info in pkgutil.walk_packages(convcalc.__path__, prefix="convcalc.")
        # Importing __main__ would run the command line.
        if info.name != "convcalc.__main__"
    ),
]


def _run(name: str) -> doctest.TestResults:
    return doctest.testmod(importlib.import_module(name), verbose=False, report=True)


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name: str) -> None:
    assert _run(name).failed == 0


def test_some_doctests_exist() -> None:
    # Guards against the walk finding nothing (e.g. a broken install).
    assert {"convcalc.shapes", "convcalc.layers", "convcalc.formatting"} <= set(MODULES)
    assert sum(_run(name).attempted for name in MODULES) > 0
