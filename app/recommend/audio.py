"""The sound space: raw audio features standardised over the library, as comparable unit vectors.

Raw features mix units (BPM, Hz, dB-like MFCCs), so each dimension is standardised with the
library's own mean and spread. Giving each feature group (26 MFCC statistics, one tempo) the same
total weight sounded fairer but measured worse: on Debian's soundtracks a track's nearest
neighbour shared its soundtrack 75% of the time that way against 85% with every dimension weighted
alike (bench/bench_music.py), so the app weighs dimensions alike and the grouped form stays for
the benchmark's comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
# A re-fit whose mean moved by more than this share of a spread, or whose spread changed by more
# than this ratio, re-writes every stored vector; smaller drifts only write the new tracks.
DRIFT_TOLERANCE = 0.1
_MIN_SCALE = 1e-6


@dataclass(frozen=True)
class AudioSpace:
    """Per-dimension centre, spread and weight that turn raw vectors into comparable unit vectors."""

    mean: FloatArray
    scale: FloatArray
    weight: FloatArray
    tracks: int

    @classmethod
    def fit(cls, raw: NDArray[np.floating], groups: Mapping[str, slice] | None = None) -> AudioSpace:
        """Standardisation fitted on the library's raw vectors (rows); groups, if given, weigh alike."""
        data = np.asarray(raw, dtype=np.float64)
        if data.ndim != 2 or data.shape[0] == 0:
            raise ValueError("fitting the sound space needs at least one raw vector")
        mean = data.mean(axis=0)
        scale = data.std(axis=0) if data.shape[0] > 1 else np.ones(data.shape[1])
        scale = np.where(scale > _MIN_SCALE, scale, 1.0)
        weight = np.ones(data.shape[1]) if groups is None else group_weights(groups, data.shape[1])
        return cls(mean, scale, weight, int(data.shape[0]))

    def embed(self, raw: NDArray[np.floating]) -> NDArray[np.float32]:
        """Unit-length rows (cosine == dot product); a row with no spread at all stays zero."""
        data = np.atleast_2d(np.asarray(raw, dtype=np.float64))
        z = (data - self.mean) / self.scale * self.weight
        norms = np.linalg.norm(z, axis=1, keepdims=True)
        return np.asarray(np.where(norms > 0, z / np.maximum(norms, 1e-12), 0.0), dtype=np.float32)

    def drifted_from(self, other: AudioSpace | None) -> bool:
        """True when vectors embedded with `other` no longer match this space closely enough."""
        if other is None or other.mean.shape != self.mean.shape:
            return True
        moved = np.abs(self.mean - other.mean) / other.scale
        stretched = np.abs(np.log(self.scale / other.scale))
        return bool(moved.max() > DRIFT_TOLERANCE or stretched.max() > DRIFT_TOLERANCE)

    def to_json(self) -> dict[str, object]:
        """A JSON-ready form for the database's meta table."""
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist(), "weight": self.weight.tolist(),
                "tracks": self.tracks}

    @classmethod
    def from_json(cls, value: Mapping[str, object]) -> AudioSpace | None:
        """The space saved by to_json, or None when the value is not one."""
        try:
            arrays = [np.asarray(value[k], dtype=np.float64) for k in ("mean", "scale", "weight")]
            tracks = int(str(value["tracks"]))
        except (KeyError, TypeError, ValueError):
            return None
        if len({a.shape for a in arrays}) != 1 or arrays[0].ndim != 1:
            return None
        return cls(arrays[0], arrays[1], arrays[2], tracks)


def group_weights(groups: Mapping[str, slice], length: int) -> FloatArray:
    """Per-dimension weights giving each group the same expected share of a squared distance."""
    weight = np.zeros(length)
    for part in groups.values():
        size = len(range(*part.indices(length)))
        if size:
            weight[part] = 1.0 / np.sqrt(size)
    if not weight.any():
        raise ValueError("the feature groups cover no dimension")
    return weight


class SoundScorer:
    """How close each track sounds to the nearest of the user's liked tracks (unit rows; zero rows = no sound)."""

    name = "audio"

    def __init__(self, vectors: NDArray[np.float32]) -> None:
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.has_sound = np.linalg.norm(self.vectors, axis=1) > 0

    def liked_with_sound(self, liked: NDArray[np.int64]) -> NDArray[np.int64]:
        """Those liked items that have a sound vector."""
        return np.asarray(liked[self.has_sound[liked]], dtype=np.int64)

    def score(self, liked: NDArray[np.int64]) -> FloatArray:
        """Per item, cosine similarity to its nearest liked track; zeros without liked tracks.

        The nearest track, not the mean of them: someone who loves both metal and piano wants
        more of each, not the grey average of the two.
        """
        anchors = self.liked_with_sound(liked)
        if anchors.size == 0:
            return np.zeros(self.vectors.shape[0])
        similarity = self.vectors @ self.vectors[anchors].T
        nearest = similarity.max(axis=1).astype(np.float64)
        return np.where(self.has_sound, nearest, 0.0)

    def nearest_liked(self, item: int, liked: NDArray[np.int64]) -> tuple[int, float] | None:
        """The liked track that sounds most like `item`, with its similarity; None when none has sound."""
        anchors = self.liked_with_sound(liked)
        if anchors.size == 0 or not self.has_sound[item]:
            return None
        similarity = self.vectors[anchors] @ self.vectors[item]
        best = int(np.argmax(similarity))
        return int(anchors[best]), float(similarity[best])
