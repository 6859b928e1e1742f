"""The PyInstaller spec collects what the app loads by name: models, chromadb's parts, resources, licences.

PyInstaller follows imports by itself; what it cannot see is a file opened through a package folder or
a module named in a string. Building takes minutes (`make package`), so these checks read the spec's
lists against the app's own registry instead.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))

import spec_parts  # noqa: E402


@pytest.fixture(scope="module")
def bundled() -> dict[Path, str]:
    return {path.resolve(): folder for path, folder in spec_parts.model_files()}


def _where_bundled(path: Path, bundled: dict[Path, str]) -> str:
    assert path.resolve() in bundled, f"{path} is opened by the app but not bundled"
    return f"{bundled[path.resolve()]}/{path.name}"


def test_every_model_the_app_opens_is_bundled_under_its_package_folder(bundled):
    from app.embedding.minilm import MODEL_PACKAGE, TOKENIZER_PACKAGE, default_model_path, default_tokenizer_path
    from app.voice.stt import TINY_PACKAGE, default_model_dir
    from app.voice.tts import VOICE_PACKAGE, default_voice

    # installed_package_dir finds a package folder on the frozen app's path, so each file must sit at
    # <module>/<the same relative path> inside the app, as it does in site-packages.
    for (module, _pip, relative), path in ((MODEL_PACKAGE, default_model_path()),
                                           (TOKENIZER_PACKAGE, default_tokenizer_path())):
        assert _where_bundled(path, bundled) == f"{module}/{relative}"
    whisper = default_model_dir()
    assert whisper is not None
    for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
        assert _where_bundled(whisper / name, bundled) == f"{TINY_PACKAGE[0]}/{TINY_PACKAGE[2]}/{name}"
    voice = default_voice()
    assert voice is not None
    for path in voice:
        assert _where_bundled(path, bundled).startswith(f"{VOICE_PACKAGE[0]}/")


def test_the_bundle_leaves_out_model_files_the_app_never_reads(bundled):
    # the tokenizer's package also carries 90 MB of PyTorch weights
    assert not [path for path in bundled if path.suffix == ".safetensors"]
    assert sum(path.stat().st_size for path in bundled) < 200_000_000


def test_every_bundled_model_ships_with_its_licence():
    from app.llm.builtin import BUILTIN_MODELS

    licences = {path.name for path in (ROOT / "packaging" / "licences").glob("*.txt")}
    assert BUILTIN_MODELS[0].filename.startswith("qwen2.5-coder-0.5b-instruct")  # the one build.py ships
    for needed in ("qwen2.5-coder-0.5b-instruct.txt", "all-minilm-l6-v2.txt", "whisper-tiny.en.txt",
                   "piper-voice-joe.txt"):
        assert needed in licences
    assert "Apache License" in (ROOT / "packaging" / "licences" / "qwen2.5-coder-0.5b-instruct.txt").read_text()
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def _loads(module: str) -> bool:
    import importlib

    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _chromadb_string_classes() -> set[str]:
    import chromadb.config

    source = Path(chromadb.config.__file__).read_text(encoding="utf-8")
    tree = ast.parse(source)
    defaults: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "Settings":
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.value, ast.Constant) \
                        and isinstance(item.value.value, str) and re.fullmatch(r"chromadb(\.\w+)+\.[A-Z]\w+",
                                                                                item.value.value):
                    defaults.add(item.value.value.rsplit(".", 1)[0])
    return defaults


def test_chromadb_parts_named_in_its_settings_are_collected():
    modules = _chromadb_string_classes()
    # the Rust binding API, the SQLite system database, the segment manager, the executor, telemetry...
    assert {"chromadb.api.rust", "chromadb.db.impl.sqlite", "chromadb.telemetry.product.posthog"} <= modules
    collected = set(spec_parts.chromadb_hidden_imports())
    # parts of chromadb's older Python engine that cannot load here (hnswlib is not installed, or the
    # module is gone) cannot load in the app either; every one that loads must be collected
    loadable = {m for m in modules if not m.startswith(spec_parts.CHROMADB_SKIPPED) and _loads(m)}
    assert {"chromadb.api.rust", "chromadb.db.impl.sqlite"} <= loadable
    assert loadable - collected == set()
    assert "chromadb.api.fastapi" in collected  # the client for a Chroma server


def _third_party_imports() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
    return {name for name in names if not name.startswith("app")}


def test_nothing_the_app_imports_is_excluded():
    imported = _third_party_imports()
    excluded = [name for name in imported
                if any(name == ex or name.startswith(ex + ".") for ex in spec_parts.EXCLUDES)]
    assert excluded == []
    assert {"PySide6.QtWidgets", "chromadb", "faster_whisper", "piper", "xllamacpp"} <= imported | {
        n.split(".")[0] for n in imported}


def test_the_frozen_entry_point_calls_freeze_support_before_anything_else():
    entry = ast.parse((ROOT / "packaging" / "entry.py").read_text(encoding="utf-8"))
    imports = [node for node in entry.body if isinstance(node, ast.ImportFrom)]
    assert [(node.module, [a.name for a in node.names]) for node in imports] == [("app.__main__", ["run"])]
    main = ast.parse((ROOT / "app" / "__main__.py").read_text(encoding="utf-8"))
    run = next(node for node in main.body if isinstance(node, ast.FunctionDef) and node.name == "run")
    first = run.body[1] if isinstance(run.body[0], ast.Expr) and isinstance(run.body[0].value, ast.Constant) \
        else run.body[0]
    assert ast.unparse(first) == "multiprocessing.freeze_support()"


def test_the_resources_the_self_test_and_the_window_need_are_collected():
    sources = [Path(src) for src, dest in spec_parts.resource_files() if dest == "resources"]
    assert sources == [ROOT / "resources"]
    for needed in ("selftest/request.wav", "themes/app.qss", "samples/products.json"):
        assert (ROOT / "resources" / needed).is_file()


def test_the_spec_drops_the_c_plus_plus_runtime_and_leaves_stripping_to_the_build():
    spec = (ROOT / "packaging" / "chat-rec.spec").read_text(encoding="utf-8")
    assert '"libstdc++.so", "libgcc_s.so"' in spec
    assert "strip = False" in spec
    assert "NSMicrophoneUsageDescription" in spec
    assert 'module_collection_mode={"librosa": "py"}' in spec


def test_runtime_licences_cover_qt_and_every_dependency():
    distributions = spec_parts.runtime_distributions()
    assert {"pyside6-essentials", "chromadb", "numpy", "faster-whisper", "piper-tts"} <= distributions
    assert not {"pytest", "mypy", "ruff", "pyinstaller"} & distributions
    folders = {dest for _src, dest in spec_parts.python_licences()}
    assert "licences/python/chromadb" in folders
