"""A voice turn: hear, understand, answer, speak; each stage timed, cancellable, and announced.

The loop owns the "one turn at a time" rule: starting a new turn (the user talking over the
reply) cancels the previous one's pending work and stops its playback, so the app never answers
a question the user has already replaced.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from app.domain.errors import ChatRecError
from app.domain.progress import CancelToken
from app.domain.voice import SPEECH_RATE, Transcript, VoiceState
from app.ports import SpeechToText, TextToSpeech
from app.services.conversation import Conversation, TurnResult

NO_SPEECH = "no speech heard"
_HINTS = 30  # titles offered to the recogniser: the cards on screen and the user's recent items

Speaker = Callable[[Iterable[NDArray[np.float32]], int, CancelToken], None]


WARM_UP_PHRASE = "Ready when you are."


class NoSpeechError(ChatRecError):
    """The recording held no speech: nothing was transcribed, so nothing is answered."""

    def __init__(self) -> None:
        super().__init__(f"{NO_SPEECH}: hold the button (or Space) while you talk, a little closer to the microphone")


@dataclass(frozen=True)
class VoiceTurn:
    """A spoken turn: what was heard, the conversation's answer, and the timings of every stage."""

    transcript: Transcript
    turn: TurnResult
    timings_ms: dict[str, float] = field(default_factory=dict)


class VoiceLoop:
    """Transcribe a request, run the conversation turn, and speak the reply through a speaker."""

    def __init__(self, stt: SpeechToText, tts: TextToSpeech, conversation: Conversation,
                 on_state: Callable[[VoiceState], None] = lambda state: None) -> None:
        self._stt = stt
        self._tts = tts
        self._conversation = conversation
        self._on_state = on_state
        self._lock = threading.Lock()
        self._current: CancelToken | None = None

    def begin(self) -> CancelToken:
        """Start a turn: the previous one's pending work and playback are cancelled (barge-in)."""
        with self._lock:
            if self._current is not None:
                self._current.cancel()
            self._current = CancelToken()
            return self._current

    def turn(self, samples: NDArray[np.float32], speaker: Speaker, *, session_id: str | None = None,
             hints: Sequence[str] = (), cancel: CancelToken | None = None,
             on_heard: Callable[[str], None] = lambda text: None) -> VoiceTurn:
        """Hear 16 kHz mono samples, answer, and speak the reply; raises NoSpeechError for silence."""
        token = cancel or self.begin()
        timings: dict[str, float] = {}
        started = time.perf_counter()
        try:
            self._on_state("transcribing")
            transcript = self._stt.transcribe(samples, hints=list(hints)[:_HINTS], cancel=token)
            timings["stt"] = _ms(started)
            timings["stt_real_time_factor"] = round(timings["stt"] / 1000 / max(transcript.audio_seconds, 1e-3), 3)
            if transcript.no_speech or not transcript.text.strip():
                raise NoSpeechError()
            on_heard(transcript.text)  # shown while the answer is worked out
            self._on_state("thinking")
            result = self._conversation.turn(transcript.text, session_id, cancel=token)
            self._on_state("speaking")
            spoken = _Timed(self._tts.synthesize(spoken_reply(result), cancel=token))
            speech_started = time.perf_counter()
            speaker(spoken, self._tts.sample_rate, token)
            timings.update({"tts_first_audio": spoken.first_ms(speech_started),
                            "tts_and_playback": _ms(speech_started), "tts_synthesis": spoken.busy_ms,
                            "tts_audio_seconds": round(spoken.samples / self._tts.sample_rate, 2)})
        finally:
            self._on_state("idle")
        timings["end_to_first_audio"] = round(timings["stt"] + result.timings_ms.get("total", 0.0)
                                              + timings["tts_first_audio"], 1)
        merged = {**result.timings_ms, **timings, "voice_total": _ms(started)}
        return VoiceTurn(transcript, replace(result, timings_ms=merged), merged)

    def load(self) -> None:
        """Load the speech models now (in the background at start), so the first turn is quick."""
        self._stt.load()
        self._tts.load()

    def warm_up(self) -> None:
        """Load the models and run each once on a short phrase: first runs pay one-off costs (buffers,
        caches) that would otherwise land on the user's first spoken turn."""
        self.load()
        spoken = np.concatenate([np.zeros(0, dtype=np.float32), *self._tts.synthesize(WARM_UP_PHRASE)])
        rate = self._tts.sample_rate
        if spoken.size and rate != SPEECH_RATE:  # the recogniser takes 16 kHz; a rough resample will do here
            positions = np.arange(0, spoken.size, rate / SPEECH_RATE)
            spoken = np.interp(positions, np.arange(spoken.size), spoken).astype(np.float32)
        self._stt.transcribe(spoken)

    @property
    def sample_rate(self) -> int:
        """The rate of the spoken reply's samples."""
        return self._tts.sample_rate

    def stop(self) -> None:
        """Cancel the turn in progress, if any (the stop button)."""
        with self._lock:
            if self._current is not None:
                self._current.cancel()


