"""What this machine has, found without loading anything: models on disk, audio devices, an Ollama server.

The settings screen and the first-run welcome ask here; like bootstrap, this is where adapter modules
may be imported (lazily), so the UI never imports an engine's adapter itself.
"""

from __future__ import annotations

from pathlib import Path

from app.config import Settings
from app.domain.errors import ModelMissingError
from app.domain.voice import AudioDevice
from app.paths import AppPaths, installed_package_dir

Choice = tuple[str, str]  # what the user reads, what is saved


def model_folders(settings: Settings, paths: AppPaths) -> list[Path]:
    """Where dropped-in models are looked for, in bootstrap's order."""
    from app.bootstrap import model_folders as searched

    return searched(settings, paths)


def speech_models(folders: list[Path]) -> list[Choice]:
    """Whisper models to hand: automatic, base when installed, CT2 folders dropped in, bundled tiny.en."""
    from app.voice.stt import BASE_PART1, BASE_PART2, default_model_dir, is_whisper_dir

    # in bootstrap's order of preference, so the first after "automatic" is the one it would use
    choices: list[Choice] = [("Best installed (automatic)", "")]
    if installed_package_dir(BASE_PART1[0]) is not None and installed_package_dir(BASE_PART2[0]) is not None:
        choices.append(("Whisper base (more accurate)", "base"))
    for folder in folders:
        if folder.is_dir():
            choices += [(f"{d.name} (models folder)", str(d)) for d in sorted(folder.iterdir())
                        if d.is_dir() and is_whisper_dir(d)]
    if default_model_dir() is not None:
        choices.append(("Whisper tiny.en (bundled, fastest)", "tiny.en"))
    return choices


def voices(folders: list[Path]) -> list[Choice]:
    """Piper voices: the bundled one and any .onnx voice (with its .onnx.json) in the models folders."""
    from app.voice.tts import default_voice

    bundled = "Joe, US English (bundled)" if default_voice() is not None else "Bundled voice (not installed)"
    choices: list[Choice] = [(bundled, "")]
    for folder in folders:
        if folder.is_dir():
            choices += [(f"{f.stem} (models folder)", str(f)) for f in sorted(folder.glob("*.onnx"))
                        if f.with_name(f.name + ".json").is_file()]
    return choices


def embedded_chat_model(settings: Settings, folders: list[Path]) -> Path | None:
    """The GGUF file the built-in assistant would load, as bootstrap chooses it; None when there is none."""
    from app.llm.llamacpp import default_gguf, find_gguf

    if settings.llm_model_file:
        chosen = Path(settings.llm_model_file).expanduser()
        return chosen if chosen.is_file() else None
    dropped = [f for f in folders if f.is_dir() and any(f.glob("*.gguf"))]
    return find_gguf(dropped[0]) if dropped else default_gguf()


def text_model_problem() -> str | None:
    """Why the text embedding model cannot load, or None when it is installed."""
    from app.embedding.minilm import default_model_path, default_tokenizer_path

    try:
        default_model_path()
        default_tokenizer_path()
    except ModelMissingError as exc:
        return str(exc)
    return None


def audio_devices() -> list[AudioDevice]:
    """The audio devices PortAudio reports (AudioUnavailableError without PortAudio)."""
    from app.voice.audio_io import SoundDeviceAudio

    return SoundDeviceAudio().devices()


def ollama_models(host: str) -> list[str]:
    """The models installed on the Ollama server at host (a ChatModelError when it cannot be reached)."""
    from app.llm.ollama import OllamaChatModel

    model = OllamaChatModel("", host=host, timeout_s=5.0)
    try:
        return model.list_models()
    finally:
        model.close()


def ollama_is_up(host: str) -> bool:
    """A quick probe of the Ollama server at host."""
    from app.llm.ollama import OllamaChatModel

    model = OllamaChatModel("", host=host)
    try:
        return model.is_up(0.5)
    finally:
        model.close()
