"""The library's status, read once for the Library page, its Safety box and `chatrec status`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.bootstrap import Engine, open_engine
from app.paths import AppPaths
from app.services.library_status import DamagedLibrary
from tests.fakes.analyser import FakeTrackAnalyser, write_track
from tests.fakes.chat_model import FixedChatSource
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.vector_store import InMemoryVectorStore


@pytest.fixture
def library(paths: AppPaths) -> Iterator[Engine]:
    """An empty library on fakes that can import music folders."""
    engine = open_engine(paths, embedder=FakeEmbedder(), vector_store=InMemoryVectorStore(),
                         sound_store=InMemoryVectorStore(), analyser=FakeTrackAnalyser(), chat=FixedChatSource())
    yield engine
    engine.close()


def test_an_empty_library_says_so(library: Engine, paths: AppPaths) -> None:
    report = library.library_status.report()
    assert report.is_empty and report.items == 0 and report.domains == {}
    assert (report.users, report.ratings, report.lists) == (0, 0, 0)
    assert report.folders == () and report.skipped == () and report.runs == ()
    assert report.data_dir == library.paths.data and report.database == library.store.path
    assert report.check.state == "ok" and report.check.problem is None and report.check.last_backup is None
    assert report.index_current is None  # not asked: asking may open the index


def test_counts_folders_failed_files_and_imports(library: Engine, tmp_path: Path) -> None:
    library.catalogue.import_demo()
    jazz, piano = tmp_path / "Jazz", tmp_path / "Piano"
    write_track(jazz / "Blue.ogg", [1, 0, 0, 0])
    write_track(jazz / "Green.ogg", [0, 1, 0, 0])
    write_track(piano / "Nocturne.flac", [0, 0, 1, 0])
    (piano / "Broken.mp3").write_bytes(b"\x00 not audio")
    library.music.import_folders([str(jazz), str(piano)])
    library.lists.create("Evening")
    report = library.library_status.report(index=True)
    assert not report.is_empty and report.domains["music"] == 3 and report.items == sum(report.domains.values())
    assert report.domains["product"] > 0 and report.users > 1 and report.ratings > 0 and report.lists == 1
    assert [(f.root, f.indexed) for f in report.folders] == [(str(jazz), 2), (str(piano), 1)]
    assert report.tracks_indexed == 3
    assert [Path(s.path).name for s in report.skipped] == ["Broken.mp3"]
    assert "not an audio file" in report.skipped[0].reason
    assert [r.kind for r in report.runs] == ["music", "products"]  # newest first
    assert [r.kind for r in library.library_status.report(runs=1).runs] == ["music"]
    assert report.index_current is True


def test_the_check_tells_a_damaged_or_read_only_database_and_the_newest_backup(library: Engine) -> None:
    library.catalogue.import_demo()
    status = library.library_status
    assert status.check().last_backup is None  # the import before it found nothing to back up
    library.store.back_up("by-hand")
    library.catalogue.import_demo()  # an import takes a backup first: now the newest
    check = status.check()
    assert check.state == "ok" and check.last_backup is not None and check.can_back_up
    assert check.last_backup.reason == "before-products-import"
    library.store.read_only = True
    assert status.check().state == "read-only" and not status.check().can_back_up
    library.store.damage = "page 7 is unreadable"
    damaged = status.check()
    assert (damaged.state, damaged.problem) == ("damaged", "page 7 is unreadable") and not damaged.can_back_up
    library.store.damage, library.store.read_only = None, False


def test_a_damaged_database_is_reported_as_such_and_nothing_more_is_read(library: Engine,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    library.catalogue.import_demo()
    library.store.back_up("by-hand")

    def unreadable(*_args: object) -> object:
        raise AssertionError("a damaged database was read")

    for read in ("count", "domain_counts", "import_runs", "schema_version"):
        monkeypatch.setattr(library.store, read, unreadable)
    monkeypatch.setattr(library.music_files, "summary", unreadable)
    library.store.damage = "page 7 is unreadable"
    try:
        report = library.library_status.report(index=True)
    finally:
        library.store.damage = None
    assert isinstance(report, DamagedLibrary)
    assert (report.data_dir, report.database) == (library.paths.data, library.store.path)
    assert (report.check.state, report.check.problem) == ("damaged", "page 7 is unreadable")
    assert report.check.last_backup is not None and report.check.last_backup.reason == "by-hand"
