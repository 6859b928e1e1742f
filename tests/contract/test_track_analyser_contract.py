"""One contract for the TrackAnalyser port, run against the fake and the real process pool."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app.domain.errors import CancelledError
from app.domain.music import FoundFile
from app.domain.progress import CancelToken, no_progress
from app.ports import TrackAnalyser
from tests.fakes.analyser import FakeTrackAnalyser, write_track


class TrackAnalyserContract:
    """What every analyser promises: one answer per file, reasons for failures, prompt cancel."""

    def analyser(self) -> TrackAnalyser:
        raise NotImplementedError

    def good_file(self, folder: Path, name: str, pitch: float) -> Path:
        raise NotImplementedError

    def _found(self, *paths: Path) -> list[FoundFile]:
        return [FoundFile(str(p), str(p.parent), p.stat().st_size, p.stat().st_mtime_ns) for p in paths]

    def test_one_analysis_per_file_with_tags_and_a_finite_vector_of_one_length(self, tmp_path: Path) -> None:
        analyser = self.analyser()
        files = [self.good_file(tmp_path, f"t{i}", 220.0 * (i + 1)) for i in range(3)]
        results = {r.path: r for r in analyser.analyse(self._found(*files), no_progress)}
        assert set(results) == {str(f) for f in files}
        lengths = set()
        for result in results.values():
            assert result.tags is not None and result.features is not None and not result.reason
            assert np.isfinite(result.features.vector).all()
            lengths.add(len(result.features.vector))
        assert len(lengths) == 1
        assert analyser.extractor_version

    def test_a_file_that_is_not_audio_gets_a_reason_and_the_others_still_work(self, tmp_path: Path) -> None:
        bad = tmp_path / "notes.ogg"
        bad.write_text("shopping list: milk, eggs", encoding="utf-8")
        good = self.good_file(tmp_path, "fine", 440.0)
        results = {r.path: r for r in self.analyser().analyse(self._found(bad, good), no_progress)}
        assert results[str(bad)].features is None and "not an audio file" in results[str(bad)].reason
        assert results[str(good)].features is not None

    def test_a_cancelled_job_stops(self, tmp_path: Path) -> None:
        token = CancelToken()
        token.cancel()
        files = self._found(*(self.good_file(tmp_path, f"c{i}", 330.0) for i in range(2)))
        with pytest.raises(CancelledError):
            list(self.analyser().analyse(files, no_progress, token))


class TestFakeAnalyser(TrackAnalyserContract):
    def analyser(self) -> TrackAnalyser:
        return FakeTrackAnalyser()

    def good_file(self, folder: Path, name: str, pitch: float) -> Path:
        return write_track(folder / f"{name}.ogg", [pitch, 1.0, 2.0, 3.0])


@pytest.mark.integration
class TestProcessPoolAnalyser(TrackAnalyserContract):
    def analyser(self) -> TrackAnalyser:
        from app.features.pool import ProcessPoolAnalyser

        return ProcessPoolAnalyser(Path(os.environ["NUMBA_CACHE_DIR"]), workers=2, excerpt_s=10.0)

    def good_file(self, folder: Path, name: str, pitch: float) -> Path:
        t = np.arange(22050 * 6) / 22050
        path = folder / f"{name}.ogg"
        sf.write(str(path), (0.3 * np.sin(2 * np.pi * pitch * t)).astype(np.float32), 22050)
        return path
