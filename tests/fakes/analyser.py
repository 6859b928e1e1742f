"""A TrackAnalyser that reads a small JSON "recipe" instead of audio: fast, exact, no librosa."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from app.domain.music import AudioDescriptors, AudioFeatures, FoundFile, TrackAnalysis, TrackTags
from app.domain.progress import CancelToken, ProgressCallback


def write_track(path: Path, vector: Sequence[float], *, title: str = "", artist: str = "",
                tempo: float = 120.0, energy: str = "medium", brightness: str = "warm", key: str = "C",
                mode: str = "major", fail: str = "", mbid: str = "") -> Path:
    """Write a recipe file the fake analyser turns into tags and features (or into `fail`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    recipe = {"vector": list(vector), "title": title or path.stem, "artist": artist, "tempo": tempo,
              "energy": energy, "brightness": brightness, "key": key, "mode": mode, "fail": fail, "mbid": mbid}
    path.write_text(json.dumps(recipe), encoding="utf-8")
    return path


class FakeTrackAnalyser:
    """Analyses recipe files; counts what it was asked to analyse."""

    def __init__(self, version: str = "fake-1") -> None:
        self.version = version
        self.analysed: list[str] = []
        self.cancel_after: int | None = None  # cancel the token after this many files

    @property
    def extractor_version(self) -> str:
        """The fake's version."""
        return self.version

    def analyse(self, files: Sequence[FoundFile], progress: ProgressCallback,
                cancel: CancelToken | None = None) -> Iterator[TrackAnalysis]:
        """One analysis per file, in order."""
        for count, found in enumerate(files):
            if cancel is not None:
                if self.cancel_after is not None and count >= self.cancel_after:
                    cancel.cancel()
                cancel.raise_if_cancelled("the music analysis")
            self.analysed.append(found.path)
            yield _analyse(found.path)


def _analyse(path: str) -> TrackAnalysis:
    try:
        recipe: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return TrackAnalysis(path, reason=f"not an audio file that can be decoded ({type(exc).__name__})")
    if recipe["fail"]:
        return TrackAnalysis(path, reason=recipe["fail"])
    descriptors = AudioDescriptors(recipe["tempo"], recipe["energy"], recipe["brightness"], recipe["key"],
                                   recipe["mode"])
    vector = tuple(float(v) for v in recipe["vector"])
    musicbrainz = {"recording": recipe["mbid"]} if recipe["mbid"] else {}
    tags = TrackTags(title=recipe["title"], artist=recipe["artist"], musicbrainz=musicbrainz)
    return TrackAnalysis(path, tags, AudioFeatures(vector, descriptors, 30.0))
