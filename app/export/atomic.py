"""Writing an export file whole or not at all, never over a file the user did not agree to replace."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from app.domain.errors import ChatRecError

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ChatRecError):
    """An export file that could not be written; the message names the file and what to do."""


class ExportExistsError(ExportError):
    """The export file exists already and overwriting was not asked for."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path} exists already: export again with overwrite on (the --overwrite option) "
                         "to replace it, or choose another file name")


def neutralise_cell(value: str) -> str:
    """A CSV cell a spreadsheet will show as text: one starting with = + - @, tab or CR gets a leading quote."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def write_atomic(path: Path, data: bytes, *, overwrite: bool = False) -> Path:
    """Write data to path through a temporary file in the same folder, so a reader sees all or nothing.

    An existing file is replaced only when overwrite is True; otherwise ExportExistsError. Any OS
    failure becomes an ExportError naming the file, and leaves an existing file as it was.
    """
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        raise ExportError(f"{target} is a folder: give a file name to export to")
    if not folder.is_dir():
        raise ExportError(f"cannot write {target}: the folder {folder} does not exist")
    if not overwrite and os.path.lexists(target):
        raise ExportExistsError(target)
    temp = folder / f".{target.name}.{secrets.token_hex(4)}.tmp"
    try:
        # os.open with 0o666 lets the umask decide the mode, as for any file the user saves;
        # mkstemp's 0o600 would hide the playlist from a media server running as another user.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            _keep_mode(target, temp)
            os.replace(temp, target)
        else:
            _place_new(temp, target)
        _sync_folder(folder)
    except FileExistsError:
        raise ExportExistsError(target) from None
    except OSError as exc:
        raise ExportError(f"could not write {target}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    return target


def _place_new(temp: Path, target: Path) -> None:
    # A hard link fails if the name appeared since the check above, so a file created meanwhile
    # is never clobbered; file systems without hard links (FAT, some shares) fall back to a re-check.
    try:
        os.link(temp, target)
        return
    except FileExistsError:
        raise
    except (OSError, NotImplementedError):
        pass
    if os.path.lexists(target):
        raise FileExistsError(str(target))
    os.replace(temp, target)


def _keep_mode(target: Path, temp: Path) -> None:
    # Replacing a file keeps its permissions, as an in-place save would.
    with contextlib.suppress(OSError):
        os.chmod(temp, stat.S_IMODE(os.stat(target).st_mode))


def _sync_folder(folder: Path) -> None:
    # The rename is durable only once the folder's entry is on disk; Windows cannot open folders.
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
