"""The Library page: imports show progress and results, cancel stops, failures are listed with reasons."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.bootstrap import Engine, open_engine
from app.domain.errors import InputError
from app.domain.music import FoundFile, TrackAnalysis
from app.domain.progress import CancelToken, ProgressCallback
from app.paths import AppPaths
from app.ui.jobs import Jobs
from app.ui.library_page import LibraryPage
from tests.fakes.analyser import FakeTrackAnalyser, write_track
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.vector_store import InMemoryVectorStore


class GatedAnalyser(FakeTrackAnalyser):
    """Waits after each file until the test opens the gate, so a cancel lands mid-import."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def analyse(self, files: Sequence[FoundFile], progress: ProgressCallback,
                cancel: CancelToken | None = None) -> Iterator[TrackAnalysis]:
        """The fake's analyses, pausing at the gate after each."""
        for analysis in super().analyse(files, progress, cancel):
            yield analysis
            self.gate.wait(5)


@pytest.fixture
def analyser() -> GatedAnalyser:
    return GatedAnalyser()


@pytest.fixture
def music_engine(paths: AppPaths, analyser: GatedAnalyser) -> Iterator[Engine]:
    engine = open_engine(paths, embedder=FakeEmbedder(), vector_store=InMemoryVectorStore(),
                         sound_store=InMemoryVectorStore(), analyser=analyser)
    yield engine
    engine.close()


def _page(qtbot: QtBot, engine: Engine, **choosers: object) -> tuple[LibraryPage, Jobs]:
    jobs = Jobs()
    page = LibraryPage(jobs, **choosers)  # type: ignore[arg-type]
    qtbot.addWidget(page)
    page.show()
    assert not page.demo.isEnabled()  # nothing to import into before the engine is open
    page.set_engine(engine)
    qtbot.waitUntil(lambda: page.demo.isEnabled() and not jobs.is_running("library-status"), timeout=5000)
    return page, jobs


def _rows(table: object) -> list[list[str]]:
    from PySide6.QtWidgets import QTableWidget

    assert isinstance(table, QTableWidget)
    return [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount()) if not table.isRowHidden(r)]


def test_the_demo_import_shows_progress_then_counts(qtbot: QtBot, engine: Engine) -> None:
    page, _jobs = _page(qtbot, engine)
    assert "1 product;" in page.summary.text()  # the tiny catalogue's one product
    seen: list[str] = []
    page.progress.valueChanged.connect(lambda value: seen.append(page.message.text()))
    with qtbot.waitSignal(page.library_changed, timeout=20000), qtbot.waitSignal(page.notice, timeout=20000) as note:
        page.demo.click()
        assert page.cancel.isEnabled() and not page.demo.isEnabled()  # one import at a time, cancellable
    assert "Imported products" in note.args[0]
    assert seen, "the progress bar moved"
    qtbot.waitUntil(lambda: "products;" in page.summary.text(), timeout=5000)
    assert "ratings from" in page.summary.text()
    assert _rows(page.runs)[0][1:4] == ["products", _rows(page.runs)[0][2], "done"]
    assert page.demo.isEnabled() and not page.cancel.isEnabled()


def test_a_music_import_lists_the_broken_file_and_why(qtbot: QtBot, music_engine: Engine, analyser: GatedAnalyser,
                                                     tmp_path: Path) -> None:
    analyser.gate.set()
    root = tmp_path / "Music"
    write_track(root / "Good.ogg", [1, 2, 3, 4], title="Good Song")
    (root / "Broken.mp3").write_bytes(b"\x00\x01 not audio")
    page, _jobs = _page(qtbot, music_engine, choose_folder=lambda parent: str(root))
    with qtbot.waitSignal(page.notice, timeout=20000) as note:
        page.add_folder.click()
    assert "1 could not be imported" in note.args[0]
    qtbot.waitUntil(lambda: page.failures.rowCount() == 1, timeout=5000)
    path, reason = _rows(page.failures)[0]
    assert path.endswith("Broken.mp3") and "not an audio file that can be decoded" in reason
    assert f"{root} — 1 track indexed" in page.folders.item(0).text()
    assert page.rescan.isEnabled()
    page.filter.setText("no such words")
    assert _rows(page.failures) == []
    page.filter.setText("DECODED")
    assert len(_rows(page.failures)) == 1


