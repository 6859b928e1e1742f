"""The Lists page and the export dialog, driven as a user would: lists, entries, keys, drops, exports."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.bootstrap import Engine
from app.domain.items import ME
from app.export.formats import FORMATS
from app.ui.export_dialog import ExportDialog
from app.ui.jobs import Jobs
from app.ui.lists_page import EMPTY_LIST, NO_LISTS, RATING_COLUMN, STILL_SAVING, ListsPage
from tests.tiny_catalogue import item_id

FILMS = [item_id("fargo"), item_id("heat"), item_id("up")]


class Page(ListsPage):
    """The page with its confirmations answered by the test instead of a modal box."""

    confirm = True

    def _confirm_delete(self, name: str) -> bool:
        return self.confirm


@pytest.fixture
def page(qtbot: QtBot, engine: Engine) -> Iterator[Page]:
    jobs = Jobs()
    widget = Page(jobs)
    qtbot.addWidget(widget)
    widget.set_engine(engine)
    widget.show()
    yield widget
    jobs.cancel_all()
    jobs.wait(5000)


@pytest.fixture
def messages(page: Page) -> tuple[list[str], list[BaseException]]:
    notices: list[str] = []
    failures: list[BaseException] = []
    page.notice.connect(notices.append)
    page.failed.connect(failures.append)
    return notices, failures


def settle(qtbot: QtBot, page: Page) -> None:
    """Wait until the page's changes are saved and shown (they are written off the GUI thread)."""
    qtbot.waitUntil(lambda: not page.saving(), timeout=10_000)


def _filled(qtbot: QtBot, page: Page, name: str = "Crime night") -> Page:
    page.add_items(name, FILMS)
    settle(qtbot, page)
    return page


def test_before_the_engine_opens_the_page_is_disabled(qtbot: QtBot) -> None:
    widget = ListsPage(Jobs())
    qtbot.addWidget(widget)
    assert not widget.isEnabled()


def test_no_lists_shows_a_helpful_sentence(page: Page) -> None:
    assert page.lists_stack.currentWidget() is page.no_lists_label
    assert page.no_lists_label.text() == NO_LISTS


def test_new_list_gets_a_free_name_and_an_empty_state(page: Page, qtbot: QtBot, engine: Engine) -> None:
    changed: list[None] = []
    page.lists_changed.connect(lambda: changed.append(None))
    page.new_button.click()
    page.new_list()  # before the first is saved: each still gets a free name
    settle(qtbot, page)
    assert page.list_names() == ["New list", "New list 2"]
    assert [p.name for p in engine.lists.all()] == ["New list", "New list 2"]
    assert changed
    assert page.entries_stack.currentWidget() is page.entries_hint
    assert page.entries_hint.text() == EMPTY_LIST


def test_add_items_creates_the_list_and_shows_the_entries(page: Page, engine: Engine, qtbot: QtBot,
                                                         messages: tuple[list[str], list[BaseException]]) -> None:
    _filled(qtbot, page)
    assert page.current_list() == "Crime night"
    assert page.entry_titles() == ["Fargo", "Heat", "Up"]
    page.add_items("Crime night", [item_id("heat"), item_id("se7en")])
    settle(qtbot, page)
    assert page.entry_titles() == ["Fargo", "Heat", "Up", "Se7en"]
    assert messages[0][-1] == "Added 1 entry to “Crime night”. 1 was there already."
    row = [page.model.index(3, c).data() for c in range(5)]
    assert row == ["4", "Se7en", "", "1995", ""]


def test_adding_to_a_list_named_in_another_case_fills_that_list(page: Page, engine: Engine, qtbot: QtBot,
                                                               messages: tuple[list[str], list[BaseException]]) -> None:
    _filled(qtbot, page)
    page.add_items(" CRIME NIGHT ", [item_id("se7en")])  # "Add to list" with the name typed again, as the voice does
    settle(qtbot, page)
    assert page.list_names() == ["Crime night"] and page.current_list() == "Crime night"
    assert page.entry_titles() == ["Fargo", "Heat", "Up", "Se7en"]
    assert messages[0][-1] == "Added 1 entry to “Crime night”."
    page.add_items("Late shows", [item_id("nope")])  # an unknown item: refused, and no empty list is left behind
    settle(qtbot, page)
    assert "unknown item" in str(messages[1][-1]) and page.list_names() == ["Crime night"]


