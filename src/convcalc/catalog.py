"""The architecture files bundled with convcalc, usable by name.

``convcalc model resnet50`` finds ``convcalc/configs/resnet50.yaml`` inside
the installed package, so the names work after a plain ``pip install``.
"""

from __future__ import annotations

from difflib import get_close_matches
from pathlib import Path

from .errors import InputError

__all__ = ["bundled", "bundled_file", "resolve"]


def bundled() -> dict[str, Path]:
    """Bundled architecture names → their files, sorted by name (the
    ``configs`` folder installed beside this module)."""
    folder = Path(__file__).with_name("configs")
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))}


def resolve(name_or_path: str) -> Path:
    """A path that exists, else a bundled name (with or without ``.yaml``)."""
    path = Path(name_or_path)
    try:
        if path.exists():
            return path
    except OSError:  # a name too long for the system, say: the file reader says why
        return path
    known = bundled()
    stem = name_or_path[:-5] if name_or_path.endswith(".yaml") else name_or_path
    if stem in known and path.parent == Path("."):
        return known[stem]
    close = get_close_matches(stem, list(known), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f"; bundled models: {', '.join(known)}"
    raise InputError(f"{name_or_path!r} is neither a file nor a bundled model{hint}")


def bundled_file(name: str) -> Path:
    """The file of the bundled model ``name`` (with or without ``.yaml``); a
    file path is refused, so ``convcalc show`` only ever prints what ships."""
    known = bundled()
    stem = name.removesuffix(".yaml")
    if stem in known:
        return known[stem]
    close = get_close_matches(stem, list(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"bundled models: {', '.join(known)}"
    raise InputError(f"{name!r} is not a bundled model; {hint}")
