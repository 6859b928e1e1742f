"""The rating use cases over a real store: what is saved, what is refused and why, and the next answer."""

from __future__ import annotations

import pytest

from app.bootstrap import Engine
from app.domain.errors import InvalidRatingError, UnknownItemError, UnknownUserError
from app.domain.items import ME, THUMB_DOWN_STARS, THUMB_UP_STARS
from app.services.ratings import LOVED_STARS, Ratings, stars_from
from app.services.recommendations import RecommendRequest
from tests.tiny_catalogue import CARTOON, CRIME, item_id

FARGO, HEAT, UP = item_id("fargo"), item_id("heat"), item_id("toy-story")


@pytest.fixture
def ratings(engine: Engine) -> Ratings:
    return engine.ratings


def test_stars_and_thumbs_are_saved_and_a_new_one_replaces_the_old(ratings: Ratings, engine: Engine) -> None:
    saved = ratings.rate(FARGO, stars=4.5)
    assert (saved.user_id, saved.item_id, saved.stars, saved.thumb) == (ME, FARGO, 4.5, None)
    ratings.rate(HEAT, thumb=-1)
    ratings.rate(FARGO, thumb=1)  # the thumb replaces the stars
    assert {(r.item_id, r.stars, r.thumb) for r in engine.store.ratings_of(ME)} == {(FARGO, None, 1), (HEAT, None, -1)}
    assert ratings.stars_by_item() == {FARGO: THUMB_UP_STARS, HEAT: THUMB_DOWN_STARS}


def test_a_rating_for_someone_else_is_theirs(ratings: Ratings, engine: Engine) -> None:
    ratings.rate(FARGO, stars=2, user="ml:0")
    assert ratings.stars_by_item("ml:0")[FARGO] == 2.0
    assert FARGO not in ratings.stars_by_item()


def test_setting_no_stars_clears_the_rating(ratings: Ratings) -> None:
    assert ratings.set_stars(FARGO, 3) is not None
    assert ratings.stars_by_item() == {FARGO: 3.0}
    assert ratings.set_stars(FARGO, None) is None
    assert ratings.stars_by_item() == {}
    assert not ratings.clear(FARGO)  # nothing left to clear


def test_loved_items_are_kept_as_five_stars_in_order(ratings: Ratings) -> None:
    saved = ratings.love([HEAT, FARGO])
    assert [(r.item_id, r.stars) for r in saved] == [(HEAT, LOVED_STARS), (FARGO, LOVED_STARS)] and LOVED_STARS == 5.0
    assert ratings.stars_by_item() == {HEAT: 5.0, FARGO: 5.0}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"stars": 9}, "stars must be between 1 and 5, got 9"),
    ({"stars": 0.5}, "stars must be between 1 and 5, got 0.5"),
    ({"thumb": 2}, r"a thumb is up \(\+1\) or down \(-1\), got 2"),
    ({}, r"give stars \(1-5\) or a thumb \(up or down\)"),
])
def test_what_is_not_a_rating_is_refused_in_words_and_nothing_is_saved(ratings: Ratings, kwargs: dict[str, float],
                                                                       message: str) -> None:
    with pytest.raises(InvalidRatingError, match=message):
        ratings.rate(FARGO, **kwargs)  # type: ignore[arg-type]
    assert ratings.stars_by_item() == {}


def test_an_unknown_item_or_person_is_refused(ratings: Ratings) -> None:
    with pytest.raises(UnknownItemError, match="unknown item 'movie:nope'"):
        ratings.rate("movie:nope", stars=4)
    with pytest.raises(UnknownUserError, match="unknown user 'ml:777'"):
        ratings.rate(FARGO, stars=4, user="ml:777")


def test_stars_are_read_from_what_was_typed() -> None:
    assert stars_from("4") == 4.0 and stars_from("3.5") == 3.5
    with pytest.raises(InvalidRatingError, match="'seven' is not a number of stars \\(1-5\\)"):
        stars_from("seven")


def test_a_rating_changes_the_very_next_answer_without_refitting(ratings: Ratings, engine: Engine) -> None:
    recommendations = engine.recommendations
    ratings.love([item_id(slug) for slug, _, _ in CARTOON[:2]])
    fitted = recommendations.model()
    first = [r.item.id for r in recommendations.recommend(RecommendRequest(k=3, domain="movie"))]
    assert set(first) <= {item_id(slug) for slug, _, _ in CARTOON}
    for slug, _, _ in CRIME[:3]:
        ratings.rate(item_id(slug), stars=5)
    for slug, _, _ in CARTOON[:2]:
        ratings.set_stars(item_id(slug), 1)
    second = [r.item.id for r in recommendations.recommend(RecommendRequest(k=3, domain="movie"))]
    assert set(second) <= {item_id(slug) for slug, _, _ in CRIME} | {item_id("night-train")}
    assert recommendations.model() is fitted  # folded into the user's row, not refitted
