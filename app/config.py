"""Every setting declared once, with its default and a one-line doc; read from and saved to TOML."""

from __future__ import annotations

import math
import os
import tempfile
import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from app.domain.errors import ChatRecError, InputError
from app.domain.remote import check_token, parse_headers, proxy_headers


@dataclass(frozen=True)
class Settings:
    """User settings; each field's comment is its documentation."""

    chroma_url: str = ""  # a Chroma server (http://host:port); empty = the local folder
    chroma_token: str = ""  # a reverse proxy's token for the Chroma server, sent as "Authorization: Bearer ..."
    chroma_headers: str = ""  # extra HTTP headers for the Chroma server: "Name: value", one per line or ';'
    embed_batch_size: int = 64  # texts per embedding batch
    embed_threads: int = 2  # embedding batches run in parallel, one core each
    default_k: int = 10  # how many recommendations when not asked
    lock_timeout_s: float = 5.0  # how long a command waits for another Chat-Rec to release the data folder
    music_excerpt_s: float = 30.0  # seconds of each track analysed, from its middle
    music_workers: int = 0  # processes analysing music; 0 = one per core
    llm_backend: str = "auto"  # auto (Ollama when it runs and has the model, else embedded), ollama or embedded
    ollama_host: str = "http://127.0.0.1:11434"  # the Ollama server to use
    ollama_model: str = "llama3.2:3b"  # the Ollama model to chat with
    ollama_token: str = ""  # a reverse proxy's token for Ollama, sent as "Authorization: Bearer ..."; never logged
    ollama_headers: str = ""  # extra HTTP headers for Ollama: "Name: value", one per line or separated by ';'
    llm_model_file: str = ""  # built-in model: qwen2.5-0.5b, smollm2-135m or a .gguf file; empty = the best installed
    llm_timeout_s: float = 30.0  # how long a model answer may take before the turn goes on without it
    llm_intent: bool = True  # let the model read requests (merged with the rules' exact reading)
    llm_rerank: str = "auto"  # auto (Ollama re-ranks; embedded models only if measured to beat the ranker), on or off
    llm_replies: str = "auto"  # auto (Ollama writes the reply, checked; the built-in model leaves it to the template)
    theme: str = "system"  # the desktop app's look: system (follow the OS), dark or light
    input_device: str = ""  # the microphone's device name; empty = the system default
    output_device: str = ""  # the speaker's device name; empty = the system default
    hands_free: bool = False  # talk without the button: speaking starts a turn, talking over the reply stops it
    speech_model: str = ""  # tiny.en, base, or a Whisper (CTranslate2) folder; empty = the best installed
    voice_model: str = ""  # a piper .onnx voice file; empty = the bundled voice
    data_dir: str = ""  # where the database and indexes live (absolute); empty = the platform's data folder
    models_dir: str = ""  # where dropped-in models are looked for (absolute); empty = models/ beside the app


# the smallest value that makes sense for each numeric setting
_MINIMUM: dict[str, float] = {"embed_batch_size": 1, "embed_threads": 1, "default_k": 1, "lock_timeout_s": 0,
                              "music_excerpt_s": 5, "music_workers": 0, "llm_timeout_s": 1}
# settings that take one of a few words
_CHOICES: dict[str, tuple[str, ...]] = {"llm_backend": ("auto", "ollama", "embedded"),
                                        "llm_rerank": ("auto", "on", "off"),
                                        "llm_replies": ("auto", "on", "off"),
                                        "theme": ("system", "dark", "light")}
# folder settings: a relative folder would move with the working directory
_FOLDERS = ("data_dir", "models_dir")


def load_settings(path: Path) -> Settings:
    """Settings from a TOML file; defaults when it does not exist; errors name file and field."""
    if not path.exists():
        return Settings()
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(path)) from exc
    known = {f.name for f in fields(Settings)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise InputError(f"unknown setting; known ones: {', '.join(sorted(known))}",
                             file=str(path), field=key)
        expected = type(getattr(Settings(), key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        problem = check_setting(key, value)
        if problem is not None:
            raise InputError(problem, file=str(path), field=key)
        values[key] = value
    settings = replace(Settings(), **values)
    clash = _check_together(settings)
    if clash is not None:
        raise InputError(clash[1], file=str(path), field=clash[0])
    return settings


def check_setting(key: str, value: object) -> str | None:
    """Why value is not valid for setting key (written for the user), or None when it is."""
    expected = type(getattr(Settings(), key))
    if not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
        return f"expected {expected.__name__}, got {type(value).__name__}"
    if isinstance(value, float) and math.isnan(value):
        return "must be a number, got nan"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < _MINIMUM.get(key, value):
        return f"must be at least {_MINIMUM[key]}, got {value}"
    if key in _CHOICES and value not in _CHOICES[key]:
        return f"must be one of {', '.join(_CHOICES[key])}, got {value!r}"
    if key in _FOLDERS and isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
        return f"must be a full folder path (or empty for the default), got {value!r}"
    if key in ("ollama_headers", "chroma_headers") and isinstance(value, str):
        try:
            parse_headers(value)
        except ValueError as exc:
            return str(exc)
    if key in ("ollama_token", "chroma_token") and isinstance(value, str):
        return check_token(value)  # the message never quotes the token
    return None


def _check_together(settings: Settings) -> tuple[str, str] | None:
    """The field and the reason when two settings contradict each other, or None."""
    for server in ("ollama", "chroma"):
        try:  # what the adapters will send: the same check (a token beside an Authorization header)
            proxy_headers(getattr(settings, f"{server}_token"), getattr(settings, f"{server}_headers"), server)
        except InputError as exc:
            return exc.field or f"{server}_headers", exc.reason
    return None


def validate_settings(settings: Settings) -> None:
    """Raise an InputError naming the first field whose value is not valid."""
    for spec in fields(Settings):
        problem = check_setting(spec.name, getattr(settings, spec.name))
        if problem is not None:
            raise InputError(problem, field=spec.name)
    clash = _check_together(settings)
    if clash is not None:
        raise InputError(clash[1], field=clash[0])


def render_settings(settings: Settings) -> str:
    """The TOML text of the settings that differ from their defaults (loads back equal)."""
    validate_settings(settings)
    defaults = asdict(Settings())
    lines = ["# Chat-Rec settings, written by the app; a missing setting takes its default."]
    for key, value in asdict(settings).items():
        if value != defaults[key]:
            lines.append(f"{key} = {_toml_value(key, value)}")
    return "\n".join(lines) + "\n"


def save_settings(path: Path, settings: Settings) -> None:
    """Write the settings atomically (a temp file, then a rename): the old file stays whole on failure."""
    text = render_settings(settings)
    temp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=path.parent)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())  # the rename must never publish a file whose bytes are not on disk
        os.replace(temp, path)
        temp = None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ChatRecError(f"could not save the settings to {path} ({reason}); "
                           "the previous settings are unchanged") from exc
    finally:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)


def _toml_value(key: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)  # Python's shortest round-trip form is valid TOML (1e-05, 30.0)
    if isinstance(value, str):
        return _toml_string(key, value)
    raise InputError(f"cannot be saved: {type(value).__name__} is not a setting type", field=key)


def _toml_string(key: str, value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped; other text as UTF-8."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates from undecodable file names
        raise InputError("holds characters that cannot be saved as UTF-8", field=key) from exc
    out = ['"']
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}
