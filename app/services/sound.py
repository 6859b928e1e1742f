"""Keeps the sound index (one unit vector per analysed track) in step with the raw features in SQLite."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from app.domain.progress import CancelToken, ProgressCallback, no_progress
from app.ports import VectorHit, VectorStore
from app.recommend.audio import AudioSpace
from app.store.music import MusicFileStore

log = logging.getLogger(__name__)
SPACE_KEY = "audio_space"
_BATCH = 500


class SoundIndex:
    """Track sound vectors in their own VectorStore collection, derived from SQLite and rebuilt from it."""

    def __init__(self, files: MusicFileStore, vectors: VectorStore,
                 was_reset: Callable[[], bool] = lambda: False) -> None:
        self._files = files
        self._vectors = vectors
        self._was_reset = was_reset
        self._space: AudioSpace | None = None
        self._rewritten = False  # once rewritten here, a "was reset" on opening no longer applies
        self._checked_tracks = -1  # tracks in the database when the index was last found current

    def space(self) -> AudioSpace | None:
        """The standardisation the stored vectors were made with, or None before any track."""
        if self._space is None:
            saved = self._files.stats(SPACE_KEY)
            self._space = AudioSpace.from_json(saved) if saved is not None else None
        return self._space

    def sync(self, changed: Sequence[str] = (), removed: Sequence[str] = (),
             progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> None:
        """After a scan: re-fit the standardisation; rewrite all vectors if it drifted, else just the changes."""
        self._checked_tracks = -1
        ids, raw = self._files.raw_features()
        if not ids:
            self._vectors.reset()
            self._save_space(None)
            return
        fitted = AudioSpace.fit(raw)
        if not fitted.drifted_from(self.space()) and not self._lost_contents():
            if removed:
                self._vectors.delete(removed)
            wanted = set(changed)
            rows = [i for i, item_id in enumerate(ids) if item_id in wanted]
            self._write([ids[i] for i in rows], raw[rows], progress, cancel)
            if self._vectors.count() == len(ids):
                return
        log.info("rewriting the sound index: %d tracks", len(ids))
        self._vectors.reset()
        self._save_space(fitted)
        self._write(ids, raw, progress, cancel)
        self._rewritten = True

    def _lost_contents(self) -> bool:
        return not self._rewritten and self._was_reset()

    def ensure_current(self, progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> None:
        """Rebuild the index when it lost its vectors or holds the wrong number (never opened without tracks)."""
        tracks = self._files.indexed_count()
        if tracks == 0 or tracks == self._checked_tracks:  # a "sounds like" query must not recount Chroma
            return
        if self._lost_contents() or self.space() is None or self._vectors.count() != tracks:
            self._space = None
            self.sync(progress=progress, cancel=cancel)
        self._checked_tracks = tracks

    def vectors_for(self, item_ids: Sequence[str]) -> NDArray[np.float32] | None:
        """Unit sound vectors aligned with item_ids (zero rows for non-tracks); None without any track."""
        ids, raw = self._files.raw_features()
        space = self.space()
        if not ids or space is None:
            return None
        embedded = space.embed(raw)
        position = {item_id: row for row, item_id in enumerate(ids)}
        out = np.zeros((len(item_ids), embedded.shape[1]), dtype=np.float32)
        for row, item_id in enumerate(item_ids):
            found = position.get(item_id)
            if found is not None:
                out[row] = embedded[found]
        return out

    def near(self, item_id: str, k: int) -> list[VectorHit]:
        """The k tracks that sound most like this one (itself left out), most alike first."""
        raw, space = self._files.raw_feature(item_id), self.space()
        if raw is None or space is None:
            return []
        hits = self._vectors.query(space.embed(raw)[0], k + 1)
        return [h for h in hits if h.id != item_id][:k]

    def _write(self, ids: Sequence[str], raw: NDArray[np.float32], progress: ProgressCallback,
               cancel: CancelToken | None) -> None:
        space = self.space()
        if space is None or not ids:
            return
        for start in range(0, len(ids), _BATCH):
            if cancel is not None:
                cancel.raise_if_cancelled("indexing the sound of tracks")
            chunk = list(ids[start:start + _BATCH])
            self._vectors.upsert(chunk, space.embed(raw[start:start + _BATCH]), [{"domain": "music"}] * len(chunk))
            progress(start + len(chunk), len(ids), "indexing the sound of tracks")

    def _save_space(self, space: AudioSpace | None) -> None:
        self._space = space
        self._files.set_stats(SPACE_KEY, space.to_json() if space is not None else {})
