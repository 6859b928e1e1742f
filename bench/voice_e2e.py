"""End of speech to the first reply audio, as one wall clock in one process.

A request's audio plays into the app's real listening path through the tests' fake sounddevice at the pace
a microphone delivers it (FakeSoundDevice, realtime=True, 30 ms blocks); the voice loop hears it, answers
and speaks through the real audio adapter into the fake speaker. Two clocks in this process, both
time.monotonic:

- the end of speech: when the input block that holds the request's last voiced sample is handed to the
  app (a voiced sample: its 30 ms block on the fake's grid is louder than -45 dBFS RMS; everything after
  it is silence, as the fake feeds zeros once the signal ends);
- the first reply audio: when the adapter writes the reply's first samples to the fake speaker.

first_audio = the second minus the first: every wait in between (the quiet that ends a hands-free
utterance, recognition, the turn, synthesis of the first sentence) is in it, none of it summed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.domain.voice import SPEECH_RATE
from tests.fakes.sounddevice import FakeSoundDevice

VOICED_DB = -45.0  # the level above which a block counts as voiced (the app's own default, ListenOptions)
BLOCK = int(0.03 * SPEECH_RATE)


def last_voiced_sample(signal: NDArray[np.float32], block: int = BLOCK, voiced_db: float = VOICED_DB) -> int:
    """The index of the last sample of the last voiced block of signal, on a grid of block samples from 0."""
    whole = signal[: signal.size // block * block].reshape(-1, block)
    levels = 20 * np.log10(np.maximum(np.sqrt(np.mean(np.square(whole, dtype=np.float64), axis=1)), 1e-9))
    voiced = np.flatnonzero(levels > voiced_db)
    if not voiced.size:
        raise ValueError("the signal has no voiced block")
    return int((voiced[-1] + 1) * block - 1)


class TimedSoundDevice(FakeSoundDevice):
    """The tests' fake sound device, real time, noting when speech ended and when the reply's first audio came.

    release (push-to-talk): set the moment the block with the last voiced sample is handed over, as if the
    user let go of the button exactly as they stopped talking.
    """

    def __init__(self, signal: NDArray[np.float32], release: threading.Event | None = None) -> None:
        super().__init__(signal, realtime=True)
        self.last_voiced = last_voiced_sample(signal)
        self.release = release
        self.speech_ended_at: float | None = None
        self.first_audio_at: float | None = None
        self.blocks = 0

    def InputStream(self, *, samplerate: int, channels: int, dtype: str, blocksize: int,
                    device: int | None, callback: Any) -> Any:
        """The fake's input stream, its callback wrapped to note the end of speech."""
        start = [0]

        def timed(indata: Any, frames: int, time_info: Any, status: Any) -> None:
            first, start[0] = start[0], start[0] + frames
            if first <= self.last_voiced < first + frames:
                self.speech_ended_at = time.monotonic()
            self.blocks += 1
            callback(indata, frames, time_info, status)
            if self.release is not None and self.speech_ended_at is not None:
                self.release.set()

        return super().InputStream(samplerate=samplerate, channels=channels, dtype=dtype, blocksize=blocksize,
                                   device=device, callback=timed)

    def OutputStream(self, *, samplerate: int, channels: int, dtype: str, device: int | None) -> Any:
        """The fake's output stream, noting its first write."""
        return _TimedOutput(self, super().OutputStream(samplerate=samplerate, channels=channels, dtype=dtype,
                                                       device=device))


class _TimedOutput:
    def __init__(self, owner: TimedSoundDevice, inner: Any) -> None:
        self.owner, self.inner = owner, inner

    def write(self, data: NDArray[np.float32]) -> None:
        if self.owner.first_audio_at is None and np.asarray(data).size:
            self.owner.first_audio_at = time.monotonic()
        self.inner.write(data)

    def abort(self) -> None:
        self.inner.abort()

    def __enter__(self) -> _TimedOutput:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


@dataclass(frozen=True)
class Clocked:
    """One spoken turn through the fake devices: the wall clock and what the app reported."""

    first_audio_ms: float
    app_first_audio_ms: float | None  # the voice loop's own timings_ms["first_audio"], for comparison
    heard: str
    timings_ms: dict[str, float]
    backend: str
    fallbacks: tuple[str, ...]
    intent: str
    cards: int
    input_blocks: int
    first_sentence: str  # the first sentence of the spoken reply: the one synthesized before any audio plays


