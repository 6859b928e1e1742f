"""Recommend, search and find similar items, with reasons, for any user and filters."""

from __future__ import annotations

import functools
import hashlib
import logging
import pickle
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

import app.recommend as recommend_package
from app import __version__
from app.catalog.music_items import descriptors_of, pace
from app.domain.errors import ChatRecError, NothingToGoOnError, UnknownItemError
from app.domain.interactions import InteractionMatrix
from app.domain.items import ME, Item
from app.domain.progress import CancelToken, ProgressCallback, no_progress
from app.domain.recommendation import Driver, Recommendation, ScoreBreakdown, ScorePart, SoundMatch
from app.recommend.hybrid import HybridRanker, RankedItem
from app.services.explain import reasons_for
from app.services.index import ItemIndex
from app.services.sound import SoundIndex
from app.store.sqlite import SQLiteStore

log = logging.getLogger(__name__)
_MIN_RATERS_FOR_COLLAB = 5  # below this an item's co-rating similarity is noise


@dataclass(frozen=True)
class RecommendRequest:
    """What the user asked for: who, how many, an optional query and filters."""

    user: str = ME
    k: int = 10
    query: str | None = None
    domain: str | None = None
    year_min: int | None = None
    year_max: int | None = None
    genres: tuple[str, ...] = ()  # every item has all of these
    genres_any: tuple[str, ...] = ()  # every item has at least one of these
    genres_none: tuple[str, ...] = ()  # no item has any of these
    seed_genres: tuple[str, ...] = ()  # and one of these too (the genres of the titles a request is "like")
    categories: tuple[str, ...] = ()  # products: in one of these shop categories
    price_min: float | None = None  # products: the price within these bounds
    price_max: float | None = None
    pace: tuple[str, ...] = ()  # tracks: one of these (slow, moderate, fast); likewise energy and brightness
    energy: tuple[str, ...] = ()
    brightness: tuple[str, ...] = ()
    tempo_min: float | None = None
    tempo_max: float | None = None
    creators: tuple[str, ...] = ()  # by one of these (an artist, a director, a brand)
    exclude_rated: bool = True
    liked: tuple[str, ...] = ()  # items said to be liked in a conversation: count as 5★ here, not saved
    exclude: tuple[str, ...] = ()  # items never to return ("not that one")
    query_weight: float | None = None  # the query's share of the score; None = the ranker's default
    query_label: str | None = None  # the query as the user said it, for the reasons (the query may be expanded)


@dataclass
class FittedModel:
    """The ranker fitted on one catalogue version, with per-item facts aligned to its columns."""

    version: int
    data: InteractionMatrix
    ranker: HybridRanker
    domains: NDArray[np.str_]
    years: NDArray[np.int64]
    genres: list[frozenset[str]]


def _check_k(k: int) -> None:
    if k < 1:
        raise ChatRecError(f"k must be at least 1, got {k}")


@functools.cache
def _code_fingerprint() -> str:
    """A hash of the recommender's code: a model pickled by other code is refitted, not trusted."""
    digest = hashlib.sha1(__version__.encode())
    package = Path(recommend_package.__file__ or "").parent
    # The rating matrix the models are pickled with lives in the domain: its code counts too.
    sources = [*sorted(package.glob("*.py")), package.parent / "domain" / "interactions.py"]
    for source in sources:
        if source.is_file():  # absent in a frozen build: the version stands in
            digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


