"""A reply in parts renders the text a chat shows, line by line, and finds the model's sentence by card."""

from __future__ import annotations

from app.domain.reply import CardLine, Reply

CARDS = (CardLine("movie:heat", "1. Heat (1995): because you rated Fargo 5★", "A tense heist film"),
         CardLine("movie:casino", "2. Casino (1995): popular overall"))


def test_the_text_is_the_lead_the_prose_the_card_lines_and_the_follow_up_one_line_each() -> None:
    reply = Reply(("Ghostbusters isn't in your library.",), ("Here are 2 movies, close to Fargo:",), CARDS,
                  ("Shall I remember that you loved Fargo?",), lead=("Noted: Fargo, 5★.",))
    assert reply.text == ("Noted: Fargo, 5★.\n"
                          "Ghostbusters isn't in your library. Here are 2 movies, close to Fargo:\n"
                          "1. Heat (1995): because you rated Fargo 5★\n"
                          "2. Casino (1995): popular overall\n"
                          "Shall I remember that you loved Fargo?")


def test_a_plain_reply_is_its_text_and_has_no_cards() -> None:
    reply = Reply.plain("Added Heat to your Favourites list.")
    assert reply.text == "Added Heat to your Favourites list." and reply.cards == () and reply.source == "template"


def test_a_reply_of_card_lines_alone_has_no_empty_line() -> None:
    assert Reply(cards=CARDS).text == "\n".join(card.text for card in CARDS)


def test_the_model_sentence_is_found_by_the_card_it_is_about() -> None:
    reply = Reply(headline=("Here are 2 movies:",), cards=CARDS)
    assert reply.model_sentence_of("movie:heat") == "A tense heist film"
    assert reply.model_sentence_of("movie:casino") == ""  # on the cards, but the model wrote nothing about it
    assert reply.model_sentence_of("movie:fargo") is None  # not on the cards at all


def test_a_line_before_and_after_keep_the_rest_of_the_reply() -> None:
    reply = Reply(headline=("I found 2 movies:",), cards=CARDS, source="model")
    longer = reply.led_by("Noted: Fargo, 5★.").followed_by("Tell me two or three titles you love.")
    assert longer.text == f"Noted: Fargo, 5★.\n{reply.text}\nTell me two or three titles you love."
    assert longer.cards == CARDS and longer.source == "model"


def test_what_was_found_is_the_prose_without_the_titles_the_cards_are_close_to() -> None:
    reply = Reply(("Ghostbusters isn't in your library.",), ("Here are 2 movies, close to Fargo and Heat:",), CARDS,
                  close_to="Fargo and Heat")
    assert reply.leads_into_cards and reply.found == "Ghostbusters isn't in your library. Here are 2 movies"
    assert reply.led_by("Noted: Fargo, 5★.").followed_by("Anything else?").close_to == "Fargo and Heat"
    again = Reply(headline=("Here are the ones before again:",), cards=CARDS)
    assert again.leads_into_cards and again.found == "Here are the ones before again"
    # Words that only look like the clause (the user's, quoted) stay: the clause is the reply's part, not its text.
    quoted = Reply(headline=("Here are 2 movies for “dark, close to midnight”:",), cards=CARDS)
    assert quoted.found == "Here are 2 movies for “dark, close to midnight”"


def test_a_reply_leads_into_its_cards_only_when_its_headline_ends_on_a_colon() -> None:
    assert not Reply(("Only 2 westerns fit, so here they are.",), (), CARDS).leads_into_cards
    assert not Reply.plain("Added Heat to your Favourites list.").leads_into_cards
    assert not Reply(lead=("Noted: Fargo, 5★.",), cards=CARDS).leads_into_cards
