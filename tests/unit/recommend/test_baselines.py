"""Model-specific checks of the baselines (what every recommender promises: tests/contract)."""

import numpy as np

from app.recommend.baselines import MostPopular


def test_most_popular_orders_by_count(blocks):
    model = MostPopular()
    model.fit(blocks)
    scores = model.score(np.zeros(blocks.n_items))
    assert int(np.argmax(scores)) == 10
    assert scores[11] == 0
