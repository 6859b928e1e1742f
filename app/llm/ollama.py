"""ChatModel adapter for a user's Ollama server, through the official ollama-python client.

A cancel (Esc, a new voice turn, a turn's time budget) stops a call within about _POLL_S, even while
Ollama has not sent a byte (a model loading, a long prompt before the first token): every read of
the client's sockets waits in slices of _POLL_S and looks at the call's CancelToken between them.
Raising there makes httpcore close the connection, which is what tells Ollama to stop generating.

The server may be another machine behind a reverse proxy (Ollama has no authentication of its own):
https://, a bearer token and extra headers are supported; the token and header values never reach
a log line or an error message. Plain http:// to another machine is warned about once.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from app.domain.chat import Backend, ChatMessage, ChatReply, ToolCall, ToolSpec
from app.domain.errors import (
    CancelledError,
    ChatModelError,
    ChatModelTimeoutError,
    ChatModelUnavailableError,
)
from app.domain.remote import insecure_host_warning, is_local_host, proxy_headers

if TYPE_CHECKING:
    from ollama import ChatResponse, Client, ResponseError

    from app.domain.progress import CancelToken

log = logging.getLogger(__name__)

DEFAULT_HOST = "http://127.0.0.1:11434"
_WHAT = "the reply"  # what CancelledError says was cancelled
_T = TypeVar("_T")
_POLL_S = 0.05  # a blocked read or connect looks at the cancel token this often
_SHORTEST_SECRET = 4  # header values shorter than this are not hidden from messages ("1", "yes")
# The cancel token of the chat call running on this thread (None outside one): the sockets' reads consult it.
_CALL_CANCEL: contextvars.ContextVar[CancelToken | None] = contextvars.ContextVar("ollama_call_cancel", default=None)
_warned_hosts: set[str] = set()  # insecure hosts already warned about in this process
_warned_lock = threading.Lock()


class OllamaChatModel:
    """The ChatModel port over Ollama's HTTP API (/api/chat, /api/tags, /api/show)."""

    def __init__(self, model: str, *, host: str = DEFAULT_HOST, timeout_s: float = 30.0, client: Any = None,
                 token: str = "", headers: str | Mapping[str, str] = "") -> None:
        """token is sent as a bearer token, headers (settings text or a mapping) with every request."""
        self._model = model
        self._host = host.rstrip("/")
        self._timeout_s = timeout_s
        self._headers = proxy_headers(token, headers, "ollama")
        # Hidden from every message and log line this adapter writes (a proxy may echo them back in an error).
        password = urllib.parse.urlsplit(self._host if "://" in self._host else f"http://{self._host}").password or ""
        self._secrets = tuple(sorted({token, password, *self._headers.values()} - {""}, key=len, reverse=True))
        _warn_once_if_insecure(self._host)
        self._owns_client = client is None
        if client is None:
            # An explicit host always: ollama.Client(host=None) would silently follow OLLAMA_HOST.
            client = _make_client(self._host, timeout_s, self._headers)
        self._client: Client = client

    @property
    def backend(self) -> Backend:
        """Which kind of model this is: always "ollama"."""
        return "ollama"

    @property
    def model_name(self) -> str:
        """The model's name as Ollama knows it (e.g. "llama3.2:3b")."""
        return self._model

    @property
    def host(self) -> str:
        """The Ollama server this adapter talks to."""
        return self._host

    def chat(self, messages: Sequence[ChatMessage], *, schema: Mapping[str, Any] | None = None,
             tools: Sequence[ToolSpec] = (), max_tokens: int = 512, temperature: float = 0.0,
             on_text: Callable[[str], None] | None = None, cancel: CancelToken | None = None) -> ChatReply:
        """One reply from POST /api/chat: streamed when on_text is given, JSON-constrained when schema is.

        A cancel raises CancelledError within about 50 ms, also while no byte of the reply has come.
        """
        if cancel is not None:
            cancel.raise_if_cancelled(_WHAT)
        reset = _CALL_CANCEL.set(cancel)
        try:
            return self._chat(messages, schema, tools, max_tokens, temperature, on_text, cancel)
        finally:
            _CALL_CANCEL.reset(reset)

    def _chat(self, messages: Sequence[ChatMessage], schema: Mapping[str, Any] | None, tools: Sequence[ToolSpec],
              max_tokens: int, temperature: float, on_text: Callable[[str], None] | None,
              cancel: CancelToken | None) -> ChatReply:
        started = time.monotonic()
        request: dict[str, Any] = {
            "model": self._model,
            "messages": [_to_ollama_message(m) for m in messages],
            "options": {"temperature": temperature, "num_predict": max_tokens},
            # Like the embedded model: a thinking model (qwen3, deepseek-r1) would reason for seconds before every
            # turn. False is safe for other models; Ollama only refuses think=True for them.
            "think": False,
        }
        if tools:
            request["tools"] = [_to_ollama_tool(t) for t in tools]
        if schema is not None:
            request["format"] = dict(schema)
        if on_text is None:
            final = self._call(lambda: self._client.chat(**request, stream=False))
            if cancel is not None:  # cancelled as the last bytes came in: do not return stale work
                cancel.raise_if_cancelled(_WHAT)
            content = final.message.content or ""
            calls = _tool_calls(final)
        else:
            content, calls, final = self._stream(request, on_text, cancel)
        if final.done_reason == "length":
            log.info("Ollama reply from %s stopped at num_predict=%d tokens", self._model, max_tokens)
        return ChatReply(content=content, backend="ollama", model=self._model, tool_calls=calls,
                         prompt_tokens=final.prompt_eval_count or 0, completion_tokens=final.eval_count or 0,
                         seconds=time.monotonic() - started)

    def list_models(self) -> list[str]:
        """The names of the models installed in Ollama (GET /api/tags), for the settings screen."""
        listing = self._call(self._client.list, path="/api/tags")
        return [m.model for m in listing.models if m.model]

    def has_model(self) -> bool:
        """True when the configured model is installed; "name" and "name:latest" are the same model."""
        wanted = _with_tag(self._model)
        return any(_with_tag(name) == wanted for name in self.list_models())

    def is_up(self, timeout_s: float = 0.5) -> bool:
        """A quick probe for the automatic backend choice: does an Ollama answer at host within timeout_s?"""
        probe = _make_client(self._host, timeout_s, self._headers) if self._owns_client else self._client
        try:
            probe.list()
        except Exception as exc:  # any failure means "not usable now"; the reason is only logged
            log.debug("Ollama is not up: %s", self._hide(f"{self._host}: {exc}"))
            return False
        finally:
            if probe is not self._client:
                _close(probe)
        return True

    def supports_tools(self) -> bool:
        """Whether the model can call tools: POST /api/show "capabilities", else its template's .Tools."""
        shown = self._call(lambda: self._client.show(self._model), path="/api/show")
        if shown.capabilities is not None:
            return "tools" in shown.capabilities
        # Ollama before capabilities existed decided tool support by this same template check.
        return ".Tools" in (shown.template or "")

    def close(self) -> None:
        """Close the HTTP connections of a client this adapter made itself."""
        if self._owns_client:
            _close(self._client)

    def _stream(self, request: dict[str, Any], on_text: Callable[[str], None],
                cancel: CancelToken | None) -> tuple[str, tuple[ToolCall, ...], ChatResponse]:
        stream: Iterator[ChatResponse] = self._call(lambda: self._client.chat(**request, stream=True))
        pieces: list[str] = []
        calls: list[ToolCall] = []
        final: ChatResponse | None = None
        try:
            while True:
                if cancel is not None and cancel.cancelled:
                    raise CancelledError(_WHAT)  # the finally closes the connection, so Ollama stops generating
                part = self._call(lambda: next(stream, None))
                if part is None:
                    break
                piece = part.message.content or ""
                if piece:
                    pieces.append(piece)
                    on_text(piece)  # outside _call: the caller's own errors must pass through untouched
                calls.extend(_tool_calls(part))
                if part.done:
                    final = part  # read on to the end of the body, so the connection can be reused
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        if final is None:
            raise ChatModelUnavailableError(
                f"Ollama at {self._host} ended the reply from '{self._model}' before it was done; "
                "check that Ollama is still running (`ollama serve`) and try again")
        return "".join(pieces), tuple(calls), final

    def _call(self, fn: Callable[[], _T], path: str = "/api/chat") -> _T:
        """Run one client call, turning ollama / httpx failures into ChatModelErrors a user can act on."""
        try:
            return self._translated(fn, path)
        except ChatModelError as exc:
            hidden = self._hide(str(exc))
            if hidden == str(exc):
                raise
            raise type(exc)(hidden) from None  # not chained: the original's text holds the secret

    def _hide(self, text: str) -> str:
        for secret in self._secrets:
            if len(secret) >= _SHORTEST_SECRET:
                text = text.replace(secret, "***")
        return text

    def _translated(self, fn: Callable[[], _T], path: str) -> _T:
        import httpx
        import ollama

        try:
            return fn()
        except ollama.ResponseError as exc:
            self._raise_response_error(exc, path)
        except httpx.ConnectTimeout as exc:
            raise ChatModelUnavailableError(self._not_running(f"did not accept a connection within "
                                                              f"{self._timeout_s:g} s")) from exc
        except httpx.TimeoutException as exc:
            raise ChatModelTimeoutError(
                f"Ollama at {self._host} did not answer within {self._timeout_s:g} s with model '{self._model}': "
                "the first reply can be slow while Ollama loads the model; raise the timeout in settings, "
                "choose a smaller model, or choose the embedded model") from exc
        except (httpx.ConnectError, ConnectionError) as exc:
            # ollama-python turns httpx.ConnectError into ConnectionError, but only for non-streamed calls.
            raise ChatModelUnavailableError(self._not_running("is not running")) from exc
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
            raise ChatModelUnavailableError(
                f"the connection to Ollama at {self._host} was cut during the reply from '{self._model}' ({exc}); "
                "check that Ollama is still running (`ollama serve`) and try again") from exc
        except httpx.HTTPError as exc:
            raise ChatModelUnavailableError(f"cannot talk to Ollama at {self._host}: {exc}") from exc
        except ValueError as exc:  # json.JSONDecodeError and pydantic.ValidationError: not Ollama's API
            raise ChatModelUnavailableError(
                f"the server at {self._host} did not answer {path} the way Ollama does ({_short(exc)}); "
                "is this address an Ollama server?") from exc

    def _raise_response_error(self, exc: ResponseError, path: str) -> NoReturn:
        status = exc.status_code
        reason = str(exc.error)
        error: ChatModelError
        if status == 404 and "model" in reason.lower():
            error = ChatModelUnavailableError(
                f"model '{self._model}' is not installed in Ollama at {self._host}: "
                f"run `ollama pull {self._model}`, or choose an installed model in settings")
        elif status == 400 and "does not support tools" in reason:
            error = ChatModelUnavailableError(
                f"model '{self._model}' in Ollama cannot call tools: choose a model with tool support "
                f"(`ollama show {self._model}` lists its capabilities)")
        elif status in (401, 403, 407):
            error = ChatModelUnavailableError(
                f"the server at {self._host} refused the credentials (HTTP {status}: {_short(ValueError(reason))}): "
                "check the Ollama token and extra headers in settings")
        elif status == 404:
            error = ChatModelUnavailableError(
                f"the server at {self._host} has no {path} ({reason}): is this address an Ollama server? "
                "Update Ollama if it is an old version")
        elif status == -1:  # an {"error": ...} line inside a stream: the status was 200 already
            error = ChatModelUnavailableError(
                f"Ollama at {self._host} stopped the reply from '{self._model}': {reason}")
        elif status >= 500:
            error = ChatModelUnavailableError(
                f"Ollama at {self._host} failed with '{self._model}' (HTTP {status}: {reason}); check Ollama's log, "
                "restart it with `ollama serve`, or choose the embedded model")
        else:
            error = ChatModelUnavailableError(
                f"Ollama at {self._host} refused the request for '{self._model}' (HTTP {status}: {reason})")
        raise error from exc

    def _not_running(self, what: str) -> str:
        return (f"Ollama at {self._host} {what}: start it with `ollama serve` (or check the address in settings), "
                "or choose the embedded model")


