"""Top-k ranking metrics with binary gain, computed for many users at once."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def top_k(scores: NDArray[np.float64], k: int) -> NDArray[np.int64]:
    """Column indices of the k highest scores of each row, best first."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1).astype(np.int64)


def hits_matrix(ranked: NDArray[np.int64], relevant: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """hits[u, r] is True when the item at rank r for user u is relevant."""
    return np.take_along_axis(relevant, ranked, axis=1)


def precision_at_k(hits: NDArray[np.bool_], k: int) -> NDArray[np.float64]:
    """Share of the top k that is relevant, per user."""
    return np.asarray(hits[:, :k].sum(axis=1) / float(k), dtype=np.float64)


def recall_at_k(hits: NDArray[np.bool_], n_relevant: NDArray[np.int64], k: int) -> NDArray[np.float64]:
    """Share of a user's relevant items found in the top k, per user."""
    return np.asarray(hits[:, :k].sum(axis=1) / np.maximum(n_relevant, 1), dtype=np.float64)


def ndcg_at_k(hits: NDArray[np.bool_], n_relevant: NDArray[np.int64], k: int) -> NDArray[np.float64]:
    """Normalised discounted cumulative gain with binary gain, per user."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits[:, :k] * discounts[: hits[:, :k].shape[1]]).sum(axis=1)
    ideal_counts = np.minimum(n_relevant, k)
    ideal = np.concatenate([[0.0], np.cumsum(discounts)])[ideal_counts]
    return np.asarray(np.divide(dcg, ideal, out=np.zeros_like(dcg), where=ideal > 0), dtype=np.float64)


def coverage(ranked: NDArray[np.int64], n_items: int) -> float:
    """Share of the catalogue that appears in at least one user's list."""
    return float(np.unique(ranked).size) / float(n_items)
