"""Keeps the vector index in step with the catalogue; rebuilds it when it is missing or stale."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from app.domain.items import Item
from app.domain.progress import CancelToken, ProgressCallback, no_progress
from app.ports import Embedder, MetadataValue, VectorHit, VectorStore
from app.store.sqlite import SQLiteStore

log = logging.getLogger(__name__)
_BATCH = 256  # items embedded and upserted per step: progress and cancel between steps
_LOOKUP = 5000  # ids asked of the index at once when finding what it lacks


def item_metadata(item: Item) -> dict[str, MetadataValue]:
    """The metadata the vector index filters on: domain, year when known, genres joined by '|'."""
    meta: dict[str, MetadataValue] = {"domain": item.domain, "genres": "|".join(item.genres)}
    if item.year:  # left out when unknown, so a year filter never matches an undated item
        meta["year"] = item.year
    return meta


class ItemIndex:
    """Item text vectors in the VectorStore, derived from SQLite and rebuilt from it."""

    def __init__(self, store: SQLiteStore, embedder: Embedder, vectors: VectorStore,
                 was_reset: Callable[[], bool] = lambda: False) -> None:
        self._store = store
        self._embedder = embedder
        self._vectors = vectors
        self._was_reset = was_reset  # asked lazily: asking may open the index
        self._rebuilt = False

    def is_current(self) -> bool:
        """True when the index holds exactly one vector per catalogue item."""
        if not self._rebuilt and self._was_reset():
            return False
        return self._vectors.count() == self._store.count("items")

    def ensure_current(self, progress: ProgressCallback = no_progress,
                       cancel: CancelToken | None = None) -> bool:
        """Bring the index in step: index only what it lacks when that is enough (a build that was stopped
        resumes where it stopped), else rebuild it; True when anything was indexed."""
        if self.is_current():
            return False
        if (self._rebuilt or not self._was_reset()) and self._catch_up(progress, cancel):
            return True
        self.rebuild(progress, cancel)
        return True

    def _catch_up(self, progress: ProgressCallback, cancel: CancelToken | None) -> bool:
        """Embed only the items the index lacks; False when that cannot make it current (it also holds
        vectors of items the catalogue no longer has, which only a rebuild drops)."""
        ids = self._store.item_ids()
        present: set[str] = set()
        for start in range(0, len(ids), _LOOKUP):
            progress(start, len(ids), "checking the search index")
            present.update(self._vectors.present(ids[start:start + _LOOKUP]))
        if len(present) != self._vectors.count():
            return False
        missing = [item_id for item_id in ids if item_id not in present]
        log.info("the vector index holds %d of %d items: indexing the other %d", len(present), len(ids),
                 len(missing))
        self._add_stored(missing, progress, cancel)
        return True

    def rebuild(self, progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> int:
        """Drop the index and embed every item again; returns how many were indexed."""
        self._vectors.reset()
        count = self._add_stored(self._store.item_ids(), progress, cancel)
        self._rebuilt = True
        log.info("rebuilt the vector index from the database: %d items", count)
        return count

    def add(self, items: Sequence[Item], progress: ProgressCallback = no_progress,
            cancel: CancelToken | None = None) -> int:
        """Embed and upsert items (new or changed)."""
        batches = (items[start:start + _BATCH] for start in range(0, len(items), _BATCH))
        return self._index(batches, len(items), progress, cancel)

    def _add_stored(self, ids: Sequence[str], progress: ProgressCallback, cancel: CancelToken | None) -> int:
        """Embed and upsert the items with these ids, read from the database a batch at a time (a million
        items never sit in memory at once)."""
        def batches() -> Iterator[list[Item]]:
            for start in range(0, len(ids), _BATCH):
                chunk = ids[start:start + _BATCH]
                found = self._store.items_by_ids(chunk)
                yield [found[item_id] for item_id in chunk if item_id in found]
        return self._index(batches(), len(ids), progress, cancel)

    def _index(self, batches: Iterable[Sequence[Item]], total: int, progress: ProgressCallback,
               cancel: CancelToken | None) -> int:
        done = 0
        for batch in batches:
            if cancel is not None:
                cancel.raise_if_cancelled("indexing")
            if batch:
                vectors = self._embedder.embed([item.text() for item in batch])
                # No documents: nothing reads the text back from Chroma (SQLite has it), and Chroma's
                # full-text index of it doubled the cost of every write (and its hold on the GIL).
                self._vectors.upsert([i.id for i in batch], vectors, [item_metadata(i) for i in batch])
            done += _BATCH
            progress(min(done, total), total, "indexing item texts")
        return total

    def update(self, items: Sequence[Item], removed: Sequence[str], progress: ProgressCallback = no_progress,
               cancel: CancelToken | None = None) -> None:
        """After an import: a full rebuild if the index lost its contents, else add and remove."""
        if not self._rebuilt and self._was_reset():
            self.rebuild(progress, cancel)
            return
        if removed:
            self._vectors.delete(removed)
        self.add(items, progress, cancel)

    def embed_query(self, text: str) -> NDArray[np.float32]:
        """The unit vector of a free-text query."""
        return np.asarray(self._embedder.embed([text])[0], dtype=np.float32)

    def embed_texts(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """The vectors of several short texts, one row each (the vocabulary's terms, a request's phrases)."""
        return np.asarray(self._embedder.embed(list(texts)), dtype=np.float32)

    def search(self, text: str, k: int, where: Mapping[str, object] | None = None) -> list[VectorHit]:
        """Items whose text is nearest to a free-text query."""
        return self._vectors.query(self.embed_query(text), k, where)

    def near(self, vector: NDArray[np.float32], k: int,
             where: Mapping[str, object] | None = None) -> list[VectorHit]:
        """Items nearest to a vector."""
        return self._vectors.query(vector, k, where)

    def matrix(self, item_ids: Sequence[str]) -> NDArray[np.float32]:
        """Vectors aligned with item_ids (zero rows for items not indexed)."""
        found = self._vectors.get_vectors(item_ids)
        out = np.zeros((len(item_ids), self._embedder.dimension), dtype=np.float32)
        for row, item_id in enumerate(item_ids):
            vector = found.get(item_id)
            if vector is not None:
                out[row] = vector
        return out
