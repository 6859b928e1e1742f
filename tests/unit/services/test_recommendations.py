from pathlib import Path

import pytest

from app.bootstrap import Engine, open_engine
from app.domain.errors import ChatRecError, UnknownItemError, UnknownUserError
from app.domain.items import ME
from app.paths import AppPaths
from app.recommend.hybrid import HybridRanker
from app.services.recommendations import Recommendations, RecommendRequest
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.vector_store import InMemoryVectorStore
from tests.tiny_catalogue import CARTOON, CRIME, UNRATED, item_id

CRIME_IDS = {item_id(s) for s, _, _ in CRIME} | {item_id(UNRATED[0])}
CARTOON_IDS = {item_id(s) for s, _, _ in CARTOON}


def ids(recs: list) -> list[str]:
    return [r.item.id for r in recs]


def test_a_crime_fan_gets_the_crime_film_they_have_not_rated_first(engine: Engine) -> None:
    recs = engine.recommendations.recommend(RecommendRequest(user="ml:0", k=3, domain="movie"))
    rated = {r.item_id for r in engine.store.ratings_of("ml:0")}
    assert recs[0].item.id == item_id(CRIME[0][0])  # ml:0 skipped film 0 of the crime block
    assert not rated & set(ids(recs))
    top = recs[0]
    assert abs(top.breakdown.total - top.score) < 1e-6
    assert sum(p.weight for p in top.breakdown.parts) == pytest.approx(1.0)
    assert top.breakdown.drivers and top.breakdown.drivers[0].item_id in rated
    assert any(reason.startswith("because you rated") for reason in top.reasons)
    assert top.predicted_stars is not None and 1 <= top.predicted_stars <= 5


def test_a_new_rating_changes_the_very_next_answer(engine: Engine) -> None:
    service = engine.recommendations
    engine.store.rate(ME, item_id(CARTOON[0][0]), stars=5)
    engine.store.rate(ME, item_id(CARTOON[1][0]), stars=5)
    first = ids(service.recommend(RecommendRequest(k=3, domain="movie")))
    assert set(first) <= CARTOON_IDS
    for slug, _, _ in CRIME[:3]:
        engine.store.rate(ME, item_id(slug), stars=5)
    for slug, _, _ in CARTOON[:2]:
        engine.store.rate(ME, item_id(slug), stars=1)
    second = ids(service.recommend(RecommendRequest(k=3, domain="movie")))
    assert set(second) <= CRIME_IDS
    assert service.model().version == engine.store.catalogue_version()  # folded in, not refitted


def test_someone_with_no_ratings_gets_popular_items_with_a_reason(engine: Engine) -> None:
    recs = engine.recommendations.recommend(RecommendRequest(k=4, domain="movie"))
    assert len(recs) == 4
    assert item_id(UNRATED[0]) not in ids(recs)
    assert any("popular" in reason for rec in recs for reason in rec.reasons)


def test_a_query_finds_an_item_nobody_rated(engine: Engine) -> None:
    recs = engine.recommendations.recommend(
        RecommendRequest(k=3, query="bleak noir detective night train rain murder", domain="movie"))
    assert recs[0].item.id == item_id(UNRATED[0])
    assert "query" in recs[0].breakdown.as_dict()
    assert any("matches" in reason for reason in recs[0].reasons)


def test_filters_by_domain_year_and_genre_hold(engine: Engine) -> None:
    service = engine.recommendations
    assert ids(service.recommend(RecommendRequest(k=5, domain="product"))) == ["product:grinder"]
    nineties = service.recommend(RecommendRequest(user="ml:1", k=20, year_min=1990, year_max=1999))
    assert nineties and all(r.item.year is not None and 1990 <= r.item.year <= 1999 for r in nineties)
    animated = service.recommend(RecommendRequest(user="ml:0", k=20, genres=("animation",)))
    assert animated and set(ids(animated)) <= CARTOON_IDS


def test_rated_items_come_back_only_when_asked(engine: Engine) -> None:
    rated = {r.item_id for r in engine.store.ratings_of("ml:0")}
    everything = engine.recommendations.recommend(RecommendRequest(user="ml:0", k=20, exclude_rated=False))
    assert rated <= set(ids(everything))


