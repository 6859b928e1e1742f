"""The index helper process: the VectorStore contract across the pipe, and what happens when the helper fails."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import numpy as np
import pytest

from app.domain.errors import StoreError
from app.ports import VectorStore
from app.store.index_host import HostedVectorStore, IndexHost
from tests.contract.test_vector_store_contract import VectorStoreContract, fill, unit
from tests.fakes.hosted import MisbehavingStore, refusing_store
from tests.fakes.vector_store import InMemoryVectorStore

_names = count()


@pytest.fixture(scope="module")
def shared_host() -> Iterator[IndexHost]:
    host = IndexHost()
    yield host
    host.stop()


@pytest.fixture
def host() -> Iterator[IndexHost]:
    own = IndexHost()
    yield own
    own.stop()


class TestHostedVectorStore(VectorStoreContract):
    """The port's promises hold for a store that lives in the helper (one helper for the class: it starts once)."""

    @pytest.fixture
    def store(self, tmp_path: Path, shared_host: IndexHost) -> Iterator[VectorStore]:
        hosted = shared_host.store(f"store{next(_names)}", InMemoryVectorStore)
        yield hosted
        hosted.close()


def test_the_store_lives_in_another_process(host: IndexHost) -> None:
    host.store("items", MisbehavingStore)
    helper = host.call("items", "pid", ())
    assert helper == host.pid
    assert helper != os.getpid()


def test_a_crash_in_the_helper_is_a_store_error_and_the_next_call_starts_a_new_one(host: IndexHost) -> None:
    store = host.store("items", MisbehavingStore)
    fill(store)
    first = host.pid
    with pytest.raises(StoreError, match=r"stopped unexpectedly \(exit code 3\).*'items' index.*library is safe"):
        host.call("items", "die", (3,))
    assert host.pid is None
    # The next call opens the store again in a new helper (an in-memory store comes back empty;
    # Chroma comes back from its folder, or says it needs a rebuild).
    assert store.count() == 0
    assert host.pid not in (None, first)
    fill(store)
    assert store.query(unit(0), 1)[0].id == "m1"


def test_errors_keep_their_type_and_message(host: IndexHost) -> None:
    store = host.store("items", MisbehavingStore)
    with pytest.raises(ValueError, match="as many vectors"):
        store.upsert(["a", "b"], np.zeros((1, 4), dtype=np.float32), [{}, {}])
    with pytest.raises(StoreError, match="_Unpicklable: code 7: the disk said no"):
        host.call("items", "raise_unpicklable", ())
    assert store.count() == 0  # the helper lives on after a failed call


def test_a_store_that_cannot_open_says_why_and_the_host_stays_usable(host: IndexHost) -> None:
    with pytest.raises(StoreError, match="cannot be opened: permission denied"):
        host.store("items", refusing_store)
    with pytest.raises(StoreError, match="'items' is closed"):
        host.call("items", "count", ())
    assert host.store("audio", MisbehavingStore).count() == 0


def test_the_helpers_log_lines_reach_this_process(host: IndexHost, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        host.store("items", MisbehavingStore)
    assert any(r.name == "tests.fakes.hosted" and r.levelno == logging.WARNING and "misbehaving store" in r.message
               for r in caplog.records)


def test_a_closed_store_is_closed_and_the_others_stay_open(host: IndexHost) -> None:
    items, audio = host.store("items", MisbehavingStore), host.store("audio", MisbehavingStore)
    fill(audio)
    items.close()
    with pytest.raises(StoreError, match="'items' is closed"):
        items.count()
    assert audio.count() == 8


def test_stop_ends_the_helper(host: IndexHost) -> None:
    host.store("items", MisbehavingStore)
    helper = host.pid
    assert helper is not None
    host.stop()
    assert host.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(helper, 0)


def test_threads_share_the_helper_one_call_at_a_time(host: IndexHost) -> None:
    store = host.store("items", MisbehavingStore)
    failures: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for i in range(20):
                store.upsert([f"t{offset + i}"], unit(offset + i)[None, :], [{"domain": "movie"}])
        except BaseException as exc:  # handed to the main thread's assertion
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n * 100,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert store.count() == 80


def test_the_proxy_is_the_port() -> None:
    assert isinstance(HostedVectorStore(IndexHost(), "items"), VectorStore)
