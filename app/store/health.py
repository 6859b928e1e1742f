"""Is the database file sound? Cheap checks at every open, SQLite's own check when something smells wrong.

At a clean close the store records the file's size and modification time beside it (a stamp). At the
next open, a file whose stamp still matches was last written by a Chat-Rec that closed it cleanly and
nothing has touched it since, so only its header is read (microseconds). Anything else (a crash, a copy,
random bytes written by something else) costs one `PRAGMA quick_check` (about 80 ms for 40 MB). A file
found damaged gets a marker beside it, so every later process refuses to write into it until it is
repaired or restored.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from pathlib import Path

_MAGIC = b"SQLite format 3\x00"
_HEADER = 100


def stamp_path(database: Path) -> Path:
    """The file recording the database's size and time at its last clean close."""
    return database.with_name(database.name + ".verified")


def marker_path(database: Path) -> Path:
    """The file saying the database was found damaged, and how."""
    return database.with_name(database.name + ".damaged")


def header_problem(database: Path) -> str | None:
    """What is wrong with the file's SQLite header and length, or None; reads 100 bytes.

    With a write-ahead log beside it the length is not judged: a process stopped in the middle of a
    checkpoint leaves a main file shorter than its header says, which the log completes."""
    try:
        with open(database, "rb") as handle:
            header = handle.read(_HEADER)
        size = database.stat().st_size
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    if len(header) < _HEADER or not header.startswith(_MAGIC):
        return "it does not start as an SQLite database does (its first bytes were overwritten)"
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return f"its header names an impossible page size ({page_size})"
    wal = database.with_name(database.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return None
    if size % page_size:
        return f"its length ({size:,} bytes) is not a whole number of {page_size}-byte pages: it was cut short"
    pages = int.from_bytes(header[28:32], "big")
    # the header's page count is trusted only when the change counter agrees (SQLite's own rule)
    if pages and header[24:28] == header[92:96] and pages * page_size > size:
        return f"it is shorter ({size:,} bytes) than its header says ({pages * page_size:,}): it was cut short"
    return None


def _stat(database: Path) -> dict[str, int]:
    info = database.stat()
    return {"size": info.st_size, "mtime_ns": info.st_mtime_ns}


def unchanged_since_clean_close(database: Path) -> bool:
    """True when the stamp written at the last clean close still matches the file."""
    try:
        recorded = json.loads(stamp_path(database).read_text(encoding="utf-8"))
        return bool(recorded == _stat(database))
    except (OSError, ValueError):
        return False


def record_clean_close(database: Path) -> None:
    """Stamp the file as closed cleanly (call after the last connection closed)."""
    try:
        stamp = stamp_path(database)
        temporary = stamp.with_name(f".{stamp.name}.{os.getpid()}")
        temporary.write_text(json.dumps(_stat(database)), encoding="utf-8")
        os.replace(temporary, stamp)
    except OSError:
        pass  # a read-only folder: the next open just checks the file again


def forget_clean_close(database: Path) -> None:
    """Remove the stamp: the file is being written, so only its next clean close vouches for it."""
    stamp_path(database).unlink(missing_ok=True)


def quick_check(connection: sqlite3.Connection, pragma: str = "quick_check") -> str | None:
    """SQLite's quick_check (every page read), or integrity_check when asked; None when it says ok."""
    try:
        rows = connection.execute(f"PRAGMA {pragma}(5)").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    findings = [str(row[0]) for row in rows]
    return None if findings == ["ok"] else "; ".join(findings)


def recorded_damage(database: Path) -> str | None:
    """What an earlier process found wrong with the file (the marker), or None."""
    try:
        return marker_path(database).read_text(encoding="utf-8").strip() or "found damaged earlier"
    except OSError:
        return None


def record_damage(database: Path, what: str) -> None:
    """Mark the file damaged, so later processes refuse to write into it until it is repaired."""
    # when it cannot be written beside the file, this process still refuses and the next one looks again
    with contextlib.suppress(OSError):
        marker_path(database).write_text(what + "\n", encoding="utf-8")
    with contextlib.suppress(OSError):
        forget_clean_close(database)


def clear_damage(database: Path) -> None:
    """Forget the marker (after a repair or a restore)."""
    marker_path(database).unlink(missing_ok=True)


def is_damage(exc: sqlite3.DatabaseError) -> bool:
    """True for SQLite's errors that mean a damaged file (not a busy lock, a constraint, a full disk, or an
    I/O error that may pass, such as a drive unplugged for a moment)."""
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text or \
        (type(exc) is sqlite3.DatabaseError and "i/o error" not in text)


def connect_read_only(database: Path) -> sqlite3.Connection:
    """A connection that can never write the file (SQLite's mode=ro), usable from any thread."""
    return sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                           check_same_thread=False, timeout=10.0)
