"""Listening: where an utterance starts and ends, the user's voice told from the app's own, text ahead of time.

Everything here is plain numpy on 30 ms blocks of 16 kHz mono, so it runs the same on a microphone, on a
recording fed block by block, and in tests:

- ``PlaybackTrace`` keeps what the app sent to the speaker, placed on the clock at which it plays;
- ``EchoGate`` tells the user's voice from the reply's echo: it subtracts the reply's own samples (at the
  delay and gain that explain the microphone best) and calls a block the user's only when what is left is
  louder than the echo that subtraction usually leaves;
- ``listen`` turns blocks into one utterance: it starts on voice (or at once for push-to-talk), ends on
  quiet, on release or at the recording limit, and transcribes the part before each pause while the user
  is still speaking, so at the end only the last part waits for the recogniser.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from app.domain.progress import CancelToken
from app.domain.voice import RECORDING_LIMIT_S, SPEECH_RATE, AudioBlock, Transcript
from app.ports import SpeechToText

BLOCK_S = 0.03  # 30 ms blocks: a level meter that moves, and speech found within a block
QUIET_DB = -90.0  # the level of digital silence
LEFTOVER_FLOOR_DB = -15.0  # the gate never assumes subtraction removes more of the echo than this

EndedBy = Literal["silence", "release", "limit", "stopped"]
# What primes the recogniser (names to spell right, what was said before), asked when it is first needed.
Primer = Callable[[], tuple[Sequence[str], str]]


def level_db(block: NDArray[np.floating[Any]]) -> float:
    """A block's loudness in dBFS (RMS), for the level meter and for telling speech from quiet."""
    rms = float(np.sqrt(np.mean(np.square(block, dtype=np.float64)))) if block.size else 0.0
    return float(20.0 * np.log10(max(rms, 1e-9)))


@dataclass(frozen=True)
class ListenOptions:
    """How an utterance is found; the defaults were chosen on Piper and microphone speech in a quiet room."""

    speech_db: float = -45.0  # a block louder than this (after echo removal) counts as voiced ...
    above_floor_db: float = 12.0  # ... and louder than the room's steady noise by this much
    start_s: float = 0.12  # this much voice within start_window_s starts a hands-free turn (or a barge-in)
    start_window_s: float = 0.21
    end_silence_s: float = 0.8  # this much quiet after speech ends the utterance ...
    # ... or this much once every word said is already text (the pause was transcribed ahead): a user who
    # goes on after it is heard as the next turn of the same conversation ("... and newer ones")
    read_silence_s: float = 0.6
    min_speech_s: float = 0.2  # less voice than this is a click or a cough, not a request
    pause_s: float = 0.25  # quiet after speech at which the words so far are transcribed ahead
    pre_roll_s: float = 0.3  # audio kept from before a hands-free start, so the first syllable is whole
    limit_s: float = RECORDING_LIMIT_S
    speculate: bool = True  # transcribe at pauses while the user speaks (off: all of it at the end)


class PlaybackTrace:
    """What the app played, on the monotonic clock at which it plays, resampled to 16 kHz for the echo gate.

    A chunk is written when the device takes it, so it plays from the later of its write time and the end
    of the chunk before it. The trace keeps the last few seconds; older audio cannot echo any more.
    """

    def __init__(self, keep_s: float = 4.0) -> None:
        self._lock = threading.Lock()
        self._keep = int(keep_s * SPEECH_RATE)
        self._samples = np.zeros(0, dtype=np.float32)
        self._end_at = 0.0  # the clock time at which the last kept sample plays

    def add(self, samples: NDArray[np.float32], sample_rate: int, at: float) -> None:
        """Note samples handed to the speaker at clock time at."""
        audio = to_speech_rate(np.asarray(samples, dtype=np.float32).reshape(-1), sample_rate)
        with self._lock:
            start = max(at, self._end_at)
            gap = round((start - self._end_at) * SPEECH_RATE) if self._samples.size else 0
            if gap >= self._keep or not self._samples.size:
                self._samples = np.zeros(0, dtype=np.float32)
            elif gap > 0:
                self._samples = np.concatenate([self._samples, np.zeros(gap, dtype=np.float32)])
            self._samples = np.concatenate([self._samples, audio])[-self._keep:]
            self._end_at = start + audio.size / SPEECH_RATE

    def window(self, end_at: float, length: int) -> NDArray[np.float32]:
        """The length samples that played up to clock time end_at (zeros where nothing played)."""
        with self._lock:
            out = np.zeros(length, dtype=np.float32)
            if not self._samples.size:
                return out
            # index of end_at within the kept samples (the last kept sample plays just before _end_at)
            stop = self._samples.size - round((self._end_at - end_at) * SPEECH_RATE)
            start = stop - length
            lo, hi = max(start, 0), min(stop, self._samples.size)
            if hi > lo:
                out[lo - start:hi - start] = self._samples[lo:hi]
            return out

    def active(self, end_at: float, within_s: float) -> bool:
        """Whether anything played in the within_s seconds before end_at (an echo may still be arriving)."""
        with self._lock:
            return bool(self._samples.size) and self._end_at > end_at - within_s