def test_cancel_stops_a_music_import_and_says_so(qtbot: QtBot, music_engine: Engine, analyser: GatedAnalyser,
                                                tmp_path: Path) -> None:
    root = tmp_path / "Music"
    for n in range(4):
        write_track(root / f"Track{n}.ogg", [n, 1, 2, 3])
    page, _jobs = _page(qtbot, music_engine, choose_folder=lambda parent: str(root))
    changed: list[bool] = []
    page.library_changed.connect(lambda: changed.append(True))
    page.add_folder.click()
    qtbot.waitUntil(lambda: len(analyser.analysed) >= 1, timeout=10000)
    with qtbot.waitSignal(page.notice, timeout=10000) as note:
        page.cancel.click()
        assert "Cancelling" in page.message.text()
        analyser.gate.set()
    assert "Import cancelled" in note.args[0] and "kept" in note.args[0]
    assert "Import cancelled" in page.message.text()
    assert len(analyser.analysed) < 4
    assert changed == [True]  # what was kept is shown by the other pages too
    qtbot.waitUntil(lambda: "interrupted" in [row[3] for row in _rows(page.runs)], timeout=5000)
    assert page.add_folder.isEnabled()


def test_a_bad_csv_reports_file_and_line_without_blocking(qtbot: QtBot, engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "shop.csv"
    bad.write_text("id,title,category,price,year\nkettle,Kettle,Kitchen,20,2020\n"
                   "toaster,Toaster,Kitchen,30,not-a-year\n", encoding="utf-8")
    page, _jobs = _page(qtbot, engine, choose_products=lambda parent: (bad, None))
    with qtbot.waitSignal(page.failed, timeout=10000) as caught:
        page.products.click()
    error = caught.args[0]
    assert isinstance(error, InputError)
    assert str(bad) in str(error) and "line 3" in str(error)
    assert "Import failed" in page.message.text() and "line 3" in page.message.text()
    assert page.products.isEnabled()  # the page is ready for the next try


def test_every_control_has_an_accessible_name(qtbot: QtBot, engine: Engine) -> None:
    from PySide6.QtWidgets import QAbstractButton, QLineEdit, QListWidget, QTableWidget

    page, _jobs = _page(qtbot, engine)
    controls = page.findChildren(QAbstractButton) + page.findChildren(QLineEdit) + \
        page.findChildren(QTableWidget) + page.findChildren(QListWidget)
    # Qt's own parts (a line edit's clear button, a table's corner button) are named by Qt
    unnamed = [c for c in controls if not c.accessibleName() and not c.objectName().startswith("qt_")
               and type(c.parent()).__name__ != "QLineEdit"]
    assert unnamed == []


def test_progress_shows_a_time_left_from_the_pace(qtbot: QtBot, engine: Engine) -> None:
    page, _jobs = _page(qtbot, engine)
    page._on_progress(0, 100, "writing items")
    qtbot.wait(60)
    page._on_progress(50, 100, "writing items")
    assert page.message.text() == "Writing items…"
    assert page.eta.text().startswith("about ") and page.eta.text().endswith(" left")
    page._on_progress(3, 10, "listening to tracks (about 4 s left)")  # the scan's own ETA is not doubled
    assert page.eta.text() == ""


def test_a_history_import_asks_which_film_an_ambiguous_one_is_then_saves_the_choice(
        qtbot: QtBot, engine: Engine, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QComboBox

    from app.domain.items import ME, Item
    from app.store.sqlite import CatalogueImport

    engine.store.import_catalogue(CatalogueImport("products", "extra", "t", [
        Item("movie:heat-1986", "movie", "Heat", year=1986)]))
    export = tmp_path / "ratings.csv"
    export.write_text("Date,Name,Year,Letterboxd URI,Rating\n2024-01-05,Fargo,1996,u,5\n2024-01-07,Heat,,u,4\n",
                      encoding="utf-8")
    page, _jobs = _page(qtbot, engine, choose_history=lambda parent: [export])
    with qtbot.waitSignal(page.notice, timeout=10000) as done:
        page.history.click()
    assert "1 of 2 films matched" in done.args[0] and "1 could be more than one film" in done.args[0]
    assert page.unsure.isVisible() and page.unsure.rowCount() == 1 and page.unsure.item(0, 0).text() == "Heat"
    combo = page.unsure.cellWidget(0, 1)
    assert isinstance(combo, QComboBox)
    assert [combo.itemText(i) for i in range(combo.count())] == ["Leave it out", "Heat (1986)", "Heat (1995)"]
    combo.setCurrentIndex(1)
    with qtbot.waitSignal(page.notice, timeout=10000) as again:
        page.save_choices.click()
    assert "2 of 2 films matched" in again.args[0]
    assert not page.unsure.isVisible()
    assert {r.item_id: r.stars for r in engine.store.ratings_of(ME)} == {"movie:fargo": 5.0, "movie:heat-1986": 4.0}


def test_movielens_from_grouplens_imports_through_the_page(qtbot: QtBot, engine: Engine, tmp_path: Path) -> None:
    from tests.unit.catalog.test_grouplens import ML_LATEST, zipped

    release = zipped(tmp_path, "ml-latest-small.zip", ML_LATEST)
    page, _jobs = _page(qtbot, engine, choose_movielens=lambda parent: release)
    with qtbot.waitSignal(page.notice, timeout=10000) as done:
        page.grouplens.click()
    assert "Imported movielens from ml-latest-small" in done.args[0]


def test_the_download_dialog_shows_the_size_and_downloads_only_once_agreed(qtbot: QtBot, engine: Engine,
                                                                          tmp_path: Path, grouplens: object,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from app.ui.download_dialog import DownloadDialog
    from tests.fakes.grouplens_server import publish
    from tests.unit.catalog.test_grouplens import ML_LATEST, zipped

    url, files = grouplens  # type: ignore[misc]
    release = zipped(tmp_path, "source.zip", ML_LATEST).read_bytes()
    publish(files, release)
    monkeypatch.setattr("app.catalog.grouplens_download.GROUPLENS", url)
    jobs = Jobs()
    dialog = DownloadDialog(jobs, engine.catalogue.movielens_release)
    qtbot.addWidget(dialog)
    assert dialog.chosen() == "ml-latest-small" and not dialog.download.isEnabled()  # nothing before consent
    qtbot.waitUntil(lambda: "MB, from" in dialog.size_label.text(), timeout=5000)
    assert f"{len(release) / 1e6:,.1f} MB" in dialog.size_label.text()
    dialog.agree.setChecked(True)
    assert dialog.download.isEnabled()

    page, _jobs = _page(qtbot, engine, choose_release=lambda parent: "ml-latest-small")
    with qtbot.waitSignal(page.notice, timeout=10000) as done:
        page.download.click()
    assert "Imported movielens from ml-latest-small" in done.args[0]


def test_a_listening_history_is_described_in_plays_and_tracks() -> None:
    from app.services.film_history import HistoryReport
    from app.ui.library_page import describe_result

    text = describe_result(HistoryReport("spotify", 160000, 91, 91, (), ("A - B",), (), unit="plays"))
    assert text.startswith("Imported your spotify history: 160,000 plays of 91 library tracks, 91 saved")


def test_the_one_click_movielens_imports_show_only_where_their_copies_are_installed(
        qtbot: QtBot, music_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    page, _ = _page(qtbot, music_engine)
    assert page.movielens_100k.isVisible() and page.movielens_1m.isVisible()  # the development machine has both
    monkeypatch.setattr(music_engine.catalogue, "movielens_copies", lambda: ())  # an installed app has none
    page.set_engine(music_engine)
    assert not page.movielens_100k.isVisible() and not page.movielens_1m.isVisible()
    assert page.grouplens.isVisible() and page.download.isVisible()  # the ways in it does have


def test_a_damaged_database_is_said_on_the_page_and_nothing_more_is_read_from_it(
        qtbot: QtBot, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    page, jobs = _page(qtbot, engine)
    assert "1 product;" in page.summary.text() and page.runs.isVisible()

    def unreadable(*_args: object) -> object:
        raise AssertionError("the page read a damaged database")

    for read in ("count", "domain_counts", "import_runs", "schema_version"):
        monkeypatch.setattr(engine.store, read, unreadable)
    failed: list[object] = []
    page.failed.connect(failed.append)
    engine.store.damage = "database disk image is malformed"
    try:
        page.refresh()
        qtbot.waitUntil(lambda: not jobs.is_running("library-status"), timeout=5000)
        assert page.summary.text() == ("The database is damaged (database disk image is malformed), so what it holds "
                                       "is not shown. Repair it, or restore a backup, under Safety below.")
        assert failed == [] and page.is_empty() is None  # unknown, not empty: the first-run offer does not judge it
        assert not any(w.isVisible() for w in (page.folders, page.folders_empty, page.failures, page.runs,
                                                page.runs_empty))
        assert page.care.repair.isEnabled() and not page.care.back_up.isEnabled()
    finally:
        engine.store.damage = None  # the fixture closes it cleanly
