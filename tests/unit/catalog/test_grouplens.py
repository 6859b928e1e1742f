"""MovieLens as GroupLens ships it: each layout, zipped or unpacked, and every bad input named."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from app.catalog.grouplens import read_grouplens
from app.domain.errors import InputError

FLAGS = "|".join(["0"] * 19)


def flags(*on: int) -> str:
    """The 19 genre flags of u.item with the given positions set (3 Animation, 4 Children's, 5 Comedy...)."""
    bits = ["0"] * 19
    for position in on:
        bits[position] = "1"
    return "|".join(bits)


ML_100K = {
    "ml-100k/u.item": ("1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)|"
                       + flags(3, 4, 5) + "\n"
                       "2|Usual Suspects, The (1995)|14-Aug-1995||x|" + flags(6, 16) + "\n"
                       "3|Cité des enfants perdus, La (1995)|01-Jan-1995||x|" + flags(0) + "\n").encode("latin-1"),
    "ml-100k/u.data": b"1\t1\t5\t874965758\n2\t2\t4\t876893171\n1\t3\t3\t878542960\n",
    "ml-100k/u.user": b"1|24|M|technician|85711\n2|53|F|other|94043\n",
}
ML_1M = {
    "ml-1m/movies.dat": "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Amélie (2001)::Comedy|Romance\n"
                        .encode("latin-1"),
    "ml-1m/ratings.dat": b"1::1::5::978300760\n1::2::4::978302109\n",
    "ml-1m/users.dat": b"1::F::1::10::48067\n",
}
ML_LATEST = {
    "ml-latest-small/movies.csv": b'movieId,title,genres\n1,Toy Story (1995),Adventure|Animation|Children\n'
                                  b'2,"American President, The (1995)",Comedy|Drama|Romance\n'
                                  b'3,Nothing Known (2019),(no genres listed)\n',
    "ml-latest-small/ratings.csv": b"userId,movieId,rating,timestamp\n1,1,4.5,964982703\n1,2,0.5,964981247\n",
    "ml-latest-small/links.csv": b"movieId,imdbId,tmdbId\n1,0114709,862\n2,0112346,9087\n3,,\n",
}


def zipped(tmp_path: Path, name: str, files: dict[str, bytes]) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
    return path


def unpacked(tmp_path: Path, files: dict[str, bytes]) -> Path:
    for member, data in files.items():
        target = tmp_path / member
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return tmp_path / next(iter(files)).split("/")[0]


def test_ml_100k_reads_latin_1_titles_genre_flags_and_the_ids_the_recbole_copy_uses(tmp_path: Path) -> None:
    data = read_grouplens(zipped(tmp_path, "ml-100k.zip", ML_100K))
    assert data.size == "ml-100k"
    assert [i.id for i in data.items] == ["movie:toy-story-1995", "movie:the-usual-suspects-1995",
                                          "movie:la-cit-des-enfants-perdus-1995"]
    toy, suspects, cite = data.items
    assert (toy.title, toy.year, toy.genres) == ("Toy Story", 1995, ("Animation", "Children's", "Comedy"))
    assert suspects.title == "The Usual Suspects" and suspects.genres == ("Crime", "Thriller")
    assert cite.title == "La Cité des enfants perdus" and cite.genres == ()  # "unknown" is no genre
    assert next(iter(data.ratings)) == ("ml:1", "movie:toy-story-1995", 5.0, 874965758.0)
    assert {u.id: u.attributes["occupation"] for u in data.users} == {"ml:1": "technician", "ml:2": "other"}


def test_ml_1m_reads_double_colon_files(tmp_path: Path) -> None:
    data = read_grouplens(unpacked(tmp_path, ML_1M))
    assert [(i.title, i.year) for i in data.items] == [("Toy Story", 1995), ("Amélie", 2001)]
    assert data.items[1].genres == ("Comedy", "Romance")
    assert [r[2] for r in data.ratings] == [5.0, 4.0]


@pytest.mark.parametrize("packed", [True, False])
def test_ml_latest_keeps_half_stars_and_imdb_ids_zipped_or_unpacked(tmp_path: Path, packed: bool) -> None:
    path = zipped(tmp_path, "ml-latest-small.zip", ML_LATEST) if packed else unpacked(tmp_path, ML_LATEST)
    data = read_grouplens(path)
    assert data.size == "ml-latest-small"
    assert [r[2] for r in data.ratings] == [4.5, 1.0]  # half stars kept; half a star is the app's lowest, one
    president = data.items[1]
    assert president.title == "The American President" and president.external_ids["imdb"] == "tt0112346"
    assert data.items[2].genres == () and "imdb" not in data.items[2].external_ids


def test_a_file_that_is_not_a_zip_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "ml-25m.zip"
    path.write_bytes(b"<html>not found</html>" * 100)
    with pytest.raises(InputError, match="not a readable zip") as caught:
        read_grouplens(path)
    assert caught.value.file == str(path)


def test_half_a_zip_is_refused(tmp_path: Path) -> None:
    whole = zipped(tmp_path, "whole.zip", ML_LATEST).read_bytes()
    half = tmp_path / "ml-latest-small.zip"
    half.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match="zip"):
        read_grouplens(half)


def test_a_zip_of_something_else_says_what_was_expected(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"u\.data and u\.item"):
        read_grouplens(zipped(tmp_path, "photos.zip", {"a.jpg": b"x"}))


def test_an_empty_folder_or_a_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a MovieLens release"):
        read_grouplens(tmp_path)
    with pytest.raises(InputError, match="no such file"):
        read_grouplens(tmp_path / "nowhere.zip")


@pytest.mark.parametrize(("member", "text", "message", "line"), [
    ("ml-latest-small/ratings.csv", "userId,movieId,rating,timestamp\n1,1,6,964982703\n", "outside 0.5-5", 2),
    ("ml-latest-small/ratings.csv", "userId,movieId,rating,timestamp\n1,99,4,964982703\n", "unknown movie '99'", 2),
    ("ml-latest-small/ratings.csv", "userId,movieId,rating,timestamp\n1,1,four,964982703\n", "must be numbers", 2),
    ("ml-latest-small/ratings.csv", "user,movie,stars\n1,1,4\n", "expected the header", 1),
    ("ml-latest-small/movies.csv", "movieId,title,genres\n1,Toy Story (1995)\n", "expected 3 fields", 2),
])
def test_a_bad_row_is_named_by_file_line_and_nothing_is_returned(tmp_path: Path, member: str, text: str,
                                                                  message: str, line: int) -> None:
    files = {**ML_LATEST, member: text.encode()}
    with pytest.raises(InputError, match=message) as caught:
        read_grouplens(zipped(tmp_path, "ml-latest-small.zip", files))
    assert caught.value.line == line and member in (caught.value.file or "")


def test_a_100k_rating_below_one_star_is_refused(tmp_path: Path) -> None:
    files = {**ML_100K, "ml-100k/u.data": b"1\t1\t0\t874965758\n"}
    with pytest.raises(InputError, match="outside 1-5") as caught:
        read_grouplens(zipped(tmp_path, "ml-100k.zip", files))
    assert caught.value.field == "rating"


def test_ml_latest_ratings_are_streamed_from_the_file_not_held_in_a_list(tmp_path: Path) -> None:
    data = read_grouplens(zipped(tmp_path, "ml-latest-small.zip", ML_LATEST))
    assert not isinstance(data.ratings, list) and len(data.ratings) == 2
    assert list(data.ratings) == list(data.ratings)  # read again from the zip each time
    assert [u.id for u in data.users] == ["ml:1"]
