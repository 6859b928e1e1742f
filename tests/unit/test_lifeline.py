"""Spawned helpers end with their parent (app.lifeline): a SIGKILLed parent leaves no process behind.

Each test runs a small parent process with a process pool whose workers sleep in a task, as the music
analysis's workers are busy in a file, and looks at that parent's children through /proc.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.processes import (
    children_of,
    command_line,
    end_leftovers,
    is_running,
    kill_and_reap,
    needs_proc,
    read_line,
    run_script,
    wait_until_gone,
)

pytestmark = needs_proc

# The parent: a spawn pool of two workers with app.lifeline's start-up, started on the main thread or on
# another thread (then only the parent watcher, not Linux's parent-death signal, can end them), both busy.
BUSY_POOL = """
import multiprocessing, os, sys, threading, time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from app.lifeline import die_with_parent, started_on_main_thread

def run():
    pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"),
                               initializer=partial(die_with_parent, kernel_signal=started_on_main_thread()))
    pids = {f.result() for f in [pool.submit(os.getpid) for _ in range(2)]}
    busy = [pool.submit(time.sleep, 60) for _ in range(2)]
    print("busy", *sorted(pids), flush=True)
    busy[0].result()

if sys.argv[1] == "main":
    run()
else:
    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
"""


@pytest.mark.parametrize("started_on", ["main", "thread"])
def test_a_killed_parent_leaves_no_worker_and_no_resource_tracker(started_on: str) -> None:
    parent = run_script(BUSY_POOL, started_on)
    children: set[int] = set()
    try:
        read_line(parent, "busy")
        children = children_of(parent.pid)
        tracker = {pid for pid in children if "resource_tracker" in command_line(pid)}
        assert len(children) >= 2 and tracker, {pid: command_line(pid) for pid in children}
        kill_and_reap(parent)
        killed = time.monotonic()
        left = wait_until_gone(children, timeout_s=5.0)
        assert not left, {pid: command_line(pid) for pid in left}
        assert time.monotonic() - killed < 5.0
    finally:
        end_leftovers(children)
        parent.kill()
        parent.wait()


# The parent: workers started by a thread that then ends, and the parent stopped (SIGSTOP) for a while.
# Neither is the parent's death: the same workers must still answer afterwards.
PAUSED_POOL = """
import multiprocessing, os, sys, threading
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from app.lifeline import die_with_parent, started_on_main_thread

pools = []
def start():
    pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"),
                               initializer=partial(die_with_parent, kernel_signal=started_on_main_thread()))
    [f.result() for f in [pool.submit(os.getpid) for _ in range(2)]]  # both workers started here
    pools.append(pool)

starter = threading.Thread(target=start)
starter.start()
starter.join()  # the thread the workers are children of has ended
pool = pools[0]
print("pids", *sorted({f.result() for f in [pool.submit(os.getpid) for _ in range(6)]}), flush=True)
sys.stdin.readline()
print("pids", *sorted({f.result() for f in [pool.submit(os.getpid) for _ in range(6)]}), flush=True)
pool.shutdown()
"""


def test_a_stopped_parent_or_an_ended_starting_thread_does_not_end_the_workers() -> None:
    parent = run_script(PAUSED_POOL)
    children: set[int] = set()
    try:
        before = set(map(int, read_line(parent, "pids").split()[1:]))
        children = children_of(parent.pid)
        workers = {pid for pid in children if "spawn_main" in command_line(pid)}
        assert len(workers) == 2 and before <= workers
        os.kill(parent.pid, signal.SIGSTOP)
        try:
            time.sleep(2.0)
            assert all(is_running(pid) for pid in workers)
        finally:
            os.kill(parent.pid, signal.SIGCONT)
        assert parent.stdin is not None
        parent.stdin.write("go on\n")
        parent.stdin.flush()
        after = set(map(int, read_line(parent, "pids").split()[1:]))
        assert after <= workers  # the same workers answered: none was replaced
        assert parent.wait(timeout=15) == 0
    finally:
        end_leftovers(children)
        parent.kill()
        parent.wait()


def test_nothing_happens_outside_a_child_process() -> None:
    from app.lifeline import die_with_parent

    die_with_parent(kernel_signal=True)  # the test runner has no multiprocessing parent: a no-op
    assert is_running(os.getpid())
