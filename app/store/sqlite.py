"""The SQLite store: the source of truth for the catalogue, ratings, lists and import runs."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from app.domain.errors import (
    DatabaseDamagedError,
    EmptyDatabaseError,
    InvalidRatingError,
    ReadOnlyLibraryError,
    StoreError,
    UnknownItemError,
    UnknownUserError,
)
from app.domain.items import (
    ME,
    THUMB_DOWN_STARS,
    THUMB_UP_STARS,
    Item,
    Rating,
    RatingRows,
    User,
    validate_stars,
)
from app.domain.lists import ImportRun, Playlist
from app.domain.progress import CancelToken, ProgressCallback, no_progress
from app.store import health
from app.store.backup import back_up
from app.store.schema import MIGRATIONS

_BUSY_TIMEOUT_S = 10.0  # how long a write waits for another process's transaction
_CHUNK = 20_000  # rows per executemany: progress is reported and cancel checked between chunks
# From this many ratings on, an import drops the ratings' two secondary indexes and builds them again
# after writing: measured on 1M ratings, 28.8 s with them kept up row by row, 13.9 s this way.
BULK_RATINGS = 200_000
_RATING_INDEXES = (("ratings_item", "item_id"), ("ratings_origin", "origin"))


@dataclass(frozen=True)
class CatalogueImport:
    """Everything one import brings, written in a single transaction."""

    kind: str  # movielens | products | music
    origin: str  # what a re-import of the same thing replaces, e.g. "movielens"
    source: str  # what the user named: a size, a file path
    items: Sequence[Item]
    users: Sequence[User] = ()
    ratings: RatingRows = ()


class SQLiteStore:
    """The database file through two connections: one that writes, one that only reads.

    Every multi-row write is one transaction on the writing connection, under a lock that keeps two
    writers from nesting BEGINs. Reads go to the reading connection, which WAL lets see the last
    commit while a write is under way: a MovieLens import holds its transaction for seconds, and the
    window's reads (your ratings, your lists) must not wait for it. A thread inside a transaction
    reads on the writing connection, so it sees its own uncommitted rows.
    """

    def __init__(self, connection: sqlite3.Connection, path: Path, *, read_only: bool = False) -> None:
        self._db = connection
        self.path = path
        self.read_only = read_only  # the file or its folder cannot be written: reads work, writes are refused
        self.damage: str | None = None  # what was found wrong with the file: writes are refused
        self._lock = threading.RLock()
        self._reader: sqlite3.Connection | None = None  # opened once the schema is current
        self._reader_lock = threading.RLock()  # reentrant: a read may nest inside reading()
        self._writing = threading.local()  # .active: this thread is inside transaction()

    @classmethod
    def open(cls, path: Path) -> SQLiteStore:
        """Open (creating or migrating) the database, checking it first.

        A file cut to zero bytes gives EmptyDatabaseError, a damaged header DatabaseDamagedError; damage
        that SQLite's check finds inside the file opens it for reading only (store.damage says what), so
        status can report it and nothing is written into it. A file or folder that cannot be written
        opens read-only (store.read_only).
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        existed = path.exists()
        if existed:
            _refuse_empty_or_unreadable(path)
        read_only = existed and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK))
        try:
            try:
                return cls._open(path, read_only, existed)
            except sqlite3.OperationalError as exc:
                if read_only or "readonly" not in str(exc):
                    raise
                return cls._open(path, True, existed)  # a read-only disk, or root-owned but immutable
        except sqlite3.DatabaseError as exc:
            if existed and health.is_damage(exc):
                health.record_damage(path, str(exc))
                raise DatabaseDamagedError(damaged_message(path, str(exc))) from exc
            raise StoreError(f"the database {path} cannot be opened ({exc})") from exc

    @classmethod
    def _open(cls, path: Path, read_only: bool, existed: bool) -> SQLiteStore:
        damage = health.recorded_damage(path) if existed else None
        if existed and damage is None and not health.unchanged_since_clean_close(path):
            # Something happened since a clean close: look, through a connection that cannot write (closing
            # the last writable one would checkpoint the log into a file that may be damaged).
            damage = _look_at(path)
        if damage is not None:
            health.record_damage(path, damage)
        writable = not read_only and damage is None
        store = cls(_connect(path, read_only=not writable), path, read_only=read_only)
        store.damage = damage
        try:
            if writable:
                health.forget_clean_close(path)  # written from now on: only a clean close vouches for it
                store._db.execute("PRAGMA journal_mode=WAL")
                store._db.execute("PRAGMA synchronous=NORMAL")
            store._db.execute("PRAGMA foreign_keys=ON")
            store._migrate(writable)
            if writable:
                store._mark_interrupted_runs()
            store._reader = _connect(path, read_only=not writable)
            store._reader.execute("PRAGMA query_only=ON")
        except BaseException:
            store._db.close()
            raise
        return store

    def _all(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with self._read_connection() as db:
            return db.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence[object] = ()) -> tuple[Any, ...] | None:
        with self._read_connection() as db:
            row: tuple[Any, ...] | None = db.execute(sql, params).fetchone()
            return row

    @contextmanager
    def _read_connection(self) -> Iterator[sqlite3.Connection]:
        with self._damage_found():
            if self._reader is None or getattr(self._writing, "active", False):
                with self._lock:  # opening, or inside this thread's transaction: read its own writes
                    yield self._db
            else:
                with self._reader_lock:
                    yield self._reader

    @contextmanager
    def _damage_found(self) -> Iterator[None]:
        """Turn SQLite's word for a damaged file into DatabaseDamagedError, remembered for every later write."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            if not health.is_damage(exc):
                raise
            if self.damage is None:
                self.damage = str(exc)
                health.record_damage(self.path, self.damage)  # this process writes no more: _refuse_writes
            raise DatabaseDamagedError(damaged_message(self.path, self.damage)) from exc

    def _refuse_writes(self) -> None:
        if self.damage is not None:
            raise DatabaseDamagedError(damaged_message(self.path, self.damage))
        if self.read_only:
            raise ReadOnlyLibraryError(
                f"the library {self.path} is read-only (its file or folder cannot be written: permissions, "
                "or a read-only disk); reading works, changing it does not. Make it writable, or copy the "
                "data folder somewhere writable and point CHATREC_HOME at the copy")

    def _count(self, sql: str, params: Sequence[object] = ()) -> int:
        row = self._one(sql, params)
        return int(row[0]) if row is not None else 0

    def close(self) -> None:
        """Close both connections; a sound, writable file is stamped as closed cleanly."""
        try:
            if self._reader is not None:
                with self._reader_lock:
                    self._reader.close()
        finally:
            self._db.close()
        if self.damage is None and not self.read_only:
            health.record_clean_close(self.path)

    # -- plumbing -------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any error (or a kill: SQLite's journal).

        Refused with DatabaseDamagedError on a damaged file and ReadOnlyLibraryError on a read-only one."""
        self._refuse_writes()
        with self._lock, self._damage_found():
            self._db.execute("BEGIN IMMEDIATE")
            self._writing.active = True
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                # SQLite may have rolled back by itself (disk full, I/O error): a second
                # ROLLBACK would raise and hide the real error.
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            finally:
                self._writing.active = False

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for several reads that see one state of the database, whatever commits meanwhile."""
        with self._read_connection() as db:
            if db is self._db or db.in_transaction:
                yield db  # inside this thread's transaction or reading() block, or before the reader exists
                return
            db.execute("BEGIN")  # a read transaction: one snapshot for the whole block
            try:
                yield db
            finally:
                db.execute("COMMIT")

    def _migrate(self, writable: bool = True) -> None:
        version = self._count("PRAGMA user_version")
        if version > len(MIGRATIONS):
            raise StoreError(f"the database {self.path} was written by a newer Chat-Rec "
                             f"(schema {version}, this one knows {len(MIGRATIONS)}): update the app")
        if version < len(MIGRATIONS) and not writable:
            self._refuse_writes()  # an older schema needs writing before anything can be read
        if 0 < version < len(MIGRATIONS):
            back_up(self._db, self.path, f"before-schema-{len(MIGRATIONS)}")
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction() as db:
                for statement in script.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={number}")

    def back_up(self, reason: str) -> Path | None:
        """A backup of the database before a big change (None for an empty library: nothing to lose)."""
        self._refuse_writes()  # a damaged file is not copied over the good backups
        # EXISTS, not COUNT: counting 25M ratings before every import would take seconds
        if not self._count("SELECT EXISTS (SELECT 1 FROM items) OR EXISTS (SELECT 1 FROM ratings)"):
            return None
        with self._lock, self._damage_found():
            return back_up(self._db, self.path, reason)

    def schema_version(self) -> int:
        """The schema version of the open database."""
        return self._count("PRAGMA user_version")

    def _mark_interrupted_runs(self) -> None:
        # A run still 'running' when we open belongs to a process that died: its transaction
        # was rolled back by SQLite, so nothing of it was kept. Say so in the run log.
        with self.transaction() as db:
            # A music scan saves as it goes, so its finished tracks were kept.
            db.execute("UPDATE import_runs SET status='interrupted', message=CASE kind WHEN 'music' "
                       "THEN 'stopped before it finished; the tracks analysed until then were kept' "
                       "ELSE 'stopped before it finished; nothing of it was kept' END "
                       "WHERE status='running'")

    def database_id(self) -> str:
        """A random id given to this database when it was created: caches made for it name it."""
        row = self._one("SELECT value FROM meta WHERE key='database_id'")
        if row is None:
            with self.transaction() as db:
                db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('database_id', ?)",
                           (uuid.uuid4().hex[:12],))
            row = self._one("SELECT value FROM meta WHERE key='database_id'")
        assert row is not None
        return str(row[0])

    def catalogue_version(self) -> int:
        """A counter bumped by every import; fitted models are cached per version."""
        return self._count("SELECT value FROM meta WHERE key='catalogue_version'")

    # -- items and users ------------------------------------------------------------------

    def get_item(self, item_id: str) -> Item:
        """The item with this id, or UnknownItemError."""
        row = self._one(f"SELECT {ITEM_COLUMNS} FROM items WHERE id=?", (item_id,))
        if row is None:
            raise UnknownItemError(item_id)
        return item_from_row(row)

    def items(self, domain: str | None = None) -> list[Item]:
        """All items, optionally of one domain, in id order."""
        if domain is None:
            rows = self._all(f"SELECT {ITEM_COLUMNS} FROM items ORDER BY id")
        else:
            rows = self._all(f"SELECT {ITEM_COLUMNS} FROM items WHERE domain=? ORDER BY id",
                                    (domain,))
        return [item_from_row(r) for r in rows]

    def items_by_ids(self, item_ids: Iterable[str]) -> dict[str, Item]:
        """The known items among item_ids, by id."""
        wanted = list(dict.fromkeys(item_ids))
        found: dict[str, Item] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._all(f"SELECT {ITEM_COLUMNS} FROM items WHERE id IN ({marks})", chunk):
                item = item_from_row(row)
                found[item.id] = item
        return found

    def item_ids(self, origin: str | None = None) -> list[str]:
        """Every item id (or those one import brought), in id order."""
        if origin is None:
            return [r[0] for r in self._all("SELECT id FROM items ORDER BY id")]
        return [r[0] for r in self._all("SELECT id FROM items WHERE origin=? ORDER BY id", (origin,))]

    def count(self, table: str) -> int:
        """Rows in one of the store's tables."""
        if table not in {"items", "users", "ratings", "lists", "list_entries", "import_runs"}:
            raise ValueError(f"no table {table}")
        return self._count(f"SELECT count(*) FROM {table}")

    def domain_counts(self) -> dict[str, int]:
        """How many items each domain has."""
        rows = self._all("SELECT domain, count(*) FROM items GROUP BY domain ORDER BY domain")
        return {d: int(n) for d, n in rows}

    def user_exists(self, user_id: str) -> bool:
        """True when the user is known."""
        return self._one("SELECT 1 FROM users WHERE id=?", (user_id,)) is not None

    def require_user(self, user_id: str) -> None:
        """Raise UnknownUserError unless the user is known; 'me' always exists."""
        if user_id == ME:
            self._ensure_me()
        elif not self.user_exists(user_id):
            raise UnknownUserError(user_id)

    def _ensure_me(self) -> None:
        if self._one("SELECT 1 FROM users WHERE id=?", (ME,)) is None:
            with self.transaction() as db:
                db.execute("INSERT OR IGNORE INTO users (id, origin) VALUES (?, 'desk')", (ME,))

    # -- ratings --------------------------------------------------------------------------

    def rate(self, user_id: str, item_id: str, stars: float | None = None,
             thumb: int | None = None, timestamp: float | None = None) -> Rating:
        """Record or replace a user's rating of an item (stars 1-5 or a thumb +1/-1)."""
        if stars is None and thumb is None:
            raise InvalidRatingError("give stars (1-5) or a thumb (up or down)")
        if stars is not None:
            validate_stars(stars)
        if thumb is not None and thumb not in (-1, 1):
            raise InvalidRatingError(f"a thumb is up (+1) or down (-1), got {thumb}")
        self.require_user(user_id)
        self.get_item(item_id)
        rating = Rating(user_id, item_id, stars, thumb, time.time() if timestamp is None else timestamp)
        with self.transaction() as db:
            db.execute("INSERT INTO ratings (user_id, item_id, stars, thumb, timestamp, origin) "
                       "VALUES (?,?,?,?,?, 'desk') ON CONFLICT (user_id, item_id) DO UPDATE SET "
                       "stars=excluded.stars, thumb=excluded.thumb, timestamp=excluded.timestamp, origin='desk'",
                       (rating.user_id, rating.item_id, rating.stars, rating.thumb, rating.timestamp))
        return rating

    def unrate(self, user_id: str, item_id: str) -> bool:
        """Remove a rating; True when there was one."""
        with self.transaction() as db:
            cursor = db.execute("DELETE FROM ratings WHERE user_id=? AND item_id=?", (user_id, item_id))
        return cursor.rowcount > 0

    def rated_at_desk(self, user_id: str) -> set[str]:
        """The items this user rated in the app itself (which no import may overwrite)."""
        return {item for (item,) in self._all("SELECT item_id FROM ratings WHERE user_id=? AND origin='desk'",
                                              (user_id,))}

    def ratings_of(self, user_id: str) -> list[Rating]:
        """A user's ratings, newest first."""
        rows = self._all("SELECT user_id, item_id, stars, thumb, timestamp FROM ratings "
                                "WHERE user_id=? ORDER BY timestamp DESC, item_id", (user_id,))
        return [Rating(u, i, s, t, ts) for u, i, s, t, ts in rows]

    def rating_triples(self) -> list[tuple[str, str, float]]:
        """Every rating as (user, item, stars), thumbs mapped to stars, for fitting models."""
        rows = self._all("SELECT user_id, item_id, coalesce(stars, CASE WHEN thumb > 0 THEN ? ELSE ? END) "
                         "FROM ratings", (THUMB_UP_STARS, THUMB_DOWN_STARS))
        return [(u, i, float(s)) for u, i, s in rows]

    # -- imports --------------------------------------------------------------------------

    def import_catalogue(self, batch: CatalogueImport, progress: ProgressCallback = no_progress,
                         cancel: CancelToken | None = None) -> ImportRun:
        """Write a whole import in one transaction: wholly there or wholly absent.

        A re-import of the same origin replaces its items, users and their ratings; ratings
        other people made (the desk user's above all) are kept, and so are the items they rated.
        """
        self.back_up(f"before-{batch.kind}-import")
        started = time.time()
        with self.transaction() as db:
            run_id = db.execute("INSERT INTO import_runs (kind, source, started, status) "
                                "VALUES (?,?,?, 'running')", (batch.kind, batch.source, started)).lastrowid
        assert run_id is not None
        total = len(batch.items) + len(batch.users) + len(batch.ratings)
        try:
            with self.transaction() as db:
                self._replace_origin(db, batch)
                bulk = len(batch.ratings) >= BULK_RATINGS
                if bulk:  # in the same transaction: a failed import gets its indexes back with the rest
                    for name, _ in _RATING_INDEXES:
                        db.execute(f"DROP INDEX IF EXISTS {name}")
                done = self._write_rows(db, batch, total, progress, cancel)
                if bulk:
                    progress(done, total, "indexing ratings")
                    for name, column in _RATING_INDEXES:
                        db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON ratings ({column})")
                db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                           "WHERE key='catalogue_version'")
                db.execute("UPDATE import_runs SET status='done', finished=?, items=?, users=?, "
                           "ratings=? WHERE id=?", (time.time(), len(batch.items), len(batch.users),
                                                    len(batch.ratings), run_id))
        except BaseException as exc:
            with self.transaction() as db:
                db.execute("UPDATE import_runs SET status='failed', finished=?, message=? WHERE id=?",
                           (time.time(), str(exc) or type(exc).__name__, run_id))
            if isinstance(exc, sqlite3.IntegrityError):
                raise StoreError(f"the {batch.kind} import from {batch.source} was refused by the "
                                 f"database ({exc}); nothing was imported") from exc
            raise
        progress(done, total, "import finished")
        return self.import_run(run_id)

    def _replace_origin(self, db: sqlite3.Connection, batch: CatalogueImport) -> None:
        # Only what this origin brought goes: ratings made at the desk, the items they or a list
        # refer to, and people who still have other ratings all stay.
        db.execute("DELETE FROM ratings WHERE origin=?", (batch.origin,))
        db.execute("DELETE FROM users WHERE origin=? AND id <> ? AND id NOT IN (SELECT user_id FROM ratings)",
                   (batch.origin, ME))
        new_ids = {item.id for item in batch.items}
        stale = [r[0] for r in db.execute(
            "SELECT id FROM items WHERE origin=? AND id NOT IN (SELECT item_id FROM ratings) "
            "AND id NOT IN (SELECT item_id FROM list_entries)", (batch.origin,)) if r[0] not in new_ids]
        db.executemany("DELETE FROM items WHERE id=?", ((i,) for i in stale))

    def _write_rows(self, db: sqlite3.Connection, batch: CatalogueImport, total: int,
                    progress: ProgressCallback, cancel: CancelToken | None) -> int:
        done = 0
        item_rows = [item_to_row(item, batch.origin) for item in batch.items]
        user_rows = [(u.id, json.dumps(u.attributes, ensure_ascii=False), batch.origin)
                     for u in batch.users]
        steps: list[tuple[str, Iterable[tuple[object, ...]], str]] = [
            (UPSERT_ITEM, item_rows, "items"),
            # a person keeps the origin that first brought them
            ("INSERT INTO users (id, attributes, origin) VALUES (?,?,?) ON CONFLICT (id) DO UPDATE "
             "SET attributes=excluded.attributes", user_rows, "users"),
            # a rating made at the desk is never overwritten by a file
            ("INSERT INTO ratings (user_id, item_id, stars, timestamp, origin) VALUES (?,?,?,?,?) "
             "ON CONFLICT (user_id, item_id) DO UPDATE SET stars=excluded.stars, thumb=NULL, "
             "timestamp=excluded.timestamp, origin=excluded.origin WHERE ratings.origin <> 'desk'",
             batch.ratings, "ratings"),
        ]
        for sql, rows, label in steps:
            pending = iter(rows)  # in chunks, so a streamed file is never held whole
            while chunk := list(islice(pending, _CHUNK)):
                if cancel is not None:
                    cancel.raise_if_cancelled(f"the {batch.kind} import")
                if label == "ratings":
                    chunk = [(*row, batch.origin) for row in chunk]
                db.executemany(sql, chunk)
                done += len(chunk)
                progress(done, total, f"writing {label}")
        return done

    def begin_run(self, kind: str, source: str) -> int:
        """Record the start of an import that saves as it goes (a music scan); returns its id."""
        self.back_up(f"before-{kind}-import")
        with self.transaction() as db:
            run_id = db.execute("INSERT INTO import_runs (kind, source, started, status) VALUES (?,?,?, 'running')",
                                (kind, source, time.time())).lastrowid
        assert run_id is not None
        return run_id

    def end_run(self, run_id: int, status: str, *, items: int = 0, ratings: int = 0,
                message: str = "") -> ImportRun:
        """Record how an import begun with begin_run ended."""
        with self.transaction() as db:
            db.execute("UPDATE import_runs SET status=?, finished=?, items=?, ratings=?, message=? WHERE id=?",
                       (status, time.time(), items, ratings, message, run_id))
        return self.import_run(run_id)

    def import_run(self, run_id: int) -> ImportRun:
        """One import run by id."""
        row = self._one(f"SELECT {_RUN_COLUMNS} FROM import_runs WHERE id=?", (run_id,))
        if row is None:
            raise StoreError(f"no import run {run_id}")
        return ImportRun(*row)

    def import_runs(self, limit: int = 20) -> list[ImportRun]:
        """The latest import runs, newest first."""
        rows = self._all(f"SELECT {_RUN_COLUMNS} FROM import_runs ORDER BY id DESC LIMIT ?", (limit,))
        return [ImportRun(*r) for r in rows]

    # -- lists ----------------------------------------------------------------------------

    def create_list(self, name: str, item_ids: Sequence[str] = ()) -> Playlist:
        """A new list, empty or holding item_ids in order, made in one transaction; names are unique."""
        clean = name.strip()
        if not clean:
            raise InvalidListError("a list needs a name")
        known = self.items_by_ids(item_ids)
        for item_id in item_ids:
            if item_id not in known:
                raise UnknownItemError(item_id)
        with self.transaction() as db:
            try:
                cursor = db.execute("INSERT INTO lists (name, created) VALUES (?, ?)", (clean, time.time()))
            except sqlite3.IntegrityError:
                raise InvalidListError(f"a list named '{clean}' exists already") from None
            list_id = cursor.lastrowid
            assert list_id is not None
            db.executemany("INSERT INTO list_entries (list_id, position, item_id) VALUES (?,?,?)",
                           [(list_id, position, item_id) for position, item_id in enumerate(item_ids)])
        return Playlist(list_id, clean, tuple(item_ids))

    def get_list(self, name: str) -> Playlist:
        """The list with this name and its entries in order."""
        row = self._one("SELECT id, name FROM lists WHERE name=?", (name.strip(),))
        if row is None:
            raise InvalidListError(f"no list named '{name}'")
        entries = self._all("SELECT item_id FROM list_entries WHERE list_id=? ORDER BY position",
                                   (row[0],))
        return Playlist(row[0], row[1], tuple(r[0] for r in entries))

    def list_names(self) -> list[str]:
        """Every list's name, in order."""
        return [r[0] for r in self._all("SELECT name FROM lists ORDER BY name")]

    def lists(self) -> list[Playlist]:
        """Every list with its entries."""
        return [self.get_list(n) for n in self.list_names()]

    def rename_list(self, name: str, new_name: str) -> Playlist:
        """Give a list a new name; refused when it is blank or another list has it already."""
        playlist = self.get_list(name)
        clean = new_name.strip()
        if not clean:
            raise InvalidListError("a list needs a name")
        if clean == playlist.name:
            return playlist
        # The check and the update share one IMMEDIATE transaction, so no other writer can take
        # the name in between.
        with self.transaction() as db:
            if db.execute("SELECT 1 FROM lists WHERE name=?", (clean,)).fetchone() is not None:
                raise InvalidListError(f"a list named '{clean}' exists already: choose another name "
                                       f"or delete that list first")
            db.execute("UPDATE lists SET name=? WHERE id=?", (clean, playlist.id))
        return self.get_list(clean)

    def delete_list(self, name: str) -> None:
        """Delete a list and its entries (the items stay in the catalogue)."""
        playlist = self.get_list(name)
        with self.transaction() as db:
            db.execute("DELETE FROM list_entries WHERE list_id=?", (playlist.id,))
            db.execute("DELETE FROM lists WHERE id=?", (playlist.id,))

    def set_list_entries(self, name: str, item_ids: Sequence[str]) -> Playlist:
        """Replace a list's entries (add, remove and reorder all go through here)."""
        playlist = self.get_list(name)
        known = self.items_by_ids(item_ids)
        for item_id in item_ids:
            if item_id not in known:
                raise UnknownItemError(item_id)
        with self.transaction() as db:
            db.execute("DELETE FROM list_entries WHERE list_id=?", (playlist.id,))
            db.executemany("INSERT INTO list_entries (list_id, position, item_id) VALUES (?,?,?)",
                           [(playlist.id, pos, item_id) for pos, item_id in enumerate(item_ids)])
        return self.get_list(name)


