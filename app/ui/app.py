"""The desktop app's entry: the window shows at once, the engine and models load behind it."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from app.config import Settings, load_settings, setting_values
from app.domain.errors import ChatRecError
from app.logs import configure_logging
from app.paths import AppPaths, app_paths, resources_dir
from app.ui.controller import SessionController, VoiceParts
from app.ui.jobs import Jobs
from app.ui.main_window import MainWindow
from app.ui.theme import apply_theme

if TYPE_CHECKING:
    from app.bootstrap import Engine

log = logging.getLogger(__name__)
SMOKE_REQUEST = "Something for a coffee lover who travels a lot"
DESKTOP_ID = "io.github.chatrec.ChatRec"  # the .desktop file's name and the AppStream id
SMOKE_TIMEOUT_S = 300  # the demo import, the first fit and a turn, on a slow machine


def _open_engine(paths: AppPaths, settings: Settings) -> Engine:
    from app.bootstrap import open_engine

    return open_engine(paths, settings=settings, responsive=True)


def _voice(engine: Engine, on_state: Callable[[str], None]) -> VoiceParts:
    from app.bootstrap import audio, voice_loop

    settings = engine.settings
    return VoiceParts(voice_loop(engine, on_state), audio(settings.input_device, settings.output_device))


class DesktopApp:
    """The window, its controller and the jobs helper, built from the settings read at start."""

    def __init__(self, paths: AppPaths, settings: Settings, *, problem: ChatRecError | None = None,
                 log_file: str = "") -> None:
        self.paths = paths
        self.settings = settings  # read once at start, replaced when Settings saves new ones
        # Why the settings file could not be read: the library stays closed (its data folder may be set
        # there) until Settings saves a good file.
        self._problem = problem
        self.jobs = Jobs()
        self.controller = SessionController(paths, self.jobs, open_engine=self._open_engine, voice=_voice)
        self.window = MainWindow(self.controller, self.jobs, log_file=log_file, open_settings=self.open_settings)

    def _open_engine(self, paths: AppPaths) -> Engine:
        """The library, opened with the settings this app holds: the settings file is not read again."""
        if self._problem is not None:
            raise self._problem
        return _open_engine(paths, self.settings)

    def start(self) -> None:
        """Show the window, then open the engine in the background."""
        self.window.show()
        self.controller.open()

    def open_settings(self) -> None:
        """The settings dialog; saved settings apply the theme at once, the assistant on the next turn."""
        from app.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self.paths, self.jobs, self.window, on_theme=self._apply_theme,
                                controller=self.controller, busy=self._importing)
        dialog.saved.connect(self._settings_saved)
        dialog.open()

    def _importing(self) -> bool:
        """Whether the Library page is importing (a restore from Settings waits for it, as the Safety box's does)."""
        page = self.window.library_page
        return page is not None and page.is_importing()

    def _apply_theme(self, theme: str) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, theme)

    def _settings_saved(self, settings: Settings) -> None:
        self.settings = settings
        self._problem = None  # the file now holds these settings
        engine = self.controller.engine
        if engine is not None:
            from app.bootstrap import chat_models

            engine.settings = settings
            engine.conversation = engine.conversation.with_chat(chat_models(settings, engine.paths))
            self.controller.reset_voice()  # the next turn uses the chosen devices, speech model and voice
            if settings.hands_free != self.controller.hands_free:
                self.controller.set_hands_free(settings.hands_free)
        self.window.banner.show_notice("Settings saved. Folder changes apply the next time Chat-Rec starts.")


def build_parser() -> argparse.ArgumentParser:
    """The desktop app's options (the theme's choices are the theme setting's)."""
    parser = argparse.ArgumentParser(prog="chatrec-desktop", description="The Chat-Rec desktop app")
    parser.add_argument("--smoke-screenshot", type=Path, metavar="FILE",
                        help="load the demo catalogue, run one typed turn, save a screenshot of the window, exit")
    parser.add_argument("--theme", choices=setting_values("theme"), help="override the theme setting")
    parser.add_argument("--quit-when-shown", action="store_true", help=argparse.SUPPRESS)  # the start-up benchmark
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop app; `--smoke-screenshot FILE` runs one typed turn, saves a screenshot and exits."""
    started = time.perf_counter()
    args = build_parser().parse_args(list(argv or []))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Chat-Rec")
    app.setOrganizationName("Chat-Rec")
    # Desktops match the window to the installed launcher by this (Wayland's app id, X11's class)
    app.setDesktopFileName(DESKTOP_ID)
    app.setWindowIcon(app_icon())
    paths = app_paths().ensure()
    log_file = configure_logging(paths.logs)
    desktop = launch(app, paths, theme=args.theme, log_file=str(log_file),
                     welcome=args.smoke_screenshot is None and not args.quit_when_shown)
    log.info("window shown %.0f ms after start", (time.perf_counter() - started) * 1000)
    if args.quit_when_shown:
        QTimer.singleShot(0, lambda: (print("shown", flush=True), app.quit()))  # after the first paint
        app.exec()
        desktop.controller.close()
        return 0
    if args.smoke_screenshot is not None:
        from app.ui.smoke import SmokeRun

        smoke = SmokeRun(desktop.window, desktop.controller, desktop.jobs, args.smoke_screenshot,
                         request=SMOKE_REQUEST)
        QTimer.singleShot(SMOKE_TIMEOUT_S * 1000, lambda: smoke.give_up(f"no result in {SMOKE_TIMEOUT_S} s"))
        app.exec()
        return smoke.exit_code
    return int(app.exec())


def launch(app: QApplication, paths: AppPaths, *, theme: str | None = None, log_file: str = "",
           welcome: bool = True) -> DesktopApp:
    """Read the settings (the one read of a start), apply the theme, show the window, open the library behind it
    with those settings, and offer the welcome on a first run."""
    settings, problem = _settings(paths)
    apply_theme(app, theme or settings.theme)
    desktop = DesktopApp(paths, settings, problem=problem, log_file=log_file)
    desktop.start()
    if problem is not None:
        desktop.window.banner.show_error(problem)
    if welcome:
        _first_run(desktop)
    return desktop


def app_icon() -> QIcon:
    """The app's icon at every size it ships (PNGs: no SVG plugin needed in the installed app)."""
    icon = QIcon()
    for png in sorted((resources_dir() / "icons" / "hicolor").glob("*/apps/chat-rec.png")):
        icon.addFile(str(png))
    return icon


def _settings(paths: AppPaths) -> tuple[Settings, ChatRecError | None]:
    """The user's settings; for a file that cannot be read, the defaults and why: the window shows why and keeps
    the library closed until Settings saves a good file (the defaults only fill the theme and the dialog)."""
    try:
        return load_settings(paths.config_file), None
    except ChatRecError as exc:
        return Settings(), exc


def _first_run(desktop: DesktopApp) -> None:
    from app.ui.first_run import FirstRunDialog, should_show

    if should_show(desktop.paths):
        QTimer.singleShot(0, lambda: FirstRunDialog.offer(desktop.window, desktop.paths, desktop.jobs,
                                                          desktop.window.library_page, settings=desktop.settings))
