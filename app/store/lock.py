"""One process at a time per data dir: a second one gets a clear message, not a corrupt store."""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from filelock import FileLock, Timeout

from app.domain.errors import DataDirBusyError


class DataDirLock:
    """An OS-level lock on the data dir, released when the process exits, even by a kill."""

    def __init__(self, path: Path, timeout_s: float = 0.0) -> None:
        self._path = path
        self._timeout = timeout_s
        self._lock = FileLock(str(path))

    def acquire(self) -> DataDirLock:
        """Take the lock or raise DataDirBusyError naming the folder and the holder."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire(timeout=self._timeout)
        except Timeout:
            holder = self._holder()
            raise DataDirBusyError(
                f"another Chat-Rec{holder} is using the data folder {self._path.parent}; close it and "
                "try again, or point CHATREC_HOME at another folder") from None
        self._path.with_suffix(".pid").write_text(str(os.getpid()), encoding="utf-8")
        return self

    def _holder(self) -> str:
        try:
            return f" (process {self._path.with_suffix('.pid').read_text(encoding='utf-8').strip()})"
        except OSError:
            return ""

    def release(self) -> None:
        """Give the lock back."""
        self._lock.release()

    def __enter__(self) -> DataDirLock:
        return self.acquire()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()
