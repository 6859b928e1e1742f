import numpy as np

from app.recommend.content import ContentScorer, liked_mask


def test_liked_means_four_stars_or_above_the_users_mean():
    row = np.array([5.0, 2.0, 3.0, 0.0, 1.0])
    assert liked_mask(row).tolist() == [True, False, True, False, False]


def test_profile_points_at_liked_items(item_vectors):
    scorer = ContentScorer(item_vectors)
    row = np.zeros(12)
    row[[0, 1]] = 5.0
    row[5] = 1.0
    scores = scorer.score(row)
    assert scores[2] > scores[7]
    assert scores[2] > 0.99


def test_query_finds_an_item_nobody_rated(item_vectors):
    scorer = ContentScorer(item_vectors)
    sims = scorer.similarity(np.array([0.0, 0.0, 1.0], dtype=np.float32))
    assert int(np.argmax(sims)) == 11


def test_no_liked_items_gives_zero_scores(item_vectors):
    assert not ContentScorer(item_vectors).score(np.zeros(12)).any()
