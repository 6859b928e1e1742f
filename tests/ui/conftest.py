"""The desktop window on fakes: a small engine, scripted speech and a fake sound device."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.bootstrap import Engine, open_engine
from app.paths import AppPaths
from app.services.listening import ListenOptions
from app.services.voice import VoiceLoop
from app.ui.controller import SessionController, VoiceParts
from app.ui.jobs import Jobs
from app.ui.main_window import MainWindow
from app.voice.audio_io import SoundDeviceAudio
from tests.fakes.chat_model import FixedChatSource
from tests.fakes.embedder import FakeEmbedder
from tests.fakes.room import FakeRoom
from tests.fakes.sounddevice import FakeSoundDevice
from tests.fakes.speech import FakeSpeechToText
from tests.fakes.tts import FakeTextToSpeech
from tests.fakes.vector_store import InMemoryVectorStore
from tests.tiny_catalogue import tiny_catalogue


def speech_like(seconds: float = 1.5) -> np.ndarray:
    """Noise loud enough to count as talking (a pure tone would read as no speech)."""
    return (np.random.default_rng(7).standard_normal(int(16000 * seconds)) * 0.2).astype(np.float32)


@dataclass
class VoiceRig:
    """What a test scripts: what is 'heard', the microphone's signal, and how slow recognition is."""

    texts: tuple[str, ...] = ("recommend me something like Fargo",)
    signal: np.ndarray = field(default_factory=speech_like)
    inputs: int = 1
    stt_delay_s: float = 0.0
    sound: FakeSoundDevice | None = None
    room: FakeRoom | None = None  # when set, the microphone and speaker are this room's (real time, with echo)
    listen: ListenOptions = field(default_factory=ListenOptions)
    seconds_per_char: float = 0.06  # how long the fake voice takes to say each character of a reply

    def parts(self, engine: Engine, on_state: Callable[[str], None]) -> VoiceParts:
        stt = _SlowSpeech(self.stt_delay_s, *self.texts)
        self.sound = FakeSoundDevice(self.signal, inputs=self.inputs)
        loop = VoiceLoop(stt, FakeTextToSpeech(seconds_per_char=self.seconds_per_char), engine.conversation,
                         on_state, listen_options=self.listen)  # type: ignore[arg-type]
        return VoiceParts(loop, SoundDeviceAudio(self.room if self.room is not None else self.sound))


class _SlowSpeech(FakeSpeechToText):
    def __init__(self, delay_s: float, *texts: str) -> None:
        super().__init__(*texts)
        self._delay_s = delay_s

    def transcribe(self, samples, *, hints=(), prompt="", cancel=None):  # type: ignore[no-untyped-def]
        time.sleep(self._delay_s)  # stands in for a real model's work, off the GUI thread
        return super().transcribe(samples, hints=hints, prompt=prompt, cancel=cancel)


class GuiProbe:
    """A 10 ms timer on the GUI thread recording the gaps between its ticks: a blocked thread widens them."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.timeout.connect(self._tick)

    def __enter__(self) -> GuiProbe:
        self._last = time.perf_counter()
        self._timer.start(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    @property
    def longest(self) -> float:
        """The longest gap seen, in seconds."""
        return max(self.gaps, default=0.0)


def open_small_engine(paths: AppPaths) -> Engine:
    """An engine on fakes with the tiny catalogue, owned (and closed) by the window."""
    engine = open_engine(paths, embedder=FakeEmbedder(), vector_store=InMemoryVectorStore(),
                         sound_store=InMemoryVectorStore(), chat=FixedChatSource())
    engine.store.import_catalogue(tiny_catalogue())
    engine.index.rebuild()
    return engine


@pytest.fixture
def voice() -> VoiceRig:
    return VoiceRig()


@pytest.fixture
def window(qtbot: QtBot, paths: AppPaths, voice: VoiceRig) -> Iterator[MainWindow]:
    """The main window with its engine open and warmed up."""
    shown = open_window(qtbot, paths, voice)
    yield shown
    shown.close()


def open_window(qtbot: QtBot, paths: AppPaths, voice: VoiceRig | None, *,
                open_engine: Callable[[AppPaths], Engine] = open_small_engine) -> MainWindow:
    """A main window shown, its engine opened with open_engine and warmed up (voice None: a build without it)."""
    jobs = Jobs()
    controller = SessionController(paths, jobs, open_engine=open_engine,
                                   voice=voice.parts if voice is not None else None)
    shown = MainWindow(controller, jobs)
    qtbot.addWidget(shown)
    shown.show()
    with qtbot.waitSignal(controller.engine_ready, timeout=20000):
        controller.open()
    qtbot.waitUntil(lambda: not jobs.is_running("warm-up"), timeout=30000)
    return shown


@pytest.fixture(autouse=True)
def collect_qt_garbage(qapp: Any) -> Iterator[None]:
    """Free each test's widgets and jobs while the QApplication is alive, not during interpreter shutdown."""
    yield
    QThreadPool.globalInstance().waitForDone(5000)
    qapp.processEvents()
    gc.collect()
    qapp.processEvents()


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[QApplication]:
    """Restore the default look after a test changes the theme or the font."""
    palette, font, sheet = qapp.palette(), qapp.font(), qapp.styleSheet()
    yield qapp
    qapp.setPalette(palette)
    qapp.setFont(font)
    qapp.setStyleSheet(sheet)
