"""The Library page's Safety box: the database's state, a backup by hand, and a restore the window lives through."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.domain.items import ME
from app.ui.main_window import MainWindow


def _care(window: MainWindow):  # type: ignore[no-untyped-def]
    assert window.library_page is not None
    return window.library_page.care


def test_the_box_says_the_database_is_sound_and_backs_it_up_on_request(qtbot: QtBot, window: MainWindow):
    care = _care(window)
    qtbot.waitUntil(lambda: care.back_up.isEnabled(), timeout=5000)
    assert "checked out sound" in care.state.text()
    care.back_up.click()
    qtbot.waitUntil(lambda: "Backed up to" in window.banner.text, timeout=10000)
    assert "last backup" in care.state.text() and "by hand" in care.state.text()
    assert care.restore.isEnabled() and not care.repair.isEnabled()


def test_a_restore_closes_the_library_goes_back_and_opens_it_again(qtbot: QtBot, window: MainWindow):
    care = _care(window)
    controller = window.controller
    qtbot.waitUntil(lambda: care.back_up.isEnabled(), timeout=5000)
    care.back_up.click()
    qtbot.waitUntil(lambda: care.restore.isEnabled() and "Backed up" in window.banner.text, timeout=10000)
    assert controller.engine is not None
    controller.engine.store.rate(ME, "product:grinder", 1)  # made after the backup
    chosen = []
    care._choose_backup = lambda parent, found: chosen.append(found) or next(  # type: ignore[method-assign]
        b for b in found if b.reason == "by-hand")
    care._confirm = lambda parent, title, question: True  # type: ignore[method-assign]
    with qtbot.waitSignal(controller.engine_closed, timeout=5000), \
            qtbot.waitSignal(controller.engine_ready, timeout=30000):
        care.restore.click()
    qtbot.waitUntil(lambda: "Restored the backup" in window.banner.text, timeout=10000)
    assert chosen and controller.engine is not None
    assert "product:grinder" not in {r.item_id for r in controller.engine.store.ratings_of(ME)}
    qtbot.waitUntil(lambda: care.back_up.isEnabled(), timeout=5000)  # the box follows the reopened library


def test_a_damaged_database_offers_repair_and_no_backup(qtbot: QtBot, window: MainWindow):
    care = _care(window)
    assert window.controller.engine is not None
    window.controller.engine.store.damage = "database disk image is malformed"
    care.refresh()
    assert "damaged (database disk image is malformed)" in care.state.text()
    assert care.repair.isEnabled() and not care.back_up.isEnabled()
    window.controller.engine.store.damage = None  # the fixture closes it cleanly


def test_a_library_that_cannot_open_is_offered_its_backups_and_a_repair(qtbot: QtBot, paths):  # type: ignore[no-untyped-def]
    from app.domain.errors import DatabaseDamagedError
    from app.store.sqlite import SQLiteStore
    from app.ui.controller import SessionController
    from app.ui.jobs import Jobs
    from tests.tiny_catalogue import tiny_catalogue

    paths.ensure()
    store = SQLiteStore.open(paths.database)
    store.import_catalogue(tiny_catalogue())
    assert store.back_up("by-hand") is not None
    store.close()

    def damaged(_paths: object) -> object:
        raise DatabaseDamagedError("the database is damaged (malformed); run `chatrec repair`")

    jobs = Jobs()
    controller = SessionController(paths, jobs, open_engine=damaged)  # type: ignore[arg-type]
    window = MainWindow(controller, jobs)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(controller.engine_failed, timeout=10000):
        controller.open()
    care = _care(window)
    assert "could not open" in care.state.text() and "by hand" in care.state.text()
    assert care.restore.isEnabled() and care.repair.isEnabled() and not care.back_up.isEnabled()
    assert window.library_page is not None and window.library_page.isEnabled()


def test_the_safety_box_and_the_backups_tab_offer_a_backup_exactly_when_the_check_allows_one(
        qtbot: QtBot, window: MainWindow):
    from app.config import Settings
    from app.ui.settings_dialog import SettingsDialog

    care, engine = _care(window), window.controller.engine
    assert engine is not None
    dialog = SettingsDialog(Settings(), window.controller.paths, window.jobs, window, list_devices=list,
                            controller=window.controller)
    qtbot.addWidget(dialog)
    panel = dialog.backups
    assert panel is not None
    qtbot.waitUntil(lambda: care.back_up.isEnabled(), timeout=5000)
    for read_only, damage in ((True, None), (False, "database disk image is malformed"), (False, None)):
        engine.store.read_only, engine.store.damage = read_only, damage
        care.refresh()
        panel.refresh()
        allowed = engine.library_status.check().can_back_up
        assert allowed is (not read_only and damage is None)
        assert care.back_up.isEnabled() is allowed and panel.back_up.isEnabled() is allowed
    qtbot.waitUntil(lambda: not window.jobs.is_running("settings-models"), timeout=10000)
    dialog.reject()
