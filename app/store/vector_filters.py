"""The filter language of the item index, pure so the Chroma adapter and the fakes share it.

``upsert`` metadata is flat (``str | int | float | bool``): ``domain``, ``year`` (left out when
unknown) and ``genres`` joined by ``"|"``, which ``expand_metadata`` turns into one boolean key
per genre (``"genre:comedy": True``) because Chroma metadata holds no lists.

A ``where`` mapping combines conditions with AND: ``{"domain": "movie"}``,
``{"year_min": 1990, "year_max": 1999}`` (inclusive; undated items never match),
``{"genre": "Comedy"}`` or ``{"genre": ["Comedy", "Drama"]}`` (any of them), and any other key
with a scalar value as an equality test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.ports import MetadataValue

GENRES_KEY = "genres"
GENRE_PREFIX = "genre:"


def genre_key(genre: str) -> str:
    """The boolean metadata key that marks an item as having a genre."""
    return GENRE_PREFIX + genre.strip().lower()


def split_genres(value: str) -> list[str]:
    """The genres in a ``"|"``-joined string, blanks dropped."""
    return [g.strip() for g in value.split("|") if g.strip()]


def expand_metadata(metadata: Mapping[str, MetadataValue | None]) -> dict[str, MetadataValue]:
    """Stored metadata: None values dropped and one ``genre:<name>`` flag added per genre."""
    out: dict[str, MetadataValue] = {k: v for k, v in metadata.items() if v is not None}
    genres = out.get(GENRES_KEY)
    if isinstance(genres, str):
        for genre in split_genres(genres):
            out[genre_key(genre)] = True
    return out


@dataclass(frozen=True)
class MetadataFilter:
    """A validated filter: every set condition must hold."""

    domain: str | None = None
    year_min: int | None = None
    year_max: int | None = None
    genres: tuple[str, ...] = ()  # any of these (as genre keys); empty = no genre condition
    equals: tuple[tuple[str, MetadataValue], ...] = ()

    def matches(self, metadata: Mapping[str, MetadataValue]) -> bool:
        """Whether stored (expanded) metadata passes the filter; the fake's evaluator."""
        if self.domain is not None and metadata.get("domain") != self.domain:
            return False
        if self.year_min is not None or self.year_max is not None:
            year = metadata.get("year")
            if isinstance(year, bool) or not isinstance(year, int | float):
                return False
            if self.year_min is not None and year < self.year_min:
                return False
            if self.year_max is not None and year > self.year_max:
                return False
        if self.genres and not any(metadata.get(key) is True for key in self.genres):
            return False
        return all(metadata.get(key) == value for key, value in self.equals)


def parse_filter(where: Mapping[str, object] | None) -> MetadataFilter:
    """Validate the app's filter mapping (see the module docstring); ValueError on a bad one."""
    if not where:
        return MetadataFilter()
    domain: str | None = None
    year_min: int | None = None
    year_max: int | None = None
    genres: tuple[str, ...] = ()
    equals: list[tuple[str, MetadataValue]] = []
    for key, value in where.items():
        if key == "domain":
            if not isinstance(value, str):
                raise ValueError(f"filter 'domain' must be a string, got {value!r}")
            domain = value
        elif key in ("year_min", "year_max"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"filter '{key}' must be a whole year, got {value!r}")
            if key == "year_min":
                year_min = value
            else:
                year_max = value
        elif key == "genre":
            names = [value] if isinstance(value, str) else value
            if not isinstance(names, list | tuple) or not all(isinstance(g, str) for g in names):
                raise ValueError(f"filter 'genre' must be a string or a list of strings, got {value!r}")
            genres = tuple(dict.fromkeys(genre_key(g) for g in names if g.strip()))
        elif key.startswith("$"):
            raise ValueError(f"filter operator '{key}' is not supported: use domain, year_min, "
                             "year_max, genre or plain key=value equality")
        elif isinstance(value, str | int | float | bool):
            equals.append((key, value))
        else:
            raise ValueError(f"filter '{key}' must be a string, number or boolean, got {value!r}")
    return MetadataFilter(domain, year_min, year_max, genres, tuple(equals))


def to_chroma_where(flt: MetadataFilter) -> dict[str, Any] | None:
    """Chroma's where clause for a filter (None when there is no condition)."""
    clauses: list[dict[str, Any]] = []
    if flt.domain is not None:
        clauses.append({"domain": flt.domain})
    # Chroma allows one operator per field expression, so each bound is its own clause.
    if flt.year_min is not None:
        clauses.append({"year": {"$gte": flt.year_min}})
    if flt.year_max is not None:
        clauses.append({"year": {"$lte": flt.year_max}})
    if len(flt.genres) == 1:
        clauses.append({flt.genres[0]: True})
    elif flt.genres:
        clauses.append({"$or": [{key: True} for key in flt.genres]})
    clauses.extend({key: value} for key, value in flt.equals)
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
