"""Decoding only the excerpt, every format path, and a user-readable reason for every bad file."""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from app.domain.errors import AudioFileError
from app.features import decode
from app.features.decode import read_excerpt, read_speech
from tests.files import within
from tests.unit.features.conftest import SR, noise, tone, write


def reason(path: Path, **kwargs: float) -> str:
    with pytest.raises(AudioFileError) as caught:
        read_excerpt(str(path), **kwargs)  # type: ignore[arg-type]
    assert caught.value.path == str(path)
    return caught.value.reason


def write_m4a(path: Path, samples: np.ndarray, sr: int) -> Path:
    """AAC in an MP4 container: a format libsndfile cannot open."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=sr, layout="mono")
        for i in range(0, len(samples), 1024):
            frame = av.AudioFrame.from_ndarray(samples[None, i:i + 1024].astype(np.float32), format="fltp",
                                               layout="mono")
            frame.sample_rate, frame.pts = sr, i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def test_long_file_decodes_only_the_middle_excerpt(tmp_path: Path) -> None:
    sr = 8000
    ramp = (np.arange(1200 * sr) / (1200 * sr) * 0.5).astype(np.float32)  # the level tells the position
    path = write(tmp_path / "long.wav", ramp, sr)
    samples, duration = read_excerpt(str(path))
    assert duration == pytest.approx(1200.0)
    assert abs(len(samples) - 30 * SR) <= 512
    assert samples.dtype == np.float32
    assert float(np.median(samples)) == pytest.approx(0.25, abs=0.01)  # the middle, not the start


def test_stereo_48k_is_downmixed_and_resampled(tmp_path: Path) -> None:
    left, right = tone([440.0], 4.0, sr=48000), np.zeros(4 * 48000, dtype=np.float32)
    path = write(tmp_path / "stereo.flac", np.stack([left, right], axis=1), 48000)
    samples, duration = read_excerpt(str(path), seconds=30.0, sample_rate=SR)
    assert samples.ndim == 1
    assert abs(len(samples) - 4 * SR) <= 64
    assert duration == pytest.approx(4.0)
    assert float(np.sqrt(np.mean(samples**2))) == pytest.approx(0.2 / np.sqrt(2) / 2, rel=0.05)


def test_ogg_decodes(tmp_path: Path) -> None:
    path = write(tmp_path / "a.ogg", tone([440.0], 3.0) + noise(3.0, 0.01))
    samples, duration = read_excerpt(str(path))
    assert duration == pytest.approx(3.0, abs=0.05)
    assert abs(len(samples) - 3 * SR) <= 512


def test_m4a_decodes_through_ffmpeg_from_the_middle(tmp_path: Path) -> None:
    sr = 44100
    signal = tone([440.0], 40.0, sr=sr)
    signal[: 20 * sr] *= 0.1  # quiet first half, loud second: the excerpt straddles the middle
    path = write_m4a(tmp_path / "a.m4a", signal, sr)
    samples, duration = read_excerpt(str(path), seconds=10.0)
    assert duration == pytest.approx(40.0, abs=0.1)
    assert abs(len(samples) - 10 * SR) <= 512
    quiet, loud = samples[: 4 * SR], samples[6 * SR:]
    assert np.sqrt(np.mean(quiet**2)) < 0.3 * np.sqrt(np.mean(loud**2))


def test_nan_samples_become_zero(tmp_path: Path) -> None:
    signal = tone([440.0], 2.0)
    signal[100:200] = np.nan
    path = write(tmp_path / "nan.wav", signal, SR, subtype="FLOAT")
    samples, _ = read_excerpt(str(path))
    assert np.all(np.isfinite(samples))


def test_zero_length_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.ogg"
    path.write_bytes(b"")
    assert reason(path) == "empty file (0 bytes)"


def test_missing_file(tmp_path: Path) -> None:
    assert reason(tmp_path / "gone.mp3") == "file not found"


def test_a_named_pipe_is_refused_without_being_opened(tmp_path: Path) -> None:
    pipe = tmp_path / "request.wav"
    os.mkfifo(pipe)
    with pytest.raises(AudioFileError) as caught:
        within(5, lambda: read_speech(str(pipe)))  # chatrec voice FILE
    assert caught.value.reason == "is a named pipe (FIFO), not an audio file"
    assert reason(pipe) == "is a named pipe (FIFO), not an audio file"


def test_a_folder_is_named_as_one(tmp_path: Path) -> None:
    assert reason(tmp_path) == "is a folder, not an audio file"


def test_text_named_mp3(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp3"
    path.write_text("these are my notes, not a song\n" * 40)
    assert reason(path).startswith("not an audio file that can be decoded (")


def test_random_bytes_named_ogg(tmp_path: Path) -> None:
    path = tmp_path / "noise.ogg"
    path.write_bytes(np.random.default_rng(0).bytes(8000))
    assert reason(path).startswith("not an audio file that can be decoded (")


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "locked.wav", tone([440.0], 2.0))

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(decode, "open", refuse, raising=False)  # chmod does not stop root
    assert reason(path) == "cannot read the file: permission denied"


def test_too_short(tmp_path: Path) -> None:
    path = write(tmp_path / "blip.wav", tone([440.0], 0.3))
    assert reason(path) == "too short to analyse (0.3 s)"


def test_truncated_ogg_keeps_what_it_can(tmp_path: Path) -> None:
    whole = write(tmp_path / "whole.ogg", tone([440.0, 660.0], 20.0) + noise(20.0, 0.02)).read_bytes()
    cut = tmp_path / "cut40.ogg"
    cut.write_bytes(whole[: int(len(whole) * 0.4)])
    samples, _ = read_excerpt(str(cut))
    assert len(samples) >= 3 * SR
    stub = tmp_path / "cut2.ogg"
    stub.write_bytes(whole[: int(len(whole) * 0.02)])
    assert reason(stub).startswith(("damaged audio: ", "too short to analyse"))


def test_failure_mid_way_keeps_the_good_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "bad.wav", tone([440.0], 20.0))
    real_read = sf.SoundFile.read
    calls = {"n": 0}

    def fail_second_block(self: sf.SoundFile, *args: object, **kwargs: object) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] > limit:
            raise sf.LibsndfileError(0, "decoder error")
        block: np.ndarray = real_read(self, *args, **kwargs)
        return block

    monkeypatch.setattr(sf.SoundFile, "read", fail_second_block)
    limit = 1  # one 5 s block, then failure: enough to analyse
    samples, _ = read_excerpt(str(path))
    assert abs(len(samples) - 5 * SR) <= 64
    calls["n"], limit = 0, 0  # nothing decoded before the failure
    assert reason(path).startswith("damaged audio: ")
