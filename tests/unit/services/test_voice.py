"""The voice loop on fakes: hear, answer, speak; silence is not answered; a new turn cancels the old."""

from __future__ import annotations

import threading
import time
from contextlib import closing
from dataclasses import replace

import numpy as np
import pytest

from app.bootstrap import Engine
from app.domain.conversation import Intent
from app.domain.errors import CancelledError
from app.domain.reply import CardLine, Reply
from app.domain.voice import SpeechHints, Transcript
from app.services.conversation import TurnResult
from app.services.voice import NoSpeechError, VoiceLoop, collect, spoken_reply
from app.voice.audio_io import SoundDeviceAudio
from app.voice.text import sentences, speakable
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


@pytest.mark.parametrize("talk_over", ["hands_free", "push_to_talk"])
def test_talking_over_the_spoken_reply_stops_it_and_cancels_the_turn(engine: Engine, talk_over: str) -> None:
    room = FakeRoom()
    audio = SoundDeviceAudio(room)
    tts = FakeTextToSpeech(seconds_per_char=0.1)  # a long reply: many seconds of speech
    loop = VoiceLoop(FakeSpeechToText(), tts, engine.conversation)
    request = recording("request_three_comedies")
    stop = threading.Event()
    outcome: list[BaseException | None] = []
    answered: list[TurnResult] = []
    heard_request = Transcript("five movies like Fargo and Heat", audio_seconds=2.0, speech_seconds=2.0)

    def answer() -> None:
        try:  # the loop starts this turn itself: the test holds no token to cancel for it
            loop.answer(heard_request, audio.play, on_answered=answered.append)
            outcome.append(None)
        except CancelledError as exc:
            outcome.append(exc)

    def barge_in() -> None:
        # Only the loop is told: hands-free stops the turn in progress; push-to-talk begins the next turn.
        # Playback must stop through the loop's own cancelling, not through the audio device's stop.
        if talk_over == "hands_free":
            loop.stop()
        else:
            loop.begin()

    speaking = threading.Thread(target=answer)
    speaking.start()
    deadline = time.monotonic() + 20.0
    while room.played_s == 0.0 and speaking.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)  # the user talks over the reply once it is heard, however long the turn took
    user_starts = room.now() + 1.0
    room.say(request, at=user_starts)
    with closing(audio.capture(stop)) as blocks:
        heard = loop.listen(blocks, hands_free=True, on_speech_start=barge_in)
    speaking.join()
    voice_at = user_starts + voice_onset(request)
    assert isinstance(outcome[0], CancelledError)  # the turn was cancelled, not spoken to the end
    reply_ends = room.speaker_busy_until()  # what the user hears: the last of the reply's audio, cut where it stopped
    assert 0.0 <= reply_ends - voice_at <= STOPS_WITHIN_S  # it played until they talked, and stopped soon after
    whole = sentences(speakable(spoken_reply(answered[0])))  # the turn was saved before it was spoken
    assert len(tts.spoken) < len(whole)  # the rest of the reply was never even synthesized
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


def test_the_spoken_reply_is_rendered_from_the_replys_parts_not_its_text(engine: Engine) -> None:
    cards = VoiceLoop(FakeSpeechToText("three movies like Fargo"), FakeTextToSpeech(), engine.conversation).turn(
        speech(), collect([])).turn.items
    titles = [r.item.title for r in cards]
    # A prose line that looks like a card line ("1. ...") is still said; the card lines are not.
    answer = Reply(("1. Leon isn't in your library.",), ("Here are 3 movies, close to Fargo:",),
                   tuple(CardLine(r.item.id, f"{n}. {r.item.title}: a reason") for n, r in enumerate(cards, 1)),
                   ("Shall I remember that you loved Fargo?",), lead=("Noted: Fargo, 5\u2605.",), close_to="Fargo")
    result = TurnResult("s", answer, cards, Intent(action="rate"), "none", ())
    listed = f"{titles[0]}, {titles[1]} and {titles[2]}. The cards show why."
    assert spoken_reply(result) == (
        f"Noted: Fargo, 5\u2605. 1. Leon isn't in your library. Here are 3 movies. They are close to Fargo: "
        f"{listed} Shall I remember that you loved Fargo?")
    # What the cards are close to is the reply's own part, never found in its words: the user's words quoted in
    # the headline are said as they are, and a headline that does not lead into the cards gets the titles last.
    quoted = Reply(headline=("Here are 3 movies for \u201cdark, close to midnight\u201d:",), cards=answer.cards)
    assert spoken_reply(replace(result, answer=quoted)) == (
        f"Here are 3 movies for \u201cdark, close to midnight\u201d. {listed}")
    shortfall = Reply(("Only 3 crime movies fit, so here they are.",), (), answer.cards,
                      ("Shall I remember that you loved Fargo?",))
    assert spoken_reply(replace(result, answer=shortfall)) == (
        f"Only 3 crime movies fit, so here they are. Shall I remember that you loved Fargo? {listed}")


def test_a_model_reply_naming_the_first_titles_is_said_as_written_without_the_titles_again(engine: Engine) -> None:
    cards = VoiceLoop(FakeSpeechToText("three movies like Fargo"), FakeTextToSpeech(), engine.conversation).turn(
        speech(), collect([])).turn.items
    first = cards[0].item.title
    lines = tuple(CardLine(r.item.id, f"{n}. {r.item.title}: a reason") for n, r in enumerate(cards, 1))
    written = Reply(headline=(f"{first} is a tense pick, close to Fargo:",), cards=lines, source="model")
    result = TurnResult("s", written, cards, Intent(action="recommend"), "none", ())
    assert spoken_reply(result) == f"{first} is a tense pick, close to Fargo:"
    unnamed = Reply(headline=("A tense pick, close to Fargo:",), cards=lines, source="model")
    titles = [r.item.title for r in cards]
    assert spoken_reply(replace(result, answer=unnamed)) == (
        f"A tense pick, close to Fargo. {titles[0]}, {titles[1]} and {titles[2]}. The cards show why.")
