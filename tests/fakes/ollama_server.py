"""A real HTTP server speaking Ollama's API, answering with any ChatModel: the Ollama adapter's test double.

It follows Ollama's API documentation (github.com/ollama/ollama docs/api.md; docs.ollama.com/api/errors
and /api-reference/get-version), with error wording from Ollama's server/routes.go: POST /api/chat
streamed as NDJSON (chunked, one object per line, a final object with "done": true, "done_reason" and
the counts and durations in nanoseconds) or as one object with "stream": false; "format" as "json" or
a JSON schema; "tools" answered with message.tool_calls; GET /api/tags; POST /api/show with
"capabilities"; GET /api/version; errors as {"error": "..."} with 400/404/500, and mid-stream errors
as an {"error": ...} line after a 200.

Knobs (plain attributes, set between requests) make the failures a real server has: `delay_s`,
`chunk_delay_s`, `invalid_json`, `empty_message`, `fail_status`, `cut_after_chunks`, `error_after_chunks`;
`required_authorization` makes it a reverse proxy that wants a token (and, carelessly, quotes the one it got).
Given an SSL context it serves https://.
"""

from __future__ import annotations

import hashlib
import json
import socket
import ssl
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from app.domain.chat import ChatMessage, ChatReply, ToolCall, ToolSpec
from app.domain.errors import CancelledError, ChatModelError
from app.domain.progress import CancelToken
from app.ports import ChatModel

