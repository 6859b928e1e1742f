"""Decode an excerpt from the middle of a music file, or a whole spoken recording, as mono float32.

The only module that imports soundfile, soxr and av; they are imported inside functions so that
importing this module stays cheap (the scanner imports it in the GUI process).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from app.catalog.files import not_a_file
from app.domain.errors import AudioFileError
from app.domain.voice import RECORDING_LIMIT_S

if TYPE_CHECKING:
    from collections.abc import Iterator

MIN_EXCERPT_S = 1.0  # less than this gives no tempo and no stable spectrum
SALVAGE_S = 3.0  # a damaged file that still gave this much is worth analysing
_BLOCK_S = 5.0  # read in blocks so a failure mid-way keeps what came before it
# Straight to FFmpeg: containers libsndfile never opens (rather than fail once first), and Opus,
# which FFmpeg's own decoder reads in 0.16 s per 30 s excerpt against libsndfile's 0.25 s (measured).
_USE_FFMPEG = frozenset({".m4a", ".mp4", ".aac", ".alac", ".wma", ".webm", ".mka", ".opus"})
# Openings of audio containers: a file that starts like one but does not decode is damaged,
# not "not audio".
_MAGIC = (b"OggS", b"fLaC", b"RIFF", b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"FORM")
_OVERRUN_S = 1.0  # read_speech decodes this much past its limit to see that a recording is too long
_LENGTH_SLACK_S = 0.05  # container durations are rounded: a recording exactly at the limit is allowed
_SOXR_QUALITY = "HQ"  # measured: as fast as MQ on 30 s excerpts, and no audible aliasing in features


class _Undecodable(Exception):
    """Neither decoder could open the file; keeps each library's short message."""

    def __init__(self, ffmpeg: str, sndfile: str = "") -> None:
        self.ffmpeg = ffmpeg
        self.sndfile = sndfile
        super().__init__(ffmpeg)

    def damage(self) -> str:
        """libsndfile says best what is wrong with a file in a format it knows ("file is malformed")."""
        return self.sndfile if "malformed" in self.sndfile else self.ffmpeg

    def unknown(self) -> str:
        """FFmpeg's "End of file" on random bytes says less than libsndfile's "Format not recognised"."""
        return self.sndfile if "not recognised" in self.sndfile else self.ffmpeg


def read_excerpt(path: str, *, seconds: float = 30.0, sample_rate: int = 22050) -> tuple[NDArray[np.float32], float]:
    """Decode at most `seconds` from the middle of the file as mono float32 at sample_rate.

    Returns (samples, whole-file duration in seconds); raises AudioFileError with a reason for the user.
    """
    _check_readable(path)
    try:
        samples, source_rate, duration = _decode(path, seconds)
    except _Undecodable as exc:
        if _looks_like_audio(path):
            raise AudioFileError(path, f"damaged audio: {exc.damage()}") from exc
        raise AudioFileError(path, f"not an audio file that can be decoded ({exc.unknown()})") from exc
    if len(samples) == 0:
        raise AudioFileError(path, "damaged audio: no sound could be decoded from it")
    samples = _resample(samples, source_rate, sample_rate)
    got_s = len(samples) / sample_rate
    if got_s < MIN_EXCERPT_S:
        raise AudioFileError(path, f"too short to analyse ({got_s:.1f} s)")
    return np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0), duration


class ExcerptDecoder:
    """The ClipDecoder port (app/ports.py) over read_excerpt: a track's preview."""

    def excerpt(self, path: str, *, seconds: float, sample_rate: int) -> NDArray[np.float32]:
        """At most `seconds` from the middle of the file, mono float32 at sample_rate; AudioFileError says why not."""
        return read_excerpt(path, seconds=seconds, sample_rate=sample_rate)[0]


