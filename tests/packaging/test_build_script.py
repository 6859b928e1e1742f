"""packaging/build.py's own logic: what it strips, what it refuses to ship, where each platform's files go."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))

import build  # noqa: E402


def _shared_library_with_debug_info(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    source = path.parent / "answer.c"
    source.write_text("int answer(void) { return 42; }\n")
    subprocess.run(["gcc", "-g", "-shared", "-fPIC", "-o", str(path), str(source)], check=True)
    source.unlink()
    return path


@pytest.mark.skipif(sys.platform != "linux" or shutil.which("gcc") is None, reason="ELF libraries: Linux")
def test_strips_the_apps_own_libraries_but_never_a_wheels_patched_ones(tmp_path: Path):
    own = _shared_library_with_debug_info(tmp_path / "_internal" / "xllamacpp" / "xllamacpp.abi3.so")
    vendored = _shared_library_with_debug_info(tmp_path / "_internal" / "numpy.libs" / "libscipy_openblas.so")
    hashed = _shared_library_with_debug_info(tmp_path / "_internal" / "libavcodec-5e6b81c2.so.62")
    sizes = {path: path.stat().st_size for path in (own, vendored, hashed)}
    saved = build.strip_debug_info(tmp_path)
    assert saved == sizes[own] - own.stat().st_size > 0
    assert vendored.stat().st_size == sizes[vendored] and hashed.stat().st_size == sizes[hashed]
    symbols = subprocess.run(["nm", "-D", str(own)], capture_output=True, text=True).stdout
    assert " T answer" in symbols  # what ctypes and Python load by name is still there


def _complete_build(tmp_path: Path) -> Path:
    app_dir = tmp_path / "chat-rec"
    internal = app_dir / "_internal"
    for name in ("QtCore.abi3.so", "QtGui.abi3.so", "QtWidgets.abi3.so"):
        (internal / "PySide6").mkdir(parents=True, exist_ok=True)
        (internal / "PySide6" / name).write_bytes(b"")
    for _source, folder in build.parts.model_files():
        (internal / folder).mkdir(parents=True, exist_ok=True)
    (internal / "chat-models").mkdir()
    (internal / "chat-models" / "model.gguf").write_bytes(b"")
    (internal / "licences").mkdir()
    for name in ("a", "b", "c", "d"):
        (internal / "licences" / f"{name}.txt").write_text("licence")
    return app_dir


def test_a_complete_build_has_no_problems(tmp_path: Path):
    assert build.check_contents(_complete_build(tmp_path)) == []


def test_a_second_qt_binding_an_unused_qt_module_or_a_missing_model_is_named(tmp_path: Path):
    app_dir = _complete_build(tmp_path)
    internal = app_dir / "_internal"
    (internal / "PyQt5").mkdir()
    (internal / "PySide6" / "QtNetwork.abi3.so").write_bytes(b"")
    shutil.rmtree(internal / "chat-models")
    problems = build.check_contents(app_dir)
    assert "PyQt5 was collected: add it to spec_parts.EXCLUDES" in problems
    assert "Qt modules the app does not use were collected: ['QtNetwork']" in problems
    assert "the built-in chat model is missing from chat-models/" in problems


def test_sizes_count_the_chat_model_apart_and_name_the_biggest_parts(tmp_path: Path):
    app_dir = _complete_build(tmp_path)
    (app_dir / "_internal" / "chat-models" / "model.gguf").write_bytes(b"x" * 3000)
    (app_dir / "_internal" / "PySide6" / "QtGui.abi3.so").write_bytes(b"x" * 1000)
    measured = build.sizes(app_dir)
    assert measured["chat_model_bytes"] == 3000
    assert measured["bytes_without_chat_model"] == measured["bytes_total"] - 3000
    assert list(measured["biggest_mb"])[:2] == ["chat-models", "PySide6"]


def test_the_self_test_runs_in_an_environment_as_bare_as_env_i(tmp_path: Path):
    env = build.clean_env(tmp_path / "home")
    assert (tmp_path / "home").is_dir()
    if sys.platform == "linux":
        assert set(env) == {"HOME", "PATH", "LANG", "QT_QPA_PLATFORM"}
        assert env["PATH"] == "/usr/bin:/bin"  # no virtual environment, no source tree
