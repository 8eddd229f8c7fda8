"""Reading and writing files so that no input hangs, exhausts memory or harms a file.

Reading (:func:`read_source`): only regular files, at most
:data:`MAX_FILE_BYTES`, checked with ``fstat`` on the open descriptor before
a byte is read. The file is opened with ``O_NONBLOCK``, so a FIFO or a device
is refused at once instead of blocking or streaming forever.

Writing (:func:`write_atomically`): only to a new path or over a regular file
with one link; never over a device, a FIFO, a symbolic link or a hard-linked
file, and never over one of the command's own inputs. The text goes to a
temporary file in the same folder and is renamed over the target, so a failure
leaves the old file whole. A replaced file keeps its mode and owner; a new one
gets the mode the umask gives (0644 under the usual umask 022).

Finding files (:func:`glob_files`, :func:`unique_files`): ``**`` never
descends through a symbolic link to a folder, so a link loop cannot multiply
the files found, and one file reached by two names is checked once.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from .errors import ConvCalcError, InputError

__all__ = [
    "MAX_FILE_BYTES",
    "UnreadableError",
    "glob_files",
    "read_source",
    "unique_files",
    "write_atomically",
]

MAX_FILE_BYTES = 10 * 2**20
"""Largest file read: 10 MiB. A 100,000-layer architecture is about 2 MiB."""


class UnreadableError(ConvCalcError):
    """A file cannot be read: missing, not a regular file, too large, not UTF-8.

    ``reason`` says why without the path (``is a FIFO, not a regular file``);
    ``context`` holds the path, so ``message`` reads ``net.yaml: is a FIFO …``.
    """

    rule = "unreadable"


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_regular(mode: int) -> str:
    """What a file of ``mode`` is ('a FIFO (named pipe)'), or '' for a regular file."""
    if stat.S_ISREG(mode):
        return ""
    return next((noun for test, noun in _KINDS if test(mode)), "not a regular file")


def _os_reason(error: OSError, path: str) -> str:
    """An ``OSError`` as the end of a sentence about ``path``."""
    if error.errno == errno.ENOENT:
        return "no such file"
    if error.errno == errno.ENAMETOOLONG:
        return f"the file name is too long for this system ({len(path):,} characters)"
    if error.errno == errno.ELOOP:
        return "symbolic links loop (or nest too deeply) in this path"
    if error.errno == errno.EISDIR:
        return "is a directory, not an architecture file"
    return f"cannot be read ({error.strerror or error})"


def read_source(path: str | Path, *, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of the regular file at ``path``, at most ``limit`` bytes.

    Raises :class:`UnreadableError` (rule ``unreadable``) for a missing file, a
    folder, a FIFO or device (refused without blocking), a file over ``limit``
    (refused before reading) and bytes that are not UTF-8.
    """
    name = str(path)

    def refuse(reason: str) -> UnreadableError:
        return UnreadableError(reason, context=name)

    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(name, flags)
    except OSError as error:
        raise refuse(_os_reason(error, name)) from None
    try:
        info = os.fstat(fd)
        what = _not_regular(info.st_mode)
        if what == "a directory":
            raise refuse("is a directory, not an architecture file")
        if what:
            raise refuse(f"is {what}, not a regular file")
        if info.st_size > limit:
            raise refuse(_too_large(info.st_size, limit))
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)  # +1: a file that grew since fstat is still caught
    except OSError as error:
        raise refuse(_os_reason(error, name)) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise refuse(_too_large(len(data), limit))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _not_utf8(name, data, error.start) from None


def _not_utf8(name: str, data: bytes, start: int) -> UnreadableError:
    """The first byte that is not UTF-8, placed at its line and column (the
    text before it decodes, so the column counts characters)."""
    from .yamlnodes import Position

    line_start = data.rfind(b"\n", 0, start) + 1
    column = len(data[line_start:start].decode("utf-8", "replace")) + 1
    at = Position(name, data.count(b"\n", 0, start) + 1, column)
    return UnreadableError(f"byte 0x{data[start]:02X} is not UTF-8 text; save the file as UTF-8", at=at)


def _too_large(size: int, limit: int) -> str:
    return f"is {size:,} bytes, over the {limit:,}-byte limit for an architecture file (docs/limits.md)"


