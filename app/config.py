"""Every setting declared once — its default, a one-line doc, the values it may take — read from and saved to TOML.

Validation (check_setting, validate_settings), the command line's choices (`chatrec ask --backend`,
`chatrec-desktop --theme`) and the Settings dialog's lists and tooltips are all derived from the
declarations in Settings, through SETTINGS.
"""

from __future__ import annotations

import math
import os
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from app.domain.errors import ChatRecError, InputError
from app.domain.remote import HEADERS_FORMAT, check_token, parse_headers, proxy_headers

_T = TypeVar("_T")


class Choice(NamedTuple):
    """One value a setting may take and what the user reads for it (a dialog's list entry, a CLI's option)."""

    label: str
    value: str


def setting(default: _T, doc: str, *, choices: tuple[Choice, ...] = (), minimum: float | None = None,
            folder: bool = False, check: Callable[[str], str | None] | None = None) -> _T:
    """Declare one field of Settings: its default, its doc, and what it may be (its choices in the order
    offered; the smallest number; a folder path; a check of the text)."""
    return field(default=default, metadata={"doc": doc, "choices": choices, "minimum": minimum, "folder": folder,
                                            "check": check})


def _headers_problem(text: str) -> str | None:
    try:
        parse_headers(text)
    except ValueError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class Settings:
    """User settings, each declared with its default and its doc (see SETTINGS)."""

    chroma_url: str = setting("", "A Chroma server for the search index (http://host:port); empty keeps it in "
                                  "the data folder")
    chroma_token: str = setting("", "A reverse proxy's token for the Chroma server, sent as 'Authorization: "
                                    "Bearer ...'; never logged", check=check_token)
    chroma_headers: str = setting("", f"Extra HTTP headers for the Chroma server: {HEADERS_FORMAT}",
                                  check=_headers_problem)
    embed_batch_size: int = setting(64, "Texts per embedding batch", minimum=1)
    embed_threads: int = setting(2, "Embedding batches run in parallel, one core each", minimum=1)
    default_k: int = setting(10, "How many recommendations a command lists when not told how many (--k)",
                             minimum=1)
    lock_timeout_s: float = setting(5.0, "Seconds a command waits for another Chat-Rec to release the data folder",
                                    minimum=0)
    music_excerpt_s: float = setting(30.0, "Seconds of each track analysed, from its middle", minimum=5)
    music_workers: int = setting(0, "Processes analysing music; 0 = one per core", minimum=0)
    llm_backend: str = setting("auto", "Which language model answers", choices=(
        Choice("Automatic: Ollama when it runs, else the built-in model", "auto"),
        Choice("Built-in model on this computer", "embedded"), Choice("Ollama server", "ollama")))
    ollama_host: str = setting("http://127.0.0.1:11434", "The Ollama server's address, for example "
                                                         "http://127.0.0.1:11434")
    ollama_model: str = setting("llama3.2:3b", "The Ollama model to chat with")
    ollama_token: str = setting("", "A reverse proxy's token for Ollama, sent as 'Authorization: Bearer ...'; "
                                    "empty for none; never logged", check=check_token)
    ollama_headers: str = setting("", f"Extra HTTP headers for Ollama's proxy: {HEADERS_FORMAT}",
                                  check=_headers_problem)
    llm_model_file: str = setting("", "The language model that runs on this computer: a built-in one "
                                      "(qwen2.5-0.5b, smollm2-135m) or a GGUF file in the models folder; empty = "
                                      "the best installed")
    llm_timeout_s: float = setting(30.0, "Seconds a model's answer may take before the turn goes on without it",
                                   minimum=1)
    llm_intent: bool = setting(True, "Let the model read requests too (merged with the rules' exact reading)")
    llm_rerank: str = setting("auto", "Whether the model re-orders the recommendations", choices=(
        Choice("Automatic: Ollama re-ranks; a built-in model only where it was measured to beat the ranker", "auto"),
        Choice("Always", "on"), Choice("Never", "off")))
    llm_replies: str = setting("auto", "Whether the model writes the reply (checked against the facts)", choices=(
        Choice("Automatic: Ollama writes it; with the built-in model the template does", "auto"),
        Choice("Always", "on"), Choice("Never", "off")))
    theme: str = setting("system", "The desktop app's look: light or dark, or as the system is set", choices=(
        Choice("Follow the system", "system"), Choice("Dark", "dark"), Choice("Light", "light")))
    input_device: str = setting("", "The microphone (its device name) for talking; empty = the system default")
    output_device: str = setting("", "The speaker (its device name) for spoken answers; empty = the system default")
    hands_free: bool = setting(False, "Talk without the button: speaking starts a turn, talking over the reply "
                                      "stops it")
    speech_model: str = setting("", "The Whisper model that turns your speech into text: tiny.en, base, or a "
                                    "CTranslate2 Whisper folder; empty = the best installed")
    voice_model: str = setting("", "The piper voice that reads answers aloud: a .onnx voice file (its .onnx.json "
                                   "beside it); empty = the bundled voice")
    data_dir: str = setting("", "Where the database and indexes live (a full path); empty = the platform's data "
                                "folder", folder=True)
    models_dir: str = setting("", "Where dropped-in models are looked for (a full path); empty = models/ beside "
                                  "the app", folder=True)


