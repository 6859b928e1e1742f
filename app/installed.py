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


def chat_models(folders: list[Path]) -> list[Choice]:
    """The built-in assistant's models: automatic, each installed built-in model, chat GGUFs in the models folders."""
    from app.llm.builtin import installed_models
    from app.llm.llamacpp import chat_ggufs

    # in bootstrap's order of preference when nothing is dropped in; a dropped GGUF wins "automatic"
    choices: list[Choice] = [("Best installed (automatic)", "")]
    choices += [(model.label, model.key) for model in installed_models()]
    seen: set[Path] = set()
    for folder in folders:
        for path in chat_ggufs(folder):
            if path.resolve() not in seen:
                seen.add(path.resolve())
                choices.append((f"{path.name} (models folder)", str(path)))
    return choices


def embedded_chat_model(settings: Settings, folders: list[Path]) -> str | None:
    """The name of the model the built-in assistant would use, as bootstrap chooses it (nothing is joined or
    loaded); None when there is none."""
    from app.bootstrap import embedded_plan

    plan = embedded_plan(settings, folders)
    if not plan:
        return None
    first = plan[0]
    if isinstance(first, Path) and not first.is_file():
        return None
    return first.name


def chat_model_problem(value: str, folders: list[Path]) -> str | None:
    """Why value cannot be the built-in assistant's model setting (for the user), or None when it can."""
    from app.llm.builtin import builtin_model

    if not value or builtin_model(value) is not None:
        return None  # a built-in model that is not installed falls back to another, with a note
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = next((folder / path for folder in folders if (folder / path).is_file()), path)
    if not path.is_file():
        return "no such file"
    if path.suffix.lower() != ".gguf":
        return "not a GGUF model file (.gguf)"
    return None


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


def ollama_models(host: str, token: str = "", headers: str = "") -> list[str]:
    """The models installed on the Ollama server at host (a ChatModelError when it cannot be reached)."""
    from app.llm.ollama import OllamaChatModel

    model = OllamaChatModel("", host=host, timeout_s=5.0, token=token, headers=headers)
    try:
        return model.list_models()
    finally:
        model.close()


def ollama_is_up(host: str, token: str = "", headers: str = "") -> bool:
    """A quick probe of the Ollama server at host."""
    from app.llm.ollama import OllamaChatModel

    model = OllamaChatModel("", host=host, token=token, headers=headers)
    try:
        return model.is_up(0.5)
    finally:
        model.close()
