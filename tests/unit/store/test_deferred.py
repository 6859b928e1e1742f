import numpy as np

from app.bootstrap import Engine
from app.services.index import ItemIndex
from app.services.recommendations import Recommendations, RecommendRequest
from app.store.deferred import DeferredVectorStore
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.vector_store import InMemoryVectorStore


class Reopenable(InMemoryVectorStore):
    needs_rebuild = False
    closed = False

    def close(self) -> None:
        self.closed = True


def test_the_store_opens_on_first_use_only_and_closes_if_opened() -> None:
    opened: list[Reopenable] = []

    def open_store() -> Reopenable:
        opened.append(Reopenable())
        return opened[-1]

    deferred = DeferredVectorStore(open_store)
    deferred.close()
    assert opened == []
    deferred.upsert(["a"], np.ones((1, 384), dtype=np.float32) / np.sqrt(384), [{"domain": "movie"}])
    assert deferred.count() == 1 and len(opened) == 1
    deferred.close()
    assert opened[0].closed


def test_recommending_from_a_cached_model_never_opens_the_index(engine: Engine) -> None:
    engine.recommendations.model()  # fits and caches

    def refuse() -> Reopenable:
        raise AssertionError("the index was opened")

    index = ItemIndex(engine.store, FakeEmbedder(), DeferredVectorStore(refuse))
    service = Recommendations(engine.store, index, engine.paths.models_cache)
    assert service.recommend(RecommendRequest(user="ml:0", k=3))
    assert service.recommend(RecommendRequest(user="ml:0", k=3, query="crime"))


def test_closing_the_engine_runs_every_closer_even_after_one_fails(engine: Engine) -> None:
    # The index helper's stop comes last: a store that fails to close must not leave the helper running.
    from app.domain.errors import StoreError

    ran: list[str] = []

    def failing() -> None:
        ran.append("store")
        raise StoreError("the vector index could not be closed")

    engine.closers[:] = [failing, lambda: ran.append("helper")]
    try:
        engine.close()
    except StoreError as exc:
        assert "could not be closed" in str(exc)
    else:
        raise AssertionError("the failure was swallowed")
    assert ran == ["store", "helper"]
    engine.closers.clear()  # the fixture closes the engine again
    assert engine.lock.acquire() is engine.lock  # the data dir was released too
    engine.lock.release()