class Recommendations:
    """The recommendation use cases over the store, the item index and the hybrid ranker."""

    def __init__(self, store: SQLiteStore, index: ItemIndex, model_dir: Path,
                 ranker_factory: Callable[[], HybridRanker] = HybridRanker, sound: SoundIndex | None = None) -> None:
        self._store = store
        self._index = index
        self._sound = sound
        self._model_dir = model_dir
        self._ranker_factory = ranker_factory
        self._model: FittedModel | None = None
        self._lock = threading.Lock()

    # -- the model ------------------------------------------------------------------------

    def model(self, progress: ProgressCallback = no_progress, cancel: CancelToken | None = None) -> FittedModel:
        """The fitted model for the current catalogue: from memory, the cache, or a fresh fit."""
        with self._lock:  # two worker threads must not both fit and write the same cache file
            version = self._store.catalogue_version()
            if self._model is not None and self._model.version == version:
                return self._model
            # The database id keeps a model fitted on another database (same version number,
            # different catalogue) from ever being used here.
            path = self._model_dir / f"hybrid-{self._store.database_id()}-v{version}-{_code_fingerprint()}.pkl"
            model = self._load(path, version)  # it holds the item vectors: no need to open the index
            if model is None:
                self._index.ensure_current(progress, cancel)
                progress(0, 0, "fitting the recommender")
                model = self._fit(version, progress, cancel)
                self._save(path, model)
            self._model = model
            return model

    def _fit(self, version: int, progress: ProgressCallback, cancel: CancelToken | None) -> FittedModel:
        items = self._store.items()
        data = InteractionMatrix.from_triples(self._store.rating_triples(),
                                              item_ids=[i.id for i in items])
        ranker = self._ranker_factory()
        audio = None
        if self._sound is not None:
            self._sound.ensure_current(progress, cancel)
            audio = self._sound.vectors_for(data.item_ids)
        ranker.fit(data, self._index.matrix(data.item_ids), audio_vectors=audio, progress=progress, cancel=cancel)
        return FittedModel(version, data, ranker,
                           np.array([i.domain for i in items]),
                           np.array([i.year or 0 for i in items], dtype=np.int64),
                           [frozenset(g.lower() for g in i.genres) for i in items])

    def _load(self, path: Path, version: int) -> FittedModel | None:
        # The cache is an index: anything wrong with it means "fit again", never an error.
        try:
            with path.open("rb") as handle:
                model = pickle.load(handle)
        except FileNotFoundError:
            return None
        except Exception as exc:  # unpickling can raise anything; a bad cache is simply refitted
            log.warning("ignoring unreadable model cache %s: %s", path, exc)
            return None
        return model if isinstance(model, FittedModel) and model.version == version else None

    def _save(self, path: Path, model: FittedModel) -> None:
        self._model_dir.mkdir(parents=True, exist_ok=True)
        for old in self._model_dir.glob("hybrid-*.pkl"):
            old.unlink(missing_ok=True)
        partial = path.with_suffix(".tmp")
        with partial.open("wb") as handle:
            pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)  # atomic: a reader never sees half a model

    # -- use cases ------------------------------------------------------------------------

    def user_row(self, model: FittedModel, user: str) -> NDArray[np.float64]:
        """The user's current ratings as a row: ratings made since the fit fold in here."""
        ratings = self._store.ratings_of(user)
        return model.data.row_from_ratings((r.item_id, r.effective_stars()) for r in ratings)

    def recommend(self, request: RecommendRequest, progress: ProgressCallback = no_progress,
                  cancel: CancelToken | None = None) -> list[Recommendation]:
        """The top-k items for a user, filtered, each with its breakdown and reasons."""
        _check_k(request.k)
        self._store.require_user(request.user)
        if self._store.count("items") == 0:
            raise ChatRecError("the catalogue is empty: import something first, for example "
                               "`chatrec import demo` or `chatrec import movielens`")
        if self._store.count("ratings") == 0:
            return self._recommend_unrated(request)
        model = self.model(progress, cancel)
        row = self._row_with_session(model, request)
        query_vector = self._index.embed_query(request.query) if request.query else None
        ranked = model.ranker.recommend(row, request.k, query_vector=query_vector,
                                        candidate_mask=self._mask(model, request),
                                        exclude_rated=request.exclude_rated, query_weight=request.query_weight)
        return self._to_recommendations(model, ranked, row, request.query_label or request.query)

    def explain(self, request: RecommendRequest, item_id: str) -> Recommendation:
        """One item scored for the user as recommend() would score it: its breakdown and reasons."""
        self._store.get_item(item_id)
        model = self.model()
        column = model.data.item_index.get(item_id)
        if column is None:
            raise UnknownItemError(item_id)
        row = self._row_with_session(model, request)
        mask = np.zeros(model.data.n_items, dtype=bool)
        mask[column] = True
        query_vector = self._index.embed_query(request.query) if request.query else None
        ranked = model.ranker.recommend(row, 1, query_vector=query_vector, candidate_mask=mask, exclude_rated=False)
        return self._to_recommendations(model, ranked, row, request.query)[0]

    def _row_with_session(self, model: FittedModel, request: RecommendRequest) -> NDArray[np.float64]:
        """The user's saved ratings, plus what they said they liked in this conversation as 5★."""
        row = self.user_row(model, request.user)
        for item_id in request.liked:
            column = model.data.item_index.get(item_id)
            if column is not None:
                row[column] = 5.0
        return row

    def _recommend_unrated(self, request: RecommendRequest) -> list[Recommendation]:
        # Nobody has rated anything: there is nothing to learn from, only what was asked.
        if not request.query:
            raise NothingToGoOnError("nobody has rated anything yet: rate a few items (`chatrec rate ITEM 5`) "
                               "or say what you are looking for (--query TEXT)")
        label = request.query_label or request.query
        found = self.search(request.query, max(request.k * 5, 50), request.domain, label=label)
        unwanted = {*request.exclude, *request.liked}
        kept = [r for r in found if r.item.id not in unwanted and allows(request, r.item)]
        if len(kept) < request.k and _filters_items(request):
            # The nearest texts may hold too few that pass the filters: look at every item that does.
            allowed = [i for i in self._store.items(request.domain) if i.id not in unwanted and allows(request, i)]
            if allowed:
                kept = self._by_query(request.query, allowed, request.k, label)
        return kept[:request.k]

    def _by_query(self, query: str, items: list[Item], k: int, label: str) -> list[Recommendation]:
        """The items closest to a query among the given ones, each with its query part."""
        self._index.ensure_current()
        vectors = self._index.matrix([i.id for i in items])
        similarity = vectors @ self._index.embed_query(query)
        result = []
        for index in np.argsort(-similarity)[:k]:
            breakdown = ScoreBreakdown((ScorePart("query", float(similarity[index]), 1.0),))
            result.append(Recommendation(items[index], float(similarity[index]), None, breakdown,
                                         reasons_for(breakdown, query=label)))
        return result

    def _mask(self, model: FittedModel, request: RecommendRequest) -> NDArray[np.bool_]:
        mask = np.ones(model.data.n_items, dtype=bool)
        if request.domain:
            mask &= model.domains == request.domain
        if request.year_min is not None:
            mask &= model.years >= request.year_min
        if request.year_max is not None:
            mask &= (model.years <= request.year_max) & (model.years > 0)
        if request.genres:
            every = {g.lower() for g in request.genres}
            mask &= np.array([every <= g for g in model.genres], dtype=bool)
        for group in (request.genres_any, request.seed_genres):
            if group:
                wanted = {g.lower() for g in group}
                mask &= np.array([bool(wanted & g) for g in model.genres], dtype=bool)
        if request.genres_none:
            unwanted = {g.lower() for g in request.genres_none}
            mask &= np.array([not unwanted & g for g in model.genres], dtype=bool)
        if _filters_attributes(request):
            # Price and sound live in the items' attributes; only the columns still allowed are read.
            allowed = [int(c) for c in np.flatnonzero(mask)]
            items = self._store.items_by_ids(model.data.item_ids[c] for c in allowed)
            for position in allowed:
                found = items.get(model.data.item_ids[position])
                mask[position] = found is not None and allows(request, found)
        for item_id in (*request.exclude, *request.liked):
            column = model.data.item_index.get(item_id)
            if column is not None:
                mask[column] = False
        return mask

    def _to_recommendations(self, model: FittedModel, ranked: Sequence[RankedItem],
                            row: NDArray[np.float64], query: str | None) -> list[Recommendation]:
        ids = model.data.item_ids
        wanted = ([ids[r.index] for r in ranked] + [ids[d] for r in ranked for d, _ in r.drivers]
                  + [ids[r.sound_driver[0]] for r in ranked if r.sound_driver])
        items = self._store.items_by_ids(wanted)
        raters = model.data.popularity()
        result = []
        for entry in ranked:
            drivers = tuple(Driver(ids[d], items[ids[d]].title, float(row[d]), round(sim, 4))
                            for d, sim in entry.drivers if ids[d] in items)
            sound = None
            if entry.sound_driver is not None:
                anchor, similarity = entry.sound_driver
                sound = _sound_match(items[ids[entry.index]], items.get(ids[anchor]), float(row[anchor]), similarity)
            breakdown = ScoreBreakdown(entry.parts, drivers, sound)
            reasons = reasons_for(breakdown, query=query, predicted_stars=entry.predicted_stars,
                                  raters=int(raters[entry.index]))
            result.append(Recommendation(items[ids[entry.index]], entry.score, entry.predicted_stars,
                                         breakdown, reasons))
        return result

    def similar(self, item_id: str, k: int = 10) -> list[Recommendation]:
        """Items like this one: by who rated them alike and by their text, same domain."""
        _check_k(k)
        target = self._store.get_item(item_id)
        if target.domain == "music" and self._sound is not None:
            by_sound = self._similar_by_sound(target, k)
            if by_sound is not None:
                return by_sound
        model = self.model()
        column = model.data.item_index.get(item_id)
        if column is None:
            raise UnknownItemError(item_id)
        vectors = model.ranker.text_vectors  # the fitted model holds them: no index round trip
        if vectors is None:
            self._index.ensure_current()
            vectors = self._index.matrix(model.data.item_ids)
        text = vectors @ vectors[column]
        raters = model.data.popularity()
        collab_weight = 0.7 if raters[column] >= _MIN_RATERS_FOR_COLLAB else 0.0
        collab = model.ranker.co_rating_similarity(column) if collab_weight else np.zeros_like(text)
        score = collab_weight * collab + (1 - collab_weight) * text
        score[column] = -np.inf
        score[model.domains != target.domain] = -np.inf
        top = [int(i) for i in np.argsort(-score)[:k] if np.isfinite(score[i])]
        items = self._store.items_by_ids(model.data.item_ids[i] for i in top)
        result = []
        for index in top:
            parts = [ScorePart("content", float(text[index]), 1 - collab_weight)]
            if collab_weight:
                parts.insert(0, ScorePart("collaborative", float(collab[index]), collab_weight))
            breakdown = ScoreBreakdown(tuple(parts))
            reasons = reasons_for(breakdown, similar_to=target.title, raters=int(raters[index]))
            result.append(Recommendation(items[model.data.item_ids[index]], float(score[index]), None,
                                         breakdown, reasons))
        return result

    def _similar_by_sound(self, target: Item, k: int) -> list[Recommendation] | None:
        """Tracks nearest to this one by sound, or None when the track has no sound vector."""
        assert self._sound is not None
        self._sound.ensure_current()
        hits = self._sound.near(target.id, k)
        if not hits:
            return None
        items = self._store.items_by_ids(h.id for h in hits)
        result = []
        for hit in hits:
            item = items.get(hit.id)
            if item is None:
                continue
            breakdown = ScoreBreakdown((ScorePart("audio", hit.similarity, 1.0),),
                                       sound=_sound_match(item, target, None, hit.similarity))
            result.append(Recommendation(item, hit.similarity, None, breakdown, reasons_for(breakdown)))
        return result

    def search(self, text: str, k: int = 10, domain: str | None = None, *,
               label: str | None = None, progress: ProgressCallback = no_progress) -> list[Recommendation]:
        """Items whose text best matches a free-text query (label: the query as the reasons should quote it;
        progress: an index left behind by a stopped import is finished first, which can take minutes)."""
        _check_k(k)
        if not text.strip():
            raise ChatRecError("search needs some text")
        self._index.ensure_current(progress)
        hits = self._index.search(text, k, {"domain": domain} if domain else None)
        items: dict[str, Item] = self._store.items_by_ids(h.id for h in hits)
        result = []
        for hit in hits:
            if hit.id not in items:
                continue
            breakdown = ScoreBreakdown((ScorePart("query", hit.similarity, 1.0),))
            result.append(Recommendation(items[hit.id], hit.similarity, None, breakdown,
                                         reasons_for(breakdown, query=label or text)))
        return result


