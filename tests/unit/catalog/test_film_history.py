"""Letterboxd and IMDb exports read as film entries: formats told from the files, bad rows named."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from app.catalog.film_history import LIKED_STARS, WATCHED_STARS, read_film_history
from app.domain.errors import InputError

LB_RATINGS = ("Date,Name,Year,Letterboxd URI,Rating\n"
              "2024-01-05,Fargo,1996,https://boxd.it/a,4.5\n"
              "2024-02-01,\"Usual Suspects, The\",1995,https://boxd.it/b,0.5\n")
LB_WATCHED = ("Date,Name,Year,Letterboxd URI\n"
              "2023-12-01,Fargo,1996,https://boxd.it/a\n"
              "2023-12-02,Heat,1995,https://boxd.it/c\n"
              "2023-12-03,Se7en,1995,https://boxd.it/d\n")
LB_LIKES = "Date,Name,Year,Letterboxd URI\n2023-12-04,Heat,1995,https://boxd.it/c\n"
LB_WATCHLIST = "Date,Name,Year,Letterboxd URI\n2023-12-05,Alien,1979,https://boxd.it/e\n"
IMDB_NEW = ("Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,"
            "Genres,Num Votes,Release Date,Directors\n"
            "tt0116282,9,2023-05-01,Fargo,Fargo,https://www.imdb.com/title/tt0116282/,Movie,8.1,98,1996,"
            "\"Crime, Drama\",700000,1996-03-08,Joel Coen\n"
            "tt0903747,10,2023-05-02,Breaking Bad,Breaking Bad,u,TV Series,9.5,49,2008,Drama,2000000,2008-01-20,\n"
            "tt0095016,1,2023-05-03,Die Hard,Stirb langsam,u,Movie,8.2,132,1988,Action,900000,1988-07-15,"
            "John McTiernan\n")
IMDB_OLD = ("Const,Your Rating,Date Rated,Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres,Num Votes,"
            "Release Date,Directors\n"
            "tt0116282,7,2019-05-01,Fargo,u,movie,8.1,98,1996,Crime,700000,1996-03-08,Joel Coen\n")


def letterboxd_zip(tmp_path: Path) -> Path:
    path = tmp_path / "letterboxd-me-2024-03-01-10-00-utc.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ratings.csv", LB_RATINGS)
        archive.writestr("watched.csv", LB_WATCHED)
        archive.writestr("likes/films.csv", LB_LIKES)
        archive.writestr("watchlist.csv", LB_WATCHLIST)
    return path


def test_a_letterboxd_zip_gives_one_entry_per_film_rated_liked_or_watched(tmp_path: Path) -> None:
    history = read_film_history([letterboxd_zip(tmp_path)])
    assert history.format == "letterboxd"
    entries = {e.title: e for e in history.entries}
    assert set(entries) == {"Fargo", "Usual Suspects, The", "Heat", "Se7en"}  # the watchlist is not watched
    assert (entries["Fargo"].stars, entries["Fargo"].rated) == (4.5, True)  # the rating beats the plain watch
    assert entries["Usual Suspects, The"].stars == 1.0  # half a star: the app's lowest
    assert (entries["Heat"].stars, entries["Heat"].rated) == (LIKED_STARS, False)
    assert (entries["Se7en"].stars, entries["Se7en"].rated) == (WATCHED_STARS, False)


@pytest.mark.parametrize("export", [IMDB_NEW, IMDB_OLD])
def test_imdb_ratings_become_half_of_ten_and_other_kinds_are_skipped(tmp_path: Path, export: str) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text(export, encoding="utf-8")
    history = read_film_history([path])
    assert history.format == "imdb"
    fargo = history.entries[0]
    assert (fargo.title, fargo.year, fargo.imdb_id) == ("Fargo", 1996, "tt0116282")
    assert fargo.stars == (4.5 if export is IMDB_NEW else 3.5)
    if export is IMDB_NEW:
        assert history.entries[1].stars == 1.0 and history.entries[1].aka == ("Stirb langsam",)
        assert history.skipped == ("Breaking Bad (TV Series): not a film",)


@pytest.mark.parametrize(("text", "message", "field"), [
    ("Date,Name,Year,Letterboxd URI,Rating\n2024-01-05,Fargo,1996,u,7\n", "outside 0.5-5", "Rating"),
    ("Date,Name,Year,Letterboxd URI,Rating\n2024-01-05,Fargo,nineteen,u,4\n", "not a year", "Year"),
    ("Date,Name,Year,Letterboxd URI,Rating\n05/01/2024,Fargo,1996,u,4\n", "not a date", "Date"),
    ("Const,Your Rating,Date Rated,Title,Title Type,Year\ntt1,11,2023-05-01,Fargo,Movie,1996\n", "outside 1-10",
     "Your Rating"),
])
def test_a_bad_row_is_named_by_file_line_and_field(tmp_path: Path, text: str, message: str, field: str) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message) as caught:
        read_film_history([path])
    assert (caught.value.file, caught.value.line, caught.value.field) == (str(path), 2, field)


def test_a_file_of_another_kind_or_a_mix_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "StreamingHistory_music_0.json"
    other.write_text('[{"endTime": "2024-01-01 10:00", "artistName": "A", "trackName": "T", "msPlayed": 1}]')
    with pytest.raises(InputError, match="neither a Letterboxd export"):
        read_film_history([other])
    imdb = tmp_path / "imdb.csv"
    imdb.write_text(IMDB_OLD, encoding="utf-8")
    with pytest.raises(InputError, match="mixes Letterboxd and IMDb"):
        read_film_history([letterboxd_zip(tmp_path), imdb])


def test_a_damaged_zip_or_a_missing_file_is_refused(tmp_path: Path) -> None:
    whole = letterboxd_zip(tmp_path).read_bytes()
    broken = tmp_path / "broken.zip"
    broken.write_bytes(whole[:40] + b"\0" * 200 + whole[-60:])
    with pytest.raises(InputError):
        read_film_history([broken])
    with pytest.raises(InputError, match="no such file"):
        read_film_history([tmp_path / "missing.csv"])


def test_a_large_file_that_is_not_an_export_is_turned_away_without_reading_it_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "ratings.csv"
    with big.open("wb") as handle:
        handle.write(b"\x89PNG\r\n" + b"\0" * 4096)
        handle.seek(64 * 1024 * 1024)  # 64 MB, mostly a hole: what its name says it is not
        handle.write(b"end")

    def never(self: Path) -> bytes:
        raise AssertionError(f"{self} was read whole")

    monkeypatch.setattr(Path, "read_bytes", never)
    with pytest.raises(InputError, match="neither a Letterboxd export") as caught:
        read_film_history([big])
    assert caught.value.file == str(big)


def test_an_empty_export_says_it_is_empty(tmp_path: Path) -> None:
    empty = tmp_path / "ratings.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="is empty") as caught:
        read_film_history([empty])
    assert caught.value.file == str(empty)
