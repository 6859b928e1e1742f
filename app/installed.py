"""What this machine has besides models, found without loading anything: audio devices and an Ollama server.

The settings screen and the first-run welcome ask here (and app.model_registry for the models); like
bootstrap, this is where adapter modules may be imported (lazily), so the UI never imports an engine's
adapter itself.
"""

from __future__ import annotations

from app.domain.voice import AudioDevice


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
