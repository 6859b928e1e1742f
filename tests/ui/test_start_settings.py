"""A desktop start reads the settings file once: the window, the library it opens and the welcome all get the
settings read then."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

import app.bootstrap
from app.bootstrap import Engine
from app.config import Settings, save_settings
from app.domain.errors import ChatRecError, InputError
from app.paths import AppPaths
from app.ui import app as desktop_app
from app.ui.app import DesktopApp, launch
from tests.fakes.chat_model import FixedChatSource
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.vector_store import InMemoryVectorStore
from tests.settings_file import settings_reads


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[QApplication]:
    """The app's look put back after a start applied the saved theme to it."""
    style, palette, sheet = qapp.style().name(), qapp.palette(), qapp.styleSheet()
    yield qapp
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.setStyleSheet(sheet)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Settings | None]:
    """The library opens on fakes, exactly as given (the settings it was handed, or None: it reads the file)."""
    handed: list[Settings | None] = []
    real_open = app.bootstrap.open_engine

    def fake_open(paths: AppPaths, *, settings: Settings | None = None, **_kwargs: object) -> Engine:
        handed.append(settings)
        return real_open(paths, settings=settings, embedder=FakeEmbedder(), vector_store=InMemoryVectorStore(),
                         sound_store=InMemoryVectorStore(), chat=FixedChatSource())

    def no_voice(engine: Engine, on_state: Callable[[str], None]) -> Any:
        raise ChatRecError("no voice in this test")

    monkeypatch.setattr("app.bootstrap.open_engine", fake_open)
    monkeypatch.setattr(desktop_app, "_voice", no_voice)
    return handed


def start(qtbot: QtBot, qapp: QApplication, paths: AppPaths, **kwargs: Any) -> DesktopApp:
    desktop = launch(qapp, paths, welcome=False, **kwargs)
    qtbot.addWidget(desktop.window)
    return desktop


def test_a_start_reads_the_settings_once_and_opens_the_library_with_them(
        qtbot: QtBot, themed: QApplication, paths: AppPaths, opened: list[Settings | None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    saved = Settings(theme="dark", default_k=4, hands_free=False)
    save_settings(paths.config_file, saved)
    reads = settings_reads(monkeypatch, paths)
    desktop = start(qtbot, themed, paths)
    try:
        with qtbot.waitSignal(desktop.controller.engine_ready, timeout=20000) as ready:
            pass
        qtbot.waitUntil(lambda: not desktop.jobs.is_running("warm-up"), timeout=30000)
        assert opened == [saved] and ready.args[0].settings == saved
        assert themed.property("chatrecTheme") == "dark"
        assert len(reads) == 1
    finally:
        desktop.controller.close()


def test_a_settings_file_that_cannot_be_read_keeps_the_library_closed_until_settings_are_saved(
        qtbot: QtBot, themed: QApplication, paths: AppPaths, opened: list[Settings | None],
        monkeypatch: pytest.MonkeyPatch) -> None:
    paths.config.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text("theme = 'pink'\n", encoding="utf-8")
    reads = settings_reads(monkeypatch, paths)
    desktop = start(qtbot, themed, paths)
    try:
        with qtbot.waitSignal(desktop.controller.engine_failed, timeout=20000) as failed:
            pass
        assert isinstance(failed.args[0], InputError) and failed.args[0].field == "theme"
        assert opened == [] and len(reads) == 1  # its data folder may be set there: nothing opened
        desktop._settings_saved(Settings(theme="light"))  # what Settings does once it saved a good file
        with qtbot.waitSignal(desktop.controller.engine_ready, timeout=20000):
            desktop.controller.open()
        qtbot.waitUntil(lambda: not desktop.jobs.is_running("warm-up"), timeout=30000)
        assert opened == [Settings(theme="light")] and len(reads) == 1
    finally:
        desktop.controller.close()


def test_the_welcome_checks_the_models_the_saved_settings_choose(qtbot: QtBot, themed: QApplication,
                                                                 paths: AppPaths, opened: list[Settings | None],
                                                                 tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from app.ui import first_run

    offered: list[Settings | None] = []

    def offer(*args: object, settings: Settings | None = None, **kwargs: object) -> None:
        offered.append(settings)

    monkeypatch.setattr(first_run.FirstRunDialog, "offer", offer)
    saved = Settings(models_dir=str(tmp_path / "my-models"))
    save_settings(paths.config_file, saved)
    desktop = launch(themed, paths, welcome=True)
    qtbot.addWidget(desktop.window)
    try:
        qtbot.waitUntil(lambda: bool(offered), timeout=5000)
        assert offered == [saved]
        with qtbot.waitSignal(desktop.controller.engine_ready, timeout=20000):
            pass
    finally:
        desktop.controller.close()
