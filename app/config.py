"""Every setting declared once, with its default and a one-line doc; read from TOML."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from app.domain.errors import InputError


@dataclass(frozen=True)
class Settings:
    """User settings; each field's comment is its documentation."""

    chroma_url: str = ""  # a Chroma server (http://host:port); empty = the local folder
    embed_batch_size: int = 64  # texts per embedding batch
    embed_threads: int = 2  # embedding batches run in parallel, one core each
    default_k: int = 10  # how many recommendations when not asked
    lock_timeout_s: float = 0.0  # how long to wait for another process to release the data dir
    music_excerpt_s: float = 30.0  # seconds of each track analysed, from its middle
    music_workers: int = 0  # processes analysing music; 0 = one per core
    llm_backend: str = "auto"  # auto (Ollama when it runs and has the model, else embedded), ollama or embedded
    ollama_host: str = "http://127.0.0.1:11434"  # the Ollama server to use
    ollama_model: str = "llama3.2:3b"  # the Ollama model to chat with
    llm_model_file: str = ""  # a GGUF file for the embedded model; empty = the one in models/, else SmolLM2
    llm_timeout_s: float = 30.0  # how long a model answer may take before the turn goes on without it
    llm_intent: bool = True  # let the model read requests (merged with the rules' exact reading)
    llm_rerank: str = "auto"  # auto (Ollama re-ranks, the small embedded model does not), on or off


# the smallest value that makes sense for each numeric setting
_MINIMUM: dict[str, float] = {"embed_batch_size": 1, "embed_threads": 1, "default_k": 1, "lock_timeout_s": 0,
                              "music_excerpt_s": 5, "music_workers": 0, "llm_timeout_s": 1}
# settings that take one of a few words
_CHOICES: dict[str, tuple[str, ...]] = {"llm_backend": ("auto", "ollama", "embedded"),
                                        "llm_rerank": ("auto", "on", "off")}


def load_settings(path: Path) -> Settings:
    """Settings from a TOML file; defaults when it does not exist; errors name file and field."""
    if not path.exists():
        return Settings()
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid TOML: {exc}", file=str(path)) from exc
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        spec = known.get(key)
        if spec is None:
            raise InputError(f"unknown setting; known ones: {', '.join(sorted(known))}",
                             file=str(path), field=key)
        expected = type(getattr(Settings(), key))
        if expected is float and isinstance(value, int):
            value = float(value)
        if not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
            raise InputError(f"expected {expected.__name__}, got {type(value).__name__}",
                             file=str(path), field=key)
        if expected in (int, float) and value < _MINIMUM.get(key, value):
            raise InputError(f"must be at least {_MINIMUM[key]}, got {value}", file=str(path), field=key)
        if key in _CHOICES and value not in _CHOICES[key]:
            raise InputError(f"must be one of {', '.join(_CHOICES[key])}, got {value!r}", file=str(path), field=key)
        values[key] = value
    return replace(Settings(), **values)
