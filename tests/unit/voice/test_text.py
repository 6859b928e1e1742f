"""speakable() and sentences(): what the voice says, and where it may pause."""

from __future__ import annotations

import pytest

from app.voice.text import MAX_SENTENCE_CHARS, sentences, speakable

APP_REPLY = ("Here are 5 movies from the 1990s, close to Fargo and Pulp Fiction:\n"
             "1. The Usual Suspects (1995): because you rated Pulp Fiction 5★, Fargo 5★\n"
             "2. Heat (1995): because you rated Casino 4.5★\n"
             "3. Jackie Brown (1997): close to Pulp Fiction, ~4.6★\n")


# -- speakable: markdown ---------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("**Fargo** is great.", "Fargo is great."),
    ("__Fargo__ is great.", "Fargo is great."),
    ("*Fargo* is great.", "Fargo is great."),
    ("_Fargo_ is great.", "Fargo is great."),
    ("~~Heat~~ Fargo is great.", "Heat Fargo is great."),
    ("Run `chatrec search` now.", "Run chatrec search now."),
    ("# Movies for you", "Movies for you."),
    ("### Tonight", "Tonight."),
    ("> A quoted line.", "A quoted line."),
    ("See [Fargo](https://www.imdb.com/title/tt0116282/) now.", "See Fargo now."),
    ("![poster](https://example.com/p.jpg) Fargo.", "poster Fargo."),
    ("snake_case_name stays words.", "snake case name stays words."),
])
def test_markdown_is_not_read_out(text: str, expected: str) -> None:
    assert speakable(text) == expected


@pytest.mark.parametrize("marker", ["- ", "* ", "+ ", "• ", "1. ", "2) "])
def test_list_markers_become_sentence_starts(marker: str) -> None:
    assert speakable(f"Two picks:\n{marker}Fargo\n{marker}Heat") == "Two picks. Fargo. Heat."


def test_code_fences_and_rules_are_dropped_but_their_content_kept() -> None:
    assert speakable("```\nHello there\n```\n---\nBye") == "Hello there. Bye."


def test_table_separator_dropped_and_cells_separated() -> None:
    assert speakable("| Title | Year |\n|---|---|\n| Fargo | 1996 |") == "Title, Year. Fargo, nineteen ninety-six."


# -- speakable: links, addresses, emoji ------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Hello. https://example.com/a/very/long/url", "Hello."),
    ("Read more at http://x.org/a?b=1&c=2.", "Read more at."),
    ("Visit www.example.com today.", "Visit today."),
    ("Write to help@example.com please.", "Write to please."),
    ("See example.com/some/path for more.", "See for more."),
    ("<https://example.com> Fargo.", "Fargo."),
])
def test_urls_and_emails_are_dropped(text: str, expected: str) -> None:
    assert speakable(text) == expected


def test_a_url_before_a_full_stop_keeps_the_sentence_boundary() -> None:
    assert sentences(speakable("Go to https://x.org/a. Then rate it.")) == ["Go to.", "Then rate it."]


def test_a_plain_brand_domain_is_kept() -> None:
    assert speakable("I bought it on Amazon.com.") == "I bought it on Amazon.com."


@pytest.mark.parametrize(("text", "expected"), [
    ("Great pick 😀", "Great pick."),
    ("Thumbs 👍🏽 up!", "Thumbs up!"),
    ("Family 👨‍👩‍👧 night.", "Family night."),
    ("Red ❤️ heart.", "Red heart."),
    ("Arrows → and ✓ checks ™.", "Arrows and checks."),
    ("🎬🍿", ""),
])
def test_emoji_and_symbols_are_dropped(text: str, expected: str) -> None:
    assert speakable(text) == expected


@pytest.mark.parametrize("text", ["Amélie.", "東京物語。", "Москва слезам не верит.", "Αθήνα.", "नमस्ते दुनिया.",
                                  "¿Qué tal?", "Zoë Kravitz."])
def test_letters_of_every_script_are_kept(text: str) -> None:
    assert speakable(text) == text


