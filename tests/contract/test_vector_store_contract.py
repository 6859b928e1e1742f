"""One contract for every VectorStore: the in-memory fake and Chroma (integration) must both pass it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from numpy.typing import NDArray

from app.domain.errors import StoreError
from app.ports import MetadataValue, VectorHit, VectorStore
from tests.fakes.vector_store import InMemoryVectorStore

if TYPE_CHECKING:
    from app.store.index_host import IndexHost

DIM = 16

# id, domain, year (None = unknown), genres
ROWS: list[tuple[str, str, int | None, str]] = [
    ("m1", "movie", 1991, "Comedy|Romance"),
    ("m2", "movie", 1995, "Action|Thriller"),
    ("m3", "movie", 1999, "Comedy"),
    ("m4", "movie", 2005, "Drama"),
    ("m5", "movie", None, "Comedy|Drama"),
    ("s1", "music", 1994, "Rock"),
    ("s2", "music", 2010, "Comedy"),  # a comedy record: genre alone must not imply the movie domain
    ("p1", "product", None, ""),
]


def unit(seed: int, dim: int = DIM) -> NDArray[np.float32]:
    vector = np.random.default_rng(seed).normal(size=dim).astype(np.float32)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def vectors() -> NDArray[np.float32]:
    return np.stack([unit(i) for i in range(len(ROWS))])


def metadata(domain: str, year: int | None, genres: str) -> dict[str, MetadataValue]:
    meta: dict[str, MetadataValue] = {"domain": domain, "source": "test"}
    if year is not None:
        meta["year"] = year
    if genres:
        meta["genres"] = genres
    return meta


def fill(store: VectorStore) -> NDArray[np.float32]:
    matrix = vectors()
    store.upsert([r[0] for r in ROWS], matrix, [metadata(d, y, g) for _, d, y, g in ROWS],
                 [f"document {r[0]}" for r in ROWS])
    return matrix


def ids_of(hits: list[VectorHit]) -> set[str]:
    return {h.id for h in hits}


class VectorStoreContract:
    """What every VectorStore promises; subclasses supply the `store` fixture."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[VectorStore]:
        raise NotImplementedError

    def test_implements_the_port(self, store: VectorStore) -> None:
        assert isinstance(store, VectorStore)

    def test_empty_store(self, store: VectorStore) -> None:
        assert store.count() == 0
        assert store.query(unit(0), 5) == []
        assert store.query(unit(0), 5, {"domain": "movie"}) == []
        assert store.get_vectors(["m1"]) == {}

    def test_upsert_and_count(self, store: VectorStore) -> None:
        fill(store)
        assert store.count() == len(ROWS)

    def test_nearest_first_with_cosine_similarity(self, store: VectorStore) -> None:
        matrix = fill(store)
        query = (matrix[2] + 0.3 * matrix[5]).astype(np.float32)
        query /= np.linalg.norm(query)
        hits = store.query(query, 4)
        expected = np.argsort(-(matrix @ query))[:4]
        assert [h.id for h in hits] == [ROWS[i][0] for i in expected]
        for hit, row in zip(hits, expected, strict=True):
            assert hit.similarity == pytest.approx(float(matrix[row] @ query), abs=1e-4)
        assert hits[0].similarity >= hits[1].similarity >= hits[2].similarity

    def test_identical_vector_scores_one(self, store: VectorStore) -> None:
        matrix = fill(store)
        top = store.query(matrix[3], 1)
        assert top[0].id == "m4"
        assert top[0].similarity == pytest.approx(1.0, abs=1e-4)

    def test_k_larger_than_count_returns_everything(self, store: VectorStore) -> None:
        fill(store)
        hits = store.query(unit(99), 100)
        assert ids_of(hits) == {r[0] for r in ROWS}
        assert store.query(unit(99), 0) == []

    def test_filter_domain(self, store: VectorStore) -> None:
        fill(store)
        assert ids_of(store.query(unit(99), 20, {"domain": "music"})) == {"s1", "s2"}

    def test_filter_year_range_is_inclusive_and_skips_unknown_years(self, store: VectorStore) -> None:
        fill(store)
        assert ids_of(store.query(unit(99), 20, {"year_min": 1991, "year_max": 1999})) == \
            {"m1", "m2", "m3", "s1"}
        assert ids_of(store.query(unit(99), 20, {"year_min": 2000})) == {"m4", "s2"}
        assert ids_of(store.query(unit(99), 20, {"year_max": 1991})) == {"m1"}

    def test_filter_genre_is_case_insensitive(self, store: VectorStore) -> None:
        fill(store)
        assert ids_of(store.query(unit(99), 20, {"genre": "Comedy"})) == {"m1", "m3", "m5", "s2"}
        assert ids_of(store.query(unit(99), 20, {"genre": "comedy"})) == {"m1", "m3", "m5", "s2"}
        assert ids_of(store.query(unit(99), 20, {"genre": "Western"})) == set()

    def test_filter_genre_any_of(self, store: VectorStore) -> None:
        fill(store)
        assert ids_of(store.query(unit(99), 20, {"genre": ["Drama", "Rock"]})) == {"m4", "m5", "s1"}

    def test_filters_combine_with_and(self, store: VectorStore) -> None:
        fill(store)
        where = {"domain": "movie", "genre": "Comedy", "year_min": 1990, "year_max": 1999}
        assert ids_of(store.query(unit(99), 20, where)) == {"m1", "m3"}
        assert ids_of(store.query(unit(99), 20, {"domain": "movie", "source": "test", "genre": "Drama"})) \
            == {"m4", "m5"}

    def test_filtered_results_stay_ranked(self, store: VectorStore) -> None:
        matrix = fill(store)
        hits = store.query(matrix[0], 2, {"genre": "Comedy"})
        assert hits[0].id == "m1"
        assert len(hits) == 2

    def test_bad_filters_are_refused(self, store: VectorStore) -> None:
        fill(store)
        bad: list[dict[str, object]] = [{"year_min": "1990"}, {"genre": 3}, {"$or": []}, {"domain": ["movie"]}]
        for where in bad:
            with pytest.raises(ValueError):
                store.query(unit(1), 3, where)

    def test_upsert_replaces_by_id(self, store: VectorStore) -> None:
        fill(store)
        replacement = unit(500)
        store.upsert(["m1"], replacement[None, :], [metadata("music", 2020, "Jazz")])
        assert store.count() == len(ROWS)
        np.testing.assert_allclose(store.get_vectors(["m1"])["m1"], replacement, atol=1e-6)
        assert store.query(replacement, 1)[0].id == "m1"
        assert "m1" not in ids_of(store.query(unit(99), 20, {"genre": "Comedy"}))  # old flag gone
        assert "m1" in ids_of(store.query(unit(99), 20, {"genre": "Jazz", "domain": "music"}))

    def test_upsert_without_documents_or_metadata(self, store: VectorStore) -> None:
        store.upsert(["a", "b"], np.stack([unit(1), unit(2)]), [{}, {"domain": "movie"}])
        assert store.count() == 2
        assert ids_of(store.query(unit(1), 5, {"domain": "movie"})) == {"b"}

    def test_upsert_of_nothing(self, store: VectorStore) -> None:
        store.upsert([], np.zeros((0, DIM), dtype=np.float32), [])
        assert store.count() == 0

    def test_upsert_length_mismatch(self, store: VectorStore) -> None:
        with pytest.raises(ValueError):
            store.upsert(["a", "b"], unit(1)[None, :], [{}, {}])

    def test_delete(self, store: VectorStore) -> None:
        fill(store)
        store.delete(["m1", "s2", "never-there"])
        assert store.count() == len(ROWS) - 2
        assert ids_of(store.query(unit(99), 20)) == {r[0] for r in ROWS} - {"m1", "s2"}
        store.delete([])
        assert store.count() == len(ROWS) - 2

    def test_reset(self, store: VectorStore) -> None:
        fill(store)
        store.reset()
        assert store.count() == 0
        assert store.query(unit(1), 5) == []
        fill(store)  # usable again after a reset
        assert store.count() == len(ROWS)

    def test_get_vectors(self, store: VectorStore) -> None:
        matrix = fill(store)
        got = store.get_vectors(["m2", "nope", "p1"])
        assert set(got) == {"m2", "p1"}
        np.testing.assert_allclose(got["m2"], matrix[1], atol=1e-6)
        assert got["p1"].dtype == np.float32
        assert store.get_vectors([]) == {}

    def test_present_names_the_stored_ids_only(self, store: VectorStore) -> None:
        fill(store)
        assert store.present(["m2", "nope", "p1", "m2"]) == {"m2", "p1"}
        store.delete(["m2"])
        assert store.present(["m2", "p1"]) == {"p1"}
        assert store.present([]) == set()

    def test_query_with_the_wrong_dimension(self, store: VectorStore) -> None:
        fill(store)
        with pytest.raises(StoreError):
            store.query(unit(1, dim=DIM + 1), 3)


