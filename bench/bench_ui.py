"""The desktop window: cold start, and the longest stall of the GUI thread during a voice turn and imports.

Cold start: from launching `python -m app` to the window's first paint (offscreen), on a library with the
demo catalogue. Stalls: a 10 ms QTimer on the GUI thread records the gap between its ticks while the real
engine works in the background: a spoken turn with the real Whisper, piper and the embedded LLM on a
piper-synthesized request fed through a fake microphone, an import of Debian's soundtracks (.cache/test-music),
and a MovieLens 100K import while the window reads what it shows (your ratings, your lists) ten times a second.

Run from the repository root: .venv/bin/python bench/bench_ui.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

RESULT = ROOT / "bench" / "results" / "ui.json"
MUSIC = ROOT / ".cache" / "test-music" / "root"
REQUEST = "Recommend me something like Fargo, but funnier."
TARGETS = {"cold_start_ms": 1500.0, "max_gap_ms": 100.0}
SETTLE_S = 0.5  # a spoken turn's probe runs on this long, so its first paint is counted in the turn


def cold_start(home: Path, runs: int) -> list[float]:
    """Seconds from launch to the first painted window, per run."""
    env = {**os.environ, "CHATREC_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "app", "--quit-when-shown"], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.strip() == "shown":
                times.append(time.perf_counter() - started)
                break
        proc.wait(60)
    return times


def stalls(home: Path, runs: int) -> dict[str, Any]:
    """The GUI thread's longest gaps during spoken turns and a music import, with the real engine."""
    from PySide6.QtWidgets import QApplication

    from app.bootstrap import open_engine, text_to_speech, voice_loop
    from app.paths import app_paths
    from app.ui.controller import SessionController, VoiceParts
    from app.ui.jobs import Jobs
    from app.ui.main_window import MainWindow
    from app.voice.audio_io import SoundDeviceAudio
    from tests.fakes.sounddevice import FakeSoundDevice

    app = QApplication.instance() or QApplication([])
    tts = text_to_speech()
    request = _resample(list(tts.synthesize(REQUEST)), tts.sample_rate)
    paths = app_paths({"CHATREC_HOME": str(home)})

    def voice(engine: Any, on_state: Any) -> VoiceParts:
        # the real device needs a sound card; the fake one feeds the request as a microphone would
        return VoiceParts(voice_loop(engine, on_state), SoundDeviceAudio(FakeSoundDevice(request, realtime=True)))

    jobs = Jobs()
    controller = SessionController(paths, jobs, open_engine=lambda p: open_engine(p, responsive=True), voice=voice)
    window = MainWindow(controller, jobs)
    window.show()
    done = {"engine": False, "turn": 0}
    controller.engine_ready.connect(lambda e: done.__setitem__("engine", True))
    controller.turn_finished.connect(lambda r: done.__setitem__("turn", done["turn"] + 1))
    controller.failed.connect(lambda exc: print("failed:", exc))
    controller.open()
    _spin(app, lambda: done["engine"] and not jobs.is_running("warm-up"), 600)

    gaps: dict[str, list[float]] = {"voice_turn": [], "music_import": [], "movielens_import_with_reads": []}
    turn_ms: list[float] = []
    for _ in range(runs):
        probe = _Probe()
        before = done["turn"]
        started = time.perf_counter()
        controller.start_listening()  # the fake microphone ends the recording when the speech ends
        _spin(app, lambda before=before: done["turn"] > before, 300)
        turn_ms.append((time.perf_counter() - started) * 1000)
        settled = time.perf_counter() + SETTLE_S  # the turn's cards and explanation get painted after it ends
        _spin(app, lambda settled=settled: time.perf_counter() > settled, 60)
        gaps["voice_turn"].append(probe.stop())
    engine = controller.engine
    assert engine is not None
    if MUSIC.is_dir():
        for run in range(runs):
            # a new folder name each run (a link to the same music): every track is new, all analysed again
            folder = home / f"music-run-{run}"
            folder.symlink_to(MUSIC, target_is_directory=True)
            gaps["music_import"].append(_import_gap(app, jobs, engine, folder))
    for _ in range(runs):
        gaps["movielens_import_with_reads"].append(_movielens_gap(app, jobs, engine))
    window.close()
    return {"max_gap_ms": {k: [round(v, 1) for v in vs] for k, vs in gaps.items()},
            "voice_turn_wall_ms": [round(t) for t in turn_ms], "request": REQUEST}


