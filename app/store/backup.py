"""Backups of the database: SQLite's online backup into data/backups/, rotated, and restoring one.

A backup is taken before a schema migration and before each import (the two writes that change the
most at once), and by `chatrec backup`. It is a whole, consistent database file made by SQLite's backup
API while the app runs, written under a temporary name and renamed, so a backup that exists is
complete. Restoring checks the backup first, keeps the current file beside it, and swaps the backup in
with a rename.
"""

from __future__ import annotations

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
    stamp = time.strftime("%Y%m%d-%H%M%S")
    name = f"chatrec-{stamp}-{int(time.time() * 1000) % 1000:03d}-{_slug(reason)}.sqlite3"
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
        parts = path.stem.split("-", 4)  # chatrec, date, time, milliseconds, reason
        try:
            taken = time.mktime(time.strptime(f"{parts[1]}-{parts[2]}", "%Y%m%d-%H%M%S")) + int(parts[3]) / 1000
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
        with sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True) as check:
            problem = health.quick_check(check)
        check.close()
    if problem is not None:
        raise StoreError(f"the backup {backup} is damaged ({problem}); choose another (chatrec restore --list)")
    kept = database.with_name(f"{database.name}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}")
    temporary = database.with_name(f".{database.name}.restoring")
    try:
        if database.exists():
            shutil.copy2(database, kept)
            wal = database.with_name(database.name + "-wal")
            if wal.exists():  # what the replaced file had not yet checkpointed goes with it
                shutil.copy2(wal, kept.with_name(kept.name + "-wal"))
        shutil.copy2(backup, temporary)
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        for leftover in ("-wal", "-shm"):  # the old log must never be replayed over the restored file
            database.with_name(database.name + leftover).unlink(missing_ok=True)
        os.replace(temporary, database)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise StoreError(f"could not restore {backup} over {database} ({exc.strerror or exc}); "
                         "the current database is unchanged") from exc
    health.clear_damage(database)
    health.forget_clean_close(database)
    return kept


def _slug(reason: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in reason.lower()).strip("-")[:40] or "backup"
