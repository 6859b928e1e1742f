"""The vector indexes in a helper process, so the desktop window's process never runs chromadb.

chromadb's Rust binding holds the GIL for the whole of every call (about 30 ms plus 1-2 ms a row on
2 cores, growing with the collection). Made from a background thread of the window's process, the
writes of a music import froze the GUI thread for 100-180 ms at a time. Here the stores live in one
helper process and each call crosses a pipe: the window's threads only wait on a socket, which
releases the GIL. The helper is each index folder's only client, as a local Chroma folder needs;
SQLite stays in the window's process and remains the source of truth.

The helper ends with the window's process however that ends (app.lifeline): idle, it reads EOF on
its pipe; busy in a long call when the window's process was killed, it is given ORPHAN_GRACE_S to
finish and close its stores (Chroma flushes its files), then it exits anyway.
"""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.connection import Connection
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from app.domain.errors import StoreError
from app.lifeline import die_with_parent
from app.ports import MetadataValue, ReopenableStore, VectorHit

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 10.0  # a clean stop closes the stores (Chroma flushes its files); then it is killed
ORPHAN_GRACE_S = 3.0  # how long a helper whose parent died may finish its call and close its stores
_START_METHOD: Final = "spawn"  # the one start method every OS and frozen builds support alike

StoreOpener = Callable[[], ReopenableStore]  # picklable: it is sent to the helper and called there
_LogRecord = tuple[str, int, str]  # logger name, level, message: the helper's log lines, replayed here


class IndexHost:
    """One helper process that owns named vector stores; calls reach it one at a time over a pipe.

    The helper starts on the first call. If it dies, that call fails with a StoreError and the next
    one starts a new helper, which opens the stores again (a damaged index is rebuilt from SQLite).
    """

    def __init__(self, *, orphan_grace_s: float = ORPHAN_GRACE_S) -> None:
        self._orphan_grace_s = orphan_grace_s
        self._lock = threading.Lock()  # one request and its answer at a time on the pipe
        self._process: Any = None
        self._conn: Connection | None = None
        self._openers: dict[str, StoreOpener] = {}
        self._opened: set[str] = set()  # the stores open in the running helper (a new helper has none)

    def store(self, name: str, opener: StoreOpener) -> HostedVectorStore:
        """A proxy for the store that opener builds in the helper; it is opened now, so errors show here."""
        with self._lock:
            self._openers[name] = opener
        hosted = HostedVectorStore(self, name)
        try:
            self.call(name, "count", ())
        except BaseException:
            self.release(name)
            raise
        return hosted

    @property
    def pid(self) -> int | None:
        """The helper's process id while it runs."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def call(self, name: str, method: str, args: tuple[Any, ...] | None) -> Any:
        """Call method of the named store in the helper (args None reads an attribute); its errors are raised here."""
        with self._lock:
            if name not in self._openers:
                raise StoreError(f"the vector index '{name}' is closed")
            conn = self._running()
            if name not in self._opened:
                self._exchange(conn, ("open", name, self._openers[name]))
                self._opened.add(name)
            return self._exchange(conn, ("call", name, (method, args)))

    def release(self, name: str) -> None:
        """Close the named store in the helper (the helper itself runs on until stop)."""
        with self._lock:
            self._openers.pop(name, None)
            if name in self._opened:
                self._opened.discard(name)
                if self._conn is not None and self.pid is not None:
                    self._exchange(self._conn, ("close", name, None))

    def stop(self) -> None:
        """Close every store and end the helper (waits up to STOP_TIMEOUT_S, then kills it)."""
        with self._lock:
            self._openers.clear()
            self._opened.clear()
            self._stop()

    # -- the helper's life ----------------------------------------------------------------------------

    def _running(self) -> Connection:
        if self._conn is not None and self.pid is not None:
            return self._conn
        self._reap()
        context = multiprocessing.get_context(_START_METHOD)
        ours, theirs = context.Pipe()
        process = context.Process(target=serve, args=(theirs, self._orphan_grace_s), name="chatrec-index",
                                  daemon=True)
        process.start()
        theirs.close()  # only the helper holds its end: its exit then reads as EOF here
        self._process, self._conn = process, ours
        log.info("started the index helper process (pid %s)", process.pid)
        return ours

    def _exchange(self, conn: Connection, request: tuple[str, str, Any]) -> Any:
        try:
            conn.send(request)
            ok, value, records = conn.recv()
        except (EOFError, OSError) as exc:
            code = self._reap()
            raise StoreError(f"the index helper process stopped unexpectedly (exit code {code}) while working on "
                             f"the '{request[1]}' index. Your library is safe: try again, and the index is opened "
                             "anew (and rebuilt from the library if it was damaged)") from exc
        _replay(records)
        if not ok:
            raise value
        return value

    def _stop(self) -> None:
        conn, process = self._conn, self._process
        if conn is not None and process is not None and process.is_alive():
            try:
                conn.send(("stop", "", None))
                if conn.poll(STOP_TIMEOUT_S):
                    _ok, _value, records = conn.recv()
                    _replay(records)
            except (EOFError, OSError):
                pass  # it is already gone, which is what stopping wants
        self._reap()

    def _reap(self) -> int | None:
        """Forget the helper, ending it if it still runs; its exit code."""
        conn, process = self._conn, self._process
        self._conn = self._process = None
        self._opened.clear()
        if conn is not None:
            conn.close()
        if process is None:
            return None
        process.join(STOP_TIMEOUT_S)
        if process.is_alive():
            log.warning("the index helper process did not stop within %.0f s; ending it", STOP_TIMEOUT_S)
            process.kill()
            process.join(STOP_TIMEOUT_S)
        code: int | None = process.exitcode
        process.close()
        return code


class HostedVectorStore:
    """The VectorStore port over a store that lives in an IndexHost's helper process."""

    def __init__(self, host: IndexHost, name: str) -> None:
        self._host = host
        self.name = name

    @property
    def needs_rebuild(self) -> bool:
        """True when the index was created empty or reset since it was last written."""
        return bool(self._host.call(self.name, "needs_rebuild", None))

    def upsert(self, ids: Sequence[str], vectors: NDArray[np.float32],
               metadatas: Sequence[Mapping[str, MetadataValue]],
               documents: Sequence[str] | None = None) -> None:
        """Insert or replace vectors by id."""
        self._host.call(self.name, "upsert", (list(ids), np.asarray(vectors, dtype=np.float32),
                                              [dict(m) for m in metadatas],
                                              None if documents is None else list(documents)))

    def query(self, vector: NDArray[np.float32], k: int,
              where: Mapping[str, object] | None = None) -> list[VectorHit]:
        """The k nearest ids to vector, most similar first, filtered by metadata."""
        hits: list[VectorHit] = self._host.call(
            self.name, "query", (np.asarray(vector, dtype=np.float32), k, None if where is None else dict(where)))
        return hits

    def get_vectors(self, ids: Sequence[str]) -> dict[str, NDArray[np.float32]]:
        """The stored vectors for those ids that exist."""
        found: dict[str, NDArray[np.float32]] = self._host.call(self.name, "get_vectors", (list(ids),))
        return found

    def present(self, ids: Sequence[str]) -> set[str]:
        """Which of those ids are stored."""
        found: set[str] = self._host.call(self.name, "present", (list(ids),))
        return found

    def delete(self, ids: Sequence[str]) -> None:
        """Remove ids; unknown ids are ignored."""
        self._host.call(self.name, "delete", (list(ids),))

    def count(self) -> int:
        """How many vectors are stored."""
        return int(self._host.call(self.name, "count", ()))

    def reset(self) -> None:
        """Drop every vector (used before a rebuild)."""
        self._host.call(self.name, "reset", ())

    def close(self) -> None:
        """Close the store in the helper."""
        self._host.release(self.name)


