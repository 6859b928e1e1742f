import numpy as np
import pytest

from app.domain.interactions import InteractionMatrix
from app.domain.recommendation import ScorePart
from app.ports import Recommender
from app.recommend.bpmf import BPMF
from app.recommend.hybrid import PART_NAMES, HybridRanker, RankedItem
from app.recommend.rating import RatingModel
from tests.unit.recommend.blocks import row_of


def _ranker(blocks: InteractionMatrix, vectors: np.ndarray | None = None) -> HybridRanker:
    ranker = HybridRanker(ease_lambda=1.0, rating_model=RatingModel(BPMF(burn_in=5, samples=10, keep=5)))
    ranker.fit(blocks, item_vectors=vectors)
    return ranker


def test_is_a_recommender_and_recommends_within_the_users_block(blocks):
    ranker = _ranker(blocks)
    assert isinstance(ranker, Recommender)
    for user in (0, 3, 8):
        top = ranker.recommend(row_of(blocks, user), 1)[0]
        block = 0 if user < 6 else 1
        assert top.index == block * 5 + user % 5
        assert isinstance(top, RankedItem)


def test_fold_in_a_new_rating_changes_the_next_answer(blocks):
    ranker = _ranker(blocks)
    row = np.zeros(blocks.n_items)
    row[0] = 5.0
    before = ranker.score(row)
    row[6] = 5.0
    row[7] = 5.0
    after = ranker.score(row)
    assert not np.allclose(before, after)
    assert after[8] - after[1] > before[8] - before[1]


def test_cold_start_gets_popularity_order(blocks):
    ranker = _ranker(blocks)
    items = ranker.recommend(np.zeros(blocks.n_items), 3)
    assert items[0].index == 10
    assert [p.name for p in items[0].parts] == ["popularity"]
    assert items[0].drivers == ()
    assert items[-1].index != 11  # nobody rated 11: it cannot be popular


def test_query_vector_pulls_an_unrated_item_to_the_top(blocks, item_vectors):
    ranker = _ranker(blocks, item_vectors)
    query = np.array([0.0, 0.0, 1.0], dtype=np.float32)
    assert ranker.recommend(row_of(blocks, 0), 1)[0].index != 11
    top = ranker.recommend(row_of(blocks, 0), 1, query_vector=query)[0]
    assert top.index == 11
    assert "query" in [p.name for p in top.parts]
    cold = ranker.recommend(np.zeros(blocks.n_items), 1, query_vector=query)[0]
    assert cold.index == 11


def test_query_without_item_vectors_is_refused(blocks):
    with pytest.raises(ValueError, match="item vectors"):
        _ranker(blocks).recommend(row_of(blocks, 0), 1, query_vector=np.ones(3, dtype=np.float32))


def test_candidate_mask_and_exclude_rated_are_respected(blocks):
    ranker = _ranker(blocks)
    row = row_of(blocks, 0)
    mask = np.zeros(blocks.n_items, dtype=bool)
    mask[5:10] = True
    picked = [r.index for r in ranker.recommend(row, 10, candidate_mask=mask)]
    assert picked and set(picked) <= set(range(5, 10))
    unrated = [r.index for r in ranker.recommend(row, 20)]
    assert not set(unrated) & set(np.flatnonzero(row).tolist())
    everything = [r.index for r in ranker.recommend(row, 20, exclude_rated=False)]
    assert len(everything) == blocks.n_items


@pytest.mark.parametrize("vectors", [False, True])
def test_parts_sum_to_the_score_and_weights_sum_to_one(blocks, item_vectors, vectors):
    ranker = _ranker(blocks, item_vectors if vectors else None)
    query = np.array([0.0, 0.0, 1.0], dtype=np.float32) if vectors else None
    for item in ranker.recommend(row_of(blocks, 2), 5, query_vector=query):
        assert all(isinstance(p, ScorePart) and p.name in PART_NAMES for p in item.parts)
        assert all(0.0 <= p.value <= 1.0 for p in item.parts)
        assert sum(p.weight for p in item.parts) == pytest.approx(1.0)
        assert sum(p.contribution for p in item.parts) == pytest.approx(item.score)
    scores = ranker.score(row_of(blocks, 2))
    top = ranker.recommend(row_of(blocks, 2), 1)[0]
    assert scores[top.index] == pytest.approx(top.score)


def test_drivers_are_the_users_own_liked_items(blocks):
    ranker = _ranker(blocks)
    row = row_of(blocks, 1)
    top = ranker.recommend(row, 1)[0]
    assert 1 <= len(top.drivers) <= 3
    for index, similarity in top.drivers:
        assert row[index] >= 4.0
        assert 0.0 < similarity <= 1.0


def test_predicted_stars_are_within_the_scale(blocks):
    ranker = _ranker(blocks)
    for item in ranker.recommend(row_of(blocks, 4), 5):
        assert item.predicted_stars is not None and 1.0 <= item.predicted_stars <= 5.0
