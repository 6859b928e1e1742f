"""The Library page: what is imported, imports with progress, ETA and cancel, and files that failed.

What the library holds comes from the LibraryStatus service (`chatrec status` reads the same report);
the page only renders it. Every import and every read of the library's state runs through Jobs, so the
page never blocks.
Cancel stops the engine at its next checkpoint; what was saved until then is kept (a music scan saves
as it goes; a catalogue import is all-or-nothing).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.items import titled
from app.domain.lists import ImportRun
from app.domain.music import SkippedFile
from app.domain.progress import CancelToken, PhasePace, ProgressCallback
from app.services.film_history import HistoryReport
from app.services.library_status import DamagedLibrary, LibraryReport
from app.services.music import MusicImportReport
from app.ui.a11y import clear_button, named_button, status_label
from app.ui.download_dialog import DownloadDialog
from app.ui.jobs import Job, Jobs

if TYPE_CHECKING:
    from app.bootstrap import Engine

IMPORT_JOB = "library-import"
STATUS_JOB = "library-status"
_DOMAIN_WORDS = {"movie": ("movie", "movies"), "music": ("music track", "music tracks"),
                 "product": ("product", "products")}
_RUNS_SHOWN = 10

FolderChooser = Callable[[QWidget], "str | None"]
ProductsChooser = Callable[[QWidget], "tuple[Path, Path | None] | None"]
PathChooser = Callable[[QWidget], "Path | None"]
PathsChooser = Callable[[QWidget], "list[Path]"]
ReleaseChooser = Callable[[QWidget], "str | None"]
_LEAVE_OUT = "Leave it out"
ImportWork = Callable[["Engine", ProgressCallback, CancelToken], object]


def describe_result(result: object) -> str:
    """One sentence for a finished import."""
    if isinstance(result, MusicImportReport):
        failed = len(result.skipped)
        return (f"Music scan finished: {result.found} files found, {result.added} added, {result.updated} "
                f"updated, {result.removed} removed" + (f"; {failed} could not be imported." if failed else "."))
    if isinstance(result, HistoryReport):
        unsure = f"; {len(result.ambiguous)} could be more than one film (choose below)" if result.ambiguous else ""
        missing = f"; {len(result.unmatched):,} not in your library" if result.unmatched else ""
        found = f"{result.matched:,} of {result.entries:,} films matched" if result.unit == "films" else \
            f"{result.entries:,} plays of {result.matched:,} library tracks"
        return (f"Imported your {result.format} history: {found}, {result.imported:,} saved as your "
                f"ratings{unsure}{missing}.")
    if isinstance(result, ImportRun):
        return (f"Imported {result.kind} from {result.source}: {result.items} items, {result.users} users, "
                f"{result.ratings} ratings.")
    return "Import finished."


def _ask_folder(parent: QWidget) -> str | None:
    chosen = QFileDialog.getExistingDirectory(parent, "Choose a music folder")
    return chosen or None


def _ask_movielens(parent: QWidget) -> Path | None:
    chosen, _ = QFileDialog.getOpenFileName(parent, "Choose a MovieLens release downloaded from GroupLens", "",
                                            "MovieLens zips (ml-*.zip);;All files (*)")
    return Path(chosen) if chosen else None


def _ask_history(parent: QWidget) -> list[Path]:
    chosen, _ = QFileDialog.getOpenFileNames(
        parent, "Choose your Letterboxd export, IMDb ratings or Spotify history", "",
        "Exports (*.zip *.csv *.json);;All files (*)")
    return [Path(c) for c in chosen]


def _ask_products(parent: QWidget) -> tuple[Path, Path | None] | None:
    products, _ = QFileDialog.getOpenFileName(parent, "Choose a product catalogue", "",
                                              "Product catalogues (*.csv *.tsv *.json);;All files (*)")
    if not products:
        return None
    ratings, _ = QFileDialog.getOpenFileName(parent, "Choose its ratings file (optional: Cancel to skip)", "",
                                             "Ratings (*.csv *.tsv);;All files (*)")
    return Path(products), Path(ratings) if ratings else None


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _title(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    font = QFont(label.font())
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 1.5)
    label.setFont(font)
    label.setAccessibleName(text)
    return label


def _table(headers: list[str], name: str, parent: QWidget) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setMaximumHeight(table.fontMetrics().height() * 16)  # about a dozen rows, then it scrolls
    return table


class LibraryPage(QWidget):
    """Imports music folders, MovieLens, product catalogues and the demo; shows what came in and what failed."""

    notice = Signal(str)
    failed = Signal(object)
    library_changed = Signal()

    def __init__(self, jobs: Jobs, parent: QWidget | None = None, *, choose_folder: FolderChooser = _ask_folder,
                 choose_products: ProductsChooser = _ask_products, choose_movielens: PathChooser = _ask_movielens,
                 choose_history: PathsChooser = _ask_history,
                 choose_release: ReleaseChooser | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("libraryPage")
        self._jobs = jobs
        self._engine: Engine | None = None
        self._choose_folder = choose_folder
        self._choose_products = choose_products
        self._choose_movielens = choose_movielens
        self._choose_history = choose_history
        self._choose_release = choose_release or self._ask_release
        self._history_paths: list[Path] = []
        self._history_choices: dict[tuple[str, int | None], str] = {}
        self._job: Job[object] | None = None
        self._empty: bool | None = None  # unknown until the first snapshot
        self._demo_pending = False  # the demo was asked for before the engine was open
        self._pace = PhasePace()
        self._build()
        # empty states stay hidden until the first snapshot says what is there
        for widget in (self.folders, self.folders_empty, self.filter, self.failures, self.runs, self.unsure,
                       self.save_choices):
            widget.hide()
        self._set_busy(False)

    # -- building -------------------------------------------------------------------------

    def _build(self) -> None:
        content = QWidget(self)
        content.setObjectName("libraryContent")
        layout = QVBoxLayout(content)
        spacing = self.fontMetrics().height()
        layout.setContentsMargins(spacing, spacing, spacing, spacing)
        layout.setSpacing(spacing)
        layout.addWidget(_title("Library", content))
        self.summary = QLabel("Opening your library…", content)
        self.summary.setObjectName("librarySummary")
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("What is imported")
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        layout.addWidget(self._build_music(content))
        layout.addWidget(self._build_catalogues(content))
        layout.addWidget(self._build_history(content))
        layout.addWidget(self._build_progress(content))
        layout.addWidget(self._build_failures(content))
        layout.addWidget(self._build_runs(content))
        from app.ui.library_care import LibraryCare

        self.care = LibraryCare(self._jobs, content, busy=self.is_importing)
        self.care.notice.connect(self.notice)
        self.care.failed.connect(self.failed)
        layout.addWidget(self.care)
        layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setObjectName("libraryScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def _build_music(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("Music folders", parent)
        box.setObjectName("musicFolders")
        layout = QVBoxLayout(box)
        self.folders = QListWidget(box)
        self.folders.setObjectName("musicFolderList")
        self.folders.setAccessibleName("Music folders and their indexed tracks")
        self.folders.setMaximumHeight(self.fontMetrics().height() * 7)
        self.folders_empty = QLabel("No music folders yet. Add one and Chat-Rec listens to every track "
                                    "in it (on this computer) to find what sounds alike.", box)
        self.folders_empty.setWordWrap(True)
        layout.addWidget(self.folders_empty)
        layout.addWidget(self.folders)
        row = QHBoxLayout()
        self.add_folder = named_button("&Add music folder…", "Choose a folder of music files to import", box,
                                  self._on_add_folder)
        self.rescan = named_button("&Re-scan music", "Look for new, changed and removed files in the music folders",
                              box, self._on_rescan)
        row.addWidget(self.add_folder)
        row.addWidget(self.rescan)
        row.addStretch(1)
        layout.addLayout(row)
        return box

    def _build_catalogues(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("Catalogues", parent)
        box.setObjectName("catalogues")
        grid = QGridLayout(box)
        self.movielens_100k = named_button("Import MovieLens &100K", "1,682 movies and 100,000 ratings", box,
                                      lambda: self._import_movielens("100k"))
        self.movielens_1m = named_button("Import MovieLens 1&M", "3,883 movies and a million ratings (slower)", box,
                                    lambda: self._import_movielens("1m"))
        self.products = named_button("Import &products…", "A CSV, TSV or JSON product catalogue, with an optional "
                                "ratings file", box, self._on_import_products)
        self.demo = named_button("Load the &demo catalogue", "A small product catalogue with shoppers' ratings, "
                            "to try Chat-Rec out", box, self._on_demo)
        self.grouplens = named_button("Import MovieLens from a &file…", "A release downloaded from grouplens.org: "
                                 "ml-latest-small.zip, ml-1m.zip, ml-25m.zip...", box, self._on_grouplens)
        self.download = named_button("Do&wnload MovieLens from GroupLens…", "Choose a release, see its size and "
                                "GroupLens's terms, and download it with your agreement", box, self._on_download)
        for index, button in enumerate((self.movielens_100k, self.movielens_1m, self.products, self.demo,
                                        self.grouplens, self.download)):
            grid.addWidget(button, index // 2, index % 2)
        return box

    def _build_history(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("Your history", parent)
        box.setObjectName("yourHistory")
        layout = QVBoxLayout(box)
        self.history_note = QLabel("Bring the films you rated on Letterboxd or IMDb and what you played on Spotify: "
                                   "each becomes one of your ratings. What fits several films is asked here "
                                   "before it is saved.", box)
        self.history_note.setWordWrap(True)
        self.history = named_button("Import your &history…", "Letterboxd's export, IMDb's ratings.csv or Spotify's "
                               "streaming history", box, self._on_history)
        self.unsure = _table(["Your film", "Which one is it?"], "historyAmbiguous", box)
        self.unsure.setAccessibleName("Films that could be more than one in your library")
        self.save_choices = named_button("&Save these choices", "Import the history again with the films you chose",
                                    box, self._on_save_choices)
        layout.addWidget(self.history_note)
        layout.addWidget(self.history)
        layout.addWidget(self.unsure)
        layout.addWidget(self.save_choices)
        return box

    def _build_progress(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("Import", parent)
        box.setObjectName("importProgress")
        layout = QVBoxLayout(box)
        self.message = status_label("No import running.", "importMessage", "Import status", box)
        row = QHBoxLayout()
        self.progress = QProgressBar(box)
        self.progress.setObjectName("importProgressBar")
        self.progress.setAccessibleName("Import progress")
        self.eta = QLabel("", box)
        self.eta.setAccessibleName("Time left")
        self.cancel = named_button("&Cancel import", "Stop at the next checkpoint; what was already saved is kept",
                              box, self._on_cancel)
        row.addWidget(self.progress, 1)
        row.addWidget(self.eta)
        row.addWidget(self.cancel)
        layout.addWidget(self.message)
        layout.addLayout(row)
        return box

    def _build_failures(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("Files that could not be imported", parent)
        box.setObjectName("failedFiles")
        layout = QVBoxLayout(box)
        self.filter = QLineEdit(box)
        self.filter.setPlaceholderText("Filter by file or reason…")
        self.filter.setAccessibleName("Filter files that could not be imported")
        clear_button(self.filter, "Clear the filter")
        self.filter.textChanged.connect(self._apply_filter)
        self.failures_empty = QLabel("No files failed to import.", box)
        self.failures = _table(["File", "Why"], "failedFilesTable", box)
        self.failures.setAccessibleName("Files that could not be imported, and why")
        layout.addWidget(self.filter)
        layout.addWidget(self.failures_empty)
        layout.addWidget(self.failures)
        return box

    def _build_runs(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("Recent imports", parent)
        box.setObjectName("recentImports")
        layout = QVBoxLayout(box)
        self.runs = _table(["When", "What", "Source", "Status", "Items", "Notes"], "importRunsTable", box)
        self.runs.setAccessibleName("Recent imports")
        self.runs_empty = QLabel("Nothing imported yet.", box)
        layout.addWidget(self.runs_empty)
        layout.addWidget(self.runs)
        return box

    # -- engine and state ------------------------------------------------------------------

    def set_engine(self, engine: Engine) -> None:
        """Use this engine (opened in the background) and show what it holds."""
        self._engine = engine
        # The one-click MovieLens imports read development copies; without them, the file and the
        # download buttons are the way in, and a button that can only fail is not shown.
        copies = engine.catalogue.movielens_copies()
        self.movielens_100k.setVisible("100k" in copies)
        self.movielens_1m.setVisible("1m" in copies)
        self.care.set_engine(engine)
        self._set_busy(False)
        self.refresh()
        if self._demo_pending:
            self._demo_pending = False
            self._on_demo()

    def load_demo(self) -> None:
        """Load the demo catalogue now, or as soon as the engine is open (the first-run offer)."""
        if self._engine is None:
            self._demo_pending = True
            self.message.setText("The demo catalogue loads as soon as your library is open…")
        else:
            self._on_demo()

    def is_empty(self) -> bool | None:
        """Whether the catalogue holds no items; None until the library has been read."""
        return self._empty

    def refresh(self) -> None:
        """Re-read the counts, folders, failed files and runs in the background."""
        engine = self._engine
        if engine is not None:
            self._jobs.start(STATUS_JOB, lambda ctx: engine.library_status.report(runs=_RUNS_SHOWN),
                             on_done=self._show_report, on_error=self.failed.emit)
            self.care.refresh()  # an import takes a backup first

    def is_importing(self) -> bool:
        """Whether an import is running."""
        return self._job is not None

    def _set_busy(self, busy: bool) -> None:
        ready = self._engine is not None and not busy
        for button in (self.add_folder, self.movielens_100k, self.movielens_1m, self.products, self.demo,
                       self.grouplens, self.download, self.history, self.save_choices):
            button.setEnabled(ready)
        self.rescan.setEnabled(ready and self.folders.count() > 0)
        self.cancel.setEnabled(busy)
        self.cancel.setVisible(busy)
        self.progress.setVisible(busy)
        self.eta.setVisible(busy)

    def _show_report(self, report: LibraryReport | DamagedLibrary) -> None:
        if isinstance(report, DamagedLibrary):
            self._show_damaged(report)
            return
        self._empty = report.is_empty
        parts = [_count(count, *_DOMAIN_WORDS.get(domain, (domain, domain)))
                 for domain, count in report.domains.items() if count]
        if parts:
            self.summary.setText(f"{', '.join(parts)}; {_count(report.ratings, 'rating', 'ratings')} from "
                                 f"{_count(report.users, 'person', 'people')}.")
        else:
            self.summary.setText("Nothing imported yet. Add a music folder, import MovieLens or a product "
                                 "catalogue, or load the demo catalogue to try Chat-Rec out.")
        self.folders.clear()
        for folder in report.folders:
            self.folders.addItem(f"{folder.root} — {_count(folder.indexed, 'track', 'tracks')} indexed")
        self.folders.setVisible(bool(report.folders))
        self.folders_empty.setVisible(not report.folders)
        self._fill_failures(report.skipped)
        self._fill_runs(report.runs)
        self._set_busy(self.is_importing())

    def _show_damaged(self, report: DamagedLibrary) -> None:
        """Nothing was read from a damaged database: say so, and show no counts, folders or runs it may not hold."""
        self._empty = None  # unknown: what it holds was not read
        self.summary.setText(f"The database is damaged ({report.check.problem}), so what it holds is not shown. "
                             "Repair it, or restore a backup, under Safety below.")
        self.folders.clear()
        for widget in (self.folders, self.folders_empty, self.filter, self.failures, self.failures_empty, self.runs,
                       self.runs_empty):
            widget.hide()
        self._set_busy(self.is_importing())

    def _fill_failures(self, skipped: tuple[SkippedFile, ...]) -> None:
        self.failures.setRowCount(len(skipped))
        for row, skip in enumerate(skipped):
            for column, text in enumerate((skip.path, skip.reason)):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                self.failures.setItem(row, column, cell)
        self.failures.setVisible(bool(skipped))
        self.filter.setVisible(bool(skipped))
        self.failures_empty.setVisible(not skipped)
        self._apply_filter(self.filter.text())

    def _apply_filter(self, text: str) -> None:
        wanted = text.strip().casefold()
        for row in range(self.failures.rowCount()):
            cells = (self.failures.item(row, column) for column in range(2))
            shown = not wanted or any(c is not None and wanted in c.text().casefold() for c in cells)
            self.failures.setRowHidden(row, not shown)

    def _fill_runs(self, runs: tuple[ImportRun, ...]) -> None:
        self.runs.setRowCount(len(runs))
        for row, run in enumerate(runs):
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(run.started))
            for column, text in enumerate((when, run.kind, run.source, run.status, f"{run.items:,}", run.message)):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                self.runs.setItem(row, column, cell)
        self.runs.setVisible(bool(runs))
        self.runs_empty.setVisible(not runs)

    # -- imports ---------------------------------------------------------------------------

    def _on_add_folder(self) -> None:
        folder = self._choose_folder(self)
        if folder:
            self._start(f"Importing music from {folder}",
                        lambda e, p, c: e.music.import_folders([folder], p, c))

    def _on_rescan(self) -> None:
        self._start("Re-scanning the music folders", lambda e, p, c: e.music.import_folders([], p, c))

    def _import_movielens(self, size: str) -> None:
        self._start(f"Importing MovieLens {size.upper()}", lambda e, p, c: e.catalogue.import_movielens(size, p, c))

    def _on_import_products(self) -> None:
        chosen = self._choose_products(self)
        if chosen is not None:
            products, ratings = chosen
            self._start(f"Importing products from {products.name}",
                        lambda e, p, c: e.catalogue.import_products(products, ratings, p, c))

    def _on_grouplens(self) -> None:
        chosen = self._choose_movielens(self)
        if chosen is not None:
            self._start(f"Importing MovieLens from {chosen.name}",
                        lambda e, p, c: e.catalogue.import_movielens_from(chosen, p, c))

    def _on_download(self) -> None:
        release = self._choose_release(self)
        if release:
            self._start(f"Downloading {release} from GroupLens",
                        lambda e, p, c: e.catalogue.download_movielens(release, p, c))

    def _ask_release(self, parent: QWidget) -> str | None:
        engine = self._engine
        if engine is None:
            return None
        dialog = DownloadDialog(self._jobs, engine.catalogue.movielens_release, parent)
        return dialog.chosen() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def _on_history(self) -> None:
        chosen = self._choose_history(self)
        if chosen:
            self._history_paths, self._history_choices = chosen, {}
            self._import_history()

    def _on_save_choices(self) -> None:
        for row in range(self.unsure.rowCount()):
            combo = self.unsure.cellWidget(row, 1)
            if isinstance(combo, QComboBox) and combo.currentData():
                title, year = combo.property("film")
                self._history_choices[(title, year)] = combo.currentData()
        self._import_history()

    def _import_history(self) -> None:
        paths, choices = list(self._history_paths), dict(self._history_choices)
        names = ", ".join(p.name for p in paths)
        self._start(f"Importing your history from {names}",
                    lambda e, p, c: e.history.import_files(paths, p, choices))

    def _show_unsure(self, report: HistoryReport) -> None:
        """One row per film that fits several: a choice of the candidates, or leaving it out."""
        self.unsure.setRowCount(len(report.ambiguous))
        for row, film in enumerate(report.ambiguous):
            said = titled(film.title, film.year)
            self.unsure.setItem(row, 0, QTableWidgetItem(said))
            combo = QComboBox(self.unsure)
            combo.setAccessibleName(f"Which film is {said}")
            combo.addItem(_LEAVE_OUT, "")
            for label, item_id in zip(film.candidates, film.candidate_ids, strict=True):
                combo.addItem(label, item_id)
            combo.setProperty("film", (film.title, film.year))
            self.unsure.setCellWidget(row, 1, combo)
        self.unsure.setVisible(bool(report.ambiguous))
        self.save_choices.setVisible(bool(report.ambiguous))

    def _on_demo(self) -> None:
        self._start("Loading the demo catalogue", lambda e, p, c: e.catalogue.import_demo(p, c))

    def _start(self, what: str, work: ImportWork) -> None:
        engine = self._engine
        if engine is None or self.is_importing():
            return
        self._pace.restart()
        self.message.setText(f"{what}…")
        self.progress.setRange(0, 0)
        self.eta.setText("")
        self._set_busy(True)

        self._job = self._jobs.start(IMPORT_JOB, lambda ctx: work(engine, ctx.progress, ctx.cancel),
                                     on_done=self._on_done, on_error=self._on_error,
                                     on_progress=self._on_progress, on_cancelled=self._on_cancelled)

    def _on_progress(self, done: int, total: int, message: str) -> None:
        eta = self._pace.eta(done, total, message)  # the music scan puts its own ETA in the message
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
        else:
            self.progress.setRange(0, 0)
        self.message.setText(message[:1].upper() + message[1:] + "…" if message else "Working…")
        self.eta.setText(eta)

    def _on_cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self.message.setText("Cancelling: stopping at the next checkpoint…")
            self.cancel.setEnabled(False)

    def _finish(self) -> None:
        self._job = None
        self._set_busy(False)
        self.refresh()
        self.library_changed.emit()

    def _on_cancelled(self) -> None:
        self._show_outcome("Import cancelled; what was saved before the cancel is kept.")

    def _on_done(self, result: object) -> None:
        if isinstance(result, HistoryReport):
            self._show_unsure(result)
        self._show_outcome(describe_result(result))

    def _show_outcome(self, text: str) -> None:
        self.message.setText(text)
        self._finish()
        self.notice.emit(text)

    def _on_error(self, exc: BaseException) -> None:
        self.message.setText(f"Import failed: {exc}")
        self._finish()
        self.failed.emit(exc)