def test_rename_in_place_and_a_duplicate_name_is_refused_without_blocking(
        page: Page, engine: Engine, qtbot: QtBot, messages: tuple[list[str], list[BaseException]]) -> None:
    _filled(qtbot, page, "A")
    page.new_list("B")
    settle(qtbot, page)
    page.select_list("A")
    item = page.lists_view.currentItem()
    item.setText("Films")  # what committing the in-place editor does
    settle(qtbot, page)
    assert page.list_names() == ["B", "Films"]
    assert page.current_list() == "Films"
    assert page.entry_titles() == ["Fargo", "Heat", "Up"]
    page.lists_view.currentItem().setText("B")
    settle(qtbot, page)
    failures = messages[1]
    assert "exists already" in str(failures[-1])
    assert page.list_names() == ["B", "Films"]  # the view shows what the store has
    assert sorted(p.name for p in engine.lists.all()) == ["B", "Films"]


def test_delete_asks_first(page: Page, engine: Engine, qtbot: QtBot) -> None:
    _filled(qtbot, page)
    page.confirm = False
    page.lists_view.setFocus()
    qtbot.keyClick(page.lists_view, Qt.Key.Key_Delete)
    assert page.list_names() == ["Crime night"]
    page.confirm = True
    qtbot.keyClick(page.lists_view, Qt.Key.Key_Delete)
    settle(qtbot, page)
    assert page.list_names() == []
    assert engine.lists.all() == []
    assert page.lists_stack.currentWidget() is page.no_lists_label


def test_reorder_by_drop(page: Page, engine: Engine, qtbot: QtBot) -> None:
    _filled(qtbot, page)
    model = page.model
    dragged = model.mimeData([model.index(0, 1)])
    # Dropped into the gap below the last row: Fargo goes to the end.
    model.dropMimeData(dragged, Qt.DropAction.MoveAction, 3, 0, QModelIndex())
    settle(qtbot, page)
    assert page.entry_titles() == ["Heat", "Up", "Fargo"]
    assert engine.lists.get("Crime night").item_ids == (item_id("heat"), item_id("up"), item_id("fargo"))
    # Dropped onto the first row: Up takes its place.
    model.dropMimeData(model.mimeData([model.index(1, 0)]), Qt.DropAction.MoveAction, -1, -1, model.index(0, 0))
    settle(qtbot, page)
    assert page.entry_titles() == ["Up", "Heat", "Fargo"]


