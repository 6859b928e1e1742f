"""Hands-free through the window's controller, in a fake room with a speaker that echoes: speaking starts a
turn, talking over the reply stops it at once and becomes the next turn, the app's own voice never
does, and a recording that reaches the limit says so."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.services.conversation import TurnResult
from app.services.listening import ListenOptions
from app.ui.main_window import MainWindow
from tests.fakes.room import STOPS_WITHIN_S, FakeRoom, recording, voice_onset
from tests.ui.conftest import VoiceRig, speech_like

REQUEST = recording("request_three_comedies")
FIRST, SECOND = "recommend me something like Fargo", "show me three comedies"


def in_a_room(window: MainWindow, voice: VoiceRig, *, seconds_per_char: float) -> FakeRoom:
    """The window's voice rebuilt on a real-time room; one recogniser call per utterance, scripted."""
    voice.room = FakeRoom()
    voice.texts = (FIRST, SECOND)
    voice.listen = ListenOptions(speculate=False)
    voice.seconds_per_char = seconds_per_char
    window.controller.reset_voice()
    return voice.room


def test_speaking_starts_a_turn_and_talking_over_the_reply_stops_it(qtbot: QtBot, window: MainWindow,
                                                                     voice: VoiceRig) -> None:
    room = in_a_room(window, voice, seconds_per_char=0.12)  # a reply of 20 s or more
    controller = window.controller
    finished: list[TurnResult] = []
    barged: list[float] = []
    controller.turn_finished.connect(finished.append)
    controller.barged_in.connect(lambda: barged.append(room.now()))
    with qtbot.waitSignal(controller.hands_free_changed, timeout=5000):
        controller.set_hands_free(True)
    room.say(REQUEST, at=room.now() + 0.5)
    qtbot.waitUntil(lambda: room.played_s > 1.0, timeout=20000)  # the first answer is being spoken
    assert ("you", FIRST) in window.conversation.messages()
    session = controller.session_id
    assert session is not None  # the answer is saved in its conversation before it is spoken
    user_starts = room.now() + 0.5
    room.say(REQUEST, at=user_starts)
    with qtbot.waitSignal(controller.heard, timeout=30000, check_params_cb=lambda text: text == SECOND):
        pass  # the words said over the reply became the next turn
    assert room.playback_stopped_at is not None
    assert 0.0 <= room.playback_stopped_at - (user_starts + voice_onset(REQUEST)) <= STOPS_WITHIN_S
    assert len(barged) == 2  # each utterance started with the user's voice
    played = room.played_s
    qtbot.waitUntil(lambda: room.played_s > played + 1.0, timeout=20000)  # the new answer is spoken
    assert finished == []  # the interrupted turn never finished: its result was dropped
    assert controller.session_id == session  # but its conversation goes on: "the second one" means its cards
    controller.set_hands_free(False)
    controller.stop()


def test_the_apps_own_reply_never_starts_a_turn(qtbot: QtBot, window: MainWindow, voice: VoiceRig) -> None:
    room = in_a_room(window, voice, seconds_per_char=0.03)  # a reply of a few seconds
    controller = window.controller
    finished: list[TurnResult] = []
    barged: list[float] = []
    controller.turn_finished.connect(finished.append)
    controller.barged_in.connect(lambda: barged.append(room.now()))
    controller.set_hands_free(True)
    room.say(REQUEST, at=room.now() + 0.3)
    qtbot.waitUntil(lambda: len(finished) == 1, timeout=30000)  # answered and spoken to the end
    qtbot.wait(1500)  # the echo's tail has died away
    assert room.played_s > 2.0 and room.playback_stopped_at is None  # the whole reply played
    assert len(barged) == 1 and len(finished) == 1  # only the user's request started anything
    controller.set_hands_free(False)


def test_switching_hands_free_off_stops_listening(qtbot: QtBot, window: MainWindow, voice: VoiceRig) -> None:
    room = in_a_room(window, voice, seconds_per_char=0.03)
    controller = window.controller
    started: list[str] = []
    controller.turn_started.connect(started.append)
    controller.set_hands_free(True)
    assert controller.hands_free
    with qtbot.waitSignal(controller.hands_free_changed, timeout=5000) as changed:
        controller.set_hands_free(False)
    assert changed.args == [False] and not controller.hands_free
    qtbot.waitUntil(lambda: not window.jobs.is_running("listen"), timeout=5000)
    room.say(REQUEST, at=room.now() + 0.2)
    qtbot.wait(REQUEST.size / 16000 * 1000 + 1500)
    assert started == []


def test_a_recording_that_reaches_the_limit_is_answered_and_says_so(qtbot: QtBot, window: MainWindow,
                                                                    voice: VoiceRig) -> None:
    voice.signal = speech_like(8.0)  # someone who keeps talking
    voice.listen = ListenOptions(limit_s=2.0, end_silence_s=5.0, speculate=False)
    window.controller.reset_voice()
    with qtbot.waitSignal(window.controller.notice, timeout=20000) as said:
        window.controller.start_listening()  # the button is held and never released
    assert "stopped at the 2-second limit" in said.args[0]
    qtbot.waitUntil(lambda: ("you", FIRST) in window.conversation.messages(), timeout=20000)


def test_the_talk_button_while_hands_free_stops_the_reply_without_a_second_recording(
        qtbot: QtBot, window: MainWindow, voice: VoiceRig) -> None:
    room = in_a_room(window, voice, seconds_per_char=0.12)
    controller = window.controller
    controller.set_hands_free(True)
    room.say(REQUEST, at=room.now() + 0.3)
    qtbot.waitUntil(lambda: room.played_s > 1.0, timeout=20000)  # the answer is being spoken
    started: list[str] = []
    controller.turn_started.connect(started.append)
    controller.start_listening()  # Space held while hands-free listens
    qtbot.waitUntil(lambda: room.playback_stopped_at is not None, timeout=2000)  # the reply stopped
    qtbot.waitUntil(lambda: not window.jobs.is_running("turn"), timeout=5000)  # and the turn behind it ended
    assert started == [] and window.jobs.is_running("listen")  # hands-free goes on listening; no push-to-talk turn
    controller.stop_listening()
    controller.set_hands_free(False)


def test_new_devices_from_settings_take_over_the_microphone_only_once_it_is_free(
        qtbot: QtBot, window: MainWindow, voice: VoiceRig) -> None:
    room = in_a_room(window, voice, seconds_per_char=0.03)
    controller = window.controller
    controller.set_hands_free(True)
    qtbot.waitUntil(lambda: room.open_inputs == 1, timeout=5000)
    controller.reset_voice()  # Settings saved: listening starts again through the devices now chosen
    qtbot.waitUntil(lambda: room.open_inputs == 1 and controller.hands_free, timeout=5000)
    qtbot.wait(300)
    assert room.most_open_inputs == 1  # the old stream was closed before the new one opened
    room.say(REQUEST, at=room.now() + 0.2)
    with qtbot.waitSignal(controller.heard, timeout=20000):
        pass  # and the new listening hears the user
    controller.set_hands_free(False)
    controller.stop()
