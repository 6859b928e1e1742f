"""The Qt binding keeps Python's reference counts straight (PySide6 6.12.0 did not, and crashed the app)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot


def _leaked(call: Callable[[], object], times: int = 500) -> tuple[int, int, int]:
    before = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    for _ in range(times):
        call()
    after = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    return after[0] - before[0], after[1] - before[1], after[2] - before[2]


def test_calls_the_window_makes_all_the_time_do_not_drop_references(qtbot: QtBot) -> None:
    label = QLabel("x")
    qtbot.addWidget(label)
    pool = QThreadPool()
    # Each of these dropped a reference to None or a bool per call in 6.12.0; the process died in minutes.
    for call in (lambda: label.setEnabled(True), lambda: label.property("unset"), lambda: pool.waitForDone(1)):
        assert _leaked(call) == (0, 0, 0)