class InvalidListError(StoreError):
    """A list operation that cannot be done (no such list, a duplicate name)."""


ITEM_COLUMNS = "id, domain, title, creators, year, genres, description, source, external_ids, attributes"
_RUN_COLUMNS = "id, kind, source, started, finished, status, items, users, ratings, message"
UPSERT_ITEM = (
    "INSERT INTO items (id, domain, title, creators, year, genres, description, source, external_ids, "
    "attributes, origin) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET "
    "domain=excluded.domain, title=excluded.title, creators=excluded.creators, year=excluded.year, "
    "genres=excluded.genres, description=excluded.description, source=excluded.source, "
    "external_ids=excluded.external_ids, attributes=excluded.attributes, origin=excluded.origin"
)


def item_to_row(item: Item, origin: str) -> tuple[object, ...]:
    """An item as the parameters of UPSERT_ITEM."""
    return (item.id, item.domain, item.title, json.dumps(list(item.creators), ensure_ascii=False),
            item.year, json.dumps(list(item.genres), ensure_ascii=False), item.description, item.source,
            json.dumps(item.external_ids, ensure_ascii=False), json.dumps(item.attributes, ensure_ascii=False),
            origin)


def item_from_row(row: Sequence[object]) -> Item:
    """An item from a row of ITEM_COLUMNS."""
    item_id, domain, title, creators, year, genres, description, source, external, attributes = row
    return Item(id=str(item_id), domain=domain,  # type: ignore[arg-type]  # CHECK constraint holds it
                title=str(title), creators=tuple(json.loads(str(creators))),
                year=int(year) if isinstance(year, int) else None, genres=tuple(json.loads(str(genres))),
                description=str(description), source=str(source),
                external_ids=dict(json.loads(str(external))), attributes=dict(json.loads(str(attributes))))


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) usable from any thread."""
    if read_only:
        return health.connect_read_only(path)
    return sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=_BUSY_TIMEOUT_S)


def _look_at(path: Path) -> str | None:
    """SQLite's quick_check of the file, through a read-only connection when SQLite allows one."""
    probe = health.connect_read_only(path)
    try:
        found = health.quick_check(probe)
    finally:
        probe.close()
    if found is not None and ("readonly" in found or "unable to open" in found):
        # A log left without its index (-shm) needs a writable connection to be read at all.
        probe = _connect(path)
        try:
            found = health.quick_check(probe)
        finally:
            probe.close()
    return found


def damaged_message(path: Path, what: str) -> str:
    """What a user reads about a damaged database, with the two ways out."""
    return (f"the database {path} is damaged ({what}); nothing more is written into it. Run `chatrec repair` "
            "to copy it aside and recover what SQLite can read, or `chatrec restore` to go back to the last "
            "backup")


def _refuse_empty_or_unreadable(path: Path) -> None:
    """A zero-byte file is a library cut short, not a new one; a wrong header cannot be opened at all."""
    wal = path.with_name(path.name + "-wal")
    if path.stat().st_size == 0 and not (wal.exists() and wal.stat().st_size > 0):
        raise EmptyDatabaseError(
            f"the database {path} is empty (0 bytes): it was cut short (a full disk, or a copy that stopped), "
            "so your library is not in it. Run `chatrec restore` to go back to the last backup, or delete the "
            "file to start a new, empty library")
    problem = health.header_problem(path) if path.stat().st_size else None
    if problem is not None:
        health.record_damage(path, problem)
        raise DatabaseDamagedError(damaged_message(path, problem))