# ------------------------------------------------------------------ writing


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: str | Path, text: str | bytes, *, inputs: Iterable[str | Path] = ()) -> None:
    """Write ``text`` (UTF-8, or bytes as they are) via a temporary file in the same folder and ``os.replace``.

    Refuses a target that is not a regular file (device, FIFO, folder,
    symbolic link), a file with more than one hard link (replacing it would
    split the links silently), and a target that is one of ``inputs``. A
    replaced file keeps its mode and owner; a new file follows the umask.

    Raises :class:`InputError` with the reason; callers add which file it was
    for (``--output 'x'``, ``cannot save to 'x'``) with ``.within()``.
    """
    path = Path(path)
    folder = path.parent
    try:
        if not stat.S_ISDIR(os.stat(folder).st_mode):
            raise InputError(f"'{folder}' is not a folder")
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            raise InputError(f"folder '{folder}' does not exist") from None
        raise InputError(f"cannot be written ({error.strerror or error})") from None
    old = _existing(path)
    for given in inputs:
        if _same_file(path, Path(given)):
            raise InputError("is one of the input files; write the report to another file")
    import tempfile  # only when writing: it pulls in random and shutil

    tmp, done = None, False
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name[:64]}.", suffix=".tmp")
        with os.fdopen(fd, "wb") if isinstance(text, bytes) else os.fdopen(fd, "w", encoding="utf-8") as handle:
            if old is None:
                os.fchmod(handle.fileno(), 0o666 & ~_current_umask())
            else:
                os.fchmod(handle.fileno(), stat.S_IMODE(old.st_mode))
                if (old.st_uid, old.st_gid) != (os.getuid(), os.getgid()):
                    _keep_owner(handle.fileno(), old)
            handle.write(text)
        os.replace(tmp, path)
        done = True
    except OSError as error:
        raise InputError(f"cannot be written ({error.strerror or error})") from None
    finally:  # whatever stopped it (a refused owner, a full disk), no temporary file stays
        if not done and tmp is not None and os.path.lexists(tmp):
            os.unlink(tmp)


def _existing(path: Path) -> os.stat_result | None:
    """``lstat`` of a target that may be replaced, None if it does not exist; else refuse."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise InputError(f"cannot be written ({error.strerror or error})") from None
    if stat.S_ISLNK(info.st_mode):
        raise InputError("is a symbolic link; convcalc does not replace links, so give the real file's path")
    what = _not_regular(info.st_mode)
    if what:
        raise InputError(f"is {what}; convcalc writes only regular files (or '-' for stdout)")
    if info.st_nlink > 1:
        raise InputError(f"has {info.st_nlink} hard links; replacing it would split them, so write to another file")
    return info


def _keep_owner(fd: int, old: os.stat_result) -> None:
    """Give the new file the old one's owner, or refuse rather than change it."""
    try:
        os.fchown(fd, old.st_uid, old.st_gid)
    except PermissionError:
        raise InputError(
            f"is owned by uid {old.st_uid}, gid {old.st_gid}; replacing it would change that, so write to another file"
        ) from None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare where they would be
        return os.path.realpath(a) == os.path.realpath(b)


# ------------------------------------------------------------------ finding


def glob_files(pattern: str) -> list[str]:
    """Regular files matching ``pattern`` (``*``, ``?``, ``[…]``, ``**``), sorted.

    Unlike :func:`glob.glob`, ``**`` does not descend through symbolic links to
    folders (pathlib's rule), so a link loop is walked once. Hidden names
    (``.git``) match only where the pattern itself starts a part with a dot.

    >>> glob_files("/nonexistent/**/*.yaml")
    []
    """
    import glob as globbing

    parts = Path(pattern).parts
    first = next((i for i, part in enumerate(parts) if globbing.has_magic(part)), len(parts))
    if first == len(parts):
        return [pattern] if os.path.isfile(pattern) else []
    base = Path(*parts[:first]) if first else Path(".")
    rest = parts[first:]
    dotted = any(part.startswith(".") for part in rest)
    found = []
    try:
        for match in base.glob("/".join(rest)):
            relative = match.parts[len(base.parts) if first else 0 :]
            if not dotted and any(p.startswith(".") for p in relative):
                continue
            if match.is_file():
                found.append(str(match))
    except OSError:  # an unreadable folder on the way: what was found so far stands
        pass
    return sorted(found)


def unique_files(paths: Iterable[str]) -> list[str]:
    """``paths`` in order, each file once even when reached by two names."""
    seen: set[str] = set()
    unique = []
    for path in paths:
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            unique.append(path)
    return unique
