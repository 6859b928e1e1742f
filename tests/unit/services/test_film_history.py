"""A film diary matched to the catalogue: sure matches saved, ambiguous and unknown ones reported, desk kept."""

from __future__ import annotations

from pathlib import Path

from app.bootstrap import Engine
from app.catalog.film_history import FilmEntry
from app.domain.items import ME, Item
from app.services.film_history import FilmMatcher
from app.store.sqlite import CatalogueImport
from tests.tiny_catalogue import item_id


def entry(title: str, year: int | None, imdb: str = "", aka: tuple[str, ...] = ()) -> FilmEntry:
    return FilmEntry(title, year, 4.0, True, imdb, 0.0, "test", aka)


FILMS = [Item("movie:1", "movie", "The Usual Suspects", year=1995),
         Item("movie:2", "movie", "The City of Lost Children (Cité des enfants perdus, La)", year=1995),
         Item("movie:3", "movie", "Heat", year=1995, external_ids={"imdb": "tt0113277"}),
         Item("movie:4", "movie", "Heat", year=1986),
         Item("movie:5", "movie", "Hamlet", year=1996), Item("movie:6", "movie", "Hamlet", year=1996),
         Item("movie:7", "movie", "Amélie", year=2001)]


def test_films_are_found_by_imdb_id_then_by_title_the_way_people_write_it() -> None:
    matcher = FilmMatcher(FILMS)
    assert matcher.find(entry("Heat", None, imdb="tt0113277")) == ["movie:3"]
    assert matcher.find(entry("Usual Suspects, The", 1995)) == ["movie:1"]  # "Title, The"
    assert matcher.find(entry("the usual suspects!", 1996)) == ["movie:1"]  # punctuation, a year off by one
    assert matcher.find(entry("La Cité des enfants perdus", 1995)) == ["movie:2"]  # the alternative title
    assert matcher.find(entry("Amelie", 2001)) == ["movie:7"]  # accents
    assert matcher.find(entry("Heat", 1986)) == ["movie:4"]  # the year tells two Heats apart
    assert matcher.find(entry("Die Hard", 1988, aka=("Stirb langsam",))) == []
    assert sorted(matcher.find(entry("Hamlet", 1996))) == ["movie:5", "movie:6"]  # ambiguous
    assert matcher.find(entry("Heat", 1970)) == []  # a title alone, far from its year, is another film


def write_letterboxd(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "ratings.csv"
    path.write_text("Date,Name,Year,Letterboxd URI,Rating\n" + rows, encoding="utf-8")
    return path


def test_an_import_saves_sure_matches_reports_the_rest_and_never_touches_desk_ratings(engine: Engine,
                                                                                       tmp_path: Path) -> None:
    engine.store.import_catalogue(CatalogueImport("products", "extra", "test", [
        Item("movie:heat-1986", "movie", "Heat", year=1986)]))  # a second Heat, not told apart by title
    engine.store.rate(ME, item_id("fargo"), stars=2.0)  # rated in the app: an import must not change it
    report = engine.history.import_files([write_letterboxd(tmp_path, (
        "2024-01-05,Fargo,1996,u,5\n2024-01-06,Pulp Fiction,1994,u,4.5\n2024-01-07,Heat,,u,4\n"
        "2024-01-08,Paddington 2,2017,u,5\n"))])
    assert (report.format, report.entries, report.matched, report.imported) == ("letterboxd", 4, 2, 1)
    assert [(a.title, sorted(a.candidates)) for a in report.ambiguous] == [("Heat", ["Heat (1986)", "Heat (1995)"])]
    assert report.unmatched == ("Paddington 2 (2017)",)
    stars = {r.item_id: r.stars for r in engine.store.ratings_of(ME)}
    assert stars[item_id("fargo")] == 2.0 and stars[item_id("pulp-fiction")] == 4.5


def test_importing_the_same_service_again_replaces_what_it_brought(engine: Engine, tmp_path: Path) -> None:
    engine.history.import_files([write_letterboxd(tmp_path, "2024-01-06,Pulp Fiction,1994,u,4.5\n")])
    engine.history.import_files([write_letterboxd(tmp_path, "2024-01-09,Casino,1995,u,3\n")])
    stars = {r.item_id: r.stars for r in engine.store.ratings_of(ME)}
    assert stars == {item_id("casino"): 3.0}


def test_a_spotify_history_rates_the_library_tracks_it_played(engine: Engine, tmp_path: Path) -> None:
    import json

    engine.store.import_catalogue(CatalogueImport("music", "music:test", "test", [
        Item("music:elf", "music", "Elf Land", creators=("Muldjord",)),
        Item("music:city", "music", "The City Falls", creators=("Doug Kaufman",))]))
    plays = [{"endTime": f"2024-01-{day:02d} 21:05", "artistName": "Muldjord", "trackName": "Elf Land",
              "msPlayed": 181000} for day in range(1, 4)]
    plays += [{"endTime": "2024-01-05 21:05", "artistName": "Nobody", "trackName": f"Nothing {n:02d}",
               "msPlayed": 90000} for n in range(12)]  # more than a page of examples: every one is reported
    path = tmp_path / "StreamingHistory_music_0.json"
    path.write_text(json.dumps(plays), encoding="utf-8")
    report = engine.history.import_files([path])
    assert (report.format, report.unit, report.entries, report.matched, report.imported) == \
        ("spotify", "plays", 15, 1, 1)
    assert report.unmatched == tuple(f"Nobody - Nothing {n:02d}" for n in range(12))
    assert {r.item_id: r.stars for r in engine.store.ratings_of(ME)} == {"music:elf": 4.0}  # three plays: liked


def test_a_choice_settles_an_ambiguous_film_and_the_import_is_saved_again_with_it(engine: Engine,
                                                                                  tmp_path: Path) -> None:
    engine.store.import_catalogue(CatalogueImport("products", "extra", "test", [
        Item("movie:heat-1986", "movie", "Heat", year=1986)]))
    export = write_letterboxd(tmp_path, "2024-01-05,Fargo,1996,u,5\n2024-01-07,Heat,,u,4\n")
    first = engine.history.import_files([export])
    heat = first.ambiguous[0]
    assert set(heat.candidate_ids) == {item_id("heat"), "movie:heat-1986"}
    again = engine.history.import_files([export], choices={(heat.title, heat.year): "movie:heat-1986"})
    assert (again.matched, again.ambiguous) == (2, ())
    stars = {r.item_id: r.stars for r in engine.store.ratings_of(ME)}
    assert stars == {item_id("fargo"): 5.0, "movie:heat-1986": 4.0}
