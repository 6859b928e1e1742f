"""The Settings dialog: saves what changed, checks Ollama and devices inline, refuses bad values by name."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from app.config import Settings, load_settings
from app.domain.errors import ChatModelUnavailableError
from app.paths import AppPaths
from app.ui.jobs import Jobs
from app.ui.settings_dialog import NO_DEVICES, SettingsDialog
from app.voice.audio_io import AudioDevice, AudioUnavailableError

MIC = AudioDevice(0, "USB Mic", 1, 0, 48000.0)
SPEAKER = AudioDevice(1, "Speakers", 0, 2, 48000.0)


def _dialog(qtbot: QtBot, paths: AppPaths, settings: Settings | None = None, **kwargs: object) -> SettingsDialog:
    kwargs.setdefault("list_devices", lambda: [MIC, SPEAKER])
    kwargs.setdefault("list_ollama_models", lambda host, **auth: ["llama3.2:3b", "qwen2.5:7b"])
    dialog = SettingsDialog(settings or Settings(), paths, Jobs(), **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _pick(combo: object, value: str) -> None:
    from PySide6.QtWidgets import QComboBox

    assert isinstance(combo, QComboBox)
    index = combo.findData(value)
    assert index >= 0, value
    combo.setCurrentIndex(index)


def test_saves_a_changed_theme_and_backend_and_applies_the_theme(qtbot: QtBot, paths: AppPaths) -> None:
    themes: list[str] = []
    dialog = _dialog(qtbot, paths, on_theme=themes.append)
    qtbot.waitUntil(lambda: dialog.input_device.findData("USB Mic") >= 0, timeout=5000)
    _pick(dialog.theme, "dark")
    _pick(dialog.backend, "embedded")
    _pick(dialog.input_device, "USB Mic")
    with qtbot.waitSignal(dialog.saved, timeout=2000) as saved:
        dialog.buttons.accepted.emit()
    expected = replace(Settings(), theme="dark", llm_backend="embedded", input_device="USB Mic")
    assert saved.args[0] == expected
    assert load_settings(paths.config_file) == expected
    assert themes == ["dark"]
    assert not dialog.isVisible()


def test_ollama_check_lists_the_models_or_says_inline_why_not(qtbot: QtBot, paths: AppPaths) -> None:
    def down(host: str, **auth: str) -> list[str]:
        raise ChatModelUnavailableError(f"Ollama is not running at {host}: start it with `ollama serve`")

    dialog = _dialog(qtbot, paths, list_ollama_models=down)
    dialog.host.setText("http://127.0.0.1:9")
    dialog.check.click()
    qtbot.waitUntil(lambda: "Could not reach" in dialog.ollama_status.text(), timeout=5000)
    assert "ollama serve" in dialog.ollama_status.text() and dialog.check.isEnabled()
    assert dialog.isVisible()  # no message box: the dialog stays as it was

    working = _dialog(qtbot, paths)
    working.check.click()
    qtbot.waitUntil(lambda: "has 2 models" in working.ollama_status.text(), timeout=5000)
    assert [working.ollama_model.itemText(i) for i in range(working.ollama_model.count())] == \
        ["llama3.2:3b", "qwen2.5:7b"]


@pytest.mark.parametrize("lister", ["raises", "empty"])
def test_no_audio_devices_shows_the_inline_note(qtbot: QtBot, paths: AppPaths, lister: str) -> None:
    def missing() -> list[AudioDevice]:
        raise AudioUnavailableError("audio is off: the PortAudio library is missing; you can still type")

    dialog = _dialog(qtbot, paths, list_devices=missing if lister == "raises" else list)
    qtbot.waitUntil(lambda: NO_DEVICES in dialog.devices_status.text(), timeout=5000)
    assert dialog.input_device.currentText() == "System default"


def test_bad_values_are_shown_inline_naming_the_field_and_nothing_is_saved(qtbot: QtBot, paths: AppPaths,
                                                                          tmp_path: Path) -> None:
    dialog = _dialog(qtbot, paths)
    dialog.data_dir.setText("relative/folder")
    dialog.chat_model.addItem("missing.gguf", str(tmp_path / "missing.gguf"))
    dialog.chat_model.setCurrentIndex(dialog.chat_model.count() - 1)
    saved: list[object] = []
    dialog.saved.connect(saved.append)
    dialog.buttons.accepted.emit()
    assert "Built-in model" in dialog.problem.text() and "no such file" in dialog.problem.text()
    assert dialog.tabs.currentIndex() == 0  # the first problem's tab is shown
    assert dialog.isVisible() and saved == [] and not paths.config_file.exists()
    folder_error = dialog._errors["data_dir"].text()
    assert "Data folder" in folder_error and "full folder path" in folder_error
    dialog.chat_model.setCurrentIndex(dialog.chat_model.findData(""))
    dialog.data_dir.setText(str(tmp_path / "elsewhere"))
    dialog.buttons.accepted.emit()
    assert load_settings(paths.config_file).data_dir == str(tmp_path / "elsewhere")


def test_a_saved_device_that_is_gone_is_kept_and_marked(qtbot: QtBot, paths: AppPaths) -> None:
    dialog = _dialog(qtbot, paths, replace(Settings(), output_device="Old Headset"))
    qtbot.waitUntil(lambda: dialog.output_device.findData("Speakers") >= 0, timeout=5000)
    assert dialog.output_device.currentText() == "Old Headset (not connected)"
    assert "Now in use: " + str(paths.data) in " ".join(
        label.text() for label in dialog.findChildren(type(dialog.devices_status)))


def test_a_failed_save_is_shown_inline(qtbot: QtBot, paths: AppPaths) -> None:
    paths.config.parent.mkdir(parents=True, exist_ok=True)
    paths.config.write_text("a file where the config folder should be", encoding="utf-8")
    dialog = _dialog(qtbot, paths)
    _pick(dialog.theme, "light")
    dialog.buttons.accepted.emit()
    assert "could not save the settings" in dialog.problem.text()
    assert dialog.isVisible()


def test_every_control_has_an_accessible_name(qtbot: QtBot, paths: AppPaths) -> None:
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit

    dialog = _dialog(qtbot, paths)
    controls = dialog.findChildren(QAbstractButton) + dialog.findChildren(QComboBox) + \
        dialog.findChildren(QLineEdit)
    # Qt's own parts (a tab bar's scroll arrows, an editable combo's line edit) are not ours to name
    unnamed = [c for c in controls if not c.accessibleName() and not c.objectName().startswith("qt_")
               and not isinstance(c.parent(), (QComboBox,)) and type(c).__name__ != "QToolButton"]
    assert unnamed == []


def test_a_remote_ollama_takes_a_token_and_headers_and_plain_http_is_flagged(qtbot: QtBot, paths: AppPaths):
    asked: list[tuple[str, dict[str, str]]] = []

    def listing(host: str, **auth: str) -> list[str]:
        asked.append((host, auth))
        return ["llama3.2:3b"]

    dialog = _dialog(qtbot, paths, list_ollama_models=listing)
    assert not dialog.host_warning.isVisible()  # the default is this machine
    dialog.host.setText("http://10.0.0.5:11434")
    assert dialog.host_warning.isVisible() and "unencrypted" in dialog.host_warning.text()
    dialog.host.setText("https://llm.example.org")
    assert not dialog.host_warning.isVisible()
    assert dialog.token.echoMode() == QLineEdit.EchoMode.Password
    dialog.token.setText("s3cret")
    dialog.headers.setPlainText("X-Team: films")
    dialog.check.click()
    qtbot.waitUntil(lambda: bool(asked), timeout=5000)
    assert asked[0] == ("https://llm.example.org", {"token": "s3cret", "headers": "X-Team: films"})
    chosen = dialog.chosen_settings()
    assert (chosen.ollama_token, chosen.ollama_headers) == ("s3cret", "X-Team: films")
    dialog.headers.setPlainText("no colon here")
    assert "ollama_headers" in dialog.problems(dialog.chosen_settings())
    dialog.headers.setPlainText("X-Key: a;b\nX-Team: films")  # a value with ';' on its own line is kept whole
    assert "ollama_headers" not in dialog.problems(dialog.chosen_settings())


def test_hands_free_is_saved_and_explains_speakers_headphones_and_the_recording_limit(qtbot: QtBot,
                                                                                     paths: AppPaths) -> None:
    from app.domain.voice import RECORDING_LIMIT_S

    dialog = _dialog(qtbot, paths)
    dialog.tabs.setCurrentIndex(1)  # Voice
    assert dialog.hands_free.isVisible() and not dialog.hands_free.isChecked()  # off by default
    note = dialog.hands_free_note.text()
    assert dialog.hands_free_note.isVisible()
    assert "speakers" in note and "headphones always work" in note and "echo suppression" in note
    assert f"{RECORDING_LIMIT_S:g} s" in note
    dialog.hands_free.click()
    with qtbot.waitSignal(dialog.saved, timeout=2000) as saved:
        dialog.buttons.accepted.emit()
    assert saved.args[0].hands_free is True
    assert load_settings(paths.config_file).hands_free is True

    again = _dialog(qtbot, paths, load_settings(paths.config_file))
    assert again.hands_free.isChecked()  # the saved choice shows next time
    again.hands_free.click()
    again.buttons.accepted.emit()
    assert load_settings(paths.config_file).hands_free is False
