"""Looking after the database in the window: the Library page's "Safety" box and the Settings "Backups" tab.

Backing up runs beside everything else (SQLite copies a consistent state while the app works). Restoring
and repairing need the database closed, so both hand them to the controller as a CareAction, which
closes the library (waiting a few seconds for work in flight), runs it as a job with progress, and opens
the library again. When the library cannot open at all (a damaged or emptied file), both still offer a
restore, and the Safety box a repair. The words, the backup job and the restore action are made once here
and shared by the two.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import maintenance
from app.bootstrap import configured
from app.domain.errors import ChatRecError
from app.store.backup import BACKUPS_KEPT, Backup, backups_dir
from app.ui.a11y import named_button, status_label
from app.ui.jobs import JobContext, Jobs
from app.ui.notices import confirm, describe

if TYPE_CHECKING:
    from app.bootstrap import Engine
    from app.paths import AppPaths
    from app.ui.controller import SessionController

BACKUP_JOB = "library-backup"
BackupChooser = Callable[[QWidget, Sequence[Backup]], Backup | None]
Confirmer = Callable[[QWidget, str, str], bool]


@dataclass(frozen=True)
class CareAction:
    """Work that needs the database closed: what to show meanwhile, the work, and how to say it went."""

    what: str
    work: Callable[[], object]
    describe: Callable[[object], str]


def backup_when(backup: Backup) -> str:
    """When the backup was taken, in local time to the minute."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(backup.taken))


def backup_why(backup: Backup) -> str:
    """Why it was taken, in words ("before product import", "by hand")."""
    return backup.reason.replace("-", " ")


def backup_size(backup: Backup) -> str:
    """Its size in megabytes."""
    return f"{backup.size / 1e6:.1f} MB"


def backup_label(backup: Backup) -> str:
    """One line naming a backup: when, why and how big."""
    return f"{backup_when(backup)}: {backup_why(backup)} ({backup_size(backup)})"


def backups_note(paths: AppPaths) -> str:
    """Where the backups live and how many are kept."""
    return (f"Backups live in {backups_dir(paths.database)}. The newest {BACKUPS_KEPT} are kept; one is taken "
            "before every import and before the database is upgraded, and whenever you back up by hand.")


def restore_question(backup: Backup) -> str:
    """The question asked before a restore: what goes back, and that nothing is deleted."""
    return (f"Go back to the library as it was at {backup_label(backup)}? Ratings, lists and imports made since "
            "then are no longer shown; the current database is kept beside the backup, so nothing is deleted.")


def restore_action(backup: Backup, paths: AppPaths) -> CareAction:
    """The restore of backup over the library in paths, for the controller to run with the library closed."""
    return CareAction(
        f"Restoring the backup of {backup_label(backup)}",
        partial(maintenance.restore_library, backup.path.name, paths),
        lambda done: f"Restored the backup of {backup_label(backup)}; the database it replaced is kept as "
                     f"{getattr(done, 'replaced_kept_at', None)}.")


def backed_up_text(made: object) -> str:
    """How a backup by hand went: where it went, or that there was nothing to keep."""
    return "The library is empty: nothing to back up." if made is None else f"Backed up to {made}."


def start_back_up(jobs: Jobs, engine: Engine, on_done: Callable[[object], None],
                  on_error: Callable[[BaseException], None]) -> None:
    """Back up the open library by hand in the background (SQLite copies it while the app works)."""

    def work(ctx: JobContext) -> object:
        return engine.store.back_up("by-hand")

    jobs.start(BACKUP_JOB, work, on_done=on_done, on_error=on_error)


