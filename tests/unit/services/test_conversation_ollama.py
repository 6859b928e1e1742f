"""A conversation over the real Ollama adapter and real HTTP, against a server that misbehaves as
real ones do: every failure falls back to the embedded model or the ranker and says so."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from app.bootstrap import Engine
from app.llm.choose import ChatModelChooser
from app.llm.ollama import OllamaChatModel
from app.ports import ChatModel
from app.services.conversation import Conversation, ConversationOptions
from app.store.conversations import ConversationStore
from tests.fakes.chat_model import ChatRequest, ScriptedChatModel
from tests.fakes.ollama_server import FakeOllamaServer

VAGUE = "surprise me with a few good ones"  # nothing for the rules to ground: the model is asked


def answer(request: ChatRequest) -> str:
    """A well-behaved model: an intent for intent requests, the first candidates for re-ranking."""
    schema = json.dumps(request.schema)
    if "picks" not in schema:
        return json.dumps({"action": "recommend", "domain": "any", "about": "crime", "liked": [],
                           "disliked": [], "target": ""})
    ids = request.schema["properties"]["picks"]["items"]["properties"]["id"]["enum"]  # type: ignore[index]
    k = request.schema["properties"]["picks"]["minItems"]  # type: ignore[index]
    return json.dumps({"picks": [{"id": i, "reason": "picked by the model"} for i in ids[:k]]})


@pytest.fixture
def server() -> Iterator[FakeOllamaServer]:
    with FakeOllamaServer(ScriptedChatModel(responder=answer), models=["llama3.2:3b"]) as running:
        yield running


def conversation(engine: Engine, host: str, timeout_s: float = 5.0, backend: str = "auto") -> Conversation:
    embedded: ChatModel = ScriptedChatModel(responder=answer, backend="embedded", model_name="small")
    chooser = ChatModelChooser(backend, lambda: OllamaChatModel("llama3.2:3b", host=host, timeout_s=timeout_s),
                               lambda: embedded)
    return Conversation(engine.store, ConversationStore(engine.store), engine.recommendations, chooser,
                        ConversationOptions(rerank="auto", model_replies="off"))


def dead_host() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_a_working_ollama_reads_and_reranks(engine: Engine, server: FakeOllamaServer) -> None:
    result = conversation(engine, server.url).turn(VAGUE)
    assert result.backend == "ollama" and not result.fallbacks and len(result.items) == 5
    assert "picked by the model" in result.reply
    assert {"llm_intent", "llm_rerank"} <= set(result.timings_ms)


def test_ollama_down_falls_back_to_the_embedded_model(engine: Engine) -> None:
    result = conversation(engine, dead_host(), backend="ollama").turn(VAGUE)
    assert result.backend == "embedded" and result.items
    assert any("is not running" in note for note in result.fallbacks)


def test_ollama_slow_past_the_timeout_falls_back(engine: Engine, server: FakeOllamaServer) -> None:
    server.delay_s = 2.0
    result = conversation(engine, server.url, timeout_s=0.5).turn(VAGUE)
    assert result.items and any(note.startswith("intent: ") for note in result.fallbacks)
    assert any(note.startswith("re-ranking: ") for note in result.fallbacks)


@pytest.mark.parametrize("knob", ["invalid_json", "empty_message"])
def test_ollama_answering_nonsense_or_nothing_falls_back(engine: Engine, server: FakeOllamaServer, knob: str) -> None:
    setattr(server, knob, True)
    result = conversation(engine, server.url).turn(VAGUE)
    assert len(result.items) == 5 and all(r.item.id in result.candidates for r in result.items)
    assert any(note.startswith("intent: ") for note in result.fallbacks)
    assert any(note.startswith("re-ranking: ") for note in result.fallbacks)


def test_ollama_naming_unknown_ids_is_repaired(engine: Engine) -> None:
    def inventive(request: ChatRequest) -> str:
        if "picks" not in json.dumps(request.schema):
            return answer(request)
        return json.dumps({"picks": [{"id": "movie:titanic-1997", "reason": "made up"}] * 5})

    with FakeOllamaServer(ScriptedChatModel(responder=inventive), models=["llama3.2:3b"]) as server:
        result = conversation(engine, server.url).turn(VAGUE)
    assert len(result.items) == 5 and "movie:titanic-1997" not in {r.item.id for r in result.items}
    assert any("none of the model's picks" in note for note in result.fallbacks)
