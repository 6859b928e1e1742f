"""Helper processes end with the process that started them, however that one ends (issue 16).

A spawned worker of a ProcessPoolExecutor waits for work on a queue whose write end it holds itself, so
it never reads EOF: after a SIGKILL of the parent (or a crash, or the task manager's "end task") it
waited forever, holding ~250 MB and the dead command's stdout and stderr open, and keeping
multiprocessing's resource tracker (which exits once every holder of its pipe is gone) alive with it.

Every OS gives a spawned child the same portable signal: `multiprocessing.parent_process()` is
joinable, over a pipe the parent alone holds on POSIX and a process handle on Windows. A daemon thread
waits on it and ends the process. It needs the GIL for its last step, so a native call that holds the
GIL delays it (by well under a second in the audio analysis); a parent that is merely busy, stopped
or swapping never trips it, since only the end of the parent process closes that pipe.

On Linux a child may also ask the kernel for SIGKILL when its parent goes (PR_SET_PDEATHSIG), which
no GIL can delay. The kernel's "parent" is the *thread* that started the child, though: a worker
started from a job thread would be killed when that thread ends, while its pool is still in use, and
the pool would then blame an innocent file for "crashing the decoder". So it is only asked for when
the parent started the child from its main thread, which lives as long as the process does.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from multiprocessing.process import BaseProcess

log = logging.getLogger(__name__)

ORPHANED_EXIT_CODE = 70  # what a helper that outlived its parent exits with (EX_SOFTWARE: nobody reads it)
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def started_on_main_thread() -> bool:
    """True on the main thread, the one thread whose end is the process's end (see the module's doc)."""
    return threading.current_thread() is threading.main_thread()


def die_with_parent(*, grace_s: float = 0.0, kernel_signal: bool = False) -> None:
    """In a spawned child: end this process when its parent process ends, even while it is busy.

    grace_s lets work in progress finish first (a helper that closes files cleanly when it can);
    kernel_signal also asks Linux to SIGKILL it at once, which is right only when the parent started
    this child from its main thread. Does nothing in a process that has no multiprocessing parent.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    if kernel_signal:
        _ask_linux_to_kill_us_with(parent.pid)
    watcher = threading.Thread(target=_watch, args=(parent, grace_s), name="chatrec-lifeline", daemon=True)
    watcher.start()


def _watch(parent: BaseProcess, grace_s: float) -> None:
    parent.join()  # returns only once the parent process has ended (its end of our pipe closed)
    if grace_s > 0:
        time.sleep(grace_s)
    os._exit(ORPHANED_EXIT_CODE)  # no clean-up: the parent that would use any of it is gone


def _ask_linux_to_kill_us_with(parent_pid: int | None) -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        failed = libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0
    except (OSError, AttributeError):  # no prctl in this C library (musl builds have it; be safe anyway)
        failed = True
    if failed:
        log.debug("PR_SET_PDEATHSIG is not available; the parent watcher alone ends this process")
        return
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(ORPHANED_EXIT_CODE)  # the parent died before the request was made: nobody will signal us
