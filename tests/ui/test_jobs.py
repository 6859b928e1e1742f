from __future__ import annotations

import threading
import time

from pytestqt.qtbot import QtBot

from app.domain.errors import CancelledError, InputError
from app.ui.jobs import JobContext, Jobs


def test_result_and_progress_arrive_on_the_gui_thread(qtbot: QtBot) -> None:
    jobs = Jobs()
    gui = threading.get_ident()
    seen: list[tuple[str, int]] = []

    def work(ctx: JobContext) -> int:
        assert threading.get_ident() != gui
        ctx.progress(1, 2, "half")
        return 42

    with qtbot.waitSignal(jobs.busy_changed, check_params_cb=lambda busy: busy is False, timeout=5000):
        jobs.start("sum", work, on_done=lambda r: seen.append(("done", threading.get_ident() == gui and r)),
                   on_progress=lambda d, t, m: seen.append((m, threading.get_ident() == gui)))
    assert seen == [("half", True), ("done", 42)]


def test_errors_go_to_on_error_or_the_failed_signal(qtbot: QtBot) -> None:
    jobs = Jobs()
    caught: list[BaseException] = []

    def bad(ctx: JobContext) -> None:
        raise InputError("broken", file="x.csv", line=3)

    with qtbot.waitSignal(jobs.busy_changed, check_params_cb=lambda busy: not busy, timeout=5000):
        jobs.start("a", bad, on_error=caught.append)
    assert "x.csv, line 3" in str(caught[0])
    with qtbot.waitSignal(jobs.failed, timeout=5000) as blocker:
        jobs.start("b", bad)
    assert blocker.args[0] == "b"


def test_a_new_job_of_the_same_name_cancels_the_old_one_and_drops_its_result(qtbot: QtBot) -> None:
    jobs = Jobs()
    release = threading.Event()
    results: list[str] = []

    def slow(ctx: JobContext) -> str:
        release.wait(5)
        return "old" if ctx.cancel.cancelled else "unexpected"

    first = jobs.start("turn", slow, on_done=results.append)
    jobs.start("turn", lambda ctx: "new", on_done=results.append)
    assert first.token.cancelled
    release.set()
    qtbot.waitUntil(lambda: not jobs.is_running("turn") and jobs.wait(100), timeout=5000)
    qtbot.wait(50)
    assert results == ["new"]


def test_cancelled_errors_are_not_reported(qtbot: QtBot) -> None:
    jobs = Jobs()
    caught: list[BaseException] = []

    def cancelled(ctx: JobContext) -> None:
        raise CancelledError("the import")

    with qtbot.waitSignal(jobs.busy_changed, check_params_cb=lambda busy: not busy, timeout=5000):
        jobs.start("c", cancelled, on_error=caught.append)
    assert caught == []


def test_events_arrive_in_order_before_the_result(qtbot: QtBot) -> None:
    jobs = Jobs()
    seen: list[object] = []

    def work(ctx: JobContext) -> str:
        for value in ("listening", -30.5, "thinking"):
            ctx.event(value)
        return "done"

    with qtbot.waitSignal(jobs.busy_changed, check_params_cb=lambda busy: not busy, timeout=5000):
        jobs.start("voice", work, on_event=seen.append, on_done=seen.append)
    assert seen == ["listening", -30.5, "thinking", "done"]


def test_a_job_cancelled_by_the_user_says_it_stopped_and_nothing_else(qtbot: QtBot) -> None:
    jobs = Jobs()
    started = threading.Event()
    heard: list[str] = []

    def long_import(ctx: JobContext) -> str:
        started.set()
        while not ctx.cancel.cancelled:
            time.sleep(0.01)
        ctx.cancel.raise_if_cancelled("the import")
        return "finished"

    job = jobs.start("import", long_import, on_done=heard.append, on_error=lambda exc: heard.append("error"),
                     on_cancelled=lambda: heard.append("cancelled"))
    assert started.wait(5)
    job.cancel()
    qtbot.waitUntil(lambda: heard == ["cancelled"], timeout=5000)
    qtbot.wait(50)
    assert heard == ["cancelled"]


def test_a_lane_runs_its_jobs_one_at_a_time_in_order(qtbot: QtBot) -> None:
    jobs = Jobs()
    ran: list[str] = []
    delivered: list[str] = []
    overlapping: list[str] = []
    inside = threading.Lock()

    def save(name: str, seconds: float) -> object:
        def work(ctx: JobContext) -> str:
            if not inside.acquire(blocking=False):
                overlapping.append(name)  # another job of the lane is running at the same time
                return name
            try:
                time.sleep(seconds)  # the first waits longest: a pool would let the others overtake it
                ran.append(name)
                return name
            finally:
                inside.release()
        return work

    for name, seconds in (("create", 0.3), ("add", 0.1), ("move", 0.0)):
        jobs.queue("lists", save(name, seconds), on_done=delivered.append)
    assert jobs.queued("lists") == 3
    qtbot.waitUntil(lambda: jobs.queued("lists") == 0, timeout=5000)
    assert ran == delivered == ["create", "add", "move"]
    assert overlapping == []


def test_a_failed_job_in_a_lane_is_reported_and_the_next_still_runs(qtbot: QtBot) -> None:
    jobs = Jobs()
    caught: list[BaseException] = []
    delivered: list[object] = []

    def refused(ctx: JobContext) -> None:
        raise InputError("a list named 'B' exists already")

    def stopped(ctx: JobContext) -> None:
        raise CancelledError("the save")

    jobs.queue("lists", refused, on_error=caught.append)
    jobs.queue("lists", stopped, on_error=caught.append)
    jobs.queue("lists", lambda ctx: "saved", on_done=delivered.append)
    qtbot.waitUntil(lambda: jobs.queued("lists") == 0, timeout=5000)
    assert [str(e) for e in caught] == ["a list named 'B' exists already"]
    assert delivered == ["saved"]


def test_closing_drops_what_a_lane_still_had_waiting(qtbot: QtBot) -> None:
    jobs = Jobs()
    release = threading.Event()
    ran: list[str] = []
    jobs.queue("lists", lambda ctx: release.wait(5))
    jobs.queue("lists", lambda ctx: ran.append("late"))
    jobs.cancel_all()
    release.set()
    qtbot.waitUntil(lambda: jobs.queued("lists") == 0, timeout=5000)
    jobs.wait(5000)
    assert ran == []
