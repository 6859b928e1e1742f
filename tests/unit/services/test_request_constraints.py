"""Limits read from a request's words: prices, misheard numbers, comparatives against the cards on screen."""

from __future__ import annotations

import pytest

from app.domain.conversation import Intent
from app.domain.items import Item
from app.services.refine import relative_to_cards, relative_to_request
from app.services.request_rules import (
    genres_named,
    heard_numbers,
    joined_by_or,
    read_domain,
    read_price,
    read_request,
    read_tempo,
)


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
    ("got 45 euros to spend on my brother", (None, 45.0)),  # what the user has to spend
    ("loves his garden. budget's 40 quid", (None, 40.0)),
    ("actually I can stretch to 100", (None, 100.0)),
    ("happy to spend 200 or more", (200.0, None)),
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
    ("find me for comedies", "find me four comedies"),
    ("play free fast songs", "play three fast songs"),
    ("add number to to the road trip list", "add number two to the road trip list"),
    ("add the fifth card to road trip", "add the fifth card to road trip"),  # "card to" is no number
    ("westerns from before nineteen sixty", "westerns from before 1960"),
    ("films from nineteen eighty-five", "films from 1985"),
    ("something from two thousand and five", "something from 2005"),
    ("what came out in '97?", "what came out in 1997?"),
    ("rock 'n' roll from the '80s", "rock 'n' roll from the '80s"),  # a decade stays a decade
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
    from app.services.unknown_titles import unknown_titles

    titles = TitleIndex([Item("movie:fargo", "movie", "Fargo", genres=("Crime",)),
                         Item("movie:heat", "movie", "Heat", genres=("Horror",))])
    assert unknown_titles(text, titles) == unknown


def test_halving_or_doubling_the_budget_is_taken_from_the_standing_request() -> None:
    earlier = Intent(domain="product", query="wireless headphones", price_max=200.0)
    halved = relative_to_request("ouch. halve that budget", Intent(action="refine", query="ouch halve budget"), earlier)
    assert halved.price_max == 100.0 and halved.query == ""  # "budget" is not what is being looked for
    doubled = relative_to_request("double my budget", Intent(action="refine"), earlier)
    assert doubled.price_max == 400.0
    assert relative_to_request("halve that budget", Intent(), Intent()).price_max is None  # nothing to halve


GENRES = {"comedy": "Comedy", "romance": "Romance", "musical": "Musical", "sci fi": "Sci-Fi",
          "romantic classical": "Romantic Classical", "documentary": "Documentary"}


@pytest.mark.parametrize(("text", "wanted", "ruled_out"), [
    ("comedy pls but zero romance", ("Comedy",), ("Romance",)),
    ("I can't stand musicals. Any good family films?", (), ("Musical",)),
    ("hmm none of these, try sci-fi instead", ("Sci-Fi",), ()),  # the negation is another clause's
    ("any of that sweeping orchestral, romantic-era classical stuff?", ("Romantic Classical",), ()),
])
def test_genres_are_wanted_or_ruled_out_as_said(text: str, wanted: tuple[str, ...],
                                                 ruled_out: tuple[str, ...]) -> None:
    assert genres_named(text, GENRES) == (wanted, ruled_out)


@pytest.mark.parametrize(("text", "domain"), [
    ("play something calm for sleeping", "music"),
    ("put on something chill, i'm winding down", "music"),
    ("play some board games", None),
    ("a documentary about bands", "music"),  # alone, the people of a field still say which one
])
def test_what_one_plays_is_music_and_a_fields_people_say_it_only_alone(text: str, domain: str | None) -> None:
    assert read_domain(text) == domain
    assert read_domain("a documentary about bands", topics=False) is None


@pytest.mark.parametrize(("text", "count"), [("gimme 4 westerns", 4), ("cool. now 2 that are even scarier", 2),
                                             ("can you pick ate scary movies", 8)])
def test_counts_are_read_after_casual_verbs_and_misheard_eights(text: str, count: int) -> None:
    assert read_request(heard_numbers(text)).intent.count == count


def test_everyday_genre_words_typos_and_either_or() -> None:
    genres = {**GENRES, "thriller": "Thriller", "western": "Western", "war": "War", "animation": "Animation"}
    assert set(genres_named("romcoms from the nineties, go", genres)[0]) == {"Romance", "Comedy"}
    assert genres_named("recomend me a thriler, im so bored", genres) == (("Thriller",), ())
    assert genres_named("the kids have seen every cartoon ever made", genres) == ((), ("Animation",))
    assert joined_by_or("a western or a war film", genres)
    assert not joined_by_or("sci-fi thriller, both at once, not one or the other", genres)


