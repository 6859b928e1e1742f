"""The Settings dialog's Backups tab: the backups listed, a restore the window lives through, and its failures."""

from __future__ import annotations

import time
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.config import Settings
from app.domain.items import ME
from app.maintenance import library_backups
from app.store.backup import BACKUPS_KEPT
from app.store.sqlite import SQLiteStore
from app.ui.library_care import BackupsPanel
from app.ui.main_window import MainWindow
from app.ui.settings_dialog import SettingsDialog
from tests.ui.conftest import GuiProbe

ITEM = "product:grinder"


class Answers:
    """The confirm question's answer, and every question asked."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, parent: object, title: str, question: str) -> bool:
        self.asked.append(question)
        return self.answer


def _dialog(qtbot: QtBot, window: MainWindow, answers: Answers) -> tuple[SettingsDialog, BackupsPanel]:
    dialog = SettingsDialog(Settings(), window.controller.paths, window.jobs, window, list_devices=list,
                            controller=window.controller, confirm_action=answers)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.tabs.setCurrentIndex(dialog.tabs.count() - 1)
    assert dialog.tabs.tabText(dialog.tabs.currentIndex()) == "Back&ups" and dialog.backups is not None
    qtbot.waitUntil(lambda: not window.jobs.is_running("settings-models"), timeout=10000)
    return dialog, dialog.backups


def _store(window: MainWindow) -> SQLiteStore:
    engine = window.controller.engine
    assert engine is not None
    return engine.store


def _stars(window: MainWindow) -> float | None:
    return next((r.stars for r in _store(window).ratings_of(ME) if r.item_id == ITEM), None)


def _rated_then_backed_up_then_unrated(window: MainWindow) -> Path:
    """A rating that is in the backup and not after it; the backup's file."""
    engine = window.controller.engine
    assert engine is not None
    engine.store.rate(ME, ITEM, 5)
    made = engine.store.back_up("by-hand")
    assert made is not None
    engine.store.unrate(ME, ITEM)
    return made


def _rows(panel: BackupsPanel) -> list[list[str]]:
    """Each row's when, why and size, as shown."""
    table = panel.table
    cells = [[table.item(row, column) for column in range(3)] for row in range(table.rowCount())]
    return [[cell.text() if cell is not None else "" for cell in row] for row in cells]


def test_the_tab_lists_the_backups_newest_first_and_says_where_they_live(qtbot: QtBot, window: MainWindow):
    engine = window.controller.engine
    assert engine is not None
    first = engine.store.back_up("by-hand")
    time.sleep(0.01)  # backups are named to the millisecond
    engine.store.rate(ME, ITEM, 4)
    second = engine.store.back_up("before-product-import")
    dialog, panel = _dialog(qtbot, window, Answers(True))
    rows = _rows(panel)
    assert len(rows) == len(library_backups(engine.paths)) >= 2
    assert [b.path for b in panel.backups][:2] == [second, first]  # newest first
    assert rows[0][1] == "before product import" and rows[1][1] == "by hand"
    assert all(size.endswith(" MB") for _when, _why, size in rows) and rows[0][0] >= rows[1][0]
    assert str(engine.paths.database.parent / "backups") in panel.where.text()
    assert f"newest {BACKUPS_KEPT} are kept" in panel.where.text()
    assert panel.restore.isEnabled() and panel.back_up.isEnabled() and panel.chosen() == panel.backups[0]

    panel.back_up.click()  # back up now: a new row on top, and the result said
    qtbot.waitUntil(lambda: "Backed up to" in panel.result.text(), timeout=10000)
    assert len(_rows(panel)) == len(rows) + 1 and _rows(panel)[0][1] == "by hand"
    dialog.reject()
    window.tabs.setCurrentIndex(2)  # the Library page's Safety box shows the newest backup when it comes into view
    assert window.library_page is not None
    assert "last backup" in window.library_page.care.state.text() and "by hand" in window.library_page.care.state.text()


def test_every_control_of_the_tab_has_an_accessible_name(qtbot: QtBot, window: MainWindow):
    from PySide6.QtWidgets import QAbstractButton, QAbstractItemView

    _shown, panel = _dialog(qtbot, window, Answers(True))
    controls = panel.findChildren(QAbstractButton) + panel.findChildren(QAbstractItemView)
    unnamed = [c for c in controls if not c.accessibleName() and not c.objectName().startswith("qt_")
               and type(c).__name__ not in ("QToolButton", "QTableCornerButton", "QHeaderView")]
    assert unnamed == []


