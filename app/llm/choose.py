"""Which chat model a turn uses: Ollama when it answers and has the model, else the embedded one."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from app.domain.errors import ChatRecError
from app.ports import ChatModel

log = logging.getLogger(__name__)
BACKENDS = ("auto", "ollama", "embedded")
_RECHECK_S = 30.0  # a server started (or stopped) mid-session is noticed within this long


@runtime_checkable
class OllamaProbe(Protocol):
    """What the chooser needs of the Ollama adapter besides chatting."""

    def is_up(self, timeout_s: float = 0.5) -> bool:
        """True when the server answers."""
        ...

    def has_model(self) -> bool:
        """True when the configured model is installed there."""
        ...


class ChatModelChooser:
    """A ChatModelSource: the backend the user chose, falling back to the embedded model with a note."""

    def __init__(self, backend: str, ollama: Callable[[], ChatModel], embedded: Callable[[], ChatModel | None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        if backend not in BACKENDS:
            raise ChatRecError(f"unknown language model backend {backend!r}: choose one of {', '.join(BACKENDS)}")
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
        with self._lock:
            if self.backend != "embedded":
                usable, why_not = self._ollama_usable()
                if usable:
                    assert self._ollama is not None
                    return self._ollama, ()
                if self.backend == "ollama":
                    return self._embedded_model(), (f"{why_not}; using the embedded model instead",)
            return self._embedded_model(), ()

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

    def _embedded_model(self) -> ChatModel | None:
        if self._embedded is None:
            self._embedded = self._embedded_factory()
        return self._embedded