class NoiseFloor:
    """The room's steady noise level: it follows quieter blocks at once and louder ones slowly.

    Speech comes in bursts with gaps between words, so the quietest recent blocks are the room (a fan, a
    hum, a noisy microphone); a block counts as voice only when it stands clearly above them.
    """

    def __init__(self, start_db: float = -70.0, rise_db_per_s: float = 3.0) -> None:
        self.db = start_db
        self._rise = rise_db_per_s * BLOCK_S

    def update(self, level: float) -> float:
        """Take in a block's level (while nothing plays); the floor after it."""
        level = max(level, -100.0)  # digital silence says nothing about the room
        self.db = level if level < self.db else self.db + min(level - self.db, self._rise)
        return self.db


class EchoGate:
    """Tells the user's voice from the echo of the reply, against the reply's own samples.

    The echo the microphone hears is the reply delayed (by the device's buffers and the room) and
    scaled. For a window of the microphone the gate finds the delay and gain that explain it best and
    subtracts that copy; a room's reverberation leaves some echo behind, so the gate learns, while only
    the reply plays, how loud that leftover usually is against the reply, and takes a block as the
    user's only when the leftover is clearly louder than that. Loud speakers next to the microphone or
    a very echoey room leave more than this can tell apart: headphones always work.
    """

    def __init__(self, *, max_delay_s: float = 0.5, window_s: float = 0.12, margin_db: float = 8.0,
                 assumed_leftover_db: float = -10.0) -> None:
        self.max_delay = int(max_delay_s * SPEECH_RATE)
        self.window = int(window_s * SPEECH_RATE)
        self.margin_db = margin_db
        # Before it has heard the reply alone, the gate assumes subtraction leaves the echo 10 dB down.
        self.leftover_db = assumed_leftover_db

    def user_level(self, mic: NDArray[np.float32], reference: NDArray[np.float32]) -> float:
        """How loud the user is (dBFS) in the last window of mic, with the reply's echo taken out.

        mic: the last window_s of the microphone; reference: what played over the same stretch and
        max_delay_s before it (PlaybackTrace.window(now, window + max_delay)). Returns QUIET_DB when the
        microphone holds nothing but the echo.
        """
        ref_level = level_db(reference)
        if ref_level < -70.0:  # nothing played: whatever the microphone hears is not the reply
            return level_db(mic)
        residual, echo = self._subtract(mic, reference)
        # Judged over the whole window: on its newest block alone the verdict was quicker by a block or two,
        # but the start of every reply sentence (where the fit is least sure) then read as the user.
        left, echo_db = level_db(residual), level_db(echo)
        if echo_db < -70.0:
            return left
        excess = left - echo_db
        if excess < self.leftover_db + self.margin_db:
            # Only the reply is heard: learn how much of it subtraction leaves (slowly, and never from
            # a block loud enough to be the user talking). Never below LEFTOVER_FLOOR_DB: a clean stretch
            # (a steady vowel, a tone) subtracts almost perfectly, while the start and end of a sentence,
            # where the delay estimate is least sure, leave more; a gate tuned to the clean stretch would
            # take those edges for the user.
            self.leftover_db = max(0.9 * self.leftover_db + 0.1 * min(excess, 0.0), LEFTOVER_FLOOR_DB)
            return QUIET_DB
        return left

    def _subtract(self, mic: NDArray[np.float32], reference: NDArray[np.float32]) -> tuple[NDArray[np.float64],
                                                                                           NDArray[np.float64]]:
        """(the microphone minus the best-fitting delayed copy of the reference, that copy)."""
        m = mic.astype(np.float64)
        r = reference.astype(np.float64)
        n = m.size
        # Cross-correlation of m with every length-n slice of r, by FFT (a few hundred microseconds).
        size = 1 << int(np.ceil(np.log2(r.size + n)))
        corr = np.fft.irfft(np.fft.rfft(r, size) * np.conj(np.fft.rfft(m, size)), size)[: r.size - n + 1]
        energy = np.convolve(np.square(r), np.ones(n), mode="valid")
        score = np.where(energy > 1e-9, np.square(corr) / np.maximum(energy, 1e-9), 0.0)
        best = int(np.argmax(score))
        if energy[best] <= 1e-9:
            return m, np.zeros_like(m)
        copy = (corr[best] / energy[best]) * r[best:best + n]
        return m - copy, copy


