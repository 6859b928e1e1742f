"""The index helper process: the VectorStore contract across the pipe, and what happens when the helper fails."""

from __future__ import annotations

import logging
import os
import threading
import time
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
from tests.processes import (
    children_of,
    command_line,
    end_leftovers,
    kill_and_reap,
    needs_proc,
    read_line,
    run_script,
    wait_until_gone,
)

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


# -- the helper ends with the process that started it (issue 16) ----------------------------------------

# The parent: an index host whose helper runs a store call of argv[2] seconds (0: none, the helper is idle),
# the helper allowed argv[3] seconds to finish once orphaned; the store writes "closed" to argv[1] when closed.
HOSTING = """
import sys, threading
from functools import partial
from app.store.index_host import IndexHost
from tests.fakes.hosted import MarkingStore

marker, busy_s, grace_s = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
host = IndexHost(orphan_grace_s=grace_s)
store = host.store("items", partial(MarkingStore, marker))
print("helper", host.pid, flush=True)
if busy_s:
    threading.Timer(0.3, lambda: print("busy", flush=True)).start()
    host.call("items", "sleep", (busy_s,))
threading.Event().wait()
"""


def _orphan(tmp_path: Path, busy_s: float, grace_s: float) -> tuple[set[int], float, Path]:
    """Start the hosting parent and SIGKILL it (mid-call when busy_s): its children, the kill's time, the marker."""
    marker = tmp_path / "closed.txt"
    parent = run_script(HOSTING, str(marker), str(busy_s), str(grace_s))
    try:
        helper = int(read_line(parent, "helper").split()[1])
        if busy_s:
            read_line(parent, "busy")
        children = children_of(parent.pid)  # the helper and multiprocessing's resource tracker
        assert helper in children and len(children) == 2, {pid: command_line(pid) for pid in children}
        kill_and_reap(parent)
        return children, time.monotonic(), marker
    finally:
        parent.kill()
        parent.wait()


@needs_proc
def test_an_idle_helper_ends_with_its_killed_parent_and_closes_its_stores(tmp_path: Path) -> None:
    children, killed, marker = _orphan(tmp_path, busy_s=0, grace_s=30.0)
    try:
        assert not wait_until_gone(children, timeout_s=5.0)
        assert time.monotonic() - killed < 5.0
        assert marker.read_text(encoding="utf-8") == "closed"
    finally:
        end_leftovers(children)


@needs_proc
def test_a_helper_busy_past_its_grace_ends_anyway(tmp_path: Path) -> None:
    children, killed, _marker = _orphan(tmp_path, busy_s=60.0, grace_s=0.5)
    try:
        left = wait_until_gone(children, timeout_s=5.0)
        assert not left, {pid: command_line(pid) for pid in left}
        assert time.monotonic() - killed < 5.0
    finally:
        end_leftovers(children)


@needs_proc
def test_a_helper_whose_call_ends_within_its_grace_closes_its_stores_and_ends(tmp_path: Path) -> None:
    children, killed, marker = _orphan(tmp_path, busy_s=1.5, grace_s=30.0)
    try:
        assert not wait_until_gone(children, timeout_s=6.0)
        assert time.monotonic() - killed < 6.0  # well before the grace: it ended when its answer could not be sent
        assert marker.read_text(encoding="utf-8") == "closed"
    finally:
        end_leftovers(children)