def test_reorder_and_remove_from_the_keyboard(page: Page, engine: Engine, qtbot: QtBot) -> None:
    _filled(qtbot, page)
    assert page.list_title.text() == "Crime night · 3 entries"
    page.lists_view.setFocus()
    qtbot.keyClick(page.lists_view, Qt.Key.Key_Return)  # Enter goes on to the list's entries
    assert page.selected_position() == 1
    qtbot.keyClick(page.entries_view, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    settle(qtbot, page)
    assert page.entry_titles() == ["Heat", "Fargo", "Up"]
    assert page.selected_position() == 2  # the moved entry stays chosen, so it can go on moving
    qtbot.keyClick(page.entries_view, Qt.Key.Key_Up, Qt.KeyboardModifier.AltModifier)
    settle(qtbot, page)
    assert page.entry_titles() == ["Fargo", "Heat", "Up"]
    page.select_position(3)
    page.up_button.click()
    settle(qtbot, page)
    assert page.entry_titles() == ["Fargo", "Up", "Heat"]
    assert page.selected_position() == 2
    qtbot.keyClick(page.entries_view, Qt.Key.Key_Delete)  # removes the moved entry, Up
    settle(qtbot, page)
    assert page.entry_titles() == ["Fargo", "Heat"]
    assert engine.lists.get("Crime night").item_ids == (item_id("fargo"), item_id("heat"))


def test_rating_in_the_list_writes_the_store_and_shows_at_once(page: Page, engine: Engine, qtbot: QtBot) -> None:
    _filled(qtbot, page)
    page.entries_view.setFocus()
    page.select_position(2)
    qtbot.keyClick(page.entries_view, Qt.Key.Key_4)
    settle(qtbot, page)
    mine = {r.item_id: r.stars for r in engine.store.ratings_of(ME)}
    assert mine[item_id("heat")] == 4.0
    cell = page.model.index(1, RATING_COLUMN)
    assert cell.data() == "★★★★☆"
    assert cell.data(Qt.ItemDataRole.AccessibleTextRole) == "4 of 5 stars"
    # The editor's path (a combo box): 2 stars for Up.
    page.model.setData(page.model.index(2, RATING_COLUMN), 2)
    settle(qtbot, page)
    assert {r.item_id: r.stars for r in engine.store.ratings_of(ME)}[item_id("up")] == 2.0
    assert page.model.index(2, RATING_COLUMN).data() == "★★☆☆☆"
    page.select_position(2)
    qtbot.keyClick(page.entries_view, Qt.Key.Key_0)
    settle(qtbot, page)
    assert item_id("heat") not in {r.item_id for r in engine.store.ratings_of(ME)}
    assert page.model.index(1, RATING_COLUMN).data() == ""


def test_changes_wait_for_an_import_without_freezing_the_window(
        page: Page, engine: Engine, qtbot: QtBot, messages: tuple[list[str], list[BaseException]]) -> None:
    _filled(qtbot, page)
    inside, release = threading.Event(), threading.Event()

    def importing() -> None:  # what a MovieLens import does: one transaction held for seconds
        with engine.store.transaction():
            inside.set()
            release.wait(20)

    writer = threading.Thread(target=importing)
    writer.start()
    try:
        assert inside.wait(5)
        started = time.perf_counter()
        page.add_items("Later", [item_id("heat")])
        page.refresh()  # reads see the last commit at once
        returned = time.perf_counter() - started
        assert page.saving() and returned < 5  # the import holds on for 20 s; the window did not wait
        assert page.list_names() == ["Crime night"]
        page.select_list("Crime night")
        page.select_position(1)
        qtbot.keyClick(page.entries_view, Qt.Key.Key_Delete)  # by position: refused until the save lands
        assert page.entry_titles() == ["Fargo", "Heat", "Up"]
        qtbot.waitUntil(lambda: STILL_SAVING in messages[0], timeout=5000)
    finally:
        release.set()
        writer.join()
    settle(qtbot, page)
    assert page.list_names() == ["Crime night", "Later"]
    assert engine.lists.get("Later").item_ids == (item_id("heat"),)
    assert engine.lists.get("Crime night").item_ids == tuple(FILMS)
    assert messages[1] == []


def test_every_control_has_an_accessible_name(page: Page, qtbot: QtBot) -> None:
    _filled(qtbot, page)
    dialog = page.open_export_dialog()
    assert dialog is not None
    unnamed = [w for w in [*page.findChildren(QWidget), *dialog.findChildren(QWidget)]
               if w.focusPolicy() != Qt.FocusPolicy.NoFocus and w.isVisibleTo(w.window())
               and not w.accessibleName() and w.metaObject().className() not in ("QSplitterHandle",)]
    assert [w.metaObject().className() for w in unnamed if w.parent() is not None
            and w.metaObject().className() in ("QPushButton", "QLineEdit", "QComboBox", "QListWidget",
                                               "QTableView")] == []


# --- export --------------------------------------------------------------------------------------

class Chooser:
    """A file chooser that answers with a fixed path and remembers what it was asked."""

    def __init__(self, answer: Path) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, parent: QWidget, caption: str, start: str, filters: str) -> str:
        self.asked.append(filters)
        return str(self.answer)


def _dialog(page: Page, chooser: Chooser | None = None, overwrite: bool = False) -> ExportDialog:
    page._choose_file = chooser
    dialog = page.open_export_dialog()
    assert dialog is not None and dialog.isVisible()
    dialog._confirm_overwrite = lambda path: overwrite  # type: ignore[method-assign]
    return dialog


def _export(qtbot: QtBot, dialog: ExportDialog) -> None:
    with qtbot.waitSignals([dialog.exported], timeout=10_000):
        dialog.export_button.click()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_export_writes_each_format(page: Page, qtbot: QtBot, tmp_path: Path, fmt: str,
                                   messages: tuple[list[str], list[BaseException]]) -> None:
    _filled(qtbot, page)
    chooser = Chooser(tmp_path / "out" / "crime")
    (tmp_path / "out").mkdir()
    dialog = _dialog(page, chooser)
    dialog.set_format(fmt)
    assert dialog.format_description.text().lower().startswith(FORMATS[fmt].description[:10].lower())
    dialog.browse_button.click()
    target = tmp_path / "out" / ("crime" + FORMATS[fmt].extension)
    assert dialog.path() == target  # the chooser's name got the format's extension
    assert dialog.paths_group.isVisibleTo(dialog) == (fmt in ("m3u8", "xspf", "jspf"))
    _export(qtbot, dialog)
    assert target.is_file()
    notices, failures = messages
    assert failures == []
    if fmt == "m3u8":  # films have no file to play: every entry is reported as skipped
        assert notices[-1].startswith(f"Exported 0 entries to {target} (3 skipped: a movie, not a music track")
    else:
        assert notices[-1] == f"Exported 3 entries to {target}"
    if fmt == "json":
        assert [e["title"] for e in json.loads(target.read_text(encoding="utf-8"))["items"]] == ["Fargo", "Heat", "Up"]
    assert not dialog.isVisible()