def read_speech(path: str, *, sample_rate: int = 16000,
                max_seconds: float = RECORDING_LIMIT_S) -> NDArray[np.float32]:
    """The whole recording (up to max_seconds: the one recording limit) as mono float32 at sample_rate."""
    _check_readable(path)
    # Ask for a little more than allowed: the decoders read from the start when the file fits, and
    # a file whose length is unknown up front shows it is too long by giving more than max_seconds.
    try:
        samples, source_rate, duration = _decode(path, max_seconds + _OVERRUN_S)
    except _Undecodable as exc:
        if _looks_like_audio(path):
            raise AudioFileError(path, f"damaged audio: {exc.damage()}") from exc
        raise AudioFileError(path, f"not an audio file that can be decoded ({exc.unknown()})") from exc
    length_s = max(duration, len(samples) / source_rate)
    if length_s > max_seconds + _LENGTH_SLACK_S:
        raise AudioFileError(path, f"the recording is longer than {max_seconds:g} s: it lasts {length_s:.0f} s; "
                                   "keep a spoken request under that")
    if len(samples) == 0:
        raise AudioFileError(path, "damaged audio: no sound could be decoded from it")
    samples = _resample(samples[: round(max_seconds * source_rate)], source_rate, sample_rate)
    samples = np.nan_to_num(samples, nan=0.0, posinf=1.0, neginf=-1.0)
    # Float files and overdriven microphones go past full scale; Whisper's features expect [-1, 1].
    return np.clip(samples, -1.0, 1.0, out=samples)


def _check_readable(path: str) -> None:
    """Turn the file-system reasons a file cannot be read into the user's words."""
    try:
        st = os.stat(path)
        reason = not_a_file(st.st_mode, "an audio file")
        if reason is not None:  # told before opening: opening a FIFO (a named pipe) blocks
            raise AudioFileError(path, f"is {reason}")
        with open(path, "rb"):
            pass
    except FileNotFoundError as exc:
        raise AudioFileError(path, "file not found") from exc
    except PermissionError as exc:
        raise AudioFileError(path, "cannot read the file: permission denied") from exc
    except OSError as exc:
        raise AudioFileError(path, f"cannot read the file: {exc.strerror or exc}") from exc
    if st.st_size == 0:
        raise AudioFileError(path, "empty file (0 bytes)")


def _looks_like_audio(path: str) -> bool:
    """Whether the file starts like a known audio container (so a decode failure means damage)."""
    with open(path, "rb") as handle:
        head = handle.read(12)
    return head.startswith(_MAGIC) or head[4:8] == b"ftyp"


def _decode(path: str, seconds: float) -> tuple[NDArray[np.float32], int, float]:
    """Decode with libsndfile, or with FFmpeg for what libsndfile cannot open."""
    import soundfile as sf

    if os.path.splitext(path)[1].lower() not in _USE_FFMPEG:
        try:
            handle = sf.SoundFile(path)
        except sf.LibsndfileError as exc:
            sndfile_error = _short(exc)
        else:
            with handle:
                return _decode_sndfile(path, handle, seconds)
    else:
        sndfile_error = ""
    try:
        return _decode_ffmpeg(path, seconds)
    except _Undecodable as exc:
        raise _Undecodable(exc.ffmpeg, sndfile_error) from exc


def _decode_sndfile(path: str, handle: Any, seconds: float) -> tuple[NDArray[np.float32], int, float]:
    """Seek to the middle and read only the excerpt, block by block."""
    import soundfile as sf

    rate = int(handle.samplerate)
    duration = handle.frames / rate
    start = _start_s(duration, seconds)
    wanted = round(seconds * rate)
    blocks: list[NDArray[np.float32]] = []
    got = 0
    try:
        if handle.seekable():
            handle.seek(int(start * rate))
        while got < wanted:
            block = handle.read(min(int(_BLOCK_S * rate), wanted - got), dtype="float32", always_2d=True)
            if len(block) == 0:
                break
            blocks.append(_downmix(block))
            got += len(block)
    except (sf.LibsndfileError, RuntimeError) as exc:
        _salvage_or_raise(path, got / rate, exc)
    return _join(blocks), rate, duration


