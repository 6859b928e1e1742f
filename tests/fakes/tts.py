"""A TextToSpeech without a model: a tone per sentence, as long as the sentence, and a record of it."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from app.domain.progress import CancelToken
from app.voice.text import sentences, speakable


class FakeTextToSpeech:
    """TextToSpeech port for tests: 60 ms of a 440 Hz tone per character, one chunk per sentence."""

    def __init__(self, sample_rate: int = 16000, seconds_per_char: float = 0.06) -> None:
        self.loaded = False
        self._sample_rate = sample_rate
        self.seconds_per_char = seconds_per_char
        self.spoken: list[str] = []  # every sentence synthesised so far, as cleaned for speech
        self.calls = 0

    @property
    def sample_rate(self) -> int:
        """The rate of the samples synthesize yields."""
        return self._sample_rate

    def load(self) -> None:
        self.loaded = True

    def synthesize(self, text: str, *, cancel: CancelToken | None = None) -> Iterator[NDArray[np.float32]]:
        """Mono float samples in [-1, 1], one chunk per sentence, after cleaning the text for speech."""
        self.calls += 1
        return self._stream(sentences(speakable(text)), cancel)

    def _stream(self, parts: list[str], cancel: CancelToken | None) -> Iterator[NDArray[np.float32]]:
        for sentence in parts:
            if cancel is not None:
                cancel.raise_if_cancelled("speaking")
            self.spoken.append(sentence)
            n = max(1, round(len(sentence) * self.seconds_per_char * self._sample_rate))
            t = np.arange(n, dtype=np.float32) / self._sample_rate
            yield (0.5 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)
