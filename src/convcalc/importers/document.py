"""A convcalc document (the dict an architecture file holds) written as readable YAML.

Readers (:mod:`.onnx`, :mod:`.keras`) build a *document*: the same plain
structure ``yaml.safe_load`` gives for an architecture file (``name``,
``description``, ``input``, ``layers``, optionally ``blocks`` and ``output``).
:func:`to_yaml` writes it the way a person would: one layer per line with its
options in flow style, containers in block style.

Comments ride along as data under the key ``"#"``: at the top level a string
or a list of lines written as a header, and inside a layer's options a string
written after the layer's line. They never reach the loader.

>>> print(to_yaml({"name": "tiny", "input": [8, 8, 3], "layers": [
...     {"conv2d": {"name": "c1", "filters": 4, "kernel": 3, "#": "from Conv"}}, "relu"]}), end="")
name: tiny
input: [8, 8, 3]
layers:
  - conv2d: {name: c1, filters: 4, kernel: 3}  # from Conv
  - relu
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from ..errors import ConvCalcError

__all__ = ["COMMENT", "SourceError", "to_yaml"]

COMMENT = "#"
"""The key under which a document carries comments."""

TOP_ORDER = ("name", "description", "layout", "input", "params", "blocks", "layers", "output", "expect")

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/]*( [A-Za-z0-9_.\-/()]+)*\Z")
"""Text written without quotes: words of safe characters, single spaces between."""
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


class SourceError(ConvCalcError):
    """A model file in another format (ONNX, Keras) cannot be read or converted."""

    rule = "unreadable"


def to_yaml(doc: Mapping[str, Any]) -> str:
    """The document as YAML text that ``convcalc.loader`` reads back to the same dict."""
    lines: list[str] = []
    header = doc.get(COMMENT)
    if header:
        for line in [header] if isinstance(header, str) else header:
            lines.append(f"# {line}".rstrip())
    keys = [k for k in TOP_ORDER if k in doc] + [k for k in doc if k not in TOP_ORDER and k != COMMENT]
    for key in keys:
        value = doc[key]
        if key in ("layers",):
            lines.append(f"{key}:")
            lines.extend(_entries(value, 2))
        elif key == "blocks":
            lines.append("blocks:")
            for name, block in value.items():
                lines.append(f"  {_scalar(name)}:")
                for bkey, bvalue in block.items():
                    if bkey == "layers":
                        lines.append("    layers:")
                        lines.extend(_entries(bvalue, 6))
                    else:
                        lines.append(f"    {bkey}: {_flow(bvalue)}")
        else:
            lines.append(f"{key}: {_flow(value)}")
    return "\n".join(lines) + "\n"


def _entries(entries: list[Any], indent: int) -> list[str]:
    """One ``- kind: {options}`` line per layer; containers as nested blocks."""
    pad = " " * indent
    out: list[str] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            out.append(f"{pad}- {_scalar(entry)}")
            continue
        ((kind, options),) = entry.items()
        if not options:
            out.append(f"{pad}- {_scalar(kind)}")
            continue
        options = dict(options)
        note = options.pop(COMMENT, None)
        tail = f"  # {note}" if note else ""
        if any(_is_entry_list(v) for v in options.values()):
            out.append(f"{pad}- {_scalar(kind)}:{tail}")
            for key, value in options.items():
                if _is_entry_list(value):
                    out.append(f"{pad}    {_scalar(key)}:")
                    if value and all(isinstance(v, list) for v in value):  # branches' paths
                        for path in value:
                            out.append(f"{pad}      -")
                            out.extend(_entries(path, indent + 8))
                    else:
                        out.extend(_entries(value, indent + 6))
                else:
                    out.append(f"{pad}    {_scalar(key)}: {_flow(value)}")
        else:
            out.append(f"{pad}- {_scalar(kind)}: {_flow(options)}{tail}")
    return out


def _is_entry_list(value: Any) -> bool:
    return isinstance(value, list) and any(isinstance(v, (Mapping, list)) for v in value)


def _flow(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_scalar(k)}: {_flow(v)}" for k, v in value.items() if k != COMMENT) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def _scalar(value: Any) -> str:
    """One YAML scalar that PyYAML reads back as the same Python value.

    >>> [_scalar(v) for v in (True, None, 3, 6.0, 1e-05, "relu", "a b", "yes", "1x", "a: b")]
    ['true', 'null', '3', '6.0', '1.0e-05', 'relu', 'a b', '"yes"', '"1x"', '"a: b"']
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"  # PyYAML reads 1e-05 as text
        return text
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)