@dataclass(frozen=True)
class SettingSpec:
    """One setting as Settings declares it."""

    name: str
    kind: type  # bool, int, float or str
    default: object
    doc: str
    choices: tuple[Choice, ...] = ()  # in the order offered
    minimum: float | None = None  # the smallest value that makes sense
    folder: bool = False  # a folder path: a relative one would move with the working directory
    check: Callable[[str], str | None] | None = None  # why a text value is not valid, or None

    @property
    def values(self) -> tuple[str, ...]:
        """The values a setting with choices may take, in the order offered."""
        return tuple(choice.value for choice in self.choices)


# Every setting by name, in the order Settings declares them: the one place the others derive from.
SETTINGS: dict[str, SettingSpec] = {
    spec.name: SettingSpec(spec.name, type(spec.default), spec.default, **spec.metadata) for spec in fields(Settings)}


def setting_values(name: str) -> tuple[str, ...]:
    """The values a setting may take (its choices), in the order offered: for the CLI's and the dialog's lists."""
    return SETTINGS[name].values


def setting_choices(name: str) -> tuple[Choice, ...]:
    """A setting's choices (what the user reads, the value saved), in the order offered."""
    return SETTINGS[name].choices


def load_settings(path: Path) -> Settings:
    """Settings from a TOML file; defaults when it does not exist; errors name file and field."""
    if not path.exists():
        return Settings()
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(path)) from exc
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in SETTINGS:
            raise InputError(f"unknown setting; known ones: {', '.join(sorted(SETTINGS))}",
                             file=str(path), field=key)
        if SETTINGS[key].kind is float and isinstance(value, int) and not isinstance(value, bool):
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
    spec = SETTINGS[key]
    expected = spec.kind
    if not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
        return f"expected {expected.__name__}, got {type(value).__name__}"
    if isinstance(value, float) and math.isnan(value):
        return "must be a number, got nan"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and spec.minimum is not None \
            and value < spec.minimum:
        return f"must be at least {spec.minimum}, got {value}"
    if spec.choices and value not in spec.values:
        return f"must be one of {', '.join(spec.values)}, got {value!r}"
    if spec.folder and isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
        return f"must be a full folder path (or empty for the default), got {value!r}"
    if spec.check is not None and isinstance(value, str):
        return spec.check(value)  # a token's check never quotes the token
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
    for name in SETTINGS:
        problem = check_setting(name, getattr(settings, name))
        if problem is not None:
            raise InputError(problem, field=name)
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
