"""Process helpers for the 'no orphans' tests: a child process's children, and waiting for processes to end.

They read /proc, so the tests that use them run on Linux only (`needs_proc`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)")


def _stat(pid: int) -> tuple[str, int] | None:
    """The state letter and parent pid of a process, or None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # "pid (command) state ppid ...": the command may hold spaces and parentheses, so split after the last ")"
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1])


def children_of(parent: int) -> set[int]:
    """The live processes whose parent is `parent`."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[1] == parent and stat[0] != "Z":
                found.add(int(entry.name))
    return found


def is_running(pid: int) -> bool:
    """True while the process exists and has not ended (a zombie waiting to be reaped has ended)."""
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def command_line(pid: int) -> str:
    """The process's command line, for failure messages."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def wait_until_gone(pids: set[int], timeout_s: float) -> set[int]:
    """Wait until none of pids runs; those still running after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = {pid for pid in pids if is_running(pid)}
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)


def run_script(script: str, *args: str) -> subprocess.Popen[str]:
    """Start `python -c script args` from the repository, its stdout a pipe the test reads line by line."""
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=REPO, stdout=subprocess.PIPE,
                            stdin=subprocess.PIPE, text=True)


def read_line(child: subprocess.Popen[str], startswith: str) -> str:
    """The child's next line, which must start with `startswith` (the child's exit code otherwise)."""
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line.startswith(startswith):
        child.kill()
        pytest.fail(f"expected a line starting {startswith!r} from the child, got {line!r} "
                    f"(exit code {child.wait(10)})")
    return line.strip()


def kill_and_reap(child: subprocess.Popen[str]) -> None:
    """SIGKILL the child, as a task manager or the OOM killer would, and reap it."""
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)


def end_leftovers(pids: set[int]) -> None:
    """SIGKILL processes a failed test left running, so they do not outlive the test run."""
    for pid in pids:
        if is_running(pid):
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                os.kill(pid, signal.SIGKILL)
