"""Damage found early and never made worse: an empty file, a damaged one, a read-only one, backups."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from app.domain.errors import DatabaseDamagedError, EmptyDatabaseError, ReadOnlyLibraryError, StoreError
from app.domain.items import ME, Item
from app.store import health
from app.store.backup import BACKUPS_KEPT, backups, restore
from app.store.schema import MIGRATIONS
from app.store.sqlite import CatalogueImport, SQLiteStore
from tests.unit.store.test_sqlite import batch


def _library(path: Path, items: int = 300) -> Path:
    store = SQLiteStore.open(path)
    store.import_catalogue(batch(items, users=20))
    store.rate(ME, "movie:1", 5)
    store.close()
    return path


def _scribble(path: Path, at: int, length: int = 4096) -> None:
    """Random bytes over the file at offset `at`, as a failing disk or a stray program would."""
    with open(path, "r+b") as handle:
        handle.seek(at)
        handle.write(os.urandom(length))


def test_a_zero_byte_database_is_a_library_cut_short_not_a_new_one(tmp_path: Path):
    path = tmp_path / "chatrec.sqlite3"
    path.write_bytes(b"")
    with pytest.raises(EmptyDatabaseError, match=r"is empty \(0 bytes\).*chatrec restore"):
        SQLiteStore.open(path)
    assert path.stat().st_size == 0  # left as it was: nothing is created over it


@pytest.mark.parametrize("where", ["middle", "end"])
def test_random_bytes_inside_the_file_are_found_at_open_and_writes_are_refused(tmp_path: Path, where: str):
    path = _library(tmp_path / "chatrec.sqlite3")
    size = path.stat().st_size
    _scribble(path, (size // 4096 // 2) * 4096 if where == "middle" else size - 4096)
    store = SQLiteStore.open(path)
    assert store.damage is not None
    before = path.read_bytes()
    with pytest.raises(DatabaseDamagedError, match=r"chatrec repair.*chatrec restore"):
        store.rate(ME, "movie:2", 4)
    store.close()
    assert path.read_bytes() == before  # nothing was written into the damaged file
    # every later process knows, without looking again
    again = SQLiteStore.open(path)
    assert again.damage == store.damage
    with pytest.raises(DatabaseDamagedError):
        again.create_list("road trip")
    again.close()


def test_an_overwritten_header_or_a_cut_file_is_refused_at_open(tmp_path: Path):
    path = _library(tmp_path / "chatrec.sqlite3")
    _scribble(path, 0, 100)
    with pytest.raises(DatabaseDamagedError, match="does not start as an SQLite database"):
        SQLiteStore.open(path)
    cut = _library(tmp_path / "cut.sqlite3")
    with open(cut, "r+b") as handle:
        handle.truncate(cut.stat().st_size - 1000)
    with pytest.raises(DatabaseDamagedError, match="cut short"):
        SQLiteStore.open(cut)


def test_a_file_closed_cleanly_and_untouched_is_not_checked_again(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch):
    path = _library(tmp_path / "chatrec.sqlite3")
    checked: list[str] = []
    real = health.quick_check
    monkeypatch.setattr(health, "quick_check", lambda db: checked.append("x") or real(db))
    SQLiteStore.open(path).close()
    assert checked == []  # the stamp written at the clean close vouches for it
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))  # something touched it
    SQLiteStore.open(path).close()
    assert checked == ["x"]


def test_after_a_crash_the_next_open_checks_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = _library(tmp_path / "chatrec.sqlite3")
    store = SQLiteStore.open(path)
    store.rate(ME, "movie:3", 4)  # written, then the process dies without closing
    checked: list[str] = []
    real = health.quick_check
    monkeypatch.setattr(health, "quick_check", lambda db: checked.append("x") or real(db))
    other = SQLiteStore.open(path)  # (the data folder's lock keeps this from happening while one runs)
    assert checked == ["x"] and other.damage is None
    other.close()
    store.close()


def test_damage_met_while_reading_is_reported_once_and_stops_every_write(tmp_path: Path):
    path = _library(tmp_path / "chatrec.sqlite3", items=2000)
    size = path.stat().st_size
    _scribble(path, (size // 4096 // 2) * 4096, 4096 * 3)
    health.record_clean_close(path)  # as if the damage came without changing the file's time
    store = SQLiteStore.open(path)
    assert store.damage is None  # not looked for: the stamp matched
    with pytest.raises(DatabaseDamagedError):
        store.rating_triples()  # every rating: it reads the damaged pages
    assert health.recorded_damage(path) is not None
    with pytest.raises(DatabaseDamagedError):
        store.rate(ME, "movie:4", 3)
    store.close()


def test_a_read_only_library_reads_and_refuses_to_write_with_its_own_message(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch):
    path = _library(tmp_path / "chatrec.sqlite3")
    before = path.stat().st_mtime_ns
    monkeypatch.setattr(os, "access", lambda target, mode: mode != os.W_OK)  # root writes anything: pretend
    store = SQLiteStore.open(path)
    assert store.read_only and store.damage is None
    assert len(store.items()) == 300 and store.ratings_of(ME)[0].item_id == "movie:1"
    with pytest.raises(ReadOnlyLibraryError, match=r"is read-only .* reading works"):
        store.rate(ME, "movie:2", 4)
    store.close()
    assert path.stat().st_mtime_ns == before
    assert not isinstance(ReadOnlyLibraryError("x"), DatabaseDamagedError)


def test_an_import_backs_up_the_library_first_and_old_backups_rotate(tmp_path: Path):
    path = _library(tmp_path / "chatrec.sqlite3")
    store = SQLiteStore.open(path)
    for n in range(BACKUPS_KEPT + 2):
        store.import_catalogue(CatalogueImport("products", f"shop{n}", "test",
                                               [Item(f"product:{n}", "product", f"Mug {n}")]))
    store.close()
    kept = backups(path)
    assert len(kept) == BACKUPS_KEPT and all(b.reason == "before-products-import" for b in kept)
    assert kept[0].taken >= kept[-1].taken
    with sqlite3.connect(kept[0].path) as copy:  # a whole database, the state just before the last import
        assert copy.execute("SELECT COUNT(*) FROM items WHERE domain='product'").fetchone()[0] == BACKUPS_KEPT + 1


def test_an_empty_library_is_not_backed_up(tmp_path: Path):
    store = SQLiteStore.open(tmp_path / "chatrec.sqlite3")
    store.import_catalogue(batch(3))
    store.close()
    assert backups(tmp_path / "chatrec.sqlite3") == []


def test_restore_swaps_the_backup_in_and_keeps_the_replaced_file(tmp_path: Path):
    path = _library(tmp_path / "chatrec.sqlite3")
    store = SQLiteStore.open(path)
    saved = store.back_up("by-hand")
    assert saved is not None
    store.rate(ME, "movie:9", 2)
    store.close()
    _scribble(path, (path.stat().st_size // 4096 // 2) * 4096)
    health.record_damage(path, "found damaged")
    kept = restore(path, saved)
    assert kept.is_file() and health.recorded_damage(path) is None
    store = SQLiteStore.open(path)
    assert store.damage is None and {r.item_id for r in store.ratings_of(ME)} == {"movie:1"}
    store.close()


def test_a_damaged_backup_is_refused_and_the_library_left_alone(tmp_path: Path):
    path = _library(tmp_path / "chatrec.sqlite3")
    store = SQLiteStore.open(path)
    saved = store.back_up("by-hand")
    store.close()
    assert saved is not None
    _scribble(saved, 0, 100)
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"the backup .* is damaged"):
        restore(path, saved)
    assert path.read_bytes() == before


def test_a_migration_backs_up_the_old_schema_first(tmp_path: Path):
    path = tmp_path / "chatrec.sqlite3"
    with sqlite3.connect(path) as raw:
        for number, script in enumerate(MIGRATIONS[:2], start=1):
            raw.executescript(script)
            raw.execute(f"PRAGMA user_version={number}")
        raw.execute("INSERT INTO items (id, domain, title) VALUES ('movie:1', 'movie', 'Fargo')")
    raw.close()
    SQLiteStore.open(path).close()
    assert [b.reason for b in backups(path)] == [f"before-schema-{len(MIGRATIONS)}"]


def test_a_damaged_file_is_not_written_even_by_the_checkpoint_at_close(tmp_path: Path):
    import subprocess
    import sys

    path = _library(tmp_path / "chatrec.sqlite3", items=2000)
    # a rating in the write-ahead log, not yet in the file: then the process dies without closing
    subprocess.run([sys.executable, "-c", "import os, sys; from app.store.sqlite import SQLiteStore; "
                    "s = SQLiteStore.open(__import__('pathlib').Path(sys.argv[1])); s.rate('me', 'movie:7', 2); "
                    "os._exit(0)", str(path)], check=True, cwd=Path(__file__).parents[3])
    assert path.with_name(path.name + "-wal").stat().st_size > 0
    size = path.stat().st_size
    _scribble(path, (size // 4096 // 2) * 4096)
    before = path.read_bytes()
    store = SQLiteStore.open(path)
    assert store.damage is not None
    store.close()
    assert path.read_bytes() == before


def test_a_file_shorter_than_its_header_is_not_cut_short_while_its_log_completes_it(tmp_path: Path):
    path = _library(tmp_path / "chatrec.sqlite3")
    wal = path.with_name(path.name + "-wal")
    wal.write_bytes(b"x" * 4096)  # a log with frames the main file has not received yet
    with open(path, "r+b") as handle:
        handle.truncate(path.stat().st_size - 4096)
    assert health.header_problem(path) is None
    wal.unlink()
    assert "cut short" in (health.header_problem(path) or "")


def test_an_io_error_that_may_pass_is_not_damage():
    assert not health.is_damage(sqlite3.OperationalError("disk I/O error"))
    assert not health.is_damage(sqlite3.DatabaseError("disk I/O error"))
    assert health.is_damage(sqlite3.DatabaseError("database disk image is malformed"))


def test_damage_in_a_folder_that_cannot_be_written_is_still_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "chatrec.sqlite3"

    def refused(database: Path) -> None:
        raise PermissionError("read-only folder")

    monkeypatch.setattr(health, "forget_clean_close", refused)
    health.record_damage(path, "malformed")  # no PermissionError: the caller goes on to say "damaged"
    assert health.recorded_damage(path) == "malformed"  # and the next start still knows it is damaged


def test_a_log_left_without_its_index_is_read_not_called_damage(tmp_path: Path):
    import subprocess
    import sys

    path = _library(tmp_path / "chatrec.sqlite3")
    subprocess.run([sys.executable, "-c", "import os, sys; from app.store.sqlite import SQLiteStore; "
                    "s = SQLiteStore.open(__import__('pathlib').Path(sys.argv[1])); s.rate('me', 'movie:7', 2); "
                    "os._exit(0)", str(path)], check=True, cwd=Path(__file__).parents[3])
    path.with_name(path.name + "-shm").unlink()  # as a copy of the folder without it would be
    store = SQLiteStore.open(path)
    assert store.damage is None and store.ratings_of(ME)[-1].stars in (2, 5)
    store.close()
