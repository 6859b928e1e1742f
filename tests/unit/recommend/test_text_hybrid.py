"""The shipped ranker as the harness evaluates it (with item text vectors) and the content-share grid."""

import numpy as np
import pytest
import scipy.sparse as sp

from app.ports import Recommender
from app.recommend.bpmf import BPMF
from app.recommend.evaluate import SHIPPED, TextHybrid, ranking_models
from app.recommend.hybrid import DEFAULT_WEIGHTS, HybridRanker, HybridWeights
from app.recommend.rating import RatingModel
from app.recommend.tune import ContentTrial, paired_gain, tune_content, with_content


def _small(weights: HybridWeights = DEFAULT_WEIGHTS) -> HybridRanker:
    return HybridRanker(weights, ease_lambda=1.0, rating_model=RatingModel(BPMF(burn_in=5, samples=10, keep=5)))


def test_text_hybrid_fits_the_ranker_with_the_vectors_like_the_app(blocks, item_vectors):
    model = TextHybrid(item_vectors, _small())
    assert isinstance(model, Recommender) and model.name == SHIPPED == "hybrid+text"
    model.fit(blocks)
    assert model.ranker.content is not None
    twin = _small()
    twin.fit(blocks, item_vectors)
    rows = sp.csr_matrix(blocks.matrix)
    np.testing.assert_allclose(model.score_many(rows), twin.score_many(rows))
    np.testing.assert_allclose(model.score(rows[0].toarray().ravel()), twin.score(rows[0].toarray().ravel()))


def test_ranking_models_adds_the_text_row_only_with_vectors(item_vectors):
    without = [m.name for m in ranking_models("ml-100k")]
    assert "hybrid" in without and SHIPPED not in without
    with_vectors = [m.name for m in ranking_models("ml-100k", item_vectors)]
    assert with_vectors == [*without, SHIPPED]


@pytest.mark.parametrize("share", [0.0, 0.05, 0.1, 0.2])
def test_with_content_keeps_the_collaborative_to_popularity_ratio(share):
    weights = with_content(share)
    assert weights.content == share
    assert weights.collaborative + weights.content + weights.popularity == pytest.approx(1.0)
    assert weights.collaborative / weights.popularity == pytest.approx(
        DEFAULT_WEIGHTS.collaborative / DEFAULT_WEIGHTS.popularity)
    assert (weights.query, weights.mix) == (DEFAULT_WEIGHTS.query, DEFAULT_WEIGHTS.mix)


def test_with_content_refuses_a_share_outside_the_unit_interval():
    with pytest.raises(ValueError):
        with_content(1.0)


def test_content_share_zero_scores_like_the_ratings_only_ranker(blocks, item_vectors):
    ratings_only = _small()
    ratings_only.fit(blocks)
    zero = _small(with_content(0.0))
    zero.fit(blocks, item_vectors)
    rows = sp.csr_matrix(blocks.matrix)
    np.testing.assert_allclose(zero.score_many(rows), ratings_only.score_many(rows))


def test_tune_content_scores_each_share_on_validation(blocks, item_vectors, monkeypatch):
    import app.recommend.tune as tune

    monkeypatch.setattr(tune, "HybridRanker", lambda weights: _small(weights))
    trials = tune_content(blocks, blocks.matrix, item_vectors, shares=(0.0, 0.1))
    assert [t.share for t in trials] == [0.0, 0.1]
    for trial in trials:
        assert 0.0 <= trial.ndcg10 <= 1.0 and 0.0 <= trial.p5 <= 1.0
        assert trial.per_user_ndcg10.mean() == pytest.approx(trial.ndcg10)
    gain, _error = paired_gain(trials[1], trials[0])
    assert gain == pytest.approx(trials[1].ndcg10 - trials[0].ndcg10)  # same users: the means' difference
    assert paired_gain(trials[0], trials[0]) == (0.0, 0.0)


def test_paired_gain_is_the_mean_per_user_difference_with_its_standard_error():
    def trial(per_user: list[float]) -> ContentTrial:
        return ContentTrial(0.1, float(np.mean(per_user)), 0.0, 0.0, np.array(per_user))

    # per-user differences 0.1, 0, 0.2, 0: mean 0.075, sample deviation sqrt(0.0275 / 3), over sqrt(4) users
    gain, error = paired_gain(trial([0.5, 0.6, 0.7, 0.8]), trial([0.4, 0.6, 0.5, 0.8]))
    assert gain == pytest.approx(0.075)
    assert error == pytest.approx(np.sqrt(0.0275 / 3) / 2)
