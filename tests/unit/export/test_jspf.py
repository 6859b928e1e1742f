"""JSPF in ListenBrainz's shape: identifiers as lists of MusicBrainz URIs, the MusicBrainz extensions."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.export import ExportEntry
from app.export.formats import write_list
from app.export.jspf import PLAYLIST_EXTENSION, TRACK_EXTENSION
from tests.unit.export import ARTIST_MBID, MBID, NASTY, RELEASE_MBID, movie, options, track


def _export(tmp_path: Path, entries: list[ExportEntry], **changes: Any) -> dict[str, Any]:
    path = tmp_path / "mix.jspf"
    write_list("jspf", path, entries, options(**changes))
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def test_listenbrainz_shape(tmp_path: Path) -> None:
    song = tmp_path / "Teen Spirit.flac"
    playlist = _export(tmp_path, [ExportEntry(track(str(song)))])["playlist"]
    assert playlist["title"] == "Road Trip" and playlist["creator"] == "Chat-Rec"
    assert playlist["date"] == "2024-05-17T12:30:00+00:00"
    assert playlist["extension"] == {PLAYLIST_EXTENSION: {"public": False}}
    (item,) = playlist["track"]
    assert item == {
        "title": "Teen Spirit", "creator": "Nirvana", "album": "Nevermind", "duration": 301400,
        "location": [song.as_uri()],
        "identifier": [f"https://musicbrainz.org/recording/{MBID}"],
        "extension": {TRACK_EXTENSION: {"artist_identifiers": [f"https://musicbrainz.org/artist/{ARTIST_MBID}"],
                                        "release_identifier": f"https://musicbrainz.org/release/{RELEASE_MBID}"}},
    }


def test_tracks_without_ids_and_movies(tmp_path: Path) -> None:
    entries = [ExportEntry(track("", NASTY, mbid="", album="", duration="")), ExportEntry(movie())]
    bare, film = _export(tmp_path, entries, name=NASTY)["playlist"]["track"]
    # An empty identifier list and an empty MusicBrainz extension: what troi needs, nothing invented.
    assert bare == {"title": NASTY, "creator": "Nirvana", "identifier": [], "extension": {TRACK_EXTENSION: {}}}
    assert film == {"title": "Fargo", "annotation": "movie, 1996. Crime, Thriller. a dark crime thriller",
                    "identifier": [], "extension": {TRACK_EXTENSION: {}}}
    assert 'Rock & Roll <Live> \\"Encore\\" café' in (tmp_path / "mix.jspf").read_text(encoding="utf-8")


def test_film_keeps_its_imdb_page_and_directors(tmp_path: Path) -> None:
    film = replace(movie(imdb="114709"), creators=("Joel Coen", "Ethan Coen"))
    (item,) = _export(tmp_path, [ExportEntry(film)])["playlist"]["track"]
    assert item["identifier"] == ["https://www.imdb.com/title/tt0114709/"]
    assert item["creator"] == "Joel Coen, Ethan Coen"
    assert item["extension"] == {TRACK_EXTENSION: {}}
    assert "location" not in item  # a film has no file to play


def test_untagged_track_keeps_its_file_and_tags(tmp_path: Path) -> None:
    song = tmp_path / "Demo take.flac"
    (item,) = _export(tmp_path, [ExportEntry(track(str(song), "Demo take", mbid=""))])["playlist"]["track"]
    assert item == {"title": "Demo take", "creator": "Nirvana", "album": "Nevermind", "duration": 301400,
                    "location": [song.as_uri()], "identifier": [], "extension": {TRACK_EXTENSION: {}}}


def test_every_track_reads_as_listenbrainz_does(tmp_path: Path) -> None:
    """troi reads track["identifier"] always and the track extension whenever there is a creator."""
    heat = replace(movie("Heat", 1995, "movie:heat"), creators=("Michael Mann",))
    entries = [ExportEntry(track(str(tmp_path / "a.flac"))), ExportEntry(track("", "Bare", mbid="")),
               ExportEntry(movie()), ExportEntry(heat)]
    tracks = _export(tmp_path, entries)["playlist"]["track"]
    assert len(tracks) == len(entries)
    for item in tracks:
        assert isinstance(item["identifier"], list)
        assert all(uri.startswith("https://") for uri in item["identifier"])
        assert isinstance(item["extension"][TRACK_EXTENSION], dict)
    # Only real MBIDs become MusicBrainz URLs.
    musicbrainz = [uri for item in tracks for uri in item["identifier"] if "musicbrainz.org" in uri]
    assert musicbrainz == [f"https://musicbrainz.org/recording/{MBID}"]
