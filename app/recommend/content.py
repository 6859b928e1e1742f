"""Content similarity from item text vectors: to a user's liked items and to a free-text query."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from app.recommend.linalg import matvec

FloatArray = NDArray[np.float64]
LIKED_STARS = 4.0


def liked_mask(rows: FloatArray) -> NDArray[np.bool_]:
    """Items liked in each row (last axis): rated 4 or more, or above the row's own mean."""
    # the mean catches harsh raters, who like things too
    rated = rows > 0
    counts = rated.sum(axis=-1, keepdims=True)
    means = np.divide(rows.sum(axis=-1, keepdims=True), counts, out=np.zeros(counts.shape), where=counts > 0)
    liked: NDArray[np.bool_] = rated & ((rows >= LIKED_STARS) | (rows > means))
    return liked


class ContentScorer:
    """Cosine similarity of every item's text vector to a profile or a query (vectors are unit rows)."""

    name = "content"

    def __init__(self, item_vectors: NDArray[np.float32]) -> None:
        vectors = np.asarray(item_vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        # Re-normalise defensively: a zero row (an item without text) stays zero, not NaN.
        self.vectors = np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)

    @property
    def n_items(self) -> int:
        """Number of items (rows of the vector matrix)."""
        return int(self.vectors.shape[0])

    def profile(self, user_row: FloatArray) -> NDArray[np.float32] | None:
        """The star-weighted mean vector of the user's liked items, unit length; None without any."""
        liked = np.flatnonzero(liked_mask(user_row))
        if liked.size == 0:
            return None
        weights = user_row[liked].astype(np.float32) / float(user_row[liked].sum())
        mean = np.einsum("i,ij->j", weights, self.vectors[liked])
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm > 0 else None

    def similarity(self, vector: NDArray[np.float32]) -> FloatArray:
        """Cosine similarity of every item to a unit vector."""
        query = np.asarray(vector, dtype=np.float32).ravel()
        norm = float(np.linalg.norm(query))
        if norm == 0:
            return np.zeros(self.n_items)
        return matvec(self.vectors, query / norm)

    def score(self, user_row: FloatArray) -> FloatArray:
        """Similarity of every item to the user's liked items (zeros when nothing is liked)."""
        profile = self.profile(user_row)
        return np.zeros(self.n_items) if profile is None else self.similarity(profile)

    def score_many(self, rows: FloatArray) -> FloatArray:
        """score() for a batch of dense rows at once (the evaluation ranks thousands of users)."""
        weights = np.where(liked_mask(rows), rows, 0.0)
        totals = weights.sum(axis=1, keepdims=True)
        weights = np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)
        profiles = (weights.astype(np.float32) @ self.vectors).astype(np.float32)
        norms = np.linalg.norm(profiles, axis=1, keepdims=True)
        profiles = np.divide(profiles, norms, out=np.zeros_like(profiles), where=norms > 0)
        return np.asarray(profiles @ self.vectors.T, dtype=np.float64)

    def item_similarity(self, item: int, others: NDArray[np.int64],
                        others_vectors: NDArray[np.float32] | None = None) -> FloatArray:
        """Cosine similarity of one item to some others (whose vectors the caller may have gathered)."""
        return matvec(self.vectors[others] if others_vectors is None else others_vectors, self.vectors[item])
