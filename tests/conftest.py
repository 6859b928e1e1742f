"""Shared fixtures: an isolated data dir per test and a small engine on fakes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.bootstrap import Engine, open_engine
from app.paths import AppPaths, app_paths
from tests.fakes.chat_model import FixedChatSource
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.grouplens_server import Files, serving
from tests.fakes.vector_store import InMemoryVectorStore
from tests.tiny_catalogue import tiny_catalogue


def pytest_configure(config: pytest.Config) -> None:
    """Share one numba cache across the run, before anything imports librosa."""
    # librosa's numba code compiles once (30-48 s) into this cache and loads in seconds afterwards;
    # every test, worker process and CLI subprocess shares it instead of compiling per data folder.
    os.environ.setdefault("NUMBA_CACHE_DIR", str(Path.home() / ".cache" / "chatrec-test-numba"))
    # the built-in Qwen model is joined from its six parts (491 MB) once for every test and CLI subprocess,
    # not once per test's data folder
    os.environ.setdefault("CHATREC_MODEL_CACHE", str(Path.home() / ".cache" / "chatrec-test-models"))
    # Qt draws into memory: tests need no display, and screenshots still work
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own CHATREC_HOME, so nothing touches the real user's data."""
    home = tmp_path / "chatrec-home"
    monkeypatch.setenv("CHATREC_HOME", str(home))
    return home


@pytest.fixture
def paths(isolated_home: Path) -> AppPaths:
    return app_paths({"CHATREC_HOME": str(isolated_home)})


@pytest.fixture
def engine(paths: AppPaths) -> Iterator[Engine]:
    """A wired engine on the fake embedder and vector store, with the tiny catalogue imported."""
    built = open_engine(paths, embedder=FakeEmbedder(), vector_store=InMemoryVectorStore(),
                        sound_store=InMemoryVectorStore(), chat=FixedChatSource())
    built.store.import_catalogue(tiny_catalogue())
    built.index.rebuild()
    yield built
    built.close()


@pytest.fixture
def grouplens() -> Iterator[tuple[str, Files]]:
    """A local stand-in for GroupLens's file server: its base URL and what it serves."""
    with serving() as served:
        yield served
