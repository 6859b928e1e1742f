"""Which chat models re-rank the ranker's candidates when llm_rerank is "auto" (pure: no engine imported).

An embedded model re-ranks by default only when it was measured to beat the ranker's own order with
the Chat-Rec paper's protocol (bench/bench_rerank.py, bench/results/rerank_ml-100k.json: 200 ML-100K users drawn
with seed 42, the shipped ranker's top 20 as candidates, the model picks the top 5 with the app's
prompt and schema). "Beat" means the paired 95% bootstrap interval of its NDCG@5 minus the ranker's
lies above zero and its P@5 is no lower. Measured on 2 shared x86_64 cores (December 2026):

    top 5                               P@5     R@5     NDCG@5   NDCG@5 vs ranker (95% interval)
    the ranker's order                  0.3590  0.1875  0.4154
    Qwen2.5 0.5B (Q4_K_M)               0.3280  0.1644  0.3770   -0.038 (-0.059 to -0.019)
    SmolLM2-135M-Instruct (Q4_1)        0.3280  0.1674  0.3844   -0.031 (-0.051 to -0.012)

Qwen needed a repair in 10% of answers and was replaced by the ranker's order in 4.5%, at 25.9 s per
user (median, one llama.cpp thread; 8% of answers took longer than the app's 30 s timeout); SmolLM2
needed a repair in 58.5% and was replaced in 2%, at 16.1 s per user. Neither
model beat the ranker's order, so no embedded model re-ranks by default; llm_rerank = "on" still
forces it. Ollama models keep re-ranking by default: they are larger models this table does not
cover, and they re-ranked before it was measured.
"""

from __future__ import annotations

# GGUF file stems (ChatModel.model_name) of embedded models measured to beat the ranker's order. A
# model joins only with a rerank_ml-100k.json entry whose beats_ranker is true (a test checks this).
EMBEDDED_RERANKERS: frozenset[str] = frozenset()


def reranks_by_default(backend: str, model_name: str) -> bool:
    """Whether a model re-ranks when llm_rerank is "auto": Ollama models do; embedded ones only when measured
    to beat the ranker's order."""
    return backend == "ollama" or (backend == "embedded" and model_name in EMBEDDED_RERANKERS)
