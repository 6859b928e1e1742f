"""The one place the window tells the user something: a banner above the conversation, never a modal box."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMessageBox, QToolButton, QWidget

from app.domain.errors import ChatRecError

log = logging.getLogger(__name__)
INFO_SECONDS = 8  # long enough to read two lines; errors stay until dismissed


def describe(exc: BaseException, log_file: str = "") -> str:
    """A message a user can act on: ours as written, OS errors with their file, anything else with the log."""
    if isinstance(exc, ChatRecError):
        return str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    where = f" Details are in the log: {log_file}" if log_file else ""
    return f"Something went wrong ({type(exc).__name__}: {exc}).{where}"


def confirm(parent: QWidget, title: str, question: str) -> bool:
    """Ask a yes/no question before something that cannot be undone; No is the default."""
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    answer = QMessageBox.question(parent, title, question, buttons, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


class NoticeBanner(QFrame):
    """An inline banner: information fades after a few seconds, errors stay until closed."""

    def __init__(self, parent: QWidget | None = None, log_file: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("noticeBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._log_file = log_file
        self._text = QLabel()
        self._text.setWordWrap(True)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._text.setAccessibleName("Notice")
        close = QToolButton()
        close.setText("✕")
        close.setAccessibleName("Dismiss notice")
        close.setToolTip("Dismiss (Esc)")
        close.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 8, 8)
        row.addWidget(self._text, 1)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    @property
    def text(self) -> str:
        """What the banner says now ("" when hidden)."""
        return self._text.text() if self.isVisible() else ""

    def show_notice(self, message: str) -> None:
        """Show information that goes away by itself."""
        self._show(message, "info")
        self._timer.start(INFO_SECONDS * 1000)

    def show_error(self, exc: BaseException) -> None:
        """Show an error until the user dismisses it; unexpected ones are logged with their traceback."""
        if not isinstance(exc, ChatRecError):
            log.error("unexpected error shown to the user", exc_info=exc)
        self._timer.stop()
        self._show(describe(exc, self._log_file), "error")

    def _show(self, message: str, kind: str) -> None:
        self.setProperty("kind", kind)  # the theme colours info and error banners differently
        self.style().unpolish(self)
        self.style().polish(self)
        self._text.setText(message)
        self.setAccessibleDescription(message)
        self.show()