def _warn_once_if_insecure(host: str) -> None:
    warning = insecure_host_warning(host)
    if warning is None:
        return
    with _warned_lock:
        if host in _warned_hosts:
            return
        _warned_hosts.add(host)
    log.warning("Ollama at %s: %s", _shown(host), warning)


def _shown(host: str) -> str:
    """host without a user name and password in it (http://user:pass@host)."""
    parts = urllib.parse.urlsplit(host)
    if "@" not in parts.netloc:
        return host
    return urllib.parse.urlunsplit(parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]))


def _make_client(host: str, timeout_s: float, headers: Mapping[str, str] | None = None) -> Client:
    import ollama

    # A local Ollama must not be sent through a proxy from the environment (HTTP_PROXY without NO_PROXY).
    local = is_local_host(host)
    transport = _cancellable_transport(host, trust_env=not local)
    return ollama.Client(host=host, timeout=timeout_s, trust_env=not local, transport=transport,
                         headers=dict(headers or {}))


def _cancellable_transport(host: str, *, trust_env: bool) -> Any:
    """An httpx transport whose blocking reads and connects give way to the current call's cancel token."""
    import httpx

    # httpx leaves the environment's proxy out when given a transport, so it is chosen here, as httpx would.
    transport = httpx.HTTPTransport(trust_env=trust_env, proxy=_environment_proxy(host) if trust_env else None)
    pool: Any = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if pool is None or backend is None:  # a newer httpx or httpcore moved it: a cancel waits for the next piece
        log.warning("this httpx/httpcore version hides its network backend: cancelling an Ollama call "
                    "waits for its next streamed piece")
        return transport
    pool._network_backend = _CancellableBackend(backend)
    return transport