def test_restoring_brings_back_a_rating_that_was_in_the_backup(qtbot: QtBot, window: MainWindow):
    made = _rated_then_backed_up_then_unrated(window)
    assert _stars(window) is None
    answers = Answers(True)
    dialog, panel = _dialog(qtbot, window, answers)
    panel.table.selectRow([b.path for b in panel.backups].index(made))
    controller = window.controller
    with GuiProbe() as probe, qtbot.waitSignal(controller.engine_closed, timeout=5000), \
            qtbot.waitSignal(controller.engine_ready, timeout=30000):
        panel.restore.click()
        assert not panel.restore.isEnabled() and "Restoring the backup of" in panel.result.text()
    assert len(answers.asked) == 1 and "the current database is kept beside the backup" in answers.asked[0]
    assert "Restored the backup of" in panel.result.text()
    kept = panel.result.text().rsplit("kept as ", 1)[1].rstrip(".")
    assert Path(kept).exists() and "before-restore" in kept  # the database it replaced is kept beside it
    assert _stars(window) == 5
    assert probe.longest < 0.5, f"the GUI thread stalled for {probe.longest:.2f} s"
    qtbot.waitUntil(lambda: panel.restore.isEnabled() and panel.back_up.isEnabled(), timeout=5000)
    assert dialog.isVisible()


def test_cancel_at_the_confirm_changes_nothing(qtbot: QtBot, window: MainWindow):
    _rated_then_backed_up_then_unrated(window)
    _store(window).rate(ME, ITEM, 2)
    engine = window.controller.engine
    assert engine is not None
    answers = Answers(False)
    _shown, panel = _dialog(qtbot, window, answers)
    closed: list[bool] = []
    window.controller.engine_closed.connect(lambda: closed.append(True))
    panel.restore.click()
    qtbot.wait(200)
    assert len(answers.asked) == 1 and not closed
    assert window.controller.engine is engine and _stars(window) == 2
    assert panel.result.text() == "" and panel.restore.isEnabled()
    assert not list(engine.paths.data.glob("*before-restore*"))


def test_an_empty_backups_folder_says_so_and_cannot_be_restored(qtbot: QtBot, window: MainWindow):
    engine = window.controller.engine
    assert engine is not None
    for backup in library_backups(engine.paths):  # the fixture's own imports may have taken one
        backup.path.unlink()
    answers = Answers(True)
    _shown, panel = _dialog(qtbot, window, answers)
    assert panel.table.rowCount() == 0
    assert "no backups yet" in panel.state.text() and "nothing to restore" in panel.state.text()
    assert not panel.restore.isEnabled() and panel.back_up.isEnabled()
    panel.restore.click()
    assert not answers.asked


def test_a_failing_restore_names_the_file_and_leaves_the_database_as_it_was(qtbot: QtBot, window: MainWindow):
    made = _rated_then_backed_up_then_unrated(window)
    _store(window).rate(ME, ITEM, 3)  # made after the backup
    made.write_bytes(b"this is not a database at all " * 200)  # the backup went bad on disk
    _shown, panel = _dialog(qtbot, window, Answers(True))
    panel.table.selectRow([b.path for b in panel.backups].index(made))
    controller = window.controller
    with qtbot.waitSignal(controller.engine_ready, timeout=30000):
        panel.restore.click()
    text = panel.result.text()
    assert text.startswith("⚠ Could not restore") and made.name in text and "damaged" in text
    assert "left as it was" in text
    assert _stars(window) == 3
    engine = controller.engine
    assert engine is not None and not list(engine.paths.data.glob("*before-restore*"))
    qtbot.waitUntil(lambda: panel.restore.isEnabled(), timeout=5000)


def test_the_tab_is_there_only_with_a_library_to_look_after(qtbot: QtBot, window: MainWindow):
    plain = SettingsDialog(Settings(), window.controller.paths, window.jobs, window, list_devices=list)
    qtbot.addWidget(plain)
    assert plain.backups is None
    assert "Back&ups" not in [plain.tabs.tabText(i) for i in range(plain.tabs.count())]
