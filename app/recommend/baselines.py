"""Reference recommenders for the evaluation harness: most-popular, item-kNN (cosine) and EASE."""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from numpy.typing import NDArray

from app.domain.interactions import InteractionMatrix


def item_item_product(rows: sp.csr_matrix | NDArray[np.float64],
                      weights: NDArray[np.float32]) -> NDArray[np.float64]:
    """Binary rows times a dense float32 item-item matrix, without copying the matrix."""
    # A float64 sparse operand would make scipy upcast (copy) the whole item-item matrix on every
    # call: 120 MB on ML-1M. Matching float32 and C order keeps one pass over the rated rows.
    x = binary_rows(rows).astype(np.float32)
    return np.asarray(x @ weights, dtype=np.float64)


def binary_rows(rows: sp.csr_matrix | NDArray[np.float64]) -> sp.csr_matrix:
    """1 where a row has stars, as a sparse matrix (a dense 1-D row becomes one row)."""
    m = sp.csr_matrix(np.atleast_2d(rows)) if isinstance(rows, np.ndarray) else sp.csr_matrix(rows)
    m = m.copy()
    m.data = (m.data > 0).astype(np.float64)
    m.eliminate_zeros()
    return m


def _unfitted(name: str) -> RuntimeError:
    return RuntimeError(f"{name} must be fitted before scoring")


class MostPopular:
    """Scores every item by how many users rated it; the same list for everyone."""

    name = "most-popular"

    def __init__(self) -> None:
        self.counts: NDArray[np.float64] | None = None

    def fit(self, data: InteractionMatrix) -> None:
        """Count ratings per item."""
        self.counts = np.asarray(binary_rows(data.matrix).sum(axis=0), dtype=np.float64).ravel()

    def score(self, user_row: NDArray[np.float64]) -> NDArray[np.float64]:
        """Popularity counts, whatever the row."""
        if self.counts is None:
            raise _unfitted(self.name)
        return self.counts.copy()

    def score_many(self, rows: sp.csr_matrix) -> NDArray[np.float64]:
        """Popularity counts repeated for each row."""
        if self.counts is None:
            raise _unfitted(self.name)
        return np.tile(self.counts, (rows.shape[0], 1))


class ItemKNN:
    """Item-item cosine similarity on who-rated-what, keeping each item's k nearest neighbours."""

    name = "item-knn"

    def __init__(self, k: int = 100, shrink: float = 0.0) -> None:
        self.k = k
        self.shrink = shrink
        self.similarity: NDArray[np.float32] | None = None

    def fit(self, data: InteractionMatrix) -> None:
        """Build the pruned item-item cosine similarity matrix."""
        x = binary_rows(data.matrix)
        self.similarity = cosine_topk(x, self.k, self.shrink)

    def score(self, user_row: NDArray[np.float64]) -> NDArray[np.float64]:
        """Sum of similarities from the user's rated items."""
        return np.asarray(self.score_many(binary_rows(user_row))[0], dtype=np.float64)

    def score_many(self, rows: sp.csr_matrix) -> NDArray[np.float64]:
        """Scores for many users at once."""
        if self.similarity is None:
            raise _unfitted(self.name)
        return item_item_product(rows, self.similarity)


def cosine_topk(x: sp.csr_matrix, k: int, shrink: float = 0.0) -> NDArray[np.float32]:
    """Dense item-item cosine similarity, zero diagonal, keeping the k largest per column."""
    co = np.asarray((x.T @ x).toarray(), dtype=np.float64)
    norms = np.sqrt(np.diag(co))
    sim = co / (np.outer(norms, norms) + shrink + 1e-12)
    np.fill_diagonal(sim, 0.0)
    n = sim.shape[0]
    if k < n:
        # Zero all but the k nearest neighbours of each target item (column).
        drop = np.argpartition(-sim, k, axis=0)[k:, :]
        np.put_along_axis(sim, drop, 0.0, axis=0)
    return np.ascontiguousarray(sim, dtype=np.float32)


class EASE:
    """Embarrassingly Shallow Autoencoder (Steck 2019): a closed-form item-item ridge regression."""

    name = "ease"

    def __init__(self, lam: float = 250.0) -> None:
        self.lam = lam
        self.weights: NDArray[np.float32] | None = None

    def fit(self, data: InteractionMatrix) -> None:
        """Solve B = I - P / diag(P) with P = (X'X + lambda I)^-1, diagonal forced to zero."""
        self.weights = ease_weights(binary_rows(data.matrix), self.lam)

    def score(self, user_row: NDArray[np.float64]) -> NDArray[np.float64]:
        """Sum of the rated items' rows of B (only the non-zeros are touched: fast fold-in)."""
        if self.weights is None:
            raise _unfitted(self.name)
        rated = np.flatnonzero(user_row > 0)
        return np.asarray(self.weights[rated].sum(axis=0), dtype=np.float64)

    def score_many(self, rows: sp.csr_matrix) -> NDArray[np.float64]:
        """Scores for many users at once."""
        if self.weights is None:
            raise _unfitted(self.name)
        return item_item_product(rows, self.weights)


def gram_matrix(x: sp.csr_matrix) -> NDArray[np.float32]:
    """Dense item-item co-occurrence counts X'X of a binary user-item matrix."""
    return np.asarray((x.T @ x).toarray(), dtype=np.float32)


def ease_weights(x: sp.csr_matrix, lam: float, gram: NDArray[np.float32] | None = None) -> NDArray[np.float32]:
    """The EASE item-item weight matrix for a binary user-item matrix (gram = X'X if known)."""
    g = np.array(gram_matrix(x) if gram is None else gram, dtype=np.float32)
    g[np.diag_indices_from(g)] += lam
    # X'X + lambda I is symmetric positive definite: a float32 Cholesky solve is twice as fast as a
    # float64 LU inverse on ML-1M, and lambda keeps it well conditioned.
    factor = scipy.linalg.cho_factor(g, overwrite_a=True, check_finite=False)
    inverse = scipy.linalg.cho_solve(factor, np.eye(g.shape[0], dtype=np.float32), overwrite_b=True,
                                     check_finite=False)
    weights = np.ascontiguousarray(-inverse / np.diag(inverse), dtype=np.float32)
    np.fill_diagonal(weights, 0.0)
    return weights
