"""Score a model on a held-out split: full ranking over items not rated in training."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from app.ports import Recommender
from app.recommend.metrics import coverage, hits_matrix, ndcg_at_k, precision_at_k, recall_at_k, top_k

RELEVANT_STARS = 4.0
CUTOFFS = (5, 10)
BATCH = 512  # users scored per block: bounds memory on ML-1M (512 x 3706 doubles = 15 MB)


@dataclass(frozen=True)
class RankingResult:
    """Averaged metrics of one model on one split, and the users it was averaged over."""

    metrics: dict[str, float]
    n_users: int
    skipped_users: int


def score_rows(model: Recommender, rows: sp.csr_matrix) -> NDArray[np.float64]:
    """Scores for a block of users: the model's batch path when it has one, else row by row."""
    many = getattr(model, "score_many", None)
    if callable(many):
        return np.asarray(many(rows), dtype=np.float64)
    dense = rows.toarray()
    return np.vstack([model.score(row) for row in dense])


def rank_users(model: Recommender, train: sp.csr_matrix, users: NDArray[np.int64],
               k: int) -> NDArray[np.int64]:
    """Each user's top k over the items they did not rate in training."""
    k = min(k, train.shape[1])
    out = np.empty((users.size, k), dtype=np.int64)
    for start in range(0, users.size, BATCH):
        block = users[start:start + BATCH]
        rows = train[block]
        scores = score_rows(model, rows)
        rated = rows.toarray() > 0
        scores[rated] = -np.inf
        out[start:start + BATCH] = top_k(scores, k)
    return out


def evaluate_ranking(model: Recommender, train: sp.csr_matrix, test: sp.csr_matrix) -> RankingResult:
    """P/R/NDCG at 5 and 10, coverage@10 and the time to rank every evaluated user."""
    relevant = sp.csr_matrix(test >= RELEVANT_STARS)
    n_relevant = np.asarray(relevant.sum(axis=1)).ravel().astype(np.int64)
    users = np.flatnonzero(n_relevant > 0).astype(np.int64)
    k_max = max(CUTOFFS)
    started = time.perf_counter()
    ranked = rank_users(model, train, users, k_max)
    rank_s = time.perf_counter() - started
    hits = hits_matrix(ranked, relevant[users].toarray())
    metrics: dict[str, float] = {}
    for k in CUTOFFS:
        metrics[f"P@{k}"] = float(precision_at_k(hits, k).mean())
        metrics[f"R@{k}"] = float(recall_at_k(hits, n_relevant[users], k).mean())
        metrics[f"NDCG@{k}"] = float(ndcg_at_k(hits, n_relevant[users], k).mean())
    metrics["coverage@10"] = coverage(ranked[:, :10], train.shape[1])
    metrics["rank_s"] = rank_s
    # Skipped: users who have test ratings but none of them relevant (all below 4 stars).
    n_tested = int((np.diff(sp.csr_matrix(test).indptr) > 0).sum())
    return RankingResult(metrics, int(users.size), n_tested - int(users.size))
