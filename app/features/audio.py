"""What a track sounds like: a raw feature vector from an excerpt, and readable descriptors from it.

The only module that imports librosa, inside functions, because importing it pulls in numba and
costs seconds; it runs in worker processes (see warm_up).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from app.domain.music import AudioDescriptors, AudioFeatures
from app.features.decode import read_excerpt

EXTRACTOR_VERSION = "librosa-2"  # bump whenever the vector's meaning or order changes

_N_FFT = 2048
_HOP = 512
_CHROMA_N_FFT = 8192
_ROLL_PERCENT = 0.85  # librosa's default roll-off share
_N_MFCC = 13
_N_MELS = 64  # enough for 13 MFCCs and the onset envelope; half the default's matrix product
_CONTRAST_BANDS = 6  # librosa gives one more row than bands (the sub-band below fmin)
_PITCHES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_TEMPO_RANGE = (40.0, 220.0)  # BPM; outside this a periodicity is a bar or a subdivision, not a beat


def _layout() -> tuple[tuple[str, ...], dict[str, slice]]:
    """The vector's dimension names and its named groups, in order."""
    groups: dict[str, list[str]] = {
        "tempo": ["tempo_bpm"],
        "mfcc_mean": [f"mfcc{i}_mean" for i in range(_N_MFCC)],
        "mfcc_std": [f"mfcc{i}_std" for i in range(_N_MFCC)],
        "chroma": [f"chroma_{p}" for p in _PITCHES],
        "centroid": ["centroid_mean_hz", "centroid_std_hz"],
        "contrast": [f"contrast{i}_mean" for i in range(_CONTRAST_BANDS + 1)],
        "rolloff": ["rolloff_mean_hz"],
        "rms": ["rms_mean", "rms_std"],
        "zcr": ["zcr_mean", "zcr_std"],
    }
    names: list[str] = []
    slices: dict[str, slice] = {}
    for group, labels in groups.items():
        slices[group] = slice(len(names), len(names) + len(labels))
        names.extend(labels)
    return tuple(names), slices


FEATURE_NAMES, FEATURE_GROUPS = _layout()

# Krumhansl-Kessler key profiles (probe-tone ratings), tonic first.
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])

# Energy from the mean RMS in dBFS. A full-scale sine is -3 dBFS; loud modern masters sit near
# -10 to -8, typical mixes -20 to -12, quiet acoustic and ambient below -20. The bounds split the
# game soundtracks we measured (orchestral, ambient, rock) into three populated classes.
_ENERGY_DBFS = (-22.0, -14.0)
# Brightness from the mean spectral centroid: below ~1.2 kHz the energy is in bass and low mids
# (dark pads, cello, bass-heavy mixes); above ~2.5 kHz cymbals, distorted guitar and noise dominate.
_BRIGHTNESS_HZ = (1200.0, 2500.0)
# Below this there is nothing to hear; the centroid of dither or hiss would call it "bright".
_SILENT_DBFS = -60.0


