"""The hybrid past its dense budget: ALS for the ranking part, factor cosines for drivers, BPMF for stars."""

import numpy as np
import pytest

import app.recommend.hybrid as hybrid
import app.recommend.knn_baseline as knn_baseline
from app.domain.errors import CancelledError
from app.domain.progress import CancelToken
from app.recommend.als import ALSRecommender
from app.recommend.bpmf import BPMF, FITTING
from app.recommend.hybrid import DENSE, DENSE_BUDGET_BYTES, FACTORISED, HybridRanker, dense_bytes
from app.recommend.rating import RatingModel
from tests.unit.recommend.blocks import row_of


def _ranker(budget: int = 0, iterations: int = 20) -> HybridRanker:
    return HybridRanker(ease_lambda=1.0, rating_model=RatingModel(BPMF(burn_in=5, samples=10, keep=5)),
                        dense_budget=budget,
                        als=ALSRecommender(factors=2, regularization=0.1, alpha=10.0, iterations=iterations,
                                           threads=1))


def test_the_estimate_grows_with_items_squared_and_keeps_movielens_dense():
    assert dense_bytes(6_040, 3_706) < DENSE_BUDGET_BYTES  # ML-1M
    assert dense_bytes(943, 1_682) < DENSE_BUDGET_BYTES  # ML-100K
    assert dense_bytes(162_541, 62_423) > 40 * DENSE_BUDGET_BYTES  # ML-25M
    assert dense_bytes(10, 2_000) * 3.9 < dense_bytes(10, 4_000) <= dense_bytes(10, 2_000) * 4


def test_small_catalogues_stay_dense_and_a_tiny_budget_factorises(blocks):
    dense = _ranker(budget=DENSE_BUDGET_BYTES)
    dense.fit(blocks)
    assert dense.path == DENSE and dense.ease is not None and dense.als is None
    factorised = _ranker()
    factorised.fit(blocks)
    assert factorised.path == FACTORISED and factorised.als is not None
    assert factorised.ease is None and factorised.cosine is None
    assert factorised.rating.knn.similarity is None  # the k-NN model keeps its biases only


def test_nothing_item_by_item_is_allocated_on_the_factorised_path(blocks, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a dense item x item matrix was built")

    for module, name in ((hybrid, "gram_matrix"), (hybrid, "ease_weights"), (hybrid, "_cosine"),
                         (knn_baseline, "_pearson_baseline")):
        monkeypatch.setattr(module, name, refuse)
    _ranker().fit(blocks)


def test_recommends_the_missing_item_of_the_users_block(blocks):
    ranker = _ranker()
    ranker.fit(blocks)
    for user in (0, 3, 8, 11):
        top = ranker.recommend(row_of(blocks, user), 1)[0]
        assert top.index == (0 if user < 6 else 1) * 5 + user % 5
        assert top.predicted_stars is not None and 1.0 <= top.predicted_stars <= 5.0
        assert sum(p.contribution for p in top.parts) == pytest.approx(top.score)


def test_drivers_are_the_users_liked_items_nearest_by_item_factors(blocks):
    ranker = _ranker()
    ranker.fit(blocks)
    row = row_of(blocks, 8)
    top = ranker.recommend(row, 1)[0]
    assert 1 <= len(top.drivers) <= 3
    for index, similarity in top.drivers:
        assert row[index] >= 4.0 and 5 <= index < 10  # from the user's own block
        assert 0.5 < similarity <= 1.0
    similar = ranker.co_rating_similarity(top.index)
    assert similar.shape == (blocks.n_items,)
    assert similar[5:10].min() > similar[:5].max()
    assert similar[11] == 0.0  # nobody rated item 11: no factors, no similarity


def test_a_new_rating_changes_the_next_answer_at_once(blocks):
    ranker = _ranker()
    ranker.fit(blocks)
    row = np.zeros(blocks.n_items)
    row[0] = 5.0
    before = ranker.score(row)
    first = ranker.recommend(row, 1)[0].index
    assert first in range(1, 5)
    row[[6, 7, 8, 9]] = 5.0
    after = ranker.score(row)
    assert after[5] - after[1] > before[5] - before[1]
    assert after[5] > after[1:5].max()
    assert ranker.recommend(row, 1)[0].index != first


def test_items_nobody_rated_get_no_collaborative_credit(blocks):
    ranker = _ranker()
    ranker.fit(blocks)
    entry = ranker.recommend(row_of(blocks, 0), blocks.n_items)
    unrated = next(e for e in entry if e.index == 11)
    assert dict((p.name, p.value) for p in unrated.parts)["collaborative"] == 0.0
    assert unrated.predicted_stars is None


def test_progress_covers_both_models_and_a_cancel_stops_the_fit(blocks):
    reports = []
    _ranker(iterations=4).fit(blocks, progress=lambda done, total, message: reports.append((done, total, message)))
    factors = [(d, t) for d, t, m in reports if m == f"{FITTING} (item factors)"]
    chain = [(d, t) for d, t, m in reports if m == FITTING]
    assert factors == [(i, 4) for i in range(5)]
    assert chain == [(i, 15) for i in range(15)]
    assert reports.index((0, 15, FITTING)) > reports.index((4, 4, f"{FITTING} (item factors)"))

    for stop_at in ((2, f"{FITTING} (item factors)"), (3, FITTING)):
        token = CancelToken()

        def cancel(done: int, total: int, message: str, at: tuple[int, str] = stop_at,
                   token: CancelToken = token) -> None:
            if (done, message) == at:
                token.cancel()

        with pytest.raises(CancelledError):
            _ranker(iterations=10).fit(blocks, progress=cancel, cancel=token)


def test_the_app_default_shortens_bpmfs_chain_only_when_factorised(blocks):
    dense = HybridRanker()
    dense.fit(blocks)
    assert (dense.rating.bpmf.burn_in, dense.rating.bpmf.samples) == (15, 30)
    factorised = HybridRanker(dense_budget=0, als=ALSRecommender(factors=2, regularization=0.1, threads=1))
    factorised.fit(blocks)
    assert (factorised.rating.bpmf.burn_in, factorised.rating.bpmf.samples) == (
        hybrid.FACTORISED_CHAIN["burn_in"], hybrid.FACTORISED_CHAIN["samples"])