@dataclass
class Heard:
    """One utterance: its samples, its words when they were transcribed ahead, and when the voice stopped."""

    samples: NDArray[np.float32]
    ended_by: EndedBy
    speech_ended_at: float  # clock time of the end of the last voiced block (the end of the input if none)
    transcript: Transcript | None = None  # set when every word was transcribed ahead (or after the end)
    voiced_s: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)


class _AheadTranscriber:
    """Transcribes an utterance piece by piece at its pauses; what was said before the last pause is text."""

    def __init__(self, stt: SpeechToText, primer: Primer, cancel: CancelToken | None) -> None:
        self._stt, self._primer, self._cancel = stt, primer, cancel
        self._primed: tuple[Sequence[str], str] | None = None
        self.cut = 0  # samples up to here are transcribed
        self.texts: list[str] = []
        self.busy_ms = 0.0

    def take(self, samples: NDArray[np.float32], upto: int) -> None:
        """Transcribe samples[cut:upto] (a stretch that ends in a pause) and move the cut there."""
        if upto - self.cut < int(0.3 * SPEECH_RATE):
            return
        self.texts.append(self._transcribe(samples[self.cut:upto]).text)
        self.cut = upto

    def finish(self, samples: NDArray[np.float32], voiced_upto: int) -> Transcript:
        """The whole utterance's transcript: the pieces so far and the rest after the last cut."""
        if voiced_upto > self.cut:
            self.texts.append(self._transcribe(samples[self.cut:]).text)
        text = " ".join(t for t in self.texts if t).strip()
        seconds = samples.size / SPEECH_RATE
        return Transcript(text=text, audio_seconds=seconds, speech_seconds=seconds if text else 0.0,
                          no_speech=not text)

    def _transcribe(self, piece: NDArray[np.float32]) -> Transcript:
        started = time.perf_counter()
        if self._primed is None:
            # Asked now, not when listening began: hands-free may have waited minutes, and the conversation
            # (its cards, its last request) moved on meanwhile.
            self._primed = self._primer()
        hints, prompt = self._primed
        # What was already heard is the recogniser's "earlier speech": the next piece continues it.
        earlier = " ".join([prompt, *self.texts]).strip()
        heard = self._stt.transcribe(piece, hints=hints, prompt=earlier, cancel=self._cancel)
        self.busy_ms += (time.perf_counter() - started) * 1000
        return heard


