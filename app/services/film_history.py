"""A film diary kept elsewhere (Letterboxd, IMDb) matched to the catalogue and saved as your ratings.

Matching you can see: by IMDb id where the catalogue knows it (GroupLens's links.csv), else by the
title as people compare titles (no accents, punctuation or leading article; "Title, The" and
alternative titles in parentheses both count) and the year, one year either way. A film that fits
several catalogue films is ambiguous and is not saved; the report lists its candidates. A re-import
of the same service replaces what it brought, and ratings made in the app are never overwritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.catalog.film_history import FilmEntry, read_film_history
from app.catalog.movielens import readable_title
from app.domain.errors import ChatRecError
from app.domain.items import ME, Item, RatingRow, titled
from app.domain.progress import ProgressCallback, no_progress
from app.services.titles import normalise
from app.store.sqlite import CatalogueImport, SQLiteStore

_ALSO_KNOWN = re.compile(r"\(([^()]+)\)")


@dataclass(frozen=True)
class Ambiguous:
    """A diary film that fits several catalogue films, with their titles and years."""

    title: str
    year: int | None
    candidates: tuple[str, ...]  # "Title (year)" of each
    candidate_ids: tuple[str, ...] = ()  # their item ids, in the same order: what a choice names


@dataclass(frozen=True)
class HistoryReport:
    """What a diary import matched, saved, could not place and skipped."""

    format: str  # letterboxd | imdb
    entries: int
    matched: int  # films found in the catalogue
    imported: int  # of them, saved as ratings (the rest were rated in the app already, and kept)
    ambiguous: tuple[Ambiguous, ...]
    unmatched: tuple[str, ...]  # "Title (year)" of films the catalogue does not hold
    skipped: tuple[str, ...]  # rows that are not films (IMDb series, games), with why
    unit: str = "films"  # what the entries are: films, or plays for a listening history


class FilmMatcher:
    """Finds catalogue films by IMDb id, else by normalised title (and alternative titles) and year."""

    def __init__(self, films: Iterable[Item]) -> None:
        self._by_imdb: dict[str, str] = {}
        self._by_title: dict[str, list[Item]] = {}
        self._items: dict[str, Item] = {}
        for film in films:
            self._items[film.id] = film
            imdb = film.external_ids.get("imdb", "")
            if imdb:
                self._by_imdb.setdefault(imdb, film.id)
            for name in _names(film.title):
                self._by_title.setdefault(name, []).append(film)

    def find(self, entry: FilmEntry) -> list[str]:
        """The ids of the catalogue films this entry may be: one when sure, several when ambiguous."""
        if entry.imdb_id and entry.imdb_id in self._by_imdb:
            return [self._by_imdb[entry.imdb_id]]
        found: dict[str, Item] = {}
        for name in (n for title in (entry.title, *entry.aka) for n in _names(title)):
            for film in self._by_title.get(name, ()):
                found[film.id] = film
        found = dict(sorted(found.items(), key=lambda kv: (kv[1].year or 0, kv[0])))  # candidates oldest first
        if entry.year is None or not found:
            return list(found)
        for slack in (0, 1):  # the same year first; a year off by one (festival against release) next
            near = [i for i, film in found.items() if film.year is not None and abs(film.year - entry.year) <= slack]
            if near:
                return near
        return []

    def describe(self, item_id: str) -> str:
        """'Title (year)' of a catalogue film, as the report shows candidates."""
        film = self._items[item_id]
        return titled(film.title, film.year)


def _names(title: str) -> set[str]:
    """Every normalised name a title goes by: itself, "Title, The" turned round, and names in parentheses."""
    bare = _ALSO_KNOWN.sub(" ", title).strip()
    names = {normalise(title), normalise(bare), normalise(readable_title(bare))}
    names |= {normalise(readable_title(inner.strip())) for inner in _ALSO_KNOWN.findall(title)
              if not inner.strip().isdigit()}
    return {n for n in names if n}


class FilmDiary:
    """Imports Letterboxd or IMDb exports as the desk user's ratings; a re-import of one service replaces it."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store

    def import_files(self, paths: Sequence[Path], progress: ProgressCallback = no_progress,
                     choices: Mapping[tuple[str, int | None], str] | None = None) -> HistoryReport:
        """Read the exports, match each film, save the sure matches as ratings, and report the rest.

        choices resolves ambiguous films, (title, year) -> the chosen candidate's id: an import run again
        with them replaces the last one, now with those films too.
        """
        choices = choices or {}
        progress(0, 0, "reading " + ", ".join(str(p) for p in paths))
        history = read_film_history(paths)
        films = self._store.items("movie")
        if not films:
            raise ChatRecError("the catalogue holds no films: import MovieLens first "
                               "(`chatrec import movielens --from ml-latest-small.zip`), then your history")
        matcher = FilmMatcher(films)
        rows: dict[str, RatingRow] = {}
        ambiguous: list[Ambiguous] = []
        unmatched: list[str] = []
        for entry in history.entries:
            found = matcher.find(entry)
            chosen = choices.get((entry.title, entry.year))
            if chosen in found:
                found = [chosen]
            if len(found) == 1:
                held = rows.get(found[0])
                if held is None or entry.timestamp >= held[3]:
                    rows[found[0]] = (ME, found[0], entry.stars, entry.timestamp)
            elif found:
                ambiguous.append(Ambiguous(entry.title, entry.year, tuple(matcher.describe(i) for i in found),
                                           tuple(found)))
            else:
                unmatched.append(titled(entry.title, entry.year))
        desk = self._store.rated_at_desk(ME)
        self._store.require_user(ME)
        # All or nothing; the store never lets a file overwrite a rating made at the desk.
        self._store.import_catalogue(CatalogueImport("history", f"history:{history.format}",
                                                     ", ".join(str(p) for p in paths), (), (), list(rows.values())),
                                     progress)
        return HistoryReport(history.format, len(history.entries), len(rows), len(set(rows) - desk),
                             tuple(ambiguous), tuple(unmatched), history.skipped)
