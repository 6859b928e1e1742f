"""Implicit-feedback ALS (Hu, Koren & Volinsky 2008) fitted by `implicit`; rows fold in with numpy.

`implicit` is imported here only, and only while fitting: a fitted model is plain numpy arrays (the
item factors and their gram matrix), so it pickles without the library and scores a row without it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from app.domain.errors import ModelMissingError
from app.domain.interactions import InteractionMatrix
from app.domain.progress import CancelToken, ProgressCallback, no_progress
from app.recommend.bpmf import FITTING
from app.recommend.linalg import matvec, weighted_gram

FloatArray = NDArray[np.float64]

# Stars become a signed preference: (stars - 2.5) / 2.5, so 5★ is 1, 4★ 0.6, 3★ 0.2, 2★ -0.2 and 1★
# -0.6 (a dislike: preference 0 held with confidence). Its size times alpha is the confidence;
# unrated items weigh 1 with preference 0, and a 2.5★ item weighs nothing either way. On ML-100K's
# validation split this beat who-rated-what (NDCG@10 0.2539 vs 0.2285 at the same settings) and
# stars / 5 (0.2455). BPR (implicit's, binary) did far worse there: best 0.1618 on ML-100K and 0.1310
# on ML-1M against ALS's 0.2571 and 0.2380, so ALS it is.
NEUTRAL_STARS = 2.5
STAR_SPAN = 2.5
# Chosen by NDCG@10 on the validation split carved from training (seed-42 train -> seed-7 holdout;
# `python -m app.recommend.tune 1m als`), never the test split. On ML-1M factors 64 and 128 tie
# (0.2361 / 0.2370 at regularization 100, alpha 10), so 64, half the cost; regularization 20-200 and
# alpha 5-20 form a ridge along regularization / alpha of 7-10 (70/7 0.2376, 100/15 0.2375, 100/10
# 0.2361) that falls off a cliff past ~12 (100/7 0.2233, 200/10 0.1876). 100/15 ties the best and
# sits furthest from the cliff, which matters for catalogues nobody tuned it on. Ten iterations match
# fifteen (0.2380 vs 0.2375; 5: 0.2333) for two thirds of the time. ML-100K prefers 35/7 (0.2571),
# which its `chatrec eval` baseline row uses (app.recommend.evaluate.BASELINE_PARAMS).
ALS_FACTORS = 64
ALS_REGULARIZATION = 100.0
ALS_ALPHA = 15.0
ALS_ITERATIONS = 10
ALS_SEED = 42
_SOLVE_BLOCK = 256  # rows folded in at once by score_many


@dataclass(frozen=True)
class ALSStats:
    """A row's normal equations, (YtY + reg I + sum (c - 1) y y^T) x = sum c p y, updatable item by item."""

    lhs: FloatArray  # (factors, factors)
    rhs: FloatArray  # (factors,)


