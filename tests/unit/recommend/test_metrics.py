import numpy as np
import pytest

from app.recommend.metrics import coverage, hits_matrix, ndcg_at_k, precision_at_k, recall_at_k, top_k


def test_top_k_orders_best_first():
    scores = np.array([[0.1, 0.9, 0.5, 0.7]])
    assert top_k(scores, 3).tolist() == [[1, 3, 2]]


def test_precision_recall_ndcg_on_a_hand_computed_example():
    # User 0 ranks items [2, 0, 1]; relevant items are {0, 3}: one hit at rank 2.
    ranked = np.array([[2, 0, 1], [3, 1, 2]])
    relevant = np.array([[True, False, False, True], [False, False, False, True]])
    hits = hits_matrix(ranked, relevant)
    n_rel = relevant.sum(axis=1)
    assert hits.tolist() == [[False, True, False], [True, False, False]]
    assert precision_at_k(hits, 3) == pytest.approx([1 / 3, 1 / 3])
    assert recall_at_k(hits, n_rel, 3) == pytest.approx([1 / 2, 1.0])
    # DCG = 1/log2(3); ideal with two relevant = 1 + 1/log2(3).
    expected0 = (1 / np.log2(3)) / (1 + 1 / np.log2(3))
    assert ndcg_at_k(hits, n_rel, 3) == pytest.approx([expected0, 1.0])


def test_ndcg_is_one_for_a_perfect_ranking_and_zero_without_hits():
    hits = np.array([[True, True, False], [False, False, False]])
    assert ndcg_at_k(hits, np.array([2, 3]), 3) == pytest.approx([1.0, 0.0])


def test_coverage_counts_distinct_items():
    assert coverage(np.array([[0, 1], [1, 2]]), 10) == pytest.approx(0.3)
