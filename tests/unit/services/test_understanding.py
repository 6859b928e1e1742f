"""Request understanding by rules: the labelled requests as a regression guard, and exact readings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.domain.items import Item
from app.services.request_rules import read_count, read_ordinal, read_stars, read_years
from app.services.titles import TitleIndex
from app.services.understand import understand
from app.services.vocabulary import Vocabulary, terms_of
from bench.bench_intents import HOLDOUT, LABELS, catalogue, evaluate
from tests.unit.services.test_vocabulary import word_vectors


@pytest.fixture(scope="module")
def titles() -> TitleIndex:
    return catalogue()


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_the_tuning_requests_are_all_understood(titles: TitleIndex) -> None:
    result = evaluate(lines(LABELS), titles, None)
    assert result["accuracy"] >= 0.99, result["misses"][:3]


def test_the_held_out_requests_stay_above_the_target(titles: TitleIndex) -> None:
    result = evaluate(lines(HOLDOUT), titles, None)
    assert result["accuracy"] >= 0.90, result["misses"][:3]


@pytest.mark.parametrize(("text", "years"), [
    ("something from the 90s", (1990, 1999)), ("late 80s horror", (1985, 1989)), ("early 2000s", (2000, 2004)),
    ("after 2000", (2001, None)), ("since 2000", (2000, None)), ("pre-1960 noir", (None, 1959)),
    ("between 1995 and 1985", (1985, 1995)), ("released in 1994", (1994, 1994)), ("the seventies", (1970, 1979)),
    ("a fun one", (None, None))])
def test_years(text: str, years: tuple[int | None, int | None]) -> None:
    assert read_years(text) == years


@pytest.mark.parametrize(("text", "count"), [
    ("give me 5 thrillers", 5), ("top 10 westerns", 10), ("a couple of animated films", 2), ("just 3", 3),
    ("board games for two players", None), ("under 50 euros", None), ("a few comedies", None)])
def test_counts(text: str, count: int | None) -> None:
    assert read_count(text) == count


@pytest.mark.parametrize(("text", "stars"), [
    ("5 stars", 5.0), ("four and a half stars", 4.5), ("3.5 for the 2nd", 3.5), ("2/5", 2.0), ("thumbs up", 5.0),
    ("👎", 1.0), ("a solid 4 out of 5", 4.0), ("what a film", None)])
def test_stars(text: str, stars: float | None) -> None:
    assert read_stars(text) == stars


def test_ordinals_only_point_at_cards_that_exist() -> None:
    assert read_ordinal("why the second one", 5) == "2" and read_ordinal("number two", 5) == "2"
    assert read_ordinal("the last one", 4) == "4" and read_ordinal("the fifth", 3) == ""
    assert read_ordinal("the second one", 0) == ""


def test_numbers_inside_titles_are_not_counts_or_years(titles: TitleIndex) -> None:
    intent = understand("something like 2001: A Space Odyssey and 12 Angry Men", (), titles).intent
    assert intent.liked == ("2001: A Space Odyssey", "12 Angry Men")
    assert (intent.year_min, intent.year_max, intent.count) == (None, None, None)


def _small_world() -> tuple[TitleIndex, Vocabulary]:
    items = [Item("movie:1", "movie", "Scream", genres=("Horror",), year=1996),
             Item("movie:2", "movie", "Scream 2", genres=("Horror",), year=1997),
             Item("movie:3", "movie", "Screamers", genres=("Sci-Fi",), year=1995),
             Item("movie:4", "movie", "Tombstone", genres=("Western",), year=1993),
             Item("movie:5", "movie", "Hang 'em High", genres=("Western",), year=1968),
             Item("movie:6", "movie", "Courage Under Fire", genres=("War",), year=1996),
             Item("movie:7", "movie", "Casablanca", genres=("Romance",), year=1942),
             Item("movie:8", "movie", "Sabrina", genres=("Romance",), year=1954),
             Item("movie:9", "movie", "Grease", genres=("Musical",), year=1978),
             Item("movie:10", "movie", "Evita", genres=("Musical",), year=1996),
             Item("music:1", "music", "Overture", genres=("Romantic Classical",),
                  attributes={"energy": "low", "tempo_bpm": "70"}),
             Item("music:2", "music", "Nocturne", genres=("Romantic Classical",),
                  attributes={"energy": "low", "tempo_bpm": "60"}),
             Item("product:1", "product", "Pan", genres=("kitchen", "heavy"), attributes={"category": "kitchen"})]
    return TitleIndex(items), Vocabulary(terms_of(items), word_vectors)


def test_what_a_negation_names_is_ruled_out_by_meaning() -> None:
    titles, vocabulary = _small_world()
    found = understand("a western film that isn't scary", (), titles, vocabulary=vocabulary).intent
    assert found.genres == ("Western",) and found.genres_none == ("Horror",)
    assert "scary" not in found.query


def test_genres_ruled_out_still_say_which_catalogue_is_meant() -> None:
    titles, vocabulary = _small_world()
    found = understand("not in the mood for anything heavy. no war, no horror please", (), titles,
                       vocabulary=vocabulary).intent
    assert found.domain == "movie" and set(found.genres_none) == {"War", "Horror"}


def test_a_genre_the_requests_catalogue_lacks_is_dropped() -> None:
    titles, vocabulary = _small_world()
    found = understand("romantic-era classical music please", (), titles, vocabulary=vocabulary).intent
    assert found.domain == "music" and found.genres == ("Romantic Classical",)


def test_nothing_from_a_titles_films_leaves_out_its_sequels_too() -> None:
    titles, _ = _small_world()
    found = understand("horror, but nothing from the Scream films, I've watched those", (), titles)
    assert set(found.disliked) == {"movie:1", "movie:2"}  # not Screamers, which only starts the same


def test_a_favourite_the_catalogue_lacks_is_unknown() -> None:
    titles, _ = _small_world()
    found = understand("Gladiator is my favourite film ever made, show me more like it", (), titles).intent
    assert found.unknown == ("Gladiator",) and "gladiator" not in found.query


def test_a_title_asked_for_by_name_in_any_case_is_unknown_when_the_catalogue_lacks_it() -> None:
    titles, _ = _small_world()
    assert understand("do you guys have the matrix? if not, whatever's closest", (), titles).intent.unknown == \
        ("The Matrix",)
    asked = understand("My son keeps asking for Moana and Coco, do you have those?", (), titles).intent
    assert asked.unknown == ("Moana", "Coco") and "moana" not in asked.query


def test_a_card_turned_down_by_a_word_of_its_title_is_left_out() -> None:
    titles, _ = _small_world()
    found = understand("not the pan please, she has loads", ("product:1", "movie:4"), titles)
    assert found.disliked == ("product:1",)


def test_the_words_describing_a_genre_named_do_not_pull_the_request_into_another_catalogue() -> None:
    titles, vocabulary = _small_world()
    found = understand("a feel-good musical, something I can belt out the songs to", (), titles,
                       vocabulary=vocabulary).intent
    assert found.domain == "movie"


@pytest.mark.parametrize(("text", "unknown"), [
    ("Something along the lines of Knives Out or Glass Onion?", ("Knives Out", "Glass Onion")),
    ("just binged Interstellar and then Gravity right after", ("Interstellar", "Gravity")),
    ("do you sell the AeroPress? or something similar", ("AeroPress",)),
])
def test_titles_named_after_everyday_cues_are_unknown_each_by_its_name(text: str, unknown: tuple[str, ...]) -> None:
    titles, _ = _small_world()
    assert understand(text, (), titles).intent.unknown == unknown
