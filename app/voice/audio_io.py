"""Microphone and speaker through sounddevice (PortAudio): devices, capture block by block, playback.

The sounddevice module is passed in (it is the "device handle"), so tests drive this adapter with
a fake and never need hardware. Without PortAudio or without any device the adapter says so in a
message a user can act on, and the rest of the app (typing) keeps working.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Generator, Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.domain.errors import CancelledError, ChatRecError
from app.domain.progress import CancelToken
from app.domain.voice import SPEECH_RATE, AudioBlock, AudioDevice

log = logging.getLogger(__name__)

_BLOCK_S = 0.03  # 30 ms blocks: a level meter that moves, and the start and end of speech found within a block
_PIECE_S = 0.05  # playback is written 50 ms at a time: a stop (barge-in) lands within one piece


class AudioUnavailableError(ChatRecError):
    """No audio support or no device: speak-and-listen is off, typing still works."""


def load_sounddevice() -> Any:
    """The sounddevice module, or AudioUnavailableError saying what to install."""
    try:
        import sounddevice
    except OSError as exc:  # the module imports PortAudio when it loads
        raise AudioUnavailableError("audio is off: the PortAudio library is missing (Debian/Ubuntu: "
                                    "`sudo apt install libportaudio2`); you can still type") from exc
    except ImportError as exc:
        raise AudioUnavailableError("audio is off: the sounddevice package is missing; you can still type") from exc
    return sounddevice


def _abort(stream: Any) -> None:
    """Drop what the output stream still holds; a device already gone must not hide why playback ended."""
    try:
        stream.abort()
    except Exception as exc:  # the error already on its way out is the one that matters
        log.debug("could not abort the output stream: %s", exc)


class SoundDeviceAudio:
    """Capture and playback on the chosen devices (None: the system's defaults)."""

    def __init__(self, sd: Any | None = None, *, input_device: int | str | None = None,
                 output_device: int | str | None = None) -> None:
        self._sd = sd
        # a name (from the settings) is looked up when the device is first used: PortAudio may be absent
        self.input_device = input_device or None
        self.output_device = output_device or None
        self._playing = threading.Event()

    def _device(self, chosen: int | str | None, kind: str) -> int | None:
        """The index of a device chosen by name; AudioUnavailableError naming it when it is gone."""
        if not isinstance(chosen, str):
            return chosen
        channels = "inputs" if kind == "input" else "outputs"
        for device in self.devices():
            if device.name == chosen and getattr(device, channels) > 0:
                return device.index
        raise AudioUnavailableError(f"the {kind} device '{chosen}' is not connected: choose another in Settings")

    def _module(self) -> Any:
        if self._sd is None:
            self._sd = load_sounddevice()
        return self._sd

    def devices(self) -> list[AudioDevice]:
        """Every device PortAudio reports, for the settings screen."""
        found = self._module().query_devices()
        return [AudioDevice(i, str(d["name"]), int(d["max_input_channels"]), int(d["max_output_channels"]),
                            float(d["default_samplerate"])) for i, d in enumerate(found)]

    def require_input(self) -> None:
        """AudioUnavailableError unless some microphone exists."""
        if not any(d.inputs > 0 for d in self.devices()):
            raise AudioUnavailableError("no microphone found: plug one in or choose one in Settings; "
                                        "you can still type")

    def capture(self, stop: threading.Event) -> Generator[AudioBlock, None, None]:
        """30 ms blocks of 16 kHz mono from the microphone, each with its capture time, until stop is set.

        Blocks queue while the consumer is busy (transcribing a pause), so nothing said is lost; the
        stream closes when the consumer stops iterating or stop is set.
        """
        self.require_input()
        blocks: queue.Queue[AudioBlock] = queue.Queue()

        def callback(indata: Any, frames: int, time_info: Any, status: Any) -> None:  # PortAudio's thread
            blocks.put(AudioBlock(np.asarray(indata[:, 0], dtype=np.float32).copy(), time.monotonic()))

        sd = self._module()
        with sd.InputStream(samplerate=SPEECH_RATE, channels=1, dtype="float32", blocksize=int(SPEECH_RATE * _BLOCK_S),
                            device=self._device(self.input_device, "input"), callback=callback):
            while not stop.is_set():
                try:
                    yield blocks.get(timeout=0.1)
                except queue.Empty:
                    continue
            # What was captured before stop was set is still wanted (the last word before the button was let
            # go); what arrives after it is not.
            stopped_at = time.monotonic()
            while True:
                try:
                    late = blocks.get_nowait()
                except queue.Empty:
                    return
                if late.at <= stopped_at:
                    yield late

    def play(self, chunks: Iterable[NDArray[np.float32]], sample_rate: int, cancel: CancelToken) -> None:
        """Play chunks as they come (speech starts with the first sentence); stops at once when cancelled."""
        sd = self._module()
        self._playing.set()
        try:
            with sd.OutputStream(samplerate=sample_rate, channels=1, dtype="float32",
                                 device=self._device(self.output_device, "output")) as stream:
                try:
                    for chunk in chunks:
                        for start in range(0, chunk.size, int(sample_rate * _PIECE_S)):
                            if cancel.cancelled or not self._playing.is_set():
                                raise CancelledError("speaking")
                            stream.write(np.ascontiguousarray(chunk[start:start + int(sample_rate * _PIECE_S)]))
                except BaseException:
                    # Barge-in, or the reply's synthesis was cancelled between sentences (the chunks raise):
                    # drop what is queued instead of letting the stream drain it on close.
                    _abort(stream)
                    raise
        finally:
            self._playing.clear()

    def stop_playback(self) -> None:
        """Stop speaking now (the user started talking)."""
        self._playing.clear()
