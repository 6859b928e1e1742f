"""The ranker the app ships: named, normalised parts blended with weights that sum to one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from app.domain.interactions import InteractionMatrix
from app.domain.progress import CancelToken, ProgressCallback, no_progress
from app.domain.recommendation import ScorePart
from app.recommend.als import ALSRecommender, ALSStats
from app.recommend.audio import SoundScorer
from app.recommend.baselines import binary_rows, ease_weights, gram_matrix, item_item_product
from app.recommend.bpmf import BPMF, FITTING
from app.recommend.content import ContentScorer, liked_mask
from app.recommend.dataset import ActiveColumns
from app.recommend.foldin import EaseRows, IncrementalRow
from app.recommend.nmf import NMFRecommender
from app.recommend.rating import RatingModel

FloatArray = NDArray[np.float64]
PART_NAMES = ("collaborative", "content", "query", "popularity", "audio")
MAX_DRIVERS = 3
# EASE's ridge grows with how often items are rated: lambda = EASE_LAMBDA_PER_RATING * mean
# ratings per item. On validation splits carved from training, 15x lands inside the flat optimum
# for both ML-100K (best 400-800 of 50..1600) and ML-1M (best 1000-4000 of 500..8000).
EASE_LAMBDA_PER_RATING = 15.0
# The dense collaborative parts (EASE's weights, the gram, the driver cosines, the k-NN baseline's
# similarities: active x active float32 each, and its users x active residuals) must fit in this at
# their peak, or the collaborative part is factorised instead (ALS from `implicit`, drivers from its
# item factors). The app must fit within 6 GB at 25M ratings beside its text index, the MiniLM
# embedder, a language model of a GB or two and Qt; 2 GB keeps every catalogue up to ~8,000 rated
# items dense (ML-1M's 3,706 need 0.56 GB by this estimate; its whole process peaks near 0.8 GB).
DENSE_BUDGET_BYTES = 2 * 1024**3
DENSE = "dense"
FACTORISED = "factorised"
# BPMF's Gibbs chain on the factorised path: 25 steps instead of 45. At 25M ratings a step costs ~7 s
# of one core (sparse products over every rating), so the full chain alone would take five minutes
# of the ten-minute budget. On ML-1M's rating validation split the short chain's RMSE is 0.8546
# against the full chain's 0.8509 (BPMF blended with the biases, as on that path).
FACTORISED_CHAIN = {"burn_in": 10, "samples": 15, "keep": 15}


def dense_bytes(n_users: int, n_active: int) -> int:
    """The peak bytes the dense collaborative parts would take for this many users and rated items.

    Counted from the code: at most seven active x active float32 matrices live at once (gram, EASE
    and cosine held while the k-NN baseline's similarity is built from two more and its temporaries),
    beside the k-NN baseline's two dense users x active float32 matrices.
    """
    return 4 * (7 * n_active * n_active + 2 * n_users * n_active)


@dataclass(frozen=True)
class CollaborativeMix:
    """How the collaborative part blends its models (shares sum to 1)."""

    ease: float  # EASE's share; ALS's where the catalogue is too big for EASE (the factorised path)
    nmf: float
    stars: float  # the rating model's predicted stars, mapped from [1, 5] to [0, 1]


# On the factorised path ALS takes EASE's place, and the even split the dense path uses costs NDCG
# there: on the validation splits the dense mix was tuned on (app.recommend.tune), the hybrid forced
# onto the factorised path scored a stars share of 0 / 0.1 / 0.2 / 0.3 / 0.5 at NDCG@10 0.2374 / 0.2384
# / 0.2392 / 0.2384 / 0.2326 on ML-1M and 0.2280 / 0.2279 / 0.2272 / 0.2272 / 0.2168 on ML-100K
# (popularity 0.05). So ALS 0.8, stars 0.2.
FACTORISED_MIX = CollaborativeMix(ease=0.8, nmf=0.0, stars=0.2)


@dataclass(frozen=True)
class HybridWeights:
    """Part weights without a query (renormalised over the parts in use) and the query's share."""

    collaborative: float
    content: float
    popularity: float
    query: float
    mix: CollaborativeMix
    audio: float = 0.0
    factorised_mix: CollaborativeMix = FACTORISED_MIX  # the mix when ALS stands in for EASE


# Tuned by `python -m app.recommend.tune 100k|1m` (grid search of NDCG@10) on a validation split
# carved from the TRAINING part of docs/evaluation.md's split (seed-42 train -> seed-7 per-user 20% holdout);
# the test split was never looked at. EASE and predicted stars share the collaborative part evenly:
# best on ML-100K (0.2510 vs 0.2337 for EASE alone) and 0.0002 behind the best (ease 0.6) on ML-1M
# (0.2371 vs 0.2279). NMF added nothing once they were in, so it is left out (faster fold-in).
DEFAULT_MIX = CollaborativeMix(ease=0.5, nmf=0.0, stars=0.5)
# Popularity costs ~0.001 NDCG for users with ratings (0.05: 0.2504 / 0.2362) but we keep a little
# so the part is visible and leads for newcomers, where it is alone. Content was first set with
# genre+year stand-in vectors, then re-checked with the MiniLM item text vectors the app really fits
# with (`python -m app.recommend.tune 100k|1m content`: same seed-7 validation split, shares 0-0.3,
# collaborative:popularity kept at 17:1). NDCG@10, share 0 -> 0.1, paired gain +- 1 s.e.:
# ML-1M 0.2360 -> 0.2375 (+0.0015 +- 0.0005; seed 8: +0.0010 +- 0.0005), ties 0.15 for the best;
# ML-100K 0.2502 -> 0.2515 (+0.0013 +- 0.0018; seeds 8 / 9: +0.0019 / -0.0005), i.e. neutral:
# 0.05-0.2 sit within noise of each other there. 0.15 is ahead of 0.1 on every draw, but by only
# 0.0001-0.0009 (at most 1.5 s.e.), so 0.1 stays; 0.3 hurts on both. Without item vectors content
# drops out and the other weights are renormalised (the evaluation's ratings-only "hybrid" row).
# A query is what the user asked for right now, so it takes the larger share (0.6) and beats
# popularity alone for a newcomer; there is no labelled query data to tune it on, so this is a
# product choice, not a fitted number.
# Sound joins only for a user who liked tracks the app has listened to. No listening data set exists
# in the registries to tune it on, so it is a product choice: 0.35 against collaborative 0.85 gives
# it about a quarter of the score, and for the usual music library (one person's ratings, so nobody
# co-rated anything and the collaborative part is flat) it leads content about 3.5 to 1.
DEFAULT_WEIGHTS = HybridWeights(collaborative=0.85, content=0.1, popularity=0.05, query=0.6,
                                mix=DEFAULT_MIX, audio=0.35)


@dataclass(frozen=True)
class RankedItem:
    """One ranked item: its column, score, weighted parts, driving items and predicted stars."""

    index: int
    score: float
    parts: tuple[ScorePart, ...]
    drivers: tuple[tuple[int, float], ...]
    predicted_stars: float | None
    sound_driver: tuple[int, float] | None = None  # the liked track it sounds most like


class HybridRanker:
    """Blends collaborative (EASE or ALS + NMF + predicted stars), content, sound, query and popularity.

    The collaborative part is dense (EASE, co-rating cosines, the k-NN baseline) when its item x item
    matrices fit in `dense_budget` bytes, and factorised (ALS, item-factor cosines, BPMF with the
    k-NN model's biases) when they would not: 60,000 rated items would need 100 GB the dense way.
    """

    name = "hybrid"

    def __init__(self, weights: HybridWeights = DEFAULT_WEIGHTS, ease_lambda: float | None = None,
                 nmf_components: int = 10, rating_model: RatingModel | None = None, *,
                 dense_budget: int = DENSE_BUDGET_BYTES, als: ALSRecommender | None = None) -> None:
        self.weights = weights
        self.ease_lambda = ease_lambda
        self.nmf = NMFRecommender(nmf_components) if weights.mix.nmf > 0 else None
        self.rating = rating_model if rating_model is not None else RatingModel()
        self._own_rating_model = rating_model is None
        self.dense_budget = dense_budget
        self._als_model = als
        # The collaborative models (EASE or ALS, cosine, NMF, the rating model, fold-in) live on the
        # active columns, the items somebody had rated at fit time; `columns` maps them to the catalogue.
        self.columns: ActiveColumns | None = None
        self.path = DENSE  # which collaborative part the last fit chose: DENSE or FACTORISED
        self.ease: NDArray[np.float32] | None = None  # active x active (dense path)
        self.cosine: NDArray[np.float32] | None = None  # active x active (dense path)
        self.als: ALSRecommender | None = None  # over the active columns (factorised path)
        self.popularity: FloatArray | None = None
        self.content: ContentScorer | None = None
        self.sound: SoundScorer | None = None
        self._incremental: IncrementalRow[FloatArray] | IncrementalRow[ALSStats] | None = None

    def fit(self, data: InteractionMatrix, item_vectors: NDArray[np.float32] | None = None, *,
            audio_vectors: NDArray[np.float32] | None = None,
            progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> None:
        """Fit every model; item_vectors (unit text rows) enable content, audio_vectors (unit sound rows) sound."""
        if cancel is not None:
            cancel.raise_if_cancelled(FITTING)
        full = binary_rows(data.matrix)
        counts = np.asarray(full.sum(axis=0), dtype=np.float64).ravel()
        # log damps the blockbusters so popularity ranks rather than dominates.
        self.popularity = np.log1p(counts) / max(np.log1p(counts.max(initial=0.0)), 1e-12)
        self.columns = ActiveColumns.rated_in(data.matrix)
        active = self.columns.restrict(data)
        # Decided before anything big is allocated: the estimate needs only the matrix's shape.
        if dense_bytes(data.n_users, self.columns.size) <= self.dense_budget:
            self._fit_dense(data, active, counts, progress, cancel)
        else:
            self._fit_factorised(active, progress, cancel)
        self.content = None
        if item_vectors is not None:
            if item_vectors.shape[0] != data.n_items:
                raise ValueError(f"item_vectors has {item_vectors.shape[0]} rows for {data.n_items} items")
            self.content = ContentScorer(item_vectors)
        self.sound = None
        if audio_vectors is not None:
            if audio_vectors.shape[0] != data.n_items:
                raise ValueError(f"audio_vectors has {audio_vectors.shape[0]} rows for {data.n_items} items")
            self.sound = SoundScorer(audio_vectors)

    def _fit_dense(self, data: InteractionMatrix, active: InteractionMatrix, counts: FloatArray,
                   progress: ProgressCallback, cancel: CancelToken | None) -> None:
        """EASE, co-rating cosines and the rating model with the gram as its k-NN support."""
        assert self.columns is not None
        self.path = DENSE
        self.als = None
        if self._own_rating_model and not self.rating.neighbours:  # refitted after a factorised fit
            self.rating = RatingModel()
        x = binary_rows(active.matrix)
        lam = self.ease_lambda
        if lam is None:
            # Per catalogue item, as it always was, so the ridge does not move when unrated items come or go.
            lam = max(50.0, EASE_LAMBDA_PER_RATING * float(x.nnz) / max(1, data.n_items))
        gram = gram_matrix(x)  # shared by EASE, the driver similarities and the k-NN support
        self.ease = ease_weights(x, lam, gram)
        self.cosine = _cosine(gram, counts[self.columns.active])
        if self.nmf is not None:
            self.nmf.fit(active)
        self.rating.fit(active, support=gram, progress=progress, cancel=cancel)
        self._incremental = IncrementalRow(EaseRows(self.ease), self.rating.bpmf)

    def _fit_factorised(self, active: InteractionMatrix, progress: ProgressCallback,
                        cancel: CancelToken | None) -> None:
        """ALS for the ranking part, BPMF and the k-NN model's biases for the stars: nothing item x item."""
        self.path = FACTORISED
        self.ease = self.cosine = None
        self.als = self._als_model if self._als_model is not None else ALSRecommender()
        self.als.fit(active, progress=progress, cancel=cancel)
        if self.nmf is not None:
            self.nmf.fit(active)
        if self._own_rating_model:
            self.rating = RatingModel(BPMF(**FACTORISED_CHAIN))
        self.rating.fit(active, progress=progress, cancel=cancel, neighbours=False)
        self._incremental = IncrementalRow(self.als, self.rating.bpmf)

    def co_rating_similarity(self, item: int) -> FloatArray:
        """Cosine similarity of who rated this item to who rated each item (itself included).

        On the factorised path it is the cosine of their ALS item factors, computed on demand.
        """
        if self.columns is None:
            raise RuntimeError("hybrid must be fitted before asking for similarities")
        if self.als is not None:
            at = int(self.columns.position[item])
            if at < 0:
                return np.zeros(self.columns.n_items)
            return self.columns.expand(self.als.similarity(at))
        if self.cosine is None:
            raise RuntimeError("hybrid must be fitted before asking for similarities")
        return self.columns.entries(self.cosine, np.arange(self.columns.n_items), item)

    @property
    def text_vectors(self) -> NDArray[np.float32] | None:
        """The unit item text vectors it was fitted with, aligned to the columns; None without."""
        return None if self.content is None else self.content.vectors

    def score(self, user_row: FloatArray) -> FloatArray:
        """Blended scores over all items for one dense row of stars (Recommender protocol)."""
        row = np.asarray(user_row, dtype=np.float64).ravel()
        values, _ = self._values(row[None, :])
        weights = self._weights(row, query=False)
        return np.asarray(_total(values, weights)[0], dtype=np.float64)

    def score_many(self, rows: sp.csr_matrix) -> FloatArray:
        """Blended scores for many rows at once (the evaluation harness's fast path)."""
        dense = sp.csr_matrix(rows).toarray()
        values, _ = self._values(dense)
        out = np.empty((rows.shape[0], self._n_items()))
        groups: dict[tuple[tuple[str, float], ...], list[int]] = {}
        for i, row in enumerate(dense):
            groups.setdefault(tuple(self._weights(row, query=False).items()), []).append(i)
        for key, members in groups.items():
            picked = {name: v[members] for name, v in values.items()}
            out[members] = _total(picked, dict(key))
        return out

    def recommend(self, user_row: FloatArray, k: int, *, query_vector: NDArray[np.float32] | None = None,
                  candidate_mask: NDArray[np.bool_] | None = None,
                  exclude_rated: bool = True, query_weight: float | None = None) -> list[RankedItem]:
        """The top k items for a row of stars, each with its parts, drivers and predicted stars."""
        row = np.asarray(user_row, dtype=np.float64).ravel()
        values, stars_all = self._values(row[None, :])
        if query_vector is not None:
            if self.content is None:
                raise ValueError("a query needs item vectors: fit the ranker with item_vectors")
            values["query"] = normalise(self.content.similarity(query_vector)[None, :], row[None, :] > 0)
        weights = self._weights(row, query=query_vector is not None, query_weight=query_weight)
        total = _total(values, weights)[0]
        allowed = np.ones(total.size, dtype=bool) if candidate_mask is None else candidate_mask.copy()
        if exclude_rated:
            allowed &= row <= 0
        chosen = _top(total, allowed, k)
        stars = self._predicted_stars(row, chosen, stars_all[0])
        liked = np.flatnonzero(liked_mask(row))
        gathered = self._gather(liked)
        sound = self.sound if "audio" in weights else None
        return [RankedItem(index=int(j), score=float(total[j]),
                           parts=tuple(ScorePart(n, float(values[n][0, j]), w) for n, w in weights.items()),
                           drivers=self._drivers(liked, int(j), gathered), predicted_stars=s,
                           sound_driver=None if sound is None else sound.nearest_liked(int(j), liked))
                for j, s in zip(chosen, stars, strict=True)]

    def collaborative_scores(self, rows: FloatArray | sp.csr_matrix) -> dict[str, FloatArray]:
        """Raw EASE (or, factorised, ALS) scores, BPMF's predicted stars and (with NMF) NMF scores, per row.

        Items nobody had rated at fit time score 0 with EASE, ALS and NMF and the mean star with BPMF.
        The item-based part is under "ease" on the dense path and under "als" on the factorised one.
        """
        if self.columns is None or self._incremental is None:
            raise RuntimeError("hybrid must be fitted before scoring")
        columns, bpmf = self.columns, self.rating.bpmf
        active = columns.take(rows)
        if isinstance(active, np.ndarray) and active.shape[0] == 1:
            # One user (the app's case): dense gathers, no sparse set-up, all within a few ms.
            item_row, factors = self._incremental.parts(active[0])
            item_based = item_row[None, :]
            sparse_rows = None
        else:
            sparse_rows = sp.csr_matrix(active)
            factors = bpmf.fold_in(sparse_rows)
            if self.als is not None:
                item_based = self.als.score_many(sparse_rows)
            elif self.ease is not None:
                item_based = item_item_product(sparse_rows, self.ease)
            else:
                raise RuntimeError("hybrid must be fitted before scoring")
        stars = bpmf.predict_from_factors(factors)
        # The prior's draws for an item nobody rated are noise, not a prediction: say the mean star.
        key = "als" if self.als is not None else "ease"
        out = {key: columns.expand(item_based),
               "stars": columns.expand(stars, float(np.clip(bpmf.mean, 1.0, 5.0)))}
        if self.nmf is not None:
            nmf_rows = sparse_rows if sparse_rows is not None else sp.csr_matrix(active)
            out["nmf"] = columns.expand(self.nmf.score_many(nmf_rows))
        return out

    def _predicted_stars(self, row: FloatArray, chosen: NDArray[np.int64],
                         factor_stars: FloatArray) -> list[float | None]:
        """The blended stars of the chosen items; None for items nobody had rated at fit time."""
        if self.columns is None:
            raise RuntimeError("hybrid must be fitted before scoring")
        positions = self.columns.position[chosen]
        warm = positions >= 0
        blended = self.rating.blend_row(self.columns.take(row), positions[warm], factor_stars[chosen[warm]])
        out: list[float | None] = [None] * chosen.size
        for i, stars in zip(np.flatnonzero(warm), blended, strict=True):
            out[i] = float(stars)
        return out

    def _n_items(self) -> int:
        if self.popularity is None:
            raise RuntimeError("hybrid must be fitted before scoring")
        return int(self.popularity.size)

    def _weights(self, row: FloatArray, *, query: bool, query_weight: float | None = None) -> dict[str, float]:
        """Weights of the parts that apply to this row, summing to 1."""
        base = self.weights
        has_ratings = bool((row > 0).any())
        raw = {"collaborative": base.collaborative if has_ratings else 0.0,
               "content": base.content if (self.content is not None and liked_mask(row).any()) else 0.0,
               "popularity": base.popularity,
               "audio": base.audio if self._has_liked_sound(row) else 0.0}
        used = {n: w for n, w in raw.items() if w > 0}
        if not used:  # e.g. every weight zeroed by configuration: fall back to popularity
            used = {"popularity": 1.0}
        total = sum(used.values())
        query_share = base.query if query_weight is None else min(max(query_weight, 0.0), 1.0)
        share = 1.0 - query_share if query else 1.0
        out = {n: share * w / total for n, w in used.items()}
        if query:
            out["query"] = query_share
        return out

    def _has_liked_sound(self, row: FloatArray) -> bool:
        return self.sound is not None and self.sound.liked_with_sound(np.flatnonzero(liked_mask(row))).size > 0

    def _values(self, rows: FloatArray) -> tuple[dict[str, FloatArray], FloatArray]:
        """Each part's normalised value in [0, 1] per dense row and item, and BPMF's predicted stars."""
        if self.popularity is None or self.columns is None:
            raise RuntimeError("hybrid must be fitted before scoring")
        rated = rows > 0
        mix = self.weights.mix if self.als is None else self.weights.factorised_mix
        raw = self.collaborative_scores(rows)
        stars = raw["stars"]
        item_based = raw["ease"] if "ease" in raw else raw["als"]
        collaborative = mix.stars * (stars - 1.0) / 4.0 + mix.ease * normalise(item_based, rated)
        if "nmf" in raw:
            collaborative += mix.nmf * normalise(raw["nmf"], rated)
        # Nobody had rated these when the models were fitted: the models hold no evidence about them.
        # They get no collaborative credit; sound and text rank them.
        collaborative[:, self.columns.inactive] = 0.0
        values = {"collaborative": collaborative,
                  "popularity": np.broadcast_to(self.popularity, rated.shape)}
        if self.content is not None:
            content = self.content.score(rows[0])[None, :] if rows.shape[0] == 1 else self.content.score_many(rows)
            values["content"] = normalise(content, rated)
        if self.sound is not None:
            sound = np.vstack([self.sound.score(np.flatnonzero(liked_mask(r))) for r in rows])
            values["audio"] = normalise(sound, rated)
        return values, stars

    def _gather(self, liked: NDArray[np.int64]) -> _Liked:
        """The liked items' text vectors and unit ALS factors, read once for every driver of an answer."""
        text = None if self.content is None else self.content.vectors[liked]
        known = factors = None
        if self.als is not None and self.columns is not None:
            positions = self.columns.position[liked]
            known = positions >= 0
            factors = self.als.unit_rows(positions[known])
        return _Liked(text, known, factors)

    def _drivers(self, liked: NDArray[np.int64], item: int,
                 gathered: _Liked | None = None) -> tuple[tuple[int, float], ...]:
        """The user's liked items that pushed `item` up most (EASE weight), with their similarity.

        Factorised, the liked items nearest `item` by the cosine of their ALS factors, computed for
        this item against the user's liked items only.
        """
        if liked.size == 0 or self.columns is None:
            return ()
        if gathered is None:
            gathered = self._gather(liked)
        if self.als is not None:
            push = similarity = self._factor_cosine(gathered, liked.size, item)
        elif self.ease is not None and self.cosine is not None:
            push = self.columns.entries(self.ease, liked, item)
            similarity = self.columns.entries(self.cosine, liked, item)
        else:
            return ()
        if self.content is not None:
            # Items nobody co-rated can still be explained by their text.
            text = self.content.item_similarity(item, liked, gathered.text)
            push = np.where(push > 0, push, 0.0) + 1e-3 * np.maximum(text, 0.0)
            similarity = np.maximum(similarity, text)
        order = np.argsort(-push, kind="stable")[:MAX_DRIVERS]
        return tuple((int(liked[i]), round(float(similarity[i]), 4)) for i in order if push[i] > 0)

    def _factor_cosine(self, gathered: _Liked, n_liked: int, item: int) -> FloatArray:
        """ALS item-factor cosine of `item` to each liked item; 0 where either is inactive."""
        assert self.als is not None and self.columns is not None
        out = np.zeros(n_liked)
        at = int(self.columns.position[item])
        if at < 0 or gathered.known is None or gathered.factors is None:
            return out
        out[gathered.known] = self.als.similarity_to(at, gathered.factors)
        return out


@dataclass(frozen=True)
class _Liked:
    """A user's liked items' vectors, gathered once per answer: a heavy rater's thousands, read once not k times."""

    text: NDArray[np.float32] | None  # their unit text vectors (with content)
    known: NDArray[np.bool_] | None  # which of them were active at fit time (factorised path)
    factors: NDArray[np.float32] | None  # the unit ALS factors of those (factorised path)


def _cosine(gram: NDArray[np.float32], counts: FloatArray) -> NDArray[np.float32]:
    """Item-item cosine similarity of who rated what (for explaining drivers)."""
    norms = np.sqrt(counts).astype(np.float32)
    co = gram / np.maximum(np.outer(norms, norms), 1e-12)
    return np.asarray(co, dtype=np.float32)


def normalise(scores: FloatArray, rated: NDArray[np.bool_]) -> FloatArray:
    """Min-max each row over its unrated items into [0, 1] (rated items are clipped)."""
    masked = np.where(rated, np.nan, scores)
    all_rated = rated.all(axis=1)
    masked[all_rated] = scores[all_rated]
    low = np.nanmin(masked, axis=1, keepdims=True)
    high = np.nanmax(masked, axis=1, keepdims=True)
    span = np.where(high - low > 0, high - low, 1.0)
    return np.asarray(np.clip((scores - low) / span, 0.0, 1.0), dtype=np.float64)


def _total(values: dict[str, FloatArray], weights: dict[str, float]) -> FloatArray:
    """The weighted sum of the parts in use."""
    parts = [values[name] * w for name, w in weights.items()]
    return np.asarray(np.sum(parts, axis=0), dtype=np.float64)


def _top(total: FloatArray, allowed: NDArray[np.bool_], k: int) -> NDArray[np.int64]:
    """Indices of the k best allowed scores, best first (ties broken by column for stability)."""
    candidates = np.flatnonzero(allowed)
    if candidates.size == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64)
    k = min(k, candidates.size)
    picked = candidates[np.argpartition(-total[candidates], k - 1)[:k]]
    order = np.lexsort((picked, -total[picked]))
    return picked[order].astype(np.int64)
