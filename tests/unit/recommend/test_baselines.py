import numpy as np
import pytest

from app.ports import Recommender
from app.recommend.baselines import EASE, ItemKNN, MostPopular
from app.recommend.nmf import NMFRecommender


def _best_unrated(model: Recommender, row: np.ndarray) -> int:
    scores = model.score(row).copy()
    scores[row > 0] = -np.inf
    return int(np.argmax(scores))


@pytest.mark.parametrize("make", [lambda: EASE(lam=1.0), lambda: ItemKNN(k=4),
                                  lambda: NMFRecommender(n_components=2)])
def test_recommends_the_missing_item_of_the_users_block(blocks, make):
    model = make()
    assert isinstance(model, Recommender)
    model.fit(blocks)
    for user in (1, 2, 7, 9):
        row = blocks.matrix[user].toarray().ravel()
        block = 0 if user < 6 else 1
        assert _best_unrated(model, row) == block * 5 + user % 5


@pytest.mark.parametrize("make", [lambda: EASE(lam=1.0), lambda: ItemKNN(k=4)])
def test_fold_in_a_new_rating_changes_the_next_scores(blocks, make):
    model = make()
    model.fit(blocks)
    row = np.zeros(blocks.n_items)
    row[5] = 5.0
    before = model.score(row)
    row[6] = 5.0
    after = model.score(row)
    assert not np.allclose(before, after)
    assert _best_unrated(model, row) in range(5, 10)


def test_most_popular_orders_by_count(blocks):
    model = MostPopular()
    model.fit(blocks)
    scores = model.score(np.zeros(blocks.n_items))
    assert int(np.argmax(scores)) == 10
    assert scores[11] == 0


def test_batch_scores_match_single_rows(blocks):
    model = EASE(lam=1.0)
    model.fit(blocks)
    many = model.score_many(blocks.matrix)
    assert np.allclose(many[3], model.score(blocks.matrix[3].toarray().ravel()), atol=1e-5)
