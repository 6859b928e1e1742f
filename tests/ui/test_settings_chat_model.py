"""Choosing the built-in model in Settings: the installed built-in models and the GGUFs in the models folder."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from app.config import Settings, load_settings
from app.llm.builtin import QWEN, SMOLLM2
from app.paths import AppPaths
from app.ui.jobs import Jobs
from app.ui.settings_dialog import MODELS_JOB, SettingsDialog
from tests.fakes.builtin_models import Builtins, install_fake_builtins


@pytest.fixture
def builtins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Builtins:
    return install_fake_builtins(tmp_path, monkeypatch)


@pytest.fixture
def models_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "my-models"
    folder.mkdir()
    (folder / "llama-3.2-1b.gguf").write_bytes(b"GGUF")
    (folder / "mmproj-llava.gguf").write_bytes(b"GGUF")  # a vision projector: not a chat model
    return folder


def _dialog(qtbot: QtBot, paths: AppPaths, settings: Settings, jobs: Jobs | None = None,
            **kwargs: object) -> SettingsDialog:
    jobs = jobs or Jobs()
    dialog = SettingsDialog(settings, paths, jobs, list_devices=list,  # type: ignore[arg-type]
                            list_ollama_models=lambda host, **auth: [], **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not jobs.is_running(MODELS_JOB), timeout=5000)
    return dialog


def _choices(combo: QComboBox) -> list[tuple[str, str]]:
    return [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]


def test_lists_every_installed_built_in_model_and_the_ggufs_in_the_models_folder(
        qtbot: QtBot, paths: AppPaths, builtins: Builtins, models_folder: Path) -> None:
    settings = Settings(models_dir=str(models_folder))
    dialog = _dialog(qtbot, paths, settings)
    assert _choices(dialog.chat_model) == [
        ("Best installed (automatic)", ""), (QWEN.label, "qwen2.5-0.5b"), (SMOLLM2.label, "smollm2-135m"),
        ("llama-3.2-1b.gguf (models folder)", str(models_folder / "llama-3.2-1b.gguf"))]
    assert dialog.chat_model.currentData() == ""  # the saved choice stays selected
    assert dialog.chat_model.accessibleName() == "Built-in model"


def test_saves_the_chosen_built_in_model(qtbot: QtBot, paths: AppPaths, builtins: Builtins) -> None:
    dialog = _dialog(qtbot, paths, Settings())
    dialog.chat_model.setCurrentIndex(dialog.chat_model.findData("smollm2-135m"))
    with qtbot.waitSignal(dialog.saved, timeout=2000) as saved:
        dialog.buttons.accepted.emit()
    assert saved.args[0] == replace(Settings(), llm_model_file="smollm2-135m")
    assert load_settings(paths.config_file).llm_model_file == "smollm2-135m"


def test_browse_adds_a_gguf_file_from_elsewhere(qtbot: QtBot, paths: AppPaths, builtins: Builtins,
                                               tmp_path: Path) -> None:
    chosen = tmp_path / "elsewhere" / "phi.gguf"
    chosen.parent.mkdir()
    chosen.write_bytes(b"GGUF")
    dialog = _dialog(qtbot, paths, Settings(), choose_file=lambda parent, title, filters: str(chosen))
    browse = next(b for b in dialog.findChildren(type(dialog.check))
                  if b.accessibleName() == "Choose a GGUF model file for the built-in model")
    browse.click()
    assert dialog.chat_model.currentData() == str(chosen)
    with qtbot.waitSignal(dialog.saved, timeout=2000) as saved:
        dialog.buttons.accepted.emit()
    assert saved.args[0].llm_model_file == str(chosen)


def test_a_saved_model_that_is_gone_is_kept_marked_and_refused_by_name(qtbot: QtBot, paths: AppPaths,
                                                                       builtins: Builtins, tmp_path: Path) -> None:
    gone = str(tmp_path / "deleted.gguf")
    dialog = _dialog(qtbot, paths, Settings(llm_model_file=gone))
    assert dialog.chat_model.currentText() == f"{gone} (not found)"
    dialog.buttons.accepted.emit()
    assert dialog.isVisible()
    assert "Built-in model" in dialog.problem.text() and "no such file" in dialog.problem.text()
    # a built-in model whose packages were removed is kept too: the app falls back with a note
    builtins.uninstall("fake_qwen_1")
    dialog = _dialog(qtbot, paths, Settings(llm_model_file="qwen2.5-0.5b"))
    assert dialog.chat_model.currentText() == "qwen2.5-0.5b (not found)"
    with qtbot.waitSignal(dialog.saved, timeout=2000):
        dialog.buttons.accepted.emit()


def test_the_list_is_filled_off_the_gui_thread(qtbot: QtBot, paths: AppPaths, builtins: Builtins,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from app.config import Choice
    from app.model_registry import ModelRegistry

    threads: list[bool] = []
    real = ModelRegistry.chat_choices

    def recording(registry: ModelRegistry) -> list[Choice]:
        threads.append(threading.current_thread() is threading.main_thread())
        return real(registry)

    monkeypatch.setattr(ModelRegistry, "chat_choices", recording)
    _dialog(qtbot, paths, Settings())
    assert threads == [False]
