"""Models people already have (ONNX, Keras) read as convcalc architecture files.

A reader turns a file into a *document*, the dict an architecture YAML file
holds, with the source's layer names; :func:`~.document.to_yaml` writes it,
and the normal loader reads it, so every figure, ``--explain``, receptive
fields, ``--verify``, ``check`` and ``solve --model`` work unchanged::

    FILE.onnx   → importers.onnx.read_onnx     (standard library: importers.onnxproto)
    FILE.keras  → importers.keras.read_keras   (standard library only)
    FILE.json   → importers.keras.read_keras   (Keras ``model.to_json()``)
    anything else: the file's own text

The readers import their parsers lazily, and :mod:`.document` is imported
on first use: a YAML file pays nothing for this.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..dtypes import Unknown

__all__ = ["COMMENT", "IMPORT_SUFFIXES", "SourceError", "Unknown", "is_import", "load_source", "read_document", "to_yaml"]

IMPORT_SUFFIXES = (".onnx", ".keras", ".json")
"""File suffixes read by an importer rather than as YAML."""


def __getattr__(name: str) -> Any:
    """``COMMENT``, ``SourceError`` and ``to_yaml``, from :mod:`.document` on first use."""
    if name in ("COMMENT", "SourceError", "to_yaml"):
        from . import document

        return getattr(document, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_import(path: str | Path) -> bool:
    """True when ``path`` names a file an importer reads (by suffix)."""
    return Path(path).suffix.lower() in IMPORT_SUFFIXES


def read_document(path: str | Path, *, input: Any = None, unknown: str = "error") -> dict[str, Any]:
    """The convcalc document for an ONNX or Keras file.

    ``input`` overrides the spatial size: ``(H, W)`` or ``(H, W, C)``.
    """
    from .document import SourceError

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        from .onnx import read_onnx

        return read_onnx(path, input=input, unknown=Unknown(unknown).value)
    if suffix in (".keras", ".json"):
        from .keras import read_keras  # type: ignore[import-not-found]

        if unknown != "error":
            raise SourceError("--unknown applies to ONNX files only", context=str(path))
        return read_keras(path, input=input)
    raise SourceError("not an ONNX (.onnx) or Keras (.keras, .json) file", context=str(path))


def load_source(path: str | Path, *, input: Any = None, unknown: str = "error") -> str:
    """YAML text for ``path``: converted from ONNX or Keras, or the file's own text."""
    from .document import SourceError, to_yaml

    path = Path(path)
    if is_import(path):
        return to_yaml(read_document(path, input=input, unknown=unknown))
    if input is not None:
        raise SourceError("--input goes with ONNX and Keras files; an architecture file declares its own input", context=str(path))
    from ..files import read_source  # regular files only, size-capped, never blocks

    return read_source(path)
