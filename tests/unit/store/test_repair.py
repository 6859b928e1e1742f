"""`chatrec repair`: what SQLite can still read comes back in a sound file; the damaged one is kept aside."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.domain.errors import StoreError
from app.domain.items import ME
from app.store import health
from app.store.repair import repair
from app.store.sqlite import SQLiteStore
from tests.unit.store.test_database_faults import _library, _scribble


def test_a_page_of_random_bytes_costs_only_the_rows_on_it(tmp_path: Path):
    path = _library(tmp_path / "chatrec.sqlite3", items=3000)
    store = SQLiteStore.open(path)
    store.create_list("road trip")
    store.set_list_entries("road trip", ["movie:1", "movie:2"])
    store.close()
    size = path.stat().st_size
    _scribble(path, (size // 4096 // 2) * 4096)
    damaged = SQLiteStore.open(path)
    assert damaged.damage is not None
    damaged.close()

    report = repair(path)

    assert report.damaged_copy.is_file() and report.damaged_copy != path
    assert 2500 < report.rows["items"] <= 3000 and report.rows["ratings"] > 40_000
    assert health.recorded_damage(path) is None
    store = SQLiteStore.open(path)
    assert store.damage is None
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # nothing refers to a lost item: the foreign keys hold
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
    raw.close()
    assert store.get_list("road trip").name == "road trip"
    store.rate(ME, "movie:5", 4)  # writable again
    store.close()


def test_repair_bumps_the_catalogue_version_so_fitted_models_are_fitted_again(tmp_path: Path):
    path = _library(tmp_path / "chatrec.sqlite3")
    store = SQLiteStore.open(path)
    before = store.catalogue_version()
    store.close()
    repair(path)
    store = SQLiteStore.open(path)
    assert store.catalogue_version() == before + 1
    store.close()


def test_a_file_nothing_can_be_read_from_is_left_alone_with_the_way_out(tmp_path: Path):
    path = _library(tmp_path / "chatrec.sqlite3")
    _scribble(path, 0, 8192)  # the header and the schema page
    before = path.read_bytes()
    with pytest.raises(StoreError, match=r"could read no items and no ratings.*chatrec restore"):
        repair(path)
    assert path.read_bytes() == before


def test_there_must_be_a_database_to_repair(tmp_path: Path):
    with pytest.raises(StoreError, match="there is no database"):
        repair(tmp_path / "chatrec.sqlite3")


def test_repair_copies_every_table_of_the_schema(tmp_path: Path):
    from app.store.repair import repaired_tables

    store = SQLiteStore.open(tmp_path / "chatrec.sqlite3")
    with store.reading() as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    store.close()
    assert tables == repaired_tables()  # a new table in a migration must be added to repair too
