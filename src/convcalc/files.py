"""Writing files so that a failure never leaves half of one behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import InputError

__all__ = ["write_atomically"]


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) via a temporary file in the same folder and ``os.replace``.

    Raises :class:`InputError` with the reason; callers add which file it was
    for (``--output 'x'``, ``cannot save to 'x'``) with ``.within()``.
    """
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"folder '{folder}' does not exist")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as error:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise InputError(f"cannot be written ({error.strerror or error})") from None
