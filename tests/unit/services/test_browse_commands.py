"""Browsing by voice or keyboard: "next", "go back", "the second one", "play a bit of the third", "open my lists",
"read me the reasons", "stop", each answered by the turn pipeline with what the window moves (TurnResult.browse)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.bootstrap import Engine
from app.domain.browse import PAGES, Browse
from app.domain.items import ME, Item
from app.services.browse_commands import BrowseCommand, read_browse_command
from app.services.conversation import NO_CARDS, Conversation, ConversationOptions, TurnResult
from app.store.conversations import ConversationStore
from app.store.sqlite import CatalogueImport
from tests.fakes.chat_model import FixedChatSource, ScriptedChatModel
from tests.tiny_catalogue import CARTOON, CRIME, item_id

CRIME_IDS = {item_id(s) for s, _, _ in CRIME}


def chat(engine: Engine) -> Conversation:
    return Conversation(engine.store, ConversationStore(engine.store), engine.recommendations, FixedChatSource(None),
                        ConversationOptions(model_replies="off"))


def ids(result: TurnResult) -> list[str]:
    return [r.item.id for r in result.items]


# -- reading a sentence as a command ----------------------------------------------------------------------------

@pytest.mark.parametrize(("said", "command"), [
    ("next", BrowseCommand("more")),
    ("Next!", BrowseCommand("more")),
    ("show me more", BrowseCommand("more")),
    ("more please", BrowseCommand("more")),
    ("next page", BrowseCommand("more")),
    ("some more", BrowseCommand("more")),
    ("ok, three more please", BrowseCommand("more", count=3)),
    ("show me 4 more", BrowseCommand("more", count=4)),
    ("free more", BrowseCommand("more", count=3)),  # "three more" as a recogniser may write it
    ("go back", BrowseCommand("back")),
    ("Back.", BrowseCommand("back")),
    ("previous", BrowseCommand("back")),
    ("the ones before", BrowseCommand("back")),
    ("can you go back?", BrowseCommand("back")),
    ("the second one", BrowseCommand("select", card=2)),
    ("show me the third", BrowseCommand("select", card=3)),
    ("select the first", BrowseCommand("select", card=1)),
    ("number to", BrowseCommand("select", card=2)),  # "number two" misheard
    ("the last one", BrowseCommand("select", card=-1)),
    ("play a bit of the third", BrowseCommand("preview", card=3)),
    ("play the second one", BrowseCommand("preview", card=2)),
    ("preview it", BrowseCommand("preview", pointed=True)),
    ("let me hear it", BrowseCommand("preview", pointed=True)),
    ("play a bit", BrowseCommand("preview", pointed=True)),
    ("open my lists", BrowseCommand("open", page="lists")),
    ("show my lists", BrowseCommand("open", page="lists")),
    ("open my road trip list", BrowseCommand("open", page="lists")),
    ("go to the library", BrowseCommand("open", page="library")),
    ("back to discover", BrowseCommand("open", page="discover")),
    ("read me the reasons", BrowseCommand("read")),
    ("read the reasons", BrowseCommand("read")),
    ("tell me why", BrowseCommand("read")),
    ("read me the reasons for the second one", BrowseCommand("read", card=2)),
    ("stop", BrowseCommand("stop")),
    ("Stop talking.", BrowseCommand("stop")),
    ("be quiet", BrowseCommand("stop")),
    ("quiet", BrowseCommand("stop")),
    ("pause", BrowseCommand("stop")),
    ("enough", BrowseCommand("stop")),
])
def test_a_whole_sentence_that_is_a_command_is_read_as_one(said: str, command: BrowseCommand) -> None:
    assert read_browse_command(said) == command


@pytest.mark.parametrize("said", [
    "play something upbeat", "more like Heat", "show me more comedies", "stop showing me horror",
    "play a bit of jazz", "something quiet", "the second one: why?", "rate it four stars",
    "add it to my road trip list", "I loved Fargo, what else?", "next to normal is a musical I love", "yes",
    "give me 4 more like Toy Story", "play some calm piano",
])
def test_a_request_that_only_contains_a_command_word_is_no_command(said: str) -> None:
    assert read_browse_command(said) is None


def test_every_page_a_command_opens_is_a_page_of_the_window() -> None:
    for said in ("open my lists", "go to the library", "back to discover", "show me the playlists"):
        command = read_browse_command(said)
        assert command is not None and command.page in PAGES


# -- answered by the turn pipeline ------------------------------------------------------------------------------

def test_next_shows_cards_for_the_same_request_that_were_not_shown_before(engine: Engine) -> None:
    conversation = chat(engine)
    first = conversation.turn("two crime movies")
    second = conversation.turn("next", first.session_id)
    assert second.browse == Browse("more") and len(second.items) == 2
    assert set(ids(second)) <= CRIME_IDS and not set(ids(second)) & set(ids(first))
    assert second.reply.startswith(("Here are 2 more", "I found 2 more", "Try these 2 more"))
    third = conversation.turn("Show me more.", first.session_id)  # as a recogniser writes it
    assert third.browse == Browse("more") and not set(ids(third)) & {*ids(first), *ids(second)}


def test_next_says_so_when_nothing_more_fits_and_leaves_the_cards(engine: Engine) -> None:
    conversation = chat(engine)
    first = conversation.turn("two noir films")  # one noir film in the catalogue
    assert len(first.items) == 1
    more = conversation.turn("next", first.session_id)
    assert more.items == () and more.reply.startswith("That's all: no more") and more.browse == Browse("more")
    selected = conversation.turn("the first one", first.session_id)
    assert selected.browse == Browse("select", item_id=ids(first)[0])  # the cards on screen are still those


def test_next_is_no_search_word_and_needs_no_model(engine: Engine) -> None:
    model = ScriptedChatModel()  # any call would fail: it has no answer
    conversation = Conversation(engine.store, ConversationStore(engine.store), engine.recommendations,
                                FixedChatSource(model), ConversationOptions(model_replies="off", rerank="off"))
    first = conversation.turn("crime movies please")
    more = conversation.turn("next", first.session_id)
    assert model.requests == [] and "next" not in more.intent.query and more.intent.genres == first.intent.genres


def test_go_back_shows_the_cards_before_and_says_when_these_are_the_first(engine: Engine) -> None:
    conversation = chat(engine)
    first = conversation.turn("two crime movies")
    again = conversation.turn("go back", first.session_id)
    assert again.browse == Browse("back", page="discover") and again.reply == "These are the first ones."
    second = conversation.turn("next", first.session_id)
    third = conversation.turn("next", first.session_id)
    back = conversation.turn("go back", first.session_id)
    assert back.browse == Browse("back") and ids(back) == ids(second)
    assert ids(conversation.turn("the ones before", first.session_id)) == ids(first)
    assert conversation.turn("previous", first.session_id).reply == "These are the first ones."
    assert ids(third) and ids(conversation.turn("the second one", first.session_id)) == []


def test_the_earlier_cards_are_kept_with_the_session_across_a_restart(engine: Engine) -> None:
    first = chat(engine).turn("two crime movies")
    chat(engine).turn("next", first.session_id)
    back = chat(engine).turn("go back", first.session_id)  # a new service over the same database
    assert ids(back) == ids(first)


def test_back_with_no_cards_at_all_says_what_to_do(engine: Engine) -> None:
    result = chat(engine).turn("go back")
    assert result.browse == Browse("back", page="discover") and result.reply == NO_CARDS


def test_a_card_said_by_its_place_is_selected_and_named(engine: Engine) -> None:
    conversation = chat(engine)
    first = conversation.turn("three crime movies")
    picked = conversation.turn("the second one", first.session_id)
    assert picked.browse == Browse("select", item_id=ids(first)[1]) and picked.items == ()
    assert picked.reply == f"The second one: {first.items[1].item.title}."
    # "it" is then that card, as it is after a click
    rated = conversation.turn("rate it four stars", first.session_id)
    assert {r.item_id: r.stars for r in engine.store.ratings_of(ME)} == {ids(first)[1]: 4.0}
    assert rated.browse == Browse("select", item_id=ids(first)[1])


def test_a_place_past_the_cards_is_answered_not_guessed(engine: Engine) -> None:
    conversation = chat(engine)
    first = conversation.turn("two crime movies")
    result = conversation.turn("show me the fifth", first.session_id)
    assert result.browse is None and result.reply == "There are only 2 cards on screen."


def test_commands_on_a_card_move_the_selection_to_it(engine: Engine) -> None:
    conversation = chat(engine)
    first = conversation.turn("three crime movies")
    why = conversation.turn("the second one: why?", first.session_id)
    assert why.intent.action == "explain" and why.browse == Browse("select", item_id=ids(first)[1])
    added = conversation.turn("add the third one to my road trip list", first.session_id)
    assert added.intent.action == "add_to_list" and added.browse == Browse("select", item_id=ids(first)[2])
    assert engine.store.get_list("road trip").item_ids == (ids(first)[2],)


def test_a_title_not_on_the_cards_is_explained_without_moving_the_selection(engine: Engine) -> None:
    conversation = chat(engine)
    first = conversation.turn("two cartoons")
    why = conversation.turn("why Fargo?", first.session_id)
    assert why.intent.action == "explain" and why.browse is None


def _tracks(engine: Engine, folder: Path) -> list[str]:
    """Two tracks with audio files and one whose file is gone, all alike."""
    folder.mkdir()
    (folder / "one.ogg").write_bytes(b"OggS")
    (folder / "two.ogg").write_bytes(b"OggS")
    sources = [folder / "one.ogg", folder / "two.ogg", folder / "gone.ogg"]
    items = [Item(f"music:t{n}", "music", f"Calm Tune {n}", creators=("Someone",), genres=("Ambient",),
                  description="calm ambient piano", source=str(source))
             for n, source in enumerate(sources, start=1)]
    engine.store.import_catalogue(CatalogueImport("music", "music", "test", items))
    return [i.id for i in items]


def test_a_track_on_a_card_is_previewed_and_a_film_has_no_preview(engine: Engine, tmp_path: Path) -> None:
    tracks = _tracks(engine, tmp_path / "music")
    conversation = chat(engine)
    first = conversation.turn("calm ambient piano music")
    assert set(ids(first)) == set(tracks)
    playable = [i for i in ids(first) if not i.endswith("t3")]
    place = ids(first).index(playable[0]) + 1
    word = ("first", "second", "third")[place - 1]
    played = conversation.turn(f"play a bit of the {word}", first.session_id)
    assert played.browse == Browse("preview", item_id=playable[0]) and played.reply.startswith("Playing a bit of")
    again = conversation.turn("Let me hear it.", first.session_id)  # "it": the card just talked about
    assert again.browse == Browse("preview", item_id=playable[0])
    missing = conversation.turn(f"play the {('first', 'second', 'third')[ids(first).index('music:t3')]} one",
                                first.session_id)
    assert missing.browse is None and "can't find the audio file" in missing.reply
    films = conversation.turn("two crime movies")
    film = conversation.turn("play the second one", films.session_id)
    assert film.browse is None
    assert film.reply == f"{films.items[1].item.title} is a film, so there is no preview to play."


def test_play_something_stays_a_request_for_music(engine: Engine, tmp_path: Path) -> None:
    _tracks(engine, tmp_path / "music")
    conversation = chat(engine)
    first = conversation.turn("two crime movies")
    result = conversation.turn("play something calm", first.session_id)
    assert result.browse is None and result.intent.domain == "music" and result.items


def test_pages_are_opened_by_name(engine: Engine) -> None:
    conversation = chat(engine)
    assert conversation.turn("open my lists").browse == Browse("open", page="lists")
    assert conversation.turn("Go to the library.").browse == Browse("open", page="library")
    back = conversation.turn("back to discover")
    assert back.browse == Browse("open", page="discover") and back.reply == "Back to Discover."
    settings = conversation.turn("open settings")
    assert settings.browse is None and "Ctrl" in settings.reply


def test_read_me_the_reasons_says_the_cards_own_reasons_aloud(engine: Engine) -> None:
    conversation = chat(engine)
    first = conversation.turn("I loved Fargo, three crime movies")
    read = conversation.turn("read me the reasons", first.session_id)
    assert read.browse == Browse("read", item_id=ids(first)[0]) and ids(read) == [ids(first)[0]]
    assert read.intent.action == "explain" and read.items[0].reasons
    assert "\u2605" not in read.reply and read.reply.startswith(first.items[0].item.title + ".")
    why = conversation.turn("why the first one?", first.session_id)  # what the panel and "why" show
    assert why.items[0].reasons == read.items[0].reasons
    # Each reason is said (its words and numbers, stars as words), and nothing else is.
    said = read.reply.casefold()
    assert all(word.casefold() in said for reason in read.items[0].reasons
               for word in re.findall(r"[A-Za-z]{4,}|\d+(?:\.\d)?", reason))
    assert read.reply.count(".") <= len(read.items[0].reasons) + 1 + sum(r.count(".") for r in read.items[0].reasons)
    conversation.turn("the third one", first.session_id)
    third = conversation.turn("tell me why", first.session_id)  # the card selected by voice
    assert third.browse == Browse("read", item_id=ids(first)[2])


def test_stop_silences_without_changing_anything(engine: Engine) -> None:
    conversation = chat(engine)
    first = conversation.turn("I love Toy Story and Aladdin, give me 4 more")
    stopped = conversation.turn("stop", first.session_id)
    assert stopped.browse == Browse("stop") and stopped.reply == "Stopped." and stopped.items == ()
    conversation.turn("yes", first.session_id)  # the question asked before "stop" is still open
    assert {r.item_id for r in engine.store.ratings_of(ME)} == {item_id("toy-story"), item_id("aladdin")}
    assert ids(conversation.turn("the fourth one", first.session_id)) == []


def test_commands_about_cards_without_cards_say_what_to_do(engine: Engine) -> None:
    conversation = chat(engine)
    assert conversation.turn("the second one").reply == NO_CARDS
    assert conversation.turn("play it").reply == NO_CARDS
    assert conversation.turn("read me the reasons").reply == NO_CARDS
    more = conversation.turn("next")
    assert more.browse is None and more.items == () and "tell me what you are in the mood for" in more.reply


def test_show_me_more_of_a_kind_is_a_request_not_a_page(engine: Engine) -> None:
    conversation = chat(engine)
    first = conversation.turn("two crime movies")
    cartoons = conversation.turn("show me more cartoons", first.session_id)
    assert cartoons.browse is None and {r.item.id for r in cartoons.items} <= {item_id(s) for s, _, _ in CARTOON}
    like = conversation.turn("more like Heat", first.session_id)
    assert like.browse is None and like.intent.action in ("recommend", "refine")
