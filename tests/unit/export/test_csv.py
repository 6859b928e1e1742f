"""CSV: Letterboxd's import columns for movies, a general table otherwise, no formulas for spreadsheets."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import pytest

from app.export import ExportEntry
from app.export.csv_export import letterboxd_rating
from app.export.formats import write_list
from tests.unit.export import movie, options, product, rated, track

AT = 1_700_000_000.0  # 2023-11-14 UTC


def _rows(tmp_path: Path, entries: list[ExportEntry]) -> list[dict[str, str]]:
    path = tmp_path / "list.csv"
    write_list("csv", path, entries, options())
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_movies_get_letterboxd_columns(tmp_path: Path) -> None:
    entries = [rated(movie(), stars=4.0, at=AT), ExportEntry(movie("Heat", 1995, "movie:heat"))]
    rows = _rows(tmp_path, entries)
    assert list(rows[0]) == ["Title", "Year", "Rating", "WatchedDate"]  # no ids known: no id columns
    assert rows[0] == {"Title": "Fargo", "Year": "1996", "Rating": "4",
                       "WatchedDate": datetime.fromtimestamp(AT).date().isoformat()}
    assert rows[1] == {"Title": "Heat", "Year": "1995", "Rating": "", "WatchedDate": ""}


def test_imdb_and_tmdb_columns_appear_only_when_known(tmp_path: Path) -> None:
    entries = [ExportEntry(movie(imdb="116282", tmdb="275")), ExportEntry(movie("Heat", 1995, "movie:heat"))]
    rows = _rows(tmp_path, entries)
    assert list(rows[0]) == ["Title", "Year", "Rating", "WatchedDate", "imdbID", "tmdbID"]
    assert (rows[0]["imdbID"], rows[0]["tmdbID"]) == ("tt0116282", "275")
    assert (rows[1]["imdbID"], rows[1]["tmdbID"]) == ("", "")


@pytest.mark.parametrize(("stars", "thumb", "expected"), [
    (5.0, None, "5"), (1.0, None, "1"), (3.5, None, "3.5"), (3.3, None, "3.5"), (2.2, None, "2"),
    (None, 1, "4.5"), (None, -1, "1.5"),  # a thumb counts as the app's THUMB_UP/DOWN_STARS
])
def test_letterboxd_ratings_are_half_stars(stars: float | None, thumb: int | None, expected: str) -> None:
    assert letterboxd_rating(rated(movie(), stars, thumb).rating) == expected


def test_other_domains_get_the_general_columns(tmp_path: Path) -> None:
    entries = [rated(movie(), stars=3.5), rated(track("/m/a.mp3"), thumb=1), rated(product(), thumb=-1)]
    rows = _rows(tmp_path, entries)
    assert list(rows[0]) == ["Title", "Creators", "Year", "Domain", "Genres", "Rating", "Id"]
    assert [(r["Domain"], r["Rating"], r["Id"]) for r in rows] == [
        ("movie", "3.5", "movie:fargo"), ("music", "up", "music:1"), ("product", "down", "product:grinder")]
    assert rows[0]["Genres"] == "Crime; Thriller" and rows[1]["Creators"] == "Nirvana"


def test_formula_cells_are_neutralised(tmp_path: Path) -> None:
    titles = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\tTab", "\rCR",
              "Safe = fine"]
    rows = _rows(tmp_path, [ExportEntry(movie(t, item_id=f"movie:{n}")) for n, t in enumerate(titles)])
    assert [r["Title"] for r in rows] == ['\'=HYPERLINK("http://evil","x")', "'+cmd|' /C calc'!A0", "'-2+3",
                                          "'@SUM(1)", "'\tTab", "'\rCR", "Safe = fine"]


def test_general_columns_are_neutralised_too(tmp_path: Path) -> None:
    rows = _rows(tmp_path, [ExportEntry(product()), ExportEntry(track("/m/a.mp3", "=1+1", artist="@evil"))])
    assert (rows[1]["Title"], rows[1]["Creators"]) == ("'=1+1", "'@evil")


def test_non_ascii_commas_quotes_and_line_breaks_round_trip(tmp_path: Path) -> None:
    title = 'Amélie, "Le Fabuleux Destin"\nd\'Amélie Poulain'
    rows = _rows(tmp_path, [ExportEntry(movie(title, 2001, "movie:amelie"))])
    assert rows[0]["Title"] == title
    assert (tmp_path / "list.csv").read_bytes().startswith(b"Title,Year,Rating,WatchedDate\r\n")  # no BOM
