"""The Chroma adapter of the VectorStore port: a rebuildable cosine index of item vectors.

SQLite is the source of truth; this index can always be rebuilt from it. So the adapter prefers
starting empty over crashing: a deleted folder is recreated, a damaged one is moved aside and
replaced by an empty index, and ``was_reset`` tells the caller to rebuild.

chromadb is imported lazily, here only (import-linter contract), so importing this module is cheap.

Metadata and the ``where`` filter language are described in ``app/store/vector_filters.py``;
filtered queries on a local folder run over an in-memory copy (``app/store/vector_mirror.py``).
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
from numpy.typing import NDArray

from app.domain.errors import ChatRecError, StoreError
from app.domain.progress import CancelToken, ProgressCallback
from app.ports import MetadataValue, VectorHit
from app.store.vector_filters import MetadataFilter, expand_metadata, parse_filter, to_chroma_where
from app.store.vector_mirror import VectorMirror

log = logging.getLogger(__name__)

DEFAULT_COLLECTION = "items"
DAMAGED_SUFFIX = ".damaged"
_SQLITE_FILE = "chroma.sqlite3"
_FALLBACK_BATCH = 5000  # below Chroma's usual max batch size (5461 on SQLite builds)
# Filtered search: exact over the survivors while they are few (rows x dims under this budget,
# about 10k 384-d rows, a few ms); above it the HNSW index oversampled by this factor, then filtered.
_EXACT_BUDGET = 4_000_000
_OVERSAMPLE = 2.0


@dataclass(frozen=True)
class HnswSettings:
    """How Chroma builds and searches its HNSW graph.

    Chosen by bench/bench_index_scale.py on the MiniLM vectors of 63,956 real texts (300 held-out
    queries, recall@10 against exact search): M 16 with ef_construction 64 is the cheapest graph that
    clears recall@10 0.95 with a margin (0.965 at ef_search 160; M 12 with 48 reached only 0.949 there),
    and it inserted 1.2-1.4x as fast as Chroma's default ef_construction 100 in three runs, for 0.007
    less recall. Queries stay near 3 ms at ef_search 160, so recall is bought there rather than at build
    time. Writing the graph to disk every 20,000 additions instead of 1,000 inserted 1.1-1.2x faster;
    after a crash Chroma replays the unwritten part from its log.
    """

    max_neighbors: int = 16  # M: links per node
    ef_construction: int = 64  # candidates kept while linking a new node
    ef_search: int = 160  # candidates kept while searching: recall against query time
    sync_threshold: int = 20_000  # additions between writes of the graph to disk


DEFAULT_HNSW = HnswSettings()


# -- the adapter -----------------------------------------------------------------------------------


class _DamagedIndexError(Exception):
    """Raised inside open when the index answers but is inconsistent."""


class ChromaVectorStore:
    """VectorStore port over chromadb: a local folder (default), a Chroma server, or an injected client."""

    def __init__(self, path: str | Path | None = None, *, url: str | None = None, client: Any = None,
                 collection: str = DEFAULT_COLLECTION, filter_cache: bool | None = None,
                 headers: Mapping[str, str] | None = None, hnsw: HnswSettings = DEFAULT_HNSW) -> None:
        if sum(x is not None for x in (path, url, client)) != 1:
            raise ValueError("give exactly one of path, url or client")
        self.collection_name = collection
        self.hnsw = hnsw
        self.path = Path(path).expanduser().resolve() if path is not None else None
        self.url = url
        self.was_reset = False  # the index was damaged (or had the wrong space) and now starts empty
        self.created = False  # the folder did not exist: a new, empty index
        self.damaged_copy: Path | None = None  # where a damaged folder was moved for inspection
        self._headers = dict(headers or {})  # for a reverse proxy in front of a Chroma server (a bearer token)
        self._owns_client = client is None
        self._client: Any = client
        self._collection: Any = None
        self._batch_size = _FALLBACK_BATCH
        # The mirror is only safe when this process is the index's sole writer: true for a local
        # folder (the data-dir lock keeps other processes out), not for a shared server.
        self._use_mirror = filter_cache if filter_cache is not None else path is not None
        self._mirror: VectorMirror | None = None
        if self.path is not None:
            self._open_local(self.path)
        else:
            if url is not None:
                self._client = self._http_client(url)
            with self._errors("open the collection"):
                self._collection = self._get_or_create()
                self._batch_size = self._max_batch_size()
        if self._use_mirror and self.count() == 0:
            self._mirror = VectorMirror()  # nothing to load: it stays in step from the first upsert on

    def warm(self, progress: ProgressCallback | None = None) -> None:
        """Load the filter mirror now (a background job at start-up) instead of on the first filtered query."""
        if self._use_mirror:
            self._loaded_mirror(progress)

    @property
    def needs_rebuild(self) -> bool:
        """True when the caller should re-index everything from SQLite (new or reset index)."""
        return self.was_reset or self.created

    # -- the port ------------------------------------------------------------------------------------

    def upsert(self, ids: Sequence[str], vectors: NDArray[np.float32],
               metadatas: Sequence[Mapping[str, MetadataValue]],
               documents: Sequence[str] | None = None, *, progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> None:
        """Insert or replace vectors by id, in batches within Chroma's limit."""
        matrix = np.asarray(vectors, dtype=np.float32)
        n = len(ids)
        if matrix.ndim != 2 or matrix.shape[0] != n or len(metadatas) != n or \
                (documents is not None and len(documents) != n):
            raise ValueError(f"upsert needs as many vectors, metadatas and documents as ids ({n}); "
                             f"got vectors {matrix.shape}, {len(metadatas)} metadatas")
        if len(set(ids)) != n:
            raise ValueError("upsert ids must be unique within one call")
        # After a reset (the rebuild path) nothing can exist yet: skip the per-batch lookup below.
        empty_before = n > 0 and self.count() == 0
        step = self._batch_size
        for start in range(0, n, step):
            if cancel is not None:
                cancel.raise_if_cancelled("indexing")
            end = min(start + step, n)
            expanded = [expand_metadata(m) for m in metadatas[start:end]]
            # Chroma rejects an empty metadata dict; None means "no metadata" to it.
            metas = [m or None for m in expanded]
            with self._errors("store vectors"), self._mirror_guard():
                # Chroma's upsert merges metadata into the old record, so a genre the item lost would
                # keep matching: replace whole records by deleting the ids that exist first.
                existing = self._existing(ids[start:end], empty_before)
                if existing:
                    self._collection.delete(ids=existing)
                self._collection.upsert(ids=list(ids[start:end]), embeddings=matrix[start:end],
                                        metadatas=metas,
                                        documents=list(documents[start:end]) if documents else None)
                if self._mirror is not None:
                    self._mirror.upsert(ids[start:end], matrix[start:end], expanded)
            if progress is not None:
                progress(end, n, "indexing vectors")

    def query(self, vector: NDArray[np.float32], k: int,
              where: Mapping[str, object] | None = None) -> list[VectorHit]:
        """The k nearest ids to vector, most similar first (similarity = 1 - cosine distance)."""
        flt = parse_filter(where)
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if k <= 0:
            return []
        if flt == MetadataFilter():
            return self._ann(query, k, None)
        if not self._use_mirror:
            return self._ann(query, k, to_chroma_where(flt))
        mirror = self._loaded_mirror()
        if mirror.live == 0:
            return []
        if query.shape[0] != mirror.vectors.shape[1]:
            raise StoreError(f"the vector index holds {mirror.vectors.shape[1]}-d vectors, the query has "
                             f"{query.shape[0]}: rebuild the index after changing the embedding model")
        mask = mirror.mask(flt)
        rows = np.flatnonzero(mask)
        if len(rows) == 0:
            return []
        if len(rows) * query.shape[0] > _EXACT_BUDGET:
            # A broad filter: the approximate index, asked for enough extra hits that k survive
            # the filter; exact search below when too few do.
            wanted = min(mirror.live, int(k * mirror.live / len(rows) * _OVERSAMPLE) + k)
            hits = [h for h in self._ann(query, wanted, None) if mirror.passes(h.id, mask)]
            if len(hits) >= min(k, len(rows)):
                return hits[:k]
        return mirror.nearest(query, rows, k)

    def get_vectors(self, ids: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        """The stored vectors for those ids that exist (unknown ids are left out)."""
        out: dict[str, NDArray[np.float32]] = {}
        if self._mirror is not None:
            for item_id in ids:
                vector = self._mirror.get(item_id)
                if vector is not None:
                    out[item_id] = vector
            return out
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), self._batch_size):
            with self._errors("read vectors"):
                got = self._collection.get(ids=unique[start:start + self._batch_size],
                                           include=["embeddings"])
            for item_id, emb in zip(got["ids"], got["embeddings"], strict=True):
                out[item_id] = np.asarray(emb, dtype=np.float32)
        return out

    def present(self, ids: Sequence[str]) -> set[str]:
        """Which of those ids are stored: asked of the mirror when it is loaded, else of Chroma without vectors."""
        if self._mirror is not None:
            return {i for i in ids if i in self._mirror.row_of}
        unique = list(dict.fromkeys(ids))
        found: set[str] = set()
        for start in range(0, len(unique), self._batch_size):
            with self._errors("read the index"):
                found.update(self._collection.get(ids=unique[start:start + self._batch_size], include=[])["ids"])
        return found

    def delete(self, ids: Sequence[str]) -> None:
        """Remove ids; unknown ids are ignored."""
        unique = list(dict.fromkeys(ids))
        # Never call Chroma's delete with an empty id list: that is not a no-op in every version.
        step = self._batch_size
        for start in range(0, len(unique), step):
            with self._errors("delete vectors"), self._mirror_guard():
                self._collection.delete(ids=unique[start:start + step])
                if self._mirror is not None:
                    self._mirror.delete(unique[start:start + step])

    def count(self) -> int:
        """How many vectors are stored."""
        with self._errors("count vectors"):
            return int(self._collection.count())

    def reset(self) -> None:
        """Drop every vector (before a rebuild): the collection is dropped and made again."""
        with self._errors("clear the index"):
            self._mirror = None
            self._drop_collection()
            self._collection = self._get_or_create()
            if self._use_mirror:
                self._mirror = VectorMirror()

    def close(self) -> None:
        """Release the Chroma client's files (only a client this store created)."""
        if self._owns_client and self._client is not None:
            close = getattr(self._client, "close", None)
            if callable(close):
                with self._errors("close the index"):
                    close()
        self._client = None
        self._collection = None
        self._mirror = None

    def __enter__(self) -> ChromaVectorStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- opening -------------------------------------------------------------------------------------

    def _open_local(self, path: Path) -> None:
        if path.exists() and not path.is_dir():
            raise StoreError(f"the vector index folder {path} is a file: move it away; the index is "
                             "rebuilt from the database")
        self.created = not (path / _SQLITE_FILE).exists()
        if self.created:
            # A client cached by chromadb for this path would point at files deleted under it.
            _forget_cached_system(path)
        try:
            self._connect_local(path)
            return
        except ChatRecError:
            raise
        except Exception as exc:  # chromadb raises InternalError, ValueError, sqlite errors...
            if not (path / _SQLITE_FILE).exists():
                raise StoreError(f"cannot create the vector index in {path}: {exc}. Check the folder "
                                 "is writable and the disk is not full") from exc
            reason = exc
        self._close_quietly()
        # chromadb keeps a half-started system cached under the path after a failed open; a retry
        # would reuse it and fail again, so it must be dropped first.
        _forget_cached_system(path)
        # The index is only a cache of SQLite: keep the damaged copy for a bug report, start afresh.
        self.damaged_copy = self._move_aside(path)
        log.warning("vector index at %s was damaged (%s); moved to %s and started empty",
                    path, reason, self.damaged_copy)
        self.was_reset = True
        try:
            self._connect_local(path)
        except ChatRecError:
            raise
        except Exception as exc:
            self._close_quietly()
            _forget_cached_system(path)
            raise StoreError(f"cannot create a fresh vector index in {path}: {exc}. Delete the folder "
                             "and start again") from exc

    def _connect_local(self, path: Path) -> None:
        try:
            import chromadb
            from chromadb.config import Settings
        except ImportError as exc:
            raise StoreError("the vector index needs chromadb: pip install 'chromadb>=1,<2'") from exc
        self._client = chromadb.PersistentClient(path=str(path),
                                                 settings=Settings(anonymized_telemetry=False))
        self._collection = self._get_or_create()
        self._batch_size = self._max_batch_size()
        if self._space() != "cosine":
            # A collection made with another metric would return wrong similarities: start over.
            log.warning("vector index at %s used the '%s' space; recreating it for cosine", path,
                        self._space())
            self._drop_collection()
            self._collection = self._get_or_create()
            self.was_reset = True
        self._probe()

    def _probe(self) -> None:
        """Touch the stored data so that a damaged index fails now, while it can still be replaced."""
        total = int(self._collection.count())
        if total == 0:
            return
        sample = self._collection.get(limit=1, include=["embeddings"])
        if not sample["ids"]:
            raise _DamagedIndexError(f"count says {total} vectors but none can be read")
        want = min(total, 3)
        found = self._collection.query(query_embeddings=np.asarray(sample["embeddings"][:1], np.float32),
                                       n_results=want, include=["distances"])
        # HNSW files that lost entries answer with fewer hits than asked for.
        if len(found["ids"][0]) < want:
            raise _DamagedIndexError(f"asked for {want} neighbours, the index returned "
                                     f"{len(found['ids'][0])}")

    @staticmethod
    def _move_aside(path: Path) -> Path | None:
        # Keep one damaged copy at most: older ones would only fill the disk.
        for old in path.parent.glob(path.name + DAMAGED_SUFFIX + "-*"):
            shutil.rmtree(old, ignore_errors=True)
        target = path.with_name(f"{path.name}{DAMAGED_SUFFIX}-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            path.rename(target)
            return target
        except OSError:
            shutil.rmtree(path, ignore_errors=True)
            if path.exists():
                raise StoreError(f"the vector index in {path} is damaged and cannot be moved or "
                                 "deleted: delete that folder by hand; it is rebuilt from the database"
                                 ) from None
            return None

    def _close_quietly(self) -> None:
        client, self._client, self._collection = self._client, None, None
        if client is not None and self._owns_client:
            try:
                client.close()
            except Exception as exc:  # already failing: the original error is the one to report
                log.debug("closing a damaged Chroma client failed: %s", exc)

    def _http_client(self, url: str) -> Any:
        parsed = urlparse(url if "://" in url else "http://" + url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise StoreError(f"'{url}' is not a Chroma server address: use http://host:port")
        try:
            import chromadb
            from chromadb.config import Settings
        except ImportError as exc:
            raise StoreError("the vector index needs chromadb: pip install 'chromadb>=1,<2'") from exc
        ssl = parsed.scheme == "https"
        base = f"{parsed.scheme}://{parsed.netloc}"
        problem = server_problem(base, self._headers)
        if problem is not None:
            raise StoreError(f"the Chroma server at {url} {problem}")
        try:
            return chromadb.HttpClient(host=parsed.hostname, port=parsed.port or (443 if ssl else 8000),
                                       ssl=ssl, headers=self._headers or None,
                                       settings=Settings(anonymized_telemetry=False))
        except Exception as exc:  # chromadb raises ValueError when nothing answers
            raise StoreError(f"cannot reach the Chroma server at {url}: {exc}. Start it, or clear the "
                             "chroma_url setting to use the local index") from exc

    # -- helpers -------------------------------------------------------------------------------------

    def _ann(self, query: NDArray[np.float32], k: int, clause: dict[str, Any] | None) -> list[VectorHit]:
        with self._errors("search"):
            result = self._collection.query(query_embeddings=query.reshape(1, -1), n_results=k,
                                            where=clause, include=["distances"])
        ids: list[str] = result["ids"][0] if result["ids"] else []
        distances: list[float] = result["distances"][0] if result["distances"] else []
        return [VectorHit(id=i, similarity=1.0 - float(d)) for i, d in zip(ids, distances, strict=True)]

    def _existing(self, ids: Sequence[str], empty_before: bool) -> list[str]:
        if empty_before:
            return []
        wanted = self.present(ids)
        return [i for i in ids if i in wanted]

    def _loaded_mirror(self, progress: ProgressCallback | None = None) -> VectorMirror:
        """The mirror, read from Chroma on first use (about 12 s per 100k items, once per run)."""
        if self._mirror is None:
            mirror = VectorMirror()
            total = self.count()
            offset = 0
            while True:
                with self._errors("read the index"):
                    page = self._collection.get(include=["embeddings", "metadatas"], limit=self._batch_size,
                                                offset=offset)
                if not page["ids"]:
                    break
                mirror.upsert(page["ids"], np.asarray(page["embeddings"], dtype=np.float32),
                              [m or {} for m in page["metadatas"]])
                offset += len(page["ids"])
                if progress is not None:
                    progress(offset, total, "loading the vector index")
            self._mirror = mirror
        return self._mirror

    @contextmanager
    def _mirror_guard(self) -> Iterator[None]:
        # A write that failed half-way leaves the mirror unsure: drop it, it reloads on demand.
        try:
            yield
        except BaseException:
            self._mirror = None
            raise

    def _get_or_create(self) -> Any:
        # embedding_function=None: we always pass vectors, Chroma must never embed (or download) itself.
        collection = self._client.get_or_create_collection(
            self.collection_name, configuration={"hnsw": {"space": "cosine", **asdict(self.hnsw)}},
            embedding_function=None)
        # A collection made earlier keeps its graph's shape (M, ef_construction); the search breadth
        # can change, so an index built before the current settings still searches with them.
        stored = self._hnsw_config(collection)
        if stored and stored.get("ef_search") not in (None, self.hnsw.ef_search):
            collection.modify(configuration={"hnsw": {"ef_search": self.hnsw.ef_search}})
        return collection

    @staticmethod
    def _hnsw_config(collection: Any) -> Mapping[str, Any]:
        config = getattr(collection, "configuration", None) or {}
        hnsw = config.get("hnsw") if isinstance(config, Mapping) else None
        return hnsw if isinstance(hnsw, Mapping) else {}

    def _drop_collection(self) -> None:
        try:
            self._client.delete_collection(self.collection_name)
        except Exception as exc:
            if not _is_not_found(exc):
                raise

    def _space(self) -> str:
        hnsw = self._hnsw_config(self._collection)
        if hnsw.get("space"):
            return str(hnsw["space"])
        metadata = getattr(self._collection, "metadata", None) or {}
        return str(metadata.get("hnsw:space", "cosine"))

    def _max_batch_size(self) -> int:
        try:
            return max(1, int(self._client.get_max_batch_size()))
        except Exception:  # an injected or older client without the call: the fallback is safe
            return _FALLBACK_BATCH

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        if self._collection is None and action != "open the collection":
            raise StoreError(f"cannot {action}: the vector index is closed")
        try:
            yield
        except ChatRecError:
            raise
        except Exception as exc:
            if self.url is not None and _is_not_found(exc) and action != "open the collection":
                # The server was started again empty, or someone dropped the collection: make it again
                # and let the caller rebuild it from the database.
                self._mirror = None
                try:
                    self._collection = self._get_or_create()
                except Exception as again:  # the server went away meanwhile: say that instead
                    raise StoreError(f"the vector index could not {action}: {_said(again)}. {self._hint()}"
                                     ) from again
                self.was_reset = True
                raise StoreError(f"the Chroma server at {self.url} no longer holds the '{self.collection_name}' "
                                 "index (started again empty, or the collection was deleted); it is rebuilt "
                                 "from the database on the next search") from exc
            raise StoreError(f"the vector index could not {action}: {_said(exc)}. {self._hint()}") from exc

    def _hint(self) -> str:
        if self.path is not None:
            return (f"If this persists, quit, delete the folder {self.path} and start again: the index "
                    "is rebuilt from the database")
        if self.url is not None:
            return (f"Check that the Chroma server at {self.url} is running (chroma run --path DIR --host "
                    "127.0.0.1 --port PORT), or clear the chroma_url setting to use the local index; nothing "
                    "is lost: the database holds everything, and the index catches up when the server is back")
        return "Check the Chroma client"


def server_problem(base: str, headers: Mapping[str, str], timeout_s: float = 5.0) -> str | None:
    """What keeps the app from using the Chroma server at base (in words that end a sentence), or None."""
    import urllib.error
    import urllib.request

    def status(path: str) -> int | str:
        request = urllib.request.Request(base + path, headers=dict(headers))
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except (urllib.error.URLError, OSError) as exc:
            return str(getattr(exc, "reason", exc))

    answer = status("/api/v2/heartbeat")
    if answer == 200:
        return None
    if isinstance(answer, str):
        return (f"does not answer ({answer}): start it (chroma run --path DIR --host 127.0.0.1 --port PORT), or "
                "clear the chroma_url setting to use the local index")
    if answer in (401, 403):
        return (f"refused the request ({answer}): the proxy in front of it wants credentials; set chroma_token "
                "or chroma_headers in the settings")
    if answer in (404, 410) and status("/api/v1/heartbeat") == 200:
        return ("speaks Chroma's older API (a 0.x server); this app needs a Chroma 1.x server: pip install "
                "'chromadb>=1,<2' on the server and start it with chroma run")
    return f"answered HTTP {answer} to a heartbeat: is this address a Chroma server?"


def _said(exc: Exception) -> str:
    """An exception's message in one short line (HTTP clients put whole pages in theirs)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


def _is_not_found(exc: Exception) -> bool:
    return type(exc).__name__ in ("NotFoundError", "InvalidCollectionException") or \
        "does not exist" in str(exc)


def _forget_cached_system(path: Path) -> None:
    """Drop chromadb's process-wide cached System for a folder (private API, hence the guards)."""
    try:
        from chromadb.api.shared_system_client import SharedSystemClient
    except ImportError:
        return
    systems = getattr(SharedSystemClient, "_identifier_to_system", None)
    refcounts = getattr(SharedSystemClient, "_identifier_to_refcount", None)
    system = systems.pop(str(path), None) if isinstance(systems, dict) else None
    if isinstance(refcounts, dict):
        refcounts.pop(str(path), None)
    stop = getattr(system, "stop", None)
    if callable(stop):
        # Stopping closes its SQLite and HNSW files; without it Windows refuses to move the
        # damaged folder aside while this process still holds them open.
        try:
            stop()
        except Exception as exc:  # a broken system may fail to stop; it is dropped anyway
            log.debug("a damaged Chroma system did not stop cleanly: %s", exc)