def _environment_proxy(host: str) -> str | None:
    """The proxy the environment (or the OS settings) gives for host, as httpx itself would pick it."""
    parts = urllib.parse.urlsplit(host if "://" in host else f"http://{host}")
    if urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(parts.scheme) or proxies.get("all") or None


class _CancellableBackend:
    """An httpcore network backend whose streams stop waiting when the current call is cancelled."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> _CancellableStream:
        """Connect (resolving the name too), giving way to a cancel; the stream is cancellable."""
        def connect() -> Any:
            return self._inner.connect_tcp(host, port, timeout=timeout, local_address=local_address,
                                           socket_options=socket_options)

        return _CancellableStream(_unless_cancelled(connect, _CALL_CANCEL.get()))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Any = None) -> _CancellableStream:
        """A Unix socket connection (quick: it is local); the stream is cancellable."""
        return _CancellableStream(self._inner.connect_unix_socket(path, timeout=timeout,
                                                                  socket_options=socket_options))

    def sleep(self, seconds: float) -> None:
        """httpcore's pause between connection retries."""
        self._inner.sleep(seconds)


class _CancellableStream:
    """An httpcore network stream whose reads wait in _POLL_S slices, raising CancelledError after a cancel.

    The exception unwinds through httpcore, which closes the connection: Ollama sees the client go and stops.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Up to max_bytes; the call's timeout still applies as a whole."""
        import httpcore

        cancel = _CALL_CANCEL.get()
        if cancel is None:
            data: bytes = self._inner.read(max_bytes, timeout)
            return data
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if cancel.cancelled:
                raise CancelledError(_WHAT)
            wait = _POLL_S if deadline is None else min(_POLL_S, deadline - time.monotonic())
            if wait <= 0:
                raise httpcore.ReadTimeout("timed out")
            try:
                data = self._inner.read(max_bytes, wait)
                return data
            except httpcore.ReadTimeout:
                continue  # nothing yet: look at the token and the deadline again

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Send the request (it is small, and Ollama reads it at once)."""
        cancel = _CALL_CANCEL.get()
        if cancel is not None:
            cancel.raise_if_cancelled(_WHAT)
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        """Close the connection."""
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> _CancellableStream:
        """The TLS stream over this one (https://), cancellable in turn."""
        return _CancellableStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        """The socket, the TLS object, whether it is readable: as the wrapped stream answers."""
        return self._inner.get_extra_info(info)


def _unless_cancelled(work: Callable[[], Any], cancel: CancelToken | None) -> Any:
    """work() on a helper thread while this one watches cancel; its result, or CancelledError.

    Used for connecting, which no socket timeout can slice: the name lookup and the connect run to their end
    on the helper, which closes a connection nobody waits for any more.
    """
    if cancel is None:
        return work()
    outcome: list[tuple[bool, Any]] = []
    done = threading.Event()
    lock = threading.Lock()
    abandoned = [False]

    def run() -> None:
        try:
            result: tuple[bool, Any] = (True, work())
        except BaseException as exc:  # handed to the waiting thread, which raises it
            result = (False, exc)
        with lock:
            if abandoned[0]:
                if result[0]:
                    result[1].close()
                return
            outcome.append(result)
            done.set()

    threading.Thread(target=run, name="ollama-connect", daemon=True).start()
    while not done.wait(_POLL_S):
        with lock:
            if cancel.cancelled and not done.is_set():
                abandoned[0] = True
                raise CancelledError(_WHAT)
    ok, value = outcome[0]
    if ok:
        return value
    raise value


def _close(client: Any) -> None:
    client.close()  # Client.close() has no annotations in ollama-python; Any keeps mypy --strict quiet


def _with_tag(name: str) -> str:
    # Only the last path part can carry the tag: "host:5000/ns/model" has a port, not a tag.
    last = name.rsplit("/", 1)[-1]
    return name if ":" in last else f"{name}:latest"


def _to_ollama_message(message: ChatMessage) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [{"function": {"name": c.name, "arguments": dict(c.arguments)}}
                             for c in message.tool_calls]
    if message.role == "tool" and message.tool_name:
        out["tool_name"] = message.tool_name
    return out


def _to_ollama_tool(tool: ToolSpec) -> dict[str, Any]:
    # ollama-python validates tools with its Tool model, which keeps each property's type, description, enum and
    # items but drops deeper keys (nested "properties", minimum, ...): keep tool parameters flat.
    parameters = dict(tool.parameters) or {"type": "object", "properties": {}}
    return {"type": "function",
            "function": {"name": tool.name, "description": tool.description, "parameters": parameters}}


def _tool_calls(part: ChatResponse) -> tuple[ToolCall, ...]:
    return tuple(ToolCall(name=c.function.name, arguments=dict(c.function.arguments or {}))
                 for c in part.message.tool_calls or ())


def _short(exc: Exception, limit: int = 160) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
