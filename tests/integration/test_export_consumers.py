"""Every export format read back by a program we did not write: what the user's player or site will see.

XSPF: xmllint (Debian's libxml2-utils) checks it is well-formed XML in the XSPF namespace, and xspf-lib
(PyPI) parses it as XSPF. No XSPF schema is packaged in Debian, PyPI or npm (libxspf, which shipped one,
left Debian), so the schema check is the parser's, not a validator's.
JSPF: troi, ListenBrainz's playlist engine (PyPI), reads it as ListenBrainz's own tools do.
M3U8: m3u8 (PyPI) parses the extended M3U; every path must open the exported audio file.
CSV: the csv module, against Letterboxd's documented import columns. JSON: json.loads.
"""

from __future__ import annotations

import csv
import json
import os
import wave
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import m3u8
import pytest
import xspf_lib

from app.bootstrap import Engine
from app.domain.items import ME, Item
from app.export.formats import FORMATS
from app.store.sqlite import CatalogueImport
from tests.consumers import run_xmllint, troi_read
from tests.tiny_catalogue import item_id

pytestmark = pytest.mark.integration
XSPF_NS = "http://xspf.org/ns/0/"
RECORDINGS = ("8f3471b5-7e6a-48da-86a9-c1c07a0f47ae", "d3c9d1a0-0f2c-4c5b-9a51-6f3a4e4b6c21")
ARTISTS = ("5b11f4ce-a62d-471e-81fc-a69a8278c7da", "b10bbbfc-cf9e-42e0-be17-e2c3e1d2600d")
RELEASE = "1b022e01-4da6-387b-8658-8678046e4cef"
FILMS = ("fargo", "heat")
FORMULA_TITLE = "=HYPERLINK(\"http://x\")"
# Letterboxd's importer (letterboxd.com/about/importing-data) reads these headers; only Title is required.
LETTERBOXD_HEADERS = {"Title", "Year", "Rating", "Rating10", "WatchedDate", "imdbID", "tmdbID", "LetterboxdURI",
                      "Directors", "Tags", "Review", "Rewatch"}


def _wav(path: Path, seconds: float = 0.25) -> Path:
    """A short, real, silent WAV file a player can open."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * int(8000 * seconds))
    return path


class Library:
    """A library with two real tracks (one in a folder with a space and an accent) and two films."""

    def __init__(self, engine: Engine, root: Path) -> None:
        self.engine = engine
        self.music = root / "Music"
        self.files = (_wav(self.music / "Nirvana" / "01 Teen Spirit.wav"),
                      _wav(self.music / "Café Tacvba" / "02 Eres & tú.wav"))
        tracks = [
            Item("music:teen", "music", "Smells Like Teen Spirit", creators=("Nirvana",), source=str(self.files[0]),
                 external_ids={"musicbrainz_recording": RECORDINGS[0], "musicbrainz_artist": ARTISTS[0],
                               "musicbrainz_release": RELEASE},
                 attributes={"album": "Nevermind", "duration_s": "0.25"}),
            Item("music:eres", "music", "Eres & tú <en vivo>", creators=("Café Tacvba",), source=str(self.files[1]),
                 external_ids={"musicbrainz_recording": RECORDINGS[1], "musicbrainz_artist": ARTISTS[1]},
                 attributes={"album": "Cuatro Caminos", "duration_s": "0.25"}),
        ]
        engine.store.import_catalogue(CatalogueImport("music", "music", str(self.music), tracks))
        engine.store.import_catalogue(CatalogueImport("movielens", "formula", "test", [
            Item("movie:formula", "movie", FORMULA_TITLE, year=2001)]))
        engine.store.rate(ME, "music:teen", stars=5.0, timestamp=1_700_000_000.0)
        engine.store.rate(ME, "music:eres", thumb=1, timestamp=1_700_000_000.0)
        engine.store.rate(ME, item_id("fargo"), stars=4.5, timestamp=1_700_000_000.0)
        engine.store.rate(ME, item_id("heat"), stars=3.0, timestamp=1_700_000_000.0)
        engine.lists.create("Mixed")
        engine.lists.add("Mixed", ["music:teen", item_id("fargo"), "music:eres", item_id("heat")])
        engine.lists.create("Tracks")
        engine.lists.add("Tracks", ["music:teen", "music:eres"])
        engine.lists.create("Films")
        engine.lists.add("Films", [item_id("fargo"), item_id("heat"), "movie:formula"])


@pytest.fixture
def library(engine: Engine, tmp_path: Path) -> Iterator[Library]:
    yield Library(engine, tmp_path)


def _local(uri: str, playlist: Path) -> Path:
    """A <location> as a player resolves it: file:// URIs, or relative to the playlist's folder."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    assert not parsed.scheme, uri
    return (playlist.parent / unquote(uri)).resolve()


