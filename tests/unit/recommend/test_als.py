import pickle
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from app.domain.errors import CancelledError, ModelMissingError
from app.domain.interactions import InteractionMatrix
from app.domain.progress import CancelToken
from app.recommend.als import ALSRecommender
from app.recommend.evaluate import BASELINE_PARAMS, ranking_models
from app.recommend.ranking_eval import evaluate_ranking
from tests.unit.recommend.blocks import row_of


def _als(**overrides) -> ALSRecommender:
    # Two taste groups, two factors: small enough that the blocks' answer is unambiguous.
    settings = {"factors": 2, "regularization": 0.1, "alpha": 10.0, "iterations": 20, "threads": 1}
    return ALSRecommender(**{**settings, **overrides})


def test_fold_in_is_implicits_own_user_step(blocks):
    from implicit.cpu.als import AlternatingLeastSquares

    model = _als(factors=3)
    model.fit(blocks)
    # A 1★ (disliked), a 2.5★ (weighs nothing) and ordinary stars, as implicit solves them.
    row = row_of(blocks, 0)
    row[[7, 8]] = [1.0, 2.5]
    reference = AlternatingLeastSquares(factors=3, regularization=model.regularization, alpha=1.0)
    reference.item_factors = model.item_factors
    expected = reference.recalculate_user(0, model.confidence(sp.csr_matrix(row)))
    assert np.allclose(model.user_factors(row), expected, atol=1e-5)


def test_a_new_rating_changes_the_next_scores_and_updates_match_a_fresh_solve(blocks):
    model = _als()
    model.fit(blocks)
    row = np.zeros(blocks.n_items)
    row[0] = 5.0
    before = model.score(row)
    changed = row.copy()
    changed[[6, 7]] = 5.0
    changed[0] = 1.0  # and the first rating turned into a dislike
    after = model.score(changed)
    assert after[8] - after[1] > before[8] - before[1]
    items = np.array([0, 6, 7])
    updated = model.update_stats(model.row_stats(row), items, row[items], changed[items])
    assert np.allclose(model.scores_from_stats(updated), after)


def test_a_dislike_pushes_its_block_down(blocks):
    model = _als()
    model.fit(blocks)
    liked, disliked = np.zeros(blocks.n_items), np.zeros(blocks.n_items)
    liked[0], disliked[0] = 5.0, 1.0
    assert model.score(disliked)[1:5].mean() < model.score(liked)[1:5].mean()


def test_item_similarity_is_higher_within_a_block(blocks):
    model = _als()
    model.fit(blocks)
    everything = model.similarity(1)
    assert everything[1] == pytest.approx(1.0)
    assert everything[2:5].min() > everything[5:10].max()
    assert np.allclose(model.similarity(1, np.array([6, 2])), everything[[6, 2]])


def test_progress_once_per_iteration_and_a_cancel_stops_the_fit(blocks):
    reports = []
    model = _als(iterations=5)
    model.fit(blocks, progress=lambda done, total, message: reports.append((done, total)))
    assert reports == [(i, 5) for i in range(6)]

    token = CancelToken()

    def cancel_after_two(done: int, total: int, message: str) -> None:
        if done == 2:
            token.cancel()

    with pytest.raises(CancelledError):
        _als(iterations=50).fit(blocks, progress=cancel_after_two, cancel=token)


def test_a_fitted_model_is_plain_arrays_that_pickle(blocks):
    model = _als()
    model.fit(blocks)
    copy = pickle.loads(pickle.dumps(model))
    assert np.array_equal(copy.score(row_of(blocks, 3)), model.score(row_of(blocks, 3)))
    assert all(not type(value).__module__.startswith("implicit") for value in vars(model).values())


def test_a_library_that_will_not_load_is_a_message_not_a_traceback(blocks, monkeypatch):
    monkeypatch.setitem(sys.modules, "implicit.cpu.als", None)  # the import fails, as a missing DLL makes it
    with pytest.raises(ModelMissingError, match="implicit"):
        _als().fit(blocks)


def test_eval_has_an_als_baseline_row_with_each_datasets_settings(blocks):
    for dataset in ("ml-100k", "ml-1m"):
        models = ranking_models(dataset)
        als = [m for m in models if isinstance(m, ALSRecommender)]
        assert len(als) == 1 and als[0].name == "als-implicit"
        params = BASELINE_PARAMS[dataset]
        assert (als[0].factors, als[0].regularization, als[0].alpha) == (
            params["als_factors"], params["als_regularization"], params["als_alpha"])
    # The harness ranks it like any other baseline: on the blocks every held item is found first.
    model = _als()
    train = blocks.matrix.tolil()
    test = sp.lil_matrix(blocks.matrix.shape)
    for user in (1, 7):
        item = 5 * (user // 6) + (user + 1) % 5
        test[user, item], train[user, item] = train[user, item], 0
    train, test = sp.csr_matrix(train), sp.csr_matrix(test)
    model.fit(InteractionMatrix(blocks.user_ids, blocks.item_ids, train))
    result = evaluate_ranking(model, train, test)
    assert result.n_users == 2
    assert result.metrics["P@5"] > 0 and result.metrics["NDCG@10"] > 0.5
