"""A vector store opened on first use, so commands that never touch the index never pay for it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from app.ports import MetadataValue, ReopenableStore, VectorHit


class DeferredVectorStore:
    """Delegates every call to a store opened the first time one is made."""

    def __init__(self, open_store: Callable[[], ReopenableStore]) -> None:
        self._open_store = open_store
        self._store: ReopenableStore | None = None
        self._lock = threading.Lock()  # two threads must not open two clients on one folder

    def _opened(self) -> ReopenableStore:
        with self._lock:
            if self._store is None:
                self._store = self._open_store()
            return self._store

    def needs_rebuild(self) -> bool:
        """Open the store and ask whether it lost its contents."""
        return self._opened().needs_rebuild

    def close(self) -> None:
        """Close the store if it was ever opened."""
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None

    def upsert(self, ids: Sequence[str], vectors: NDArray[np.float32],
               metadatas: Sequence[Mapping[str, MetadataValue]],
               documents: Sequence[str] | None = None) -> None:
        """Insert or replace vectors by id."""
        self._opened().upsert(ids, vectors, metadatas, documents)

    def query(self, vector: NDArray[np.float32], k: int,
              where: Mapping[str, object] | None = None) -> list[VectorHit]:
        """The k nearest ids to vector."""
        return self._opened().query(vector, k, where)

    def get_vectors(self, ids: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        """The stored vectors for those ids that exist."""
        return self._opened().get_vectors(ids)

    def present(self, ids: Sequence[str]) -> set[str]:
        """Which of those ids are stored."""
        return self._opened().present(ids)

    def delete(self, ids: Sequence[str]) -> None:
        """Remove ids."""
        self._opened().delete(ids)

    def count(self) -> int:
        """How many vectors are stored."""
        return self._opened().count()

    def reset(self) -> None:
        """Drop every vector."""
        self._opened().reset()
