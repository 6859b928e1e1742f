"""CSV: Letterboxd's import columns for a list of movies, a general table for anything else.

Letterboxd's importer (letterboxd.com/about/importing-data) matches columns by header name:
Title, Year, Rating (0.5-5 in half stars), WatchedDate (YYYY-MM-DD), and imdbID / tmdbID, which
it prefers over title and year when present.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from app.domain.items import Rating
from app.export import ExportEntry, ExportOptions, Rendered, imdb_id, tmdb_id
from app.export.atomic import neutralise_cell

LETTERBOXD_COLUMNS = ("Title", "Year", "Rating", "WatchedDate")
GENERAL_COLUMNS = ("Title", "Creators", "Year", "Domain", "Genres", "Rating", "Id")


def render_csv(entries: Sequence[ExportEntry], options: ExportOptions, playlist_dir: Path) -> Rendered:
    """Letterboxd columns when every entry is a movie, else the general columns; every cell neutralised."""
    del options, playlist_dir  # a CSV has neither a title row nor file paths
    movies = bool(entries) and all(e.item.domain == "movie" for e in entries)
    rows = letterboxd_rows(entries) if movies else general_rows(entries)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180 line ends, as spreadsheets expect
    for row in rows:
        writer.writerow([neutralise_cell(cell) for cell in row])
    return Rendered(buffer.getvalue().encode("utf-8", "replace"), len(entries))


def letterboxd_rows(entries: Sequence[ExportEntry]) -> list[list[str]]:
    """Header and rows for Letterboxd's importer; imdbID and tmdbID columns only when some entry has one."""
    imdb = [imdb_id(e.item) or "" for e in entries]
    tmdb = [tmdb_id(e.item) or "" for e in entries]
    header = list(LETTERBOXD_COLUMNS) + (["imdbID"] if any(imdb) else []) + (["tmdbID"] if any(tmdb) else [])
    rows = [header]
    for entry, imdb_value, tmdb_value in zip(entries, imdb, tmdb, strict=True):
        row = [entry.item.title, str(entry.item.year or ""), letterboxd_rating(entry.rating),
               watched_date(entry.rating)]
        if any(imdb):
            row.append(imdb_value)
        if any(tmdb):
            row.append(tmdb_value)
        rows.append(row)
    return rows


def general_rows(entries: Sequence[ExportEntry]) -> list[list[str]]:
    """Header and rows of Title, Creators, Year, Domain, Genres, Rating, Id (lists joined with '; ')."""
    rows = [list(GENERAL_COLUMNS)]
    for entry in entries:
        item = entry.item
        rows.append([item.title, "; ".join(item.creators), str(item.year or ""), item.domain,
                     "; ".join(item.genres), general_rating(entry.rating), item.id])
    return rows


def letterboxd_rating(rating: Rating | None) -> str:
    """Stars on Letterboxd's 0.5-5 half-star scale; a thumb counts as the stars the recommenders give it.

    A thumb up is THUMB_UP_STARS (4.5) and a thumb down THUMB_DOWN_STARS (1.5), the same values
    Chat-Rec's own models use (Rating.effective_stars), so the export says what the app believes.
    """
    if rating is None:
        return ""
    halves = round(rating.effective_stars() * 2) / 2
    return f"{min(5.0, max(0.5, halves)):g}"


def general_rating(rating: Rating | None) -> str:
    """Stars as a number ('4', '3.5'), 'up' or 'down' for a thumb, or empty when unrated."""
    if rating is None:
        return ""
    if rating.stars is not None:
        return f"{rating.stars:g}"
    return "up" if (rating.thumb or 0) > 0 else "down"


def watched_date(rating: Rating | None) -> str:
    """The local date the user rated the film (YYYY-MM-DD), the closest we know to when they watched it.

    Letterboxd makes a diary entry for each dated row; empty the column before importing to avoid that.
    """
    if rating is None or rating.timestamp <= 0:
        return ""
    return datetime.fromtimestamp(rating.timestamp).date().isoformat()