# -- inside the helper --------------------------------------------------------------------------------


class _Collected(logging.Handler):
    """Keeps the helper's log lines until the next answer carries them to the window's log."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[_LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep one line."""
        self.records.append((record.name, record.levelno, record.getMessage()))

    def drain(self) -> list[_LogRecord]:
        """The lines kept since the last call."""
        records, self.records = self.records, []
        return records


def serve(conn: Connection, orphan_grace_s: float = ORPHAN_GRACE_S) -> None:
    """The helper's loop: open, call and close stores as the window asks, until told to stop or orphaned."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the window's to handle; it stops us
    # No kernel signal here: the helper is started from whichever thread first needs an index, and
    # Linux would kill it when that thread ends (app.lifeline); the grace lets a write finish cleanly.
    die_with_parent(grace_s=orphan_grace_s)
    collected = _Collected()
    root = logging.getLogger()
    root.addHandler(collected)
    root.setLevel(logging.INFO)
    stores: dict[str, ReopenableStore] = {}
    try:
        while True:
            try:
                kind, name, payload = conn.recv()
            except (EOFError, OSError):
                return  # the window's process is gone
            try:
                value = _handle(stores, kind, name, payload)
                answer: tuple[bool, Any, list[_LogRecord]] = (True, value, collected.drain())
            except Exception as exc:  # every failure goes back to the caller, who raises it
                answer = (False, _portable(exc), collected.drain())
            try:
                conn.send(answer)
            except OSError:  # a broken pipe: the window's process died during the call
                return
            if kind == "stop":
                return
    finally:
        _close_all(stores)


def _handle(stores: dict[str, ReopenableStore], kind: str, name: str, payload: Any) -> Any:
    if kind == "open":
        old = stores.pop(name, None)
        if old is not None:
            old.close()
        stores[name] = payload()
        return None
    if kind == "close":
        store = stores.pop(name, None)
        if store is not None:
            store.close()
        return None
    if kind == "stop":
        _close_all(stores)
        return None
    if kind == "call":
        method, args = payload
        attribute = getattr(stores[name], method)
        return attribute if args is None else attribute(*args)
    raise ValueError(f"the index helper got an unknown request {kind!r}")


def _close_all(stores: dict[str, ReopenableStore]) -> None:
    while stores:
        _name, store = stores.popitem()
        store.close()


def _portable(exc: Exception) -> Exception:
    """exc itself when it survives the pipe, else a StoreError that keeps its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # an exception type that cannot be rebuilt on the other side
        return StoreError(f"the vector index failed: {type(exc).__name__}: {exc}")
    return exc


def _replay(records: list[_LogRecord]) -> None:
    for name, level, message in records:
        logging.getLogger(name).log(level, "%s", message)
