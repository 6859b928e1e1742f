"""Grid search of the hybrid's weights on a validation split carved from the training data only."""

from __future__ import annotations

import itertools
import sys

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from app.recommend.baselines import item_item_product
from app.recommend.dataset import InteractionMatrix
from app.recommend.hybrid import DEFAULT_WEIGHTS, CollaborativeMix, HybridRanker, HybridWeights, normalise
from app.recommend.metrics import hits_matrix, ndcg_at_k, top_k
from app.recommend.split import holdout_split

VALIDATION_SEED = 7  # differs from the test seed so the validation holdout is a fresh draw
GRID = np.round(np.arange(0.0, 1.0001, 0.1), 2)
POPULARITY_GRID = (0.0, 0.05, 0.1, 0.2)


def validation_split(train: sp.csr_matrix) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Carve (fit, validation) out of a training matrix with EVAL.md's per-user 20% rule."""
    return holdout_split(train, seed=VALIDATION_SEED)


def tune_weights(data: InteractionMatrix, train: sp.csr_matrix) -> list[tuple[float, HybridWeights]]:
    """NDCG@10 on validation for each grid point, best first; `train` must exclude the test split."""
    fit_part, valid = validation_split(train)
    ranker = HybridRanker(HybridWeights(1.0, 0.0, 0.0, DEFAULT_WEIGHTS.query, CollaborativeMix(0.4, 0.2, 0.4)))
    ranker.fit(InteractionMatrix(data.user_ids, data.item_ids, fit_part))
    relevant = (valid >= 4).toarray()
    users = np.flatnonzero(relevant.sum(axis=1) > 0)
    rows = fit_part[users]
    rated = rows.toarray() > 0
    components = _components(ranker, rows, rated)
    results: list[tuple[float, HybridWeights]] = []
    for ease, nmf, pop in itertools.product(GRID, GRID, POPULARITY_GRID):
        stars = round(float(1.0 - ease - nmf), 2)
        if stars < 0:
            continue
        collab = (ease * components["ease"] + nmf * components["nmf"] + stars * components["stars"])
        total = (1.0 - pop) * collab + pop * components["popularity"]
        score = _ndcg10(total, rated, relevant[users])
        mix = CollaborativeMix(float(ease), float(nmf), float(stars))
        results.append((score, HybridWeights(round(1.0 - pop, 2), 0.0, pop, DEFAULT_WEIGHTS.query, mix)))
    results.sort(key=lambda r: -r[0])
    return results


def _components(ranker: HybridRanker, rows: sp.csr_matrix,
                rated: NDArray[np.bool_]) -> dict[str, NDArray[np.float64]]:
    assert ranker.ease is not None and ranker.nmf is not None and ranker.popularity is not None
    stars = (ranker.rating.predict_all(rows) - 1.0) / 4.0
    ease = normalise(item_item_product(rows, ranker.ease), rated)
    nmf = normalise(ranker.nmf.score_many(rows), rated)
    return {"ease": ease, "nmf": nmf, "stars": stars,
            "popularity": np.broadcast_to(ranker.popularity, rated.shape)}


def _ndcg10(scores: NDArray[np.float64], rated: NDArray[np.bool_], relevant: NDArray[np.bool_]) -> float:
    masked = np.where(rated, -np.inf, scores)
    ranked = top_k(masked, 10)
    return float(ndcg_at_k(hits_matrix(ranked, relevant), relevant.sum(axis=1), 10).mean())


def main(argv: list[str]) -> None:
    """Print the best weights for a MovieLens size ('100k' or '1m')."""
    from app.recommend.evaluate import load_movielens

    data = load_movielens(argv[0] if argv else "100k")
    train, _ = holdout_split(data.matrix)
    results = tune_weights(data, train)
    for score, weights in results[:8]:
        print(f"{score:.4f} {weights}")
    mix, pop = DEFAULT_WEIGHTS.mix, DEFAULT_WEIGHTS.popularity / (1.0 - DEFAULT_WEIGHTS.content)
    same_mix = [(s, w) for s, w in results if (w.mix.ease, w.mix.nmf) == (mix.ease, mix.nmf)]
    score, weights = min(same_mix, key=lambda r: abs(r[1].popularity - pop))
    print(f"nearest grid point to the default (popularity {pop:.3f}): {score:.4f} {weights}")
    ease_only = [s for s, w in results if w.mix.ease == 1.0 and w.popularity == 0.0]
    print(f"EASE part alone (same lambda): {ease_only[0]:.4f}")


if __name__ == "__main__":
    main(sys.argv[1:])
