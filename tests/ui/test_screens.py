"""Screenshots of the main states for review (CHATREC_SCREENSHOTS), accessibility and themes."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QAbstractButton, QApplication, QComboBox, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from app.paths import AppPaths
from app.ui.main_window import MainWindow
from app.ui.theme import apply_theme
from tests.ui.test_main_window import ask


def save(widget: QWidget, name: str, tmp_path: Path) -> Path:
    """Grab a widget; kept under $CHATREC_SCREENSHOTS (make test) for people to look at, else in tmp."""
    folder = Path(os.environ.get("CHATREC_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    image = widget.grab()
    assert image.save(str(path)) and image.width() > 600 and image.height() > 400
    return path


def test_the_main_states_look_right_in_light_and_dark(qtbot: QtBot, window: MainWindow, themed: QApplication,
                                                      tmp_path: Path) -> None:
    assert apply_theme(themed, "light") == "light"
    ask(qtbot, window, "I loved Fargo, recommend me more crime films")
    save(window, "discover-light", tmp_path)
    assert apply_theme(themed, "dark") == "dark"
    qtbot.wait(50)
    dark = window.grab().toImage()
    background = dark.pixelColor(dark.width() // 2, dark.height() - 5)
    assert background.lightness() < 80  # the dark theme really is dark, not a light palette half-applied
    save(window, "discover-dark", tmp_path)
    window.tabs.setCurrentIndex(1)
    save(window, "lists-dark", tmp_path)
    window.tabs.setCurrentIndex(2)
    qtbot.wait(50)
    save(window, "library-dark", tmp_path)


def test_readable_at_twice_the_text_size(qtbot: QtBot, window: MainWindow, themed: QApplication,
                                         tmp_path: Path) -> None:
    apply_theme(themed, "light")
    font = QFont(themed.font())
    font.setPointSizeF(font.pointSizeF() * 2)
    themed.setFont(font)
    window.resize(1600, 1000)
    ask(qtbot, window, "I loved Fargo, recommend me more crime films")
    qtbot.wait(50)
    save(window, "discover-200-percent", tmp_path)
    # the controls a user needs stay on screen and big enough to read
    for widget in (window.talk.ask_box, window.talk.talk_button, window.talk.send_button):
        top_left = widget.mapTo(window, widget.rect().topLeft())
        assert window.rect().contains(top_left) and widget.isVisible()
        assert widget.height() >= widget.fontMetrics().height()


def test_every_control_has_an_accessible_name(qtbot: QtBot, window: MainWindow) -> None:
    ask(qtbot, window, "I loved Fargo, recommend me more crime films")
    unnamed = set()
    for page in range(window.tabs.count()):
        window.tabs.setCurrentIndex(page)
        qtbot.wait(20)
        for kind in (QAbstractButton, QLineEdit, QComboBox):
            for widget in window.findChildren(kind):
                label = widget.accessibleName() or (widget.text() if isinstance(widget, QAbstractButton) else "")
                if widget.isVisibleTo(window) and not label.strip():
                    unnamed.add(f"{type(widget).__name__} {widget.objectName()!r} in {type(widget.parent()).__name__}")
    assert unnamed == set()


def test_the_keyboard_reaches_the_ask_box_pages_and_cards(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClick(window, "k", Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is window.talk.ask_box
    ask(qtbot, window, "I loved Fargo, recommend me more crime films")
    assert window.cards.selected_recommendation() is not None  # the first card is selected for the panel
    for index, keys in ((1, "2"), (2, "3"), (0, "1")):
        qtbot.keyClick(window, keys, Qt.KeyboardModifier.ControlModifier)
        assert window.tabs.currentIndex() == index


def test_the_window_follows_the_palette_roles(window: MainWindow, themed: QApplication) -> None:
    apply_theme(themed, "dark")
    assert window.palette().color(QPalette.ColorRole.Window).lightness() < 80
    apply_theme(themed, "light")
    assert window.palette().color(QPalette.ColorRole.Window).lightness() > 200


def test_the_settings_and_the_welcome(qtbot: QtBot, paths: AppPaths, tmp_path: Path) -> None:
    from app.config import Settings
    from app.domain.voice import AudioDevice
    from app.ui.first_run import Check, FirstRunDialog
    from app.ui.jobs import Jobs
    from app.ui.settings_dialog import SettingsDialog

    devices = [AudioDevice(0, "USB Microphone", 1, 0, 48000.0), AudioDevice(1, "Speakers", 0, 2, 48000.0)]
    settings = SettingsDialog(Settings(), paths, Jobs(), list_devices=lambda: devices,
                              list_ollama_models=lambda host, **auth: ["llama3.2:3b"])
    qtbot.addWidget(settings)
    settings.resize(720, 560)
    settings.show()
    qtbot.waitUntil(lambda: settings.input_device.findData("USB Microphone") >= 0, timeout=5000)
    save(settings, "settings", tmp_path)
    checks = [Check("Speech recognition", True, "Whisper tiny.en (bundled, fastest) is installed."),
              Check("Voice", True, "answers can be read aloud."),
              Check("Built-in language model", True, "SmolLM2-135M-Instruct-Q8_0.gguf is ready to answer."),
              Check("Text understanding", True, "the text model that matches requests to items is installed.")]
    welcome = FirstRunDialog(paths, Jobs(), check_models=lambda: checks, list_devices=lambda: [],
                             probe_ollama=lambda host, **auth: False)
    qtbot.addWidget(welcome)
    welcome.resize(720, 520)
    welcome.show()
    qtbot.waitUntil(lambda: not any("checking" in line for line in welcome.check_lines()), timeout=5000)
    assert any("Microphone: none found" in line and "you can still type" in line for line in welcome.check_lines())
    save(welcome, "welcome", tmp_path)
