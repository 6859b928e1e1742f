"""Hands-free in the window: the talk bar's button, what it shows, and the saved setting applied at start.

What hands-free hears and answers is tested through the controller (test_hands_free_controller); these
tests check what the user sees and clicks. The microphone is a quiet fake room, so nothing is said.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.bootstrap import Engine
from app.domain.voice import RECORDING_LIMIT_S
from app.paths import AppPaths
from app.ui.main_window import MainWindow
from app.ui.talk_bar import HANDS_FREE_IDLE
from tests.fakes.room import FakeRoom
from tests.ui.conftest import VoiceRig, open_small_engine, open_window

LIMIT = f"a recording stops after {RECORDING_LIMIT_S:g} s"


@pytest.fixture
def quiet(voice: VoiceRig) -> VoiceRig:
    """A microphone in a quiet room: hands-free listens and hears nothing to answer."""
    voice.room = FakeRoom()
    return voice


@pytest.fixture
def hands_free_window(qtbot: QtBot, paths: AppPaths, quiet: VoiceRig) -> Iterator[MainWindow]:
    """The window opened on settings that say hands-free, with a working (quiet) microphone."""
    yield _opened(qtbot, paths, quiet, hands_free=True)


def _opened(qtbot: QtBot, paths: AppPaths, voice: VoiceRig | None, *, hands_free: bool) -> MainWindow:
    def engine_with_setting(p: AppPaths) -> Engine:
        engine = open_small_engine(p)
        engine.settings = replace(engine.settings, hands_free=hands_free)  # as if saved in Settings
        return engine

    return open_window(qtbot, paths, voice, open_engine=engine_with_setting)


def test_the_hands_free_button_sits_beside_push_to_talk_and_says_what_it_does(window: MainWindow) -> None:
    button, talk = window.talk.hands_free_button, window.talk.talk_button
    assert button.isCheckable() and not button.isChecked() and button.isEnabled()
    assert button.accessibleName() == "Hands-free"
    said = "Talk without holding the button: speaking starts a turn, talking over the reply stops it"
    assert said in button.toolTip() and said in button.accessibleDescription()
    assert LIMIT in button.toolTip() and LIMIT in talk.toolTip()  # both ways of talking state the limit
    assert button.parentWidget() is talk.parentWidget()


def test_clicking_hands_free_switches_listening_on_and_off(qtbot: QtBot, window: MainWindow,
                                                           quiet: VoiceRig) -> None:
    window.controller.reset_voice()  # the quiet room
    button = window.talk.hands_free_button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.controller.hands_free and button.isChecked() and button.text() == "Hands-free: on"
    assert window.talk.state_label.text() == HANDS_FREE_IDLE
    with qtbot.waitSignal(window.controller.turn_finished, timeout=20000):
        window.controller.ask("recommend me some crime films")  # a typed turn while hands-free listens
    assert window.talk.state_label.text() == HANDS_FREE_IDLE  # back to listening, not "Ready"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not window.controller.hands_free and not button.isChecked() and button.text() == "Hands-free: off"
    assert window.talk.state_label.text() == "Ready"


def test_the_button_follows_the_controller_not_the_click(qtbot: QtBot, window: MainWindow) -> None:
    button = window.talk.hands_free_button
    window.controller.hands_free_changed.emit(True)  # switched on elsewhere (the saved setting)
    assert button.isChecked() and window.talk.state_label.text() == HANDS_FREE_IDLE
    window.controller.hands_free_changed.emit(False)  # the microphone went away
    assert not button.isChecked() and window.talk.state_label.text() == "Ready"


def test_a_microphone_that_fails_turns_the_button_off_and_says_why(qtbot: QtBot, window: MainWindow,
                                                                    voice: VoiceRig) -> None:
    voice.inputs = 0  # no microphone
    window.controller.reset_voice()
    with qtbot.waitSignal(window.controller.failed, timeout=20000):
        qtbot.mouseClick(window.talk.hands_free_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.talk.hands_free_button.isChecked(), timeout=5000)
    assert not window.controller.hands_free
    assert "no microphone found" in window.banner.text


def test_the_saved_setting_switches_hands_free_on_once_voice_is_ready(qtbot: QtBot,
                                                                      hands_free_window: MainWindow) -> None:
    window = hands_free_window
    qtbot.waitUntil(lambda: window.controller.hands_free, timeout=5000)
    assert window.talk.hands_free_button.isChecked()
    assert window.talk.state_label.text() == HANDS_FREE_IDLE
    window.controller.set_hands_free(False)
    window.close()


def test_without_voice_the_button_is_off_disabled_and_says_why(qtbot: QtBot, paths: AppPaths) -> None:
    window = _opened(qtbot, paths, None, hands_free=True)  # the setting asks, but voice is off in this build
    button = window.talk.hands_free_button
    assert not window.controller.hands_free and not button.isChecked()
    assert not button.isEnabled() and not window.talk.talk_button.isEnabled()
    assert "Voice is off" in button.toolTip() and "type" in button.toolTip()
    assert "voice is off" not in window.banner.text.lower()  # not applied, so nothing failed to start
    window.close()


def test_a_reply_talked_over_keeps_its_own_bubble_and_the_next_reply_gets_a_new_one(window: MainWindow) -> None:
    view = window.conversation
    before = view.messages()
    window.controller.reply_text.emit("Here are five crime films: Fargo")  # a typed turn's reply, streaming
    window.controller.barged_in.emit()  # the user talks over it: the turn is cancelled and never finishes
    window.controller.turn_started.emit("")
    window.controller.heard.emit("the second one")
    view.finish_assistant("The second one: Heat.")
    assert view.messages()[len(before):] == [("chat-rec", "Here are five crime films: Fargo \u2026"),
                                             ("you", "the second one"), ("chat-rec", "The second one: Heat.")]
