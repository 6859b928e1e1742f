"""Looking after the library's database: back it up, list and restore backups, repair a damaged one.

Like bootstrap, this is where the command line and the window reach the store's adapters. Each action
holds the data folder's lock (it waits as any command does), so no other Chat-Rec has the file open.
Restoring or repairing also drops the local search indexes, which are rebuilt from the database on next
use; an index on a Chroma server is checked against the database by its size and rebuilt when they differ.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from app.bootstrap import configured
from app.config import Settings, load_settings
from app.domain.errors import StoreError
from app.paths import AppPaths
from app.store.backup import Backup, backups, restore
from app.store.lock import DataDirLock
from app.store.repair import RepairReport, repair
from app.store.sqlite import SQLiteStore


@dataclass(frozen=True)
class Restored:
    """A restore: the backup now in use, and where the file it replaced was kept."""

    backup: Backup
    replaced_kept_at: Path | None


def _library(paths: AppPaths | None) -> tuple[Settings, AppPaths]:
    """The settings and the library's folders: given paths are the open library's, used as they are (a
    data folder changed in Settings applies at the next start, so it must not be re-resolved here)."""
    if paths is None:
        return configured()
    return load_settings(paths.config_file), paths


def back_up_library(paths: AppPaths | None = None) -> Path | None:
    """A backup of the library now; None when it is empty (nothing to keep)."""
    settings, paths = _library(paths)
    with DataDirLock(paths.lock, settings.lock_timeout_s):
        store = SQLiteStore.open(paths.database)
        try:
            return store.back_up("by-hand")
        finally:
            store.close()


def library_backups(paths: AppPaths | None = None) -> list[Backup]:
    """The library's backups, newest first (reads no settings when given the open library's paths)."""
    return backups((paths or configured()[1]).database)


def restore_library(name: str = "", paths: AppPaths | None = None) -> Restored:
    """Put a backup (named by its file name or path; the newest when empty) in place of the database."""
    settings, paths = _library(paths)
    found = backups(paths.database)
    if not found:
        raise StoreError(f"there are no backups in {paths.database.parent / 'backups'}")
    chosen = found[0] if not name else next(
        (b for b in found if name in (b.path.name, str(b.path), b.path.stem)), None)
    if chosen is None:
        raise StoreError(f"no backup called {name!r}; there are: {', '.join(b.path.name for b in found)}")
    with DataDirLock(paths.lock, settings.lock_timeout_s):
        existed = paths.database.exists()
        kept = restore(paths.database, chosen.path)
        _drop_local_indexes(paths)
    return Restored(chosen, kept if existed else None)


def repair_library(paths: AppPaths | None = None) -> RepairReport:
    """Rebuild a damaged database from what can be read of it (the damaged file is kept aside)."""
    settings, paths = _library(paths)
    with DataDirLock(paths.lock, settings.lock_timeout_s):
        report = repair(paths.database)
        _drop_local_indexes(paths)
    return report


def _drop_local_indexes(paths: AppPaths) -> None:
    for folder in (paths.chroma, paths.chroma_audio):
        shutil.rmtree(folder, ignore_errors=True)
