from collections.abc import Sequence

import numpy as np
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
