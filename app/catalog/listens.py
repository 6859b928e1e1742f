"""Listening histories (ListenBrainz and Last.fm exports) and the pure helpers that match them to tracks."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from app.catalog.files import require_file
from app.catalog.spotify import SPOTIFY, is_spotify, read_spotify
from app.catalog.tabular import header_lacks, json_kind, read_delimited, read_utf8, refuse_nul, required
from app.domain.errors import InputError
from app.domain.music import Listen

LISTENBRAINZ = "listenbrainz"
LASTFM = "lastfm"
UNSUPPORTED = ("unsupported listening history format: expected a ListenBrainz export (.json, .jsonl, .zip), "
               "a Spotify streaming history (.json, .zip) or a Last.fm scrobbles CSV")

_MAX_TIMESTAMP = 4e9  # the year 2096: larger values are milliseconds, not Unix seconds
_MBID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_JSONL_HINT = "a .jsonl file holds one listen object per line"

# Header names the common Last.fm exporters use, per role, in order of preference: the
# lastfm.ghan.nl export has both `uts` (exact Unix seconds) and `utc_time` (to the minute).
_HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "artist": ("artist", "artist_name", "artist name"),
    "track": ("track", "title", "track_name", "track name"),
    "album": ("album", "album_name", "album name"),
    "mbid": ("track_mbid", "recording_mbid", "mbid"),
    "time": ("uts", "timestamp", "utc_time", "date", "time"),
}
_KNOWN_HEADERS = frozenset(name for names in _HEADER_NAMES.values() for name in names)
# The headerless lastfm-to-csv (benjaminbenben) export: artist, album, track, date.
_HEADERLESS = {"artist": "artist", "album": "album", "track": "track", "time": "date"}
_UNIX_SECONDS = re.compile(r"\d+(?:\.\d+)?")
_LASTFM_DATE = re.compile(r"(\d{1,2}) ([a-z]{3})[a-z]* (\d{4}),? (\d{1,2}):(\d{2})(?::(\d{2}))?")
# English month names parsed by hand: strptime's %b follows the process locale.
_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}

# match_key rules (applied after accents are stripped and case folded).
# "feat." / "ft." need their dot and a bare "feat" / "ft" must open a bracket, so that titles
# such as "Feat of Strength" or the band Little Feat are left alone.
_FEATURING = re.compile(r"\s*(?:[(\[]\s*(?:feat|ft)\b|\b(?:feat|ft)\.|\bfeaturing\b).*$")
_BRACKET_SUFFIX = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*$")
# " - " is part of real titles, so a dash suffix goes only when it names a version of the recording.
_DASH_SUFFIX = re.compile(r"\s+[-‐–—]\s+(?:[^-‐–—]*\s)?(?:remaster(?:ed)?|live|mono|stereo|edit|"
                          r"version|mix|demo|acoustic|single)\b[^-‐–—]*$")
_INSIDE_WORD = re.compile(r"['’‘`.]")
_NOT_WORD = re.compile(r"[\W_]+")


# --- readers -----------------------------------------------------------------------------------

def read_listens(path: Path) -> tuple[str, list[Listen]]:
    """The export's format ("spotify", "listenbrainz" or "lastfm") and its listens: Spotify's told by its
    records, the others by extension."""
    suffix = path.suffix.lower()
    if suffix in {".zip", ".json"} and is_spotify(path):
        return SPOTIFY, read_spotify(path)
    if suffix in {".zip", ".json", ".jsonl"}:
        return LISTENBRAINZ, read_listenbrainz(path)
    if suffix == ".csv":
        return LASTFM, read_lastfm_csv(path)
    raise InputError(UNSUPPORTED, file=str(path))


def read_listenbrainz(path: Path) -> list[Listen]:
    """Every listen of a ListenBrainz export: a JSON array, JSON Lines, or the zip of listens/*.jsonl."""
    if path.suffix.lower() == ".zip":
        listens = _read_zip(path)
    else:
        text = read_utf8(path)
        if not text.strip():
            raise InputError("the file is empty; expected ListenBrainz listens", file=str(path), line=1)
        # The content decides, not the extension: some tools write JSON Lines into a .json file.
        if text.lstrip().startswith("["):
            listens = list(_json_array(text, str(path)))
        else:
            listens = list(_json_lines(enumerate(text.split("\n"), start=1), str(path)))
    if not listens:
        raise InputError("holds no listens", file=str(path), line=1)
    return listens


def read_lastfm_csv(path: Path) -> list[Listen]:
    """Every scrobble of a Last.fm CSV export, with a header row or as headerless artist,album,track,date."""
    columns = _columns(_first_row(path), path)
    rows = _headerless_rows(path) if columns is _HEADERLESS else read_delimited(path)
    listens = [_scrobble(row, columns, path, line) for line, row in rows]
    if not listens:
        raise InputError("holds no scrobbles", file=str(path), line=1)
    return listens


# --- ListenBrainz ------------------------------------------------------------------------------

def _read_zip(path: Path) -> list[Listen]:
    """The listens of every listens/**/*.jsonl member, months in calendar order."""
    require_file(path)
    try:
        with zipfile.ZipFile(path) as archive:
            # The export also holds user.json, feedback.jsonl and pinned_recording.jsonl: not listens.
            members = sorted((name for name in archive.namelist()
                              if name.endswith(".jsonl") and "listens" in name.split("/")[:-1]),
                             key=_natural)
            if not members:
                raise InputError("holds no listens/*.jsonl files; expected a ListenBrainz export zip",
                                 file=str(path))
            listens: list[Listen] = []
            for member in members:
                where = f"{path}, member {member}"
                listens.extend(_json_lines(_member_lines(archive, member, where), where))
            return listens
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
        raise InputError(f"not a readable zip archive: {exc}", file=str(path)) from exc
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", file=str(path)) from exc


def _natural(name: str) -> list[str | int]:
    """Sort key that puts listens/2024/2.jsonl before listens/2024/10.jsonl."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _member_lines(archive: zipfile.ZipFile, member: str, where: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of a zip member, decoded a line at a time so a bad byte names its own line."""
    with archive.open(member) as stream:
        for number, raw in enumerate(stream, start=1):
            try:
                yield number, raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
                                 file=where, line=number) from exc


