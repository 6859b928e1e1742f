"""The warm-up joins a built-in model shipped in parts off the GUI thread, showing the bytes as it goes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.bootstrap import Engine, chat_models, open_engine
from app.config import Settings
from app.paths import AppPaths
from app.ui.controller import WARMUP_JOB, SessionController
from app.ui.jobs import Jobs
from tests.fakes.builtin_models import install_fake_builtins
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.vector_store import InMemoryVectorStore
from tests.tiny_catalogue import tiny_catalogue


def test_the_warm_up_reports_the_bytes_of_the_model_it_joins(qtbot: QtBot, paths: AppPaths, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    fakes = install_fake_builtins(tmp_path, monkeypatch)
    joined_on: list[bool] = []

    def opened(paths: AppPaths) -> Engine:
        source = chat_models(Settings(), paths, backend="embedded")
        real = source.prepare  # type: ignore[attr-defined]

        def prepare(progress, cancel):  # type: ignore[no-untyped-def]
            joined_on.append(threading.current_thread() is threading.main_thread())
            return real(progress, cancel)

        source.prepare = prepare  # type: ignore[attr-defined]
        engine = open_engine(paths, embedder=FakeEmbedder(), vector_store=InMemoryVectorStore(),
                             sound_store=InMemoryVectorStore(), chat=source)
        engine.store.import_catalogue(tiny_catalogue())
        engine.index.rebuild()
        return engine

    jobs = Jobs()
    controller = SessionController(paths, jobs, open_engine=opened)
    reports: list[tuple[str, int, int, str]] = []
    controller.progress.connect(lambda *report: reports.append(report))
    with qtbot.waitSignal(controller.engine_ready, timeout=20000):
        controller.open()
    qtbot.waitUntil(lambda: not jobs.is_running(WARMUP_JOB), timeout=30000)
    size = fakes.qwen.size
    joining = [r for r in reports if "Qwen2.5 0.5B" in r[3]]
    assert joining and all(label == "Getting ready" and total == size for label, _d, total, _m in joining)
    assert joining[-1][1] == size
    assert joined_on == [False]  # on the warm-up's worker thread: the window stays responsive
    assert (paths.chat_models / fakes.qwen.filename).is_file()
    assert controller.engine is not None
    controller.engine.close()
