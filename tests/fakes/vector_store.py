"""An in-memory VectorStore: numpy brute force with the Chroma adapter's filter language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from app.domain.errors import StoreError
from app.ports import MetadataValue, VectorHit
from app.store.vector_filters import expand_metadata, parse_filter


class InMemoryVectorStore:
    """VectorStore port in a dict: exact cosine search, same metadata and filter rules as Chroma's."""

    def __init__(self) -> None:
        self._vectors: dict[str, NDArray[np.float32]] = {}
        self._metadata: dict[str, dict[str, MetadataValue]] = {}
        self._documents: dict[str, str | None] = {}
        self._dimension: int | None = None
        self.was_reset = False

    def upsert(self, ids: Sequence[str], vectors: NDArray[np.float32],
               metadatas: Sequence[Mapping[str, MetadataValue]],
               documents: Sequence[str] | None = None) -> None:
        """Insert or replace vectors by id."""
        matrix = np.asarray(vectors, dtype=np.float32)
        n = len(ids)
        if matrix.ndim != 2 or matrix.shape[0] != n or len(metadatas) != n or \
                (documents is not None and len(documents) != n):
            raise ValueError(f"upsert needs as many vectors, metadatas and documents as ids ({n})")
        if len(set(ids)) != n:
            raise ValueError("upsert ids must be unique within one call")
        if n == 0:
            return
        self._check_dimension(matrix.shape[1])
        self._dimension = matrix.shape[1]
        for row, item_id in enumerate(ids):
            self._vectors[item_id] = matrix[row].copy()
            self._metadata[item_id] = expand_metadata(metadatas[row])
            self._documents[item_id] = documents[row] if documents is not None else None

    def query(self, vector: NDArray[np.float32], k: int,
              where: Mapping[str, object] | None = None) -> list[VectorHit]:
        """The k nearest ids to vector, most similar first, filtered by metadata."""
        flt = parse_filter(where)
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if k <= 0 or not self._vectors:
            return []
        self._check_dimension(query.shape[0])
        ids = [i for i in self._vectors if flt.matches(self._metadata[i])]
        if not ids:
            return []
        matrix = np.stack([self._vectors[i] for i in ids])
        # Cosine like Chroma's "cosine" space: both sides normalised, so unit inputs give plain dots.
        norms = np.linalg.norm(matrix, axis=1) * max(float(np.linalg.norm(query)), 1e-12)
        sims = (matrix @ query) / np.maximum(norms, 1e-12)
        top = np.argsort(-sims, kind="stable")[:k]
        return [VectorHit(id=ids[j], similarity=float(sims[j])) for j in top]

    def get_vectors(self, ids: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        """The stored vectors for those ids that exist."""
        return {i: self._vectors[i].copy() for i in ids if i in self._vectors}

    def present(self, ids: Sequence[str]) -> set[str]:
        """Which of those ids are stored."""
        return {i for i in ids if i in self._vectors}

    def delete(self, ids: Sequence[str]) -> None:
        """Remove ids; unknown ids are ignored."""
        for item_id in ids:
            self._vectors.pop(item_id, None)
            self._metadata.pop(item_id, None)
            self._documents.pop(item_id, None)

    def count(self) -> int:
        """How many vectors are stored."""
        return len(self._vectors)

    def reset(self) -> None:
        """Drop every vector (used before a rebuild)."""
        self._vectors.clear()
        self._metadata.clear()
        self._documents.clear()
        self._dimension = None

    @property
    def needs_rebuild(self) -> bool:
        """True when marked reset, as the Chroma adapter is after losing its contents."""
        return self.was_reset

    def close(self) -> None:
        """Nothing to release: the vectors live in this object."""

    def metadata(self, item_id: str) -> dict[str, MetadataValue]:
        """The stored (expanded) metadata of one id, for assertions in tests."""
        return dict(self._metadata[item_id])

    def _check_dimension(self, width: int) -> None:
        # Chroma fixes a collection's width on first insert; the fake refuses a mismatch the same way.
        if self._dimension is not None and self._vectors and width != self._dimension:
            raise StoreError(f"the vector index holds {self._dimension}-d vectors, got {width}: "
                             "rebuild the index after changing the embedding model")
