"""The rating use cases: rate with stars or a thumb, clear a rating, keep items as loved, read the stars.

Every front end rates through here: the window's cards and Lists page, the shell, `chatrec rate` and the
conversation. A saved rating changes the next answer at once with nothing else to tell: the recommender
reads the user's ratings from the store at every request and folds those made since its fit into the
user's row (Recommendations.user_row), and the store refuses what is not a rating (stars outside 1-5, a
thumb that is not up or down, an unknown item or person) in words for the user.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.errors import InvalidRatingError
from app.domain.items import ME, Rating
from app.store.sqlite import SQLiteStore

LOVED_STARS = 5.0  # "yes, remember them": what the user said they loved is kept as five stars


def stars_from(said: str) -> float:
    """The number of stars in what the user typed ("4", "3.5"); a word that is not one is refused."""
    try:
        return float(said)
    except ValueError:
        raise InvalidRatingError(f"'{said}' is not a number of stars (1-5)") from None


class Ratings:
    """Saves and clears one person's ratings (the desk user unless told) and reads them back."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store

    def rate(self, item_id: str, *, stars: float | None = None, thumb: int | None = None,
             user: str = ME) -> Rating:
        """Record or replace a rating: stars 1-5 or a thumb (+1 up, -1 down); the rating saved."""
        return self._store.rate(user, item_id, stars=stars, thumb=thumb)

    def set_stars(self, item_id: str, stars: float | None, *, user: str = ME) -> Rating | None:
        """Rate with stars, or clear the rating when stars is None (a list's rating cell); the rating saved."""
        if stars is None:
            self.clear(item_id, user=user)
            return None
        return self.rate(item_id, stars=float(stars), user=user)

    def clear(self, item_id: str, *, user: str = ME) -> bool:
        """Forget the rating of an item; True when there was one."""
        return self._store.unrate(user, item_id)

    def love(self, item_ids: Sequence[str], *, user: str = ME) -> list[Rating]:
        """Keep each item as loved (five stars), as "yes, remember them" asks; the ratings saved, in order."""
        return [self.rate(item_id, stars=LOVED_STARS, user=user) for item_id in item_ids]

    def stars_by_item(self, user: str = ME) -> dict[str, float]:
        """The user's stars by item id, a thumb counted as the stars it stands for."""
        return {r.item_id: r.effective_stars() for r in self._store.ratings_of(user)}
