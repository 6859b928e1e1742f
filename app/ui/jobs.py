"""The one threading helper: runs blocking engine calls off the GUI thread, hands results back on it.

Engines are plain blocking calls that take a progress callback and a CancelToken (docs/architecture.md, "Threads").
`Jobs.start` runs one on a worker thread and delivers its progress, result or error to callbacks that
run on the GUI thread, so no other UI code ever touches a thread. A job started under a name that is
already running cancels the older one first (a new voice turn cancels the previous turn's work).
`Jobs.queue` instead runs jobs of one lane one after another, in order (saves that build on each other).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

from app.domain.errors import CancelledError
from app.domain.progress import CancelToken

T = TypeVar("T")


@dataclass
class JobContext:
    """What a job's work function gets: its cancel flag and thread-safe reporters."""

    cancel: CancelToken
    progress: Callable[[int, int, str], None]
    event: Callable[[object], None] = lambda value: None  # anything else to show live (a level, a state)


@dataclass
class Job(Generic[T]):
    """A started job: cancel it, ask whether it finished."""

    name: str
    token: CancelToken
    started: float = field(default_factory=time.perf_counter)
    finished: bool = False

    def cancel(self) -> None:
        """Ask the work to stop at its next checkpoint; its result, if any, is then dropped."""
        self.token.cancel()


class _Relay(QObject):
    """Carries one job's reports to the GUI thread.

    It lives on the GUI thread; the worker emits its signals, and the queued connections to its own
    slots run the callbacks there (a plain lambda slot would run on the emitting worker thread).
    """

    progressed = Signal(int, int, str)
    evented = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, on_progress: Callable[[int, int, str], None], on_event: Callable[[object], None],
                 on_success: Callable[[object], None], on_failure: Callable[[object], None]) -> None:
        super().__init__()
        self._on_progress = on_progress
        self._on_event = on_event
        self._on_success = on_success
        self._on_failure = on_failure
        queued = Qt.ConnectionType.QueuedConnection
        self.progressed.connect(self._progress, queued)
        self.evented.connect(self._event, queued)
        self.succeeded.connect(self._success, queued)
        self.failed.connect(self._failure, queued)

    @Slot(int, int, str)
    def _progress(self, done: int, total: int, message: str) -> None:
        self._on_progress(done, total, message)

    @Slot(object)
    def _event(self, value: object) -> None:
        self._on_event(value)

    @Slot(object)
    def _success(self, result: object) -> None:
        self._on_success(result)

    @Slot(object)
    def _failure(self, exc: object) -> None:
        self._on_failure(exc)


@dataclass
class _Queued:
    """A job waiting for its turn in a lane."""

    work: Callable[[JobContext], Any]
    on_done: Callable[[Any], None] | None
    on_error: Callable[[BaseException], None] | None


class _Runner(QRunnable):
    def __init__(self, work: Callable[[JobContext], Any], context: JobContext, relay: _Relay) -> None:
        super().__init__()
        self._work = work
        self._context = context
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._work(self._context)
        except Exception as exc:  # handed to the GUI thread's error handler, never lost
            self._relay.failed.emit(exc)
        else:
            self._relay.succeeded.emit(result)


