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


def test_scoring_a_batch_equals_scoring_each_row() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((30, 8)).astype(np.float32)
    rows = np.where(rng.random((6, 30)) < 0.3, rng.integers(1, 6, (6, 30)), 0).astype(np.float64)
    rows[0] = 0.0  # a user with no ratings scores zeros
    rows[1] = np.where(rows[1] > 0, 2.0, 0.0)  # a harsh rater: liked = above their own mean, none
    scorer = ContentScorer(vectors)
    expected = np.vstack([scorer.score(r) for r in rows])
    np.testing.assert_allclose(scorer.score_many(rows), expected, atol=1e-5)
