"""Spotify's listening histories, read as plays: the account data and the extended streaming history.

Spotify sends two kinds of export, as JSON arrays, alone or in the zip it mails:

- account data, ``StreamingHistory_music_N.json`` (older: ``StreamingHistoryN.json``):
  ``{"endTime": "2024-01-31 21:05", "artistName", "trackName", "msPlayed"}``;
- the extended history, ``Streaming_History_Audio_*.json`` (older: ``endsong_N.json``):
  ``{"ts": "2024-01-31T21:05:10Z", "ms_played", "master_metadata_track_name",
  "master_metadata_album_artist_name", "master_metadata_album_album_name", "episode_name", ...}``.

A play under 30 seconds is a skip, not a play (Spotify counts a stream from 30 s too), and podcast
episodes are not music: both are left out. Which export a file is comes from its first record.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from app.catalog.files import require_file
from app.catalog.tabular import decode_utf8, json_kind, read_utf8, refuse_nul, zip_members
from app.domain.errors import InputError
from app.domain.music import Listen

SPOTIFY = "spotify"
MIN_PLAY_MS = 30_000
_ACCOUNT = ("endTime", "artistName", "trackName", "msPlayed")
_EXTENDED = ("ts", "ms_played")
_TEXT = {"account": ("artistName", "trackName", ""),
         "extended": ("master_metadata_album_artist_name", "master_metadata_track_name",
                      "master_metadata_album_album_name")}
_SNIFF_BYTES = 4096  # the first record of either export fits in this


def is_spotify(path: Path) -> bool:
    """Whether the file (or a zip's members) holds a Spotify streaming history, told from its first bytes."""
    try:
        if not path.is_file():
            return False
        if not zipfile.is_zipfile(path):
            with path.open("rb") as handle:
                return _looks_like_plays(handle.read(_SNIFF_BYTES))
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if _is_history_member(name):
                    with archive.open(name) as member:
                        if _looks_like_plays(member.read(_SNIFF_BYTES)):
                            return True
        return False
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
        return False


def _looks_like_plays(head: bytes) -> bool:
    """The first record of a history array names the fields of one of Spotify's two exports."""
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    first = text[:text.find("}") + 1] if "}" in text else text
    return text.startswith("[") and (all(f'"{key}"' in first for key in _ACCOUNT)
                                     or all(f'"{key}"' in first for key in _EXTENDED))


def _is_history_member(name: str) -> bool:
    return name.endswith(".json") and PurePosixPath(name).name.lower().startswith(
        ("streaminghistory", "streaming_history_audio", "endsong"))


def read_spotify(path: Path) -> list[Listen]:
    """The music plays of a Spotify history file or zip: 30 s or longer, no podcast episodes."""
    listens: list[Listen] = []
    found = False
    for where, text in _json_texts(path):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"is not valid JSON: {exc.msg}", file=where, line=exc.lineno) from exc
        kind = _kind(records[0] if isinstance(records, list) and records else None)
        if kind is None:
            continue  # Spotify's zip also holds Userdata.json, Playlist1.json...: not plays
        found = True
        listens.extend(_plays(records, kind, where))
    if not found:
        raise InputError("holds no Spotify streaming history (StreamingHistory_music_N.json or "
                         "Streaming_History_Audio_*.json)", file=str(path))
    if not listens:
        raise InputError("holds no music plays of 30 s or more (podcast episodes and skips are left out)",
                         file=str(path))
    return listens


def _json_texts(path: Path) -> Iterator[tuple[str, str]]:
    require_file(path)
    if not zipfile.is_zipfile(path):
        yield str(path), read_utf8(path)
        return
    for _, where, data in zip_members(path, _is_history_member):
        yield where, decode_utf8(data, where)


def _kind(record: object) -> str | None:
    if not isinstance(record, dict):
        return None
    if all(key in record for key in _ACCOUNT):
        return "account"
    return "extended" if all(key in record for key in _EXTENDED) else None


def _plays(records: list[object], kind: str, where: str) -> Iterator[Listen]:
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise InputError(f"record {number} is {json_kind(record)}, not an object", file=where, field="record")
        played = record.get("msPlayed" if kind == "account" else "ms_played")
        if not isinstance(played, int | float) or played < 0:
            raise InputError(f"record {number}: the milliseconds played must be a number, not {played!r}",
                             file=where, field="msPlayed" if kind == "account" else "ms_played")
        if played < MIN_PLAY_MS:
            continue
        if kind == "account":
            artist, title, album = record.get("artistName"), record.get("trackName"), ""
            when = _time(record.get("endTime"), "%Y-%m-%d %H:%M", where, number, "endTime")
        else:
            if record.get("episode_name") or record.get("spotify_episode_uri"):
                continue  # a podcast episode
            artist = record.get("master_metadata_album_artist_name")
            title = record.get("master_metadata_track_name")
            album = record.get("master_metadata_album_album_name") or ""
            when = _time(record.get("ts"), "%Y-%m-%dT%H:%M:%SZ", where, number, "ts")
        refuse_nul([v if isinstance(v, str) else "" for v in (artist, title, album)], _TEXT[kind], where,
                   record=number)
        if not isinstance(artist, str) or not isinstance(title, str) or not artist or not title:
            continue  # a local file or a removed track: nothing to match it by
        yield Listen(artist, title, album if isinstance(album, str) else "", "", when)


def _time(value: object, layout: str, where: str, number: int, field: str) -> float:
    try:
        return datetime.strptime(str(value), layout).replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise InputError(f"record {number}: '{value}' is not a time", file=where, field=field) from None
