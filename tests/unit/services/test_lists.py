"""The list use cases over a real store: names, order, ratings and exports."""

from __future__ import annotations

import csv
import json
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app.bootstrap import Engine
from app.domain.errors import ChatRecError, InputError, UnknownItemError
from app.domain.items import ME, Item
from app.services.lists import Lists
from app.store.sqlite import CatalogueImport, InvalidListError

MBID = "5b11f4ce-a62d-471e-81fc-a69a8278c7da"


@pytest.fixture
def lists(engine: Engine, tmp_path: Path) -> Lists:
    music = tmp_path / "Music"
    tracks = [Item("music:a", "music", "Teen Spirit", creators=("Nirvana",), source=str(music / "Nirvana" / "a.flac"),
                   external_ids={"musicbrainz_recording": MBID},
                   attributes={"album": "Nevermind", "duration_s": "301"}),
              Item("music:b", "music", "Hoppípolla & <Co>", creators=("Sigur Rós",), source=str(music / "b.ogg"))]
    engine.store.import_catalogue(CatalogueImport("music", "music", str(music), tracks))
    return Lists(engine.store)


def test_create_add_show_with_ratings(lists: Lists, engine: Engine) -> None:
    lists.create("Mix")
    engine.store.rate(ME, "movie:fargo", stars=4.5)
    engine.store.rate(ME, "music:a", thumb=1)
    added = lists.add("Mix", ["movie:fargo", "music:a", "movie:fargo", "product:grinder"])
    assert added.added == ("movie:fargo", "music:a", "product:grinder") and added.already_there == ()
    again = lists.add("Mix", ["music:a", "music:b"])
    assert again.added == ("music:b",) and again.already_there == ("music:a",)
    view = lists.show("Mix")
    assert [(e.position, e.item.id) for e in view.entries] == [
        (1, "movie:fargo"), (2, "music:a"), (3, "product:grinder"), (4, "music:b")]
    ratings = {e.item.id: e.rating for e in view.entries}
    assert ratings["movie:fargo"] is not None and ratings["movie:fargo"].stars == 4.5
    assert ratings["music:a"] is not None and ratings["music:a"].thumb == 1
    assert ratings["music:b"] is None


def test_unknown_items_add_nothing(lists: Lists) -> None:
    lists.create("Mix")
    with pytest.raises(UnknownItemError, match="movie:nope"):
        lists.add("Mix", ["movie:fargo", "movie:nope"])
    assert lists.get("Mix").item_ids == ()


def test_rename(lists: Lists) -> None:
    lists.create("Mix")
    lists.create("Other")
    lists.add("Mix", ["movie:heat"])
    with pytest.raises(InvalidListError, match="exists already"):
        lists.rename("Mix", " Other ")
    with pytest.raises(InvalidListError, match="needs a name"):
        lists.rename("Mix", "  ")
    renamed = lists.rename("Mix", "Crime")
    assert renamed.name == "Crime" and renamed.item_ids == ("movie:heat",)
    assert sorted(p.name for p in lists.all()) == ["Crime", "Other"]
    with pytest.raises(InvalidListError, match="no list named 'Mix'"):
        lists.get("Mix")


def test_delete_keeps_the_items(lists: Lists, engine: Engine) -> None:
    lists.create("Mix")
    lists.add("Mix", ["movie:heat"])
    lists.delete("Mix")
    assert lists.all() == [] and engine.store.count("list_entries") == 0
    assert engine.store.get_item("movie:heat").title == "Heat"


def test_remove_by_position_or_item(lists: Lists) -> None:
    lists.create("Mix")
    lists.add("Mix", ["movie:fargo", "movie:heat", "movie:up", "movie:shrek"])
    assert lists.remove("Mix", position=2).item_ids == ("movie:fargo", "movie:up", "movie:shrek")
    assert lists.remove("Mix", item_id="movie:shrek").item_ids == ("movie:fargo", "movie:up")
    with pytest.raises(InvalidListError, match="no position 3"):
        lists.remove("Mix", position=3)
    with pytest.raises(InvalidListError, match="not in the list"):
        lists.remove("Mix", item_id="movie:heat")
    with pytest.raises(InvalidListError, match="not both"):
        lists.remove("Mix")


def test_move_reorders(lists: Lists) -> None:
    lists.create("Mix")
    lists.add("Mix", ["movie:fargo", "movie:heat", "movie:up"])
    assert lists.move("Mix", 3, 1).item_ids == ("movie:up", "movie:fargo", "movie:heat")
    assert lists.move("Mix", 1, 3).item_ids == ("movie:fargo", "movie:heat", "movie:up")
    assert lists.move("Mix", 2, 2).item_ids == ("movie:fargo", "movie:heat", "movie:up")
    with pytest.raises(InvalidListError, match="no position 0"):
        lists.move("Mix", 0, 1)


