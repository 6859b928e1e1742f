"""A stand-in for the sounddevice module: devices, an input stream fed from a signal, an output sink."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray


class FakeSoundDevice:
    """query_devices, InputStream and OutputStream like sounddevice's, with no hardware."""

    def __init__(self, signal: NDArray[np.float32] | None = None, *, inputs: int = 1, outputs: int = 1,
                 realtime: bool = False) -> None:
        self.signal = np.zeros(0, dtype=np.float32) if signal is None else signal
        self.inputs = inputs
        self.outputs = outputs
        self.realtime = realtime  # feed blocks at the pace a microphone would
        self.played: list[NDArray[np.float32]] = []
        self.aborted = False

    def query_devices(self) -> list[dict[str, Any]]:
        """One microphone and one speaker (or none, as configured)."""
        devices = []
        if self.inputs:
            devices.append({"name": "Fake microphone", "max_input_channels": self.inputs,
                            "max_output_channels": 0, "default_samplerate": 48000.0})
        if self.outputs:
            devices.append({"name": "Fake speaker", "max_input_channels": 0,
                            "max_output_channels": self.outputs, "default_samplerate": 48000.0})
        return devices

    def InputStream(self, *, samplerate: int, channels: int, dtype: str, blocksize: int,
                    device: int | None, callback: Any) -> _Input:
        """A stream that calls callback with the signal, block by block, then silence."""
        return _Input(self, blocksize, callback)

    def OutputStream(self, *, samplerate: int, channels: int, dtype: str, device: int | None) -> _Output:
        """A stream whose writes are kept in played."""
        return _Output(self)


class FeedingInput:
    """An input stream whose thread calls callback with blocks from _feed until the stream is closed."""

    def __init__(self, blocksize: int, callback: Any) -> None:
        self.blocksize, self.callback = blocksize, callback
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._feed, daemon=True)

    def _feed(self) -> None:
        raise NotImplementedError  # each fake says where its blocks come from

    def __enter__(self) -> FeedingInput:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class _Input(FeedingInput):
    def __init__(self, owner: FakeSoundDevice, blocksize: int, callback: Any) -> None:
        super().__init__(blocksize, callback)
        self.owner = owner

    def _feed(self) -> None:
        signal, start = self.owner.signal, 0
        while not self._stop.is_set():
            block = signal[start:start + self.blocksize]
            if block.size < self.blocksize:  # after the signal: a quiet room
                block = np.concatenate([block, np.zeros(self.blocksize - block.size, dtype=np.float32)])
            self.callback(block.reshape(-1, 1), self.blocksize, None, None)
            start += self.blocksize
            if self.owner.realtime:
                time.sleep(self.blocksize / 16000)
            elif start > signal.size + 16000 * 60:
                return


class _Output:
    def __init__(self, owner: FakeSoundDevice) -> None:
        self.owner = owner

    def write(self, data: NDArray[np.float32]) -> None:
        self.owner.played.append(np.asarray(data, dtype=np.float32).copy())

    def abort(self) -> None:
        self.owner.aborted = True

    def __enter__(self) -> _Output:
        return self

    def __exit__(self, *exc: object) -> None:
        return None
