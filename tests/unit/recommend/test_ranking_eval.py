import numpy as np
import pytest
import scipy.sparse as sp

from app.recommend.ranking_eval import evaluate_ranking


class _Oracle:
    """Scores exactly the given items highest (a perfect ranker for the harness check)."""

    name = "oracle"

    def __init__(self, favourites: np.ndarray) -> None:
        self.favourites = favourites

    def fit(self, data) -> None:
        pass

    def score(self, user_row: np.ndarray) -> np.ndarray:
        return self.favourites.astype(float).copy()


def test_harness_skips_users_without_relevant_items_and_excludes_training_items():
    train = np.zeros((3, 12))
    test = np.zeros((3, 12))
    train[0, 0], test[0, 1], test[0, 2] = 5, 5, 4  # user 0: relevant items 1 and 2
    train[1, 1], test[1, 3] = 4, 2  # user 1: a test rating, but not a relevant one -> skipped
    train[2, 0], test[2, 5] = 3, 4  # user 2: relevant item 5
    # Item 0 scores highest but users 0 and 2 rated it in training: it must never be ranked.
    favourites = np.arange(20, 8, -1)
    result = evaluate_ranking(_Oracle(favourites), sp.csr_matrix(train), sp.csr_matrix(test))
    assert result.n_users == 2 and result.skipped_users == 1
    # Both users get items 1..10 in order: user 0 hits at ranks 1-2, user 2 at rank 5.
    assert result.metrics["R@10"] == pytest.approx(1.0)
    assert result.metrics["P@5"] == pytest.approx((2 / 5 + 1 / 5) / 2)
    assert result.metrics["NDCG@5"] == pytest.approx((1.0 + (1 / np.log2(6))) / 2)
    assert result.metrics["coverage@10"] == pytest.approx(10 / 12)