class _Timed:
    """Wraps the synthesis stream: when its first chunk came, how long synthesis took, how much audio."""

    def __init__(self, chunks: Iterator[NDArray[np.float32]]) -> None:
        self._chunks = chunks
        self.first_at: float | None = None
        self.busy_ms = 0.0
        self.samples = 0

    def __iter__(self) -> Iterator[NDArray[np.float32]]:
        while True:
            started = time.perf_counter()
            try:
                chunk = next(self._chunks)
            except StopIteration:
                return
            self.busy_ms = round(self.busy_ms + (time.perf_counter() - started) * 1000, 1)
            if self.first_at is None:
                self.first_at = time.perf_counter()
            self.samples += int(chunk.size)
            yield chunk

    def first_ms(self, since: float) -> float:
        """Milliseconds from since to the first chunk (0 when nothing was spoken)."""
        return 0.0 if self.first_at is None else round((self.first_at - since) * 1000, 1)


def spoken_reply(result: TurnResult, titles: int = 3) -> str:
    """What is said aloud: the reply's sentences and the first few titles; the cards carry the reasons.

    Reading five cards with their reasons took over 30 s of speech; nobody listens that long. The
    reply's own sentences (a title it lacks, how many fit, the question whether to remember) are all
    said; the card lines are not.
    """
    if not result.items or result.intent.action not in ("recommend", "refine", "rate"):
        return result.reply
    prose = [line.strip() for line in result.reply.splitlines() if line.strip() and not _CARD_LINE.match(line)]
    names = [r.item.title for r in result.items[:titles]]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    more = " The cards show why." if len(result.items) > 1 else ""
    named = any(name in " ".join(prose) for name in names)  # the model's words already say them
    spoken = []
    for line in prose:
        if line.endswith(":") and not named:
            head = line.rstrip(":")
            # Speech starts when the first sentence is synthesized: keep it short by ending it before
            # the "close to ..." clause, and say the titles in the next one.
            opening, close, liked = head.partition(", close to ")
            spoken.append(f"{opening}. They are close to {liked}: {listed}.{more}" if close
                          else f"{head}: {listed}.{more}")
            named = True
        else:
            spoken.append(line)
    if not named:
        spoken.append(f"{listed}.{more}")
    return " ".join(spoken)


_CARD_LINE = re.compile(r"^\s*\d+\.\s")


def collect(into: list[NDArray[np.float32]]) -> Speaker:
    """A speaker that keeps the audio instead of playing it (the CLI writes it to a file)."""

    def speak(chunks: Iterable[NDArray[np.float32]], sample_rate: int, cancel: CancelToken) -> None:
        for chunk in chunks:
            cancel.raise_if_cancelled("speaking")
            into.append(chunk)

    return speak


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)


__all__ = ["NO_SPEECH", "SPEECH_RATE", "NoSpeechError", "Speaker", "VoiceLoop", "VoiceTurn", "collect"]