def test_unknown_users_and_a_zero_k_are_refused(engine: Engine) -> None:
    with pytest.raises(UnknownUserError, match="ml:999"):
        engine.recommendations.recommend(RecommendRequest(user="ml:999"))
    with pytest.raises(ChatRecError, match="at least 1"):
        engine.recommendations.recommend(RecommendRequest(k=0))


def test_similar_items_share_a_block_and_never_include_the_item(engine: Engine) -> None:
    recs = engine.recommendations.similar(item_id("fargo"), k=4)
    assert item_id("fargo") not in ids(recs)
    assert set(ids(recs)) <= CRIME_IDS
    assert any("Fargo" in reason for reason in recs[0].reasons)
    with pytest.raises(UnknownItemError):
        engine.recommendations.similar("movie:nope")


def test_search_finds_items_by_their_text(engine: Engine) -> None:
    recs = engine.recommendations.search("quiet burr grinder for espresso", k=2)
    assert recs[0].item.id == "product:grinder"
    assert ids(engine.recommendations.search("grinder", k=3, domain="movie"))[0] != "product:grinder"


def test_a_fitted_model_is_cached_and_a_damaged_cache_is_refitted(engine: Engine) -> None:
    fits: list[int] = []

    def counting_ranker() -> HybridRanker:
        fits.append(1)
        return HybridRanker()

    engine.recommendations.model()  # writes the cache
    fresh = Recommendations(engine.store, engine.index, engine.paths.models_cache, counting_ranker)
    fresh.model()
    assert fits == []
    for cached in engine.paths.models_cache.glob("*.pkl"):
        cached.write_bytes(b"garbage")
    again = Recommendations(engine.store, engine.index, engine.paths.models_cache, counting_ranker)
    assert again.recommend(RecommendRequest(user="ml:0", k=2))
    assert fits == [1]


def test_an_index_that_was_reset_is_rebuilt_from_the_database(paths: AppPaths, engine: Engine) -> None:
    engine.close()
    empty = InMemoryVectorStore()
    reopened = open_engine(paths, embedder=FakeEmbedder(), vector_store=empty)
    try:
        assert not reopened.index.is_current()
        recs = reopened.recommendations.search("quiet burr grinder", k=1)
        assert recs[0].item.id == "product:grinder"
        assert empty.count() == reopened.store.count("items")
    finally:
        reopened.close()


def test_the_engine_refuses_a_second_open_of_the_same_data_dir(paths: AppPaths, engine: Engine,
                                                               tmp_path: Path) -> None:
    from app.domain.errors import DataDirBusyError

    paths.config_file.write_text("lock_timeout_s = 0.2\n", encoding="utf-8")  # not the 5 s a command waits
    with pytest.raises(DataDirBusyError, match=r"another Chat-Rec \(process \d+\) .* \(waited 0.2 s\)"):
        open_engine(paths, embedder=FakeEmbedder(), vector_store=InMemoryVectorStore())


def test_a_model_pickled_by_other_code_is_refitted_not_trusted(engine: Engine) -> None:
    import app.services.recommendations as module

    engine.recommendations.model()
    cached = list(engine.paths.models_cache.glob("*.pkl"))
    assert len(cached) == 1 and module._code_fingerprint() in cached[0].name
    module._code_fingerprint.cache_clear()
    try:
        import unittest.mock

        with unittest.mock.patch.object(module, "__version__", "0.0.0-older"):
            fits: list[int] = []

            def counting_ranker() -> HybridRanker:
                fits.append(1)
                return HybridRanker()

            fresh = Recommendations(engine.store, engine.index, engine.paths.models_cache, counting_ranker)
            assert fresh.recommend(RecommendRequest(user="ml:0", k=2))
            assert fits == [1]
    finally:
        module._code_fingerprint.cache_clear()


def fresh_engine(paths: AppPaths) -> Engine:
    return open_engine(paths, embedder=FakeEmbedder(), vector_store=InMemoryVectorStore())


def test_an_empty_catalogue_says_what_to_do(paths: AppPaths) -> None:
    empty = fresh_engine(paths)
    try:
        with pytest.raises(ChatRecError, match="import something first"):
            empty.recommendations.recommend(RecommendRequest())
    finally:
        empty.close()


