"""The voice loop on fakes: hear, answer, speak; silence is not answered; a new turn cancels the old."""

from __future__ import annotations

import threading
import time
from contextlib import closing

import numpy as np
import pytest

from app.bootstrap import Engine
from app.domain.errors import CancelledError
from app.domain.voice import SpeechHints
from app.services.voice import NoSpeechError, VoiceLoop, collect, spoken_reply
from app.voice.audio_io import SoundDeviceAudio
from tests.fakes.room import STOPS_WITHIN_S, FakeRoom, recording, voice_onset
from tests.fakes.speech import FakeSpeechToText
from tests.fakes.tts import FakeTextToSpeech

RATE = 16000


def speech(seconds: float = 2.0) -> np.ndarray:
    """Syllable-like bursts of noise: sound with speech's spread spectrum (a pure tone counts as no speech)."""
    t = np.arange(int(RATE * seconds)) / RATE
    noise = np.random.default_rng(0).standard_normal(t.size)
    return (0.2 * noise * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t))).astype(np.float32)


def test_a_spoken_request_is_heard_answered_and_spoken(engine: Engine) -> None:
    states: list[str] = []
    tts = FakeTextToSpeech()
    loop = VoiceLoop(FakeSpeechToText("three movies like Fargo"), tts, engine.conversation, states.append)
    audio: list[np.ndarray] = []
    result = loop.turn(speech(), collect(audio), hints=SpeechHints(("Fargo",), "something funny"))
    assert result.transcript.text == "three movies like Fargo"
    assert len(result.turn.items) == 3 and result.turn.intent.liked == ("Fargo",)
    assert audio and tts.spoken  # speech came out, sentence by sentence
    assert states == ["transcribing", "thinking", "speaking", "idle"]
    assert {"stt", "tts_first_audio", "first_audio", "total", "recommend"} <= set(result.timings_ms)
    assert loop._stt.calls[-1][1] == ("Fargo",) and loop._stt.prompts[-1] == "something funny"  # type: ignore[attr-defined]


def test_the_spoken_reply_names_the_first_titles_not_every_reason(engine: Engine) -> None:
    tts = FakeTextToSpeech()
    loop = VoiceLoop(FakeSpeechToText("three movies like Fargo"), tts, engine.conversation)
    result = loop.turn(speech(), collect([]))
    said = " ".join(tts.spoken)
    assert all(r.item.title in said for r in result.turn.items) and "because you rated" not in said


def test_silence_is_never_answered(engine: Engine) -> None:
    states: list[str] = []
    loop = VoiceLoop(FakeSpeechToText("should not be used"), FakeTextToSpeech(), engine.conversation, states.append)
    with pytest.raises(NoSpeechError, match="no speech heard"):
        loop.turn(np.zeros(RATE * 2, dtype=np.float32), collect([]))
    assert states[-1] == "idle"


def test_a_new_turn_cancels_the_one_in_progress(engine: Engine) -> None:
    loop = VoiceLoop(FakeSpeechToText("movies like Fargo", "movies like Heat"), FakeTextToSpeech(),
                     engine.conversation)
    first = loop.begin()
    second = loop.begin()  # the user talks over the reply
    assert first.cancelled and not second.cancelled


def test_talking_over_the_spoken_reply_stops_it_and_cancels_the_turn(engine: Engine) -> None:
    room = FakeRoom()
    audio = SoundDeviceAudio(room)
    tts = FakeTextToSpeech(seconds_per_char=0.1)  # a long reply: many seconds of speech
    loop = VoiceLoop(FakeSpeechToText("five movies like Fargo and Heat"), tts, engine.conversation)
    request = recording("request_three_comedies")
    stop = threading.Event()
    outcome: list[BaseException | None] = []

    def answer() -> None:
        try:
            loop.turn(speech(), audio.play, cancel=loop.begin())
            outcome.append(None)
        except CancelledError as exc:
            outcome.append(exc)

    def barge_in() -> None:
        audio.stop_playback()
        loop.stop()

    speaking = threading.Thread(target=answer)
    speaking.start()
    time.sleep(0.5)
    user_starts = room.now() + 1.0
    room.say(request, at=user_starts)
    with closing(audio.capture(stop)) as blocks:
        heard = loop.listen(blocks, hands_free=True, on_speech_start=barge_in)
    speaking.join()
    assert isinstance(outcome[0], CancelledError)  # the turn was cancelled, not spoken to the end
    assert room.playback_stopped_at is not None
    assert 0.0 <= room.playback_stopped_at - (user_starts + voice_onset(request)) <= STOPS_WITHIN_S
    assert heard.voiced_s > 1.0  # and the user's words were heard whole, for the next turn


def test_non_recommendation_replies_are_spoken_whole(engine: Engine) -> None:
    loop = VoiceLoop(FakeSpeechToText("hello there"), FakeTextToSpeech(), engine.conversation)
    result = loop.turn(speech(), collect([]))
    assert spoken_reply(result.turn) == result.turn.reply


def test_the_first_spoken_sentence_is_short_so_speech_starts_soon(engine: Engine) -> None:
    tts = FakeTextToSpeech()
    loop = VoiceLoop(FakeSpeechToText("three movies like Fargo"), tts, engine.conversation)
    result = loop.turn(speech(), collect([]))
    assert "close to Fargo" in result.turn.reply.splitlines()[0]
    first = tts.spoken[0]
    assert len(first.split()) <= 8  # the liked titles and the picks follow in later sentences
    assert not any(r.item.title in first for r in result.turn.items)
    assert any("close to Fargo" in s for s in tts.spoken[1:])


def test_warming_up_runs_each_model_once_before_the_first_turn(engine: Engine) -> None:
    stt, tts = FakeSpeechToText(), FakeTextToSpeech(sample_rate=22050)
    VoiceLoop(stt, tts, engine.conversation).warm_up()
    assert stt.loaded and tts.loaded
    assert tts.spoken == ["Ready when you are."]
    assert len(stt.calls) == 1 and stt.calls[0][0] > 16000 // 2  # the phrase, resampled to 16 kHz


def test_the_spoken_reply_says_what_is_missing_and_asks_whether_to_remember(engine: Engine) -> None:
    tts = FakeTextToSpeech()
    loop = VoiceLoop(FakeSpeechToText("I loved Fargo and Ghostbusters, three more like them"), tts,
                     engine.conversation)
    result = loop.turn(speech(), collect([]))
    said = " ".join(tts.spoken)
    assert "Ghostbusters" in said and "remember that you loved Fargo" in said
    assert len(result.turn.items) == 3 and all(r.item.title in said for r in result.turn.items)


def test_the_titles_are_never_in_the_first_spoken_sentence(engine: Engine) -> None:
    tts = FakeTextToSpeech()
    loop = VoiceLoop(FakeSpeechToText("three comedies please"), tts, engine.conversation)
    result = loop.turn(speech(), collect([]))
    assert result.turn.items
    assert not any(r.item.title in tts.spoken[0] for r in result.turn.items)
    assert any(r.item.title in " ".join(tts.spoken[1:]) for r in result.turn.items)
