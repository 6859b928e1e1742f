"""Track tags from music files (mutagen, imported lazily), falling back to file and folder names."""

from __future__ import annotations

import logging
import math
import os
import re
import struct
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.catalog.files import not_a_file
from app.domain.errors import AudioFileError
from app.domain.music import TrackTags

log = logging.getLogger(__name__)

MAX_TEXT = 200
# Sanitising is linear, but a multi-megabyte tag need not be scanned whole to keep 200 characters.
_RAW_LIMIT = 4 * MAX_TEXT
_WHITESPACE = re.compile(r"\s+")
_GENRE_SEPARATORS = re.compile(r"[;/,\x00]")
_MBID_SEPARATORS = re.compile(r"[;/,\s\x00]+")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_LEADING_NUMBER = re.compile(r"^\s*(\d+)")
# "1-03 Title" (disc-track) is tried before "01. Title", "01 - Title", "01 Title".
_NAME_TRACK = re.compile(r"^(?:\d{1,2}-(?P<disc_track>\d{1,3})\s+|(?P<track>\d{1,3})(?:\s*[.)_-]\s*|\s+))(?=\S)")
_MOJIBAKE_MARKERS = ("Ã", "Â", "â€")
_MB_KEYS = {"musicbrainz_trackid": "recording", "musicbrainz_artistid": "artist", "musicbrainz_albumid": "release"}
# Plain ID3 (WAV, AIFF) has no easy wrapper in mutagen: the frames the easy keys stand for.
_ID3_FRAMES = {"title": "TIT2", "artist": "TPE1", "albumartist": "TPE2", "album": "TALB", "genre": "TCON",
               "date": "TDRC", "originaldate": "TDOR", "tracknumber": "TRCK",
               "musicbrainz_artistid": "TXXX:MusicBrainz Artist Id",
               "musicbrainz_albumid": "TXXX:MusicBrainz Album Id"}
# mutagen's parsers can fail on a corrupt header in ways beyond MutagenError.
_PARSE_ERRORS: tuple[type[Exception], ...] = (ValueError, struct.error, IndexError, KeyError, EOFError,
                                              OverflowError, TypeError)

Tags = Mapping[str, list[str]]


def read_tags(path: str, root: str) -> TrackTags:
    """Title, artist, album, genres, year, track number, duration and MusicBrainz ids from the file's tags, falling back to file and folder names."""  # noqa: E501
    tags, duration = _read_with_mutagen(path)
    names = tags_from_names(path, root)
    title = _first(tags, "title")
    return TrackTags(
        title=title or names.title,
        artist=_joined(tags, "artist") or _joined(tags, "albumartist") or names.artist,
        album=_first(tags, "album") or names.album,
        genres=split_genres(tags.get("genre", [])),
        year=parse_year(_first_raw(tags, "date") or _first_raw(tags, "originaldate") or _first_raw(tags, "year")),
        track_number=parse_track_number(_first_raw(tags, "tracknumber")) or names.track_number,
        duration_s=duration,
        musicbrainz=_musicbrainz_ids(tags),
        from_names=not title,
    )


def tags_from_names(path: str, root: str) -> TrackTags:
    """What the file name ("01 - Artist - Title.ogg") and the folders inside root (Artist/Album) say."""
    stem = os.path.splitext(os.path.basename(path))[0]
    text = clean_text(stem.replace("_", " "))
    track_number, text = _split_track_number(text)
    artist, title = _split_artist_title(text)
    folders = _folders_inside(path, root)
    album = clean_text(folders[-1].replace("_", " ")) if folders else ""
    if not artist and len(folders) >= 2:
        artist = clean_text(folders[-2].replace("_", " "))
    return TrackTags(title=title or clean_text(stem) or os.path.basename(path), artist=artist, album=album,
                     track_number=track_number, from_names=True)


def clean_text(value: object) -> str:
    """Printable single-line text: no NULs or control characters, whitespace collapsed, at most 200 characters."""
    text = _to_str(value)[:_RAW_LIMIT]
    text = _undo_mojibake(text)
    text = _WHITESPACE.sub(" ", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc")
    text = _WHITESPACE.sub(" ", text).strip()
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1].rstrip() + "…"
    return text


def split_genres(values: Iterable[object]) -> tuple[str, ...]:
    """Genres split on ';', '/', ',' and NUL, cleaned and deduplicated (case kept, first spelling wins)."""
    seen: set[str] = set()
    genres: list[str] = []
    for value in values:
        for part in _GENRE_SEPARATORS.split(_to_str(value)[:_RAW_LIMIT]):
            genre = clean_text(part)
            if genre and genre.casefold() not in seen:
                seen.add(genre.casefold())
                genres.append(genre)
    return tuple(genres)


def parse_year(value: str) -> int | None:
    """The first four-digit year between 1000 and 2100 in a date tag, else None."""
    for match in _YEAR.finditer(value):
        year = int(match.group(1))
        if 1000 <= year <= 2100:
            return year
    return None


def parse_track_number(value: str) -> int | None:
    """The track number of "3", "03" or "3/12"; None when absent or zero."""
    match = _LEADING_NUMBER.match(value)
    if match is None:
        return None
    number = int(match.group(1)[:6])
    return number if 0 < number < 100_000 else None


