"""The "auto" re-ranking decision follows the measured table: only models that beat the ranker's order."""

from __future__ import annotations

import json
from pathlib import Path

from app.llm.builtin import BUILTIN_MODELS
from app.services.rerank_policy import EMBEDDED_RERANKERS, reranks_by_default

RESULTS = Path(__file__).resolve().parents[3] / "bench" / "results" / "rerank_ml-100k.json"


def test_only_models_measured_to_beat_the_ranker_rerank_by_default() -> None:
    measured = json.loads(RESULTS.read_text(encoding="utf-8"))
    assert measured["users"] == 200 and measured["seed"] == 42 and measured["candidates"] == 20
    entries = measured["models"]
    # every built-in model was measured, with the same protocol
    assert {model.key for model in BUILTIN_MODELS} <= set(entries)
    winners = {entry["model"] for entry in entries.values() if entry["beats_ranker"]}
    assert winners == EMBEDDED_RERANKERS
    ranker = measured["ranker_top5"]
    for entry in entries.values():
        low, _high = entry["ndcg5_minus_ranker_95ci"]
        assert entry["beats_ranker"] == (low > 0 and entry["llm_reranked_top5"]["P@5"] >= ranker["P@5"])
        assert reranks_by_default("embedded", entry["model"]) == entry["beats_ranker"]


def test_ollama_models_keep_re_ranking_by_default() -> None:
    assert reranks_by_default("ollama", "llama3.2:3b")
    assert not reranks_by_default("embedded", "some-model-nobody-measured")