def _ask_backup(parent: QWidget, found: Sequence[Backup]) -> Backup | None:
    labels = [backup_label(b) for b in found]
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
            f"Restore a backup (the newest: {backup_label(found[0])})" if found else "There is no backup to restore")
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
        check = engine.library_status.check()
        newest = check.last_backup
        last = f"last backup {backup_label(newest)}" if newest else "no backup yet (one is taken before every import)"
        if check.state == "damaged":
            self.state.setText(f"The database is damaged ({check.problem}); nothing more is written into it. "
                               f"Repair it, or restore a backup. {last[0].upper()}{last[1:]}.")
        elif check.state == "read-only":
            self.state.setText(f"The database is read-only: Chat-Rec can show it but not change it. "
                               f"{last[0].upper()}{last[1:]}.")
        else:
            self.state.setText(f"The database checked out sound; {last}.")
        self._enable(True)
        self.back_up.setEnabled(check.can_back_up)
        self.restore.setEnabled(newest is not None)
        self.repair.setEnabled(check.state == "damaged")

    def showEvent(self, event: QShowEvent) -> None:
        """Read the state again when the box comes into view: a backup may have been taken in Settings."""
        super().showEvent(event)
        if self._engine is not None:
            self.refresh()

    def _enable(self, enabled: bool) -> None:
        for button in (self.back_up, self.restore, self.repair):
            button.setEnabled(enabled)

    def _on_back_up(self) -> None:
        engine = self._engine
        if engine is None:
            return
        self.back_up.setEnabled(False)
        start_back_up(self._jobs, engine, self._backed_up, self._failed)

    def _backed_up(self, made: object) -> None:
        self.notice.emit(backed_up_text(made))
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
        if chosen is None or not self._confirm(self, "Restore a backup", restore_question(chosen)):
            return
        self.care_requested.emit(restore_action(chosen, paths))

    def _on_repair(self) -> None:
        paths = self._library_paths()
        if paths is None or not self._confirm(
                self, "Repair the database",
                "Rebuild the database from everything that can still be read? Rows stored on the damaged "
                "parts are lost; the damaged file is kept beside it. Restoring a backup may keep more."):
            return
        self.care_requested.emit(CareAction("Repairing the database",
                                            partial(maintenance.repair_library, paths), _repaired))