# -- speakable: ratings, years, numbers ------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("5★", "5 stars."),
    ("1★", "1 star."),
    ("4.5★", "4 and a half stars."),
    ("4.0★", "4 stars."),
    ("0.5★", "half a star."),
    ("4½★", "4 and a half stars."),
    ("3.7★", "3.7 stars."),
    ("~4.6★", "about 4.6 stars."),
    ("≈4.5★", "about 4 and a half stars."),
    ("4.5 ★", "4 and a half stars."),
    ("4.5 stars", "4 and a half stars."),
    ("★★★★☆", "4 stars."),
    ("★★★½", "3 and a half stars."),
    ("Rated 4.5/5.", "Rated 4.5 out of 5."),
    ("Rated 5⭐", "Rated 5 stars."),
])
def test_star_ratings_are_spoken(text: str, expected: str) -> None:
    assert speakable(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Fargo came out in 1996.", "Fargo came out in nineteen ninety-six."),
    ("It is from 1994.", "It is from nineteen ninety-four."),
    ("In 1905 and 1900.", "In nineteen oh five and nineteen hundred."),
    ("In 2000, 2005 and 2023.", "In two thousand, two thousand five and twenty twenty-three."),
    ("Fargo (1996)", "Fargo, nineteen ninety-six."),
    ("Films from 1990-1999.", "Films from nineteen ninety to nineteen ninety-nine."),
    ("Films from 1990–1999.", "Films from nineteen ninety to nineteen ninety-nine."),
])
def test_years_are_read_as_years(text: str, expected: str) -> None:
    assert speakable(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("the 90s", "the nineties."),
    ("the '90s", "the nineties."),
    ("the ’80s", "the eighties."),
    ("the 1990s", "the nineteen nineties."),
    ("the 2000s", "the two thousands."),
    ("the 2010s", "the twenty tens."),
    ("the 1800s", "the eighteen hundreds."),
])
def test_decades(text: str, expected: str) -> None:
    assert speakable(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("16 kg", "16 kilograms."),
    ("1 kg", "1 kilogram."),
    ("140 cm", "140 centimetres."),
    ("140cm", "140 centimetres."),
    ("400 lm", "400 lumens."),
    ("1500 lm", "1500 lumens."),
    ("1234 kg", "1234 kilograms."),
    ("20%", "20 percent."),
    ("2000 %", "2000 percent."),
    ("60 W", "60 watts."),
    ("5000 mAh", "5000 milliamp hours."),
    ("128 GB", "128 gigabytes."),
    ("90 min", "90 minutes."),
    ("22°C", "22 degrees Celsius."),
    ("120 BPM", "120 beats per minute."),
    ("120bpm", "120 beats per minute."),
    ("The BPM is high.", "The beats per minute is high."),
    ("50 km/h", "50 kilometres per hour."),
])
def test_numbers_with_units(text: str, expected: str) -> None:
    assert speakable(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("$5", "5 dollars."),
    ("$1", "1 dollar."),
    ("$4.99", "4 dollars 99."),
    ("$5.00", "5 dollars."),
    ("€20", "20 euros."),
    ("£1999", "1999 pounds."),
    ("$2.5m", "2.5 million dollars."),
])
def test_money(text: str, expected: str) -> None:
    assert speakable(text) == expected


def test_decimals_and_plain_numbers_are_left_to_the_voice() -> None:
    assert speakable("Scores 4.5 and 12 and 1,994.") == "Scores 4.5 and 12 and 1,994."


# -- speakable: words and punctuation --------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Rock & roll", "Rock and roll."),
    ("R&B", "R and B."),
    ("Heat vs Casino", "Heat versus Casino."),
    ("Heat vs. Casino", "Heat versus Casino."),
    ("Crime films, e.g. Fargo.", "Crime films, for example Fargo."),
    ("Crime films, i.e. Fargo.", "Crime films, that is Fargo."),
    ("Crime, drama, etc.", "Crime, drama, et cetera."),
    ("Dr. Strangelove", "Doctor Strangelove."),
    ("Mr. Bean and Mrs. Doubtfire", "Mister Bean and Missus Doubtfire."),
    ("St. Vincent", "Saint Vincent."),
    ("No. 5 and #1.", "number 5 and number 1."),
    ("about ~3 hours", "about about 3 hours."),
    ("Wait… what?", "Wait, what?"),
    ("Wow!!!", "Wow!"),
    ("Heat — a classic — is long.", "Heat, a classic, is long."),
    ("Rock/pop", "Rock pop."),
])
def test_words_and_abbreviations(text: str, expected: str) -> None:
    assert speakable(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("“Fargo” is great.", "Fargo is great."),
    ('"Fargo" is great.', "Fargo is great."),
    ("It’s great.", "It's great."),
    ("Rock ’n’ roll.", "Rock 'n' roll."),
])
def test_quotes(text: str, expected: str) -> None:
    assert speakable(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Heat (with De Niro) is long.", "Heat, with De Niro, is long."),
    ("Heat (1995).", "Heat, nineteen ninety-five."),
    ("Heat [remastered] is long.", "Heat, remastered, is long."),
    ("(Just kidding.)", "Just kidding."),
])
def test_parentheses_become_commas(text: str, expected: str) -> None:
    assert speakable(text) == expected


def test_whitespace_collapses() -> None:
    assert speakable("  Fargo \t is\u00a0 great .  ") == "Fargo is great."


def test_empty_and_symbol_only_text() -> None:
    assert speakable("") == ""
    assert speakable("   \n\n ") == ""
    assert speakable("** --- ✓ ## @") == ""
    assert sentences(speakable("😀 https://example.com")) == []


def test_initials_lose_their_dots() -> None:
    assert speakable("J. R. R. Tolkien wrote it.") == "J R R Tolkien wrote it."
    assert speakable("Samuel L. Jackson stars.") == "Samuel L Jackson stars."


