"""The Ollama adapter over real HTTP, against FakeOllamaServer answering from a scripted model."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from app.domain.chat import ChatMessage, ToolCall, ToolSpec
from app.domain.errors import CancelledError, ChatModelTimeoutError, ChatModelUnavailableError
from app.domain.progress import CancelToken
from app.llm.ollama import OllamaChatModel
from app.ports import ChatModel
from tests.fakes.chat_model import ScriptedChatModel
from tests.fakes.ollama_server import FakeOllamaServer

MODEL = "smollm2:135m"
HELLO = [ChatMessage("system", "Be brief."), ChatMessage("user", "Say hello.")]
SCHEMA: dict[str, Any] = {"type": "object", "properties": {"genre": {"type": "string"}}, "required": ["genre"]}
TOOLS = (ToolSpec("recommend", "Recommend movies of a genre",
                  {"type": "object", "properties": {"genre": {"type": "string", "enum": ["comedy", "drama"]}},
                   "required": ["genre"]}),)
LONG = "word " * 200


@pytest.fixture
def scripted() -> ScriptedChatModel:
    return ScriptedChatModel(responder=lambda _request: "Hello there, how are you?")


@pytest.fixture
def server(scripted: ScriptedChatModel) -> Iterator[FakeOllamaServer]:
    with FakeOllamaServer(scripted, models=[MODEL, "llama3.2"]) as running:
        yield running


@pytest.fixture
def adapter(server: FakeOllamaServer) -> Iterator[OllamaChatModel]:
    model = OllamaChatModel(MODEL, host=server.url, timeout_s=5.0)
    yield model
    model.close()


def dead_url() -> str:
    """An address where nothing listens: a port the OS just gave out and took back."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def last_chat_body(server: FakeOllamaServer) -> dict[str, Any]:
    body = server.chat_requests[-1].body
    assert isinstance(body, dict)
    return body


# -- replies --------------------------------------------------------------------------------------


def test_implements_the_port(adapter: OllamaChatModel) -> None:
    assert isinstance(adapter, ChatModel)
    assert adapter.backend == "ollama"
    assert adapter.model_name == MODEL


