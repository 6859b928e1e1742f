"""Catalogue items, users and ratings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol, get_args

Domain = Literal["movie", "music", "product"]
DOMAINS: tuple[str, ...] = get_args(Domain)

ME = "me"  # the person at the desk
THUMB_UP_STARS = 4.5  # what a thumb counts as for the recommenders
THUMB_DOWN_STARS = 1.5


@dataclass(frozen=True)
class Item:
    """One thing that can be recommended: a movie, a track or a product."""

    id: str
    domain: Domain
    title: str
    creators: tuple[str, ...] = ()
    year: int | None = None
    genres: tuple[str, ...] = ()
    description: str = ""
    source: str = ""  # file path or URL
    external_ids: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)  # price, album, duration...

    def text(self) -> str:
        """The text the embedder sees: title, people, year, genres, description."""
        parts = [self.title]
        if self.creators:
            parts.append("by " + ", ".join(self.creators))
        if self.year:
            parts.append(str(self.year))
        if self.genres:
            parts.append(", ".join(self.genres))
        if self.description:
            parts.append(self.description)
        return ". ".join(parts)


@dataclass(frozen=True)
class User:
    """A person whose ratings the app knows; 'me' is the desktop user."""

    id: str
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rating:
    """One judgement of an item: stars from 1 to 5, or a thumb (+1/-1), at a time."""

    user_id: str
    item_id: str
    stars: float | None
    thumb: int | None = None
    timestamp: float = 0.0

    def effective_stars(self) -> float:
        """Stars for the recommender: a thumb up counts as THUMB_UP_STARS, a thumb down as THUMB_DOWN_STARS."""
        if self.stars is not None:
            return self.stars
        return THUMB_UP_STARS if (self.thumb or 0) > 0 else THUMB_DOWN_STARS


def validate_stars(stars: float) -> float:
    """Return stars when within 1-5, else raise InvalidRatingError."""
    from app.domain.errors import InvalidRatingError

    if not (1.0 <= stars <= 5.0):
        raise InvalidRatingError(f"stars must be between 1 and 5, got {stars:g}")
    return stars


RatingRow = tuple[str, str, float, float]  # user, item, stars, timestamp: a million Rating objects cost seconds


class RatingRows(Protocol):
    """Ratings an import brings: a list, or a stream read from its file as it is written (ml-25m's 25M rows)."""

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[RatingRow]: ...


def titled(title: str, year: int | None) -> str:
    """How a title is shown where several could share it: 'Heat (1995)', or just the title without a year."""
    return f"{title} ({year})" if year else title
