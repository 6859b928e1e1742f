"""Number words a recogniser mishears ("free comedies", "rate it for stars"), read as numbers only where the
sentence needs one; the same spellings meant as words ("free games", "for kids", "to watch") stay words."""

from __future__ import annotations

import pytest

from app.bootstrap import Engine
from app.domain.items import ME
from app.services.conversation import Conversation, ConversationOptions
from app.services.request_rules import heard_numbers, read_request
from app.services.titles import TitleIndex
from app.services.understand import understand
from app.store.conversations import ConversationStore
from tests.fakes.chat_model import FixedChatSource

CARDS = ("card:1", "card:2", "card:3")


def titles() -> TitleIndex:
    return TitleIndex([])


@pytest.mark.parametrize(("heard", "count"), [
    ("free comedies", 3),
    ("tree comedies", 3),
    ("give me free comedies from the 90s", 3),
    ("give me for movies", 4),
    ("for sci-fi movies please", 4),
    ("ate films", 8),
    ("show me to westerns", 2),
])
def test_a_misheard_count_is_read_where_the_sentence_asks_for_that_many(heard: str, count: int) -> None:
    assert understand(heard, (), titles()).intent.count == count


@pytest.mark.parametrize(("heard", "stars"), [
    ("rate it for stars", 4.0),
    ("for stars for the second one", 4.0),
    ("to stars for that one", 2.0),
    ("rate it too stars", 2.0),
    ("won star for the first one", 1.0),
])
def test_misheard_stars_are_read_as_a_rating(heard: str, stars: float) -> None:
    found = understand(heard, CARDS, titles()).intent
    assert found.action == "rate" and found.stars == stars


@pytest.mark.parametrize("said", [
    "free games for my phone",
    "free board games",
    "free gifts under 20",
    "free shipping on headphones",
    "movies for kids",
    "for kids movies please",
    "for the kids movies",
    "something to watch tonight",
    "I want to watch movies",
    "I want to see westerns",
    "i need to find gifts for dad",
    "i want to listen to songs",
])
def test_the_same_spellings_meant_as_words_stay_words(said: str) -> None:
    assert heard_numbers(said) == said
    assert read_request(heard_numbers(said)).intent.count is None


@pytest.mark.parametrize(("heard", "meant"), [
    ("funny move is from the 90s", "funny movies from the 90s"),
    ("three move is like Heat", "three movies like Heat"),
    ("move is like Fargo", "movies like Fargo"),
    ("any good horror move is?", "any good horror movies?"),
])
def test_move_is_is_movies_where_it_makes_a_request(heard: str, meant: str) -> None:
    assert heard_numbers(heard) == meant
    assert read_request(heard_numbers(heard)).intent.domain == "movie"


@pytest.mark.parametrize("said", [
    "my next move is to watch something",
    "the move is from here",
    "what move is best in chess",
])
def test_a_move_that_is_stays_a_move(said: str) -> None:
    assert heard_numbers(said) == said


def test_misheard_numbers_work_in_a_whole_turn(engine: Engine) -> None:
    conversation = Conversation(engine.store, ConversationStore(engine.store), engine.recommendations,
                                FixedChatSource(None), ConversationOptions(model_replies="off"))
    first = conversation.turn("give me for movies")
    assert len(first.items) == 4
    conversation.turn("rate the second one for stars", first.session_id)
    assert {r.item_id: r.stars for r in engine.store.ratings_of(ME)} == {first.items[1].item.id: 4.0}
    eight = conversation.turn("ate films")
    assert len(eight.items) == 8
