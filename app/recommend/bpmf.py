"""Bayesian probabilistic matrix factorisation (Salakhutdinov & Mnih 2008) by Gibbs sampling."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from app.domain.interactions import InteractionMatrix
from app.domain.progress import CancelToken, ProgressCallback, no_progress
from app.recommend.linalg import matvec

FloatArray = NDArray[np.float64]
FITTING = "fitting the recommender"  # what progress and a cancel say about this step
_OUTER_BLOCK = 4096  # items whose outer products are built at once


@dataclass(frozen=True)
class RowStats:
    """Sums over a row's rated items, per sample: sum v v^T and sum v (stars - mean)."""

    gram: FloatArray  # (samples, rank, rank)
    rhs: FloatArray  # (samples, rank)


class BPMF:
    """Star predictions averaged over Gibbs samples; new rating rows fold in without refitting."""

    name = "bpmf"

    def __init__(self, rank: int = 10, burn_in: int = 15, samples: int = 30, keep: int = 15,
                 alpha: float = 2.0, seed: int = 42) -> None:
        self.rank = rank
        self.burn_in = burn_in
        self.samples = samples
        self.keep = keep  # item-side samples kept for fold-in (a thinned subset of `samples`)
        self.alpha = alpha
        self.seed = seed
        self.mean = 0.0
        # Per kept sample: item factors, and the user prior's mean and precision.
        self.item_factors: FloatArray | None = None  # (keep, items, rank)
        self.user_mu: FloatArray | None = None  # (keep, rank)
        self.user_prec: FloatArray | None = None  # (keep, rank, rank)
        self.stacked: NDArray[np.float32] | None = None
        self.outer: NDArray[np.float32] | None = None  # (items, samples * rank * rank)

    def fit(self, data: InteractionMatrix, progress: ProgressCallback = no_progress,
            cancel: CancelToken | None = None) -> None:
        """Run the Gibbs chain on the observed stars and keep thinned samples of the item side."""
        rng = np.random.default_rng(self.seed)
        ratings = sp.csr_matrix(data.matrix, dtype=np.float64)
        self.mean = float(ratings.data.mean()) if ratings.nnz else 3.0
        centred = ratings.copy()
        centred.data -= self.mean
        by_item = sp.csr_matrix(centred.T)
        user_side, item_side = _Side(centred), _Side(by_item)
        n_users, n_items = ratings.shape
        del ratings, centred, by_item  # the sides hold what the chain needs: at 25M ratings this frees ~0.9 GB
        users = 0.1 * rng.standard_normal((n_users, self.rank))
        items = 0.1 * rng.standard_normal((n_items, self.rank))
        kept_v: list[FloatArray] = []
        kept_mu: list[FloatArray] = []
        kept_prec: list[FloatArray] = []
        total = self.burn_in + self.samples
        stride = max(1, self.samples // max(1, self.keep))
        for step in range(total):
            if cancel is not None:  # each step is a fraction of a second even on ML-1M
                cancel.raise_if_cancelled(FITTING)
            progress(step, total, FITTING)
            mu_v, prec_v = _sample_hyper(items, rng)
            items = _sample_factors(item_side, users, mu_v, prec_v, self.alpha, rng)
            mu_u, prec_u = _sample_hyper(users, rng)
            users = _sample_factors(user_side, items, mu_u, prec_u, self.alpha, rng)
            done = step - self.burn_in
            if done >= 0 and done % stride == 0 and len(kept_v) < self.keep:
                kept_v.append(items.copy())
                kept_mu.append(mu_u)
                kept_prec.append(prec_u)
        self.item_factors = np.stack(kept_v)
        self.user_mu = np.stack(kept_mu)
        self.user_prec = np.stack(kept_prec)
        # Item factors of all samples side by side, (items, samples * rank): one product predicts.
        # float32 halves the memory read per prediction; precision far exceeds what stars need.
        kept, n_items, rank = self.item_factors.shape
        self.stacked = np.ascontiguousarray(self.item_factors.transpose(1, 0, 2).reshape(
            n_items, kept * rank), dtype=np.float32)
        # Each item's v v^T under every sample, flattened: folding in a row becomes a gather-sum.
        # Built a block of items at a time: the float64 products of 60,000 items at once take 0.7 GB.
        self.outer = np.empty((n_items, kept * rank * rank), dtype=np.float32)
        for start in range(0, n_items, _OUTER_BLOCK):
            block = self.item_factors[:, start:start + _OUTER_BLOCK]
            self.outer[start:start + _OUTER_BLOCK] = np.einsum("sik,sil->iskl", block, block).reshape(
                block.shape[1], kept * rank * rank)

    def fold_in(self, rows: sp.csr_matrix) -> FloatArray:
        """Each row's factors under every kept sample, (samples, rows, rank), from its ratings alone."""
        if self.item_factors is None or self.user_mu is None or self.user_prec is None:
            raise RuntimeError("bpmf must be fitted before predicting")
        centred = sp.csr_matrix(rows, dtype=np.float64).copy()
        centred.data -= self.mean
        side = _Side(centred)
        # The posterior mean of a user's factors given each sample's items (Rao-Blackwellised).
        return np.stack([_posterior_mean(side, v, mu, prec, self.alpha)
                         for v, mu, prec in zip(self.item_factors, self.user_mu, self.user_prec,
                                                strict=True)])

    def fold_in_row(self, user_row: FloatArray) -> FloatArray:
        """fold_in for one dense row, every sample at once (no sparse set-up: fast for the app)."""
        return self.factors_from_stats(self.row_stats(user_row))

    def row_stats(self, user_row: FloatArray) -> RowStats:
        """The sufficient statistics of one row: what fold-in needs, updatable item by item."""
        if self.item_factors is None or self.outer is None:
            raise RuntimeError("bpmf must be fitted before predicting")
        rated = np.flatnonzero(user_row > 0)
        samples, _, rank = self.item_factors.shape
        gram = self.outer[rated].sum(axis=0, dtype=np.float64).reshape(samples, rank, rank)
        v = self.item_factors[:, rated, :]  # (samples, rated, rank)
        rhs = np.einsum("snk,n->sk", v, user_row[rated] - self.mean)
        return RowStats(gram, rhs)

    def update_stats(self, stats: RowStats, items: NDArray[np.int64], old: FloatArray,
                     new: FloatArray) -> RowStats:
        """The statistics after `items` changed from `old` to `new` stars (0 = unrated)."""
        if self.item_factors is None or self.outer is None:
            raise RuntimeError("bpmf must be fitted before predicting")
        sign = (new > 0).astype(np.float64) - (old > 0).astype(np.float64)
        samples, _, rank = self.item_factors.shape
        gram = stats.gram + np.einsum("i,ij->j", sign, self.outer[items].astype(np.float64)).reshape(
            samples, rank, rank)
        delta = np.where(new > 0, new - self.mean, 0.0) - np.where(old > 0, old - self.mean, 0.0)
        rhs = stats.rhs + np.einsum("snk,n->sk", self.item_factors[:, items, :], delta)
        return RowStats(gram, rhs)

    def factors_from_stats(self, stats: RowStats) -> FloatArray:
        """A row's factors under every sample, (samples, 1, rank), from its statistics."""
        if self.user_mu is None or self.user_prec is None:
            raise RuntimeError("bpmf must be fitted before predicting")
        precision = self.alpha * stats.gram + self.user_prec
        rhs = self.alpha * stats.rhs + np.einsum("skl,sl->sk", self.user_prec, self.user_mu)
        return np.asarray(np.linalg.solve(precision, rhs[:, :, None])[:, None, :, 0], dtype=np.float64)

    def predict_rows(self, rows: sp.csr_matrix, user_pos: NDArray[np.int64],
                     item_pos: NDArray[np.int64]) -> FloatArray:
        """Predicted stars for (row, item) pairs, each row folded in from its ratings alone."""
        factors = self.fold_in(rows)
        assert self.item_factors is not None
        dots = np.einsum("sij,sij->i", factors[:, user_pos], self.item_factors[:, item_pos])
        return np.asarray(np.clip(self.mean + dots / factors.shape[0], 1.0, 5.0), dtype=np.float64)

    def predict_all(self, rows: sp.csr_matrix) -> FloatArray:
        """Predicted stars of every item for each row, each row folded in from its ratings alone."""
        return self.predict_from_factors(self.fold_in(rows))

    def predict_from_factors(self, factors: FloatArray) -> FloatArray:
        """Predicted stars of every item for rows already folded in."""
        if self.stacked is None:
            raise RuntimeError("bpmf must be fitted before predicting")
        samples, n_rows, rank = factors.shape
        users = factors.transpose(1, 0, 2).reshape(n_rows, samples * rank).astype(np.float32)
        # One user (the app): a matrix-vector product off the BLAS thread pool; many: one GEMM.
        single = n_rows == 1
        total = matvec(self.stacked, users[0])[None, :] if single else (users @ self.stacked.T)
        return np.asarray(np.clip(self.mean + total / samples, 1.0, 5.0), dtype=np.float64)


def _sample_hyper(factors: FloatArray, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """Draw the Gaussian-Wishart prior (mean, precision) of one side given its factors."""
    n, k = factors.shape
    beta0, nu0 = 2.0, float(k)
    mean = factors.mean(axis=0) if n else np.zeros(k)  # no items at all (nobody rated anything): the prior
    spread = np.cov(factors, rowvar=False, bias=True) if n > 1 else np.zeros((k, k))
    shrink = beta0 * n / (beta0 + n)
    w_inv = np.eye(k) + n * spread + shrink * np.outer(mean, mean)
    w = np.linalg.inv(w_inv)
    w = (w + w.T) / 2.0
    from scipy.stats import wishart  # scipy.stats costs about a second to import; only fits need it

    prec = np.asarray(wishart.rvs(df=nu0 + n, scale=w, random_state=rng)).reshape(k, k)
    mu_n = n * mean / (beta0 + n)
    cov = np.linalg.inv((beta0 + n) * prec)
    mu = rng.multivariate_normal(mu_n, (cov + cov.T) / 2.0)
    return mu, prec


class _Side:
    """One side's centred ratings and rated-pattern, in float32 for faster sparse products."""

    def __init__(self, centred: sp.csr_matrix) -> None:
        self.values = sp.csr_matrix(centred, dtype=np.float32)
        self.pattern = self.values.copy()
        self.pattern.data = np.ones_like(self.pattern.data)


def _normal_equations(side: _Side, other: FloatArray, mu: FloatArray, prec: FloatArray,
                      alpha: float) -> tuple[FloatArray, FloatArray]:
    """Per-row precision matrices and right-hand sides, built with two sparse products."""
    k = other.shape[1]
    a, b = np.triu_indices(k)
    values, pattern = side.values, side.pattern
    if values.nnz < other.shape[0] // 4:
        # A few folded-in rows: work only on the columns they rated, not on every item.
        used, remapped = np.unique(values.indices, return_inverse=True)
        shape = (values.shape[0], used.size)
        values = sp.csr_matrix((values.data, remapped, values.indptr), shape=shape)
        pattern = sp.csr_matrix((pattern.data, remapped, pattern.indptr), shape=shape)
        other = other[used]
    other32 = other.astype(np.float32)
    # sum_j v_j v_j^T over each row's rated columns, one (a, b) entry per column of `pairs`.
    pairs = np.asarray(pattern @ (other32[:, a] * other32[:, b]), dtype=np.float64)
    precision = np.empty((values.shape[0], k, k))
    precision[:, a, b] = pairs
    precision[:, b, a] = pairs
    precision = alpha * precision + prec
    rhs = alpha * np.asarray(values @ other32, dtype=np.float64) + prec @ mu
    return precision, rhs


def _posterior_mean(side: _Side, other: FloatArray, mu: FloatArray, prec: FloatArray,
                    alpha: float) -> FloatArray:
    precision, rhs = _normal_equations(side, other, mu, prec, alpha)
    return np.asarray(np.linalg.solve(precision, rhs[:, :, None])[:, :, 0], dtype=np.float64)


def _sample_factors(side: _Side, other: FloatArray, mu: FloatArray, prec: FloatArray,
                    alpha: float, rng: np.random.Generator) -> FloatArray:
    precision, rhs = _normal_equations(side, other, mu, prec, alpha)
    # With precision = L L^T and M = L^-1: mean = M^T M rhs, and M^T z has the posterior covariance.
    inv_chol = np.linalg.inv(np.linalg.cholesky(precision))
    inv_chol_t = np.swapaxes(inv_chol, 1, 2)
    noise = rng.standard_normal(rhs.shape)
    half = np.einsum("nij,nj->ni", inv_chol, rhs)
    return np.asarray(np.einsum("nij,nj->ni", inv_chol_t, half + noise), dtype=np.float64)
