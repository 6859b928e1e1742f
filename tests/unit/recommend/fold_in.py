"""Checks shared by the dense and the factorised hybrid: a user's new ratings folded in one at a time."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.domain.interactions import InteractionMatrix
from app.recommend.hybrid import HybridRanker


def row_of(blocks: InteractionMatrix, user: int) -> np.ndarray:
    """One user's ratings as a dense row."""
    return np.asarray(blocks.matrix[user].toarray()).ravel()


def assert_fold_in_matches_fresh(fitted: Callable[[], HybridRanker], blocks: InteractionMatrix, *,
                                 atol: float) -> HybridRanker:
    """A rating added, one removed and one changed, folded into a primed ranker, score as a fresh ranker does."""
    ranker = fitted()
    row = row_of(blocks, 0)
    ranker.score(row)  # primes the fold-in state with this row
    changed = row.copy()
    changed[7] = 5.0  # a new rating
    changed[1] = 0.0  # a removed one
    changed[2] = 2.0  # a changed one
    incremental = ranker.score(changed)
    assert np.allclose(incremental, fitted().score(changed), atol=atol)
    return ranker
