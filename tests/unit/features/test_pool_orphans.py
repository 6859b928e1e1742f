"""Issue 16: SIGKILL of a music import in the middle of its analysis leaves none of its processes behind."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.processes import (
    children_of,
    command_line,
    end_leftovers,
    kill_and_reap,
    needs_proc,
    read_line,
    run_script,
    wait_until_gone,
)

# The analysis runs on a thread, as in the desktop app: there Linux's parent-death signal is not used, and the
# workers' parent watcher alone must end them (the CLI, on its main thread, has both). One worker: each warms
# up for ~6 s of processor time, and the mechanism is the same for every worker (tests/unit/test_lifeline.py
# kills a pool of two).
ANALYSE = """
import os, sys, threading
from pathlib import Path
import numpy as np, soundfile as sf
from app.domain.music import FoundFile
from app.domain.progress import no_progress
from app.features.pool import ProcessPoolAnalyser

folder = Path(sys.argv[1])
t = np.arange(22050 * 10) / 22050
files = []
for i in range(12):
    path = folder / f"t{i}.wav"
    sf.write(str(path), (0.3 * np.sin(2 * np.pi * (200 + 10 * i) * t)).astype(np.float32), 22050)
    files.append(FoundFile(str(path), str(folder), path.stat().st_size, path.stat().st_mtime_ns))

def analyse():
    analyser = ProcessPoolAnalyser(Path(os.environ["NUMBA_CACHE_DIR"]), workers=1, excerpt_s=30.0)
    for result in analyser.analyse(files, no_progress):
        print("analysed", result.path, result.reason, flush=True)

worker = threading.Thread(target=analyse)
worker.start()
worker.join()
"""


@needs_proc
@pytest.mark.slow
def test_killing_an_import_mid_analysis_leaves_no_worker_and_no_resource_tracker(tmp_path: Path) -> None:
    assert os.environ.get("NUMBA_CACHE_DIR")  # set by conftest: the workers load librosa's code, not compile it
    parent = run_script(ANALYSE, str(tmp_path))
    children: set[int] = set()
    try:
        read_line(parent, "analysed")  # the workers are warm and in the middle of the next files
        children = children_of(parent.pid)
        workers = {pid for pid in children if "spawn_main" in command_line(pid)}
        assert len(workers) == 1 and len(children) == 2, {pid: command_line(pid) for pid in children}
        kill_and_reap(parent)
        killed = time.monotonic()
        left = wait_until_gone(children, timeout_s=5.0)
        assert not left, {pid: command_line(pid) for pid in left}
        print(f"every child ended {time.monotonic() - killed:.2f} s after the kill")
    finally:
        end_leftovers(children)
        parent.kill()
        parent.wait()