@pytest.mark.parametrize("mode", ["absolute", "relative"])
def test_xspf_is_valid_xml_and_parses_as_xspf(library: Library, tmp_path: Path, mode: str) -> None:
    out = tmp_path / "Playlists" / "mixed.xspf"
    out.parent.mkdir()
    result = library.engine.lists.export_result("Mixed", "xspf", out, path_mode=mode)  # type: ignore[arg-type]
    assert result.written == 4
    checked = run_xmllint("--noout", "--nonet", str(out))
    assert checked.returncode == 0, checked.stderr
    # The root is XSPF 1's <playlist> in its namespace: what a player sniffs for.
    root = run_xmllint("--xpath", f"count(/*[local-name()='playlist' and namespace-uri()='{XSPF_NS}'"
                       "and @version='1']/*[local-name()='trackList']/*)", str(out))
    assert root.returncode == 0 and root.stdout.strip() == "4", root.stderr

    playlist = xspf_lib.Playlist.parse(str(out))
    assert playlist.title == "Mixed"
    assert [t.title for t in playlist.trackList] == ["Smells Like Teen Spirit", "Fargo", "Eres & tú <en vivo>",
                                                     "Heat"]
    assert [t.creator for t in playlist.trackList] == ["Nirvana", None, "Café Tacvba", None]
    teen, fargo, eres, _ = playlist.trackList
    assert teen.identifier == [f"https://musicbrainz.org/recording/{RECORDINGS[0]}"]
    assert teen.album == "Nevermind" and teen.duration == 250
    assert fargo.location == [] and "movie, 1996" in (fargo.annotation or "")
    located = [_local(loc, out) for t in (teen, eres) for loc in t.location]
    assert located == [p.resolve() for p in library.files]
    assert all(p.is_file() for p in located)


def test_xspf_path_mapping_names_the_server_path(library: Library, tmp_path: Path) -> None:
    out = tmp_path / "mixed.xspf"
    library.engine.lists.export("Tracks", "xspf", out, path_map={str(library.music): "/srv/music"})
    playlist = xspf_lib.Playlist.parse(str(out))
    assert [unquote(loc) for t in playlist.trackList for loc in t.location] == [
        "file:///srv/music/Nirvana/01 Teen Spirit.wav", "file:///srv/music/Café Tacvba/02 Eres & tú.wav"]


def test_jspf_reads_back_in_listenbrainz_troi(library: Library, tmp_path: Path) -> None:
    out = tmp_path / "tracks.jspf"
    library.engine.lists.export("Tracks", "jspf", out, path_mode="relative")
    read = troi_read(out)
    assert read["name"] == "Tracks"
    assert [(r["name"], r["mbid"], r["artist"], r["artist_mbids"], r["release"]) for r in read["recordings"]] == [
        ("Smells Like Teen Spirit", RECORDINGS[0], "Nirvana", [ARTISTS[0]], "Nevermind"),
        ("Eres & tú <en vivo>", RECORDINGS[1], "Café Tacvba", [ARTISTS[1]], "Cuatro Caminos"),
    ]
    located = [_local(loc, out) for r in read["recordings"] for loc in r["locations"]]
    assert located == [p.resolve() for p in library.files]


def test_jspf_with_films_and_untagged_tracks_reads_back_in_troi(library: Library, tmp_path: Path) -> None:
    # An untagged track and a film with directors and an IMDb id: a creator with no MusicBrainz ids.
    demo = _wav(library.music / "Demos" / "03 Demo.wav")
    library.engine.store.import_catalogue(CatalogueImport("music", "demos", str(demo.parent), [
        Item("music:demo", "music", "Demo", creators=("Nobody Yet",), source=str(demo))]))
    library.engine.store.import_catalogue(CatalogueImport("movielens", "coen", "test", [
        Item("movie:lebowski", "movie", "The Big Lebowski", year=1998, creators=("Joel Coen", "Ethan Coen"),
             external_ids={"imdb": "118715"})]))
    library.engine.lists.add("Mixed", ["music:demo", "movie:lebowski"])
    out = tmp_path / "mixed.jspf"
    library.engine.lists.export("Mixed", "jspf", out)
    read = troi_read(out)
    assert [(r["name"], r["mbid"], r["artist"], r["artist_mbids"]) for r in read["recordings"]] == [
        ("Smells Like Teen Spirit", RECORDINGS[0], "Nirvana", [ARTISTS[0]]),
        ("Fargo", None, None, []),
        ("Eres & tú <en vivo>", RECORDINGS[1], "Café Tacvba", [ARTISTS[1]]),
        ("Heat", None, None, []),
        ("Demo", None, "Nobody Yet", []),
        ("The Big Lebowski", None, "Joel Coen, Ethan Coen", []),
    ]
    # Tracks keep their files, films have none; the film's IMDb page stays in the file for other readers.
    assert [_local(loc, out) for r in read["recordings"] for loc in r["locations"] or []] == [
        *(p.resolve() for p in library.files), demo.resolve()]
    tracks = json.loads(out.read_text(encoding="utf-8"))["playlist"]["track"]
    assert tracks[-1]["identifier"] == ["https://www.imdb.com/title/tt0118715/"]


