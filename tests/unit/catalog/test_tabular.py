"""A NUL byte in any imported text is refused like any other bad row: by file, line and field, importing nothing."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from app.catalog.film_history import read_film_history
from app.catalog.grouplens import read_grouplens
from app.catalog.listens import read_lastfm_csv, read_listenbrainz
from app.catalog.products import read_product_ratings, read_products
from app.catalog.spotify import read_spotify
from tests.files import fails, write

LISTEN = {"listened_at": 1700000000, "track_metadata": {"artist_name": "A", "track_name": "T"}}
SPOTIFY = {"endTime": "2024-01-31 21:05", "artistName": "Muldjord", "trackName": "Elf Land", "msPlayed": 181000}


def grouplens_zip(tmp_path: Path, name: str, movies: bytes) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ml-latest-small/movies.csv", movies)
        archive.writestr("ml-latest-small/ratings.csv", b"userId,movieId,rating,timestamp\n1,1,4.5,964982703\n")
    return path


# (file name, its content with a NUL in line `line`'s field `field`, the reader, line, field)
CASES: dict[str, tuple[str, str | bytes, Callable[[Path], object], int | None, str]] = {
    "product csv title": ("p.csv", "title,category,price\nKettle,kitchen,12\nMu\0g,kitchen,5\n",
                          read_products, 3, "title"),
    "product tsv brand": ("p.tsv", "title\tcategory\tprice\tbrand\nKettle\tkitchen\t12\tAc\0me\n",
                          read_products, 2, "brand"),
    "product json title": ("p.json", '[{"title": "Kettle", "category": "kitchen", "price": 12},\n'
                                     ' {"title": "Mu\\u0000g", "category": "kitchen", "price": 5}]',
                           read_products, 2, "title"),
    "product json tag": ("p.json", '[{"title": "Kettle", "category": "kitchen", "price": 12,\n'
                                   '  "tags": ["tea\\u0000"]}]', read_products, 2, "tags"),
    "product rating user": ("r.csv", "user,item,stars\nu\0,tent,5\n",
                            lambda path: read_product_ratings(path, {"product:tent"}), 2, "user"),
    "last.fm with a header": ("s.csv", "artist,track\nA,T\nA,T\0\n", read_lastfm_csv, 3, "track"),
    "last.fm without a header": ("s.csv", "A,Album,T,31 Jan 2021 14:05\nA\0,Album,T,31 Jan 2021 14:06\n",
                                 read_lastfm_csv, 2, "artist"),
    "listenbrainz jsonl": ("l.jsonl", json.dumps(LISTEN) + "\n" + json.dumps(
        {**LISTEN, "track_metadata": {"artist_name": "A", "track_name": "T\0"}}) + "\n",
        read_listenbrainz, 2, "track_metadata.track_name"),
    "spotify": ("StreamingHistory_music_0.json", json.dumps([SPOTIFY, {**SPOTIFY, "artistName": "Mul\0djord"}]),
                read_spotify, None, "artistName"),
    "letterboxd": ("ratings.csv", "Date,Name,Year,Letterboxd URI,Rating\n2024-01-05,Far\0go,1996,u,4.5\n",
                   lambda path: read_film_history([path]), 2, "Name"),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_nul_byte_in_imported_text_refuses_the_row_naming_file_line_and_field(
        tmp_path: Path, case: tuple[str, str, Callable[[Path], object], int | None, str]) -> None:
    name, content, read, line, field = case
    message = fails(read, write(tmp_path, name, content), line=line, field=field)
    assert "contains a NUL byte" in message


def test_a_nul_byte_in_a_grouplens_title_names_the_member_line_and_column(tmp_path: Path) -> None:
    path = grouplens_zip(tmp_path, "ml-latest-small.zip", b"movieId,title,genres\n1,Toy\0Story (1995),Animation\n")
    message = fails(read_grouplens, path, line=2, field="title", where="ml-latest-small/movies.csv")
    assert "contains a NUL byte" in message


def test_a_header_full_of_nul_bytes_asks_whether_the_file_is_utf16(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "title,category,price\nKettle,kitchen,12\n".encode("utf-16-le"))
    assert "UTF-16" in fails(read_products, path, line=1, field=None)
