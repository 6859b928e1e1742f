"""The export dialog: pick a format and a file, say how track paths are written, export through a job."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.export import ExportResult, PathMode
from app.export.formats import FORMATS, guess_format, suggested_filename
from app.services.lists import Lists
from app.ui.jobs import JobContext, Jobs
from app.ui.notices import confirm

# Formats whose entries carry a track's file location, so path mode and mapping matter for them.
LOCATION_FORMATS = ("m3u8", "xspf", "jspf")
PATH_MODE_LABELS: dict[PathMode, str] = {
    "relative": "Relative to the playlist's folder (the playlist moves with the music)",
    "absolute": "Absolute (the playlist works from any folder on this computer)",
}

# (parent, caption, start path, filter) -> the chosen path, or "" when the user cancelled.
ChooseFile = Callable[[QWidget, str, str, str], str]


def _native_save_dialog(parent: QWidget, caption: str, start: str, filters: str) -> str:
    chosen, _ = QFileDialog.getSaveFileName(parent, caption, start, filters)
    return chosen


def export_message(result: ExportResult) -> str:
    """'Exported 3 entries to /x/mix.m3u8 (2 skipped: reason)': what the banner tells the user."""
    noun = "entry" if result.written == 1 else "entries"
    text = f"Exported {result.written} {noun} to {result.path}"
    if result.skipped:
        reasons = "; ".join(dict.fromkeys(s.reason for s in result.skipped))
        text += f" ({len(result.skipped)} skipped: {reasons})"
    return text


class ExportDialog(QDialog):
    """Export one list: format, file, path mode and mapping; asks before replacing a file."""

    notice = Signal(str)
    failed = Signal(object)
    exported = Signal(object)  # the ExportResult, once the file is written

    def __init__(self, jobs: Jobs, lists: Lists, list_name: str, parent: QWidget | None = None, *,
                 choose_file: ChooseFile | None = None, folder: Path | None = None) -> None:
        super().__init__(parent)
        self._jobs = jobs
        self._lists = lists
        self._list_name = list_name
        self._choose_file = choose_file or _native_save_dialog
        self._folder = folder or Path.home()
        self.setObjectName("exportDialog")
        self.setWindowTitle(f"Export “{list_name}”")
        self.setModal(False)  # the rest of the app stays usable while a big list is written

        self.format_box = QComboBox(self)
        self.format_box.setObjectName("exportFormat")
        self.format_box.setAccessibleName("Export format")
        for fmt in FORMATS.values():
            self.format_box.addItem(f"{fmt.name.upper()} ({fmt.extension})", fmt.name)
        self.format_description = QLabel(self)
        self.format_description.setObjectName("exportFormatDescription")
        self.format_description.setWordWrap(True)

        self.path_edit = QLineEdit(self)
        self.path_edit.setObjectName("exportPath")
        self.path_edit.setAccessibleName("File to export to")
        self.path_edit.setToolTip("The file the list is written to")
        self.browse_button = QPushButton("Browse…", self)
        self.browse_button.setAccessibleName("Choose the file to export to")
        self.browse_button.setToolTip("Choose the folder and file name")
        self.browse_button.clicked.connect(self.browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.browse_button)

        self.paths_group = QGroupBox("Track paths", self)
        self.paths_group.setObjectName("exportTrackPaths")
        self.path_mode_box = QComboBox(self.paths_group)
        self.path_mode_box.setAccessibleName("How track paths are written")
        for mode, label in PATH_MODE_LABELS.items():
            self.path_mode_box.addItem(label, mode)
        self.map_from_edit = QLineEdit(self.paths_group)
        self.map_from_edit.setAccessibleName("Replace the folder prefix")
        self.map_from_edit.setPlaceholderText("e.g. /home/me/Music")
        self.map_from_edit.setToolTip("Leave empty unless a media server (Navidrome, Jellyfin) sees your "
                                      "music folder at another path")
        self.map_to_edit = QLineEdit(self.paths_group)
        self.map_to_edit.setAccessibleName("With the prefix the media server sees")
        self.map_to_edit.setPlaceholderText("e.g. /music")
        self.map_to_edit.setToolTip("The same folder as the media server sees it")
        paths_form = QFormLayout(self.paths_group)
        paths_form.addRow("Write paths as", self.path_mode_box)
        paths_form.addRow("Replace prefix", self.map_from_edit)
        paths_form.addRow("with", self.map_to_edit)

        self.status_label = QLabel(self)
        self.status_label.setObjectName("exportStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName("Export status")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("exportButton")
        self.export_button.setAccessibleName("Export the list")
        self.export_button.setDefault(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName("Close without exporting")
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)

        title = QLabel(f"Export “{list_name}”", self)
        font = QFont(title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        title.setFont(font)
        form = QFormLayout()
        form.addRow("Format", self.format_box)
        form.addRow("", self.format_description)
        form.addRow("File", path_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.paths_group)
        layout.addWidget(self.status_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        for first, second in ((self.format_box, self.path_edit), (self.path_edit, self.browse_button),
                              (self.browse_button, self.path_mode_box), (self.path_mode_box, self.map_from_edit),
                              (self.map_from_edit, self.map_to_edit)):
            QWidget.setTabOrder(first, second)

        self.format_box.currentIndexChanged.connect(self._format_changed)
        self.path_edit.setText(str(self._folder / suggested_filename(list_name, self.format())))
        self._format_changed()

    # --- what the user chose -------------------------------------------------------------------
    def format(self) -> str:
        """The chosen format's name ('m3u8', 'xspf', ...)."""
        return str(self.format_box.currentData())

    def set_format(self, fmt: str) -> None:
        """Choose a format by name."""
        index = self.format_box.findData(fmt)
        if index < 0:
            raise ValueError(f"unknown export format {fmt!r}")
        self.format_box.setCurrentIndex(index)

    def path(self) -> Path | None:
        """The file to write, or None while the field is empty."""
        text = self.path_edit.text().strip()
        return Path(text).expanduser() if text else None

    def set_path(self, path: Path | str) -> None:
        """Set the file to write (its extension picks the format when it names one)."""
        self.path_edit.setText(str(path))
        guessed = guess_format(Path(path))
        if guessed is not None and guessed != self.format():
            self.set_format(guessed)

    def path_mode(self) -> PathMode:
        """'relative' or 'absolute'."""
        return "relative" if self.path_mode_box.currentData() == "relative" else "absolute"

    def set_path_mode(self, mode: PathMode) -> None:
        """Choose how track paths are written."""
        self.path_mode_box.setCurrentIndex(self.path_mode_box.findData(mode))

    def set_path_map(self, prefix: str, replacement: str) -> None:
        """Rewrite track paths starting with prefix to start with replacement instead."""
        self.map_from_edit.setText(prefix)
        self.map_to_edit.setText(replacement)

    def path_map(self) -> dict[str, str]:
        """The prefix rewrite, {} when none is given."""
        prefix = self.map_from_edit.text().strip()
        return {prefix: self.map_to_edit.text().strip()} if prefix else {}

    # --- actions ---------------------------------------------------------------------------------
    def browse(self) -> None:
        """Ask for the file with the (injectable) file chooser."""
        fmt = FORMATS[self.format()]
        filters = f"{fmt.name.upper()} (*{fmt.extension});;All files (*)"
        current = self.path()
        start = str(current) if current else str(self._folder / suggested_filename(self._list_name, fmt.name))
        chosen = self._choose_file(self, "Export list to", start, filters)
        if not chosen:
            return
        path = Path(chosen)
        if not path.suffix:
            path = path.with_suffix(fmt.extension)
        self.set_path(path)

    def export(self) -> None:
        """Check the target, ask before replacing a file, and write the list through a job."""
        target = self.path()
        if target is None:
            self._show_status("Choose a file to export to.")
            self.path_edit.setFocus()
            return
        overwrite = False
        if target.exists() and not target.is_dir():
            if not self._confirm_overwrite(target):
                self._show_status(f"Not exported: {target} was left as it was. Choose another file name.")
                return
            overwrite = True
        fmt, mode, mapping, name = self.format(), self.path_mode(), self.path_map(), self._list_name
        lists = self._lists
        self.export_button.setEnabled(False)
        self._show_status(f"Exporting to {target}…")

        def work(ctx: JobContext) -> ExportResult:
            ctx.cancel.raise_if_cancelled()
            return lists.export_result(name, fmt, target, overwrite=overwrite, path_mode=mode, path_map=mapping)

        self._jobs.start(f"export:{name}", work, on_done=self._done, on_error=self._error)

    def _confirm_overwrite(self, path: Path) -> bool:
        """Ask whether to replace an existing file; tests override this so nothing blocks."""
        return confirm(self, "Replace the file?", f"{path} exists already. Replace it with this export?")

    # --- job callbacks ---------------------------------------------------------------------------
    def _done(self, result: ExportResult) -> None:
        self.export_button.setEnabled(True)
        message = export_message(result)
        self._show_status(message)
        self.notice.emit(message)
        self.exported.emit(result)
        self.accept()

    def _error(self, exc: BaseException) -> None:
        self.export_button.setEnabled(True)
        # Shown in the dialog too, so the user can fix the path without hunting for the banner.
        self._show_status(f"Not exported: {exc}")
        self.failed.emit(exc)

    def _format_changed(self) -> None:
        fmt = FORMATS[self.format()]
        self.format_description.setText(fmt.description[:1].upper() + fmt.description[1:] + ".")
        self.format_box.setToolTip(fmt.description)
        self.paths_group.setVisible(fmt.name in LOCATION_FORMATS)
        current = self.path()
        if current is not None and current.suffix.lower() != fmt.extension:
            self.path_edit.setText(str(current.with_suffix(fmt.extension)))

    def _show_status(self, text: str) -> None:
        self.status_label.setText(text)