def configure_cache(cache_dir: str) -> None:
    """Point numba's on-disk JIT cache at cache_dir; call before anything imports librosa or numba."""
    # numba reads NUMBA_CACHE_DIR when it is imported and librosa's jitted functions bind their
    # cache then, so setting it later has no effect and the 30-48 s compile is paid every run.
    os.makedirs(cache_dir, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = cache_dir


def warm_up() -> None:
    """Compile numba's JIT paths on 2 s of noise so real work starts at full speed (worker initialiser)."""
    noise = np.random.default_rng(0).standard_normal(2 * 22050).astype(np.float32) * 0.1
    extract_features(noise, 22050)


def analyse_file(path: str, excerpt_s: float = 30.0) -> AudioFeatures:
    """Decode the middle `excerpt_s` seconds of a file and extract its features."""
    sample_rate = 22050
    samples, _duration = read_excerpt(path, seconds=excerpt_s, sample_rate=sample_rate)
    return extract_features(samples, sample_rate)


def extract_features(samples: NDArray[np.float32], sample_rate: int) -> AudioFeatures:
    """The raw feature vector (layout in FEATURE_GROUPS) and descriptors of mono samples."""
    y = np.ascontiguousarray(np.nan_to_num(samples), dtype=np.float32)
    parts = _spectral_parts(y, sample_rate)
    vector = tuple(float(v) for v in np.concatenate(parts))
    if len(vector) != len(FEATURE_NAMES):
        raise AssertionError(f"feature layout drifted: {len(vector)} != {len(FEATURE_NAMES)}")
    return AudioFeatures(vector=vector, descriptors=describe(vector), excerpt_s=len(y) / sample_rate)


def _spectral_parts(y: NDArray[np.float32], sr: int) -> list[NDArray[np.float64]]:
    """Every group of the vector, in FEATURE_GROUPS order, from one STFT (and a coarse one for chroma)."""
    import librosa

    magnitude = np.abs(librosa.stft(y, n_fft=_N_FFT, hop_length=_HOP))
    power = magnitude**2
    mel_db = librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=sr, n_mels=_N_MELS))
    mfcc = librosa.feature.mfcc(S=mel_db, n_mfcc=_N_MFCC)
    onset = librosa.onset.onset_strength(S=mel_db, sr=sr, hop_length=_HOP)
    chroma = _chroma(y, sr)
    centroid, rolloff = _centroid_and_rolloff(magnitude, sr)
    contrast = librosa.feature.spectral_contrast(S=magnitude, sr=sr, n_bands=_CONTRAST_BANDS)
    rms = librosa.feature.rms(y=y, frame_length=_N_FFT, hop_length=_HOP)[0]
    zcr = librosa.feature.zero_crossing_rate(y, frame_length=_N_FFT, hop_length=_HOP)[0]
    return [np.array([_tempo(onset, sr / _HOP)]), mfcc.mean(axis=1), mfcc.std(axis=1), chroma.mean(axis=1),
            _mean_std(centroid), contrast.mean(axis=1), np.array([rolloff.mean()]), _mean_std(rms), _mean_std(zcr)]