class BackupsPanel(QWidget):
    """The Settings dialog's Backups tab: the backups newest first, a restore of the chosen one, a backup now.

    It follows the controller: a restore goes through controller.look_after like the Safety box's, and the
    panel shows how it went when the controller says the work is finished, then reads the folder again once
    the library is open.
    """

    def __init__(self, jobs: Jobs, controller: SessionController, parent: QWidget | None = None, *,
                 confirm_action: Confirmer = confirm, busy: Callable[[], bool] = lambda: False) -> None:
        super().__init__(parent)
        self.setObjectName("backupsPanel")
        self._jobs = jobs
        self._controller = controller
        self._confirm = confirm_action
        self._busy = busy  # an import is running: the library must not be closed under it
        self._found: list[Backup] = []
        self._pending: tuple[CareAction, Backup] | None = None  # the restore asked for here, until it is finished
        self._restoring = False  # from the request until the library is open again
        layout = QVBoxLayout(self)
        self.where = status_label("", "backupsWhere", "Where backups live and how many are kept", self)
        self.table = QTableWidget(0, 3, self)
        self.table.setObjectName("backupsTable")
        self.table.setAccessibleName("Backups, newest first")
        self.table.setHorizontalHeaderLabels(["Taken", "Why", "Size"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._enable)
        self.state = status_label("", "backupsState", "Backups found", self)
        row = QHBoxLayout()
        self.back_up = named_button("Back up &now", "Copy the database into the backups folder now", self,
                                    self._on_back_up)
        self.restore = named_button("&Restore the chosen backup…", "Go back to the library as it was when the "
                                    "chosen backup was taken; the current database is kept beside it", self,
                                    self._on_restore)
        row.addWidget(self.back_up)
        row.addWidget(self.restore)
        row.addStretch(1)
        self.result = status_label("", "backupsResult", "How the last backup or restore went", self)
        for widget in (self.where, self.table, self.state):
            layout.addWidget(widget)
        layout.addLayout(row)
        layout.addWidget(self.result)
        controller.engine_ready.connect(self._library_open)
        controller.engine_failed.connect(self._library_open)
        controller.care_finished.connect(self._care_finished)
        self.refresh()

    def detach(self) -> None:
        """Stop following the controller (the dialog is closing)."""
        for signal, slot in ((self._controller.engine_ready, self._library_open),
                             (self._controller.engine_failed, self._library_open),
                             (self._controller.care_finished, self._care_finished)):
            signal.disconnect(slot)

    @property
    def backups(self) -> list[Backup]:
        """The backups listed, newest first."""
        return list(self._found)

    def chosen(self) -> Backup | None:
        """The backup whose row is selected."""
        rows = self.table.selectionModel().selectedRows()
        return self._found[rows[0].row()] if rows and rows[0].row() < len(self._found) else None

    def refresh(self) -> None:
        """Read the backups folder again, keeping the chosen backup chosen when it is still there."""
        was = self.chosen()
        paths = self._library_paths()
        self._found = maintenance.library_backups(paths)
        self.where.setText(backups_note(paths) + " A restore happens at once (Cancel does not undo it).")
        self.table.setRowCount(len(self._found))
        for row, backup in enumerate(self._found):
            for column, text in enumerate((backup_when(backup), backup_why(backup), backup_size(backup))):
                self.table.setItem(row, column, QTableWidgetItem(text))
        if self._found:
            paths_found = [b.path for b in self._found]
            self.table.selectRow(paths_found.index(was.path) if was is not None and was.path in paths_found else 0)
            count = len(self._found)
            self.state.setText(f"{count} backup{'s' if count != 1 else ''}, newest first: choose one to go back to.")
        else:
            self.state.setText("There are no backups yet, so there is nothing to restore: one is taken before "
                               "every import, or press Back up now.")
        self._enable()

    def _library_paths(self) -> AppPaths:
        """The open library's folders; while it is closed, those the settings choose."""
        engine = self._controller.engine
        if engine is not None:
            return engine.paths
        try:
            return configured(self._controller.paths)[1]
        except ChatRecError:  # a settings file that cannot be read: the folders the window started with
            return self._controller.paths

    def _enable(self) -> None:
        engine = self._controller.engine
        self.back_up.setEnabled(not self._restoring and engine is not None
                                and engine.library_status.check().can_back_up)
        self.restore.setEnabled(not self._restoring and self.chosen() is not None)

    def _on_back_up(self) -> None:
        engine = self._controller.engine
        if engine is None:
            return
        self.back_up.setEnabled(False)
        self.result.setText("Backing up…")
        start_back_up(self._jobs, engine, self._backed_up, self._back_up_failed)

    def _backed_up(self, made: object) -> None:
        self.result.setText(backed_up_text(made))
        self.table.clearSelection()  # the new backup, newest, is chosen
        self.refresh()

    def _back_up_failed(self, exc: BaseException) -> None:
        self.result.setText(f"⚠ Could not back up: {describe(exc)}")
        self.refresh()

    def _on_restore(self) -> None:
        chosen = self.chosen()
        if chosen is None:
            return
        if self._busy():
            self.result.setText("An import is running: restore once it has finished (or cancel it).")
            return
        if not self._confirm(self, "Restore a backup", restore_question(chosen)):
            return
        action = restore_action(chosen, self._library_paths())
        self._pending, self._restoring = (action, chosen), True
        self._enable()
        self.result.setText(f"{action.what}; the library is closed meanwhile…")
        self._controller.look_after(action)

    def _care_finished(self, action: object, outcome: object) -> None:
        if self._pending is None or action is not self._pending[0]:
            return  # the Safety box's restore or repair: it says how that went
        backup = self._pending[1]
        self._pending = None
        if isinstance(outcome, BaseException):
            self.result.setText(f"⚠ Could not restore {backup.path.name} ({backup_label(backup)}): "
                                f"{describe(outcome)} The library was left as it was.")
        else:
            self.result.setText(str(outcome))

    def _library_open(self, _result: object) -> None:
        self._restoring = False
        self.refresh()


def _repaired(report: object) -> str:
    rows = getattr(report, "rows", {})
    return (f"Repaired: {rows.get('items', 0):,} items and {rows.get('ratings', 0):,} ratings recovered; the "
            f"damaged file is kept as {getattr(report, 'damaged_copy', '?')}.")
