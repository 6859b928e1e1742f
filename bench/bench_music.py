"""Music by sound: indexing speed, re-scan time, "sounds like" latency, and an honest quality figure.

Run from the repository root after `make test-music`: .venv/bin/python bench/bench_music.py
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "chatrec-test-numba"))

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402

from app.bootstrap import open_engine  # noqa: E402
from app.catalog.music_scan import scan_folders  # noqa: E402
from app.domain.music import FoundFile, TrackAnalysis  # noqa: E402
from app.domain.progress import no_progress  # noqa: E402
from app.features.audio import FEATURE_GROUPS  # noqa: E402
from app.features.pool import ProcessPoolAnalyser  # noqa: E402
from app.paths import app_paths  # noqa: E402
from app.recommend.audio import AudioSpace  # noqa: E402
from bench.timing import latency_ms  # noqa: E402

MUSIC = ROOT / ".cache" / "test-music" / "root" / "usr" / "share" / "games"
RESULT = ROOT / "bench" / "results" / "music.json"
RUNS = 3
RESCAN_FILES = 1000
QUERIES = 200


def debian_tracks() -> list[FoundFile]:
    """Every track of the four soundtracks, without Frets on Fire's separate guitar stems."""
    if not MUSIC.is_dir():
        sys.exit(f"no test music under {MUSIC}: run `make test-music` first")
    found = scan_folders([str(MUSIC)]).found
    return [f for f in found if not f.path.endswith("guitar.ogg")]


def index_speed(files: Sequence[FoundFile]) -> tuple[dict[str, Any], list[TrackAnalysis]]:
    """Tracks per second on every core: start-up included, and after warm-up (first result to last)."""
    analyser = ProcessPoolAnalyser(Path(os.environ["NUMBA_CACHE_DIR"]), excerpt_s=30.0)
    with_startup, steady, cpu = [], [], []
    results: list[TrackAnalysis] = []
    load_before = os.getloadavg()[0]
    for _ in range(RUNS):
        started = time.perf_counter()
        stamps, results = [], []
        for result in analyser.analyse(files, no_progress):
            stamps.append(time.perf_counter())
            results.append(result)
        with_startup.append(len(files) / (stamps[-1] - started))
        warm = analyser.workers  # each worker's first result carries its start-up
        steady.append((len(files) - warm) / (stamps[-1] - stamps[warm - 1]))
        cpu.append(statistics.median(r.cpu_s for r in results))
    failed = [r.path for r in results if r.features is None]
    # Processor time per track barely moves when other work shares the cores, wall time does: the
    # capacity below is what the workers would reach on idle cores, the wall figures what they did.
    cpu_per_track = statistics.median(cpu)
    return {"tracks": len(files), "workers": analyser.workers, "excerpt_s": 30.0, "runs": RUNS,
            "tracks_per_s_after_warm_up": round(statistics.median(steady), 2),
            "tracks_per_s_with_start_up": round(statistics.median(with_startup), 2),
            "all_runs_after_warm_up": [round(x, 2) for x in steady],
            "cpu_s_per_track_median": round(cpu_per_track, 3),
            "tracks_per_s_capacity_idle_cores": round(analyser.workers / cpu_per_track, 2),
            "load_average_before": round(load_before, 2), "load_average_after": round(os.getloadavg()[0], 2),
            "failed": failed}, results


def genre_agreement(results: Sequence[TrackAnalysis]) -> dict[str, Any]:
    """How often a track's nearest neighbour by sound shares its label, against chance, per weighting."""
    usable = [r for r in results if r.features is not None and r.tags is not None]
    raw = np.array([r.features.vector for r in usable if r.features is not None])
    genre = [r.tags.genres[0] if r.tags and r.tags.genres else "" for r in usable]
    collection = [Path(r.path).relative_to(MUSIC).parts[0] for r in usable]
    flat = {"all": slice(0, raw.shape[1])}
    out: dict[str, Any] = {}
    for name, labels in (("genre_tag", genre), ("soundtrack", collection)):
        keep = [i for i, label in enumerate(labels) if label]
        kept = [labels[i] for i in keep]
        entry: dict[str, Any] = {"tracks": len(keep), "labels": dict(Counter(kept)), "chance": _chance(kept)}
        for weighting, groups in (("plain_standardised (shipped)", flat), ("equal_group_weights", FEATURE_GROUPS)):
            vectors = AudioSpace.fit(raw, groups).embed(raw)[keep]
            entry[weighting] = _nearest_agreement(vectors, kept)
        out[name] = entry
    return out


def _nearest_agreement(vectors: np.ndarray, labels: Sequence[str]) -> float:
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    nearest = similarity.argmax(axis=1)
    return round(float(np.mean([labels[i] == labels[j] for i, j in enumerate(nearest)])), 4)


def _chance(labels: Sequence[str]) -> float:
    """The agreement a random neighbour would give: the chance another track shares the label."""
    counts = Counter(labels)
    n = len(labels)
    return round(sum(c * (c - 1) for c in counts.values()) / (n * (n - 1)), 4)


def rescan_and_query(work: Path) -> dict[str, Any]:
    """Import 1,000 short real files once, then time unchanged re-scans and "sounds like" queries."""
    library = work / "library"
    rng = np.random.default_rng(7)
    for i in range(RESCAN_FILES):
        folder = library / f"artist{i % 25}" / f"album{i % 100}"
        folder.mkdir(parents=True, exist_ok=True)
        t = np.arange(int(22050 * 2.0)) / 22050
        tone = np.sin(2 * np.pi * rng.uniform(80, 3000) * t) * rng.uniform(0.05, 0.5)
        sf.write(str(folder / f"{i:04d}.wav"), (tone + rng.normal(0, 0.01, t.size)).astype(np.float32), 22050)
    os.environ["CHATREC_HOME"] = str(work / "home")
    engine = open_engine(app_paths())
    try:
        started = time.perf_counter()
        first = engine.music.import_folders([str(library)])
        first_s = time.perf_counter() - started
        rescans = []
        for _ in range(5):
            started = time.perf_counter()
            report = engine.music.import_folders([str(library)])
            rescans.append(time.perf_counter() - started)
            assert report.unchanged == RESCAN_FILES and report.added == 0
        ids = [engine.music_files.item_for_path(f.path) for f in scan_folders([str(library)]).found]
        engine.recommendations.similar(str(ids[0]), 10)  # opens the sound index
        picks = np.random.default_rng(3).choice(len(ids), QUERIES)
        queries = []
        for pick in picks:
            started = time.perf_counter()
            engine.recommendations.similar(str(ids[pick]), 10)
            queries.append(time.perf_counter() - started)
    finally:
        engine.close()
    return {"files": RESCAN_FILES, "first_import_s": round(first_s, 1), "first_import_indexed": first.run.items,
            "rescan_unchanged_s": latency_ms(rescans),
            "sounds_like_query_top10": latency_ms(queries)}


def main() -> None:
    files = debian_tracks()
    speed, results = index_speed(files)
    print(json.dumps(speed, indent=1))
    quality = genre_agreement(results)
    print(json.dumps(quality, indent=1))
    work = Path(tempfile.mkdtemp(prefix="bench-music-"))
    try:
        scale = rescan_and_query(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(scale, indent=1))
    RESULT.write_text(json.dumps({"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                                  "indexing": speed, "nearest_neighbour_agreement": quality,
                                  "library_of_1000": scale}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {RESULT}")


if __name__ == "__main__":
    main()
