"""The Settings dialog and the desktop app's options are derived from the settings' declarations: their lists,
tooltips and choices change when a declaration does."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from app import config
from app.config import SETTINGS, Choice, Settings, setting_choices, setting_values
from app.paths import AppPaths
from app.ui.app import build_parser
from app.ui.jobs import Jobs
from app.ui.settings_dialog import SettingsDialog


def _dialog(qtbot: QtBot, paths: AppPaths) -> SettingsDialog:
    dialog = SettingsDialog(Settings(), paths, Jobs(), list_devices=list,  # type: ignore[arg-type]
                            list_ollama_models=lambda host, **auth: [])
    qtbot.addWidget(dialog)
    # Shown, as the window shows it: closing a shown dialog ends it (done), which cancels its lookups; one never
    # shown would be deleted with its model lookup still running, and the lookup's answer would land on
    # deleted combo boxes during a later test.
    dialog.show()
    return dialog


def _items(combo: QComboBox) -> list[tuple[str, str]]:
    return [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]


def test_the_combos_list_the_declared_choices_and_a_new_one_shows_up(qtbot: QtBot, paths: AppPaths,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    dialog = _dialog(qtbot, paths)
    assert _items(dialog.theme) == list(setting_choices("theme"))
    assert _items(dialog.backend) == list(setting_choices("llm_backend"))
    sepia = replace(SETTINGS["theme"], choices=(*SETTINGS["theme"].choices, Choice("Sepia", "sepia")))
    monkeypatch.setitem(config.SETTINGS, "theme", sepia)
    again = _dialog(qtbot, paths)
    assert _items(again.theme)[-1] == ("Sepia", "sepia")
    again.theme.setCurrentIndex(again.theme.findData("sepia"))
    assert again.problems(again.chosen_settings()) == {}  # and it validates: the same declaration


def test_each_fields_tooltip_is_its_declared_doc(qtbot: QtBot, paths: AppPaths) -> None:
    dialog = _dialog(qtbot, paths)
    for key, widget in dialog._fields.items():
        assert widget.toolTip().startswith(SETTINGS[key].doc), key
    assert dialog.hands_free.toolTip() == SETTINGS["hands_free"].doc


def test_the_desktop_apps_theme_option_takes_the_declared_themes(monkeypatch: pytest.MonkeyPatch) -> None:
    for theme in setting_values("theme"):
        assert build_parser().parse_args(["--theme", theme]).theme == theme
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--theme", "sepia"])
    monkeypatch.setitem(config.SETTINGS, "theme",
                        replace(SETTINGS["theme"], choices=(*SETTINGS["theme"].choices, Choice("Sepia", "sepia"))))
    assert build_parser().parse_args(["--theme", "sepia"]).theme == "sepia"