def _chroma(y: NDArray[np.float32], sr: int) -> NDArray[np.float64]:
    """Pitch-class energy per frame from a second, long and sparse STFT (18 ms per 30 s)."""
    import librosa

    # The shared 2048-point STFT smears a note over neighbouring semitones below ~500 Hz and
    # librosa's default octave weighting favours the upper notes of a chord, enough to call a plain
    # C-E-G chord E minor; 8192 points resolve semitones down to the bass, and chroma needs no fine
    # timing since only its mean is kept. tuning=0: estimating it would cost more than the chroma.
    power = np.abs(librosa.stft(y, n_fft=_CHROMA_N_FFT, hop_length=_CHROMA_N_FFT // 2)) ** 2
    chroma: NDArray[np.float64] = librosa.feature.chroma_stft(S=power, sr=sr, n_fft=_CHROMA_N_FFT, tuning=0.0,
                                                              octwidth=None)
    return chroma


def _centroid_and_rolloff(magnitude: NDArray[np.float32], sr: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Spectral centroid and 85% roll-off per frame, as librosa defines them, in one pass.

    librosa normalises a copy of the spectrogram for each of the two; on a 30 s excerpt that was a
    fifth of the extraction time, so both come from one column sum here.
    """
    freqs = np.linspace(0.0, sr / 2.0, magnitude.shape[0])
    totals = magnitude.sum(axis=0, dtype=np.float64)
    safe = np.where(totals > 0, totals, 1.0)
    centroid = (freqs @ magnitude.astype(np.float64)) / safe
    cumulative = np.cumsum(magnitude, axis=0)  # float32: 1025 bins sum well within its precision
    bins = np.argmax(cumulative >= (_ROLL_PERCENT * safe).astype(np.float32), axis=0)
    rolloff = np.where(totals > 0, freqs[bins], 0.0)
    return np.where(totals > 0, centroid, 0.0), rolloff


def _mean_std(values: NDArray[np.floating]) -> NDArray[np.float64]:
    """Mean and standard deviation of a per-frame feature."""
    return np.array([values.mean(), values.std()], dtype=np.float64)


def _tempo(onset: NDArray[np.floating], frame_rate: float) -> float:
    """The beat in BPM: the strongest periodicity of the onset envelope, to a fraction of a frame."""
    env = onset.astype(np.float64) - onset.mean()
    if not np.any(env):
        return 0.0  # no onsets at all (silence, a steady tone): no beat to report
    ac = np.fft.irfft(np.abs(np.fft.rfft(env, 2 * len(env))) ** 2)[: len(env)]
    lags = np.arange(len(ac), dtype=np.float64)
    lo = int(np.floor(60.0 * frame_rate / _TEMPO_RANGE[1]))
    hi = min(len(ac) - 2, int(np.ceil(60.0 * frame_rate / _TEMPO_RANGE[0])))
    if hi <= lo + 1:
        return 0.0
    # A weak preference (one octave wide, in log-tempo) for moderate tempi settles half/double
    # ambiguities in real music; a click track's peak is sharp enough that it does not move it.
    bpm = 60.0 * frame_rate / np.maximum(lags[lo:hi + 1], 1.0)
    weighted = ac[lo:hi + 1] * np.exp(-0.5 * np.log2(bpm / 120.0) ** 2)
    peak = lo + int(np.argmax(weighted))
    return 60.0 * frame_rate / _refine_lag(ac, peak)


def _refine_lag(ac: NDArray[np.float64], peak: int) -> float:
    """Parabolic interpolation of the peak: whole-frame lags would be 3 BPM apart at 120 BPM."""
    left, mid, right = ac[peak - 1], ac[peak], ac[peak + 1]
    denom = left - 2 * mid + right
    shift = 0.5 * (left - right) / denom if denom < 0 else 0.0
    return peak + float(np.clip(shift, -0.5, 0.5))


def describe(vector: Sequence[float]) -> AudioDescriptors:
    """Readable descriptors (tempo, energy, brightness, key, mode) from a raw feature vector alone."""
    values = np.asarray(vector, dtype=np.float64)
    loudness = _dbfs(float(values[FEATURE_GROUPS["rms"]][0]))
    centroid = float(values[FEATURE_GROUPS["centroid"]][0]) if loudness > _SILENT_DBFS else 0.0
    key, mode = _key(values[FEATURE_GROUPS["chroma"]])
    return AudioDescriptors(
        tempo_bpm=float(values[FEATURE_GROUPS["tempo"]][0]),
        energy=_classify(loudness, _ENERGY_DBFS, ("low", "medium", "high")),
        brightness=_classify(centroid, _BRIGHTNESS_HZ, ("dark", "warm", "bright")),
        key=key,
        mode=mode,
    )


def _dbfs(rms: float) -> float:
    """RMS amplitude in dB relative to full scale (silence floors at -120)."""
    return 20.0 * float(np.log10(max(rms, 1e-6)))


def _classify(value: float, bounds: tuple[float, float], labels: tuple[str, str, str]) -> str:
    """One of three labels by which side of the two bounds value falls."""
    if value < bounds[0]:
        return labels[0]
    return labels[1] if value < bounds[1] else labels[2]


def _key(chroma: NDArray[np.float64]) -> tuple[str, str]:
    """Krumhansl-Schmuckler: the tonic and mode whose rotated profile best correlates with the chroma."""
    if not np.all(np.isfinite(chroma)) or np.ptp(chroma) < 1e-9:
        return "C", "major"  # no pitch content (silence, noise): an arbitrary, stable answer
    profiles = np.stack([np.roll(p, tonic) for p in (_MAJOR_PROFILE, _MINOR_PROFILE) for tonic in range(12)])
    scores = np.corrcoef(chroma, profiles)[0, 1:]  # 24 rotations: majors on C..B, then minors
    best = int(np.argmax(scores))
    return _PITCHES[best % 12], ("major", "minor")[best // 12]
