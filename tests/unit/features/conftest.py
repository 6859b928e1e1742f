"""Signals with a known right answer, written to tmp_path; numba's JIT cache kept between runs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf
from numpy.typing import NDArray

from app.features.audio import configure_cache

# Must run before anything imports librosa: the first compile takes 30-48 s, later runs ~3 s.
if "NUMBA_CACHE_DIR" not in os.environ:
    configure_cache(os.path.join(os.path.expanduser("~"), ".cache", "chatrec-test-numba"))

SR = 22050


def tone(freqs: list[float], seconds: float, amplitude: float = 0.2, sr: int = SR) -> NDArray[np.float32]:
    """A sum of sine tones, each at `amplitude`."""
    t = np.arange(int(seconds * sr)) / sr
    waves = np.stack([np.sin(2 * np.pi * f * t) for f in freqs])
    out: NDArray[np.float32] = (amplitude * waves.sum(axis=0)).astype(np.float32)
    return out


def noise(seconds: float, amplitude: float, seed: int = 0, sr: int = SR) -> NDArray[np.float32]:
    """White noise with RMS `amplitude`."""
    return (amplitude * np.random.default_rng(seed).standard_normal(int(seconds * sr))).astype(np.float32)


def click_track(bpm: float, seconds: float = 20.0, sr: int = SR) -> NDArray[np.float32]:
    """Short decaying 1 kHz bursts every beat, starting off the first frame."""
    y = np.zeros(int(seconds * sr), dtype=np.float32)
    burst_t = np.arange(int(0.03 * sr)) / sr
    burst = (0.8 * np.sin(2 * np.pi * 1000 * burst_t) * np.exp(-burst_t / 0.008)).astype(np.float32)
    for start in np.arange(0.137, seconds - 0.05, 60.0 / bpm):
        i = int(start * sr)
        y[i:i + len(burst)] += burst[: len(y) - i]
    return y


def write(path: Path, samples: NDArray[np.float32], sr: int = SR, **kwargs: object) -> Path:
    """Write samples with soundfile (format from the suffix) and return the path."""
    sf.write(str(path), samples, sr, **kwargs)
    return path
