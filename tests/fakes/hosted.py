"""Stores for the index helper process's tests: each misbehaves in one way a real index might.

They are built in the helper, so they live in an importable module (the helper is spawned).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from app.domain.errors import StoreError
from tests.fakes.vector_store import InMemoryVectorStore

log = logging.getLogger("tests.fakes.hosted")


class _Unpicklable(Exception):
    """An exception whose constructor the other side cannot call again with its args."""

    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"code {code}: {detail}")


class MisbehavingStore(InMemoryVectorStore):
    """An in-memory store with extra calls that crash the process, raise oddly or log."""

    def __init__(self) -> None:
        super().__init__()
        log.warning("opened a misbehaving store in pid %d", os.getpid())

    def die(self, code: int) -> None:
        """End the helper process at once, as a crash in native code would."""
        os._exit(code)

    def raise_unpicklable(self) -> None:
        """Fail with an exception that cannot cross the pipe."""
        raise _Unpicklable(7, "the disk said no")

    def pid(self) -> int:
        """The process the store lives in."""
        return os.getpid()

    def sleep(self, seconds: float) -> None:
        """Be busy for a while, as a large write or a slow disk is."""
        time.sleep(seconds)


class MarkingStore(MisbehavingStore):
    """A misbehaving store that writes "closed" to a file when it is closed: the helper shut it down cleanly."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.marker = marker

    def close(self) -> None:
        """Close, and say so in the marker file."""
        super().close()
        Path(self.marker).write_text("closed", encoding="utf-8")


def refusing_store() -> InMemoryVectorStore:
    """An opener that fails, as Chroma does on a folder it cannot open."""
    raise StoreError("the vector index folder /nowhere/chroma cannot be opened: permission denied")
