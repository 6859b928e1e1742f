"""Asking before MovieLens is downloaded: which release, how big, GroupLens's terms, and the user's agreement."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.domain.movielens import RELEASES, TERMS, ReleaseInfo
from app.ui.jobs import Jobs

SIZE_JOB = "grouplens-size"
# What each release is, in a user's words (GroupLens's own descriptions, without figures we did not measure).
_ABOUT = {"ml-latest-small": "a small, recent sample: quick to download and import",
          "ml-100k": "the classic 100,000 ratings from 1998",
          "ml-1m": "a million ratings from 2000",
          "ml-25m": "25 million ratings: large, slow to import",
          "ml-32m": "32 million ratings: the largest",
          "ml-latest": "the full current release: large"}


class DownloadDialog(QDialog):
    """Choose a MovieLens release, see its size and the terms, and agree before anything is fetched."""

    def __init__(self, jobs: Jobs, size_of: Callable[[str], ReleaseInfo], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("downloadDialog")
        self.setWindowTitle("Download MovieLens from GroupLens")
        self._jobs = jobs
        self._size_of = size_of
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.release = QComboBox(self)
        self.release.setAccessibleName("MovieLens release")
        for name in RELEASES:
            self.release.addItem(f"{name}: {_ABOUT[name]}", name)
        self.size_label = QLabel("Asking GroupLens for the size…", self)
        self.size_label.setObjectName("downloadSize")
        self.size_label.setAccessibleName("Download size")
        form.addRow("Release", self.release)
        form.addRow("Size", self.size_label)
        layout.addLayout(form)
        self.terms = QLabel(TERMS, self)
        self.terms.setWordWrap(True)
        self.terms.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.terms.setAccessibleName("GroupLens's terms")
        layout.addWidget(self.terms)
        self.agree = QCheckBox("I agree to GroupLens's terms for this data", self)
        self.agree.setAccessibleName("I agree to GroupLens's terms")
        layout.addWidget(self.agree)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.download = self.buttons.addButton("&Download and import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.download.setAccessibleName("Download and import")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.agree.toggled.connect(self._update)
        self.release.currentIndexChanged.connect(self._ask_size)
        self._update()
        self._ask_size()

    def chosen(self) -> str:
        """The release the user chose."""
        return str(self.release.currentData())

    def _update(self) -> None:
        self.download.setEnabled(self.agree.isChecked())

    def _ask_size(self) -> None:
        release = self.chosen()
        self.size_label.setText("Asking GroupLens for the size…")
        self._jobs.start(SIZE_JOB, lambda ctx: self._size_of(release), on_done=self._show_size,
                         on_error=lambda exc: self.size_label.setText(f"Unknown: {exc}"))

    def _show_size(self, info: ReleaseInfo) -> None:
        if info.release != self.chosen():
            return  # the user has moved on to another release
        self.size_label.setText(f"{info.size_bytes / 1e6:,.1f} MB, from {info.url}" if info.size_bytes
                          else f"not given by the server ({info.url})")
