"""What the recogniser is told to expect: the titles on screen, the titles named, list names, genres, numbers and the
last request, most likely first."""

from __future__ import annotations

from app.bootstrap import Engine
from app.domain.items import Item
from app.services.conversation import NUMBER_WORDS, Conversation, ConversationOptions
from app.store.conversations import ConversationStore
from app.store.sqlite import CatalogueImport
from tests.fakes.chat_model import FixedChatSource


def chat(engine: Engine) -> Conversation:
    return Conversation(engine.store, ConversationStore(engine.store), engine.recommendations, FixedChatSource(None),
                        ConversationOptions(model_replies="off"))


def _tracks(engine: Engine) -> None:
    engine.store.import_catalogue(CatalogueImport("music", "music", "test", [
        Item(f"music:t{n}", "music", f"Tune {n}", creators=("Someone",), genres=("Ambient",)) for n in range(3)]))


def test_a_new_session_expects_genres_numbers_and_the_most_named_titles(engine: Engine) -> None:
    hints = chat(engine).speech_hints(None)
    assert hints.prompt == ""
    assert {"Crime", "Animation", *NUMBER_WORDS} <= set(hints.words)
    assert "Pulp Fiction" in hints.words  # what a newcomer most often names, as titles_in_view has it
    assert hints.words.index("stars") < hints.words.index("Pulp Fiction")


def test_the_cards_on_screen_come_first_in_order_then_the_titles_named(engine: Engine) -> None:
    conversation = chat(engine)
    result = conversation.turn("I loved Night Train to Nowhere, two more like it")
    hints = conversation.speech_hints(result.session_id)
    assert hints.words[:3] == (*(r.item.title for r in result.items), "Night Train to Nowhere")
    assert hints.prompt == "I loved Night Train to Nowhere, two more like it"


def test_list_names_come_before_genres_and_the_standing_requests_genres_before_the_others(engine: Engine) -> None:
    _tracks(engine)
    conversation = chat(engine)
    conversation.turn("add Fargo to my road trip list")
    films = conversation.turn("two crime movies")
    words = conversation.speech_hints(films.session_id).words
    assert words.index("road trip") < words.index("Crime") < words.index("Ambient") < words.index("one")
    tunes = conversation.turn("some ambient music")
    words = conversation.speech_hints(tunes.session_id).words
    assert words.index("Ambient") < words.index("Crime")


def test_the_prompt_is_the_last_request_not_a_command(engine: Engine) -> None:
    conversation = chat(engine)
    first = conversation.turn("two crime movies")
    conversation.turn("next", first.session_id)
    conversation.turn("the second one", first.session_id)
    assert conversation.speech_hints(first.session_id).prompt == "two crime movies"
    refined = conversation.turn("only from the 90s", first.session_id)
    assert conversation.speech_hints(refined.session_id).prompt == "only from the 90s"


def test_no_word_is_offered_twice(engine: Engine) -> None:
    conversation = chat(engine)
    result = conversation.turn("I loved Pulp Fiction and Fargo, something like them")
    words = conversation.speech_hints(result.session_id).words
    assert len({w.casefold() for w in words}) == len(words)
    assert words.count("Pulp Fiction") == 1 and words.count("Fargo") == 1


def test_titles_in_view_still_lists_the_cards_then_the_most_rated(engine: Engine) -> None:
    conversation = chat(engine)
    result = conversation.turn("two crime movies")
    titles = conversation.titles_in_view(result.session_id)
    assert titles[:2] == [r.item.title for r in result.items] and len(titles) <= 30