class Jobs(QObject):
    """Starts named background jobs and calls back on the GUI thread; `failed` is the one error outlet."""

    failed = Signal(str, object)  # job name, exception: for jobs started without on_error
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self._pool = pool or QThreadPool(self)
        # speech, the LLM and indexing each use the cores themselves; 4 threads keep a model load,
        # a turn, an import and a preview from queueing behind each other
        self._pool.setMaxThreadCount(max(self._pool.maxThreadCount(), 4))
        self._running: dict[str, Job[Any]] = {}
        self._relays: set[_Relay] = set()
        self._lanes: dict[str, deque[_Queued]] = {}

    def start(self, name: str, work: Callable[[JobContext], T], *,
              on_done: Callable[[T], None] | None = None,
              on_error: Callable[[BaseException], None] | None = None,
              on_progress: Callable[[int, int, str], None] | None = None,
              on_event: Callable[[object], None] | None = None,
              on_cancelled: Callable[[], None] | None = None) -> Job[T]:
        """Run work(context) on a worker thread; a running job of the same name is cancelled first.

        A cancelled job's result and errors are dropped; on_cancelled, when given, is told once it
        has stopped (the user asked, and wants to hear how it ended).
        """
        previous = self._running.get(name)
        if previous is not None:
            previous.cancel()
        job: Job[T] = Job(name, CancelToken())
        relay = _Relay(self._guard(job, on_progress), self._guard_event(job, on_event),
                       lambda result: self._finish(job, relay, lambda: on_done and on_done(cast(T, result)),
                                                   on_cancelled),
                       lambda exc: self._finish(job, relay, lambda: self._fail(job, exc, on_error, on_cancelled),
                                                on_cancelled))
        self._relays.add(relay)  # kept alive until the job reports back
        self._running[name] = job
        self.busy_changed.emit(True)
        self._pool.start(_Runner(work, JobContext(job.token, relay.progressed.emit, relay.evented.emit), relay))
        return job

    def queue(self, lane: str, work: Callable[[JobContext], T], *,
              on_done: Callable[[T], None] | None = None,
              on_error: Callable[[BaseException], None] | None = None) -> None:
        """Run work once every job queued before it in this lane has finished; none is ever skipped."""
        self._lanes.setdefault(lane, deque()).append(_Queued(work, on_done, on_error))
        if not self.is_running(lane):
            self._next_in_lane(lane)

    def queued(self, lane: str) -> int:
        """How many jobs of the lane are running or waiting."""
        return len(self._lanes.get(lane, ())) + (1 if self.is_running(lane) else 0)

    def _next_in_lane(self, lane: str) -> None:
        waiting = self._lanes.get(lane)
        if not waiting:
            self._lanes.pop(lane, None)
            return
        queued = waiting.popleft()

        def done(result: Any) -> None:
            try:
                if queued.on_done is not None:
                    queued.on_done(result)
            finally:
                self._next_in_lane(lane)

        def failed(exc: BaseException) -> None:
            try:
                if queued.on_error is not None:
                    queued.on_error(exc)
                else:
                    self.failed.emit(lane, exc)
            finally:
                self._next_in_lane(lane)

        self.start(lane, queued.work, on_done=done, on_error=failed, on_cancelled=lambda: self._next_in_lane(lane))

    def cancel(self, name: str) -> None:
        """Cancel the running job with this name, if any."""
        job = self._running.get(name)
        if job is not None:
            job.cancel()

    def cancel_all(self) -> None:
        """Cancel every running job and drop the queued ones (the window is closing)."""
        self._lanes.clear()
        for job in list(self._running.values()):
            job.cancel()

    def is_running(self, name: str) -> bool:
        """Whether a job of this name is still working."""
        return name in self._running

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until every worker returned (tests and shutdown only); True when they all did."""
        return bool(self._pool.waitForDone(timeout_ms))

    @Slot()
    def _finish(self, job: Job[Any], relay: _Relay, deliver: Callable[[], object],
                on_cancelled: Callable[[], None] | None) -> None:
        job.finished = True
        self._relays.discard(relay)
        if self._running.get(job.name) is job:
            del self._running[job.name]
        if not self._running:
            self.busy_changed.emit(False)
        # a cancelled job's late result is stale: a newer job of its name, or the user, replaced it
        if job.token.cancelled:
            if on_cancelled is not None:
                on_cancelled()
            return
        deliver()

    def _fail(self, job: Job[Any], exc: object, on_error: Callable[[BaseException], None] | None,
              on_cancelled: Callable[[], None] | None) -> None:
        if isinstance(exc, CancelledError):  # the work stopped itself at a checkpoint: it was cancelled
            if on_cancelled is not None:
                on_cancelled()
            return
        if not isinstance(exc, BaseException):
            return
        if on_error is not None:
            on_error(exc)
        else:
            self.failed.emit(job.name, exc)

    @staticmethod
    def _guard(job: Job[Any], report: Callable[[int, int, str], None] | None) -> Callable[[int, int, str], None]:
        def relay(done: int, total: int, message: str) -> None:
            if report is not None and not job.token.cancelled and not job.finished:
                report(done, total, message)
        return relay

    @staticmethod
    def _guard_event(job: Job[Any], report: Callable[[object], None] | None) -> Callable[[object], None]:
        def relay(value: object) -> None:
            if report is not None and not job.token.cancelled and not job.finished:
                report(value)
        return relay