def _import_gap(app: Any, jobs: Any, engine: Any, folder: Path) -> float:
    """The GUI thread's longest gap (ms) while one music folder is imported in the background."""
    return _gap_during(app, jobs, lambda ctx: engine.music.import_folders([str(folder)], ctx.progress, ctx.cancel))


def _movielens_gap(app: Any, jobs: Any, engine: Any) -> float:
    """The longest gap (ms) while MovieLens 100K is imported (one long transaction) and the GUI thread reads."""
    from PySide6.QtCore import QTimer

    from app.domain.items import ME

    reader = QTimer()
    reader.timeout.connect(lambda: (engine.store.ratings_of(ME), engine.lists.all()))  # cards arrive, Lists opens
    reader.start(100)
    try:
        return _gap_during(app, jobs, lambda ctx: engine.catalogue.import_movielens("100k", ctx.progress, ctx.cancel))
    finally:
        reader.stop()


def _gap_during(app: Any, jobs: Any, work: Any) -> float:
    """The GUI thread's longest gap (ms) while work runs as a background job."""
    probe = _Probe()
    finished = {"ok": False}

    def failed(exc: BaseException) -> None:
        print("import failed:", exc)
        finished["ok"] = True

    jobs.start("bench-import", work, on_done=lambda r: finished.__setitem__("ok", True), on_error=failed)
    _spin(app, lambda: finished["ok"], 900)
    return probe.stop()


class _Probe:
    """A 10 ms timer on the GUI thread; stop() returns the longest gap between ticks, in ms."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.longest = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.timeout.connect(self._tick)
        self._timer.start(10)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, (now - self._last) * 1000)
        self._last = now

    def stop(self) -> float:
        self._timer.stop()
        return self.longest


def _spin(app: Any, until: Any, timeout_s: float) -> None:
    deadline = time.perf_counter() + timeout_s
    while not until():
        if time.perf_counter() > deadline:
            raise TimeoutError("the benchmark step did not finish")
        app.processEvents()
        time.sleep(0.002)


def _resample(chunks: list[Any], rate: int) -> Any:
    import numpy as np

    from app.services.listening import to_speech_rate

    speech = to_speech_rate(np.concatenate(chunks).astype(np.float32), rate)
    return np.concatenate([speech, np.zeros(16000, dtype=np.float32)])  # then the speaker falls quiet


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = {**os.environ, "CHATREC_HOME": str(home)}
        for command in (["import", "demo"], ["import", "movielens", "--size", "100k"]):
            subprocess.run([sys.executable, "-m", "app", *command], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL)
        starts = cold_start(home, args.runs)
        measured = stalls(home, args.runs)
    cold = round(statistics.median(starts) * 1000)
    worst = {k: (max(v) if v else None) for k, v in measured["max_gap_ms"].items()}
    medians = {k: (round(statistics.median(v), 1) if v else None) for k, v in measured["max_gap_ms"].items()}
    result = {
        "machine": {"cores": os.cpu_count(), "load_before": [round(x, 2) for x in load_before],
                    "load_after": [round(x, 2) for x in os.getloadavg()]},
        "runs": args.runs,
        "cold_start_ms": {"median": cold, "all": [round(t * 1000) for t in starts]},
        **measured,
        "max_gap_ms_median": medians,
        "targets": TARGETS,
        "pass": {"cold_start": cold <= TARGETS["cold_start_ms"],
                 "gui_gap_median": all(v is None or v <= TARGETS["max_gap_ms"]
                                       for v in medians.values()),
                 "gui_gap_every_run": all(w is None or w <= TARGETS["max_gap_ms"] for w in worst.values())},
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("cold_start_ms", "max_gap_ms", "voice_turn_wall_ms", "pass")},
                     indent=2))


if __name__ == "__main__":
    main()
