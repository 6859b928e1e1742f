"""Which speech and voice models the settings pick, and what the user is told when a chosen one is unusable."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from app.bootstrap import speech_to_text, text_to_speech
from app.config import Settings
from app.domain.errors import ModelMissingError
from app.paths import AppPaths
from app.voice import stt as stt_module
from app.voice import tts as tts_module
from app.voice.stt import WhisperSpeechToText


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for the installed tiny.en, with Whisper base not installed."""
    folder = whisper_folder(tmp_path / "site" / "tiny")
    monkeypatch.setattr(stt_module, "default_model_dir", lambda: folder)
    monkeypatch.setattr(stt_module, "assemble_base_model", lambda cache_dir: None)
    return folder


def whisper_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "model.bin").write_bytes(b"weights")
    (folder / "config.json").write_text("{}", encoding="utf-8")
    return folder


def voice_files(model: Path, sample_rate: int) -> Path:
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_bytes(b"onnx")
    model.with_name(model.name + ".json").write_text(json.dumps({"audio": {"sample_rate": sample_rate}}),
                                                     encoding="utf-8")
    return model


def chosen_folder(paths: AppPaths, settings: Settings) -> Path | None:
    stt = speech_to_text(paths, settings)
    assert isinstance(stt, WhisperSpeechToText)
    return stt.model_dir


# -- speech_model ---------------------------------------------------------------------------------------

def test_best_installed_takes_a_whisper_folder_from_the_models_folder_setting(paths: AppPaths, tmp_path: Path,
                                                                             tiny: Path) -> None:
    dropped = whisper_folder(tmp_path / "my-models" / "whisper-small")
    assert chosen_folder(paths, Settings(models_dir=str(dropped.parent))) == dropped
    assert chosen_folder(paths, Settings(models_dir=str(tmp_path / "empty"))) == tiny


def test_best_installed_prefers_base_when_it_is_installed(paths: AppPaths, tmp_path: Path, tiny: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    base = whisper_folder(tmp_path / "cache" / "whisper-base")
    monkeypatch.setattr(stt_module, "assemble_base_model", lambda cache_dir: base)
    whisper_folder(tmp_path / "my-models" / "whisper-small")
    assert chosen_folder(paths, Settings(models_dir=str(tmp_path / "my-models"))) == base


def test_tiny_en_is_taken_even_when_better_models_are_installed(paths: AppPaths, tmp_path: Path, tiny: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stt_module, "assemble_base_model", lambda cache_dir: whisper_folder(tmp_path / "base"))
    assert chosen_folder(paths, Settings(speech_model="tiny.en")) == tiny


def test_base_is_joined_in_the_cache_folder(paths: AppPaths, tmp_path: Path, tiny: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[Path] = []
    base = whisper_folder(tmp_path / "joined-base")

    def join(cache_dir: Path) -> Path:
        asked.append(cache_dir)
        return base

    monkeypatch.setattr(stt_module, "assemble_base_model", join)
    assert chosen_folder(paths, Settings(speech_model="base")) == base
    assert asked == [paths.cache / "whisper"]


def test_base_when_not_installed_falls_back_to_tiny_en_with_a_warning(paths: AppPaths, tiny: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="app.model_registry"):
        assert chosen_folder(paths, Settings(speech_model="base")) == tiny
    assert "Whisper base" in caplog.text and "not installed" in caplog.text


def test_a_whisper_folder_is_used_as_chosen(paths: AppPaths, tmp_path: Path, tiny: Path) -> None:
    folder = whisper_folder(tmp_path / "anywhere" / "whisper-medium")
    assert chosen_folder(paths, Settings(speech_model=str(folder))) == folder


def test_a_folder_name_is_found_in_the_models_folder(paths: AppPaths, tmp_path: Path, tiny: Path) -> None:
    folder = whisper_folder(tmp_path / "my-models" / "whisper-medium")
    settings = Settings(speech_model="whisper-medium", models_dir=str(folder.parent))
    assert chosen_folder(paths, settings) == folder


@pytest.mark.parametrize(("make", "problem"), [
    ("nothing", "does not exist"),
    ("file", "is a file, not a folder"),
    ("no-weights", "it has no model.bin"),
    ("empty", "it has no model.bin and no config.json"),
])
def test_an_unusable_whisper_folder_says_what_is_wrong_and_where_to_fix_it(paths: AppPaths, tmp_path: Path,
                                                                          tiny: Path, make: str,
                                                                          problem: str) -> None:
    folder = tmp_path / "whisper-x"
    if make == "file":
        folder.write_text("not a folder", encoding="utf-8")
    elif make != "nothing":
        folder.mkdir()
        if make == "no-weights":
            (folder / "config.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelMissingError) as caught:
        speech_to_text(paths, Settings(speech_model=str(folder)))
    message = str(caught.value)
    assert str(folder) in message and problem in message and "Settings" in message


def test_without_settings_speech_to_text_is_the_best_installed(paths: AppPaths, tiny: Path) -> None:
    stt = speech_to_text(paths)
    assert isinstance(stt, WhisperSpeechToText) and stt.model_dir == tiny


# -- voice_model ----------------------------------------------------------------------------------------

def test_no_voice_setting_means_the_bundled_voice(paths: AppPaths, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = voice_files(tmp_path / "site" / "joe.onnx", 22050)
    monkeypatch.setattr(tts_module, "default_voice", lambda: (bundled, bundled.with_name("joe.onnx.json")))
    voice_files(tmp_path / "my-models" / "alba.onnx", 16000)  # a dropped voice does not replace the bundled one
    assert text_to_speech(Settings(models_dir=str(tmp_path / "my-models")), paths).sample_rate == 22050
    assert text_to_speech().sample_rate == 22050


def test_a_chosen_voice_is_used(paths: AppPaths, tmp_path: Path) -> None:
    voice = voice_files(tmp_path / "voices" / "en_GB-alba-medium.onnx", 16000)
    assert text_to_speech(Settings(voice_model=str(voice)), paths).sample_rate == 16000


def test_a_voice_name_is_found_in_the_models_folder(paths: AppPaths, tmp_path: Path) -> None:
    voice = voice_files(tmp_path / "my-models" / "alba.onnx", 16000)
    settings = Settings(voice_model="alba.onnx", models_dir=str(voice.parent))
    assert text_to_speech(settings, paths).sample_rate == 16000


def test_a_dropped_voice_stands_in_when_the_bundled_one_is_not_installed(paths: AppPaths, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tts_module, "default_voice", lambda: None)
    voice_files(tmp_path / "my-models" / "alba.onnx", 16000)
    assert text_to_speech(Settings(models_dir=str(tmp_path / "my-models")), paths).sample_rate == 16000


@pytest.mark.parametrize(("missing", "named"), [("model", "voice file"), ("config", "voice settings file")])
def test_a_chosen_voice_with_a_missing_file_names_it(paths: AppPaths, tmp_path: Path, missing: str,
                                                     named: str) -> None:
    voice = voice_files(tmp_path / "voices" / "alba.onnx", 16000)
    gone = voice if missing == "model" else voice.with_name("alba.onnx.json")
    gone.unlink()
    with pytest.raises(ModelMissingError) as caught:
        text_to_speech(Settings(voice_model=str(voice)), paths)
    message = str(caught.value)
    assert named in message and str(gone) in message and "Settings" in message
