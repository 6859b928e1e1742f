"""Per-user random holdout: the split docs/evaluation.md describes (20% of each user's ratings, seed 42)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

TEST_FRACTION = 0.2
SEED = 42


def holdout_split(matrix: sp.csr_matrix, fraction: float = TEST_FRACTION,
                  seed: int = SEED) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Split each user's ratings into (train, test): a random `fraction` (at least one) goes to test."""
    csr = sp.csr_matrix(matrix)
    csr.sort_indices()
    counts = np.diff(csr.indptr)
    rows = np.repeat(np.arange(csr.shape[0]), counts)
    keys = np.random.default_rng(seed).random(csr.nnz)
    # Rank every rating inside its user's row by its random key: one lexsort, no Python loop.
    order = np.lexsort((keys, rows))
    rank = np.empty(csr.nnz, dtype=np.int64)
    rank[order] = np.arange(csr.nnz) - np.repeat(csr.indptr[:-1], counts)
    n_test = np.where(counts > 0, np.maximum(1, np.rint(fraction * counts)), 0).astype(np.int64)
    is_test = rank < n_test[rows]
    return _subset(csr, ~is_test), _subset(csr, is_test)


def kfold_ratings(n_ratings: int, folds: int, seed: int = SEED) -> list[np.ndarray]:
    """Indices of each fold of a shuffled k-fold split over ratings (Surprise's KFold scheme)."""
    order = np.random.default_rng(seed).permutation(n_ratings)
    return [np.sort(part) for part in np.array_split(order, folds)]


def _subset(csr: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    out = sp.csr_matrix((csr.data[keep], (rows[keep], csr.indices[keep])), shape=csr.shape)
    out.sort_indices()
    return out
