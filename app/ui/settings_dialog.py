"""The Settings dialog: assistant, voice, appearance and folders, validated inline and saved as TOML.

Everything that may be slow or touch hardware or the network (audio devices, the Ollama server,
scanning model folders) runs through Jobs with an injectable lister, so the dialog opens at once
and tests never need a sound card or a server. Given the session's controller, it also has a Backups
tab (the Safety box's backups and restore, from library_care): restoring is not a setting, it happens
at once through the controller, and Cancel does not undo it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import installed
from app.config import SETTINGS, Choice, Settings, check_setting, save_settings, setting_choices
from app.domain.errors import ChatRecError
from app.domain.remote import insecure_host_warning
from app.domain.voice import RECORDING_LIMIT_S, AudioDevice
from app.model_registry import AUTOMATIC, ModelRegistry
from app.paths import AppPaths
from app.paths import models_dir as default_models_dir
from app.ui.jobs import Jobs

if TYPE_CHECKING:  # library_care reaches the store and bootstrap: imported when the Backups tab is built
    from app.ui.controller import SessionController
    from app.ui.library_care import BackupsPanel, Confirmer

DEVICES_JOB = "settings-devices"
MODELS_JOB = "settings-models"
OLLAMA_JOB = "settings-ollama"
NO_DEVICES = "No audio devices found — typing still works."
FOLDERS_NOTE = "Changes to these folders take effect after you restart Chat-Rec."
HANDS_FREE_NOTE = ("Talk without holding the button: speaking starts a turn, and talking over a spoken answer "
                   "stops it. This works with speakers because Chat-Rec subtracts its own voice from what the "
                   "microphone hears (echo suppression against the answer it is playing), but loud speakers "
                   "close to the microphone or a very echoey room can still cut an answer short or miss what "
                   f"you say; headphones always work. A recording stops after {RECORDING_LIMIT_S:g} s.")
# the names inline messages use for each field
FIELD_NAMES = {"llm_backend": "Assistant", "ollama_host": "Ollama host", "ollama_token": "Ollama token",
               "ollama_headers": "Extra headers", "ollama_model": "Ollama model",
               "llm_model_file": "Built-in model", "speech_model": "Speech model", "voice_model": "Voice",
               "input_device": "Microphone", "output_device": "Speaker", "theme": "Theme",
               "data_dir": "Data folder", "models_dir": "Models folder"}


def _error_label(parent: QWidget) -> QLabel:
    label = QLabel("", parent)
    label.setWordWrap(True)
    font = QFont(label.font())
    font.setBold(True)
    label.setFont(font)
    label.hide()
    return label


def _note(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    return label


def _combo(name: str, parent: QWidget, choices: tuple[Choice, ...] | list[Choice] = ()) -> QComboBox:
    combo = QComboBox(parent)
    combo.setAccessibleName(name)
    for choice in choices:
        combo.addItem(choice.label, choice.value)
    return combo


def _select(combo: QComboBox, value: str, missing: str = "{} (not found)") -> None:
    """Select value's entry, adding it (marked) when it is not among the choices: never lose a saved value."""
    index = combo.findData(value)
    if index < 0:
        combo.addItem(missing.format(value), value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


class SettingsDialog(QDialog):
    """Edits the settings; OK validates every field inline, saves to the config file and emits `saved`."""

    saved = Signal(object)  # the new Settings

    def __init__(self, settings: Settings, paths: AppPaths, jobs: Jobs, parent: QWidget | None = None, *,
                 on_theme: Callable[[str], None] = lambda theme: None,
                 list_devices: Callable[[], list[AudioDevice]] = installed.audio_devices,
                 list_ollama_models: Callable[..., list[str]] = installed.ollama_models,
                 choose_file: Callable[[QWidget, str, str], str | None] | None = None,
                 choose_folder: Callable[[QWidget, str], str | None] | None = None,
                 controller: SessionController | None = None, confirm_action: Confirmer | None = None,
                 busy: Callable[[], bool] = lambda: False) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self._settings = settings
        self._paths = paths
        self._jobs = jobs
        self._on_theme = on_theme
        self._list_devices = list_devices
        self._list_ollama_models = list_ollama_models
        self._choose_file = choose_file or _ask_file
        self._choose_folder = choose_folder or _ask_folder
        self._errors: dict[str, QLabel] = {}
        self._fields: dict[str, QWidget] = {}
        # The models the saved settings' folders hold (a changed models folder applies at the next start)
        self._models = ModelRegistry(settings, paths)
        self._controller = controller
        self._confirm_action = confirm_action
        self._busy = busy  # an import is running: a restore must wait for it
        self.backups: BackupsPanel | None = None
        self._build()
        self._load_lists()

    # -- building -------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        spacing = self.fontMetrics().height()
        layout.setContentsMargins(spacing, spacing, spacing, spacing)
        layout.setSpacing(spacing)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("settingsTabs")
        self.tabs.setAccessibleName("Settings sections")
        self.tabs.addTab(self._assistant_tab(), "&Assistant")
        self.tabs.addTab(self._voice_tab(), "&Voice")
        self.tabs.addTab(self._appearance_tab(), "A&ppearance")
        self.tabs.addTab(self._folders_tab(), "&Folders")
        if self._controller is not None:
            self.tabs.addTab(self._backups_tab(self._controller), "Back&ups")
        layout.addWidget(self.tabs)
        self.problem = _error_label(self)
        self.problem.setObjectName("settingsProblem")
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setAccessibleName("Save settings")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName("Cancel")
        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _form(self) -> tuple[QWidget, QFormLayout]:
        page = QWidget(self)
        form = QFormLayout(page)
        spacing = self.fontMetrics().height()
        form.setContentsMargins(spacing, spacing, spacing, spacing)
        form.setVerticalSpacing(spacing // 2)
        return page, form

    def _field(self, form: QFormLayout, label: str, key: str, widget: QWidget, *,
               buttons: tuple[QWidget, ...] = (), notes: tuple[QLabel, ...] = ()) -> None:
        """A labelled row: the field (and its buttons), any notes, and an inline error line under it; the
        setting's declared doc is the field's tooltip."""
        parent = form.parentWidget() or self
        if not widget.toolTip():
            widget.setToolTip(SETTINGS[key].doc)
        box = QWidget(parent)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(self.fontMetrics().height() // 4)
        row = QHBoxLayout()
        row.addWidget(widget, 1)
        for button in buttons:
            row.addWidget(button)
        column.addLayout(row)
        for note in notes:
            column.addWidget(note)
        error = _error_label(box)
        error.setObjectName(f"{key}Error")
        column.addWidget(error)
        caption = QLabel(label, parent)
        caption.setBuddy(widget)  # the label's Alt+letter moves the focus to the field
        form.addRow(caption, box)
        self._errors[key] = error
        self._fields[key] = widget

    def _assistant_tab(self) -> QWidget:
        page, form = self._form()
        s = self._settings
        self.backend = _combo("Assistant model", page, setting_choices("llm_backend"))
        _select(self.backend, s.llm_backend)
        self._field(form, "&Model:", "llm_backend", self.backend)
        self.host = QLineEdit(s.ollama_host, page)
        self.host.setAccessibleName("Ollama host")
        self.check = QPushButton("Chec&k", page)
        self.check.setAccessibleName("Check the Ollama server")
        self.check.setToolTip("Ask the server which models it has")
        self.check.clicked.connect(self._on_check)
        self.ollama_status = _note("Press Check to list the server's models.", page)
        self.ollama_status.setObjectName("ollamaStatus")
        self.ollama_status.setAccessibleName("Ollama check result")
        self.host_warning = _note("", page)
        self.host_warning.setObjectName("ollamaHostWarning")
        self.host_warning.setAccessibleName("Ollama connection warning")
        self.host.textChanged.connect(self._warn_about_host)
        self._field(form, "Ollama h&ost:", "ollama_host", self.host, buttons=(self.check,),
                    notes=(self.ollama_status, self.host_warning))
        self._warn_about_host(s.ollama_host)
        # For an Ollama behind a reverse proxy (it has no authentication of its own)
        self.token = QLineEdit(s.ollama_token, page)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setAccessibleName("Ollama token")
        self._field(form, "Ollama &token:", "ollama_token", self.token)
        # several lines: a value holding ';' must stay on its own line, as the settings file keeps it
        self.headers = QPlainTextEdit(s.ollama_headers, page)
        self.headers.setTabChangesFocus(True)
        self.headers.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.headers.setAccessibleName("Extra headers for Ollama")
        self._field(form, "Extra &headers:", "ollama_headers", self.headers)
        self.ollama_model = _combo("Ollama model", page)
        self.ollama_model.setEditable(True)
        self.ollama_model.addItem(s.ollama_model, s.ollama_model)
        self._field(form, "Ollama mode&l:", "ollama_model", self.ollama_model)
        # Filled in the background (the models folders are scanned); until then the saved choice shows.
        self.chat_model = _combo("Built-in model", page, [AUTOMATIC])
        _select(self.chat_model, s.llm_model_file)
        browse = QPushButton("&Browse…", page)
        browse.setAccessibleName("Choose a GGUF model file for the built-in model")
        browse.clicked.connect(self._on_browse_model)
        self._field(form, "Built-in mod&el:", "llm_model_file", self.chat_model, buttons=(browse,))
        return page

    def _voice_tab(self) -> QWidget:
        page, form = self._form()
        self.speech = _combo("Speech model", page, [AUTOMATIC])
        self._field(form, "&Speech model:", "speech_model", self.speech)
        self.voice = _combo("Voice", page, [Choice("Bundled voice", "")])
        self._field(form, "V&oice:", "voice_model", self.voice)
        self.input_device = _combo("Microphone", page, [Choice("System default", "")])
        self._field(form, "&Microphone:", "input_device", self.input_device)
        self.output_device = _combo("Speaker", page, [Choice("System default", "")])
        self.devices_status = _note("Looking for audio devices…", page)
        self.devices_status.setObjectName("devicesStatus")
        self.devices_status.setAccessibleName("Audio devices")
        self._field(form, "Spea&ker:", "output_device", self.output_device, notes=(self.devices_status,))
        self.hands_free = QCheckBox("Talk without holding the button", page)
        self.hands_free.setAccessibleName("Hands-free")
        self.hands_free.setToolTip(SETTINGS["hands_free"].doc)
        self.hands_free.setAccessibleDescription(HANDS_FREE_NOTE)
        self.hands_free.setChecked(self._settings.hands_free)
        self.hands_free_note = _note(HANDS_FREE_NOTE, page)
        self.hands_free_note.setObjectName("handsFreeNote")
        self.hands_free_note.setAccessibleName("About hands-free")
        caption = QLabel("Ha&nds-free:", page)
        caption.setBuddy(self.hands_free)  # Alt+N moves the focus to the box, as the other captions do
        box = QWidget(page)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.hands_free)
        column.addWidget(self.hands_free_note)
        form.addRow(caption, box)  # not a _field: a checkbox has no invalid value to report under it
        for combo, value in ((self.speech, self._settings.speech_model), (self.voice, self._settings.voice_model),
                             (self.input_device, self._settings.input_device),
                             (self.output_device, self._settings.output_device)):
            _select(combo, value)
        return page

    def _appearance_tab(self) -> QWidget:
        page, form = self._form()
        self.theme = _combo("Theme", page, setting_choices("theme"))
        _select(self.theme, self._settings.theme)
        self._field(form, "&Theme:", "theme", self.theme)
        return page

    def _folders_tab(self) -> QWidget:
        page, form = self._form()
        self.data_dir = self._folder_row(form, page, "data_dir", "&Data folder:", "&Browse…",
                                         self._settings.data_dir, self._paths.data)
        self.models_dir = self._folder_row(form, page, "models_dir", "M&odels folder:", "B&rowse…",
                                           self._settings.models_dir, default_models_dir())
        form.addRow(_note(FOLDERS_NOTE, page))
        return page

    def _backups_tab(self, controller: SessionController) -> QWidget:
        from app.ui.library_care import BackupsPanel
        from app.ui.notices import confirm

        self.backups = BackupsPanel(self._jobs, controller, self, confirm_action=self._confirm_action or confirm,
                                    busy=self._busy)
        spacing = self.fontMetrics().height()
        layout = self.backups.layout()
        if layout is not None:
            layout.setContentsMargins(spacing, spacing, spacing, spacing)
        return self.backups

    def _folder_row(self, form: QFormLayout, page: QWidget, key: str, label: str, browse_text: str, value: str,
                    current: Path) -> QLineEdit:
        name = FIELD_NAMES[key]
        edit = QLineEdit(value, page)
        edit.setPlaceholderText("Default")
        edit.setAccessibleName(name)
        edit.setToolTip(f"{SETTINGS[key].doc}. Now in use: {current}")
        browse = QPushButton(browse_text, page)
        browse.setAccessibleName(f"Choose the {name.lower()}")
        browse.clicked.connect(lambda: self._on_browse_folder(edit, name))
        in_use = _note(f"Now in use: {current}", page)
        in_use.setAccessibleName(f"{name} now in use")
        in_use.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._field(form, label, key, edit, buttons=(browse,), notes=(in_use,))
        return edit

    # -- background lists -------------------------------------------------------------------

    def _load_lists(self) -> None:
        models = self._models
        self._jobs.start(MODELS_JOB, lambda ctx: (models.speech_choices(), models.voice_choices(),
                                                  models.chat_choices()),
                         on_done=self._show_models, on_error=lambda exc: None)
        self._jobs.start(DEVICES_JOB, lambda ctx: self._list_devices(), on_done=self._show_devices,
                         on_error=self._no_devices)

    def _show_models(self, found: tuple[list[Choice], list[Choice], list[Choice]]) -> None:
        speech, voices, chat = found
        for combo, choices, value in ((self.speech, speech, self._value(self.speech)),
                                      (self.voice, voices, self._value(self.voice)),
                                      (self.chat_model, chat, self._value(self.chat_model))):
            combo.clear()
            for choice in choices:
                combo.addItem(choice.label, choice.value)
            _select(combo, value)

    def _show_devices(self, devices: list[AudioDevice]) -> None:
        if not devices:
            self._no_devices(None)
            return
        for combo, wanted in ((self.input_device, [d.name for d in devices if d.inputs > 0]),
                              (self.output_device, [d.name for d in devices if d.outputs > 0])):
            value = self._value(combo)
            combo.clear()
            combo.addItem("System default", "")
            for name in dict.fromkeys(wanted):  # PortAudio lists a device once per host API
                combo.addItem(name, name)
            _select(combo, value, "{} (not connected)")
        self.devices_status.setText(f"{len(devices)} audio devices found.")

    def _no_devices(self, exc: BaseException | None) -> None:
        detail = f" ({exc})" if isinstance(exc, ChatRecError) else ""
        self.devices_status.setText(NO_DEVICES + detail)

    def _on_check(self) -> None:
        host = self.host.text().strip()
        if not host:
            self.ollama_status.setText("Enter the server's address first, for example http://127.0.0.1:11434.")
            return
        self.ollama_status.setText(f"Asking {host}…")
        self.check.setEnabled(False)
        token, headers = self.token.text().strip(), self.headers.toPlainText().strip()
        self._jobs.start(OLLAMA_JOB, lambda ctx: self._list_ollama_models(host, token=token, headers=headers),
                         on_done=lambda names: self._show_ollama(host, names),
                         on_error=lambda exc: self._ollama_failed(host, exc))

    def _warn_about_host(self, host: str) -> None:
        warning = insecure_host_warning(host.strip()) if host.strip() else None
        self.host_warning.setText(f"⚠ {warning}" if warning else "")
        self.host_warning.setVisible(bool(warning))

    def _show_ollama(self, host: str, names: list[str]) -> None:
        self.check.setEnabled(True)
        if not names:
            self.ollama_status.setText(f"Ollama at {host} has no models yet: run `ollama pull llama3.2:3b`.")
            return
        value = self.ollama_model.currentText()
        self.ollama_model.clear()
        for name in names:
            self.ollama_model.addItem(name, name)
        _select(self.ollama_model, value, "{} (not on this server)")
        self.ollama_status.setText(f"Ollama at {host} has {len(names)} model{'s' if len(names) != 1 else ''}.")

    def _ollama_failed(self, host: str, exc: BaseException) -> None:
        self.check.setEnabled(True)
        self.ollama_status.setText(f"Could not reach Ollama at {host}: {exc}")

    def _on_browse_model(self) -> None:
        chosen = self._choose_file(self, "Choose a GGUF model file", "GGUF models (*.gguf);;All files (*)")
        if chosen:
            _select(self.chat_model, chosen, "{} (chosen file)")

    def _on_browse_folder(self, edit: QLineEdit, name: str) -> None:
        chosen = self._choose_folder(self, f"Choose the {name.lower()}")
        if chosen:
            edit.setText(chosen)

    # -- saving ------------------------------------------------------------------------------

    @staticmethod
    def _value(combo: QComboBox) -> str:
        data = combo.currentData()
        return data if isinstance(data, str) else combo.currentText()

    def chosen_settings(self) -> Settings:
        """The settings as the dialog's fields now say (not yet validated)."""
        return replace(self._settings, llm_backend=self._value(self.backend), ollama_host=self.host.text().strip(),
                       ollama_token=self.token.text().strip(), ollama_headers=self.headers.toPlainText().strip(),
                       ollama_model=self.ollama_model.currentText().strip(),
                       llm_model_file=self._value(self.chat_model), speech_model=self._value(self.speech),
                       voice_model=self._value(self.voice), input_device=self._value(self.input_device),
                       output_device=self._value(self.output_device), hands_free=self.hands_free.isChecked(),
                       theme=self._value(self.theme),
                       data_dir=self.data_dir.text().strip(), models_dir=self.models_dir.text().strip())

    def problems(self, settings: Settings) -> dict[str, str]:
        """Each field's problem, in words for the user; empty when everything is valid."""
        found: dict[str, str] = {}
        for key in FIELD_NAMES:
            problem = check_setting(key, getattr(settings, key))
            if problem is not None:
                found[key] = problem
        if not settings.ollama_host:
            found["ollama_host"] = "enter the server's address, for example http://127.0.0.1:11434"
        if settings.llm_backend == "ollama" and not settings.ollama_model:
            found["ollama_model"] = "choose a model (press Check to list the server's models)"
        chat_problem = self._models.chat_problem(settings.llm_model_file)
        if chat_problem is not None:
            found["llm_model_file"] = chat_problem
        for key in ("data_dir", "models_dir"):
            folder = getattr(settings, key)
            if key not in found and folder and Path(folder).expanduser().exists() \
                    and not Path(folder).expanduser().is_dir():
                found[key] = "this is a file, not a folder"
        return {key: found[key] for key in FIELD_NAMES if key in found}  # in the order the tabs show them

    def _on_ok(self) -> None:
        settings = self.chosen_settings()
        found = self.problems(settings)
        for key, label in self._errors.items():
            label.setText(f"⚠ {FIELD_NAMES[key]}: {found[key]}" if key in found else "")
            label.setVisible(key in found)
        if found:
            first = next(iter(found))
            more = f" (and {len(found) - 1} more, marked below their fields)" if len(found) > 1 else ""
            self.problem.setText(f"Please fix: {FIELD_NAMES[first]} — {found[first]}{more}.")
            self.problem.show()
            self._reveal(first)
            return
        try:
            save_settings(self._paths.config_file, settings)
        except ChatRecError as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            return
        if settings.theme != self._settings.theme:
            self._on_theme(settings.theme)
        self.saved.emit(settings)
        self.accept()

    def _reveal(self, key: str) -> None:
        """Show the tab holding the field with a problem and put the focus on it."""
        field = self._fields[key]
        for index in range(self.tabs.count()):
            page = self.tabs.widget(index)
            if page is not None and page.isAncestorOf(field):
                self.tabs.setCurrentIndex(index)
                break
        field.setFocus()

    def done(self, result: int) -> None:
        """Close, cancelling the background lookups (their late answers are then dropped)."""
        for name in (DEVICES_JOB, MODELS_JOB, OLLAMA_JOB):
            self._jobs.cancel(name)
        if self.backups is not None:
            self.backups.detach()  # a restore it asked for still finishes, and is told in the window
            self.backups = None
        super().done(result)


def _ask_file(parent: QWidget, title: str, filters: str) -> str | None:
    chosen, _ = QFileDialog.getOpenFileName(parent, title, "", filters)
    return chosen or None


def _ask_folder(parent: QWidget, title: str) -> str | None:
    return QFileDialog.getExistingDirectory(parent, title) or None
