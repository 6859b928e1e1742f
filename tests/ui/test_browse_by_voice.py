"""Browsing by voice (or typing): a turn's Browse moves the window's selection, cards and page as a click would.

Most tests hand the window a constructed TurnResult, so they test the window's part whatever the conversation
reads; the last one types a command through the whole turn pipeline.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt, QTimer
from pytestqt.qtbot import QtBot

from app.domain.browse import Browse
from app.domain.conversation import Intent
from app.domain.recommendation import Recommendation
from app.domain.reply import CardLine, Reply
from app.services.conversation import ConversationOptions, TurnResult
from app.ui.main_window import MainWindow
from tests.fakes.chat_model import ChatRequest, FixedChatSource, ScriptedChatModel
from tests.ui.conftest import VoiceRig


def ask(qtbot: QtBot, window: MainWindow, text: str) -> list[Recommendation]:
    """Type a request, wait for its cards (the first selected), and return what the cards show."""
    with qtbot.waitSignal(window.controller.turn_finished, timeout=20000):
        window.talk.ask_box.setText(text)
        qtbot.keyClick(window.talk.ask_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.cards.selected_recommendation() is not None, timeout=5000)
    return shown(window)


def shown(window: MainWindow) -> list[Recommendation]:
    """The recommendations on the cards, in order."""
    return [card.recommendation for card in window.cards.cards()]


def finish(window: MainWindow, browse: Browse, items: tuple[Recommendation, ...] = (), *,
           action: str = "chit_chat") -> TurnResult:
    """Deliver a finished turn carrying browse, as the controller does when a command's turn ends."""
    result = TurnResult(window.controller.session_id or "s", Reply.plain("All right."), items,
                        Intent(action=action), "none", (), browse=browse)  # type: ignore[arg-type]
    window.controller.turn_finished.emit(result)
    return result


def selected_title(window: MainWindow) -> str:
    """The selected card's title ("" when none is selected)."""
    rec = window.cards.selected_recommendation()
    return rec.item.title if rec is not None else ""


@pytest.mark.parametrize("action", ["explain", "rate", "add_to_list"])
def test_a_command_about_the_second_card_selects_it_and_keeps_every_card(qtbot: QtBot, window: MainWindow,
                                                                           action: str) -> None:
    cards = ask(qtbot, window, "I loved Fargo, recommend me more crime films")
    assert len(cards) >= 3 and selected_title(window) == cards[0].item.title
    second = cards[1]
    finish(window, Browse("select", second.item.id), (second,), action=action)  # "the second one: why?"
    assert shown(window) == cards  # the grid stays: not replaced by the one card the command is about
    assert selected_title(window) == second.item.title
    assert window.cards.cards()[1].is_selected() and not window.cards.cards()[0].is_selected()
    assert window.explanation.recommendation() is second
    assert second.item.title in window.explanation.shown_text()


def test_read_me_the_reasons_selects_the_card_and_shows_its_explanation(qtbot: QtBot, window: MainWindow) -> None:
    cards = ask(qtbot, window, "I loved Fargo, recommend me more crime films")
    third = cards[2]
    finish(window, Browse("read", third.item.id), (third,), action="explain")
    assert shown(window) == cards
    assert selected_title(window) == third.item.title
    text = window.explanation.shown_text()
    assert third.item.title in text and all(reason in text for reason in third.reasons)


def test_a_spoken_title_not_on_the_cards_is_explained_without_touching_the_grid(qtbot: QtBot,
                                                                                 window: MainWindow) -> None:
    cards = ask(qtbot, window, "I loved Fargo, recommend me more crime films")
    other = replace(cards[0], item=replace(cards[0].item, id="movie:elsewhere", title="Somewhere Else"))
    finish(window, Browse("select", other.item.id), (other,), action="explain")
    assert shown(window) == cards
    assert window.explanation.recommendation() is other


@pytest.mark.parametrize("kind", ["more", "back"])
def test_next_and_go_back_show_the_turns_cards_with_none_selected(qtbot: QtBot, window: MainWindow,
                                                                   kind: str) -> None:
    first = ask(qtbot, window, "I loved Fargo, recommend me more crime films")
    replacement = tuple(reversed(first[1:]))  # different cards in a different order
    finish(window, Browse(kind), replacement)  # an action that is neither recommend nor refine
    qtbot.waitUntil(lambda: len(window.cards.cards()) == len(replacement), timeout=5000)
    qtbot.wait(50)  # the passes that build the cards, and any selection they would end with
    assert [r.item.id for r in shown(window)] == [r.item.id for r in replacement]
    assert window.cards.selected_recommendation() is None
    assert not any(card.is_selected() for card in window.cards.cards())
    assert window.explanation.recommendation() is None


def test_next_with_the_cards_already_shown_early_clears_the_selection(qtbot: QtBot, window: MainWindow) -> None:
    cards = tuple(ask(qtbot, window, "I loved Fargo, recommend me more crime films"))
    window.controller.cards_ready.emit(cards)  # the turn showed its cards before its reply...
    finish(window, Browse("more"), cards)  # ...and they are the very ones its result carries
    qtbot.wait(50)
    assert shown(window) == list(cards)
    assert window.cards.selected_recommendation() is None and window.explanation.recommendation() is None


