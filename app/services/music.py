"""The music library use case: scan folders, analyse what changed, keep both indexes in step."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.catalog.music_items import track_item
from app.catalog.music_scan import ScanResult, scan_folders
from app.domain.errors import CancelledError, ChatRecError
from app.domain.lists import ImportRun
from app.domain.music import FoundFile, SkippedFile, TrackAnalysis
from app.domain.progress import CancelToken, ProgressCallback, eta_text, no_progress
from app.ports import TrackAnalyser
from app.services.index import ItemIndex
from app.services.sound import SoundIndex
from app.store.music import KnownFile, MusicFileStore, TrackOutcome
from app.store.sqlite import SQLiteStore

log = logging.getLogger(__name__)
_SAVE_EVERY = 16  # analysed files per transaction: a cancel or a crash loses at most this many
_SAVE_AFTER_S = 2.0


@dataclass(frozen=True)
class MusicImportReport:
    """What one scan did: counts, the files left out and why, and the run it recorded."""

    run: ImportRun
    found: int
    added: int
    updated: int
    unchanged: int
    removed: int
    skipped: tuple[SkippedFile, ...]


class MusicLibrary:
    """Imports music folders incrementally: unchanged files are skipped, changed ones redone, gone ones removed."""

    def __init__(self, store: SQLiteStore, files: MusicFileStore, index: ItemIndex, sound: SoundIndex,
                 analyser: TrackAnalyser, scan: Callable[..., ScanResult] = scan_folders) -> None:
        self._store = store
        self._files = files
        self._index = index
        self._sound = sound
        self._analyser = analyser
        self._scan = scan

    def roots(self) -> tuple[str, ...]:
        """The folders imported so far."""
        return self._files.summary().roots

    def import_folders(self, folders: Sequence[str], progress: ProgressCallback = no_progress,
                       cancel: CancelToken | None = None) -> MusicImportReport:
        """Scan folders (all known ones when none are given) and bring the library up to date."""
        roots = [os.path.abspath(f) for f in folders] or list(self.roots())
        if not roots:
            raise ChatRecError("name a music folder to import, for example `chatrec import music ~/Music`")
        run_id = self._store.begin_run("music", os.pathsep.join(roots))
        try:
            report = self._import(roots, run_id, progress, cancel)
        except BaseException as exc:
            status = "interrupted" if isinstance(exc, CancelledError) else "failed"
            self._store.end_run(run_id, status, message=f"{exc}; the tracks analysed until then were kept")
            raise
        return report

    def _import(self, roots: list[str], run_id: int, progress: ProgressCallback,
                cancel: CancelToken | None) -> MusicImportReport:
        progress(0, 0, "looking for music files")
        scan = self._scan(roots, cancel)
        known = self._files.known(roots)
        version = self._analyser.extractor_version
        todo = [f for f in scan.found if _needs_analysis(known.get(f.path), f, version)]
        present = {f.path for f in scan.found}
        gone = sorted(p for p in known if p not in present)
        self._files.replace_scan_skips(roots, scan.skipped, _roots_of(scan.skipped, roots))
        removed = self._files.remove(gone)
        changed, dropped = self._analyse(todo, progress, cancel)
        removed += dropped
        self._update_indexes(changed, removed, progress, cancel)
        added = sum(1 for f in todo if f.path not in known)
        skipped = tuple(s for s in self._files.summary().skipped if _under(s.path, roots))
        indexed = len(scan.found) - sum(1 for s in skipped if s.path in present)
        run = self._store.end_run(run_id, "done", items=indexed,
                                  message=f"{len(skipped)} files skipped" if skipped else "")
        log.info("music scan of %s: %d found, %d analysed, %d removed, %d skipped", roots, len(scan.found),
                 len(todo), len(gone), len(skipped))
        return MusicImportReport(run, len(scan.found), added, len(todo) - added, len(scan.found) - len(todo),
                                 len(gone), skipped)

    def _analyse(self, todo: Sequence[FoundFile], progress: ProgressCallback,
                 cancel: CancelToken | None) -> tuple[list[str], list[str]]:
        """Analyse files, saving every few; returns ids written and ids dropped, even when cancelled."""
        by_path = {f.path: f for f in todo}
        version = self._analyser.extractor_version
        pending: list[TrackOutcome] = []
        changed: list[str] = []
        dropped: list[str] = []
        first_result: float | None = None  # the pace is timed from here: start-up is not per-file work
        last_save = time.monotonic()

        def save() -> None:
            nonlocal last_save
            dropped.extend(self._files.save(pending))
            changed.extend(o.item.id for o in pending if o.item is not None)
            pending.clear()
            last_save = time.monotonic()

        try:
            for done, analysis in enumerate(self._analyser.analyse(todo, progress, cancel), start=1):
                pending.append(_outcome(by_path[analysis.path], analysis, version))
                if len(pending) >= _SAVE_EVERY or time.monotonic() - last_save > _SAVE_AFTER_S:
                    save()
                now = time.monotonic()
                first_result = first_result if first_result is not None else now
                eta = eta_text(done - 1, len(todo) - 1, now - first_result)
                progress(done, len(todo), f"listening to tracks ({eta})" if eta else "listening to tracks")
        except CancelledError:
            save()
            self._update_indexes(changed, dropped, no_progress, None)  # what was saved is searchable
            raise
        save()
        return changed, dropped

    def _update_indexes(self, changed: Sequence[str], removed: Sequence[str], progress: ProgressCallback,
                        cancel: CancelToken | None) -> None:
        if not changed and not removed:
            return
        items = list(self._store.items_by_ids(changed).values())
        self._index.update(items, removed, progress, cancel)
        self._sound.sync(changed, removed, progress, cancel)


def _needs_analysis(known: KnownFile | None, found: FoundFile, version: str) -> bool:
    """New, changed since last time (size or mtime), or analysed by another extractor version."""
    return (known is None or known.size != found.size or known.mtime_ns != found.mtime_ns
            or known.extractor != version)


def _outcome(found: FoundFile, analysis: TrackAnalysis, version: str) -> TrackOutcome:
    if analysis.tags is None or analysis.features is None:
        return TrackOutcome(found, extractor=version, reason=analysis.reason or "could not be analysed")
    item = track_item(found, analysis.tags, analysis.features.descriptors)
    return TrackOutcome(found, item, analysis.features.vector, version)


def _under(path: str, roots: Sequence[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _roots_of(skips: Sequence[SkippedFile], roots: Sequence[str]) -> dict[str, str]:
    """Which root each skipped path lies under (the longest match, for nested roots)."""
    ordered = sorted(roots, key=len, reverse=True)
    return {s.path: next((r for r in ordered if _under(s.path, [r])), roots[0]) for s in skips}
