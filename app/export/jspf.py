"""JSPF, XSPF as JSON, in the shape ListenBrainz reads and writes (with the MusicBrainz extensions).

Followed from ListenBrainz's own serializer (listenbrainz/db/model/playlist.py, Playlist.serialize_jspf):
a track's identifier is a list of URIs, https://musicbrainz.org/recording/<mbid>; duration is in
milliseconds; extra MusicBrainz data sits under the extension keys below. The playlist extension
carries "public", which ListenBrainz's create API requires; exports are private by default.

Like that serializer, every track has an "identifier" list and a track extension, because troi
(ListenBrainz's playlist engine, troi/playlist.py _deserialize_from_jspf) reads track["identifier"]
unconditionally and track["extension"][TRACK_EXTENSION] whenever a track has a creator. A track
with no recording MBID gets an empty list (JSPF's identifier is an array of zero or more URIs, XSPF
allows none) and troi reads it as a recording without an MBID; we never invent an identifier: a
file:// URI is a location, not a canonical id, and a Chat-Rec item id means nothing outside the app.

Films and other non-music entries stay in the file, with their IMDb page as identifier when known
and a note (kind, year, genres, description) as annotation: JSPF is also a generic playlist format,
troi reads them as recordings without an MBID exactly as it reads untagged tracks, and the user asked
for their whole list. Only ListenBrainz's upload needs a recording MBID on every track, films or not.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.export import (
    MUSICBRAINZ_ARTIST,
    MUSICBRAINZ_RELEASE,
    ExportEntry,
    ExportOptions,
    Rendered,
    annotation_of,
    artist_of,
    duration_seconds,
    imdb_uri,
    is_playable,
    locate,
    location_uri,
    recording_uri,
)

PLAYLIST_EXTENSION = "https://musicbrainz.org/doc/jspf#playlist"
TRACK_EXTENSION = "https://musicbrainz.org/doc/jspf#track"


def render_jspf(entries: Sequence[ExportEntry], options: ExportOptions, playlist_dir: Path) -> Rendered:
    """{"playlist": {title, creator, date, extension, track: [...]}} as UTF-8 JSON."""
    tracks = [_track(entry, options, playlist_dir) for entry in entries]
    playlist: dict[str, Any] = {
        "title": options.name,
        "creator": options.creator,
        "date": options.timestamp().isoformat(timespec="seconds"),
        "extension": {PLAYLIST_EXTENSION: {"public": False}},
        "track": tracks,
    }
    text = json.dumps({"playlist": playlist}, ensure_ascii=False, indent=2) + "\n"
    return Rendered(text.encode("utf-8", "replace"), len(tracks))


def _track(entry: ExportEntry, options: ExportOptions, playlist_dir: Path) -> dict[str, Any]:
    item = entry.item
    track: dict[str, Any] = {"title": item.title}
    creator = artist_of(item)
    if creator:
        track["creator"] = creator
    music = item.domain == "music"
    if not music:
        track["annotation"] = annotation_of(item)
    album = item.attributes.get("album", "")
    if album:
        track["album"] = album
    seconds = duration_seconds(item)
    if seconds is not None:
        track["duration"] = round(seconds * 1000)
    if music and is_playable(item) is None:
        track["location"] = [location_uri(locate(item.source, playlist_dir, options))]
    identifier = recording_uri(item) if music else imdb_uri(item)
    track["identifier"] = [identifier] if identifier else []
    extension: dict[str, Any] = {}
    artist = item.external_ids.get("musicbrainz_artist", "").strip()
    if artist:
        extension["artist_identifiers"] = [MUSICBRAINZ_ARTIST + artist]
    release = item.external_ids.get("musicbrainz_release", "").strip()
    if release:
        extension["release_identifier"] = MUSICBRAINZ_RELEASE + release
    track["extension"] = {TRACK_EXTENSION: extension}
    return track