def listen(blocks: Iterable[AudioBlock], stt: SpeechToText | None = None, *, hands_free: bool,
           options: ListenOptions = ListenOptions(), release: threading.Event | None = None,
           trace: PlaybackTrace | None = None, gate: EchoGate | None = None, floor: NoiseFloor | None = None,
           primer: Primer = lambda: ((), ""), cancel: CancelToken | None = None,
           on_level: Callable[[float], None] = lambda db: None,
           on_speech_start: Callable[[], None] = lambda: None,
           on_speech_end: Callable[[], None] = lambda: None) -> Heard:
    """One utterance from a stream of microphone blocks.

    Push-to-talk (hands_free False) records from the first block until release is set, the user falls
    quiet after speaking, or the limit. Hands-free waits for voice (the user's, not the reply's echo:
    see EchoGate) and calls on_speech_start at once, which is where talking over the reply stops it;
    on_speech_end is called when the utterance is over and what is left of it goes to the recogniser.
    With stt given and options.speculate, the words before each pause are transcribed while the user
    is still speaking (primed with what primer returns when the first piece goes to the recogniser), and
    Heard.transcript holds the whole text at the end. Raises CancelledError when
    cancel is set.
    """
    gate = gate or EchoGate()
    floor = floor or NoiseFloor()
    start_blocks = max(1, round(options.start_s / BLOCK_S))
    window_blocks = max(start_blocks, round(options.start_window_s / BLOCK_S))
    pre_roll = int(options.pre_roll_s / BLOCK_S)
    recent: list[tuple[NDArray[np.float32], bool]] = []  # before a hands-free start: (block, voiced)
    taken: list[NDArray[np.float32]] = []
    taken_n = 0  # samples in taken
    started = not hands_free
    voiced_s = quiet_s = 0.0
    voiced_upto = 0  # samples of taken up to the end of the last voiced block
    speech_ended_at = 0.0
    paused_at = -1  # sample index of the pause already transcribed ahead
    ahead = _AheadTranscriber(stt, primer, cancel) if stt is not None else None
    mic_tail = np.zeros(0, dtype=np.float32)
    ended: EndedBy = "stopped"
    released_at: float | None = None
    for block in blocks:
        if cancel is not None:
            cancel.raise_if_cancelled("listening")
        if release is not None and released_at is None and release.is_set():
            released_at = time.monotonic()  # blocks captured before this still belong to the utterance
        if released_at is not None and block.at > released_at:
            ended = "release"
            break
        samples = block.samples
        mic_tail = np.concatenate([mic_tail, samples])[-gate.window:]
        loud, playing = _user_level(gate, trace, mic_tail, samples, block.at)
        heard_db = level_db(samples)
        on_level(heard_db)
        if not playing:
            floor.update(heard_db)
        voiced = loud > max(options.speech_db, floor.db + options.above_floor_db)
        if not started:
            recent = [*recent, (samples, voiced)][-max(pre_roll, window_blocks):]
            if sum(v for _, v in recent[-window_blocks:]) < start_blocks:
                continue
            started = True
            on_speech_start()
            taken = [b for b, _ in recent]
            taken_n = sum(b.size for b in taken)
            voiced_s = sum(v for _, v in recent[-window_blocks:]) * BLOCK_S
            voiced_upto = taken_n
            speech_ended_at = block.at
            recent = []
        else:
            taken.append(samples)
            taken_n += samples.size
            if voiced:
                voiced_s, quiet_s = voiced_s + BLOCK_S, 0.0
                voiced_upto = taken_n
                speech_ended_at = block.at
            else:
                quiet_s += BLOCK_S
        if taken_n >= options.limit_s * SPEECH_RATE:
            ended = "limit"
            break
        read_through = ahead is not None and ahead.cut >= voiced_upto and any(ahead.texts)
        if voiced_s >= options.min_speech_s and \
                quiet_s >= (options.read_silence_s if read_through else options.end_silence_s):
            ended = "silence"
            break
        if ahead is not None and options.speculate and voiced_s >= options.min_speech_s and \
                quiet_s >= options.pause_s and paused_at != voiced_upto:
            # A pause: the words so far become text now, while the user may still go on.
            paused_at = voiced_upto
            ahead.take(np.concatenate(taken), voiced_upto)
    if ended == "stopped" and release is not None and release.is_set():
        ended = "release"  # the capture ended because the button was let go
    audio = np.concatenate(taken) if taken else np.zeros(0, dtype=np.float32)
    heard = Heard(audio, ended, speech_ended_at or time.monotonic(), voiced_s=voiced_s)
    if voiced_s > 0.0:
        on_speech_end()
    if ahead is not None and voiced_s >= options.min_speech_s:
        finishing = time.perf_counter()
        heard.transcript = ahead.finish(audio, voiced_upto)
        heard.timings_ms = {"stt_after_end": round((time.perf_counter() - finishing) * 1000, 1),
                            "stt_total": round(ahead.busy_ms, 1), "stt_pieces": float(len(ahead.texts))}
    return heard


def _user_level(gate: EchoGate, trace: PlaybackTrace | None, mic_tail: NDArray[np.float32],
                block: NDArray[np.float32], at: float) -> tuple[float, bool]:
    """The level of the user's voice in the newest block (the echo gate's reading while a reply plays), and
    whether a reply is playing."""
    if trace is None or not trace.active(at, gate.max_delay / SPEECH_RATE + gate.window / SPEECH_RATE):
        return level_db(block), False
    reference = trace.window(at, mic_tail.size + gate.max_delay)
    return gate.user_level(mic_tail, reference), True


def to_speech_rate(samples: NDArray[np.float32], rate: int) -> NDArray[np.float32]:
    """samples at rate as 16 kHz (linear interpolation: enough to line an echo up or to warm a recogniser)."""
    if rate == SPEECH_RATE or not samples.size:
        return samples
    positions = np.arange(0, samples.size, rate / SPEECH_RATE)
    resampled: NDArray[np.float32] = np.interp(positions, np.arange(samples.size), samples).astype(np.float32)
    return resampled


__all__ = ["BLOCK_S", "EchoGate", "Heard", "ListenOptions", "NoiseFloor", "PlaybackTrace", "level_db", "listen",
           "to_speech_rate"]
