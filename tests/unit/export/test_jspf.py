"""JSPF in ListenBrainz's shape: identifiers as lists of MusicBrainz URIs, the MusicBrainz extensions."""

from __future__ import annotations

import json
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
    assert bare == {"title": NASTY, "creator": "Nirvana"}
    assert film == {"title": "Fargo", "annotation": "movie, 1996. Crime, Thriller. a dark crime thriller"}
    assert 'Rock & Roll <Live> \\"Encore\\" café' in (tmp_path / "mix.jspf").read_text(encoding="utf-8")
