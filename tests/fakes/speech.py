"""A SpeechToText without a model: scripted words for any sound, nothing for silence."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from app.domain.progress import CancelToken
from app.domain.voice import SPEECH_RATE, Transcript

SILENCE_RMS = 0.01  # below this a recording counts as silence (a quiet room is about 0.003)


class FakeSpeechToText:
    """SpeechToText port for service tests: returns the next scripted text for each non-silent recording."""

    def __init__(self, *texts: str, speech_rms: float = SILENCE_RMS) -> None:
        self.loaded = False
        # With no script, every recording with sound gives "recommend me something like Fargo".
        self._script = list(texts) or ["recommend me something like Fargo"]
        self._next = 0
        self._speech_rms = speech_rms
        self.calls: list[tuple[int, tuple[str, ...]]] = []  # (sample count, hints) of each call
        self.prompts: list[str] = []  # the prompt of each call

    def load(self) -> None:
        self.loaded = True

    def transcribe(self, samples: NDArray[np.float32], *, hints: Sequence[str] = (), prompt: str = "",
                   cancel: CancelToken | None = None) -> Transcript:
        """The next scripted text (the last one repeats); silence or a pure tone gives no_speech."""
        if cancel is not None:
            cancel.raise_if_cancelled("speech recognition")
        audio = np.asarray(samples, dtype=np.float32).reshape(-1)
        self.calls.append((len(audio), tuple(hints)))
        self.prompts.append(prompt)
        seconds = len(audio) / SPEECH_RATE
        if len(audio) == 0 or float(np.sqrt(np.mean(np.square(audio)))) < self._speech_rms or _is_tone(audio):
            return Transcript(text="", audio_seconds=seconds, speech_seconds=0.0, no_speech=True)
        text = self._script[min(self._next, len(self._script) - 1)]
        self._next += 1
        return Transcript(text=text, audio_seconds=seconds, speech_seconds=seconds)


def _is_tone(audio: NDArray[np.float32]) -> bool:
    """A steady tone puts nearly all its energy in one frequency bin; speech spreads it out."""
    spectrum = np.abs(np.fft.rfft(audio[: SPEECH_RATE * 4])) ** 2
    total = float(spectrum.sum())
    if total == 0.0:
        return True
    peak = int(np.argmax(spectrum))
    return float(spectrum[max(0, peak - 3): peak + 4].sum()) / total > 0.5