class ALSRecommender:
    """Weighted matrix factorisation of signed star preferences; a row's factors are one solve away."""

    name = "als-implicit"

    def __init__(self, factors: int = ALS_FACTORS, regularization: float = ALS_REGULARIZATION,
                 alpha: float = ALS_ALPHA, iterations: int = ALS_ITERATIONS, seed: int = ALS_SEED,
                 threads: int | None = None) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.seed = seed
        # implicit's own OpenMP threads; None = every core (fitting is a blocking call off the GUI thread).
        self.threads = threads
        self.item_factors: NDArray[np.float32] | None = None  # (items, factors)
        self.gram: FloatArray | None = None  # YtY + reg I, (factors, factors)
        self._unit: NDArray[np.float32] | None = None  # item factors scaled to unit length (cosines)

    def fit(self, data: InteractionMatrix, *, progress: ProgressCallback = no_progress,
            cancel: CancelToken | None = None) -> None:
        """Fit the item factors with implicit's conjugate-gradient ALS; progress once per iteration."""
        from threadpoolctl import threadpool_limits

        try:
            from implicit.cpu.als import AlternatingLeastSquares  # the one module that imports implicit
        except (ImportError, OSError) as exc:  # OSError: a native library it links to is missing
            raise ModelMissingError(
                f"this catalogue is too big for the dense recommender, and the factorisation library it needs "
                f"(implicit) would not load: {exc}. Reinstall Chat-Rec; on Windows, also install Microsoft's "
                f"Visual C++ Redistributable, which provides the VCOMP140.DLL it uses.") from exc

        if cancel is not None:
            cancel.raise_if_cancelled(FITTING)
        message = f"{FITTING} (item factors)"

        def each_iteration(iteration: int, _elapsed: float, _loss: float | None) -> None:
            progress(iteration + 1, self.iterations, message)
            if cancel is not None:  # one iteration is seconds even at 25M ratings
                cancel.raise_if_cancelled(FITTING)

        progress(0, self.iterations, message)
        # implicit solves many small systems on its own threads; a threaded BLAS under them
        # oversubscribes the cores (implicit warns of a 10x slow-down), so BLAS gets one thread here.
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=self.factors, regularization=self.regularization, alpha=1.0,
                iterations=self.iterations, random_state=self.seed, dtype=np.float32,
                num_threads=self.threads if self.threads is not None else (os.cpu_count() or 1))
            model.fit(self.confidence(data.matrix), show_progress=False, callback=each_iteration)
        self.set_item_factors(np.asarray(model.item_factors, dtype=np.float32))

    def set_item_factors(self, items: NDArray[np.float32]) -> None:
        """Adopt fitted item factors: their gram matrix and unit rows follow from them."""
        self.item_factors = np.ascontiguousarray(items, dtype=np.float32)
        y = self.item_factors.astype(np.float64)
        self.gram = y.T @ y + self.regularization * np.eye(y.shape[1])
        norms = np.linalg.norm(self.item_factors, axis=1, keepdims=True)
        self._unit = np.divide(self.item_factors, norms, out=np.zeros_like(self.item_factors), where=norms > 0)

    def confidence(self, matrix: sp.csr_matrix) -> sp.csr_matrix:
        """alpha x the signed preference of every rating, as the float32 CSR matrix implicit fits.

        A 2.5★ rating stays an explicit zero: implicit then weighs the item 0 (neither liked nor not).
        """
        out = sp.csr_matrix(matrix, dtype=np.float32, copy=True)
        out.data = (self.alpha * _preference(out.data)).astype(np.float32)
        out.sort_indices()
        return out

    @property
    def n_items(self) -> int:
        """Number of items the model was fitted on."""
        return int(self._fitted()[0].shape[0])

    def row_stats(self, user_row: FloatArray) -> ALSStats:
        """The normal equations of one dense row of stars (0 = unrated)."""
        items, gram = self._fitted()
        rated = np.flatnonzero(user_row > 0)
        weight, target = self._terms(user_row[rated])
        y = items[rated].astype(np.float64)
        return ALSStats(gram + weighted_gram(y, weight), target @ y)

    def update_stats(self, stats: ALSStats, changed: NDArray[np.int64], old: FloatArray,
                     new: FloatArray) -> ALSStats:
        """The equations after `changed` went from `old` to `new` stars (0 = unrated)."""
        items, _ = self._fitted()
        old_weight, old_target = self._terms(old)
        new_weight, new_target = self._terms(new)
        y = items[changed].astype(np.float64)
        lhs = stats.lhs + np.einsum("n,ni,nj->ij", new_weight - old_weight, y, y)
        return ALSStats(lhs, stats.rhs + np.einsum("n,ni->i", new_target - old_target, y))

    def factors_from_stats(self, stats: ALSStats) -> FloatArray:
        """A row's factors: its equations solved (implicit's user step, exactly)."""
        return np.asarray(np.linalg.solve(stats.lhs, stats.rhs), dtype=np.float64)

    def scores_from_stats(self, stats: ALSStats) -> FloatArray:
        """Every item's score for a row's equations (one product, off the BLAS thread pool)."""
        items, _ = self._fitted()
        return matvec(items, self.factors_from_stats(stats).astype(np.float32))

    def user_factors(self, user_row: FloatArray) -> FloatArray:
        """The factors of one dense row of stars, folded in from its ratings alone."""
        return self.factors_from_stats(self.row_stats(np.asarray(user_row, dtype=np.float64).ravel()))

    def score(self, user_row: FloatArray) -> FloatArray:
        """Scores over all items for one dense row of stars (Recommender protocol)."""
        return self.scores_from_stats(self.row_stats(np.asarray(user_row, dtype=np.float64).ravel()))

    def score_many(self, rows: sp.csr_matrix) -> FloatArray:
        """Scores for many rows at once: each block's equations built by two sparse products, then solved."""
        items, gram = self._fitted()
        csr = sp.csr_matrix(rows, dtype=np.float64)
        out = np.empty((csr.shape[0], items.shape[0]))
        a, b = np.triu_indices(self.factors)
        for start in range(0, csr.shape[0], _SOLVE_BLOCK):
            block = csr[start:start + _SOLVE_BLOCK]
            block.sort_indices()
            weight, target = self._terms(block.data)
            used, columns = np.unique(block.indices, return_inverse=True)
            shape = (block.shape[0], used.size)
            y = items[used]
            # sum_i w_i y_i y_i^T per row: one column per (a, b) entry of the upper triangle.
            pairs = sp.csr_matrix((weight, columns, block.indptr), shape=shape) @ (y[:, a] * y[:, b])
            lhs = np.empty((block.shape[0], self.factors, self.factors))
            lhs[:, a, b] = pairs
            lhs[:, b, a] = pairs
            lhs += gram
            rhs = sp.csr_matrix((target, columns, block.indptr), shape=shape) @ y.astype(np.float64)
            factors = np.linalg.solve(lhs, np.asarray(rhs)[:, :, None])[:, :, 0]
            out[start:start + block.shape[0]] = factors.astype(np.float32) @ items.T
        return out

    def similarity(self, item: int, others: NDArray[np.int64] | None = None) -> FloatArray:
        """Cosine of one item's factors to others' (to every item when others is None)."""
        return self.similarity_to(item, self.unit_rows(others))

    def unit_rows(self, items: NDArray[np.int64] | None = None) -> NDArray[np.float32]:
        """The unit-length factors of these items (of every item when None)."""
        self._fitted()
        assert self._unit is not None
        return self._unit if items is None else self._unit[items]

    def similarity_to(self, item: int, unit_rows: NDArray[np.float32]) -> FloatArray:
        """Cosine of one item's factors to rows already taken by unit_rows."""
        return matvec(unit_rows, self.unit_rows()[item])

    def _terms(self, stars: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Per item: c - 1 (its weight in the lhs beyond an unrated item's) and c p (its rhs weight); 0 if unrated."""
        rated = stars > 0
        preference = _preference(stars)
        confidence = self.alpha * np.abs(preference)
        weight = np.where(rated, confidence - 1.0, 0.0)
        target = np.where(rated & (preference > 0), confidence, 0.0)
        return weight, target

    def _fitted(self) -> tuple[NDArray[np.float32], FloatArray]:
        if self.item_factors is None or self.gram is None:
            raise RuntimeError("als must be fitted before scoring")
        return self.item_factors, self.gram


def _preference(stars: NDArray[np.floating]) -> FloatArray:
    """Stars as a signed preference in [-0.6, 1]: positive is liked, negative disliked."""
    return np.asarray((np.asarray(stars, dtype=np.float64) - NEUTRAL_STARS) / STAR_SPAN, dtype=np.float64)
