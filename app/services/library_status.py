"""What the library holds and how it is: the one read behind the Library page, its Safety box and `chatrec status`.

Each front end renders the same facts its own way (sentences and tables in the window, a text or JSON
report in the terminal); none of them reads the store for these itself. A damaged database is reported as
a DamagedLibrary and nothing more is read from it: its tables may fail to read, or read wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.domain.lists import ImportRun
from app.domain.music import SkippedFile
from app.services.index import ItemIndex
from app.store.backup import Backup, backups
from app.store.music import MusicFileStore
from app.store.sqlite import SQLiteStore

DatabaseState = Literal["ok", "damaged", "read-only"]
RUNS_SHOWN = 20  # the latest import runs a report lists


@dataclass(frozen=True)
class DatabaseCheck:
    """The database file's state (a damaged or read-only one is not written), what is wrong, its newest backup."""

    state: DatabaseState
    problem: str | None
    last_backup: Backup | None

    @property
    def can_back_up(self) -> bool:
        """Whether a backup may be taken from it: a damaged file is not copied over the good backups, and a
        read-only one refuses every write (the store says so if asked anyway)."""
        return self.state == "ok"


@dataclass(frozen=True)
class MusicFolder:
    """A music folder the library scans and how many of its tracks are indexed."""

    root: str
    indexed: int


@dataclass(frozen=True)
class LibraryReport:
    """What the library holds: its folders, counts, music, latest imports and the database's state."""

    data_dir: Path
    database: Path
    check: DatabaseCheck
    schema_version: int
    items: int
    domains: dict[str, int]  # items per domain
    users: int
    ratings: int
    lists: int
    folders: tuple[MusicFolder, ...]
    tracks_indexed: int
    skipped: tuple[SkippedFile, ...]  # music files left out, and why
    runs: tuple[ImportRun, ...]  # newest first
    index_current: bool | None = None  # whether the search index holds every item; None: not asked

    @property
    def is_empty(self) -> bool:
        """True when nothing is imported yet."""
        return not any(self.domains.values())


@dataclass(frozen=True)
class DamagedLibrary:
    """A library whose database is damaged: where it is and what is wrong (check.problem), nothing it holds.

    Its way out is a repair or a restore of a backup (check.last_backup, the newest)."""

    data_dir: Path
    database: Path
    check: DatabaseCheck


class LibraryStatus:
    """Reads the library's state from the store, the music files, the index and the backups folder."""

    def __init__(self, store: SQLiteStore, music_files: MusicFileStore, index: ItemIndex, data_dir: Path) -> None:
        self._store = store
        self._music_files = music_files
        self._index = index
        self._data_dir = data_dir

    def check(self) -> DatabaseCheck:
        """The database's state and newest backup, without reading its tables (a damaged file may not be read)."""
        store = self._store
        state: DatabaseState = "damaged" if store.damage else "read-only" if store.read_only else "ok"
        return DatabaseCheck(state, store.damage, next(iter(backups(store.path)), None))

    def report(self, *, runs: int = RUNS_SHOWN, index: bool = False) -> LibraryReport | DamagedLibrary:
        """Everything the library holds, or DamagedLibrary when its database is damaged (then nothing else is
        read); index: also ask whether the search index is current (this may open it, seconds the first time,
        so the window leaves it to its warm-up)."""
        store = self._store
        check = self.check()
        if check.state == "damaged":
            return DamagedLibrary(self._data_dir, store.path, check)
        summary = self._music_files.summary()
        folders = tuple(MusicFolder(root, sum(1 for known in self._music_files.known([root]).values()
                                               if known.status == "indexed")) for root in summary.roots)
        return LibraryReport(
            self._data_dir, store.path, check, store.schema_version(), store.count("items"),
            store.domain_counts(), store.count("users"), store.count("ratings"), store.count("lists"), folders,
            summary.indexed, summary.skipped, tuple(store.import_runs(runs)),
            self._index.is_current() if index else None)
