"""A ChatModel that writes slowly, a piece at a time, checking cancel between pieces like the real adapters."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from app.domain.chat import Backend, ChatMessage, ChatReply, ToolSpec
from app.domain.progress import CancelToken

_PIECE = re.compile(r"\s*\S+|\s+")


class SlowChatModel:
    """Streams text word by word with a pause before each word (and before the first, like a prompt read)."""

    def __init__(self, text: str, *, seconds_per_piece: float, first_piece_after_s: float = 0.0,
                 backend: Backend = "embedded") -> None:
        self.text = text
        self.seconds_per_piece = seconds_per_piece
        self.first_piece_after_s = first_piece_after_s
        self._backend: Backend = backend
        self.calls = 0
        self.pieces_sent = 0

    @property
    def backend(self) -> Backend:
        """The backend this fake pretends to be."""
        return self._backend

    @property
    def model_name(self) -> str:
        """A fixed name."""
        return "slow"

    def chat(self, messages: Sequence[ChatMessage], *, schema: Mapping[str, Any] | None = None,
             tools: Sequence[ToolSpec] = (), max_tokens: int = 512, temperature: float = 0.0,
             on_text: Callable[[str], None] | None = None, cancel: CancelToken | None = None) -> ChatReply:
        """The text, a piece every seconds_per_piece; CancelledError at the first check after cancel."""
        started = time.monotonic()
        self.calls += 1
        time.sleep(self.first_piece_after_s)
        pieces = _PIECE.findall(self.text)[:max_tokens]
        for piece in pieces:
            time.sleep(self.seconds_per_piece)
            if cancel is not None:
                cancel.raise_if_cancelled("the answer")
            self.pieces_sent += 1
            if on_text is not None:
                on_text(piece)
        return ChatReply("".join(pieces), self._backend, "slow", completion_tokens=len(pieces),
                         seconds=time.monotonic() - started)