def _read_with_mutagen(path: str) -> tuple[Tags, float | None]:
    """The file's tags as lists of strings and its duration; empty when mutagen cannot parse it."""
    import mutagen

    errors: tuple[type[BaseException], ...] = (mutagen.MutagenError, *_PARSE_ERRORS)
    try:
        reason = not_a_file(os.stat(path).st_mode, "an audio file")
        if reason is not None:  # checked before opening: opening a FIFO blocks
            raise AudioFileError(path, f"is {reason}")
        with open(path, "rb") as handle:
            try:
                audio = mutagen.File(handle, easy=True)
            except errors as exc:
                # Not fatal: the decoder decides whether the file is audio at all.
                log.debug("unreadable tags in %s: %s", path, exc)
                return {}, None
    except OSError as exc:
        raise AudioFileError(path, f"cannot read the file: {exc.strerror or exc}") from exc
    if audio is None:
        return {}, None
    return _tag_lists(audio.tags), _duration(getattr(audio, "info", None))


def _tag_lists(tags: Any) -> Tags:
    """Lower-cased easy keys to lists of values, whatever mutagen's tag class."""
    if tags is None:
        return {}
    from mutagen.id3 import ID3

    if isinstance(tags, ID3):
        return _id3_lists(tags)
    result: dict[str, list[str]] = {}
    for key in list(tags.keys()):
        try:
            values = tags[key]
        except _PARSE_ERRORS as exc:  # one undecodable value should not cost the other tags
            log.debug("unusable tag %r: %s", key, exc)
            continue
        values = values if isinstance(values, list) else [values]
        result.setdefault(str(key).lower(), []).extend(_to_str(v) for v in values)
    return result


def _id3_lists(tags: Any) -> Tags:
    """The easy keys of plain ID3 frames (WAV and AIFF files carry these)."""
    result: dict[str, list[str]] = {}
    for key, frame_id in _ID3_FRAMES.items():
        frame = tags.get(frame_id)
        if frame is not None:
            values = frame.genres if frame_id == "TCON" else frame.text
            result[key] = [_to_str(v) for v in values]
    for frame in tags.getall("UFID"):
        if frame.owner == "http://musicbrainz.org":
            result["musicbrainz_trackid"] = [_to_str(frame.data)]
    return result


def _duration(info: Any) -> float | None:
    """The stream length in seconds, or None when mutagen does not know it."""
    length = getattr(info, "length", None)
    if isinstance(length, int | float) and math.isfinite(length) and length > 0:
        return float(length)
    return None


def _musicbrainz_ids(tags: Tags) -> dict[str, str]:
    """Recording, artist and release ids that look like MusicBrainz UUIDs, lower-cased."""
    ids: dict[str, str] = {}
    for key, name in _MB_KEYS.items():
        for token in _MBID_SEPARATORS.split(_first_raw(tags, key).strip().lower()):
            if _UUID.fullmatch(token):
                ids[name] = token
                break
    return ids


def _first_raw(tags: Tags, key: str) -> str:
    """The first non-blank value of a tag, unsanitised but bounded."""
    return next((v[:_RAW_LIMIT] for v in tags.get(key, []) if v.strip()), "")


def _first(tags: Tags, key: str) -> str:
    """The first value of a tag that is still non-empty once cleaned."""
    return next((text for text in (clean_text(v) for v in tags.get(key, [])) if text), "")


def _joined(tags: Tags, key: str) -> str:
    """Every distinct value of a multi-valued tag (several artists), cleaned and joined."""
    values = list(dict.fromkeys(text for text in (clean_text(v) for v in tags.get(key, [])) if text))
    return clean_text(", ".join(values))


def _to_str(value: object) -> str:
    """Text of a tag value; bytes that are not UTF-8 are decoded with replacement, never raising."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    return value if isinstance(value, str) else str(value)


def _undo_mojibake(text: str) -> str:
    """UTF-8 that was decoded as Latin-1/Windows-1252 ("BeyoncÃ©"), when re-encoding fixes it exactly."""
    if not any(marker in text for marker in _MOJIBAKE_MARKERS):
        return text
    for codec in ("cp1252", "latin-1"):
        try:
            return text.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
    return text


def _split_track_number(text: str) -> tuple[int | None, str]:
    """A leading track number ("01 ", "01. ", "01 - ", "1-03 ") and the rest of the name."""
    match = _NAME_TRACK.match(text)
    if match is None:
        return None, text
    number = parse_track_number(match.group("disc_track") or match.group("track") or "")
    return number, text[match.end():].strip()


def _split_artist_title(text: str) -> tuple[str, str]:
    """("Artist", "Title") from "Artist - Title"; no artist when the name has no " - "."""
    artist, sep, title = text.partition(" - ")
    if sep and artist.strip() and title.strip():
        return clean_text(artist), clean_text(title)
    return "", clean_text(text)


def _folders_inside(path: str, root: str) -> Sequence[str]:
    """The folders between root and the file; none when the file is not under root."""
    try:
        rel = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    except ValueError:  # another drive on Windows
        return ()
    parts = rel.split(os.sep)
    if parts[0] == os.pardir or os.path.isabs(rel):
        return ()
    return [p for p in parts[:-1] if p not in ("", os.curdir)]