class TestInMemoryVectorStore(VectorStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[VectorStore]:
        yield InMemoryVectorStore()


@pytest.fixture(scope="module")
def index_host() -> Iterator[IndexHost]:
    from app.store.index_host import IndexHost

    host = IndexHost()  # one helper for the class: chromadb is imported once
    yield host
    host.stop()


@pytest.mark.integration
class TestChromaInTheIndexHelper(VectorStoreContract):
    """The desktop app's arrangement: Chroma in the helper process, reached over its pipe."""

    @pytest.fixture
    def store(self, tmp_path: Path, index_host: IndexHost) -> Iterator[VectorStore]:
        from app.store.chroma import ChromaVectorStore

        hosted = index_host.store(tmp_path.name, partial(ChromaVectorStore, tmp_path / "chroma"))
        yield hosted
        hosted.close()

    def test_persists_in_its_folder_and_a_new_index_asks_for_a_rebuild(self, tmp_path: Path,
                                                                       index_host: IndexHost) -> None:
        from app.store.chroma import ChromaVectorStore

        opener = partial(ChromaVectorStore, tmp_path / "kept")
        first = index_host.store("kept", opener)
        assert first.needs_rebuild
        fill(first)
        first.close()
        again = index_host.store("kept", opener)
        assert not again.needs_rebuild
        assert again.count() == len(ROWS)
        assert again.query(unit(2), 1, {"domain": "movie"})[0].id == "m3"
        again.close()


@pytest.mark.integration
class TestChromaVectorStore(VectorStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[VectorStore]:
        from app.store.chroma import ChromaVectorStore

        with ChromaVectorStore(tmp_path / "chroma") as chroma:
            yield chroma

    def test_filtered_queries_match_chromas_own_filtering(self, store: VectorStore, tmp_path: Path) -> None:
        # The adapter answers filtered queries from its in-memory mirror; Chroma's native where
        # clause (filter_cache=False) is the reference it must agree with.
        from app.store.chroma import ChromaVectorStore

        rng = np.random.default_rng(5)
        n = 400
        matrix = rng.normal(size=(n, DIM)).astype(np.float32)
        metas: list[dict[str, MetadataValue]] = [
            {"domain": ["movie", "music"][i % 2], "year": 1960 + i % 60,
             "genres": "|".join(g for j, g in enumerate(["Comedy", "Drama", "Horror"]) if (i >> j) & 1)}
            for i in range(n)]
        ids = [f"x{i}" for i in range(n)]
        store.upsert(ids, matrix, metas)
        with ChromaVectorStore(tmp_path / "native", filter_cache=False) as native:
            native.upsert(ids, matrix, metas)
            for where in ({"domain": "movie"}, {"genre": "Horror", "year_min": 1990},
                          {"domain": "music", "genre": ["Comedy", "Drama"], "year_max": 1980}):
                probe = rng.normal(size=DIM).astype(np.float32)
                assert [h.id for h in store.query(probe, 8, where)] == \
                    [h.id for h in native.query(probe, 8, where)]

    def test_many_deletes_then_filtered_queries(self, store: VectorStore) -> None:
        n = 3000
        matrix = np.random.default_rng(8).normal(size=(n, DIM)).astype(np.float32)
        store.upsert([f"d{i}" for i in range(n)], matrix,
                     [{"domain": "movie", "year": 1900 + i % 100} for i in range(n)])
        store.query(matrix[0], 3, {"domain": "movie"})  # the mirror is loaded and in use
        store.delete([f"d{i}" for i in range(n) if i % 10])
        assert store.count() == n // 10
        hits = store.query(matrix[20], 5, {"year_min": 1920, "year_max": 1920})
        assert [h.id for h in hits][:1] == ["d20"]
        assert all(int(h.id[1:]) % 100 == 20 and int(h.id[1:]) % 10 == 0 for h in hits)
        assert store.get_vectors(["d1", "d30"]).keys() == {"d30"}

    # -- only a persistent index has these ----------------------------------------------------------

    def test_new_folder_is_created(self, tmp_path: Path) -> None:
        from app.store.chroma import ChromaVectorStore

        with ChromaVectorStore(tmp_path / "a" / "b" / "chroma") as chroma:
            assert chroma.created and chroma.needs_rebuild and not chroma.was_reset
            assert chroma.count() == 0

    def test_persists_across_reopen(self, tmp_path: Path) -> None:
        from app.store.chroma import ChromaVectorStore

        with ChromaVectorStore(tmp_path / "chroma") as chroma:
            matrix = fill(chroma)
        with ChromaVectorStore(tmp_path / "chroma") as again:
            assert not again.created and not again.was_reset and not again.needs_rebuild
            assert again.count() == len(ROWS)
            assert again.query(matrix[4], 1)[0].id == "m5"
            assert ids_of(again.query(unit(9), 20, {"domain": "movie", "genre": "comedy"})) == \
                {"m1", "m3", "m5"}

    def test_deleted_folder_is_recreated_empty(self, tmp_path: Path) -> None:
        from app.store.chroma import ChromaVectorStore

        with ChromaVectorStore(tmp_path / "chroma") as chroma:
            fill(chroma)
        shutil.rmtree(tmp_path / "chroma")
        with ChromaVectorStore(tmp_path / "chroma") as again:
            assert again.count() == 0
            assert again.created and again.needs_rebuild
            fill(again)
            assert again.count() == len(ROWS)

    def test_folder_deleted_while_a_store_was_left_open(self, tmp_path: Path) -> None:
        from app.store.chroma import ChromaVectorStore

        first = ChromaVectorStore(tmp_path / "chroma")
        fill(first)
        shutil.rmtree(tmp_path / "chroma")  # first is never closed: chromadb still caches its system
        with ChromaVectorStore(tmp_path / "chroma") as again:
            assert again.count() == 0
            fill(again)
            assert again.count() == len(ROWS)

    @pytest.mark.parametrize("damage", ["garbage", "truncated", "empty-but-wrong-header"])
    def test_corrupted_database_is_moved_aside_and_reset(self, tmp_path: Path, damage: str) -> None:
        from app.store.chroma import ChromaVectorStore

        folder = tmp_path / "chroma"
        with ChromaVectorStore(folder) as chroma:
            fill(chroma)
        database = folder / "chroma.sqlite3"
        if damage == "garbage":
            with database.open("r+b") as handle:
                handle.write(os.urandom(16384))
        elif damage == "truncated":
            with database.open("r+b") as handle:
                handle.truncate(3000)
        else:
            database.write_bytes(b"SQLite format 3\0" + b"\xff" * 200)
        with ChromaVectorStore(folder) as fresh:
            assert fresh.was_reset and fresh.needs_rebuild
            assert fresh.count() == 0
            assert fresh.damaged_copy is not None and fresh.damaged_copy.is_dir()
            fill(fresh)  # the fresh index works
            assert fresh.count() == len(ROWS)
        with ChromaVectorStore(folder) as reopened:  # and the reset sticks: no second reset
            assert not reopened.was_reset
            assert reopened.count() == len(ROWS)

    def test_damaged_vector_files_are_detected_on_open(self, tmp_path: Path) -> None:
        from app.store.chroma import ChromaVectorStore, HnswSettings

        folder = tmp_path / "chroma"
        many = np.stack([unit(i, dim=8) for i in range(1200)])  # past a 1000-vector sync point
        # Synced every 1000 so the graph is on disk: with the shipped 20,000 Chroma would rebuild it from
        # its log instead, and the damage would never be read.
        with ChromaVectorStore(folder, hnsw=HnswSettings(sync_threshold=1000)) as chroma:
            chroma.upsert([f"i{i}" for i in range(1200)], many, [{"domain": "movie"}] * 1200)
        segment_files = [p for p in folder.glob("*/*") if p.is_file()]
        assert segment_files, "expected HNSW segment files after 1200 vectors"
        for path in segment_files:
            path.write_bytes(os.urandom(512))
        with ChromaVectorStore(folder) as fresh:
            assert fresh.was_reset
            assert fresh.count() == 0

    def test_path_that_is_a_file(self, tmp_path: Path) -> None:
        from app.store.chroma import ChromaVectorStore

        (tmp_path / "chroma").write_text("not a folder")
        with pytest.raises(StoreError, match="is a file"):
            ChromaVectorStore(tmp_path / "chroma")

    def test_upsert_larger_than_chromas_batch_limit(self, tmp_path: Path) -> None:
        from app.store.chroma import ChromaVectorStore

        with ChromaVectorStore(tmp_path / "chroma") as chroma:
            n = 6000  # above Chroma's 5461 max batch on SQLite builds
            rng = np.random.default_rng(1)
            matrix = rng.normal(size=(n, 8)).astype(np.float32)
            chroma.upsert([str(i) for i in range(n)], matrix, [{"domain": "movie"}] * n)
            assert chroma.count() == n
            assert len(chroma.get_vectors([str(i) for i in range(n)])) == n

    def test_injected_client(self, tmp_path: Path) -> None:
        import chromadb
        from chromadb.config import Settings

        from app.store.chroma import ChromaVectorStore

        client = chromadb.PersistentClient(path=str(tmp_path / "injected"),
                                           settings=Settings(anonymized_telemetry=False))
        with ChromaVectorStore(client=client, collection="other") as chroma:
            fill(chroma)
            assert chroma.count() == len(ROWS)
        assert client.get_collection("other").count() == len(ROWS)  # the store did not close it

    def test_unreachable_server_is_a_store_error(self) -> None:
        from app.store.chroma import ChromaVectorStore

        with pytest.raises(StoreError, match=r"Chroma server at http://127.0.0.1:9 does not answer .*chroma run"):
            ChromaVectorStore(url="http://127.0.0.1:9")

    def test_not_a_url(self) -> None:
        from app.store.chroma import ChromaVectorStore

        with pytest.raises(StoreError, match="not a Chroma server address"):
            ChromaVectorStore(url="ftp://example")

    def test_exactly_one_target(self, tmp_path: Path) -> None:
        from app.store.chroma import ChromaVectorStore

        with pytest.raises(ValueError):
            ChromaVectorStore(tmp_path, url="http://localhost:8000")
        with pytest.raises(ValueError):
            ChromaVectorStore()


@pytest.mark.integration
class TestChromaNativeFilters(VectorStoreContract):
    """The contract through Chroma's own where clauses (how a shared server is used)."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[VectorStore]:
        from app.store.chroma import ChromaVectorStore

        with ChromaVectorStore(tmp_path / "chroma", filter_cache=False) as chroma:
            yield chroma


@pytest.mark.integration
class TestChromaOversampledFilters(VectorStoreContract):
    """The contract with every filtered query sent through the oversampled HNSW path."""

    @pytest.fixture
    def store(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[VectorStore]:
        from app.store import chroma as module

        monkeypatch.setattr(module, "_EXACT_BUDGET", 0)
        with module.ChromaVectorStore(tmp_path / "chroma") as chroma:
            yield chroma


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from tests.fakes.chroma_server import ChromaServer

    server = ChromaServer(tmp_path_factory.mktemp("chroma-server")).start()
    yield server.url
    server.stop()


@pytest.mark.integration
class TestChromaServer(VectorStoreContract):
    """The contract against a real `chroma run` server, as users past one machine use it."""

    @pytest.fixture
    def store(self, tmp_path: Path, chroma_server: str) -> Iterator[VectorStore]:
        from app.store.chroma import ChromaVectorStore

        # one collection per test on the shared server, dropped afterwards
        with ChromaVectorStore(url=chroma_server, collection=f"t{abs(hash(tmp_path.name)) % 10**9}") as chroma:
            chroma.reset()
            yield chroma
            chroma.reset()