def _json_lines(lines: Iterable[tuple[int, str]], where: str) -> Iterator[Listen]:
    """One listen per non-blank line of JSON Lines."""
    for number, line in lines:
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno}); {_JSONL_HINT}",
                             file=where, line=number) from None
        yield _listen(value, where, number)


def _json_array(text: str, where: str) -> Iterator[Listen]:
    """One listen per element of a JSON array, each reported at the line where its object starts."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno})", file=where, line=exc.lineno) from None
    if not isinstance(document, list):  # a '[' that starts a valid document starts an array
        raise InputError("expected a JSON array of listens", file=where, line=1)
    for value, line in zip(document, _element_lines(text), strict=True):
        yield _listen(value, where, line)


def _element_lines(text: str) -> Iterator[int]:
    """Line where each element of the valid JSON array `text` starts (json.loads keeps no positions)."""
    decoder = json.JSONDecoder()
    offset, line, counted = _skip_space(text, _skip_space(text, 0) + 1), 1, 0  # past '['
    while text[offset] != "]":
        line, counted = line + text.count("\n", counted, offset), offset  # count each newline once
        yield line
        _, offset = decoder.raw_decode(text, offset)
        offset = _skip_space(text, offset)
        if text[offset] == ",":
            offset = _skip_space(text, offset + 1)


def _skip_space(text: str, offset: int) -> int:
    """The first offset at or after `offset` that is not JSON whitespace."""
    while offset < len(text) and text[offset] in " \t\n\r":
        offset += 1
    return offset


def _listen(value: object, where: str, line: int) -> Listen:
    """A Listen from one decoded listen object, or an InputError naming the field."""
    if not isinstance(value, dict):
        raise InputError(f"expected a listen object {{...}}, found {json_kind(value)}", file=where, line=line)
    meta = value.get("track_metadata")
    if not isinstance(meta, dict):
        raise InputError(f"must be an object with artist_name and track_name, found {json_kind(meta)}",
                         file=where, line=line, field="track_metadata")
    return Listen(artist=_meta_text(meta, "artist_name", where, line, needed=True),
                  title=_meta_text(meta, "track_name", where, line, needed=True),
                  album=_meta_text(meta, "release_name", where, line, needed=False),
                  recording_mbid=_recording_mbid(meta),
                  timestamp=_listened_at(value.get("listened_at"), where, line))


def _meta_text(meta: dict[str, object], name: str, where: str, line: int, *, needed: bool) -> str:
    """A stripped string of track_metadata; a required one may not be absent or blank."""
    value = meta.get(name)
    field = f"track_metadata.{name}"
    if value is None and not needed:
        return ""
    if not isinstance(value, str):
        found = "is missing" if value is None else f"must be text, found {json_kind(value)}"
        raise InputError(found, file=where, line=line, field=field)
    refuse_nul([value], [field], where, line)
    if needed and not value.strip():
        raise InputError("is empty", file=where, line=line, field=field)
    return value.strip()


def _recording_mbid(meta: dict[str, object]) -> str:
    """The first valid recording MBID: ListenBrainz's own mapping, then the one the player sent."""
    # The mapping is MusicBrainz's lookup and beats a tag a player may have got wrong; an invalid
    # one is skipped rather than fatal, since the listen itself is still good evidence.
    for section in ("mbid_mapping", "additional_info"):
        part = meta.get(section)
        if isinstance(part, dict) and (mbid := _valid_mbid(part.get("recording_mbid"))):
            return mbid
    return ""