def clocked_turn(loop: Any, signal: NDArray[np.float32], *, hands_free: bool, speculate: bool,
                 hints: Any, session_id: str | None = None) -> Clocked:
    """Play signal into the voice loop through the fake devices and time end of speech to first reply audio.

    The loop's own listening options (the app's), with speculative transcription on or off."""
    from app.services.voice import spoken_reply
    from app.voice.audio_io import SoundDeviceAudio
    from app.voice.text import sentences, speakable

    release = None if hands_free else threading.Event()
    device = TimedSoundDevice(signal, release)
    audio = SoundDeviceAudio(device)
    stop = threading.Event()
    blocks = audio.capture(stop)
    try:
        turn = loop.converse(blocks, audio.play, hands_free=hands_free, session_id=session_id, hints=hints,
                             release=release, options=replace(loop.listen_options, speculate=speculate))
    finally:
        stop.set()
        blocks.close()  # closes the input stream: the fake's feeding thread ends
    if device.speech_ended_at is None or device.first_audio_at is None:
        raise RuntimeError("the turn ended without the end of speech or without reply audio")
    timings = {k: float(v) for k, v in turn.timings_ms.items()}
    said = sentences(speakable(spoken_reply(turn.turn)))
    return Clocked(first_audio_ms=round((device.first_audio_at - device.speech_ended_at) * 1000, 1),
                   app_first_audio_ms=timings.get("first_audio"), heard=turn.transcript.text, timings_ms=timings,
                   backend=turn.turn.backend, fallbacks=tuple(turn.turn.fallbacks),
                   intent=turn.turn.intent.action, cards=len(turn.turn.items), input_blocks=device.blocks,
                   first_sentence=said[0] if said else "")


def model_ran(timings: dict[str, float]) -> bool:
    """Whether any language model stage ran in a turn (llm_intent, llm_rerank, llm_reply...)."""
    return any(name.startswith("llm_") for name in timings)


def side_by_side(loop: Any, requests: Sequence[tuple[str, NDArray[np.float32]]], kind: str, *, runs: int,
                 hands_free: bool, hints_for: Any, log: Any) -> dict[str, Any]:
    """runs turns per setting, speculative transcription on and off alternating, cycling over the requests."""
    settings = {"speculate_on": True, "speculate_off": False}
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in settings}
    for run in range(runs):
        text, signal = requests[run % len(requests)]
        # Alternate which setting goes first, so neither always follows the other.
        order = list(settings.items()) if run % 2 == 0 else list(reversed(settings.items()))
        for name, speculate in order:
            clocked = clocked_turn(loop, signal, hands_free=hands_free, speculate=speculate, hints=hints_for(None))
            ran = model_ran(clocked.timings_ms)
            out[name].append({"said": text, "heard": clocked.heard, "first_audio_ms": clocked.first_audio_ms,
                              "app_first_audio_ms": clocked.app_first_audio_ms,
                              "kind_held": ran if kind == "model" else not ran,
                              "llm_intent_ms": clocked.timings_ms.get("llm_intent"),
                              "stt_after_end_ms": clocked.timings_ms.get("stt_after_end"),
                              "stt_pieces": clocked.timings_ms.get("stt_pieces"),
                              "turn_ms": clocked.timings_ms.get("total"),
                              "tts_first_audio_ms": clocked.timings_ms.get("tts_first_audio"),
                              "spoken_first_sentence": clocked.first_sentence,
                              "intent": clocked.intent, "cards": clocked.cards, "backend": clocked.backend,
                              # the model's reading was used (not dropped at the intent budget or unusable)
                              "model_answer_used": ran and not any(f.startswith("intent:") for f in clocked.fallbacks),
                              "fallbacks": list(clocked.fallbacks)})
            log(f"  {kind} {'hands-free' if hands_free else 'push-to-talk'} {name}: {clocked.first_audio_ms:.0f} ms"
                f" (app {clocked.app_first_audio_ms}), heard {clocked.heard!r}")
    return {name: summary(rows) for name, rows in out.items()}


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The median wall clock over the runs (and over the runs whose kind held), with every run kept."""
    import statistics

    held = [r["first_audio_ms"] for r in rows if r["kind_held"]]
    return {"first_audio_ms_median": round(statistics.median(r["first_audio_ms"] for r in rows), 1),
            "first_audio_ms_median_kind_held": round(statistics.median(held), 1) if held else None,
            "first_audio_ms_min": min(r["first_audio_ms"] for r in rows),
            "first_audio_ms_max": max(r["first_audio_ms"] for r in rows),
            "runs": len(rows), "kind_held": sum(r["kind_held"] for r in rows),
            "model_answer_used": sum(r["model_answer_used"] for r in rows), "turns": rows}
