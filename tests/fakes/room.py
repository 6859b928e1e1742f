"""A room with a speaker and a microphone, as a stand-in for the sounddevice module, in real time.

The microphone hears what the user says (recordings placed at times on the room's clock), the app's
own playback coming back from the speaker (delayed, quieter and smeared by the room's reflections),
and a quiet noise floor. The speaker plays what is written at real speed with a small device buffer,
so a write blocks like a real one, and the room notes when playback stopped. No hardware.
"""

from __future__ import annotations

import threading
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.services.listening import to_speech_rate
from tests.fakes.sounddevice import FeedingInput

RATE = 16000
# How soon after the user's voice a barge-in must stop the reply in tests. The target is 300 ms, and it is
# measured by `make bench` (bench/bench_barge_in.py); tests share loaded machines, so they check the
# behaviour (the reply stops, soon, and never before the user spoke) with room to spare.
STOPS_WITHIN_S = 0.6
SPEECH_DIR = Path(__file__).resolve().parents[1] / "data" / "speech"


def voice_onset(audio: NDArray[np.float32]) -> float:
    """Seconds into audio at which the voice starts: its first 10 ms louder than -40 dBFS (a lone click at
    a recording's first sample is not a voice)."""
    frame = RATE // 100
    frames = audio[: audio.size // frame * frame].reshape(-1, frame)
    loud = np.flatnonzero(np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1)) > 10 ** (-40 / 20))
    return float(loud[0] * frame) / RATE if loud.size else 0.0


def recording(name: str) -> NDArray[np.float32]:
    """A recorded utterance from tests/data/speech (16 kHz mono), as float samples."""
    with wave.open(str(SPEECH_DIR / f"{name}.wav"), "rb") as handle:
        frames = handle.readframes(handle.getnframes())
    return (np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32767.0).copy()


class FakeRoom:
    """query_devices, InputStream and OutputStream like sounddevice's, wired through a simulated room."""

    def __init__(self, *, echo_gain: float = 0.5, echo_delay_s: float = 0.07,
                 reflections: tuple[tuple[float, float], ...] = ((0.013, 0.3), (0.031, 0.15)),
                 noise_db: float = -65.0, device_buffer_s: float = 0.05) -> None:
        self.echo_gain = echo_gain
        self.echo_delay = int(echo_delay_s * RATE)
        self.reflections = tuple((int(d * RATE), g) for d, g in reflections)
        self.noise = 10 ** (noise_db / 20)
        self.device_buffer_s = device_buffer_s
        self._lock = threading.Lock()
        self._t0 = time.monotonic()
        self._speaker = np.zeros(0, dtype=np.float32)  # what the speaker plays, at 16 kHz from _t0
        self._user: list[tuple[int, NDArray[np.float32]]] = []  # (start sample on the room's clock, audio)
        self.playback_stopped_at: float | None = None  # room time (s) at which playback was cut short
        self.played_s = 0.0  # seconds of playback written
        self.open_inputs = 0  # microphone streams open now
        self.most_open_inputs = 0  # the most ever open at once (a real device may allow only one)
        self._rng = np.random.default_rng(7)

    # -- the room's clock ------------------------------------------------------------------------

    def now(self) -> float:
        """Seconds since the room was made."""
        return time.monotonic() - self._t0

    def say(self, audio: NDArray[np.float32], at: float, gain: float = 1.0) -> None:
        """The user speaks audio starting at room time at (seconds)."""
        with self._lock:
            self._user.append((int(at * RATE), (audio * gain).astype(np.float32)))

    def speaker_busy_until(self) -> float:
        """Room time at which what has been written so far ends playing."""
        with self._lock:
            return self._speaker.size / RATE

    # -- the sounddevice module's surface ---------------------------------------------------------

    def query_devices(self) -> list[dict[str, Any]]:
        """One microphone and one speaker."""
        return [{"name": "Room microphone", "max_input_channels": 1, "max_output_channels": 0,
                 "default_samplerate": 48000.0},
                {"name": "Room speaker", "max_input_channels": 0, "max_output_channels": 1,
                 "default_samplerate": 48000.0}]

    def InputStream(self, *, samplerate: int, channels: int, dtype: str, blocksize: int,
                    device: int | None, callback: Any) -> _Input:
        """The microphone: blocks of the room's sound at real pace."""
        return _Input(self, blocksize, callback)

    def OutputStream(self, *, samplerate: int, channels: int, dtype: str, device: int | None) -> _Output:
        """The speaker: writes play at real speed from when they are written."""
        return _Output(self, samplerate)

    # -- internals ---------------------------------------------------------------------------------

    def _write(self, data: NDArray[np.float32], rate: int) -> None:
        audio = np.asarray(data, dtype=np.float32).reshape(-1)
        audio = to_speech_rate(audio, rate)
        with self._lock:
            start = max(int(self.now() * RATE), self._speaker.size)
            pad = start - self._speaker.size
            self._speaker = np.concatenate([self._speaker, np.zeros(pad, dtype=np.float32), audio])
            self.played_s += audio.size / RATE
            busy_until = self._speaker.size / RATE
        # Like a device with a small buffer, the write returns when only that much is left to play.
        wait = busy_until - self.device_buffer_s - self.now()
        if wait > 0:
            time.sleep(wait)

    def _abort(self) -> None:
        with self._lock:
            cut = int(self.now() * RATE)
            if cut < self._speaker.size:
                self._speaker = self._speaker[:cut]  # queued audio is dropped, as PortAudio's abort does
            self.playback_stopped_at = self.now()

    def _mic(self, start: int, n: int) -> NDArray[np.float32]:
        """What the microphone hears over room samples [start, start + n)."""
        out = self.noise * self._rng.standard_normal(n).astype(np.float32)
        with self._lock:
            speaker = self._speaker
            users = list(self._user)
        for delay, gain in ((0, 1.0), *self.reflections):
            lag = self.echo_delay + delay
            lo, hi = start - lag, start - lag + n
            piece = speaker[max(lo, 0):max(min(hi, speaker.size), 0)]
            if piece.size:
                offset = max(lo, 0) - lo
                out[offset:offset + piece.size] += self.echo_gain * gain * piece
        for at, audio in users:
            lo, hi = max(start, at), min(start + n, at + audio.size)
            if hi > lo:
                out[lo - start:hi - start] += audio[lo - at:hi - at]
        return out


class _Input(FeedingInput):
    def __init__(self, room: FakeRoom, blocksize: int, callback: Any) -> None:
        super().__init__(blocksize, callback)
        self.room = room

    def __enter__(self) -> _Input:
        with self.room._lock:
            self.room.open_inputs += 1
            self.room.most_open_inputs = max(self.room.most_open_inputs, self.room.open_inputs)
        super().__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        with self.room._lock:
            self.room.open_inputs -= 1

    def _feed(self) -> None:
        position = int(self.room.now() * RATE)
        while not self._stop.is_set():
            # A block is delivered once it has been heard in full, as a sound card does.
            ready_at = (position + self.blocksize) / RATE
            wait = ready_at - self.room.now()
            if wait > 0:
                time.sleep(wait)
            block = self.room._mic(position, self.blocksize)
            self.callback(block.reshape(-1, 1), self.blocksize, None, None)
            position += self.blocksize


class _Output:
    def __init__(self, room: FakeRoom, rate: int) -> None:
        self.room, self.rate = room, rate

    def write(self, data: NDArray[np.float32]) -> None:
        self.room._write(data, self.rate)

    def abort(self) -> None:
        self.room._abort()

    def __enter__(self) -> _Output:
        return self

    def __exit__(self, *exc: object) -> None:
        return None
