"""Grid search of the hybrid's weights on a validation split carved from the training data only."""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from app.domain.interactions import InteractionMatrix
from app.recommend.als import ALSRecommender
from app.recommend.hybrid import DEFAULT_WEIGHTS, CollaborativeMix, HybridRanker, HybridWeights, normalise
from app.recommend.metrics import hits_matrix, ndcg_at_k, precision_at_k, top_k
from app.recommend.ranking_eval import RELEVANT_STARS, rank_users
from app.recommend.split import holdout_split

VALIDATION_SEED = 7  # differs from the test seed so the validation holdout is a fresh draw
GRID = np.round(np.arange(0.0, 1.0001, 0.1), 2)
POPULARITY_GRID = (0.0, 0.05, 0.1, 0.2)
CONTENT_GRID = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)
# (factors, regularization, alpha) around ALS's optimum; implicit's regularization is not scaled by the
# number of ratings, so it is large. A first, coarser pass covered factors 16-128, regularization
# 0.01-400, alpha 2-40 and three ways of turning stars into confidence (app.recommend.als).
ALS_GRID = tuple(itertools.product((64,), (35.0, 50.0, 70.0, 100.0, 150.0), (7.0, 10.0, 15.0)))


def validation_split(train: sp.csr_matrix, seed: int = VALIDATION_SEED) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Carve (fit, validation) out of a training matrix with docs/evaluation.md's per-user 20% rule."""
    return holdout_split(train, seed=seed)


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


def with_content(share: float, base: HybridWeights = DEFAULT_WEIGHTS) -> HybridWeights:
    """`base` with content at `share`; collaborative and popularity keep their ratio and fill the rest.

    Share 0 scores exactly like the ranker fitted without item vectors (the same renormalised weights).
    """
    if not 0.0 <= share < 1.0:
        raise ValueError(f"content share must be in [0, 1), got {share}")
    scale = (1.0 - share) / (base.collaborative + base.popularity)
    return HybridWeights(base.collaborative * scale, share, base.popularity * scale, base.query, base.mix)


@dataclass(frozen=True)
class ContentTrial:
    """Validation metrics of one content share, with per-user NDCG@10 for paired comparisons."""

    share: float
    ndcg10: float
    p5: float
    ndcg5: float
    per_user_ndcg10: NDArray[np.float64]


def tune_content(data: InteractionMatrix, train: sp.csr_matrix, item_vectors: NDArray[np.float32],
                 shares: tuple[float, ...] = CONTENT_GRID,
                 seed: int = VALIDATION_SEED) -> list[ContentTrial]:
    """The shipped ranker with item text vectors at each content share, scored on validation.

    `train` must exclude the test split: the ranker is fitted on the fit part carved from it and
    ranked, exactly as the harness ranks the test part, over every item not rated in the fit part.
    """
    fit_part, valid = validation_split(train, seed)
    ranker = HybridRanker(with_content(shares[0]))
    ranker.fit(InteractionMatrix(data.user_ids, data.item_ids, fit_part), item_vectors)
    relevant = sp.csr_matrix(valid >= RELEVANT_STARS)
    n_relevant = np.asarray(relevant.sum(axis=1)).ravel().astype(np.int64)
    users = np.flatnonzero(n_relevant > 0).astype(np.int64)
    relevant_rows = relevant[users].toarray()
    trials = []
    for share in shares:
        ranker.weights = with_content(share)  # the fitted parts do not depend on the weights
        hits = hits_matrix(rank_users(ranker, fit_part, users, 10), relevant_rows)
        per_user = ndcg_at_k(hits, n_relevant[users], 10)
        trials.append(ContentTrial(share, float(per_user.mean()), float(precision_at_k(hits, 5).mean()),
                                   float(ndcg_at_k(hits, n_relevant[users], 5).mean()), per_user))
    return trials