def test_a_catalogue_nobody_rated_answers_queries_and_explains_the_rest(paths: AppPaths) -> None:
    from app.store.sqlite import CatalogueImport
    from tests.tiny_catalogue import tiny_catalogue

    unrated = fresh_engine(paths)
    try:
        full = tiny_catalogue()
        unrated.catalogue._write(CatalogueImport("products", "shop", "t", full.items), lambda *a: None, None)
        with pytest.raises(ChatRecError, match="nobody has rated anything yet"):
            unrated.recommendations.recommend(RecommendRequest())
        recs = unrated.recommendations.recommend(RecommendRequest(k=2, query="quiet burr grinder espresso"))
        assert recs[0].item.id == "product:grinder"
        dated = unrated.recommendations.recommend(RecommendRequest(k=5, query="crime", year_min=2000))
        assert dated and all((r.item.year or 0) >= 2000 for r in dated)
    finally:
        unrated.close()


def test_a_model_cached_for_another_database_is_never_used(paths: AppPaths, engine: Engine,
                                                          tmp_path: Path) -> None:
    from app.paths import AppPaths as Paths
    from app.store.sqlite import CatalogueImport
    from tests.tiny_catalogue import tiny_catalogue

    engine.recommendations.model()  # cached for this database at catalogue version 1
    other_paths = Paths(tmp_path / "other", paths.cache, tmp_path / "cfg", tmp_path / "logs")
    other = fresh_engine(other_paths)
    try:
        full = tiny_catalogue()
        renamed = [replace_id(i, "other:") for i in full.items]
        ratings = [(u, "other:" + i, s, t) for u, i, s, t in full.ratings]
        other.catalogue._write(CatalogueImport("movielens", "movielens", "x", renamed, full.users, ratings),
                               lambda *a: None, None)
        assert other.store.catalogue_version() == engine.store.catalogue_version()
        recs = other.recommendations.recommend(RecommendRequest(user="ml:0", k=3))
        assert recs and all(r.item.id.startswith("other:") for r in recs)
    finally:
        other.close()


def replace_id(item, prefix: str):
    from dataclasses import replace

    return replace(item, id=prefix + item.id)


@pytest.mark.parametrize("k", [0, -2])
def test_search_and_similar_refuse_a_k_below_one(engine: Engine, k: int) -> None:
    with pytest.raises(ChatRecError, match="k must be at least 1"):
        engine.recommendations.similar(item_id("fargo"), k=k)
    with pytest.raises(ChatRecError, match="k must be at least 1"):
        engine.recommendations.search("crime", k=k)


def test_a_cancelled_fit_stops_leaves_no_cache_and_the_next_call_fits(engine: Engine) -> None:
    from app.domain.errors import CancelledError
    from app.domain.progress import CancelToken

    token = CancelToken()
    steps: list[str] = []

    def progress(done: int, total: int, message: str) -> None:
        steps.append(message)
        if message == "fitting the recommender" and done >= 2:
            token.cancel()  # a newer request arrived while the Gibbs chain was running

    fresh = Recommendations(engine.store, engine.index, engine.paths.models_cache)
    with pytest.raises(CancelledError, match="fitting the recommender was cancelled"):
        fresh.recommend(RecommendRequest(user="ml:0", k=2), progress, token)
    assert list(engine.paths.models_cache.glob("*.pkl")) == []
    assert fresh.recommend(RecommendRequest(user="ml:0", k=2))
    assert len(list(engine.paths.models_cache.glob("*.pkl"))) == 1


def test_a_change_to_the_rating_matrix_code_refits_the_cached_model(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    import app.domain.interactions as interactions
    import app.services.recommendations as module

    module._code_fingerprint.cache_clear()
    before = module._code_fingerprint()
    changed = tmp_path / "domain" / "interactions.py"  # the same package layout, one file edited
    changed.parent.mkdir()
    changed.write_text(Path(interactions.__file__).read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    recommend = tmp_path / "recommend"
    recommend.mkdir()
    for source in Path(module.recommend_package.__file__ or "").parent.glob("*.py"):
        (recommend / source.name).write_bytes(source.read_bytes())
    monkeypatch.setattr(module.recommend_package, "__file__", str(recommend / "__init__.py"))
    module._code_fingerprint.cache_clear()
    try:
        assert module._code_fingerprint() != before
    finally:
        module._code_fingerprint.cache_clear()
