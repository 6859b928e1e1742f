import importlib.util

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.skipif(importlib.util.find_spec("recbole") is None, reason="needs the recbole data package")
def test_hybrid_beats_every_baseline_on_ml100k_ndcg10():
    from app.recommend.evaluate import evaluate_dataset

    report = evaluate_dataset("ml-100k")
    models = report["models"]
    hybrid = models[report["shipped"]]["NDCG@10"]
    for name in ("most-popular", "item-knn", "ease", "nmf"):
        assert hybrid > models[name]["NDCG@10"], name
    assert report["skipped_users"] >= 0
    assert set(models["ease"]) >= {"P@5", "R@5", "NDCG@5", "P@10", "R@10", "NDCG@10", "coverage@10",
                                   "fit_s", "rank_s"}
