"""Collaborative models live on the rated (active) columns; the hybrid still answers for every item."""

import numpy as np
import pytest
import scipy.sparse as sp

from app.domain.interactions import InteractionMatrix
from app.recommend.bpmf import BPMF
from app.recommend.dataset import ActiveColumns
from app.recommend.hybrid import DEFAULT_WEIGHTS, CollaborativeMix, HybridRanker, HybridWeights
from app.recommend.rating import RatingModel

WITH_NMF = HybridWeights(0.85, 0.1, 0.05, 0.6, CollaborativeMix(ease=0.4, nmf=0.2, stars=0.4))


def _ranker(weights: HybridWeights = DEFAULT_WEIGHTS) -> HybridRanker:
    # A fixed lambda: the default one is per catalogue item, so it would differ between the two catalogues.
    return HybridRanker(weights, ease_lambda=1.0, nmf_components=3,
                        rating_model=RatingModel(BPMF(burn_in=5, samples=10, keep=5)))


def _widen(blocks: InteractionMatrix, extra: int, seed: int = 3) -> tuple[InteractionMatrix, np.ndarray]:
    """blocks with `extra` unrated columns scattered between its own; also where each old column went."""
    n = blocks.n_items + extra
    placed = np.sort(np.random.default_rng(seed).choice(n, blocks.n_items, replace=False))
    coo = blocks.matrix.tocoo()
    matrix = sp.csr_matrix((coo.data, (coo.row, placed[coo.col])), shape=(blocks.n_users, n))
    ids = [f"extra{j}" for j in range(n)]
    for old, new in enumerate(placed):
        ids[new] = blocks.item_ids[old]
    return InteractionMatrix(blocks.user_ids, ids, matrix), placed


def _row(data: InteractionMatrix, user: int) -> np.ndarray:
    return np.asarray(data.matrix[user].toarray()).ravel()


def test_active_columns_map_between_the_catalogue_and_the_rated_columns():
    matrix = sp.csr_matrix(np.array([[0.0, 4.0, 0.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0, 5.0]]))
    columns = ActiveColumns.rated_in(matrix)
    assert columns.active.tolist() == [1, 4]
    assert columns.position.tolist() == [-1, 0, -1, -1, 1]
    assert columns.inactive.tolist() == [True, False, True, True, False]
    assert (columns.n_items, columns.size) == (5, 2)
    dense = matrix.toarray()
    assert columns.take(dense).tolist() == [[4.0, 2.0], [0.0, 5.0]]
    assert columns.take(matrix).toarray().tolist() == [[4.0, 2.0], [0.0, 5.0]]
    assert columns.take(dense[0]).tolist() == [4.0, 2.0]
    assert columns.expand(np.array([[1.0, 2.0]]), fill=-1.0).tolist() == [[-1.0, 1.0, -1.0, -1.0, 2.0]]
    pairwise = np.array([[1.0, 0.5], [0.5, 1.0]], dtype=np.float32)
    assert columns.entries(pairwise, np.array([0, 1, 4]), 4).tolist() == [0.0, 0.5, 1.0]
    assert columns.entries(pairwise, np.array([1, 4]), 2).tolist() == [0.0, 0.0]
    data = InteractionMatrix(["u", "v"], list("abcde"), matrix)
    assert columns.restrict(data).item_ids == ["b", "e"]


def test_every_column_active_passes_rows_through():
    matrix = sp.csr_matrix(np.array([[1.0, 2.0]]))
    columns = ActiveColumns.rated_in(matrix)
    dense = matrix.toarray()
    assert columns.take(dense) is dense
    assert columns.expand(dense) is dense