@pytest.mark.parametrize("mode", ["absolute", "relative"])
def test_m3u8_paths_open_the_exported_files(library: Library, tmp_path: Path, mode: str) -> None:
    out = tmp_path / "Playlists" / "mixed.m3u8"
    out.parent.mkdir()
    result = library.engine.lists.export_result("Mixed", "m3u8", out, path_mode=mode)  # type: ignore[arg-type]
    assert result.written == 2 and [s.title for s in result.skipped] == ["Fargo", "Heat"]
    parsed = m3u8.loads(out.read_text(encoding="utf-8"))
    assert [s.title for s in parsed.segments] == ["Nirvana - Smells Like Teen Spirit",
                                                  "Café Tacvba - Eres & tú <en vivo>"]
    assert [s.duration for s in parsed.segments] == [0, 0]  # 0.25 s rounds to 0 whole seconds
    uris = [s.uri for s in parsed.segments]
    assert all(os.path.isabs(u) == (mode == "absolute") for u in uris)
    # A player resolves a relative line against the playlist's folder, never the working directory.
    assert [(out.parent / u).resolve() for u in uris] == [p.resolve() for p in library.files]


def test_m3u8_path_mapping_rewrites_the_prefix(library: Library, tmp_path: Path) -> None:
    out = tmp_path / "tracks.m3u8"
    library.engine.lists.export("Tracks", "m3u8", out, path_mode="relative",
                                path_map={str(library.music / "Nirvana"): "/music/Nirvana"})
    uris = [s.uri for s in m3u8.loads(out.read_text(encoding="utf-8")).segments]
    # The mapped track names the server's path; the other stays relative to the playlist.
    assert uris == ["/music/Nirvana/01 Teen Spirit.wav", os.path.join("Music", "Café Tacvba", "02 Eres & tú.wav")]


def test_csv_has_letterboxds_import_columns_and_neutralised_formulas(library: Library, tmp_path: Path) -> None:
    out = tmp_path / "films.csv"
    library.engine.lists.export("Films", "csv", out)
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
        handle.seek(0)
        header = next(csv.reader(handle))
    assert header == ["Title", "Year", "Rating", "WatchedDate"]
    assert set(header) <= LETTERBOXD_HEADERS
    assert [(r["Title"], r["Year"], r["Rating"]) for r in rows] == [
        ("Fargo", "1996", "4.5"), ("Heat", "1995", "3"), ("'" + FORMULA_TITLE, "2001", "")]
    assert all(0.5 <= float(r["Rating"]) <= 5 for r in rows if r["Rating"])
    assert rows[0]["WatchedDate"].count("-") == 2 and rows[2]["WatchedDate"] == ""


def test_csv_for_a_mixed_list_uses_the_general_columns(library: Library, tmp_path: Path) -> None:
    out = tmp_path / "mixed.csv"
    library.engine.lists.export("Mixed", "csv", out)
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["Title"], r["Domain"], r["Rating"], r["Id"]) for r in rows] == [
        ("Smells Like Teen Spirit", "music", "5", "music:teen"), ("Fargo", "movie", "4.5", "movie:fargo"),
        ("Eres & tú <en vivo>", "music", "up", "music:eres"), ("Heat", "movie", "3", "movie:heat")]


def test_json_keeps_entries_and_ratings(library: Library, tmp_path: Path) -> None:
    out = tmp_path / "mixed.json"
    library.engine.lists.export("Mixed", "json", out)
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["name"] == "Mixed"
    assert [(i["id"], (i["rating"] or {}).get("stars"), (i["rating"] or {}).get("thumb"))
            for i in document["items"]] == [("music:teen", 5.0, None), ("movie:fargo", 4.5, None),
                                            ("music:eres", None, 1), ("movie:heat", 3.0, None)]
    assert document["items"][0]["source"] == str(library.files[0])


def test_every_format_is_covered() -> None:
    # A new format needs a reader here too.
    assert sorted(FORMATS) == ["csv", "json", "jspf", "m3u8", "xspf"]