VERSION = "0.12.6"
_JSON_MODE_SCHEMA: dict[str, Any] = {"type": "object"}  # "format": "json" asks for any JSON object
_DEFAULT_NUM_PREDICT = 1024  # Ollama's own default is unlimited (-1); a test double needs a bound


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the server received, for assertions on what the adapter sent."""

    method: str
    path: str
    body: Any  # the parsed JSON body, or None
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case


class FakeOllamaServer:
    """Ollama's HTTP API on 127.0.0.1:<free port>, generating with the ChatModel it is given."""

    def __init__(self, model: ChatModel, models: Sequence[str] = ("smollm2:135m",), *,
                 capabilities: Sequence[str] | None = ("completion", "tools"), version: str = VERSION,
                 tls: ssl.SSLContext | None = None) -> None:
        self.model = model
        self.tls = tls  # a server-side context: serve https://
        self.models = list(models)
        self.capabilities = None if capabilities is None else list(capabilities)  # None: an Ollama before 0.6.4
        self.version = version
        # Failure knobs.
        self.delay_s = 0.0  # wait this long before answering /api/chat (a model loading, a busy server)
        self.chunk_delay_s = 0.0  # wait this long between streamed chunks
        self.invalid_json = False  # answer a "format" request with content that is not JSON
        self.empty_message = False  # answer with empty content and no tool calls
        self.fail_status: int | None = None  # answer /api/chat with this HTTP status and an {"error": ...}
        self.cut_after_chunks: int | None = None  # close the socket after this many streamed chunks
        self.error_after_chunks: int | None = None  # send an {"error": ...} line after this many chunks
        self.required_authorization: str | None = None  # answer 401 to requests without this Authorization
        self.requests: list[RecordedRequest] = []
        self.disconnects = 0  # streamed replies the client walked away from (cancel, timeout)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeOllamaServer:
        """Listen on a free port and serve in a background thread."""
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        if self.tls is not None:
            self._httpd.socket = self.tls.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-ollama", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; requests still sleeping in a delay give up at once."""
        self._closing.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOllamaServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The base URL to give the adapter as its host."""
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        scheme = "http" if self.tls is None else "https"
        host = "127.0.0.1" if self.tls is None else "localhost"  # the name a test certificate is for
        return f"{scheme}://{host}:{self._httpd.server_address[1]}"

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """The /api/chat requests received so far."""
        with self._lock:
            return [r for r in self.requests if r.path == "/api/chat"]

    def has(self, name: str) -> bool:
        """Whether a model of that name is "installed"; a missing tag means "latest", as in Ollama."""
        return _with_tag(name) in {_with_tag(m) for m in self.models}

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._closing.wait(seconds)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (a cancel, a timeout) is normal here; anything else is a bug to show.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _ClientGone(Exception):
    """The client closed the connection while we were writing."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streaming, as Ollama's Go server does
    fake: FakeOllamaServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet test output; the recorded requests are the log

    # -- routing -----------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}

    def _refused(self) -> bool:
        """Answer 401 when a token is required and this request lacks it (quoting what it got, as some proxies do)."""
        wanted = self.fake.required_authorization
        got = self.headers.get("Authorization")
        if wanted is None or got == wanted:
            return False
        self.close_connection = True
        self._error(401, f"invalid credentials: {got}")
        return True

    def do_GET(self) -> None:
        self.fake._record(RecordedRequest("GET", self.path, None, self._headers()))
        if self._refused():
            return
        if self.path == "/api/tags":
            self._json(200, {"models": [_tag_entry(name) for name in self.fake.models]})
        elif self.path == "/api/version":
            self._json(200, {"version": self.fake.version})
        elif self.path == "/":
            self._text(200, "Ollama is running")
        else:
            self._text(404, "404 page not found")

    def do_HEAD(self) -> None:
        self.fake._record(RecordedRequest("HEAD", self.path, None, self._headers()))
        self.send_response(200 if self.path == "/" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError as exc:
            self.fake._record(RecordedRequest("POST", self.path, None, self._headers()))
            self._error(400, f"invalid character in request body: {exc}")
            return
        self.fake._record(RecordedRequest("POST", self.path, body, self._headers()))
        if self._refused():
            return
        if body is None:
            self._error(400, "missing request body")
        elif self.path == "/api/chat":
            self._chat(body)
        elif self.path == "/api/show":
            self._show(body)
        else:
            self._text(404, "404 page not found")

    # -- endpoints ---------------------------------------------------------------------------------

    def _show(self, body: dict[str, Any]) -> None:
        name = body.get("model") or body.get("name") or ""  # "name" is the older spelling
        if not self.fake.has(name):
            self._error(404, f"model '{name}' not found")
            return
        shown: dict[str, Any] = {
            "modelfile": f"# Modelfile generated by \"ollama show\"\nFROM {name}\n",
            "parameters": 'stop                           "<|im_end|>"',
            "template": "{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}"
                        + ("{{ if .Tools }}{{ .Tools }}{{ end }}" if "tools" in (self.fake.capabilities or ()) else ""),
            "details": _details(),
            "model_info": {"general.architecture": "llama", "general.parameter_count": 134515008,
                           "llama.context_length": 8192},
            "modified_at": _now(),
        }
        if self.fake.capabilities is not None:
            shown["capabilities"] = list(self.fake.capabilities)
        self._json(200, shown)

    def _chat(self, body: dict[str, Any]) -> None:
        fake = self.fake
        name = body.get("model") or ""
        if not name:
            self._error(400, "model is required")
            return
        if not fake.has(name):
            # The wording of Ollama's server (server/routes.go ChatHandler).
            self._error(404, f"model '{name}' not found")
            return
        if body.get("tools") and "tools" not in (fake.capabilities or ()):
            self._error(400, f"{name} does not support tools")
            return
        fake._sleep(fake.delay_s)
        if fake.fail_status is not None:
            self._error(fake.fail_status, "an error was encountered while running the model")
            return
        if body.get("think") is True and "thinking" not in (fake.capabilities or ()):
            self._error(400, f"{json.dumps(name)} does not support thinking")
            return
        messages = body.get("messages") or []
        if not messages:  # Ollama's "load a model" request
            self._json(200, {"model": name, "created_at": _now(), "message": {"role": "assistant", "content": ""},
                             "done_reason": "load", "done": True})
            return
        try:
            request = _ChatCall.parse(body)
        except (KeyError, TypeError, ValueError) as exc:
            self._error(400, str(exc))
            return
        if body.get("stream", True):
            self._chat_streamed(name, request)
        else:
            self._chat_whole(name, request)

    def _chat_whole(self, name: str, call: _ChatCall) -> None:
        started = time.monotonic_ns()
        try:
            reply = call.run(self.fake.model, on_text=None, cancel=None)
        except ChatModelError as exc:
            self._error(500, str(exc))
            return
        content, calls = self._override(call, reply)
        out = {"model": name, "created_at": _now(), "message": _message(content, calls)}
        out.update(_final_stats(call, reply, started))
        self._json(200, out)

    def _chat_streamed(self, name: str, call: _ChatCall) -> None:
        fake = self.fake
        started = time.monotonic_ns()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        cancel = CancelToken()
        sent = [0]  # chunks written so far
        ended = [False]  # a knob ended the reply on purpose: not a client walking away
        streamed: list[str] = []

        def emit(obj: dict[str, Any]) -> None:
            if fake.cut_after_chunks is not None and sent[0] >= fake.cut_after_chunks:
                ended[0] = True
                self._cut()
                raise _ClientGone
            if fake.error_after_chunks is not None and sent[0] >= fake.error_after_chunks:
                ended[0] = True
                self._stream_error("an error was encountered while running the model")
                raise _ClientGone
            if sent[0]:
                fake._sleep(fake.chunk_delay_s)
            self._chunk(obj)
            sent[0] += 1

        def on_text(piece: str) -> None:
            if cancel.cancelled:
                return  # the client is gone; the model stops at its next cancel check
            try:
                emit({"model": name, "created_at": _now(), "message": {"role": "assistant", "content": piece},
                      "done": False})
                streamed.append(piece)
            except (_ClientGone, OSError):
                cancel.cancel()

        overriding = fake.invalid_json or fake.empty_message
        try:
            reply = call.run(fake.model, on_text=None if overriding else on_text, cancel=cancel)
        except CancelledError:
            reply = None
        except ChatModelError as exc:
            if not cancel.cancelled:
                self._stream_error(str(exc))
            return
        if reply is None or cancel.cancelled:
            self._gone(counted=not ended[0])
            return
        content, calls = self._override(call, reply)
        so_far = "".join(streamed)
        # A model that did not stream (or streamed only part) still has its whole content delivered.
        rest = content[len(so_far):] if content.startswith(so_far) else content
        try:
            for piece in _pieces(rest):
                emit({"model": name, "created_at": _now(), "message": {"role": "assistant", "content": piece},
                      "done": False})
            if calls:  # Ollama streams tool calls as their own chunk, with empty content
                emit({"model": name, "created_at": _now(), "message": _message("", calls), "done": False})
            final: dict[str, Any] = {"model": name, "created_at": _now(),
                                     "message": {"role": "assistant", "content": ""}}
            final.update(_final_stats(call, reply, started))
            emit(final)
            self._end_chunks()
        except (_ClientGone, OSError):
            self._gone(counted=not ended[0])

    def _gone(self, *, counted: bool) -> None:
        self.close_connection = True
        if counted:
            with self.fake._lock:
                self.fake.disconnects += 1

    def _override(self, call: _ChatCall, reply: ChatReply) -> tuple[str, tuple[ToolCall, ...]]:
        if self.fake.empty_message:
            return "", ()
        if self.fake.invalid_json and call.schema is not None:
            return '{"reply": "cut short', ()  # what a model stopped by num_predict mid-object sends
        return reply.content, reply.tool_calls

    # -- writing -----------------------------------------------------------------------------------

    def _json(self, status: int, obj: Any) -> None:
        data = json.dumps(obj).encode()
        self._try(lambda: self._send(status, "application/json; charset=utf-8", data))

    def _text(self, status: int, text: str) -> None:
        self._try(lambda: self._send(status, "text/plain; charset=utf-8", text.encode()))

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message})

    def _send(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _chunk(self, obj: dict[str, Any]) -> None:
        line = (json.dumps(obj) + "\n").encode()
        self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
        self.wfile.flush()

    def _stream_error(self, message: str) -> None:
        # After a 200 the status cannot change: Ollama sends the error as one more NDJSON line.
        try:
            self._chunk({"error": message})
            self._end_chunks()
        except OSError:
            self.close_connection = True

    def _end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _cut(self) -> None:
        # An abrupt close mid-body (a crashed server, a dropped network): no chunked terminator.
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _try(self, write: Any) -> None:
        try:
            write()
        except OSError:  # the client gave up (a timeout): nothing to answer to
            self.close_connection = True


@dataclass(frozen=True)
class _ChatCall:
    """An /api/chat body translated into ChatModel.chat arguments."""

    messages: tuple[ChatMessage, ...]
    schema: dict[str, Any] | None
    tools: tuple[ToolSpec, ...]
    max_tokens: int
    temperature: float

    @staticmethod
    def parse(body: dict[str, Any]) -> _ChatCall:
        messages = tuple(_from_ollama_message(m) for m in body["messages"])
        fmt = body.get("format")
        schema: dict[str, Any] | None
        if fmt in (None, ""):
            schema = None
        elif fmt == "json":
            schema = dict(_JSON_MODE_SCHEMA)
        elif isinstance(fmt, dict):
            schema = fmt
        else:
            raise ValueError(f"invalid format: {fmt!r}")
        tools = tuple(_from_ollama_tool(t) for t in body.get("tools") or ())
        options = body.get("options") or {}
        num_predict = int(options.get("num_predict", -1))
        return _ChatCall(messages=messages, schema=schema, tools=tools,
                         max_tokens=_DEFAULT_NUM_PREDICT if num_predict < 0 else num_predict,
                         temperature=float(options.get("temperature", 0.8)))  # 0.8: Ollama's default

    def run(self, model: ChatModel, *, on_text: Any, cancel: CancelToken | None) -> ChatReply:
        return model.chat(self.messages, schema=self.schema, tools=self.tools, max_tokens=self.max_tokens,
                          temperature=self.temperature, on_text=on_text, cancel=cancel)


def _from_ollama_message(m: dict[str, Any]) -> ChatMessage:
    role = m["role"]
    if role not in ("system", "user", "assistant", "tool"):
        raise ValueError(f"invalid role: {role!r}")
    calls = tuple(ToolCall(name=c["function"]["name"], arguments=dict(c["function"].get("arguments") or {}))
                  for c in m.get("tool_calls") or ())
    return ChatMessage(role=role, content=m.get("content") or "", tool_calls=calls,
                       tool_name=m.get("tool_name") or "")


def _from_ollama_tool(t: dict[str, Any]) -> ToolSpec:
    function = t["function"]
    return ToolSpec(name=function["name"], description=function.get("description") or "",
                    parameters=dict(function.get("parameters") or {}))


def _message(content: str, calls: tuple[ToolCall, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        out["tool_calls"] = [{"function": {"name": c.name, "arguments": dict(c.arguments)}} for c in calls]
    return out


def _final_stats(call: _ChatCall, reply: ChatReply, started_ns: int) -> dict[str, Any]:
    total = time.monotonic_ns() - started_ns
    generated = int(reply.seconds * 1e9) or total
    prompt_share = generated // 5  # the ChatModel port reports one duration; Ollama splits it in two
    return {
        "done_reason": "length" if reply.completion_tokens >= call.max_tokens else "stop",
        "done": True,
        "total_duration": total,
        "load_duration": 0,
        "prompt_eval_count": reply.prompt_tokens,
        "prompt_eval_duration": prompt_share,
        "eval_count": reply.completion_tokens,
        "eval_duration": generated - prompt_share,
    }


def _pieces(text: str, size: int = 8) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def _tag_entry(name: str) -> dict[str, Any]:
    full = _with_tag(name)
    return {"name": full, "model": full, "modified_at": _now(), "size": 101_000_000,
            "digest": hashlib.sha256(full.encode()).hexdigest(), "details": _details()}


def _details() -> dict[str, Any]:
    return {"parent_model": "", "format": "gguf", "family": "llama", "families": ["llama"],
            "parameter_size": "134.52M", "quantization_level": "Q4_1"}


def _with_tag(name: str) -> str:
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last else f"{name}:latest"


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")
