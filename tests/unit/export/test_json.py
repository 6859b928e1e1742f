"""Plain JSON: every entry's details, read back by the json module."""

from __future__ import annotations

import json
from pathlib import Path

from app.export import ExportEntry
from app.export.formats import write_list
from tests.unit.export import ARTIST_MBID, MBID, NASTY, RELEASE_MBID, movie, options, rated, track


def test_shape_and_values(tmp_path: Path) -> None:
    entries = [rated(track("/m/é.mp3", NASTY), thumb=1, at=1_700_000_000.0), ExportEntry(movie())]
    write_list("json", tmp_path / "mix.json", entries, options(name=NASTY))
    document = json.loads((tmp_path / "mix.json").read_text(encoding="utf-8"))
    assert document["name"] == NASTY and document["exported_at"] == "2024-05-17T12:30:00+00:00"
    song, film = document["items"]
    assert song == {"id": "music:1", "title": NASTY, "domain": "music", "year": None, "creators": ["Nirvana"],
                    "genres": [], "rating": {"stars": None, "thumb": 1, "rated_at": "2023-11-14T22:13:20+00:00"},
                    "source": "/m/é.mp3", "external_ids": {"musicbrainz_recording": MBID,
                                                           "musicbrainz_artist": ARTIST_MBID,
                                                           "musicbrainz_release": RELEASE_MBID}}
    assert film["rating"] is None and film["year"] == 1996 and film["genres"] == ["Crime", "Thriller"]
