"""Which paths may be opened as input files: regular files only, told from their stat before anything opens them.

Opening a named pipe (FIFO) for reading waits for a writer that may never come, and a device or a
socket is no file either: an import given one would hang holding the data folder's lock.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from app.domain.errors import InputError

_KINDS: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def not_a_file(mode: int, what: str = "a file") -> str | None:
    """Why a path with this st_mode cannot be read as `what` ("a named pipe (FIFO), not a file"); None for a
    regular file."""
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    return f"{kind}, not {what}"


def require_file(path: Path | str, *, missing: str = "no such file") -> None:
    """Raise an InputError naming `path` unless it is a regular file (a symlink to one will do); call it before
    opening the path. `missing` is the message when nothing is there."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(missing, file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", file=str(path)) from exc
    reason = not_a_file(mode)
    if reason is not None:
        raise InputError(f"is {reason}", file=str(path))