def tune_als(data: InteractionMatrix, train: sp.csr_matrix,
             grid: tuple[tuple[int, float, float], ...] = ALS_GRID,
             seed: int = VALIDATION_SEED) -> list[tuple[float, tuple[int, float, float]]]:
    """Validation NDCG@10 of ALS at each (factors, regularization, alpha), best first; `train` excludes the test."""
    fit_part, valid = validation_split(train, seed)
    fit_data = InteractionMatrix(data.user_ids, data.item_ids, fit_part)
    relevant = sp.csr_matrix(valid >= RELEVANT_STARS)
    n_relevant = np.asarray(relevant.sum(axis=1)).ravel().astype(np.int64)
    users = np.flatnonzero(n_relevant > 0).astype(np.int64)
    relevant_rows = relevant[users].toarray()
    results = []
    for factors, regularization, alpha in grid:
        model = ALSRecommender(factors=factors, regularization=regularization, alpha=alpha)
        model.fit(fit_data)
        hits = hits_matrix(rank_users(model, fit_part, users, 10), relevant_rows)
        results.append((float(ndcg_at_k(hits, n_relevant[users], 10).mean()), (factors, regularization, alpha)))
    results.sort(key=lambda r: -r[0])
    return results


def paired_gain(better: ContentTrial, worse: ContentTrial) -> tuple[float, float]:
    """Mean per-user NDCG@10 difference and its standard error (same users, same validation split)."""
    diff = better.per_user_ndcg10 - worse.per_user_ndcg10
    return float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(max(1, diff.size)))


def _components(ranker: HybridRanker, rows: sp.csr_matrix,
                rated: NDArray[np.bool_]) -> dict[str, NDArray[np.float64]]:
    assert ranker.nmf is not None and ranker.popularity is not None
    raw = ranker.collaborative_scores(rows)
    stars = (raw["stars"] - 1.0) / 4.0
    ease = normalise(raw["ease"], rated)
    nmf = normalise(raw["nmf"], rated)
    return {"ease": ease, "nmf": nmf, "stars": stars,
            "popularity": np.broadcast_to(ranker.popularity, rated.shape)}


def _ndcg10(scores: NDArray[np.float64], rated: NDArray[np.bool_], relevant: NDArray[np.bool_]) -> float:
    masked = np.where(rated, -np.inf, scores)
    ranked = top_k(masked, 10)
    return float(ndcg_at_k(hits_matrix(ranked, relevant), relevant.sum(axis=1), 10).mean())


def main(argv: list[str]) -> None:
    """Print the best weights for a MovieLens size ('100k' or '1m'); 'content' as a second word
    scores the content share with the items' MiniLM text vectors instead (seeds may follow: 7,8,9),
    'als' the ALS baseline's settings."""
    from app.recommend.evaluate import load_movielens

    if len(argv) > 1 and argv[1] == "als":
        data = load_movielens(argv[0])
        train, _ = holdout_split(data.matrix)
        for score, (factors, regularization, alpha) in tune_als(data, train):
            print(f"{score:.4f} factors {factors} regularization {regularization:g} alpha {alpha:g}")
        return
    if len(argv) > 1 and argv[1] == "content":
        seeds = [int(s) for s in argv[2].split(",")] if len(argv) > 2 else [VALIDATION_SEED]
        _main_content(argv[0], seeds)
        return
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


def _main_content(size: str, seeds: list[int]) -> None:
    from app.catalog.movielens import read_movielens
    from app.recommend.evaluate import DATASETS, embed_item_texts, to_interactions

    raw = read_movielens(DATASETS.get(size, size))
    data = to_interactions(raw)
    vectors = embed_item_texts(raw)
    train, _ = holdout_split(data.matrix)
    for seed in seeds:
        trials = tune_content(data, train, vectors, seed=seed)
        zero = trials[0]
        print(f"validation seed {seed}: content share, NDCG@10, P@5, NDCG@5, NDCG@10 gain over "
              f"share {zero.share:g} (paired, +- 1 standard error)")
        for trial in trials:
            gain, error = paired_gain(trial, zero)
            print(f"  {trial.share:.2f}  {trial.ndcg10:.4f}  {trial.p5:.4f}  {trial.ndcg5:.4f}  "
                  f"{gain:+.4f} +- {error:.4f}")


if __name__ == "__main__":
    main(sys.argv[1:])
