"""Request understanding by rules: the labelled requests as a regression guard, and exact readings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.services.request_rules import read_count, read_ordinal, read_stars, read_years
from app.services.titles import TitleIndex
from app.services.understand import understand
from bench.bench_intents import HOLDOUT, LABELS, catalogue, evaluate


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
