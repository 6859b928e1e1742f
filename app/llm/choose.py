"""Which chat model a turn uses: Ollama when it answers and has the model, else the embedded one."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from app.config import setting_values
from app.domain.errors import ChatRecError
from app.domain.progress import CancelToken, ProgressCallback, no_progress
from app.ports import ChatModel, EmbeddedSource, OllamaProbe

log = logging.getLogger(__name__)
_RECHECK_S = 30.0  # a server started (or stopped) mid-session is noticed within this long


class ChatModelChooser:
    """A ChatModelSource: the backend the user chose, falling back to the embedded model with a note."""

    def __init__(self, backend: str, ollama: Callable[[], ChatModel], embedded: Callable[[], ChatModel | None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        """embedded makes the embedded model; when it is an EmbeddedSource, prepare reports its progress."""
        backends = setting_values("llm_backend")  # as the setting declares them
        if backend not in backends:
            raise ChatRecError(f"unknown language model backend {backend!r}: choose one of {', '.join(backends)}")
        self.backend = backend
        self._ollama_factory = ollama
        self._embedded_factory = embedded
        self._clock = clock
        self._lock = threading.Lock()
        self._ollama: ChatModel | None = None
        self._embedded: ChatModel | None = None
        self._checked: tuple[float, bool, str] | None = None  # when, whether Ollama was usable, why not

    def get(self) -> tuple[ChatModel | None, tuple[str, ...]]:
        """The model for this turn and, when it is not the one asked for, why."""
        return self.prepare()

    def prepare(self, progress: ProgressCallback = no_progress,
                cancel: CancelToken | None = None) -> tuple[ChatModel | None, tuple[str, ...]]:
        """As get, reporting progress while the embedded model is made ready (a warm-up calls this first)."""
        with self._lock:
            if self.backend != "embedded":
                usable, why_not = self._ollama_usable()
                if usable:
                    assert self._ollama is not None
                    return self._ollama, ()
                if self.backend == "ollama":
                    model = self._embedded_model(progress, cancel)
                    return model, (f"{why_not}; using the embedded model instead", *self._embedded_notes())
            return self._embedded_model(progress, cancel), self._embedded_notes()

    def _ollama_usable(self) -> tuple[bool, str]:
        now = self._clock()
        if self._checked is not None and now - self._checked[0] < _RECHECK_S:
            return self._checked[1], self._checked[2]
        if self._ollama is None:
            self._ollama = self._ollama_factory()
        probe = self._ollama
        usable, why_not = False, ""
        if not isinstance(probe, OllamaProbe):
            why_not = "the Ollama adapter cannot be probed"
        elif not probe.is_up():
            why_not = f"Ollama at {getattr(probe, 'host', '?')} is not running"
        elif not probe.has_model():
            name = getattr(probe, "model_name", "?")
            why_not = f"Ollama has no model '{name}' (install it with `ollama pull {name}`)"
        else:
            usable = True
        self._checked = (now, usable, why_not)
        if not usable:
            log.info("not using Ollama: %s", why_not)
        return usable, why_not

    def _embedded_model(self, progress: ProgressCallback, cancel: CancelToken | None) -> ChatModel | None:
        if self._embedded is None:
            factory = self._embedded_factory
            self._embedded = factory.prepare(progress, cancel) if isinstance(factory, EmbeddedSource) else factory()
        return self._embedded

    def _embedded_notes(self) -> tuple[str, ...]:
        factory = self._embedded_factory
        return factory.notes if isinstance(factory, EmbeddedSource) else ()