def _decode_ffmpeg(path: str, seconds: float) -> tuple[NDArray[np.float32], int, float]:
    """Decode the excerpt with FFmpeg through PyAV: seek, then decode only until `seconds` are in."""
    import av

    try:
        container = av.open(path)
    except (av.FFmpegError, UnicodeDecodeError) as exc:
        raise _Undecodable(_short(exc)) from exc
    with container:
        if not container.streams.audio:
            raise _Undecodable("no audio stream in the file")
        stream = container.streams.audio[0]
        duration = _ffmpeg_duration(container, stream)
        rate = int(stream.codec_context.sample_rate or 44100)
        start = _start_s(duration, seconds)
        samples = _ffmpeg_samples(path, container, stream, start, seconds, rate)
    return samples, rate, duration


def _ffmpeg_samples(path: str, container: Any, stream: Any, start: float, seconds: float,
                    rate: int) -> NDArray[np.float32]:
    """Collect mono samples from `start` for `seconds`, keeping what came before a mid-way failure."""
    import av

    blocks: list[NDArray[np.float32]] = []
    got, wanted = 0, round(seconds * rate)
    try:
        for block in _ffmpeg_blocks(container, stream, start, rate):
            blocks.append(block)
            got += len(block)
            if got >= wanted:
                break
    except (av.FFmpegError, ValueError) as exc:
        if not blocks:
            raise _Undecodable(_short(exc)) from exc
        _salvage_or_raise(path, got / rate, exc)
    if not blocks:
        raise _Undecodable("no audio could be decoded")
    return _join(blocks)[:wanted]


def _ffmpeg_blocks(container: Any, stream: Any, start: float, rate: int) -> Iterator[NDArray[np.float32]]:
    """Yield mono float32 blocks from `start` on; the resampler only downmixes here (soxr resamples)."""
    import av

    if start > 0 and stream.time_base:
        container.seek(int(start / stream.time_base), stream=stream)
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    skip: int | None = None  # samples before `start` left by seeking to the keyframe before it
    for frame in container.decode(stream):
        for out in resampler.resample(frame):
            block = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
            if skip is None:
                skip = max(0, round((start - (frame.time or 0.0)) * rate)) if start > 0 else 0
            if skip:
                dropped = min(skip, len(block))
                block, skip = block[dropped:], skip - dropped
            if len(block):
                yield block


def _ffmpeg_duration(container: Any, stream: Any) -> float:
    """The whole file's duration from the stream, else the container; 0 when unknown."""
    if stream.duration is not None and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / 1_000_000  # AV_TIME_BASE
    return 0.0


def _salvage_or_raise(path: str, got_s: float, exc: Exception) -> None:
    """Keep a damaged file's good start when it is long enough, else report the damage."""
    if got_s < SALVAGE_S:
        raise AudioFileError(path, f"damaged audio: {_short(exc)}") from exc


def _start_s(duration: float, seconds: float) -> float:
    """Where the excerpt starts so that it sits in the middle of the file."""
    return max(0.0, (duration - seconds) / 2)


def _downmix(block: NDArray[np.float32]) -> NDArray[np.float32]:
    """Mono from (frames, channels): a sum of columns (numpy's mean over a short last axis is ~10x slower)."""
    if block.shape[1] == 1:
        return np.ascontiguousarray(block[:, 0])
    total = block[:, 0].copy()
    for channel in range(1, block.shape[1]):
        total += block[:, channel]
    total *= np.float32(1.0 / block.shape[1])
    return total


def _join(blocks: list[NDArray[np.float32]]) -> NDArray[np.float32]:
    """Concatenate mono blocks (an empty list gives an empty array)."""
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.float32)


def _resample(samples: NDArray[np.float32], source_rate: int, rate: int) -> NDArray[np.float32]:
    """Resample with soxr; a no-op when the rates match."""
    if source_rate == rate or len(samples) == 0:
        return samples.astype(np.float32, copy=False)
    import soxr

    out = soxr.resample(samples, source_rate, rate, quality=_SOXR_QUALITY)
    return np.asarray(out, dtype=np.float32)


def _short(exc: BaseException) -> str:
    """The library's own words, without error numbers or the path (the error names the file)."""
    text = getattr(exc, "error_string", None) or getattr(exc, "strerror", None) or str(exc)
    text = str(text).strip().splitlines()[0] if str(text).strip() else type(exc).__name__
    return text.rstrip(".")[:120]
