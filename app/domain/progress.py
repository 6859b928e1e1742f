"""Progress reporting and cancellation for long blocking calls."""

from __future__ import annotations

import threading
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
        if self._event.is_set():
            raise CancelledError(what)
