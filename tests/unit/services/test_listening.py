"""Listening on recorded speech through fake audio devices: where a turn starts and ends, the app's own voice
never taken for the user's, talking over the reply stops it at once, and words transcribed ahead."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import closing, suppress

import numpy as np
import pytest

from app.domain.errors import CancelledError
from app.domain.progress import CancelToken
from app.domain.voice import AudioBlock
from app.services.listening import BLOCK_S, EchoGate, ListenOptions, PlaybackTrace, level_db, listen
from app.voice.audio_io import SoundDeviceAudio
from tests.fakes.room import STOPS_WITHIN_S, FakeRoom, recording, voice_onset
from tests.fakes.sounddevice import FakeSoundDevice
from tests.fakes.speech import FakeSpeechToText

RATE = 16000
BLOCK = int(RATE * BLOCK_S)


def blocks_of(signal: np.ndarray, *, start: float = 100.0) -> list[AudioBlock]:
    """A recording cut into microphone blocks on a made-up clock."""
    return [AudioBlock(signal[i:i + BLOCK], start + (i + BLOCK) / RATE)
            for i in range(0, signal.size - BLOCK + 1, BLOCK)]


def quiet(seconds: float) -> np.ndarray:
    return np.zeros(int(RATE * seconds), dtype=np.float32)


def traced(trace: PlaybackTrace, chunks: list[np.ndarray]) -> Iterator[np.ndarray]:
    """Chunks on their way to the speaker, noted in the trace as the voice loop notes them."""
    for chunk in chunks:
        trace.add(chunk, RATE, time.monotonic())
        yield chunk


REQUEST = recording("request_three_comedies")
REPLY = recording("reply_five_movies")


def test_level_db_reads_full_scale_and_silence() -> None:
    assert level_db(np.ones(100, dtype=np.float32)) == pytest.approx(0.0)
    assert level_db(np.zeros(100, dtype=np.float32)) < -150


# -- push-to-talk --------------------------------------------------------------------------------------


def test_push_to_talk_ends_when_the_speaker_falls_silent() -> None:
    heard = listen(blocks_of(np.concatenate([quiet(0.5), REQUEST, quiet(3.0)])), hands_free=False)
    assert heard.ended_by == "silence"
    assert 0.5 + REQUEST.size / RATE <= heard.samples.size / RATE <= 0.5 + REQUEST.size / RATE + 1.0


def test_push_to_talk_stops_when_the_button_is_released() -> None:
    release = threading.Event()
    release.set()
    after = blocks_of(np.concatenate([REQUEST, REQUEST]), start=time.monotonic() + 1.0)  # captured after it
    heard = listen(after, hands_free=False, release=release)
    assert heard.ended_by == "release" and heard.samples.size == 0


def test_the_last_word_before_the_release_is_kept() -> None:
    release = threading.Event()
    release.set()  # let go while the recogniser was busy: the blocks captured before wait in the queue
    before = blocks_of(REQUEST, start=time.monotonic() - 5.0)
    heard = listen(before, hands_free=False, release=release)
    assert heard.samples.size >= REQUEST.size - BLOCK  # every block captured before the release


def test_one_recording_limit_stops_someone_who_keeps_talking() -> None:
    talk = np.concatenate([REQUEST] * 10)  # about 20 s without a pause long enough to end the turn
    heard = listen(blocks_of(talk), hands_free=False, options=ListenOptions(limit_s=3.0, end_silence_s=5.0))
    assert heard.ended_by == "limit"
    assert heard.samples.size / RATE == pytest.approx(3.0, abs=BLOCK_S * 2)


def test_the_microphone_adapter_delivers_blocks_until_stopped() -> None:
    stop = threading.Event()
    audio = SoundDeviceAudio(FakeSoundDevice(REQUEST))
    with closing(audio.capture(stop)) as blocks:
        heard = listen(blocks, hands_free=False)
    assert heard.ended_by == "silence" and heard.samples.size >= REQUEST.size


# -- hands-free ------------------------------------------------------------------------------------------


def test_hands_free_starts_on_voice_and_keeps_the_first_syllable() -> None:
    started: list[bool] = []
    signal = np.concatenate([quiet(2.0), REQUEST, quiet(2.0)])
    heard = listen(blocks_of(signal), hands_free=True, on_speech_start=lambda: started.append(True))
    assert started == [True] and heard.ended_by == "silence"
    # The turn holds the whole request (the pre-roll keeps its start), not the two quiet seconds before it.
    kept_onset = voice_onset(heard.samples)
    assert 0.05 <= kept_onset <= 0.45
    assert heard.samples.size / RATE < REQUEST.size / RATE + 1.4


def test_hands_free_ignores_a_click_and_a_quiet_room() -> None:
    click = quiet(0.03)
    click[:40] = 0.8
    release = threading.Event()
    blocks = blocks_of(np.concatenate([quiet(1.0), click, quiet(1.0)]))

    def stream() -> Iterator[AudioBlock]:
        yield from blocks
        release.set()  # hands-free switched off
        yield blocks[-1]

    heard = listen(stream(), hands_free=True, release=release)
    assert heard.voiced_s == 0.0 and heard.samples.size == 0


# -- the app's own voice --------------------------------------------------------------------------------


def test_the_echo_gate_hears_the_user_through_the_reply_but_not_the_reply_alone() -> None:
    gate = EchoGate()
    delay = int(0.07 * RATE)
    window, span = gate.window, gate.window + gate.max_delay
    echo_alone, with_user = [], []
    for end in range(span + delay, REPLY.size, BLOCK):
        reference = REPLY[end - span:end]
        echo = 0.5 * REPLY[end - delay - window:end - delay]
        echo_alone.append(gate.user_level(echo, reference))
    for end in range(span + delay, REPLY.size, BLOCK * 5):
        reference = REPLY[end - span:end]
        user = REQUEST[(end // 3) % (REQUEST.size - window):][:window]
        mic = 0.5 * REPLY[end - delay - window:end - delay] + user
        if level_db(user) > -30:
            with_user.append(gate.user_level(mic, reference))
    assert max(echo_alone) < -45  # the reply alone never reads as someone talking
    assert np.median(with_user) > -35  # the user speaking over it does


def test_the_reply_playing_through_a_speaker_never_starts_a_turn() -> None:
    room = FakeRoom()
    audio = SoundDeviceAudio(room)
    trace = PlaybackTrace()
    stop = threading.Event()
    started: list[float] = []

    def speak() -> None:
        audio.play(traced(trace, np.array_split(REPLY[: RATE * 5], 5)), RATE, CancelToken())
        time.sleep(0.5)
        stop.set()

    speaker = threading.Thread(target=speak)
    speaker.start()
    with closing(audio.capture(stop)) as blocks:
        heard = listen(blocks, hands_free=True, trace=trace, release=stop,
                       on_speech_start=lambda: started.append(room.now()))
    speaker.join()
    assert room.played_s == pytest.approx(5.0, abs=0.1)  # the whole reply played
    assert started == [] and heard.voiced_s == 0.0


def test_talking_over_the_reply_stops_it_at_once_and_is_heard_as_the_next_turn() -> None:
    room = FakeRoom()
    audio = SoundDeviceAudio(room)
    trace = PlaybackTrace()
    stop = threading.Event()
    user_starts = 2.0 + voice_onset(REQUEST)
    room.say(REQUEST, at=2.0)

    def speak() -> None:
        with suppress(CancelledError):  # cancelled by the barge-in, as it should be
            audio.play(traced(trace, np.array_split(REPLY, 10)), RATE, CancelToken())

    speaker = threading.Thread(target=speak)
    speaker.start()
    with closing(audio.capture(stop)) as blocks:
        heard = listen(blocks, hands_free=True, trace=trace, on_speech_start=audio.stop_playback)
    stop.set()
    speaker.join()
    assert room.playback_stopped_at is not None
    assert room.playback_stopped_at - user_starts <= STOPS_WITHIN_S  # the reply stopped soon after the user's voice
    assert room.playback_stopped_at - user_starts >= 0.0  # and not before they spoke
    assert heard.ended_by == "silence"
    assert heard.samples.size / RATE >= REQUEST.size / RATE - voice_onset(REQUEST) - 0.1  # the whole request


# -- words ahead of time ---------------------------------------------------------------------------------


def test_the_words_before_a_pause_are_text_before_the_user_stops() -> None:
    stt = FakeSpeechToText("show me three comedies", "from the nineties")
    first, second = REQUEST[: REQUEST.size // 2], REQUEST[REQUEST.size // 2:]
    signal = np.concatenate([first, quiet(0.5), second, quiet(1.5)])
    heard = listen(blocks_of(signal), stt, hands_free=False, primer=lambda: (["Heat"], "movies like Fargo"))
    assert heard.transcript is not None
    assert heard.transcript.text == "show me three comedies from the nineties"
    (ahead, ahead_hints), (rest, _) = stt.calls
    assert ahead < first.size + RATE * 0.1  # the first half went to the recogniser during the pause
    assert rest < signal.size - first.size  # at the end only the rest was left to transcribe
    assert ahead_hints == ("Heat",)
    assert stt.prompts == ["movies like Fargo", "movies like Fargo show me three comedies"]


def test_without_speculation_everything_waits_for_the_end() -> None:
    stt = FakeSpeechToText("show me three comedies from the nineties")
    signal = np.concatenate([REQUEST[: REQUEST.size // 2], quiet(0.5), REQUEST[REQUEST.size // 2:], quiet(1.5)])
    heard = listen(blocks_of(signal), stt, hands_free=False, options=ListenOptions(speculate=False))
    assert len(stt.calls) == 1 and heard.transcript is not None
    assert heard.transcript.text == "show me three comedies from the nineties"


def test_once_every_word_is_text_a_shorter_quiet_ends_the_turn() -> None:
    signal = np.concatenate([REQUEST, quiet(2.0)])
    read_ahead = listen(blocks_of(signal), FakeSpeechToText("show me three comedies"), hands_free=False)
    waited = listen(blocks_of(signal), hands_free=False)  # no recogniser: nothing is text before the end
    assert read_ahead.samples.size / RATE == pytest.approx(REQUEST.size / RATE + 0.6, abs=0.15)
    assert waited.samples.size / RATE == pytest.approx(REQUEST.size / RATE + 0.8, abs=0.15)


def test_hands_free_asks_for_its_hints_when_the_user_speaks_not_when_it_starts_waiting() -> None:
    asked: list[int] = []
    blocks = blocks_of(np.concatenate([quiet(2.0), REQUEST, quiet(1.5)]))

    def stream() -> Iterator[AudioBlock]:
        for number, block in enumerate(blocks):
            yield block
            if number == 10:
                asked.append(-1)  # the conversation moves on while nobody speaks

    def primer() -> tuple[list[str], str]:
        asked.append(len(asked))
        return ["Heat"], "movies like Fargo"

    stt = FakeSpeechToText("show me three comedies")
    heard = listen(stream(), stt, hands_free=True, primer=primer)
    assert heard.transcript is not None and asked == [-1, 1]  # asked once, after the quiet wait
    assert stt.calls[0][1] == ("Heat",) and stt.prompts[0] == "movies like Fargo"
