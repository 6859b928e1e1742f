"""Backups of the database: SQLite's online backup into data/backups/, rotated, and restoring one.

A backup is taken before a schema migration and before each import (the two writes that change the
most at once), and by `chatrec backup`. It is a whole, consistent database file made by SQLite's backup
API while the app runs, written under a temporary name and renamed, so a backup that exists is
complete. Restoring checks the backup first, keeps the current file beside it, and swaps the backup in
with a rename.
"""

from __future__ import annotations

import calendar
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from app.domain.errors import StoreError
from app.store import health

BACKUPS_KEPT = 5  # the newest are kept; older ones are removed after each new backup


@dataclass(frozen=True)
class Backup:
    """One backup file: when it was taken and before what."""

    path: Path
    taken: float  # seconds since the epoch
    reason: str
    size: int


def backups_dir(database: Path) -> Path:
    """The folder beside the database where its backups go."""
    return database.parent / "backups"


def back_up(connection: sqlite3.Connection, database: Path, reason: str, *, keep: int = BACKUPS_KEPT) -> Path:
    """Copy the database through connection into a new backup file; returns it. Older backups past keep go."""
    folder = backups_dir(database)
    name = f"chatrec-{_stamp(time.time())}-{_slug(reason)}.sqlite3"
    temporary = folder / f".tmp-{name}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(temporary)
        try:
            connection.backup(target)
        finally:
            target.close()
        os.replace(temporary, folder / name)
    except (OSError, sqlite3.Error) as exc:
        temporary.unlink(missing_ok=True)
        raise StoreError(f"could not back up the database into {folder} ({exc})") from exc
    for old in backups(database)[keep:]:
        old.path.unlink(missing_ok=True)
    return folder / name


def backups(database: Path) -> list[Backup]:
    """The database's backups, newest first."""
    found = []
    for path in backups_dir(database).glob("chatrec-*.sqlite3"):
        parts = path.stem.split("-", 4)  # chatrec, date, time, milliseconds, reason (UTC: sorts across DST)
        try:
            taken = calendar.timegm(time.strptime(f"{parts[1]}-{parts[2]}", "%Y%m%d-%H%M%S")) + int(parts[3]) / 1000
            reason = parts[4]
        except (IndexError, ValueError):
            continue  # not one of ours
        found.append(Backup(path, taken, reason, path.stat().st_size))
    return sorted(found, key=lambda backup: backup.taken, reverse=True)


def restore(database: Path, backup: Path) -> Path:
    """Make backup the database; returns where the replaced file was kept. Every connection must be closed
    (the caller holds the data folder's lock). Raises StoreError when the backup itself is damaged."""
    problem = health.header_problem(backup)
    if problem is None:
        try:
            check = health.connect_read_only(backup)
            try:
                problem = health.quick_check(check)
            finally:
                check.close()
        except sqlite3.Error as exc:
            problem = str(exc)
    if problem is not None:
        raise StoreError(f"the backup {backup} is damaged ({problem}); choose another (chatrec restore --list)")
    kept = database.with_name(f"{database.name}.before-restore-{_stamp(time.time())}")
    temporary = database.with_name(f".{database.name}.restoring")
    try:
        if database.exists():
            set_aside(database, kept)
        copy_durably(backup, temporary)
        for leftover in ("-wal", "-shm"):  # the old log must never be replayed over the restored file
            database.with_name(database.name + leftover).unlink(missing_ok=True)
        os.replace(temporary, database)
        _sync_folder(database.parent)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise StoreError(f"could not restore {backup} over {database} ({exc.strerror or exc}); "
                         "the current database is unchanged") from exc
    health.clear_damage(database)
    health.forget_clean_close(database)
    return kept


def set_aside(database: Path, kept: Path) -> None:
    """Copy the database and its write-ahead log (what it has not checkpointed yet) to kept, on disk."""
    copy_durably(database, kept)
    wal = database.with_name(database.name + "-wal")
    if wal.exists():
        copy_durably(wal, kept.with_name(kept.name + "-wal"))


def copy_durably(source: Path, target: Path) -> None:
    """Copy source to target and make sure the copy is on disk before anything relies on it."""
    shutil.copy2(source, target)
    with open(target, "rb+") as handle:
        os.fsync(handle.fileno())


def _sync_folder(folder: Path) -> None:
    """Put a rename in folder on disk (POSIX; Windows has no directory handles to sync)."""
    if os.name != "posix":
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _stamp(seconds: float) -> str:
    """A file name's time, from one clock reading, in UTC, to the millisecond."""
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime(seconds)) + f"-{int(seconds * 1000) % 1000:03d}"


def _slug(reason: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in reason.lower()).strip("-")[:40] or "backup"
