"""`python -m app --smoke-screenshot FILE`: the window, the demo catalogue, one typed turn, a screenshot."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.ui.controller import SessionController
from app.ui.jobs import JobContext, Jobs
from app.ui.main_window import MainWindow

if TYPE_CHECKING:
    from app.bootstrap import Engine
    from app.services.conversation import TurnResult


class SmokeRun:
    """Drives the real window through one turn for scripts and CI; exit_code says how it went."""

    def __init__(self, window: MainWindow, controller: SessionController, jobs: Jobs, screenshot: Path, *,
                 request: str) -> None:
        self._window = window
        self._controller = controller
        self._jobs = jobs
        self._screenshot = screenshot
        self._request = request
        self.exit_code = 1
        controller.engine_ready.connect(self._engine_ready)
        controller.engine_failed.connect(lambda exc: self.give_up(f"the engine did not open: {exc}"))
        controller.turn_finished.connect(self._turn_finished)
        controller.failed.connect(lambda exc: self.give_up(f"the turn failed: {exc}"))

    def _engine_ready(self, engine: Engine) -> None:
        if engine.store.count("items"):
            self._ask()
            return

        def load_demo(ctx: JobContext) -> None:
            engine.catalogue.import_demo(ctx.progress, ctx.cancel)

        self._jobs.start("smoke-demo", load_demo, on_done=lambda _: self._ask(),
                         on_error=lambda exc: self.give_up(f"the demo catalogue did not load: {exc}"))

    def _ask(self) -> None:
        self._window.talk.ask_box.setText(self._request)
        self._window.talk.ask_box.returnPressed.emit()  # as if typed: the same path a user takes

    def _turn_finished(self, result: TurnResult) -> None:
        if not result.items:
            self.give_up(f"the turn gave no cards: {result.reply}")
            return
        self._window.cards.select(0)
        QTimer.singleShot(300, self._capture)  # let the cards and the panel lay out and paint

    def _capture(self) -> None:
        self._screenshot.parent.mkdir(parents=True, exist_ok=True)
        if not self._window.grab().save(str(self._screenshot)):
            self.give_up(f"could not write the screenshot to {self._screenshot}")
            return
        print(f"screenshot: {self._screenshot}")
        self.exit_code = 0
        self._window.close()
        QApplication.quit()

    def give_up(self, why: str) -> None:
        """Report why the smoke run failed and quit with exit code 1."""
        if self.exit_code == 0:
            return
        print(f"smoke run failed: {why}", file=sys.stderr)
        self._window.close()
        QApplication.quit()
