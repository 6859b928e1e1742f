from collections.abc import Sequence

import numpy as np
import pytest
from numpy.typing import NDArray

from app.bootstrap import open_engine
from app.paths import AppPaths
from app.store.sqlite import CatalogueImport
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.vector_store import InMemoryVectorStore
from tests.tiny_catalogue import tiny_catalogue


class CountingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.texts = 0

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        self.texts += len(texts)
        return super().embed(texts)


def test_an_import_into_a_new_index_embeds_each_item_once_and_drops_what_went(paths: AppPaths) -> None:
    embedder = CountingEmbedder()
    vectors = InMemoryVectorStore()
    engine = open_engine(paths, embedder=embedder, vector_store=vectors)
    engine.index._was_reset = lambda: True  # a brand-new Chroma folder says it needs a rebuild
    try:
        full = tiny_catalogue()
        engine.catalogue._write(full, lambda *a: None, None)
        assert embedder.texts == 14
        assert engine.index.ensure_current() is False
        assert embedder.texts == 14  # the first recommend does not embed everything again
        fewer = CatalogueImport(full.kind, full.origin, full.source, full.items[:-3], full.users, [])
        engine.catalogue._write(fewer, lambda *a: None, None)
        assert vectors.count() == engine.store.count("items") == 11
        assert engine.index.is_current()
    finally:
        engine.close()


def _big_catalogue(n: int) -> CatalogueImport:
    from app.domain.items import Item

    return CatalogueImport("products", "shop", "test", [Item(f"product:{i}", "product", f"Mug {i}") for i in range(n)])


def test_a_stopped_build_resumes_where_it_stopped_instead_of_starting_again(paths: AppPaths) -> None:
    from app.domain.errors import CancelledError
    from app.domain.progress import CancelToken
    from app.services.index import ItemIndex

    vectors = InMemoryVectorStore()
    first = CountingEmbedder()
    engine = open_engine(paths, embedder=first, vector_store=vectors)
    try:
        engine.store.import_catalogue(_big_catalogue(2000))
        token = CancelToken()

        def stop_half_way(done: int, total: int, message: str) -> None:
            if done >= 1000:
                token.cancel()

        with pytest.raises(CancelledError):
            engine.index.rebuild(stop_half_way, token)
        kept = vectors.count()
        assert 1000 <= kept < 2000
        # the next run (a new index service over the same vectors, as after a restart) only does the rest
        second = CountingEmbedder()
        again = ItemIndex(engine.store, second, vectors)
        seen: list[tuple[int, int]] = []
        assert again.ensure_current(lambda done, total, message: seen.append((done, total))) is True
        assert second.texts == 2000 - kept and again.is_current()
        assert seen[-1] == (2000 - kept, 2000 - kept)  # progress counts what is left
    finally:
        engine.close()


def test_an_index_holding_items_that_are_gone_is_rebuilt(paths: AppPaths) -> None:
    from app.services.index import ItemIndex

    vectors = InMemoryVectorStore()
    engine = open_engine(paths, embedder=FakeEmbedder(), vector_store=vectors)
    try:
        engine.store.import_catalogue(_big_catalogue(10))
        engine.index.ensure_current()
        vectors.upsert(["product:gone"], np.ones((1, 384), dtype=np.float32), [{"domain": "product"}])
        vectors.delete(["product:3"])  # two missing, one that should not be there
        vectors.delete(["product:4"])
        again = ItemIndex(engine.store, FakeEmbedder(), vectors)
        assert again.ensure_current() is True
        assert vectors.count() == 10 and not vectors.get_vectors(["product:gone"])
    finally:
        engine.close()


def test_a_search_after_a_stopped_build_finishes_the_index_and_shows_it(paths: AppPaths) -> None:
    from app.domain.errors import CancelledError
    from app.domain.progress import CancelToken

    vectors = InMemoryVectorStore()
    engine = open_engine(paths, embedder=FakeEmbedder(), vector_store=vectors)
    try:
        engine.store.import_catalogue(_big_catalogue(600))
        token = CancelToken()
        with pytest.raises(CancelledError):
            engine.index.rebuild(lambda done, total, message: token.cancel() if done >= 256 else None, token)
        seen: list[str] = []
        found = engine.recommendations.search("Mug 599", 3, progress=lambda done, total, message: seen.append(message))
        assert vectors.count() == 600  # the search finished what the stopped build left
        assert "indexing item texts" in seen  # and the user saw it happen
        assert found
    finally:
        engine.close()