def _filters_attributes(request: RecommendRequest) -> bool:
    return (request.price_min is not None or request.price_max is not None or bool(request.pace)
            or bool(request.energy) or bool(request.brightness) or request.tempo_min is not None
            or request.tempo_max is not None or bool(request.creators) or bool(request.categories))


def _filters_items(request: RecommendRequest) -> bool:
    return (_filters_attributes(request) or bool(request.genres) or bool(request.genres_any)
            or bool(request.genres_none) or bool(request.seed_genres)
            or request.year_min is not None or request.year_max is not None)


def allows(request: RecommendRequest, item: Item) -> bool:
    """Whether an item passes every filter of the request (domain, years, genres, price, sound)."""
    genres = {g.lower() for g in item.genres}
    if request.domain and item.domain != request.domain:
        return False
    if request.year_min is not None and (item.year or 0) < request.year_min:
        return False
    if request.year_max is not None and not 0 < (item.year or 0) <= request.year_max:
        return False
    if request.genres and not {g.lower() for g in request.genres} <= genres:
        return False
    if any(group and not {g.lower() for g in group} & genres for group in (request.genres_any, request.seed_genres)):
        return False
    if {g.lower() for g in request.genres_none} & genres:
        return False
    if request.creators and not {c.casefold() for c in request.creators} & {c.casefold() for c in item.creators}:
        return False
    if request.categories and item.attributes.get("category", "").casefold() not in {
            c.casefold() for c in request.categories}:
        return False
    if request.price_min is not None or request.price_max is not None:
        price = price_of(item)
        if price is None or not (request.price_min or 0.0) <= price <= (request.price_max or float("inf")):
            return False
    if request.pace or request.energy or request.brightness or request.tempo_min or request.tempo_max:
        sound = descriptors_of(item)
        if sound is None:
            return False
        if (request.pace and pace(sound.tempo_bpm) not in request.pace) or \
                (request.energy and sound.energy not in request.energy) or \
                (request.brightness and sound.brightness not in request.brightness) or \
                not (request.tempo_min or 0.0) <= sound.tempo_bpm <= (request.tempo_max or float("inf")):
            return False
    return True


def price_of(item: Item) -> float | None:
    """A product's price from its attributes; None when it has none or it is unreadable."""
    try:
        return float(item.attributes["price"])
    except (KeyError, ValueError):
        return None


def _sound_match(item: Item, other: Item | None, stars: float | None, similarity: float) -> SoundMatch | None:
    """How item sounds next to other, from the descriptors both keep; None when either lacks them."""
    if other is None:
        return None
    this, that = descriptors_of(item), descriptors_of(other)
    if this is None or that is None:
        return None
    return SoundMatch(other.id, other.title, stars, round(similarity, 4), this, that)
