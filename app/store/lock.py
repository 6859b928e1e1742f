"""One process at a time per data dir: a second one gets a clear message, not a corrupt store."""

from __future__ import annotations

import contextlib
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
        # Not thread-local: the window opens the engine on a worker thread and closes it on the GUI thread,
        # and a thread-local lock released from another thread stays held (a restore then waited on itself).
        self._lock = FileLock(str(path), thread_local=False)
        self._held = False

    def acquire(self) -> DataDirLock:
        """Take the lock or raise DataDirBusyError naming the folder and the holder."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire(timeout=self._timeout)
        except PermissionError:
            if os.access(self._path.parent, os.W_OK):
                raise
            # A folder nobody here can write (a read-only disk, another user's library): nothing can
            # change it through us, so reading goes ahead without the lock (the store opens read-only).
            self._held = False
            return self
        except Timeout:
            waited = f" (waited {self._timeout:g} s)" if self._timeout > 0 else ""
            raise DataDirBusyError(
                f"another Chat-Rec ({self._holder()}) is using the data folder {self._path.parent}{waited}; "
                "close it and try again, or point CHATREC_HOME at another folder") from None
        # Written whole and then renamed: a process that is refused reads the old id or the new, never "".
        pid_file = self._path.with_suffix(".pid")
        temporary = pid_file.with_name(f".{pid_file.name}.{os.getpid()}")
        try:
            temporary.write_text(str(os.getpid()), encoding="utf-8")
            os.replace(temporary, pid_file)
        except OSError:  # only a refused process's message misses it; the lock itself is held
            with contextlib.suppress(OSError):
                temporary.unlink(missing_ok=True)
        self._held = True
        return self

    def _holder(self) -> str:
        try:
            pid = self._path.with_suffix(".pid").read_text(encoding="utf-8").strip()
        except OSError:
            pid = ""
        return f"process {pid}" if pid.isdigit() else "a process that has not written its id yet"

    def release(self) -> None:
        """Give the lock back (nothing to give when the folder could not be written to take it)."""
        if self._held:
            self._lock.release()
            self._held = False

    def __enter__(self) -> DataDirLock:
        return self.acquire()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()
