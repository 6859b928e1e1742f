"""The lists' SQL in the store: names, renames and deletes are checked and written in one place."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.items import Item
from app.store.sqlite import CatalogueImport, InvalidListError, SQLiteStore


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    opened = SQLiteStore.open(tmp_path / "db.sqlite3")
    films = [Item(f"movie:{n}", "movie", f"Film {n}") for n in range(3)]
    opened.import_catalogue(CatalogueImport("movielens", "movielens", "test", films))
    return opened


def test_list_names_come_in_order(store: SQLiteStore) -> None:
    assert store.list_names() == []
    for name in ("road trip", "Friday", "Zen"):
        store.create_list(name)
    assert store.list_names() == ["Friday", "Zen", "road trip"]  # SQLite's order: upper case first
    assert [p.name for p in store.lists()] == store.list_names()


def test_a_rename_keeps_the_entries_and_refuses_a_taken_or_blank_name(store: SQLiteStore) -> None:
    store.create_list("Friday")
    store.create_list("Saturday")
    store.set_list_entries("Friday", ["movie:2", "movie:0"])
    renamed = store.rename_list(" Friday ", "  Weekend ")
    assert renamed.name == "Weekend" and renamed.item_ids == ("movie:2", "movie:0")
    assert store.rename_list("Weekend", "Weekend") == renamed  # nothing to do
    with pytest.raises(InvalidListError, match="a list named 'Saturday' exists already: choose another name"):
        store.rename_list("Weekend", "Saturday")
    with pytest.raises(InvalidListError, match="a list needs a name"):
        store.rename_list("Weekend", " ")
    with pytest.raises(InvalidListError, match="no list named 'Friday'"):
        store.rename_list("Friday", "Sunday")
    assert store.list_names() == ["Saturday", "Weekend"]


def test_a_delete_takes_the_entries_and_leaves_the_items(store: SQLiteStore) -> None:
    store.create_list("Friday")
    store.set_list_entries("Friday", ["movie:1"])
    store.delete_list("Friday")
    assert store.list_names() == [] and store.count("list_entries") == 0
    assert store.get_item("movie:1").title == "Film 1"
    with pytest.raises(InvalidListError, match="no list named 'Friday'"):
        store.delete_list("Friday")
