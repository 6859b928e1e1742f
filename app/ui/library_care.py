"""The Library page's "Safety" box: the database's check, its last backup, and back up, restore or repair.

Backing up runs beside everything else (SQLite copies a consistent state while the app works). Restoring
and repairing need the database closed, so the box hands them to the controller as a CareAction, which
closes the library (waiting a few seconds for work in flight), runs it as a job with progress, and opens
the library again. When the library cannot open at all (a damaged or emptied file), the box still
offers a restore and a repair.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QInputDialog, QVBoxLayout, QWidget

from app import maintenance
from app.store.backup import Backup
from app.ui.a11y import named_button, status_label
from app.ui.jobs import JobContext, Jobs
from app.ui.notices import confirm

if TYPE_CHECKING:
    from app.bootstrap import Engine
    from app.paths import AppPaths

BACKUP_JOB = "library-backup"
BackupChooser = Callable[[QWidget, Sequence[Backup]], Backup | None]
Confirmer = Callable[[QWidget, str, str], bool]


@dataclass(frozen=True)
class CareAction:
    """Work that needs the database closed: what to show meanwhile, the work, and how to say it went."""

    what: str
    work: Callable[[], object]
    describe: Callable[[object], str]


def _label(backup: Backup) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(backup.taken))
    return f"{when}: {backup.reason.replace('-', ' ')} ({backup.size / 1e6:.1f} MB)"


def _ask_backup(parent: QWidget, found: Sequence[Backup]) -> Backup | None:
    labels = [_label(b) for b in found]
    chosen, ok = QInputDialog.getItem(parent, "Restore a backup", "Go back to the library as it was at:",
                                      labels, 0, False)
    return found[labels.index(chosen)] if ok and chosen in labels else None


class LibraryCare(QGroupBox):
    """The database's state and the three ways to look after it."""

    notice = Signal(str)
    failed = Signal(object)
    care_requested = Signal(object)  # a CareAction for the controller

    def __init__(self, jobs: Jobs, parent: QWidget | None = None, *, choose_backup: BackupChooser = _ask_backup,
                 confirm_action: Confirmer = confirm, busy: Callable[[], bool] = lambda: False) -> None:
        super().__init__("Safety", parent)
        self.setObjectName("libraryCare")
        self._jobs = jobs
        self._choose_backup = choose_backup
        self._confirm = confirm_action
        self._busy = busy  # an import is running: the library must not be closed under it
        self._engine: Engine | None = None
        self._rescue: AppPaths | None = None  # the library's folders when it could not open
        layout = QVBoxLayout(self)
        self.state = status_label("Opening your library…", "databaseState", "The database's check and last backup",
                                  self)
        row = QHBoxLayout()
        self.back_up = named_button("&Back up now", "Copy the database into its backups folder (one is also "
                                    "taken before every import)", self, self._on_back_up)
        self.restore = named_button("Res&tore a backup…", "Go back to the library as it was when a backup was "
                                    "taken; the current database is kept beside it", self, self._on_restore)
        self.repair = named_button("Re&pair the database…", "Rebuild a damaged database from what can still be "
                                   "read; the damaged file is kept beside it", self, self._on_repair)
        for button in (self.back_up, self.restore, self.repair):
            row.addWidget(button)
        row.addStretch(1)
        layout.addWidget(self.state)
        layout.addLayout(row)
        self._enable(False)

    def set_engine(self, engine: Engine | None) -> None:
        """Show the state of this engine's database (None while the library is closed for a restore)."""
        self._engine = engine
        self._rescue = None
        self.refresh()

    def offer_rescue(self, paths: AppPaths, *, damaged: bool) -> None:
        """The library could not open: offer its backups, and a repair when the file is damaged."""
        self._engine = None
        self._rescue = paths
        found = maintenance.library_backups(paths)
        self.state.setText("The library could not open. " + (
            f"Restore a backup (the newest: {_label(found[0])})" if found else "There is no backup to restore")
            + (", or repair the database." if damaged else "."))
        self.back_up.setEnabled(False)
        self.restore.setEnabled(bool(found))
        self.repair.setEnabled(damaged)

    def refresh(self) -> None:
        """Read the database's state and the backups folder again."""
        engine = self._engine
        if self._rescue is not None:
            return
        if engine is None:
            self.state.setText("The library is closed while its database is looked after…")
            self._enable(False)
            return
        store = engine.store
        found = maintenance.library_backups(engine.paths)
        last = f"last backup {_label(found[0])}" if found else "no backup yet (one is taken before every import)"
        if store.damage:
            self.state.setText(f"The database is damaged ({store.damage}); nothing more is written into it. "
                               f"Repair it, or restore a backup. {last[0].upper()}{last[1:]}.")
        elif store.read_only:
            self.state.setText(f"The database is read-only: Chat-Rec can show it but not change it. "
                               f"{last[0].upper()}{last[1:]}.")
        else:
            self.state.setText(f"The database checked out sound; {last}.")
        self._enable(True)
        self.back_up.setEnabled(not store.damage and not store.read_only)
        self.restore.setEnabled(bool(found))
        self.repair.setEnabled(bool(store.damage))

    def _enable(self, enabled: bool) -> None:
        for button in (self.back_up, self.restore, self.repair):
            button.setEnabled(enabled)

    def _on_back_up(self) -> None:
        engine = self._engine
        if engine is None:
            return

        def work(ctx: JobContext) -> object:
            return engine.store.back_up("by-hand")

        self.back_up.setEnabled(False)
        self._jobs.start(BACKUP_JOB, work, on_done=self._backed_up, on_error=self._failed)

    def _backed_up(self, made: object) -> None:
        self.notice.emit("The library is empty: nothing to back up." if made is None else f"Backed up to {made}.")
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.failed.emit(exc)
        self.refresh()

    def _library_paths(self) -> AppPaths | None:
        """The folders of the library to look after, or None (with a word) while that cannot be done."""
        if self._busy():
            self.notice.emit("An import is running: restore or repair once it has finished (or cancel it).")
            return None
        return self._engine.paths if self._engine is not None else self._rescue

    def _on_restore(self) -> None:
        paths = self._library_paths()
        if paths is None:
            return
        chosen = self._choose_backup(self, maintenance.library_backups(paths))
        if chosen is None or not self._confirm(
                self, "Restore a backup",
                f"Go back to the library as it was at {_label(chosen)}? Ratings, lists and imports made since "
                "then are no longer shown; the current database is kept beside the backup, so nothing is deleted."):
            return
        self.care_requested.emit(CareAction(
            f"Restoring the backup of {_label(chosen)}",
            partial(maintenance.restore_library, chosen.path.name, paths),
            lambda done: f"Restored the backup of {_label(chosen)}; the database it replaced is kept as "
                         f"{getattr(done, 'replaced_kept_at', None)}."))

    def _on_repair(self) -> None:
        paths = self._library_paths()
        if paths is None or not self._confirm(
                self, "Repair the database",
                "Rebuild the database from everything that can still be read? Rows stored on the damaged "
                "parts are lost; the damaged file is kept beside it. Restoring a backup may keep more."):
            return
        self.care_requested.emit(CareAction("Repairing the database",
                                            partial(maintenance.repair_library, paths), _repaired))


def _repaired(report: object) -> str:
    rows = getattr(report, "rows", {})
    return (f"Repaired: {rows.get('items', 0):,} items and {rows.get('ratings', 0):,} ratings recovered; the "
            f"damaged file is kept as {getattr(report, 'damaged_copy', '?')}.")