def _valid_mbid(value: object) -> str:
    """The lower-case UUID, or "" when `value` is not one."""
    if not isinstance(value, str):
        return ""
    mbid = value.strip().lower()
    return mbid if _MBID.fullmatch(mbid) else ""


def _listened_at(value: object, where: str, line: int) -> float:
    """listened_at as Unix seconds, or an InputError naming the field."""
    if value is None:
        raise InputError("is missing; expected Unix seconds", file=where, line=line, field="listened_at")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"must be Unix seconds (a number), found {json_kind(value)}", file=where, line=line,
                         field="listened_at")
    return _checked_seconds(float(value), str(value), where, line, "listened_at")


def _checked_seconds(seconds: float, text: str, where: str, line: int, field: str) -> float:
    """`seconds` when it is a plausible Unix time, else an InputError naming the field."""
    if not math.isfinite(seconds) or seconds < 0:
        raise InputError(f"{text} is not a Unix time", file=where, line=line, field=field)
    if seconds > _MAX_TIMESTAMP:
        raise InputError(f"{text} is too large for Unix seconds (milliseconds?)", file=where, line=line,
                         field=field)
    return seconds


# --- Last.fm -----------------------------------------------------------------------------------

def _first_row(path: Path) -> list[str]:
    """The cells of the first line, read alone: enough to tell a header from a scrobble."""
    require_file(path)
    try:
        with path.open("rb") as stream:
            head = stream.readline()
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", file=str(path)) from exc
    if not head.strip():
        reason = "the file is empty" if not head else "line 1 is blank"
        raise InputError(f"{reason}; expected Last.fm scrobbles", file=str(path), line=1)
    # A bad byte is replaced here; the full read_utf8 that follows reports it with its line.
    text = head.decode("utf-8-sig", errors="replace")
    try:
        return next(csv.reader([text]), [])
    except csv.Error as exc:
        raise InputError(f"unreadable first row: {exc}", file=str(path), line=1) from exc


