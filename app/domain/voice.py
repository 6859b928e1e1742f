"""What speech recognition heard, and the events a voice turn goes through."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SPEECH_RATE = 16_000  # Hz: what the recogniser takes, and what the microphone is asked for
VoiceState = Literal["idle", "listening", "transcribing", "thinking", "speaking"]


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
