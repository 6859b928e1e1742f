"""Only regular files are read as imports: a named pipe or a folder is named and refused at once, never opened."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from app.catalog.film_history import read_film_history
from app.catalog.grouplens import read_grouplens
from app.catalog.listens import read_lastfm_csv, read_listenbrainz, read_listens
from app.catalog.products import read_product_ratings, read_products
from app.catalog.spotify import read_spotify
from app.domain.errors import InputError
from tests.files import within

READERS: dict[str, tuple[str, Callable[[Path], object]]] = {
    "products csv": ("shop.csv", read_products),
    "products tsv": ("shop.tsv", read_products),
    "products json": ("shop.json", read_products),
    "product ratings": ("ratings.csv", lambda path: read_product_ratings(path, set())),
    "listens csv": ("scrobbles.csv", read_listens),
    "listens json": ("listens.json", read_listens),
    "listens jsonl": ("listens.jsonl", read_listens),
    "listens zip": ("listenbrainz.zip", read_listens),
    "last.fm csv": ("scrobbles.csv", read_lastfm_csv),
    "listenbrainz zip": ("listenbrainz.zip", read_listenbrainz),
    "spotify json": ("StreamingHistory_music_0.json", read_spotify),
    "spotify zip": ("my_spotify_data.zip", read_spotify),
    "letterboxd csv": ("ratings.csv", lambda path: read_film_history([path])),
    "letterboxd zip": ("letterboxd.zip", lambda path: read_film_history([path])),
    "grouplens zip": ("ml-latest-small.zip", read_grouplens),
}


@pytest.mark.parametrize("reader", READERS.values(), ids=READERS.keys())
def test_a_named_pipe_given_as_an_import_file_is_refused_at_once_naming_it(
        tmp_path: Path, reader: tuple[str, Callable[[Path], object]]) -> None:
    name, read = reader
    pipe = tmp_path / name
    os.mkfifo(pipe)
    with pytest.raises(InputError) as caught:
        within(5, lambda: read(pipe))
    assert str(caught.value) == f"{pipe}: is a named pipe (FIFO), not a file"


def test_a_named_pipe_inside_a_letterboxd_folder_is_named_not_opened(tmp_path: Path) -> None:
    (tmp_path / "watched.csv").write_text("Date,Name,Year,Letterboxd URI\n2023-12-01,Fargo,1996,u\n",
                                          encoding="utf-8")
    os.mkfifo(tmp_path / "ratings.csv")
    with pytest.raises(InputError, match=r"ratings\.csv: is a named pipe \(FIFO\), not a file"):
        within(5, lambda: read_film_history([tmp_path]))


@pytest.mark.parametrize("read", [read_products, read_listens, read_spotify], ids=["products", "listens", "spotify"])
def test_a_folder_given_as_an_import_file_is_named_as_a_folder(tmp_path: Path, read: Callable[[Path], object]) -> None:
    folder = tmp_path / "export.json"
    folder.mkdir()
    with pytest.raises(InputError, match=r"export\.json: is a folder, not a file"):
        read(folder)


def test_a_missing_import_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"gone\.csv: no such file"):
        read_products(tmp_path / "gone.csv")
