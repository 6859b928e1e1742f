"""Features and descriptors on signals whose right answer is known."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from app.domain.music import AudioFeatures
from app.features.audio import (
    EXTRACTOR_VERSION,
    FEATURE_GROUPS,
    FEATURE_NAMES,
    analyse_file,
    describe,
    extract_features,
)
from tests.processes import REPO
from tests.unit.features.conftest import SR, click_track, noise, tone, write

C4, E4, G4, A3 = 261.63, 329.63, 392.00, 220.00


def features(samples: np.ndarray) -> AudioFeatures:
    return extract_features(samples, SR)


def group(result: AudioFeatures, name: str) -> np.ndarray:
    return np.asarray(result.vector)[FEATURE_GROUPS[name]]


# Run in a fresh interpreter, as in a new analysis worker: in this one other tests have loaded everything.
_FIRST_TRACK_AFTER_WARM_UP = """
import json, sys
import numpy as np
from app.features.audio import extract_features, warm_up

def compiled():
    # numba's functions in librosa, each with how many typed versions of it are compiled
    found = {}
    for name, module in list(sys.modules.items()):
        for attr, value in vars(module).items() if name.startswith("librosa") and module else ():
            if type(value).__module__.startswith("numba"):
                count = len(value.signatures) if hasattr(value, "signatures") else getattr(value, "ntypes", 0)
                found[name + "." + attr] = count or len(getattr(value, "_type_cache", ()))
    return found

warm_up()
modules, ready = set(sys.modules), compiled()
chord = sum(np.sin(2 * np.pi * f * np.arange(5 * 22050) / 22050) for f in (261.63, 329.63, 392.0))
extract_features((0.2 * chord).astype(np.float32), 22050)
print(json.dumps({"compiled_by_warm_up": sum(ready.values()),
                  "imported_by_first_track": sorted(set(sys.modules) - modules),
                  "compiled_by_first_track": sorted(k for k, v in compiled().items() if v != ready.get(k, 0))}))
"""


def test_after_warm_up_the_first_track_neither_imports_nor_compiles() -> None:
    # What a worker's warm-up is for: its first real track starts at full speed (librosa's import and
    # numba's compiles, seconds each, are paid before any track is waiting).
    done = subprocess.run([sys.executable, "-c", _FIRST_TRACK_AFTER_WARM_UP], cwd=REPO, capture_output=True,
                          text=True, timeout=300, check=True)
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["compiled_by_warm_up"] > 0
    assert found["imported_by_first_track"] == []
    assert found["compiled_by_first_track"] == []


@pytest.mark.parametrize("bpm", [90.0, 120.0, 140.0])
def test_click_track_measures_its_tempo(bpm: float) -> None:
    result = features(click_track(bpm))
    assert group(result, "tempo")[0] == pytest.approx(bpm, abs=2.0)
    assert result.descriptors.tempo_bpm == pytest.approx(bpm, abs=2.0)


def test_bright_and_dark_sort_on_centroid() -> None:
    bright = features(tone([4000.0], 5.0) + noise(5.0, 0.1))
    dark = features(tone([150.0], 5.0))
    assert group(bright, "centroid")[0] > 2500 > 1200 > group(dark, "centroid")[0]
    assert group(bright, "rolloff")[0] > group(dark, "rolloff")[0]
    assert bright.descriptors.brightness == "bright"
    assert dark.descriptors.brightness == "dark"


def test_c_major_chord_is_c_major() -> None:
    result = features(tone([C4, E4, G4], 5.0))
    assert (result.descriptors.key, result.descriptors.mode) == ("C", "major")


def test_a_minor_chord_is_a_minor() -> None:
    result = features(tone([A3, C4, E4], 5.0))
    assert (result.descriptors.key, result.descriptors.mode) == ("A", "minor")


def test_loud_is_high_energy_and_quiet_is_low() -> None:
    loud = features(noise(5.0, 0.3))  # about -10 dBFS
    quiet = features(noise(5.0, 0.01))  # about -40 dBFS
    assert loud.descriptors.energy == "high"
    assert quiet.descriptors.energy == "low"
    assert group(loud, "rms")[0] > group(quiet, "rms")[0]


def test_vector_layout_is_complete_and_finite() -> None:
    result = features(tone([440.0], 3.0) + noise(3.0, 0.05))
    assert len(result.vector) == len(FEATURE_NAMES) == 1 + 13 + 13 + 12 + 2 + 7 + 1 + 2 + 2
    assert all(np.isfinite(result.vector))
    covered = sorted(i for s in FEATURE_GROUPS.values() for i in range(*s.indices(len(FEATURE_NAMES))))
    assert covered == list(range(len(FEATURE_NAMES)))
    assert set(FEATURE_GROUPS) == {"tempo", "mfcc_mean", "mfcc_std", "chroma", "centroid", "contrast",
                                   "rolloff", "rms", "zcr"}
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    assert EXTRACTOR_VERSION


def test_silence_does_not_crash() -> None:
    result = features(np.zeros(3 * SR, dtype=np.float32))
    assert all(np.isfinite(result.vector))
    assert result.descriptors.energy == "low"
    assert result.descriptors.brightness == "dark"


def test_describe_needs_only_the_vector() -> None:
    result = features(tone([C4, E4, G4], 3.0))
    assert describe(list(result.vector)) == result.descriptors


def test_analyse_file_reports_seconds_analysed(tmp_path: Path) -> None:
    short = analyse_file(str(write(tmp_path / "short.wav", tone([440.0], 4.0))))
    long = analyse_file(str(write(tmp_path / "long.flac", tone([440.0], 12.0))), excerpt_s=5.0)
    assert short.excerpt_s == pytest.approx(4.0, abs=0.01)
    assert long.excerpt_s == pytest.approx(5.0, abs=0.01)
    assert len(long.vector) == len(FEATURE_NAMES)


@pytest.mark.skipif(not hasattr(os, "nice"), reason="POSIX priorities")
def test_analysis_workers_run_below_the_windows_priority() -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from app.features.pool import WORKER_NICENESS, prepare_worker

    cache = os.environ.get("NUMBA_CACHE_DIR", "")
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"), initializer=prepare_worker,
                             initargs=(cache,)) as pool:
        assert pool.submit(os.nice, 0).result(timeout=120) == os.nice(0) + WORKER_NICENESS
