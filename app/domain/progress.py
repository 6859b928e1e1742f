"""Progress reporting and cancellation for long blocking calls."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from app.domain.errors import CancelledError

# done, total (0 when unknown), a short message for the user
ProgressCallback = Callable[[int, int, str], None]


def no_progress(done: int, total: int, message: str) -> None:
    """A progress callback that ignores every report."""


class CancelToken:
    """A flag a caller sets to stop a long job at its next checkpoint."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the job to stop."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once cancel() was called."""
        return self._event.is_set()

    def raise_if_cancelled(self, what: str = "the job") -> None:
        """Raise CancelledError when the job was cancelled."""
        if self.cancelled:
            raise CancelledError(what)


class Deadline(CancelToken):
    """A cancel token that also trips when its time is up, or when the token it watches is cancelled.

    A turn gives the model a budget this way: past it the model stops at its next checkpoint, and the
    caller can tell a budget running out (expired) from the user cancelling (watched.cancelled).
    """

    def __init__(self, seconds: float, watched: CancelToken | None = None) -> None:
        super().__init__()
        self.seconds = seconds
        self.watched = watched
        self._end = time.monotonic() + seconds

    @property
    def expired(self) -> bool:
        """True once the budget is spent."""
        return time.monotonic() >= self._end

    @property
    def cancelled(self) -> bool:
        """True once cancelled, past the budget, or when the watched token is cancelled."""
        return super().cancelled or self.expired or (self.watched is not None and self.watched.cancelled)


def eta_text(done: int, total: int, elapsed_s: float) -> str:
    """'about 1 min 20 s left' from the pace of `done` items in elapsed_s; empty without a pace yet."""
    if done <= 0 or total <= done or elapsed_s <= 0:
        return ""
    left = round(elapsed_s / done * (total - done))
    minutes, seconds = divmod(left, 60)
    return f"about {minutes} min {seconds} s left" if minutes else f"about {seconds} s left"


class PhasePace:
    """The time left in a job's current phase (reading, saving, indexing), each timed from its own start."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._phase: tuple[int, str] = (-1, "")
        self._start = (0.0, 0)

    def restart(self) -> None:
        """Forget the pace so far (a new job)."""
        self._phase = (-1, "")

    def eta(self, done: int, total: int, message: str) -> str:
        """The ETA for this report, or empty while the pace is unknown or the message carries its own."""
        now = self._clock()
        stem = message.split(" (")[0]
        if (total, stem) != self._phase:  # a new phase has its own pace
            self._phase = (total, stem)
            self._start = (now, done)
        if " left" in message:
            return ""
        start, first = self._start
        return eta_text(done - first, total - first, now - start)
