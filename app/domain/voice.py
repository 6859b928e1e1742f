"""What speech recognition heard, and the events a voice turn goes through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

SPEECH_RATE = 16_000  # Hz: what the recogniser takes, and what the microphone is asked for
VoiceState = Literal["idle", "listening", "transcribing", "thinking", "speaking"]
# One limit for every recording, microphone and file alike: a request is a sentence or two; a minute
# of speech is a dictated letter, which Whisper would take ten seconds to read and the rules could not use.
RECORDING_LIMIT_S = 60.0


@dataclass(frozen=True)
class SpeechHints:
    """What the conversation expects to hear next, to prime the recogniser.

    words: names and words to spell right (titles on screen, list names, genres, numbers), most likely
    first; prompt: the user's last request, given to Whisper as what was said before.
    """

    words: tuple[str, ...] = ()
    prompt: str = ""


@dataclass(frozen=True)
class Transcript:
    """The words heard in a recording; no_speech when there were none (then text is empty)."""

    text: str
    audio_seconds: float  # length of the recording
    speech_seconds: float  # of it, what voice activity detection kept
    no_speech: bool = False
    language: str = "en"


@dataclass(frozen=True)
class AudioDevice:
    """An input or output device the user can choose."""

    index: int
    name: str
    inputs: int
    outputs: int
    default_rate: float


@dataclass(frozen=True)
class AudioBlock:
    """A block of 16 kHz mono microphone samples and the monotonic clock time at which it was captured."""

    samples: NDArray[np.float32]
    at: float
