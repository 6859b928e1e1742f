"""Limits read from a request's words: prices, misheard numbers, comparatives against the cards on screen."""

from __future__ import annotations

import pytest

from app.domain.conversation import Intent
from app.domain.items import Item
from app.services.refine import relative_to_cards
from app.services.request_rules import heard_numbers, read_price, read_request, read_tempo


@pytest.mark.parametrize(("text", "expected"), [
    ("a gift under 50 dollars", (None, 50.0)),
    ("less than €100 please", (None, 100.0)),
    ("no more than 30 quid", (None, 30.0)),
    ("over 200 bucks is fine", (200.0, None)),
    ("between 20 and 40 euros", (20.0, 40.0)),
    ("something for the kitchen under 100", (None, 100.0)),
    ("movies under 90 minutes", (None, None)),  # a unit, not money
    ("films from after 1990", (None, None)),
    ("anything over 2000", (None, None)),  # a year unless money is spoken of
    ("something cheap", (None, None)),  # no number: a comparative, read against the cards
])
def test_prices_are_read_with_their_bounds(text: str, expected: tuple[float | None, float | None]) -> None:
    assert read_price(text.casefold()) == expected


@pytest.mark.parametrize(("heard", "meant"), [
    ("free comedies", "three comedies"),
    ("to stars for the second one", "two stars for the second one"),
    ("rate it for stars", "rate it four stars"),
    ("for films from the nineties", "four films from the nineties"),
    ("show me to westerns", "show me two westerns"),
    ("free shipping on headphones", "free shipping on headphones"),  # "free" that means free stays
    ("a gift for dad", "a gift for dad"),
])
def test_numbers_misheard_by_speech_recognition_are_read_as_numbers(heard: str, meant: str) -> None:
    assert heard_numbers(heard) == meant


def product(price: float) -> Item:
    return Item(f"product:{price}", "product", f"P{price}", attributes={"price": f"{price:.2f}"})


def track(energy: str, tempo: float) -> Item:
    return Item(f"music:{energy}{tempo}", "music", "T", attributes={
        "tempo_bpm": str(tempo), "energy": energy, "brightness": "warm", "key": "C", "mode": "major"})


def test_cheaper_means_below_the_middle_price_shown() -> None:
    intent = relative_to_cards("something cheaper", Intent(action="refine"), [product(20), product(60), product(90)])
    assert intent.price_max == 59.99


def test_a_number_said_wins_over_the_comparative() -> None:
    intent = relative_to_cards("cheaper, under 30", Intent(action="refine", price_max=30.0), [product(60)])
    assert intent.price_max == 30.0


def test_more_energetic_moves_the_energy_up_from_what_was_shown_and_calmer_down() -> None:
    calm = [track("low", 70), track("low", 80), track("medium", 90)]
    assert relative_to_cards("more energetic stuff", Intent(action="refine"), calm).energy == ("medium", "high")
    loud = [track("high", 150), track("high", 160)]
    assert relative_to_cards("a bit calmer", Intent(action="refine"), loud).energy == ("low", "medium")
    assert relative_to_cards("faster please", Intent(action="refine"), calm).pace == ("moderate", "fast")


def test_newer_and_older_are_taken_from_the_years_shown() -> None:
    shown = [Item("movie:a", "movie", "A", year=1990), Item("movie:b", "movie", "B", year=1994)]
    assert relative_to_cards("newer ones", Intent(action="refine"), shown).year_min == 1993
    assert relative_to_cards("older", Intent(action="refine"), shown).year_max == 1991


def test_without_cards_a_comparative_sets_nothing() -> None:
    assert relative_to_cards("cheaper", Intent(action="refine"), []) == Intent(action="refine")


def test_a_question_after_a_word_of_thanks_is_still_a_question() -> None:
    assert read_request("perfect. why that one?", 3).intent.action == "explain"


@pytest.mark.parametrize(("text", "expected"), [("3 tracks above 140 bpm", (140.0, None)),
                                               ("mellow stuff under 90 bpm", (None, 90.0)),
                                               ("between 100 and 120 bpm", (100.0, 120.0)),
                                               ("something around 80 bpm", (70.0, 90.0))])
def test_tempo_limits_are_read_in_beats_per_minute(text: str, expected: tuple[float | None, float | None]) -> None:
    assert read_tempo(text) == expected


@pytest.mark.parametrize(("text", "unknown"), [
    ("I've seen Ghostbusters and Airplane", ["Ghostbusters", "Airplane"]),
    ("The Dark Knight is my favourite film", ["The Dark Knight"]),
    ("a film called The Velvet Harbour", ["The Velvet Harbour"]),
    ("something like Fargo", []),  # in the catalogue
    ("a film set in New York", []),  # a place, not a title
    ("something with Tom Hanks, no horror", []),
])
def test_titles_the_catalogue_lacks_are_found_and_places_are_not(text: str, unknown: list[str]) -> None:
    from app.domain.items import Item
    from app.services.titles import TitleIndex
    from app.services.understand import unknown_titles

    titles = TitleIndex([Item("movie:fargo", "movie", "Fargo", genres=("Crime",)),
                         Item("movie:heat", "movie", "Heat", genres=("Horror",))])
    assert unknown_titles(text, titles) == unknown