def test_non_streamed_reply(adapter: OllamaChatModel, server: FakeOllamaServer) -> None:
    reply = adapter.chat(HELLO, max_tokens=40, temperature=0.3)
    assert reply.content == "Hello there, how are you?"
    assert (reply.backend, reply.model, reply.tool_calls) == ("ollama", MODEL, ())
    assert reply.seconds > 0
    body = last_chat_body(server)
    assert body["stream"] is False
    assert body["model"] == MODEL
    assert body["options"] == {"temperature": 0.3, "num_predict": 40}
    assert body["think"] is False
    assert body["messages"] == [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello."}]
    assert "format" not in body
    assert not body.get("tools")


def test_token_counts_come_from_prompt_eval_count_and_eval_count(adapter: OllamaChatModel,
                                                                 scripted: ScriptedChatModel) -> None:
    scripted.add("one two three")
    reply = adapter.chat(HELLO)
    # ScriptedChatModel counts words + 1 per message for the prompt and one per piece for the reply.
    assert reply.prompt_tokens == (2 + 1) + (2 + 1)
    assert reply.completion_tokens == 3


def test_streamed_reply_forwards_pieces(adapter: OllamaChatModel, server: FakeOllamaServer) -> None:
    pieces: list[str] = []
    reply = adapter.chat(HELLO, on_text=pieces.append)
    assert len(pieces) > 1
    assert "".join(pieces) == reply.content == "Hello there, how are you?"
    assert reply.completion_tokens == len(pieces)
    assert last_chat_body(server)["stream"] is True


def test_schema_is_sent_as_format(adapter: OllamaChatModel, server: FakeOllamaServer,
                                  scripted: ScriptedChatModel) -> None:
    scripted.add('{"genre": "comedy"}')
    reply = adapter.chat(HELLO, schema=SCHEMA)
    assert json.loads(reply.content) == {"genre": "comedy"}
    assert last_chat_body(server)["format"] == SCHEMA
    assert scripted.requests[-1].schema == SCHEMA  # the server understood it as Ollama would


def test_json_mode_format_is_understood_by_the_fake(server: FakeOllamaServer, scripted: ScriptedChatModel) -> None:
    import ollama

    scripted.add('{"ok": true}')
    reply = ollama.Client(host=server.url).chat(MODEL, messages=[{"role": "user", "content": "hi"}], format="json")
    assert reply.message.content == '{"ok": true}'
    assert scripted.requests[-1].schema == {"type": "object"}


@pytest.mark.parametrize("streamed", [False, True])
def test_tools_become_tool_calls(adapter: OllamaChatModel, server: FakeOllamaServer,
                                 scripted: ScriptedChatModel, streamed: bool) -> None:
    scripted.add(ToolCall("recommend", {"genre": "comedy"}))
    pieces: list[str] = []
    reply = adapter.chat(HELLO, tools=TOOLS, on_text=pieces.append if streamed else None)
    assert reply.tool_calls == (ToolCall("recommend", {"genre": "comedy"}),)
    assert reply.content == "" and pieces == []
    assert last_chat_body(server)["tools"] == [{
        "type": "function",
        "function": {"name": "recommend", "description": "Recommend movies of a genre",
                     "parameters": TOOLS[0].parameters}}]
    assert scripted.requests[-1].tools == TOOLS


def test_tool_results_go_back_as_role_tool(adapter: OllamaChatModel, server: FakeOllamaServer,
                                           scripted: ScriptedChatModel) -> None:
    messages = [*HELLO, ChatMessage("assistant", "", tool_calls=(ToolCall("recommend", {"genre": "comedy"}),)),
                ChatMessage("tool", "Toy Story (1995)", tool_name="recommend")]
    adapter.chat(messages)
    sent = last_chat_body(server)["messages"]
    assert sent[2] == {"role": "assistant",
                       "tool_calls": [{"function": {"name": "recommend", "arguments": {"genre": "comedy"}}}]}
    assert sent[3] == {"role": "tool", "content": "Toy Story (1995)", "tool_name": "recommend"}
    assert scripted.requests[-1].messages == tuple(messages)  # and the round trip loses nothing


def test_explicit_host_wins_over_ollama_host(server: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", dead_url())
    assert OllamaChatModel(MODEL, host=server.url).chat(HELLO).content


def test_an_injected_client_is_used(server: FakeOllamaServer) -> None:
    import ollama

    adapter = OllamaChatModel(MODEL, host="http://unused.invalid:1", client=ollama.Client(host=server.url))
    assert adapter.chat(HELLO).content
    assert adapter.list_models() == [MODEL, "llama3.2:latest"]


def test_invalid_json_for_a_schema_is_passed_on_verbatim(adapter: OllamaChatModel, server: FakeOllamaServer,
                                                         scripted: ScriptedChatModel) -> None:
    # Checking the JSON is the parser's job (llm/parse.py): the adapter must not hide what came back.
    scripted.add('{"genre": "comedy"}')
    server.invalid_json = True
    assert adapter.chat(HELLO, schema=SCHEMA).content == '{"reply": "cut short'


def test_empty_message_gives_empty_content(adapter: OllamaChatModel, server: FakeOllamaServer) -> None:
    server.empty_message = True
    pieces: list[str] = []
    reply = adapter.chat(HELLO, on_text=pieces.append)
    assert (reply.content, reply.tool_calls, pieces) == ("", (), [])


# -- models and probes ----------------------------------------------------------------------------


def test_list_models_and_has_model(adapter: OllamaChatModel, server: FakeOllamaServer) -> None:
    assert adapter.list_models() == [MODEL, "llama3.2:latest"]
    assert adapter.has_model()
    assert OllamaChatModel("llama3.2", host=server.url).has_model()  # "name" is "name:latest"
    assert OllamaChatModel("llama3.2:latest", host=server.url).has_model()
    assert not OllamaChatModel("llama3.2:3b", host=server.url).has_model()
    assert not OllamaChatModel("qwen3", host=server.url).has_model()


def test_is_up(adapter: OllamaChatModel) -> None:
    assert adapter.is_up()


def test_is_up_is_fast_when_nothing_listens() -> None:
    started = time.monotonic()
    assert not OllamaChatModel(MODEL, host=dead_url()).is_up()
    assert time.monotonic() - started < 1.0


def test_is_up_is_false_when_the_server_stalls(server: FakeOllamaServer) -> None:
    # A listening socket that never answers (a hung process) must not hang the backend choice.
    with socket.socket() as stalled:
        stalled.bind(("127.0.0.1", 0))
        stalled.listen()
        started = time.monotonic()
        assert not OllamaChatModel(MODEL, host=f"http://127.0.0.1:{stalled.getsockname()[1]}").is_up(0.2)
        assert time.monotonic() - started < 1.0


def test_supports_tools_reads_capabilities(scripted: ScriptedChatModel) -> None:
    with FakeOllamaServer(scripted, models=[MODEL], capabilities=["completion", "tools"]) as yes, \
            FakeOllamaServer(scripted, models=[MODEL], capabilities=["completion"]) as no:
        assert OllamaChatModel(MODEL, host=yes.url).supports_tools()
        assert not OllamaChatModel(MODEL, host=no.url).supports_tools()
        assert no.requests[-1].body == {"model": MODEL}


def test_supports_tools_without_capabilities_reads_the_template(scripted: ScriptedChatModel) -> None:
    with FakeOllamaServer(scripted, models=[MODEL], capabilities=None) as old:
        assert not OllamaChatModel(MODEL, host=old.url).supports_tools()


# -- failures -------------------------------------------------------------------------------------


def test_down_is_unavailable_with_how_to_start_it() -> None:
    url = dead_url()
    with pytest.raises(ChatModelUnavailableError, match=r"is not running: start it with `ollama serve`") as err:
        OllamaChatModel(MODEL, host=url).chat(HELLO)
    assert url in str(err.value)
    assert "embedded model" in str(err.value)
    with pytest.raises(ChatModelUnavailableError, match="ollama serve"):
        OllamaChatModel(MODEL, host=url).chat(HELLO, on_text=lambda _p: None)
    with pytest.raises(ChatModelUnavailableError, match="ollama serve"):
        OllamaChatModel(MODEL, host=url).list_models()


@pytest.mark.parametrize("streamed", [False, True])
def test_slow_past_the_timeout(server: FakeOllamaServer, streamed: bool) -> None:
    server.delay_s = 5.0
    adapter = OllamaChatModel(MODEL, host=server.url, timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(ChatModelTimeoutError, match=r"did not answer within 0.3 s") as err:
        adapter.chat(HELLO, on_text=(lambda _p: None) if streamed else None)
    assert time.monotonic() - started < 2.0
    assert server.url in str(err.value) and "timeout" in str(err.value)


def test_stalling_between_chunks_times_out(server: FakeOllamaServer, scripted: ScriptedChatModel) -> None:
    scripted.add(LONG)
    server.chunk_delay_s = 2.0
    pieces: list[str] = []
    with pytest.raises(ChatModelTimeoutError):
        OllamaChatModel(MODEL, host=server.url, timeout_s=0.3).chat(HELLO, on_text=pieces.append)
    assert pieces == ["word"]


@pytest.mark.parametrize("streamed", [False, True])
def test_missing_model_says_how_to_pull_it(server: FakeOllamaServer, streamed: bool) -> None:
    adapter = OllamaChatModel("qwen3:4b", host=server.url)
    with pytest.raises(ChatModelUnavailableError,
                       match=r"model 'qwen3:4b' is not installed in Ollama at .*: run `ollama pull qwen3:4b`"):
        adapter.chat(HELLO, on_text=(lambda _p: None) if streamed else None)
    with pytest.raises(ChatModelUnavailableError, match="ollama pull qwen3:4b"):
        adapter.supports_tools()


@pytest.mark.parametrize("streamed", [False, True])
def test_server_error_is_unavailable(adapter: OllamaChatModel, server: FakeOllamaServer, streamed: bool) -> None:
    server.fail_status = 500
    with pytest.raises(ChatModelUnavailableError, match=r"HTTP 500: an error was encountered while running") as err:
        adapter.chat(HELLO, on_text=(lambda _p: None) if streamed else None)
    assert "ollama serve" in str(err.value)


def test_connection_cut_mid_stream(adapter: OllamaChatModel, server: FakeOllamaServer,
                                   scripted: ScriptedChatModel) -> None:
    scripted.add(LONG)
    server.cut_after_chunks = 3
    pieces: list[str] = []
    with pytest.raises(ChatModelUnavailableError, match="was cut during the reply"):
        adapter.chat(HELLO, on_text=pieces.append)
    assert len(pieces) == 3


def test_connection_cut_before_the_reply(adapter: OllamaChatModel, server: FakeOllamaServer) -> None:
    server.cut_after_chunks = 0
    with pytest.raises(ChatModelUnavailableError, match=str(server.url)):
        adapter.chat(HELLO, on_text=lambda _p: None)


def test_error_line_mid_stream(adapter: OllamaChatModel, server: FakeOllamaServer,
                               scripted: ScriptedChatModel) -> None:
    scripted.add(LONG)
    server.error_after_chunks = 2
    with pytest.raises(ChatModelUnavailableError, match=r"stopped the reply .*: an error was encountered"):
        adapter.chat(HELLO, on_text=lambda _p: None)


def test_model_error_behind_the_server_is_unavailable(adapter: OllamaChatModel, scripted: ScriptedChatModel) -> None:
    scripted.add(ChatModelTimeoutError("the model took too long"), ChatModelTimeoutError("the model took too long"))
    with pytest.raises(ChatModelUnavailableError, match="HTTP 500: the model took too long"):
        adapter.chat(HELLO)
    with pytest.raises(ChatModelUnavailableError, match=r"stopped the reply .*: the model took too long"):
        adapter.chat(HELLO, on_text=lambda _p: None)


def test_a_server_that_is_not_ollama(server: FakeOllamaServer) -> None:
    import ollama

    # Ollama's API under another path prefix: every /api route answers 404 "page not found".
    adapter = OllamaChatModel(MODEL, host=server.url, client=ollama.Client(host=server.url + "/elsewhere"))
    with pytest.raises(ChatModelUnavailableError, match="is this address an Ollama server"):
        adapter.chat(HELLO)


# -- cancel and callbacks -------------------------------------------------------------------------


def test_cancel_before_start_sends_nothing(adapter: OllamaChatModel, server: FakeOllamaServer) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        adapter.chat(HELLO, cancel=token, on_text=lambda _p: None)
    assert server.chat_requests == []


def test_cancel_mid_stream_closes_the_connection(adapter: OllamaChatModel, server: FakeOllamaServer,
                                                 scripted: ScriptedChatModel) -> None:
    scripted.add(LONG)
    server.chunk_delay_s = 0.01
    token = CancelToken()
    pieces: list[str] = []

    def cancel_at_third(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 3:
            token.cancel()

    with pytest.raises(CancelledError):
        adapter.chat(HELLO, on_text=cancel_at_third, cancel=token)
    assert len(pieces) == 3
    deadline = time.monotonic() + 3.0
    while server.disconnects == 0 and time.monotonic() < deadline:  # the server notices at its next write
        time.sleep(0.02)
    assert server.disconnects == 1
    assert adapter.chat(HELLO).content  # and the adapter works at once afterwards


def test_cancel_during_a_blocking_call_discards_the_reply() -> None:
    token = CancelToken()

    def answer_and_cancel(_request: Any) -> str:
        token.cancel()  # the user cancels while the server is still generating
        return "too late"

    with FakeOllamaServer(ScriptedChatModel(responder=answer_and_cancel), models=[MODEL]) as server, \
            pytest.raises(CancelledError):
        OllamaChatModel(MODEL, host=server.url).chat(HELLO, cancel=token)


class StallingOllama:
    """A socket server that takes an /api/chat request and then sends nothing more, as Ollama does while it
    loads a model or reads a long prompt; with headers_first, a 200 NDJSON stream's headers come first (a slow
    first token). It notes when the client hangs up, which is what makes a real Ollama stop generating."""

    def __init__(self, *, headers_first: bool) -> None:
        self.headers_first = headers_first
        self.requests = 0
        self.hung_up_at: float | None = None
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> StallingOllama:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def _serve(self) -> None:
        try:
            conn, _address = self._listener.accept()
        except OSError:
            return  # closed before any client came
        with conn:
            received = b""
            while b"\r\n\r\n" not in received:
                received += conn.recv(65536)
            self.requests += 1
            if self.headers_first:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n")
            conn.settimeout(20)
            try:
                while conn.recv(65536):  # the rest of the body; then nothing until the client hangs up
                    pass
            except OSError:
                pass
            self.hung_up_at = time.monotonic()


class TimedCancel(CancelToken):
    """A cancel token that notes when it was cancelled."""

    cancelled_at: float | None = None

    def cancel(self) -> None:
        self.cancelled_at = time.monotonic()
        super().cancel()


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
@pytest.mark.parametrize("headers_first", [False, True], ids=["no-headers", "headers-then-nothing"])
def test_a_cancel_stops_a_stalled_call_within_half_a_second_and_hangs_up(streamed: bool,
                                                                         headers_first: bool) -> None:
    token = TimedCancel()
    with StallingOllama(headers_first=headers_first) as stalling:
        adapter = OllamaChatModel(MODEL, host=stalling.url, timeout_s=30.0)
        threading.Timer(0.2, token.cancel).start()
        with pytest.raises(CancelledError, match="the reply was cancelled"):
            adapter.chat(HELLO, cancel=token, on_text=(lambda _p: None) if streamed else None)
        raised_at = time.monotonic()
        assert token.cancelled_at is not None and stalling.requests == 1
        assert raised_at - token.cancelled_at < 0.5
        deadline = time.monotonic() + 2.0
        while stalling.hung_up_at is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stalling.hung_up_at is not None and stalling.hung_up_at - token.cancelled_at < 0.5
        adapter.close()


def test_a_turn_budget_running_out_stops_a_stalled_call() -> None:
    from app.domain.progress import Deadline

    with StallingOllama(headers_first=True) as stalling:
        budget = Deadline(0.3)
        started = time.monotonic()
        with pytest.raises(CancelledError):
            OllamaChatModel(MODEL, host=stalling.url, timeout_s=30.0).chat(HELLO, cancel=budget, on_text=print)
        assert budget.expired and 0.3 <= time.monotonic() - started < 0.8


def test_a_cancel_stops_a_connect_that_hangs() -> None:
    # A listener whose queue holds one unaccepted connection drops further attempts: they hang, as a connect to
    # a machine that is off (or behind a firewall that drops packets) does until its timeout.
    with socket.create_server(("127.0.0.1", 0), backlog=0) as full, socket.socket() as queued:
        queued.connect(full.getsockname())
        token = TimedCancel()
        threading.Timer(0.2, token.cancel).start()
        adapter = OllamaChatModel(MODEL, host=f"http://127.0.0.1:{full.getsockname()[1]}", timeout_s=30.0)
        with pytest.raises(CancelledError):
            adapter.chat(HELLO, cancel=token)
        assert token.cancelled_at is not None and time.monotonic() - token.cancelled_at < 0.5


def test_with_a_cancel_token_the_timeout_still_applies(server: FakeOllamaServer) -> None:
    server.delay_s = 5.0
    adapter = OllamaChatModel(MODEL, host=server.url, timeout_s=0.3)
    started = time.monotonic()
    with pytest.raises(ChatModelTimeoutError, match=r"did not answer within 0.3 s"):
        adapter.chat(HELLO, cancel=CancelToken())
    assert time.monotonic() - started < 1.0


def test_a_connection_reused_after_a_cancelled_call_works(adapter: OllamaChatModel, server: FakeOllamaServer,
                                                          scripted: ScriptedChatModel) -> None:
    server.delay_s = 2.0
    token = CancelToken()
    threading.Timer(0.1, token.cancel).start()
    with pytest.raises(CancelledError):
        adapter.chat(HELLO, cancel=token)
    server.delay_s = 0.0
    assert adapter.chat(HELLO, cancel=CancelToken()).content == "Hello there, how are you?"
    assert adapter.chat(HELLO).content == "Hello there, how are you?"


def test_errors_from_on_text_reach_the_caller(adapter: OllamaChatModel) -> None:
    def broken(_piece: str) -> None:
        raise ValueError("the UI went away")

    with pytest.raises(ValueError, match="the UI went away"):
        adapter.chat(HELLO, on_text=broken)


def test_other_refusals_name_the_status(adapter: OllamaChatModel, server: FakeOllamaServer) -> None:
    server.fail_status = 400
    with pytest.raises(ChatModelUnavailableError, match=r"refused the request for 'smollm2:135m' \(HTTP 400"):
        adapter.chat(HELLO)


def test_a_web_page_instead_of_json(server: FakeOllamaServer) -> None:
    class WebPage(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            page = b"<html>a router login page</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), WebPage) as web:
        thread = threading.Thread(target=web.serve_forever, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{web.server_address[1]}"
            with pytest.raises(ChatModelUnavailableError, match="is this address an Ollama server"):
                OllamaChatModel(MODEL, host=url).chat(HELLO)
        finally:
            web.shutdown()


def test_a_model_without_tools_says_so(scripted: ScriptedChatModel) -> None:
    with FakeOllamaServer(scripted, models=[MODEL], capabilities=["completion"]) as server, \
            pytest.raises(ChatModelUnavailableError, match=r"cannot call tools: .*`ollama show smollm2:135m`"):
        OllamaChatModel(MODEL, host=server.url).chat(HELLO, tools=TOOLS)
