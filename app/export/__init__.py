"""Playlist and list exports: the types every writer shares and where a track's file is written as.

Writers render bytes; `app.export.formats.write_list` picks one by name and writes the file atomically.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Literal, get_args
from urllib.parse import quote

from app.domain.items import Item, Rating

PathMode = Literal["absolute", "relative"]
PATH_MODES: tuple[str, ...] = get_args(PathMode)
DEFAULT_CREATOR = "Chat-Rec"
MUSICBRAINZ_RECORDING = "https://musicbrainz.org/recording/"
MUSICBRAINZ_ARTIST = "https://musicbrainz.org/artist/"
MUSICBRAINZ_RELEASE = "https://musicbrainz.org/release/"

_IMDB_KEYS = ("imdb", "imdb_id", "imdbID")
_TMDB_KEYS = ("tmdb", "tmdb_id", "tmdbID")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")
_LINE_BREAKS = re.compile(r"[\r\n\u0085\u2028\u2029]+")


@dataclass(frozen=True)
class ExportEntry:
    """One list entry to export: the item and the user's rating of it, if any."""

    item: Item
    rating: Rating | None = None


@dataclass(frozen=True)
class ExportOptions:
    """How to write a list: its name, whether to replace a file, and how to write track paths."""

    name: str
    overwrite: bool = False
    path_mode: PathMode = "absolute"
    # Prefix rewrites for a media server that sees the library elsewhere, e.g. {"/home/me/Music": "/music"}.
    path_map: Mapping[str, str] = field(default_factory=dict)
    creator: str = DEFAULT_CREATOR
    exported_at: datetime | None = None  # now, when None; fixed by tests

    def timestamp(self) -> datetime:
        """When the export was made, timezone-aware (UTC unless given)."""
        moment = self.exported_at or datetime.now(UTC)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class SkippedEntry:
    """An entry a writer left out, and why, in words a user can act on."""

    position: int  # 1-based, as the list shows it
    item_id: str
    title: str
    reason: str


@dataclass(frozen=True)
class Rendered:
    """A writer's output: the file's bytes and what it left out."""

    data: bytes
    written: int
    skipped: tuple[SkippedEntry, ...] = ()


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: the file, its format, how many entries and which were left out."""

    path: Path
    format: str
    written: int
    skipped: tuple[SkippedEntry, ...] = ()


def one_line(text: str) -> str:
    """Text with line breaks folded to spaces, for formats where a line break ends a field."""
    return _LINE_BREAKS.sub(" ", text).strip()


def artist_of(item: Item) -> str:
    """The item's creators as one credit, e.g. 'Simon & Garfunkel' or 'A, B'."""
    return ", ".join(c for c in item.creators if c)


def duration_seconds(item: Item) -> float | None:
    """The track's length in seconds from its attributes, or None when unknown or malformed."""
    raw = item.attributes.get("duration_s", "")
    try:
        seconds = float(raw)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds > 0 else None


def recording_uri(item: Item) -> str | None:
    """The MusicBrainz recording URI of a track, when its tags gave one."""
    mbid = item.external_ids.get("musicbrainz_recording", "").strip()
    return MUSICBRAINZ_RECORDING + mbid if mbid else None


def imdb_id(item: Item) -> str | None:
    """The IMDb id of a movie ('tt0114709'), from 'imdb' external ids given with or without 'tt'."""
    raw = next((item.external_ids[k].strip() for k in _IMDB_KEYS if item.external_ids.get(k, "").strip()), "")
    if raw.isdigit():
        return f"tt{int(raw):07d}"  # MovieLens links.csv keeps the digits only
    return raw if re.fullmatch(r"tt\d+", raw) else None


def tmdb_id(item: Item) -> str | None:
    """The TMDb id of a movie, when known."""
    raw = next((item.external_ids[k].strip() for k in _TMDB_KEYS if item.external_ids.get(k, "").strip()), "")
    return raw if raw.isdigit() else None


def imdb_uri(item: Item) -> str | None:
    """The IMDb page of a movie, when its id is known."""
    found = imdb_id(item)
    return f"https://www.imdb.com/title/{found}/" if found else None


def annotation_of(item: Item) -> str:
    """A short note for entries that are not tracks: kind and year, genres, description."""
    head = item.domain + (f", {item.year}" if item.year else "")
    parts = [head]
    if item.genres:
        parts.append(", ".join(item.genres))
    if item.description:
        parts.append(item.description)
    return one_line(". ".join(parts))


def is_playable(item: Item) -> str | None:
    """None when the entry is a track with a file a player can open, else the reason it is not."""
    if item.domain != "music":
        return f"a {item.domain}, not a music track: it has no file to play"
    if not item.source.strip():
        return "the track has no file path"
    if _LINE_BREAKS.search(item.source):
        return "its file path contains a line break, which a playlist line cannot hold"
    return None


def is_url(location: str) -> bool:
    """True for 'http://...', 'file://...' and other scheme URLs."""
    return bool(_URL.match(location))


def map_path(source: str, path_map: Mapping[str, str]) -> str | None:
    """The source rewritten by the longest matching prefix of path_map, or None when none matches."""
    probe = source.replace("\\", "/")
    for prefix in sorted(path_map, key=len, reverse=True):
        bare = prefix.replace("\\", "/").rstrip("/")
        if not bare:
            continue
        # Match whole folder names only: /home/me/Music must not rewrite /home/me/Musicals.
        if probe == bare or probe.startswith(bare + "/"):
            target = path_map[prefix]
            rest = source[len(bare):]
            if "/" in target and "\\" not in target:
                rest = rest.replace("\\", "/")  # a server path: keep its separator throughout
            elif "\\" in target and "/" not in target:
                rest = rest.replace("/", "\\")
            return (target.rstrip("/\\") + rest) or target
    return None


def locate(source: str, playlist_dir: Path, options: ExportOptions) -> str:
    """The path to write for a track: mapped for a media server, else absolute or relative to the playlist.

    A mapped path names the file as the server sees it, so it is never made relative to a local folder.
    """
    if is_url(source):
        return source
    mapped = map_path(source, options.path_map)
    if mapped is not None:
        return mapped
    absolute = os.path.abspath(source)
    if options.path_mode == "relative":
        try:
            return os.path.relpath(absolute, os.path.abspath(playlist_dir))
        except ValueError:
            return absolute  # another drive on Windows: no relative path exists
    return absolute


def location_uri(located: str) -> str:
    """A URI for XSPF/JSPF <location>: file:// for absolute paths, percent-encoded; relative stays relative."""
    if is_url(located):
        return located
    posix = PurePosixPath(located)
    if posix.is_absolute():
        return posix.as_uri()
    windows = PureWindowsPath(located)
    if windows.is_absolute():
        return windows.as_uri()
    relative = located.replace(os.sep, "/") if os.sep != "/" else located
    return quote(os.fsencode(relative), safe="/")


def entries_with_positions(entries: Sequence[ExportEntry]) -> list[tuple[int, ExportEntry]]:
    """Entries numbered from 1, as the list shows them."""
    return list(enumerate(entries, start=1))