def test_export_asks_before_overwriting(page: Page, qtbot: QtBot, tmp_path: Path,
                                        messages: tuple[list[str], list[BaseException]]) -> None:
    _filled(qtbot, page)
    target = tmp_path / "crime.csv"
    target.write_text("mine, keep me\n", encoding="utf-8")
    dialog = _dialog(page, overwrite=False)
    dialog.set_path(target)
    assert dialog.format() == "csv"
    dialog.export_button.click()
    qtbot.wait(50)
    assert target.read_text(encoding="utf-8") == "mine, keep me\n"
    assert "left as it was" in dialog.status_label.text()
    assert dialog.isVisible()
    dialog._confirm_overwrite = lambda path: True  # type: ignore[method-assign]
    _export(qtbot, dialog)
    assert target.read_text(encoding="utf-8").startswith("Title,Year,Rating,WatchedDate")


def test_export_to_a_missing_folder_shows_the_error(page: Page, qtbot: QtBot, tmp_path: Path,
                                                    messages: tuple[list[str], list[BaseException]]) -> None:
    _filled(qtbot, page)
    dialog = _dialog(page)
    dialog.set_path(tmp_path / "nowhere" / "crime.json")
    with qtbot.waitSignal(page.failed, timeout=10_000):
        dialog.export_button.click()
    assert "does not exist" in str(messages[1][-1])
    assert "does not exist" in dialog.status_label.text()
    assert dialog.isVisible() and dialog.export_button.isEnabled()


@pytest.mark.skipif(os.name == "nt" or (hasattr(os, "geteuid") and os.geteuid() == 0),
                    reason="root (and Windows) can write into a read-only folder")
def test_export_to_a_read_only_folder_shows_the_error(page: Page, qtbot: QtBot, tmp_path: Path,
                                                      messages: tuple[list[str], list[BaseException]]) -> None:
    _filled(qtbot, page)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        dialog = _dialog(page)
        dialog.set_path(locked / "crime.json")
        with qtbot.waitSignal(page.failed, timeout=10_000):
            dialog.export_button.click()
        assert "could not write" in str(messages[1][-1])
    finally:
        locked.chmod(0o700)


def test_export_to_a_read_only_file_system_path_shows_the_error(
        page: Page, qtbot: QtBot, tmp_path: Path, messages: tuple[list[str], list[BaseException]]) -> None:
    # Root ignores folder permissions, so this one aims at a path no user can create: /proc is read-only.
    _filled(qtbot, page)
    dialog = _dialog(page)
    dialog.set_path(Path("/proc/crime.json"))
    with qtbot.waitSignal(page.failed, timeout=10_000):
        dialog.export_button.click()
    assert "/proc/crime.json" in str(messages[1][-1])
    assert dialog.isVisible()


def test_path_mode_and_mapping_reach_the_file(page: Page, engine: Engine, qtbot: QtBot, tmp_path: Path) -> None:
    from app.domain.items import Item
    from app.store.sqlite import CatalogueImport

    song = tmp_path / "Music" / "A" / "song.ogg"
    song.parent.mkdir(parents=True)
    song.write_bytes(b"OggS")
    engine.store.import_catalogue(CatalogueImport("music", "music", str(tmp_path / "Music"), [
        Item("music:1", "music", "Song", creators=("Band",), source=str(song)),
        Item("music:2", "music", "Other", creators=("Band",), source=str(tmp_path / "Music" / "B" / "two.ogg"))]))
    page.add_items("Mix", ["music:1", "music:2"])
    settle(qtbot, page)
    (tmp_path / "Playlists").mkdir()
    dialog = _dialog(page)
    dialog.set_path(tmp_path / "Playlists" / "mix.m3u8")
    dialog.set_path_mode("relative")
    dialog.set_path_map(str(tmp_path / "Music" / "B"), "/music/B")
    _export(qtbot, dialog)
    lines = [line for line in (tmp_path / "Playlists" / "mix.m3u8").read_text(encoding="utf-8").splitlines()
             if not line.startswith("#")]
    assert lines == [os.path.join("..", "Music", "A", "song.ogg"), "/music/B/two.ogg"]
