"""Where the app keeps its data, cache, config and logs, and where its resources are."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.config import Settings

APP_NAME = "chat-rec"
HOME_VARIABLE = "CHATREC_HOME"


@dataclass(frozen=True)
class AppPaths:
    """The folders one running app uses; all derive from one root or the platform's dirs."""

    data: Path
    cache: Path
    config: Path
    logs: Path

    @property
    def database(self) -> Path:
        """The SQLite file: the source of truth."""
        return self.data / "chatrec.sqlite3"

    @property
    def chroma(self) -> Path:
        """The Chroma folder: a rebuildable index."""
        return self.data / "chroma"

    @property
    def chroma_audio(self) -> Path:
        """The sound index of music tracks (rebuildable from the database)."""
        return self.data / "chroma-audio"

    @property
    def exports(self) -> Path:
        """Where lists exported from a conversation go (the desktop app asks where instead)."""
        return self.data / "exports"

    @property
    def numba_cache(self) -> Path:
        """librosa's compiled numba code, kept so only the first music scan pays for compiling."""
        return self.cache / "numba"

    @property
    def lock(self) -> Path:
        """The lock file that keeps a second process out of the data dir."""
        return self.data / "chatrec.lock"

    @property
    def models_cache(self) -> Path:
        """Fitted recommender models: an index, rebuilt when missing."""
        return self.cache / "models"

    @property
    def chat_models(self) -> Path:
        """Built-in chat models joined from their split packages: rebuilt from the packages when missing."""
        return self.cache / "chat-models"

    @property
    def config_file(self) -> Path:
        """The user's settings file (TOML)."""
        return self.config / "settings.toml"

    def ensure(self) -> AppPaths:
        """Create every folder; return self."""
        for folder in (self.data, self.cache, self.config, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def app_paths(environ: dict[str, str] | None = None) -> AppPaths:
    """Paths under $CHATREC_HOME when set (tests, scripts), else the platform's user dirs."""
    env = os.environ if environ is None else environ
    home = env.get(HOME_VARIABLE)
    if home:
        root = Path(home).expanduser()
        return AppPaths(root / "data", root / "cache", root / "config", root / "logs")
    import platformdirs

    dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
    return AppPaths(Path(dirs.user_data_dir), Path(dirs.user_cache_dir),
                    Path(dirs.user_config_dir), Path(dirs.user_log_dir))


def resolve_paths(paths: AppPaths, settings: Settings, environ: Mapping[str, str] | None = None) -> AppPaths:
    """The paths with the data folder the settings name; $CHATREC_HOME (tests, scripts) wins over the setting."""
    # Only the data folder moves: the settings live in the config folder, so it cannot depend on them.
    env = os.environ if environ is None else environ
    if not settings.data_dir or env.get(HOME_VARIABLE):
        return paths
    return replace(paths, data=Path(settings.data_dir).expanduser())


def models_dir(override: str = "") -> Path:
    """The folder where a user drops a GGUF, Whisper or piper model: override when set, else models/ beside the app."""
    if override:
        return Path(override).expanduser()
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(sys.executable).resolve().parent / "models"
    return Path(__file__).resolve().parent.parent / "models"


def model_dirs(override: str = "") -> list[Path]:
    """The folders searched for dropped-in models, first match wins: override (when set), then models/."""
    builtin = models_dir()
    chosen = models_dir(override)
    return [builtin] if chosen == builtin else [chosen, builtin]


def resources_dir() -> Path:
    """The resources folder, in a source checkout or inside a frozen (PyInstaller) build."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def bundled_dir(name: str) -> Path | None:
    """A folder shipped inside a frozen (PyInstaller) build; None from a source checkout or when it is absent."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    folder = Path(frozen_root) / name if frozen_root else None
    return folder if folder is not None and folder.is_dir() else None


def installed_package_dir(module: str) -> Path | None:
    """Where an installed package's files are, found without importing it (model packages import slowly,
    and some import things they do not list); None when it is not installed."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))
