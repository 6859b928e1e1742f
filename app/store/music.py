"""Music files in SQLite: what each scan found, what it made of them, and the raw sound vectors."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from app.domain.items import Item
from app.domain.music import FoundFile, SkippedFile
from app.store.sqlite import UPSERT_ITEM, SQLiteStore, item_to_row

MUSIC_ORIGIN = "music"
_SCAN_LEVEL = -1  # size of a row recording a scan-level skip (a loop, a folder that cannot be listed)


@dataclass(frozen=True)
class KnownFile:
    """What the database remembers of a file from the last scan."""

    size: int
    mtime_ns: int
    status: str
    extractor: str
    item_id: str | None


@dataclass(frozen=True)
class TrackOutcome:
    """What analysing one file gave: an item and its raw vector, or the reason it was skipped."""

    file: FoundFile
    item: Item | None = None
    features: tuple[float, ...] | None = None
    extractor: str = ""
    reason: str = ""


@dataclass(frozen=True)
class MusicSummary:
    """Counts for `chatrec status`, and every skipped file with its reason."""

    roots: tuple[str, ...]
    indexed: int
    skipped: tuple[SkippedFile, ...]


class MusicFileStore:
    """The music_files table over the shared SQLite store."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store

    def known(self, roots: Sequence[str]) -> dict[str, KnownFile]:
        """Files remembered under these roots (scan-level skips excluded), by path."""
        marks = ",".join("?" * len(roots))
        with self._store.reading() as db:
            rows = db.execute(f"SELECT path, size, mtime_ns, status, extractor, item_id FROM music_files "
                              f"WHERE root IN ({marks}) AND size <> ?", (*roots, _SCAN_LEVEL)).fetchall()
        return {r[0]: KnownFile(r[1], r[2], r[3], r[4], r[5]) for r in rows}

    def save(self, outcomes: Sequence[TrackOutcome]) -> list[str]:
        """Write a batch of analysed files in one transaction; returns item ids it removed."""
        now = time.time()
        removed: list[str] = []
        with self._store.transaction() as db:
            for outcome in outcomes:
                found = outcome.file
                if outcome.item is not None and outcome.features is not None:
                    db.execute(UPSERT_ITEM, item_to_row(outcome.item, MUSIC_ORIGIN))
                    blob = np.asarray(outcome.features, dtype=np.float32).tobytes()
                    db.execute(_UPSERT_FILE, (found.path, found.root, found.size, found.mtime_ns,
                                              outcome.item.id, "indexed", "", blob, outcome.extractor, now))
                else:
                    # A file that used to be a track and now fails: its item goes, as if deleted.
                    removed += _drop_items(db, [found.path])
                    db.execute(_UPSERT_FILE, (found.path, found.root, found.size, found.mtime_ns,
                                              None, "skipped", outcome.reason, None, outcome.extractor, now))
            _bump_catalogue_version(db)
        return removed

    def remove(self, paths: Sequence[str]) -> list[str]:
        """Forget files that are gone; their items go too unless rated or in a list. Returns removed ids."""
        if not paths:
            return []
        with self._store.transaction() as db:
            removed = _drop_items(db, paths)
            db.executemany("DELETE FROM music_files WHERE path=?", ((p,) for p in paths))
            _bump_catalogue_version(db)
        return removed

    def replace_scan_skips(self, roots: Sequence[str], skips: Iterable[SkippedFile],
                           root_of: dict[str, str]) -> None:
        """Record this scan's folder-level skips (loops, unreadable folders) in place of the last ones."""
        marks = ",".join("?" * len(roots))
        now = time.time()
        with self._store.transaction() as db:
            db.execute(f"DELETE FROM music_files WHERE size=? AND root IN ({marks})", (_SCAN_LEVEL, *roots))
            db.executemany(_UPSERT_FILE, [(s.path, root_of.get(s.path, roots[0]), _SCAN_LEVEL, 0, None, "skipped",
                                           s.reason, None, "", now) for s in skips])

    def raw_features(self) -> tuple[list[str], NDArray[np.float32]]:
        """Every indexed track's item id and raw feature vector (rows aligned), in item id order."""
        with self._store.reading() as db:
            rows = db.execute("SELECT item_id, features FROM music_files WHERE status='indexed' "
                              "ORDER BY item_id").fetchall()
        if not rows:
            return [], np.zeros((0, 0), dtype=np.float32)
        return [r[0] for r in rows], np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows])

    def indexed_count(self) -> int:
        """How many files are indexed tracks."""
        with self._store.reading() as db:
            return int(db.execute("SELECT count(*) FROM music_files WHERE status='indexed'").fetchone()[0])

    def raw_feature(self, item_id: str) -> NDArray[np.float32] | None:
        """One track's raw feature vector, or None when the item is not an indexed track."""
        with self._store.reading() as db:
            row = db.execute("SELECT features FROM music_files WHERE item_id=? AND status='indexed'",
                             (item_id,)).fetchone()
        return None if row is None else np.frombuffer(row[0], dtype=np.float32)

    def item_for_path(self, path: str) -> str | None:
        """The item id of an indexed file, or None."""
        with self._store.reading() as db:
            row = db.execute("SELECT item_id FROM music_files WHERE path=? AND status='indexed'", (path,)).fetchone()
        return None if row is None else str(row[0])

    def summary(self) -> MusicSummary:
        """What is indexed and what was skipped, and why."""
        with self._store.reading() as db:
            roots = tuple(r[0] for r in db.execute("SELECT DISTINCT root FROM music_files ORDER BY root"))
            indexed = db.execute("SELECT count(*) FROM music_files WHERE status='indexed'").fetchone()[0]
            skipped = tuple(SkippedFile(p, r) for p, r in db.execute(
                "SELECT path, reason FROM music_files WHERE status='skipped' ORDER BY path"))
        return MusicSummary(roots, int(indexed), skipped)

    def stats(self, key: str) -> dict[str, object] | None:
        """A JSON value kept in the meta table (the audio index's standardisation), or None."""
        with self._store.reading() as db:
            row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def set_stats(self, key: str, value: dict[str, object]) -> None:
        """Keep a JSON value in the meta table; models fitted on the old one are refitted."""
        if self.stats(key) == value:
            return
        with self._store.transaction() as db:
            db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                       "SET value=excluded.value", (key, json.dumps(value)))
            _bump_catalogue_version(db)


_UPSERT_FILE = (
    "INSERT INTO music_files (path, root, size, mtime_ns, item_id, status, reason, features, extractor, checked) "
    "VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (path) DO UPDATE SET root=excluded.root, size=excluded.size, "
    "mtime_ns=excluded.mtime_ns, item_id=excluded.item_id, status=excluded.status, reason=excluded.reason, "
    "features=excluded.features, extractor=excluded.extractor, checked=excluded.checked"
)


def _drop_items(db: sqlite3.Connection, paths: Iterable[str]) -> list[str]:
    """Delete the items of these files unless someone rated them or a list holds them."""
    removed = []
    for path in paths:
        row = db.execute("SELECT item_id FROM music_files WHERE path=? AND item_id IS NOT NULL", (path,)).fetchone()
        if row is None:
            continue
        kept = db.execute("SELECT 1 FROM ratings WHERE item_id=? UNION SELECT 1 FROM list_entries WHERE item_id=?",
                          (row[0], row[0])).fetchone()
        if kept is None:
            db.execute("DELETE FROM items WHERE id=?", (row[0],))
            removed.append(str(row[0]))
    return removed


def _bump_catalogue_version(db: sqlite3.Connection) -> None:
    # Fitted models are cached per catalogue version: a changed library must refit.
    db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='catalogue_version'")
