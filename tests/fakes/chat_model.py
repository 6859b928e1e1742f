"""A ChatModel that answers from a script: fast, deterministic unit tests of the services."""

from __future__ import annotations

import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.chat import Backend, ChatMessage, ChatReply, ToolCall, ToolSpec
from app.domain.errors import ChatModelError
from app.domain.progress import CancelToken

_PIECE = re.compile(r"\s*\S+|\s+")  # word-sized pieces, spaces kept, so they join back exactly


@dataclass(frozen=True)
class ChatRequest:
    """One call the fake received, kept for assertions."""

    messages: tuple[ChatMessage, ...]
    schema: Mapping[str, Any] | None
    tools: tuple[ToolSpec, ...]
    max_tokens: int
    temperature: float


Answer = str | ToolCall | ChatReply | Exception
Responder = Callable[[ChatRequest], Answer]


def answers_by_question(script: Mapping[str, Answer]) -> Responder:
    """A responder that looks the answer up by the last message (the question, or a tool's result).

    Scripted the way a test means it, never worked out from the prompt: a question the script does not
    hold is a bug in the test, like an exhausted queue.
    """

    def answer(request: ChatRequest) -> Answer:
        question = request.messages[-1].content
        if question not in script:
            raise AssertionError(f"no scripted answer to {question!r}; the script answers {sorted(script)}")
        return script[question]

    return answer


class ScriptedChatModel:
    """ChatModel port answering from a queue of scripted answers, then from a responder callable.

    An answer is text (streamed word by word to on_text), a ToolCall, a whole ChatReply, or an
    exception to raise (e.g. ChatModelTimeoutError to test a service's error path). With
    seconds_per_piece the text is written as slowly as a model would, a pause before each piece.
    """

    def __init__(self, answers: Iterable[Answer] = (), *, responder: Responder | None = None,
                 backend: Backend = "embedded", model_name: str = "scripted",
                 seconds_per_piece: float = 0.0) -> None:
        self._answers: deque[Answer] = deque(answers)
        self._responder = responder
        self._backend: Backend = backend
        self._model_name = model_name
        self.seconds_per_piece = seconds_per_piece
        self.requests: list[ChatRequest] = []

    @property
    def backend(self) -> Backend:
        """The backend this fake pretends to be."""
        return self._backend

    @property
    def model_name(self) -> str:
        """The name given at construction."""
        return self._model_name

    def add(self, *answers: Answer) -> None:
        """Queue more answers."""
        self._answers.extend(answers)

    def chat(self, messages: Sequence[ChatMessage], *, schema: Mapping[str, Any] | None = None,
             tools: Sequence[ToolSpec] = (), max_tokens: int = 512, temperature: float = 0.0,
             on_text: Callable[[str], None] | None = None, cancel: CancelToken | None = None) -> ChatReply:
        """The next scripted answer, streamed to on_text piece by piece, checking cancel between pieces."""
        started = time.monotonic()
        if not messages:
            raise ValueError("chat needs at least one message")
        if cancel is not None:
            cancel.raise_if_cancelled("the answer")
        request = ChatRequest(tuple(messages), schema, tuple(tools), max_tokens, temperature)
        self.requests.append(request)
        if self._answers:
            answer = self._answers.popleft()
        elif self._responder is not None:
            answer = self._responder(request)
        else:
            raise AssertionError("ScriptedChatModel has no answer left for this request")
        if isinstance(answer, Exception):
            raise answer
        prompt_tokens = sum(len(m.content.split()) + 1 for m in messages)
        if isinstance(answer, ChatReply):
            return answer
        if isinstance(answer, ToolCall):
            # Like a real model, a scripted tool call must name a tool the caller offered.
            if answer.name not in {t.name for t in tools}:
                raise AssertionError(f"scripted tool call {answer.name!r} but the request offered "
                                     f"{[t.name for t in tools]}")
            return ChatReply(content="", backend=self._backend, model=self._model_name, tool_calls=(answer,),
                             prompt_tokens=prompt_tokens, completion_tokens=1 + len(answer.arguments),
                             seconds=time.monotonic() - started)
        if schema is not None:
            try:
                json.loads(answer)
            except json.JSONDecodeError as exc:
                raise ChatModelError(f"scripted answer to a schema request is not JSON: {answer!r}") from exc
        pieces = _PIECE.findall(answer)
        for piece in pieces:
            if self.seconds_per_piece:
                time.sleep(self.seconds_per_piece)
            if cancel is not None:
                cancel.raise_if_cancelled("the answer")
            if on_text is not None:
                on_text(piece)
        if cancel is not None:
            cancel.raise_if_cancelled("the answer")
        return ChatReply(content=answer, backend=self._backend, model=self._model_name,
                         prompt_tokens=prompt_tokens, completion_tokens=len(pieces),
                         seconds=time.monotonic() - started)


class FixedChatSource:
    """A ChatModelSource that always gives the same model (None: no model at all), with fixed notes."""

    def __init__(self, model: Any = None, notes: tuple[str, ...] = ()) -> None:
        self.model = model
        self.notes = notes

    def get(self) -> tuple[Any, tuple[str, ...]]:
        """The model and the notes."""
        return self.model, self.notes