def test_sign_offs_are_small_talk_and_a_playlist_word_is_not_the_lists_name() -> None:
    assert read_request("thats all for today cheers, you've been a star").intent.action == "chit_chat"
    assert read_request("put the first one in my playlist night drive", 5).intent.list_name == "night drive"


@pytest.mark.parametrize(("text", "years"), [
    ("old hollywood romance. nothing after 1959", (None, 1959)),
    ("three thrillers. nothing before 1990 pls", (1990, None)),
    ("got any from 97 or 98?", (1997, 1998)),
])
def test_year_limits_said_as_exclusions_and_short_year_pairs(text: str, years: tuple[int | None, int | None]) -> None:
    intent = read_request(text).intent
    assert (intent.year_min, intent.year_max) == years


@pytest.mark.parametrize(("text", "expected"), [
    ("headphones under a hundred and fifty dollars", (None, 150.0)),
    ("a present for my sister under thirty", (None, 30.0)),
    ("kitchen things, somewhere between 30 and 70.", (30.0, 70.0)),  # no currency, but no year or unit
    ("photography, budget around 250", (None, 250.0)),
    ("songs between 100 and 120 bpm", (None, None)),
    ("films between 1990 and 2000", (None, None)),
])
def test_amounts_in_words_and_ranges_without_a_currency(text: str, expected: tuple[float | None, float | None]) -> None:
    assert read_price(text.casefold()) == expected


def test_nothing_over_a_tempo_is_a_ceiling() -> None:
    assert read_tempo("nothing over 100 bpm please, it's for yoga") == (None, 100.0)


@pytest.mark.parametrize(("text", "action"), [
    ("heyy 👋", "chit_chat"), ("how's your day going?", "chit_chat"),
    ("what's the deal with Heat, why do people rate it so highly?", "explain"),
])
def test_greetings_said_loosely_and_questions_about_a_title(text: str, action: str) -> None:
    assert read_request(text).intent.action == action


def test_ok_then_a_command_is_the_command_not_small_talk() -> None:
    assert read_request("ok add that one to my girls night list", 5).intent.action == "add_to_list"


def test_a_follow_up_limit_that_contradicts_the_standing_one_replaces_it() -> None:
    eighties = Intent(domain="movie", genres=("Western",), year_min=1980, year_max=1989)
    older = Intent(action="refine", year_max=1969).merged_into(eighties)
    assert (older.year_min, older.year_max) == (None, 1969) and older.genres == ("Western",)
    narrower = Intent(action="refine", year_max=1985).merged_into(eighties)
    assert (narrower.year_min, narrower.year_max) == (1980, 1985)  # no contradiction: both hold
    pricier = Intent(action="refine", price_min=150.0).merged_into(Intent(price_max=100.0))
    assert (pricier.price_min, pricier.price_max) == (150.0, None)


@pytest.mark.parametrize(("text", "expected"), [
    ("gardening gift for my gran, she's mad about her roses. 20 to 40", (20.0, 40.0)),
    ("a gift, 10-20 quid", (10.0, 20.0)),
    ("rate it 3 to 4 stars", (None, None)),
    ("films from 1990 to 1995", (None, None)),
])
def test_a_bare_range_is_a_price_in_a_request_about_gifts_or_money(text: str,
                                                                  expected: tuple[float | None, float | None]) -> None:
    assert read_price(text.casefold()) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("books <25", (None, 25.0)),
    ("lenses >300", (300.0, None)),
    ("actually my budget changed, 30 is the most I can do", (None, 30.0)),
])
def test_prices_in_signs_and_as_the_most_someone_can_do_are_limits(text: str,
                                                                   expected: tuple[float | None, float | None]) -> None:
    assert read_price(text.casefold()) == expected


@pytest.mark.parametrize(("heard", "meant"), [
    ("find me won good western from the fifties", "find me one good western from the fifties"),
    ("show me films that won an oscar", "show me films that won an oscar"),
    ("find me won best picture winners", "find me won best picture winners"),
])
def test_won_for_one_is_read_only_where_a_number_is_asked_for(heard: str, meant: str) -> None:
    assert heard_numbers(heard) == meant


