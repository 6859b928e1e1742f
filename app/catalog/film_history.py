"""Film diaries people keep elsewhere: Letterboxd's export and IMDb's ratings, read as entries to match.

The format is told from the files themselves (a zip, a folder or single CSVs), never from their names
alone: Letterboxd's files start ``Date,Name,Year,Letterboxd URI``; IMDb's ``Const,Your Rating,...``
(with or without the newer "Original Title" column).

Stars: Letterboxd's half stars stay as they are (half a star, below the app's one, counts as one);
IMDb's 1-10 become half of that in stars (10 -> 5, 7 -> 3.5, 1 and 2 -> 1). A film logged without a
rating is a weaker signal, as a single play is for music: 3 stars; a Letterboxd "like" without a
rating, 4.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from app.catalog.files import require_file
from app.catalog.tabular import decode_utf8, refuse_nul, zip_members
from app.domain.errors import InputError

WATCHED_STARS = 3.0  # logged, not rated: chosen and watched, no more
LIKED_STARS = 4.0  # a heart without stars
# IMDb title types that are films; the rest (series, episodes, games) are reported as skipped.
_FILM_TYPES = frozenset({"movie", "tv movie", "tvmovie", "video", "short", "tv short"})
_LETTERBOXD = ("Date", "Name", "Year", "Letterboxd URI")
_IMDB = ("Const", "Your Rating", "Date Rated")


@dataclass(frozen=True)
class FilmEntry:
    """One film from a diary: what to match it by, the stars it stands for, and where it was read."""

    title: str
    year: int | None
    stars: float
    rated: bool  # False: only watched or liked, the stars are implicit
    imdb_id: str  # "tt0114709", or ""
    timestamp: float
    where: str  # "ratings.csv, line 12"
    aka: tuple[str, ...] = ()  # other titles it goes by (IMDb's "Original Title")


@dataclass(frozen=True)
class FilmHistory:
    """What a set of export files held: its format, the films, and what was skipped and why."""

    format: str  # letterboxd | imdb
    entries: tuple[FilmEntry, ...]
    skipped: tuple[str, ...]


def read_film_history(paths: Sequence[Path]) -> FilmHistory:
    """Letterboxd or IMDb entries from the given zips, folders or CSV files, one entry per film."""
    tables = [table for path in paths for table in _tables(path)]
    kinds = {kind for kind, _, _ in tables}
    if not tables or None in kinds:
        unknown = next((where for kind, where, _ in tables if kind is None), str(paths[0]) if paths else "")
        raise InputError("is neither a Letterboxd export (Date,Name,Year,Letterboxd URI...) nor an IMDb ratings "
                         "export (Const,Your Rating,Date Rated...)", file=unknown)
    if len(kinds) > 1:
        raise InputError("mixes Letterboxd and IMDb files: import them one service at a time",
                         file=", ".join(str(p) for p in paths))
    kind = kinds.pop()
    if kind == "imdb":
        entries, skipped = _imdb(tables)
    else:
        entries, skipped = _letterboxd(tables)
    return FilmHistory(str(kind), tuple(entries), tuple(skipped))


Table = tuple[str | None, str, list[dict[str, str]]]  # (letterboxd | imdb | None, where, rows)


def _tables(path: Path) -> list[Table]:
    if path.is_dir():
        return [_file_table(p) for p in sorted(path.rglob("*.csv"))]
    require_file(path, missing="no such file or folder")
    if zipfile.is_zipfile(path):
        return [_table(PurePosixPath(name).name, where, data)
                for name, where, data in zip_members(path, lambda name: name.endswith(".csv"))]
    return [_file_table(path)]


def _file_table(path: Path) -> Table:
    """A CSV file's table, read whole only when its first line is an export's header: a large file of
    anything else is turned away after a few bytes."""
    require_file(path)  # a folder's 'diary.csv' may be a pipe too
    with path.open("rb") as handle:
        head = handle.readline(4096)
    if not head.strip():
        raise InputError("is empty; expected an export with its header row", file=str(path), line=1)
    first = head.decode("utf-8-sig", errors="replace")
    if not first.startswith((",".join(_LETTERBOXD), ",".join(_IMDB))):
        return None, str(path), []
    return _table(path.name, str(path), path.read_bytes())


def _table(name: str, where: str, raw: bytes) -> Table:
    reader = csv.reader(io.StringIO(decode_utf8(raw, where), newline=""))
    header = [h.strip() for h in next(reader, [])]
    kind = "letterboxd" if tuple(header[:4]) == _LETTERBOXD else "imdb" if tuple(header[:3]) == _IMDB else None
    rows: list[dict[str, str]] = []
    for fields in reader:
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise InputError(f"expected {len(header)} fields, found {len(fields)}", file=where,
                             line=reader.line_num)
        refuse_nul(fields, header, where, reader.line_num)
        rows.append({**dict(zip(header, (f.strip() for f in fields), strict=True)), "_line": str(reader.line_num),
                     "_file": name})
    return kind, where, rows


def _year(text: str, where: str, line: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not 1870 <= int(text) <= 2100:
        raise InputError(f"'{text}' is not a year", file=where, line=int(line), field="Year")
    return int(text)


def _score(text: str, low: float, high: float, where: str, line: str, field: str) -> float:
    """A rating within [low, high], or an InputError naming the file, line and field."""
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"'{text}' is not a rating from {low:g} to {high:g}", file=where, line=int(line),
                         field=field) from None
    if not low <= value <= high:
        raise InputError(f"{text} is outside {low:g}-{high:g}", file=where, line=int(line), field=field)
    return value


def _time(text: str, where: str, line: str, field: str) -> float:
    """Seconds since 1970 of a YYYY-MM-DD date (both services write dates so)."""
    if not text:
        return 0.0
    try:
        return datetime.strptime(text[:10], "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise InputError(f"'{text}' is not a date (YYYY-MM-DD)", file=where, line=int(line), field=field) from None


def _letterboxd(tables: Iterable[Table]) -> tuple[list[FilmEntry], list[str]]:
    """One entry per film: its latest rating from ratings.csv or diary.csv, else liked, else watched."""
    best: dict[tuple[str, str], FilmEntry] = {}
    skipped: list[str] = []
    for _, where, rows in tables:
        path = where.replace("\\", "/")
        name = path.rsplit("/", 1)[-1].rsplit(":", 1)[-1]  # a folder's file, or a zip's member
        is_like = path.endswith("likes/films.csv")
        if name in ("watchlist.csv", "reviews.csv", "comments.csv") or "lists/" in path:
            continue  # wanting to see a film, or a note on it, is not having seen it
        for row in rows:
            line = row["_line"]
            rating = row.get("Rating", "")
            stars, rated = (WATCHED_STARS, False)
            if rating:
                stars, rated = max(_score(rating, 0.5, 5.0, where, line, "Rating"), 1.0), True
            elif is_like:
                stars = LIKED_STARS
            when = _time(row.get("Watched Date") or row.get("Date", ""), where, line, "Date")
            entry = FilmEntry(row["Name"], _year(row["Year"], where, line), stars, rated, "", when,
                              f"{where}, line {line}")
            if not entry.title:
                skipped.append(f"{where}, line {line}: no film name")
                continue
            key = (entry.title.casefold(), row["Year"])
            held = best.get(key)
            # A rating beats no rating; among ratings, the latest; a like beats a plain watch.
            if held is None or (entry.rated, entry.timestamp, entry.stars) > (held.rated, held.timestamp, held.stars):
                best[key] = entry
    return list(best.values()), skipped


def _imdb(tables: Iterable[Table]) -> tuple[list[FilmEntry], list[str]]:
    entries: list[FilmEntry] = []
    skipped: list[str] = []
    for _, where, rows in tables:
        for row in rows:
            line = row["_line"]
            kind = row.get("Title Type", "Movie").strip().casefold()
            title = row.get("Title", "")
            if kind not in _FILM_TYPES:
                skipped.append(f"{title or row.get('Const', '')} ({row.get('Title Type', '')}): not a film")
                continue
            ten = _score(row.get("Your Rating", ""), 1, 10, where, line, "Your Rating")
            const = row.get("Const", "")
            original = row.get("Original Title", "")  # only in exports since 2023
            entries.append(FilmEntry(title, _year(row.get("Year", ""), where, line), max(ten / 2, 1.0), True,
                                     const if const.startswith("tt") else "",
                                     _time(row.get("Date Rated", ""), where, line, "Date Rated"),
                                     f"{where}, line {line}", (original,) if original and original != title else ()))
    return entries, skipped