def test_open_switches_the_page_and_go_back_returns_to_discover(qtbot: QtBot, window: MainWindow) -> None:
    assert window.current_page() == "discover"
    finish(window, Browse("open", page="lists"))  # "open my lists"
    assert window.tabs.currentWidget() is window.lists_page and window.current_page() == "lists"
    finish(window, Browse("open", page="library"))
    assert window.tabs.currentWidget() is window.library_page
    finish(window, Browse("back", page="discover"))  # "go back"
    assert window.tabs.currentWidget() is window.discover


def test_selecting_a_card_by_voice_from_another_page_brings_discover_forward(qtbot: QtBot,
                                                                              window: MainWindow) -> None:
    cards = ask(qtbot, window, "I loved Fargo, recommend me more crime films")
    window.show_page("lists")
    finish(window, Browse("select", cards[1].item.id), (cards[1],), action="explain")
    assert window.current_page() == "discover" and selected_title(window) == cards[1].item.title


def test_an_ordinary_explain_turn_moves_the_selection_and_keeps_the_grid(qtbot: QtBot, window: MainWindow) -> None:
    cards = ask(qtbot, window, "I loved Fargo, recommend me more crime films")
    window.controller.turn_finished.emit(TurnResult("s", Reply.plain("Because..."), (cards[1],),
                                                    Intent(action="explain"), "none", ()))
    assert shown(window) == cards and selected_title(window) == cards[1].item.title


def say(qtbot: QtBot, window: MainWindow, text: str) -> TurnResult:
    """Type a command into the ask box and wait for its turn to finish."""
    with qtbot.waitSignal(window.controller.turn_finished, timeout=20000) as done:
        window.talk.ask_box.setText(text)
        qtbot.keyClick(window.talk.ask_box, Qt.Key.Key_Return)
    result = done.args[0]
    assert isinstance(result, TurnResult)
    return result


def test_typed_commands_move_the_window_through_the_whole_turn(qtbot: QtBot, window: MainWindow) -> None:
    cards = ask(qtbot, window, "I loved Fargo, recommend me more crime films")
    assert say(qtbot, window, "the second one").browse == Browse("select", cards[1].item.id)
    assert shown(window) == cards and selected_title(window) == cards[1].item.title
    assert window.explanation.recommendation() is cards[1]

    say(qtbot, window, "next")
    qtbot.waitUntil(lambda: {r.item.id for r in shown(window)}.isdisjoint(r.item.id for r in cards), timeout=5000)
    qtbot.wait(50)
    assert shown(window) and window.cards.selected_recommendation() is None

    say(qtbot, window, "open my lists")
    assert window.current_page() == "lists"
    say(qtbot, window, "go back")  # the cards before "next", on Discover again
    qtbot.waitUntil(lambda: [r.item.id for r in shown(window)] == [r.item.id for r in cards], timeout=5000)
    assert window.current_page() == "discover"


def test_a_spoken_rating_leaves_on_screen_the_cards_the_conversation_counts(qtbot: QtBot, window: MainWindow,
                                                                            voice: VoiceRig) -> None:
    ask(qtbot, window, "I loved Fargo, recommend me more crime films")
    voice.texts = ("rate the second one four stars",)
    window.controller.reset_voice()
    with qtbot.waitSignal(window.controller.turn_finished, timeout=20000) as done:
        window.controller.start_listening()
        QTimer.singleShot(200, window.controller.stop_listening)
    result: TurnResult = done.args[0]
    assert result.intent.action == "rate" and result.items
    # The rating re-answers the request; spoken or typed, the grid shows those cards, so "the second one"
    # said next means the card the user sees.
    qtbot.waitUntil(lambda: [r.item.id for r in shown(window)] == [r.item.id for r in result.items], timeout=5000)


def test_the_models_sentence_about_a_card_shows_when_it_is_selected(qtbot: QtBot, window: MainWindow) -> None:
    def rerank(request: ChatRequest) -> str:  # picks the candidates in order, with a sentence for the second only
        ids = request.schema["properties"]["picks"]["items"]["properties"]["id"]["enum"]  # type: ignore[index]
        k = request.schema["properties"]["picks"]["minItems"]  # type: ignore[index]
        return json.dumps({"picks": [{"id": i, "reason": "A tense heist film" if n == 1 else ""}
                                     for n, i in enumerate(ids[:k])]})

    engine = window.controller.engine
    assert engine is not None
    model = ScriptedChatModel(responder=rerank)
    engine.conversation = engine.conversation.with_chat(
        FixedChatSource(model), ConversationOptions(llm_intent=False, rerank="on", model_replies="off"))
    cards = ask(qtbot, window, "I loved Fargo, recommend me more crime films")
    assert model.requests and window.explanation.recommendation() is cards[0]
    assert "A tense heist film" not in window.explanation.shown_text()  # the model said nothing of the first
    window.cards.select(1)
    assert "\u201cA tense heist film\u201d" in window.explanation.shown_text()
    say(qtbot, window, "why the first one?")  # its reply has no card lines: the cards' own turn still speaks
    window.cards.select(1)
    assert "\u201cA tense heist film\u201d" in window.explanation.shown_text()
    # A later turn showing the same cards with no sentence for it (its re-ranking failed) decides: none is shown.
    again = TurnResult("s", Reply(headline=("Here are 3 crime movies:",),
                                  cards=tuple(CardLine(r.item.id, r.item.title) for r in cards)),
                       tuple(cards), Intent(action="rate"), "none", ())
    window.controller.last_result = again
    window.controller.turn_finished.emit(again)
    window.cards.select(0)
    window.cards.select(1)
    assert "A tense heist film" not in window.explanation.shown_text()