def test_newer_than_a_decade_starts_after_it_and_older_ends_before_it() -> None:
    fifties = Intent(action="recommend", year_min=1950, year_max=1959, genres=("Western",))
    newer = relative_to_request("something newer, but still a western", Intent(action="refine"), fifties)
    assert newer.merged_into(fifties).year_min == 1960 and newer.merged_into(fifties).year_max is None
    nineties = Intent(action="recommend", year_min=1990, year_max=1999)
    older = relative_to_request("older ones?", Intent(action="refine"), nineties)
    assert (older.merged_into(nineties).year_min, older.merged_into(nineties).year_max) == (None, 1989)


def test_more_of_a_genre_joins_the_standing_ones_and_instead_replaces_them() -> None:
    romance = Intent(action="recommend", genres_any=("Romance",))
    funnier = relative_to_request("ok now make them funnier", Intent(action="refine", genres_any=("Comedy",)), romance)
    assert set(funnier.merged_into(romance).genres) == {"Romance", "Comedy"}
    instead = relative_to_request("actually comedies instead", Intent(action="refine", genres=("Comedy",)), romance)
    assert instead.merged_into(romance).genres == ("Comedy",) and not instead.merged_into(romance).genres_any


@pytest.mark.parametrize(("heard", "meant"), [
    ("export road trip as em three you eight", "export road trip as m3u8"),
    ("export gym mix as ex ess pee eff", "export gym mix as xspf"),
    ("faster, like a hundred and fifty bee pee em and up", "faster, like 150 bpm and up"),
    ("wore movies from the forties", "war movies from the forties"),
    ("bored games for a party with like ate people", "board games for a party with like eight people"),
    ("rom calms from the late nineties", "romcoms from the late nineties"),
    ("classic call music for reading", "classical music for reading"),
    ("too lights for the tent at night", "too lights for the tent at night"),  # "too serious" is no number either
    ("too much metal for me", "too much metal for me"),
])
def test_words_a_speech_model_writes_down_are_read_as_what_was_said(heard: str, meant: str) -> None:
    assert heard_numbers(heard) == meant


@pytest.mark.parametrize(("text", "expected"), [
    ("a present for my brother around fifty bucks", (35.0, 65.0)),
    ("camping gear, sub $50 each", (None, 50.0)),
    ("films about 90 minutes long", (None, None)),
])
def test_about_an_amount_is_near_it_and_sub_is_a_ceiling(text: str,
                                                         expected: tuple[float | None, float | None]) -> None:
    assert read_price(text.casefold()) == expected


def test_a_film_or_game_soundtrack_is_music() -> None:
    assert read_domain("music that sounds like a fantasy film soundtrack") == "music"
    assert read_domain("a film about a band") == "movie"


@pytest.mark.parametrize(("heard", "meant"), [
    ("Can you show me for sci-fi movies from the 90s?", "Can you show me four sci-fi movies from the 90s?"),
    ("Maybe for tracks.", "Maybe four tracks."),
    ("Show me to pour-over things.", "Show me two pour-over things."),
    ("what would you recommend to fans of horror films?", "what would you recommend to fans of horror films?"),
    ("about 160 beats per minute", "about 160 bpm"),
    ("a gift for my sister", "a gift for my sister"),
])
def test_counts_misheard_after_an_ask_anywhere_in_the_sentence(heard: str, meant: str) -> None:
    assert heard_numbers(heard) == meant


def test_tempo_with_a_plus_and_what_a_card_is_for_and_list_names_without_please() -> None:
    assert read_tempo("faster tho, like 140+ bpm") == (140.0, None)
    assert read_request("what's the third one for exactly?", 5).intent.action == "explain"
    assert read_request("the first one's exactly what I need. Add it to my list 'new flat'", 5).intent.list_name \
        == "new flat"
    assert read_request("Ooh, pop the first one on a list called Mum please", 5).intent.list_name == "Mum"


def test_forget_the_movies_starts_over_and_forget_the_decade_does_not() -> None:
    assert read_request("ok forget the movies i need a gift for my sister", 5).intent.action == "recommend"
    assert read_request("actually forget the decade, any era is fine", 5).intent.action == "refine"


def test_an_age_is_no_price_and_a_star_limit_is_no_minimum_price() -> None:
    assert read_price("for my mum who is about 60, $40 budget") == (None, 40.0)
    assert read_price("rated >4 stars under $30") == (None, 30.0)


def test_more_westerns_replaces_the_genre_and_forget_the_decade_keeps_a_new_one() -> None:
    romance = Intent(action="recommend", genres_any=("Romance",))
    westerns = relative_to_request("more westerns please", Intent(action="refine", genres=("Western",)), romance)
    assert westerns.merged_into(romance).genres == ("Western",)