def test_a_hard_wrapped_paragraph_stays_one_sentence() -> None:
    assert speakable("This film is long\nbut worth it.") == "This film is long but worth it."


def test_each_line_ends_a_sentence() -> None:
    assert speakable("Fargo\nHeat:\nCasino;") == "Fargo. Heat. Casino."


def test_the_app_reply_format() -> None:
    spoken = speakable(APP_REPLY)
    assert spoken == (
        "Here are 5 movies from the nineteen nineties, close to Fargo and Pulp Fiction. "
        "The Usual Suspects, nineteen ninety-five: because you rated Pulp Fiction 5 stars, Fargo 5 stars. "
        "Heat, nineteen ninety-five: because you rated Casino 4 and a half stars. "
        "Jackie Brown, nineteen ninety-seven: close to Pulp Fiction, about 4.6 stars.")
    assert sentences(spoken) == [
        "Here are 5 movies from the nineteen nineties, close to Fargo and Pulp Fiction.",
        "The Usual Suspects, nineteen ninety-five: because you rated Pulp Fiction 5 stars, Fargo 5 stars.",
        "Heat, nineteen ninety-five: because you rated Casino 4 and a half stars.",
        "Jackie Brown, nineteen ninety-seven: close to Pulp Fiction, about 4.6 stars.",
    ]


def test_speakable_is_idempotent_on_its_output() -> None:
    once = speakable(APP_REPLY + "\nSee https://x.org, e.g. **Heat** & Fargo (1996) 😀 16 kg 20%")
    assert speakable(once) == once


# -- sentences -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Hello. How are you? Great!", ["Hello.", "How are you?", "Great!"]),
    ("One.\nTwo\nThree", ["One.", "Two", "Three"]),
    ("Dr. Who meets Mr. Bean.", ["Dr. Who meets Mr. Bean."]),
    ("Mrs. Doubtfire and Ms. Marvel.", ["Mrs. Doubtfire and Ms. Marvel."]),
    ("St. Elmo's Fire is fine.", ["St. Elmo's Fire is fine."]),
    ("Heat vs. Casino. Pick one.", ["Heat vs. Casino.", "Pick one."]),
    ("It has 4.5 stars. Nice.", ["It has 4.5 stars.", "Nice."]),
    ("J. R. R. Tolkien wrote it. Read it.", ["J. R. R. Tolkien wrote it.", "Read it."]),
    ("Crime, e.g. Fargo. Drama.", ["Crime, e.g. Fargo.", "Drama."]),
    ("It costs approx. three dollars.", ["It costs approx. three dollars."]),
    ("Wait... what?! Really.", ["Wait... what?!", "Really."]),  # lower case after "...": one sentence
    ("Wait... What?! Really.", ["Wait...", "What?!", "Really."]),
    ("He said \"go.\" Then left.", ["He said \"go.\"", "Then left."]),
    ("(Really.) Yes.", ["(Really.)", "Yes."]),
    ("東京。大阪！", ["東京。", "大阪！"]),
    ("Released in 1995. Loved by many.", ["Released in 1995.", "Loved by many."]),
    ("No trailing stop", ["No trailing stop"]),
    ("", []),
    ("...\n\n  \n!", []),
])
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_numbered_lines_are_one_sentence_each() -> None:
    text = ("Here are 2 movies:\n1. The Usual Suspects (1995): because you rated Pulp Fiction 5★\n"
            "2. Heat (1995): because you rated Casino 4.5★")
    assert sentences(text) == ["Here are 2 movies:",
                               "1. The Usual Suspects (1995): because you rated Pulp Fiction 5★",
                               "2. Heat (1995): because you rated Casino 4.5★"]


def test_long_sentences_are_cut_at_semicolons_first() -> None:
    first = "word " * 30 + "ends here;"
    second = "another clause, " * 10 + "and the end."
    parts = sentences(first + " " + second)
    assert all(len(p) <= MAX_SENTENCE_CHARS for p in parts)
    assert parts[0] == first.strip()
    assert " ".join(parts) == (first + " " + second).strip()


def test_long_sentences_are_cut_at_commas() -> None:
    text = ", ".join(f"item number {i}" for i in range(40)) + "."
    parts = sentences(text)
    assert len(parts) > 1
    assert all(len(p) <= MAX_SENTENCE_CHARS for p in parts)
    assert all(p.endswith((",", ".")) for p in parts)
    assert " ".join(parts) == text


def test_a_long_sentence_without_commas_is_cut_between_words() -> None:
    text = "la " * 150 + "end."
    parts = sentences(text)
    assert all(len(p) <= MAX_SENTENCE_CHARS for p in parts)
    assert " ".join(parts) == text.strip()


def test_a_sentence_of_exactly_the_limit_stays_whole() -> None:
    text = "a, " * 65 + "abcd."
    assert len(text) == MAX_SENTENCE_CHARS
    assert sentences(text) == [text]
