"""A :class:`~convcalc.graph.Graph` laid out by Graphviz ``dot`` as SVG, PNG or PDF.

``dot`` is run as a subprocess (the DOT text on stdin, the drawing on
stdout) with a timeout, rather than through the ``graphviz`` PyPI package:
that package is itself a thin wrapper that runs the same binary, so it would
add a dependency and an import without removing the need for the system
``dot``. When ``dot`` is missing the error says how to install it.
"""

from __future__ import annotations

import shutil
import subprocess
from enum import Enum

from .errors import ConvCalcError

__all__ = ["DRAWING_FORMATS", "Drawing", "DrawingError", "render"]

TIMEOUT = 120
"""Seconds ``dot`` may take, a backstop: a drawing that would take long is
refused before ``dot`` runs (:data:`convcalc.graph.MAX_LAYOUT`). ResNet-50 at
full depth takes 0.2 s here, DenseNet-121 0.5 s."""


class Drawing(str, Enum):
    """Formats ``dot`` writes for a network drawing."""

    SVG = "svg"
    PNG = "png"
    PDF = "pdf"

    @property
    def binary(self) -> bool:
        return self is not Drawing.SVG


DRAWING_FORMATS = tuple(d.value for d in Drawing)


class DrawingError(ConvCalcError):
    """Graphviz is missing or failed to lay out a drawing."""

    rule = "drawing"


INSTALL = (
    "drawing a network needs Graphviz's 'dot' program, which was not found; "
    "install Graphviz (apt-get install graphviz, brew install graphviz, or https://graphviz.org/download/)"
)


def render(dot_text: str, fmt: Drawing, *, program: str = "dot") -> bytes:
    """Lay out ``dot_text`` with ``program`` and return the drawing in ``fmt``."""
    found = shutil.which(program)
    if found is None:
        raise DrawingError(INSTALL)
    try:
        done = subprocess.run(
            [found, f"-T{fmt.value}"], input=dot_text.encode("utf-8"), capture_output=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise DrawingError(f"Graphviz 'dot' took more than {TIMEOUT} s; draw fewer boxes with --depth") from None
    except OSError as error:
        raise DrawingError(f"Graphviz 'dot' could not be run ({error.strerror or error})") from None
    if done.returncode != 0 or not done.stdout:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        why = detail[-1] if detail else f"exit code {done.returncode}"
        raise DrawingError(f"Graphviz 'dot' failed to draw the network: {why}")
    return done.stdout