def _columns(first: list[str], path: Path) -> dict[str, str]:
    """Role -> column name from a header row, or the fixed headerless columns."""
    names = [cell.split(":", 1)[0].strip() for cell in first]  # as read_delimited keys them
    by_lower = {name.lower(): name for name in reversed(names)}  # the first of a repeated name wins
    # Two known names make a header: one could be a real value (an album called "Album").
    if len(_KNOWN_HEADERS & by_lower.keys()) < 2:
        if len(first) == len(_HEADERLESS):
            return _HEADERLESS
        raise InputError("expected a header row naming the artist and track columns, "
                         "or 4 columns without a header: artist, album, track, date", file=str(path), line=1)
    columns = {role: by_lower[found] for role, synonyms in _HEADER_NAMES.items()
               for found in [next((s for s in synonyms if s in by_lower), None)] if found}
    missing = [role for role in ("artist", "track") if role not in columns]
    if missing:  # both named at once, with what the header does hold
        needed = [f"{role} ({' or '.join(repr(n) for n in _HEADER_NAMES[role])})" for role in ("artist", "track")]
        raise InputError(header_lacks(missing, names, needed), file=str(path), line=1,
                         field=missing[0] if len(missing) == 1 else None)
    return columns


def _headerless_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) of the headerless artist,album,track,date export, keyed by those names."""
    reader = csv.reader(io.StringIO(read_utf8(path), newline=""))
    names = list(_HEADERLESS.values())
    try:
        for fields in reader:
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) != len(names):
                raise InputError(f"expected 4 fields (artist, album, track, date), found {len(fields)}",
                                 file=str(path), line=reader.line_num)
            refuse_nul(fields, names, str(path), reader.line_num)
            yield reader.line_num, dict(zip(names, fields, strict=True))
    except csv.Error as exc:
        raise InputError(f"malformed row: {exc}", file=str(path), line=reader.line_num) from exc


def _scrobble(row: dict[str, str], columns: dict[str, str], path: Path, line: int) -> Listen:
    """A Listen from one CSV row, or an InputError naming the column."""
    time_column = columns.get("time")
    when = (row.get(time_column) or "").strip() if time_column else ""
    return Listen(artist=required(row, columns["artist"], path, line),
                  title=required(row, columns["track"], path, line),
                  album=(row.get(columns.get("album", "")) or "").strip(),
                  recording_mbid=_valid_mbid(row.get(columns.get("mbid", ""))),
                  # A blank time is unknown (0.0), as for ratings; only a wrong one is an error.
                  timestamp=_scrobble_time(when, str(path), line, time_column) if when and time_column else 0.0)


def _scrobble_time(text: str, where: str, line: int, field: str) -> float:
    """Unix seconds from '1612101900', '31 Jan 2021 14:05', '31 Jan 2021, 14:05' or ISO 8601 (UTC)."""
    if _UNIX_SECONDS.fullmatch(text):
        return _checked_seconds(float(text), text, where, line, field)
    moment = _lastfm_date(text)
    if moment is None:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise InputError(f"'{text}' is not a date such as '31 Jan 2021 14:05' or Unix seconds",
                             file=where, line=line, field=field) from None
    if moment.tzinfo is None:  # Last.fm exports are in UTC
        moment = moment.replace(tzinfo=UTC)
    return _checked_seconds(moment.timestamp(), text, where, line, field)


def _lastfm_date(text: str) -> datetime | None:
    """'31 Jan 2021 14:05' (or with a comma before the time) as a UTC datetime, else None."""
    found = _LASTFM_DATE.fullmatch(text.lower())
    if found is None or found[2] not in _MONTHS:
        return None
    day, _, year, hour, minute, second = found.groups()
    try:
        return datetime(int(year), _MONTHS[found[2]], int(day), int(hour), int(minute), int(second or 0),
                        tzinfo=UTC)
    except ValueError:  # 31 Feb, 25:00...
        return None


# --- matching ----------------------------------------------------------------------------------

def match_key(artist: str, title: str) -> str:
    """A key equal for the same artist and title however services spell them: 'beatles|let it be'."""
    return f"{_artist_words(artist)}|{_title_words(title)}"


def _artist_words(artist: str) -> str:
    """The artist, folded, without guests, in plain words and without a leading 'the'."""
    words = _plain_words(_unless_empty(_fold(artist), _drop_featuring))
    # "The Beatles" and "Beatles" are one band to listeners, and services disagree on the article;
    # a band called just "The" keeps it.
    return words[4:] if words.startswith("the ") else words


def _title_words(title: str) -> str:
    """The title, folded, without guests or version suffixes, in plain words."""
    folded = _unless_empty(_fold(title), _drop_featuring)
    return _plain_words(_unless_empty(folded, _drop_version_suffixes))


def _fold(text: str) -> str:
    """NFKD with combining marks removed, then case folded."""
    # Players and services disagree on accents ("Café" / "Cafe") and on case; NFKD also turns
    # full-width letters and ligatures into plain ones, and casefold handles "ß" as "ss".
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _drop_featuring(text: str) -> str:
    """Text without a 'feat. X' / 'ft. X' / 'featuring X' part and all after it."""
    # Guests are credited in the title by one service and in the artist by another, or not at all.
    return _FEATURING.sub("", text)


def _drop_version_suffixes(text: str) -> str:
    """A title without trailing '(Remastered 2011)' / '[Live]' groups and ' - Remastered' suffixes."""
    # A remaster, live take or edit is usually the same song to the listener, and the suffix is
    # what services disagree on most. Any trailing bracket goes (so "Part 1" and "Part 2" in
    # brackets do collide); MBIDs, which play_counts prefers, keep such recordings apart.
    previous = None
    while previous != text:
        previous = text
        text = _DASH_SUFFIX.sub("", _BRACKET_SUFFIX.sub("", text))
    return text


def _plain_words(text: str) -> str:
    """Words of letters and digits separated by single spaces."""
    # Apostrophes and dots sit inside words ("Don't", "R.E.M."), so they go without a trace; other
    # punctuation ("AC/DC", "Jay-Z") separates words. '&' and 'and' are spelt either way.
    text = _INSIDE_WORD.sub("", text.replace("&", " and "))
    return " ".join(_NOT_WORD.sub(" ", text).split())


def _unless_empty(text: str, rule: Callable[[str], str]) -> str:
    """`rule(text)`, unless it would leave nothing: a title made only of a suffix keeps it."""
    result = rule(text)
    return result if result.strip() else text


def play_counts(listens: Sequence[Listen]) -> dict[str, tuple[int, float]]:
    """Plays and last listened time per recording: 'mbid:<id>' when known, else 'key:<match_key>'."""
    counts: dict[str, tuple[int, float]] = {}
    for listen in listens:
        key = (f"mbid:{listen.recording_mbid}" if listen.recording_mbid
               else f"key:{match_key(listen.artist, listen.title)}")
        plays, last = counts.get(key, (0, 0.0))
        counts[key] = (plays + 1, max(last, listen.timestamp))
    return counts


def implicit_stars(plays: int) -> float:
    """The star rating that `plays` plays stand for: 1 -> 3.0, 2-4 -> 4.0, 5 or more -> 5.0."""
    # A play says the user chose the track, not that they loved it (it may have been skipped or on
    # shuffle), so one play is a neutral 3; coming back to it is liking; habit (5+) is the top mark.
    # Plays never map below 3: not playing something is no evidence of disliking it.
    if plays < 1:
        raise ValueError(f"plays must be at least 1, got {plays}")
    if plays == 1:
        return 3.0
    return 4.0 if plays < 5 else 5.0
