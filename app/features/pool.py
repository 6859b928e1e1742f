"""The TrackAnalyser adapter: tags and librosa features for many files, on every core.

Workers are spawned (the start method every OS shares, and what a frozen build needs), each
warms librosa's numba code once, then takes one file at a time. At most two files per worker are
in flight, so a cancel stops the job within about one file's time and memory stays flat.

A decoder that crashes its process on some file (a segfault in native code) breaks the pool;
the files that were in flight are then retried one at a time in a fresh pool, so the file that
did it is named and skipped, and the rest of the library is still indexed.

Workers end with the process that started them, even one killed with SIGKILL (app.lifeline): before,
each such kill left two ~250 MB workers and the resource tracker waiting forever.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from app.domain.errors import AudioFileError
from app.domain.music import FoundFile, TrackAnalysis
from app.domain.progress import CancelToken, ProgressCallback
from app.lifeline import die_with_parent, started_on_main_thread

log = logging.getLogger(__name__)
_IN_FLIGHT_PER_WORKER = 2
_POLL_S = 0.2  # how often a waiting loop looks at the cancel flag
CRASHED = "the audio decoder crashed on this file (it may be damaged)"


def analyse_one(path: str, root: str, excerpt_s: float) -> TrackAnalysis:
    """Tags and features of one file; any failure becomes a reason, never an exception."""
    from app.catalog.tags import read_tags
    from app.features.audio import analyse_file

    started = time.process_time()
    try:
        tags = read_tags(path, root)
        features = analyse_file(path, excerpt_s)
    except AudioFileError as exc:
        return TrackAnalysis(path, reason=exc.reason, cpu_s=time.process_time() - started)
    except Exception as exc:  # a library failing on one odd file must not stop the library scan
        log.warning("could not analyse %s", path, exc_info=True)
        return TrackAnalysis(path, reason=f"could not analyse: {type(exc).__name__}: {exc}",
                             cpu_s=time.process_time() - started)
    return TrackAnalysis(path, tags, features, cpu_s=time.process_time() - started)


WORKER_NICENESS = 10  # POSIX niceness added to analysis workers (0 normal, 19 lowest)


def prepare_worker(numba_cache: str, started_on_main: bool = False) -> None:
    """Start-up of a worker (or of the caller, when inline): one BLAS thread, numba cache, warm JIT.

    started_on_main says the parent started this worker from its main thread, so Linux may kill it
    the moment the parent goes (see app.lifeline).
    """
    if multiprocessing.parent_process() is not None:
        # First, before the slow warm-up: a parent killed now must not leave this worker behind.
        die_with_parent(kernel_signal=started_on_main)
        # Ctrl+C is the parent's to handle (it cancels and shuts the pool down); workers just stop.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # Background work yields the processor to the window: a worker per core at normal priority
        # starved the GUI thread for 60-150 ms at a time during an import (bench_ui). Idle cores
        # still go to the workers, so an import alone is as fast as before.
        if hasattr(os, "nice"):
            os.nice(WORKER_NICENESS)
    # Workers already use every core between them; threads inside each would only contend.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    # The variables only reach libraries loaded after this point; a spawned worker may already have
    # loaded numpy's BLAS while importing the parent's main module (two threads per worker measured
    # 0.34 s of processor time per track against 0.23 s), so the pools are limited where they are.
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    from app.features.audio import configure_cache, warm_up

    configure_cache(numba_cache)
    warm_up()


class ProcessPoolAnalyser:
    """Analyses files in worker processes (workers=0 runs them in this process, for tests)."""

    def __init__(self, numba_cache: Path, *, workers: int | None = None, excerpt_s: float = 30.0) -> None:
        self.numba_cache = numba_cache
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.excerpt_s = excerpt_s
        self._inline_ready = False

    @property
    def extractor_version(self) -> str:
        """The feature extractor's version (files analysed by another are redone)."""
        from app.features.audio import EXTRACTOR_VERSION

        return str(EXTRACTOR_VERSION)

    def analyse(self, files: Sequence[FoundFile], progress: ProgressCallback,
                cancel: CancelToken | None = None) -> Iterator[TrackAnalysis]:
        """Analyses as they finish; raises CancelledError at the next result after a cancel."""
        if not files:
            return
        self.numba_cache.mkdir(parents=True, exist_ok=True)
        progress(0, len(files), "starting the audio analyser (the first run compiles it: up to a minute)")
        if self.workers <= 0:
            yield from self._inline(files, cancel)
        else:
            yield from self._pooled(files, cancel)

    def _inline(self, files: Sequence[FoundFile], cancel: CancelToken | None) -> Iterator[TrackAnalysis]:
        if not self._inline_ready:
            prepare_worker(str(self.numba_cache))
            self._inline_ready = True
        for found in files:
            _check(cancel)
            yield analyse_one(found.path, found.root, self.excerpt_s)

    def _pooled(self, files: Sequence[FoundFile], cancel: CancelToken | None) -> Iterator[TrackAnalysis]:
        pending = list(reversed(files))  # popped from the end: files go out in the given order
        suspects: list[FoundFile] = []  # in flight when a worker died: retried one at a time
        while pending or suspects:
            queue, limit = (suspects, 1) if suspects else (pending, self.workers * _IN_FLIGHT_PER_WORKER)
            try:
                yield from self._run_pool(queue, limit, cancel)
            except _PoolBroke as broke:
                if limit == 1:  # alone in the pool: this file is what crashed it
                    log.warning("the audio decoder crashed on %s", broke.in_flight[0].path)
                    yield TrackAnalysis(broke.in_flight[0].path, reason=CRASHED)
                else:
                    suspects.extend(broke.in_flight)

    def _run_pool(self, queue: list[FoundFile], limit: int, cancel: CancelToken | None) -> Iterator[TrackAnalysis]:
        # Every worker starts within the first round of submits below, on this thread (processes are
        # spawned per submit up to max_workers, and none is ever replaced), so this is the thread they
        # are children of.
        executor = ProcessPoolExecutor(max_workers=min(self.workers, max(limit, 1)),
                                       mp_context=multiprocessing.get_context("spawn"),
                                       initializer=prepare_worker,
                                       initargs=(str(self.numba_cache), started_on_main_thread()))
        running: dict[Future[TrackAnalysis], FoundFile] = {}
        try:
            while queue or running:
                _check(cancel)
                while queue and len(running) < limit:
                    found = queue.pop()
                    running[executor.submit(analyse_one, found.path, found.root, self.excerpt_s)] = found
                done, _ = wait(running, timeout=_POLL_S, return_when=FIRST_COMPLETED)
                for future in done:
                    found = running.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        raise _PoolBroke([found, *running.values()]) from None
                    yield result
        finally:
            executor.shutdown(wait=False, cancel_futures=True)


class _PoolBroke(Exception):
    """A worker died; these files were in flight."""

    def __init__(self, in_flight: list[FoundFile]) -> None:
        super().__init__(f"{len(in_flight)} files in flight")
        self.in_flight = in_flight


def _check(cancel: CancelToken | None) -> None:
    if cancel is not None:
        cancel.raise_if_cancelled("the music analysis")
