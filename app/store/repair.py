"""`chatrec repair`: copy a damaged database aside, read back what SQLite still can, and swap a sound one in.

Each table is read in its own storage order, first forwards and, when damage stops the read, backwards
from the other end, so only the rows on the damaged pages are lost. The rows go into a new database with
the current schema (indexes rebuilt from scratch), rows whose item, user, list or session did not survive
are dropped, the new file must pass SQLite's integrity check, and only then does it replace the damaged
one. The damaged file is kept beside it for anyone who wants to dig further.
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.domain.errors import StoreError
from app.store import health
from app.store.backup import set_aside
from app.store.schema import MIGRATIONS

# In the order they can be written: what others refer to first. A table's storage order: its rowid, or
# the primary key of a WITHOUT ROWID table.
_TABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("meta", ("rowid",)), ("import_runs", ("rowid",)), ("items", ("rowid",)), ("users", ("rowid",)),
    ("ratings", ("user_id", "item_id")), ("lists", ("rowid",)), ("list_entries", ("rowid",)),
    ("music_files", ("rowid",)), ("sessions", ("rowid",)), ("turns", ("rowid",)),
)
# Rows that refer to something that did not survive are dropped, as the foreign keys would.
_ORPHANS = (
    "DELETE FROM ratings WHERE item_id NOT IN (SELECT id FROM items) OR user_id NOT IN (SELECT id FROM users)",
    "DELETE FROM list_entries WHERE list_id NOT IN (SELECT id FROM lists) OR item_id NOT IN (SELECT id FROM items)",
    "DELETE FROM music_files WHERE item_id IS NOT NULL AND item_id NOT IN (SELECT id FROM items)",
    "DELETE FROM turns WHERE session_id NOT IN (SELECT id FROM sessions)",
)


@dataclass(frozen=True)
class RepairReport:
    """What a repair kept and what stopped it reading."""

    damaged_copy: Path  # the damaged file, kept aside
    rows: dict[str, int]  # rows recovered per table
    stopped: dict[str, str] = field(default_factory=dict)  # tables whose reading met damage, and what SQLite said
    dropped: int = 0  # rows dropped because what they referred to was lost


def repair(database: Path) -> RepairReport:
    """Rebuild database from what can be read of it (every connection must be closed: hold the lock)."""
    if not database.exists():
        raise StoreError(f"there is no database at {database} to repair")
    aside = database.with_name(f"{database.name}.damaged-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}")
    fresh = database.with_name(f".{database.name}.repairing")
    try:
        set_aside(database, aside)
        fresh.unlink(missing_ok=True)
        rows, stopped, dropped = _rebuild(aside, fresh)
        if not rows.get("items") and not rows.get("ratings"):
            raise StoreError(f"SQLite could read no items and no ratings from {database} "
                             f"({'; '.join(stopped.values()) or 'empty'}); restore a backup instead "
                             f"(chatrec restore --list). A copy of the damaged file is kept as {aside}")
        for leftover in ("-wal", "-shm"):  # the damaged file's log must never be replayed over the new one
            database.with_name(database.name + leftover).unlink(missing_ok=True)
        os.replace(fresh, database)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"could not repair {database} ({getattr(exc, 'strerror', None) or exc}); it is "
                         f"unchanged, and a copy of it is kept as {aside}") from exc
    finally:
        fresh.unlink(missing_ok=True)
    health.clear_damage(database)
    health.forget_clean_close(database)
    return RepairReport(aside, rows, stopped, dropped)


def _rebuild(damaged: Path, fresh: Path) -> tuple[dict[str, int], dict[str, str], int]:
    old = health.connect_read_only(damaged)
    new = sqlite3.connect(fresh, isolation_level=None)
    try:
        for number, script in enumerate(MIGRATIONS, start=1):
            new.executescript(script)
            new.execute(f"PRAGMA user_version={number}")
        new.execute("BEGIN")
        new.execute("DELETE FROM meta")  # the old library's own values come back from the damaged file
        rows: dict[str, int] = {}
        stopped: dict[str, str] = {}
        for table, order in _TABLES:
            columns = [row[1] for row in new.execute(f"PRAGMA table_info({table})")]
            if not _has_table(old, table):
                continue  # a file from an older schema: nothing of this table to recover
            found, problem = _read_table(old, table, columns, order)
            placeholders = ", ".join("?" * len(columns))
            before = new.total_changes
            new.executemany(f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", found)
            rows[table] = new.total_changes - before  # what was kept, not merely read
            if problem is not None:
                stopped[table] = problem
        dropped = sum(new.execute(sql).rowcount for sql in _ORPHANS)
        # the catalogue changed under any fitted model: a new version makes them fit again
        new.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('catalogue_version', "
                    "CAST(COALESCE((SELECT value FROM meta WHERE key='catalogue_version'), 0) + 1 AS TEXT))")
        new.execute("COMMIT")
        problem = health.quick_check(new, "integrity_check")
        if problem is not None:
            raise StoreError(f"the rebuilt database did not pass SQLite's check ({problem})")
        new.execute("PRAGMA journal_mode=WAL")
    finally:
        old.close()
        new.close()
    with open(fresh, "rb+") as handle:
        os.fsync(handle.fileno())
    return rows, stopped, dropped


def _read_table(db: sqlite3.Connection, table: str, columns: list[str],
                order: tuple[str, ...]) -> tuple[list[tuple[object, ...]], str | None]:
    """The rows SQLite can read, forwards until damage stops it, then backwards from the far end."""
    key_names = list(order)
    select = ", ".join([*key_names, *columns])
    found: dict[tuple[object, ...], tuple[object, ...]] = {}
    problem: str | None = None
    for direction in ("ASC", "DESC"):
        ordering = ", ".join(f"{name} {direction}" for name in key_names)
        try:
            for row in db.execute(f"SELECT {select} FROM {table} ORDER BY {ordering}"):
                found.setdefault(tuple(row[:len(key_names)]), tuple(row[len(key_names):]))
        except sqlite3.DatabaseError as exc:
            problem = str(exc)
            continue  # read what lies beyond the damage from the other end
        break
    return list(found.values()), problem


def _has_table(db: sqlite3.Connection, table: str) -> bool:
    try:
        return db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone() is not None
    except sqlite3.DatabaseError:
        return True  # the schema itself cannot be read: try the table, and say what stopped it


def repaired_tables() -> set[str]:
    """The tables repair copies (every table of the schema must be among them)."""
    return {table for table, _order in _TABLES}