def test_export_to_each_format(lists: Lists, engine: Engine, tmp_path: Path) -> None:
    lists.create("Road Trip")
    engine.store.rate(ME, "movie:fargo", stars=4.0)
    lists.add("Road Trip", ["music:a", "movie:fargo", "music:b"])
    out = tmp_path / "out"
    out.mkdir()

    m3u = lists.export_result("Road Trip", "m3u8", out / "trip.m3u8", path_mode="relative")
    assert m3u.written == 2 and [s.item_id for s in m3u.skipped] == ["movie:fargo"]
    lines = (out / "trip.m3u8").read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["#EXTM3U", "#PLAYLIST:Road Trip", "#EXTINF:301,Nirvana - Teen Spirit"]
    assert lines[3] == "../Music/Nirvana/a.flac"

    root = ET.parse(lists.export("Road Trip", "xspf", out / "trip.xspf")).getroot()
    ns = {"x": "http://xspf.org/ns/0/"}
    assert [t.findtext("x:title", namespaces=ns) for t in root.findall("x:trackList/x:track", ns)] == [
        "Teen Spirit", "Fargo", "Hoppípolla & <Co>"]

    jspf = json.loads(lists.export("Road Trip", "jspf", out / "trip.jspf").read_text(encoding="utf-8"))
    assert jspf["playlist"]["track"][0]["identifier"] == [f"https://musicbrainz.org/recording/{MBID}"]

    with lists.export("Road Trip", "csv", out / "trip.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["Title"], r["Rating"]) for r in rows] == [("Teen Spirit", ""), ("Fargo", "4"),
                                                         ("Hoppípolla & <Co>", "")]

    document = json.loads(lists.export("Road Trip", "json", out / "trip.json").read_text(encoding="utf-8"))
    assert document["name"] == "Road Trip" and [i["id"] for i in document["items"]] == [
        "music:a", "movie:fargo", "music:b"]


def test_export_refusals(lists: Lists, tmp_path: Path) -> None:
    lists.create("Mix")
    lists.add("Mix", ["music:a"])
    target = tmp_path / "mix.m3u8"
    lists.export("Mix", "m3u8", target, path_map={str(tmp_path / "Music"): "/music"})
    assert target.read_text(encoding="utf-8").splitlines()[-1] == "/music/Nirvana/a.flac"
    with pytest.raises(ChatRecError, match="exists already"):
        lists.export("Mix", "m3u8", target)
    assert lists.export("Mix", "m3u8", target, overwrite=True) == target
    with pytest.raises(InputError, match="m3u8"):
        lists.export("Mix", "wpl", tmp_path / "mix.wpl")
    with pytest.raises(InvalidListError):
        lists.export("Nope", "csv", tmp_path / "nope.csv")


def test_a_list_made_without_a_name_gets_the_first_free_one(lists: Lists) -> None:
    assert [lists.create().name for _ in range(3)] == ["New list", "New list 2", "New list 3"]
    lists.delete("New list 2")
    assert lists.create().name == "New list 2"  # a gap is filled first
    lists.rename("New list", "new LIST 4")
    assert lists.free_name() == "New list"
    lists.create("new list")
    assert lists.free_name() == "New list 5"  # taken in any case: "new LIST 4" counts as "New list 4"
    assert lists.free_name("Favourites") == "Favourites"


def test_a_named_list_must_have_a_real_name(lists: Lists) -> None:
    with pytest.raises(InvalidListError, match="a list needs a name"):
        lists.create("   ")
    lists.create("Mix")
    with pytest.raises(InvalidListError, match="a list named 'Mix' exists already"):
        lists.create(" Mix ")
    assert [p.name for p in lists.all()] == ["Mix"]


def test_find_matches_a_name_in_any_case(lists: Lists) -> None:
    lists.create("Crime Night")
    lists.create("crime night")  # names differing in case are two lists: the exact one wins
    found, exact = lists.find("CRIME NIGHT"), lists.find(" crime night ")
    assert found is not None and found.name == "Crime Night"
    assert exact is not None and exact.name == "crime night"
    assert lists.find("Date night") is None


def test_adding_to_a_missing_list_makes_it_only_when_asked(lists: Lists) -> None:
    with pytest.raises(InvalidListError, match="no list named 'Crime Night'"):
        lists.add("Crime Night", ["movie:fargo"])
    made = lists.add(" Crime Night ", ["movie:fargo"], create_missing=True)
    assert made.created and made.playlist.name == "Crime Night" and made.added == ("movie:fargo",)
    again = lists.add("crime night", ["movie:heat", "movie:fargo"], create_missing=True)
    assert not again.created and again.playlist.name == "Crime Night"  # the same list, whatever the case
    assert again.added == ("movie:heat",) and again.already_there == ("movie:fargo",)
    assert [p.name for p in lists.all()] == ["Crime Night"]


def test_adding_unknown_items_or_to_a_blank_name_makes_no_list(lists: Lists) -> None:
    with pytest.raises(UnknownItemError, match="movie:nope"):
        lists.add("Crime Night", ["movie:fargo", "movie:nope"], create_missing=True)
    with pytest.raises(InvalidListError, match="a list needs a name"):
        lists.add("  ", ["movie:fargo"], create_missing=True)
    assert lists.all() == []


def test_a_list_made_for_an_item_is_made_with_it_or_not_at_all(lists: Lists, engine: Engine) -> None:
    with engine.store.transaction() as db:  # the entry's write fails (a full disk, a lock) after the list's
        db.execute("CREATE TRIGGER no_entries BEFORE INSERT ON list_entries "
                   "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    with pytest.raises(sqlite3.DatabaseError, match="disk full"):
        lists.add("Crime Night", ["movie:fargo"], create_missing=True)
    assert lists.all() == []  # no empty "Crime Night" left behind