@pytest.mark.parametrize("weights", [DEFAULT_WEIGHTS, WITH_NMF], ids=["shipped", "with-nmf"])
def test_unrated_columns_change_nothing_for_the_rated_ones(blocks, item_vectors, weights):
    wide, placed = _widen(blocks, extra=400)
    vectors = np.zeros((wide.n_items, item_vectors.shape[1]), dtype=np.float32)
    vectors[placed] = item_vectors  # extra items have no text: similarity 0, like item 11's to every profile
    narrow_ranker, wide_ranker = _ranker(weights), _ranker(weights)
    narrow_ranker.fit(blocks, item_vectors)
    wide_ranker.fit(wide, vectors)
    back = {int(new): old for old, new in enumerate(placed)}
    originals = np.zeros(wide.n_items, dtype=bool)
    originals[placed] = True
    for user in range(blocks.n_users):
        row, wide_row = _row(blocks, user), _row(wide, user)
        assert np.allclose(wide_ranker.score(wide_row)[placed], narrow_ranker.score(row), rtol=0, atol=1e-12)
        expected = narrow_ranker.recommend(row, blocks.n_items)
        got = wide_ranker.recommend(wide_row, blocks.n_items, candidate_mask=originals)
        assert [back[g.index] for g in got] == [e.index for e in expected]
        for g, e in zip(got, expected, strict=True):
            assert g.score == pytest.approx(e.score, rel=1e-12, abs=1e-12)
            assert [p.name for p in g.parts] == [p.name for p in e.parts]
            assert [p.value for p in g.parts] == pytest.approx([p.value for p in e.parts], abs=1e-12)
            assert [(back[d], s) for d, s in g.drivers] == list(e.drivers)
            assert g.predicted_stars == pytest.approx(e.predicted_stars, abs=1e-12)
    many = wide_ranker.score_many(wide.matrix)
    assert np.allclose(many[:, placed], narrow_ranker.score_many(blocks.matrix), rtol=0, atol=1e-12)
    for item in range(blocks.n_items):
        similarity = wide_ranker.co_rating_similarity(int(placed[item]))
        assert similarity.shape == (wide.n_items,)
        assert np.array_equal(similarity[placed], narrow_ranker.co_rating_similarity(item))
        assert not similarity[~originals].any()


def test_items_nobody_rated_get_no_collaborative_credit_nor_stars(blocks, item_vectors):
    wide, placed = _widen(blocks, extra=50)
    vectors = np.zeros((wide.n_items, item_vectors.shape[1]), dtype=np.float32)
    vectors[placed] = item_vectors
    ranker = _ranker()
    ranker.fit(wide, vectors)
    unrated = np.flatnonzero(np.asarray(wide.matrix.getnnz(axis=0)) == 0)
    assert not ranker.co_rating_similarity(int(unrated[0])).any()
    row = _row(wide, 0)
    row[unrated[1]] = 5.0  # rated after the fit: folds in through text, not through the collaborative models
    items = ranker.recommend(row, wide.n_items)
    by_index = {r.index: r for r in items}
    for j in unrated[2:]:
        entry = by_index[int(j)]
        assert entry.predicted_stars is None
        assert dict((p.name, p.value) for p in entry.parts)["collaborative"] == 0.0
    # An unrated item's drivers come from text alone: item 11's text is unlike the user's liked items.
    assert ranker._drivers(np.flatnonzero(row >= 4).astype(np.int64), int(placed[11])) == ()
    assert ranker.score(row).shape == (wide.n_items,)


def test_a_large_mostly_unrated_catalogue_fits_small_matrices():
    n_items, n_rated, n_users = 30_000, 200, 25
    rng = np.random.default_rng(0)
    rated = np.sort(rng.choice(n_items, n_rated, replace=False))
    rows, cols = [], []
    for user in range(n_users):
        # 8 items of its own (25 x 8 covers all 200) and a random 22 more of the rated ones.
        own = rated[user * 8:(user + 1) * 8]
        picked = np.union1d(own, rng.choice(rated, 22, replace=False))
        rows.extend([user] * picked.size)
        cols.extend(picked.tolist())
    stars = rng.integers(1, 6, len(cols)).astype(np.float64)
    matrix = sp.csr_matrix((stars, (rows, cols)), shape=(n_users, n_items))
    data = InteractionMatrix([f"u{i}" for i in range(n_users)], [f"i{j}" for j in range(n_items)], matrix)
    ranker = _ranker(WITH_NMF)
    ranker.fit(data)
    assert ranker.columns is not None and ranker.columns.size == n_rated
    assert ranker.ease is not None and ranker.ease.shape == (n_rated, n_rated)
    assert ranker.cosine is not None and ranker.cosine.shape == (n_rated, n_rated)
    knn, bpmf = ranker.rating.knn, ranker.rating.bpmf
    assert knn.similarity is not None and knn.similarity.shape == (n_rated, n_rated)
    assert knn.item_bias is not None and knn.item_bias.shape == (n_rated,)
    assert bpmf.item_factors is not None and bpmf.item_factors.shape[1] == n_rated
    assert bpmf.outer is not None and bpmf.outer.shape[0] == n_rated
    assert bpmf.stacked is not None and bpmf.stacked.shape[0] == n_rated
    assert ranker.nmf is not None and ranker.nmf.components is not None
    assert ranker.nmf.components.shape[1] == n_rated
    assert ranker.popularity is not None and ranker.popularity.shape == (n_items,)
    row = _row(data, 0)
    assert ranker.score(row).shape == (n_items,)
    assert ranker.score_many(matrix[:3]).shape == (3, n_items)
    top = ranker.recommend(row, 5)
    assert len(top) == 5 and all(0 <= r.index < n_items and row[r.index] == 0 for r in top)
    assert ranker.co_rating_similarity(int(rated[0])).shape == (n_items,)
