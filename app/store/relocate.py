"""Moving the library to another data folder: copy, check the database, switch, and only then delete."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from pathlib import Path

from app.domain.errors import ChatRecError
from app.paths import AppPaths
from app.store.lock import DataDirLock

log = logging.getLogger(__name__)
# files a file manager leaves in a folder the user just made; they do not make it "not empty"
_FOLDER_LITTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


def adopt_data_dir(old: AppPaths, new: AppPaths, lock_timeout_s: float = 0.0) -> None:
    """Start using new.data: as it is when it has a database, else with the data moved from old.data once."""
    if new.database.exists():
        log.info("data folder %s already has a library; using it as it is", new.data)
        return
    if not old.database.exists():
        log.info("data folder %s is new and there is no library at %s to move", new.data, old.data)
        return
    with DataDirLock(old.lock, lock_timeout_s):
        # Checked again under the lock: another Chat-Rec may have moved the data while we waited.
        if new.database.exists() or not old.database.exists():
            return
        _move_data(old, new)
    for name in (old.lock, old.lock.with_suffix(".pid")):
        name.unlink(missing_ok=True)
    try:
        old.data.rmdir()
    except OSError:
        log.info("left the old data folder %s in place (it still holds other files)", old.data)


def _move_data(old_paths: AppPaths, new_paths: AppPaths) -> None:
    """Copy the old data folder to a sibling of the new one, check the database, rename, then delete the old."""
    old, new = old_paths.data, new_paths.data
    keep = {old_paths.lock.name, old_paths.lock.with_suffix(".pid").name}  # ours, held during the move

    def refuse(reason: str) -> ChatRecError:
        return ChatRecError(f"could not move your library from {old} to {new}: {reason}. Nothing was changed: "
                            f"your data is still in {old}. Choose another (empty) data folder in Settings")

    resolved_old, resolved_new = old.resolve(), new.resolve()
    if resolved_new.is_relative_to(resolved_old) or resolved_old.is_relative_to(resolved_new):
        raise refuse("one folder is inside the other")
    if new.exists() and not new.is_dir():
        raise refuse("that is a file, not a folder")
    others = sorted(p.name for p in new.iterdir() if p.name not in _FOLDER_LITTER) if new.is_dir() else []
    if others:
        raise refuse(f"the folder is not empty (it holds {', '.join(others[:3])}{', ...' if len(others) > 3 else ''})")
    staging = new.with_name(f".{new.name}.moving-{os.getpid()}")
    try:
        new.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)  # left over from a move that was killed half way
        shutil.copytree(old, staging, ignore=lambda folder, names: [n for n in names if n in keep])
        _check_database(staging / old_paths.database.name)
        if new.is_dir():
            shutil.rmtree(new)  # empty apart from file-manager litter (checked above); a rename needs it gone
        os.rename(staging, new)  # atomic: the new folder has all the data or none of it
    except (OSError, sqlite3.Error) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise refuse(_move_failure(exc)) from exc
    log.info("moved the library from %s to %s", old, new)
    for entry in old.iterdir():
        if entry.name in keep:
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError as exc:  # the copy is safe in new: a leftover here only costs disk space
            log.warning("could not remove %s after moving the library to %s: %s", entry, new, exc)


def _move_failure(exc: OSError | sqlite3.Error) -> str:
    """Why a copy failed, in a few words a user can act on."""
    if isinstance(exc, PermissionError):
        return f"permission denied ({exc.filename})" if exc.filename else "permission denied"
    if isinstance(exc, shutil.Error) and exc.args and isinstance(exc.args[0], list) and exc.args[0]:
        source, _target, why = exc.args[0][0]  # copytree collects (source, target, reason) per failed file
        return f"{len(exc.args[0])} file(s) could not be copied, first {source} ({why})"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or exc}{where}"
    return f"the database does not pass SQLite's check once copied ({exc})"


def _check_database(database: Path) -> None:
    """Raise sqlite3.DatabaseError unless the copied database opens and passes a quick integrity check."""
    connection = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    try:
        result = connection.execute("PRAGMA quick_check").fetchone()
    finally:
        connection.close()
    if result is None or result[0] != "ok":
        raise sqlite3.DatabaseError(f"its integrity check says {result[0] if result else 'nothing'}")
