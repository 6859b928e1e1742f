"""Hands-free through the window's controller, in a fake room with a speaker that echoes: speaking starts a
turn, talking over the reply stops it at once and becomes the next turn, the app's own voice never
does, and a recording that reaches the limit says so. Then the controller's threads: the voice is built
once however many jobs need it at once, a replaced turn's last state never reaches its successor, and a
preview of what is not a track says why."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from app.bootstrap import Engine
from app.domain.errors import CancelledError
from app.paths import AppPaths
from app.services.conversation import TurnResult
from app.services.listening import ListenOptions
from app.ui.controller import SessionController, VoiceParts
from app.ui.jobs import Jobs
from app.ui.main_window import MainWindow
from tests.fakes.room import STOPS_WITHIN_S, FakeRoom, recording, voice_onset
from tests.tiny_catalogue import item_id
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


class GatedLoop:
    """Stands in for the voice loop: each push-to-talk turn says "listening", waits for its own gate, then
    says "idle" as a real turn does when it ends; hands-free listening waits until it is switched off."""

    def __init__(self, on_state: Callable[[str], None]) -> None:
        self.on_state = on_state
        self.listen_options = ListenOptions()
        self.gates = [threading.Event() for _ in range(4)]
        self.turns = 0
        self.ended = 0
        self.listened = 0

    def begin(self, token: Any = None) -> Any:
        return token

    def stop(self) -> None:
        pass

    def converse(self, blocks: Any, speaker: Any, **_: Any) -> Any:
        gate = self.gates[self.turns]
        self.turns += 1
        self.on_state("listening")
        gate.wait(10)
        self.on_state("idle")
        self.ended += 1
        raise CancelledError("the turn")  # it ends without a result: only the states matter here

    def listen(self, blocks: Any, *, release: threading.Event | None = None, **_: Any) -> Any:
        self.listened += 1
        if release is not None:
            release.wait(10)
        return SimpleNamespace(voiced_s=0.0)


class QuietAudio:
    """A microphone that hears nothing and a speaker that plays nothing."""

    def capture(self, stop: threading.Event) -> Iterator[Any]:
        yield from ()

    def play(self, chunks: Any, sample_rate: int, cancel: Any) -> None:
        pass

    def stop_playback(self) -> None:
        pass


class ScriptedVoice:
    """The controller's voice factory: builds a GatedLoop, taking build_s as loading the speech models does."""

    def __init__(self, build_s: float = 0.0) -> None:
        self.build_s = build_s
        self.built: list[GatedLoop] = []

    def parts(self, engine: Engine, on_state: Callable[[str], None]) -> VoiceParts:
        time.sleep(self.build_s)
        loop = GatedLoop(on_state)
        self.built.append(loop)
        return VoiceParts(loop, QuietAudio())  # type: ignore[arg-type]

    def release_all(self) -> None:
        for loop in self.built:
            for gate in loop.gates:
                gate.set()


@pytest.fixture
def scripted() -> ScriptedVoice:
    return ScriptedVoice()


@pytest.fixture
def controller(paths: AppPaths, engine: Engine, scripted: ScriptedVoice) -> Iterator[SessionController]:
    """A controller over an engine already open (no warm-up) and the scripted voice."""
    jobs = Jobs()
    made = SessionController(paths, jobs, open_engine=lambda _: engine, voice=scripted.parts)
    made.engine = engine
    yield made
    made.set_hands_free(False)
    scripted.release_all()
    jobs.cancel_all()
    assert jobs.wait(10000)


def test_the_voice_is_built_once_when_two_jobs_need_it_at_the_same_moment(
        qtbot: QtBot, controller: SessionController, scripted: ScriptedVoice) -> None:
    scripted.build_s = 0.3  # loading the speech models takes a while: both jobs ask meanwhile
    controller.start_listening()  # push-to-talk needs the voice on one thread...
    controller.set_hands_free(True)  # ...and hands-free listening on another, at once
    qtbot.waitUntil(lambda: sum(loop.turns for loop in scripted.built) == 1
                    and sum(loop.listened for loop in scripted.built) == 1, timeout=5000)
    # One set of speech models and one microphone, used by both: two would load the models twice and leave
    # the controller stopping a speaker that is not the one playing.
    assert len(scripted.built) == 1


def test_new_settings_saved_while_the_voice_loads_are_the_ones_it_uses(
        qtbot: QtBot, controller: SessionController, scripted: ScriptedVoice) -> None:
    scripted.build_s = 0.4
    controller.start_listening()  # the voice starts loading for this turn...
    qtbot.wait(100)
    controller.reset_voice()  # ...when Settings are saved with other devices
    qtbot.waitUntil(lambda: sum(loop.turns for loop in scripted.built) == 1, timeout=5000)
    old, new = scripted.built  # what was loading from the old settings is not kept: the turn uses the new one
    assert old.turns == 0 and new.turns == 1


def test_a_replaced_turns_last_state_never_reaches_the_turn_that_replaced_it(
        qtbot: QtBot, controller: SessionController, scripted: ScriptedVoice) -> None:
    states: list[str] = []
    controller.voice_state.connect(states.append)
    controller.start_listening()  # the first turn listens...
    qtbot.waitUntil(lambda: states == ["listening"], timeout=5000)
    controller.start_listening()  # ...and a second press replaces it (the first is cancelled)
    qtbot.waitUntil(lambda: states == ["listening", "listening"], timeout=5000)
    loop = scripted.built[0]
    loop.gates[0].set()  # the first turn ends late and says "idle"
    qtbot.waitUntil(lambda: loop.ended == 1, timeout=5000)
    qtbot.wait(200)  # time for a stray state to arrive
    assert states == ["listening", "listening"]  # the window still shows the second turn listening
    loop.gates[1].set()
    qtbot.waitUntil(lambda: states == ["listening", "listening", "idle"], timeout=5000)  # its own end shows


def test_a_preview_of_what_is_not_a_track_says_why_and_stops(qtbot: QtBot, controller: SessionController) -> None:
    playing: list[str] = []
    controller.previewing.connect(playing.append)
    with qtbot.waitSignal(controller.failed, timeout=5000) as failed:
        controller.preview(item_id("fargo"))  # "play a bit of the second" on a film's card
    assert "Fargo is not a track in your music library" in str(failed.args[0])
    assert playing == [item_id("fargo"), ""] and controller.preview_playing == ""
