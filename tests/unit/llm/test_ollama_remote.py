"""An Ollama on another machine: https://, a bearer token and extra headers for the reverse proxy in front of
it, the environment's proxy, and the warning for plain http:// (issue 16)."""

from __future__ import annotations

import logging
import shutil
import socket
import ssl
import subprocess
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.domain.errors import CancelledError, ChatModelUnavailableError, InputError
from app.domain.progress import CancelToken
from app.domain.remote import insecure_host_warning, is_local_host, parse_headers
from app.llm import ollama as ollama_adapter
from app.llm.ollama import OllamaChatModel
from tests.fakes.chat_model import ScriptedChatModel
from tests.fakes.ollama_server import FakeOllamaServer
from tests.unit.llm.test_ollama import HELLO, MODEL

TOKEN = "tok-7f3a9c1e5b"
API_KEY = "key-0d4e8b2a"


@pytest.fixture
def server() -> Iterator[FakeOllamaServer]:
    with FakeOllamaServer(ScriptedChatModel(responder=lambda _r: "Hello from afar."), models=[MODEL]) as running:
        yield running


def _every_text_of(error: BaseException) -> str:
    """What a user or a log could see of an error: its message and its whole printed traceback with causes."""
    return str(error) + "".join(traceback.format_exception(error))


# -- headers and token ------------------------------------------------------------------------------------


def test_the_token_and_the_extra_headers_reach_the_server_on_every_request(server: FakeOllamaServer) -> None:
    adapter = OllamaChatModel(MODEL, host=server.url, token=TOKEN, headers=f"X-Api-Key: {API_KEY}; X-Team: music")
    assert adapter.chat(HELLO).content == "Hello from afar."
    assert adapter.chat(HELLO, on_text=lambda _p: None).content == "Hello from afar."
    assert adapter.has_model() and adapter.supports_tools() and adapter.is_up()
    adapter.close()
    assert {r.path for r in server.requests} == {"/api/chat", "/api/tags", "/api/show"}
    for request in server.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["x-api-key"] == API_KEY
        assert request.headers["x-team"] == "music"


def test_headers_one_per_line_may_hold_semicolons(server: FakeOllamaServer) -> None:
    OllamaChatModel(MODEL, host=server.url, headers="X-Api-Key: a;b\nX-Team: music\n").list_models()
    assert server.requests[-1].headers["x-api-key"] == "a;b"


def test_without_token_or_headers_nothing_extra_is_sent(server: FakeOllamaServer) -> None:
    OllamaChatModel(MODEL, host=server.url).list_models()
    assert "authorization" not in server.requests[-1].headers


def test_a_proxy_that_wants_a_token_lets_the_right_one_through(server: FakeOllamaServer) -> None:
    server.required_authorization = f"Bearer {TOKEN}"
    assert OllamaChatModel(MODEL, host=server.url, token=TOKEN).chat(HELLO).content == "Hello from afar."
    with pytest.raises(ChatModelUnavailableError, match=r"refused the credentials \(HTTP 401.*check the Ollama token"):
        OllamaChatModel(MODEL, host=server.url).chat(HELLO)


@pytest.mark.parametrize("call", ["whole", "streamed", "list", "probe"])
def test_the_token_and_header_values_are_never_in_logs_or_error_messages(
        server: FakeOllamaServer, caplog: pytest.LogCaptureFixture, call: str) -> None:
    server.required_authorization = "Bearer the-right-one"  # the proxy quotes the wrong token back in its 401
    adapter = OllamaChatModel(MODEL, host=server.url, token=TOKEN, headers=f"X-Api-Key: {API_KEY}")
    shown = ""
    with caplog.at_level(logging.DEBUG):  # httpx's and httpcore's own debug lines included
        try:
            if call == "whole":
                adapter.chat(HELLO)
            elif call == "streamed":
                adapter.chat(HELLO, on_text=lambda _p: None)
            elif call == "list":
                adapter.list_models()
            else:
                assert adapter.is_up() is False
        except ChatModelUnavailableError as exc:
            shown = _every_text_of(exc)
            assert "refused the credentials" in str(exc) and "***" in str(exc)
        else:
            assert call == "probe"
    assert server.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"  # it was sent, and refused
    for secret in (TOKEN, API_KEY):
        assert secret not in shown
        assert secret not in caplog.text
        assert all(secret not in str(r.args) for r in caplog.records)


def test_bad_headers_or_token_given_to_the_adapter_name_the_setting() -> None:
    with pytest.raises(InputError, match="field 'ollama_headers': header 1 has no 'Name:'") as err:
        OllamaChatModel(MODEL, headers="X-Api-Key abc123")
    assert "abc123" not in str(err.value)
    with pytest.raises(InputError, match=r"field 'ollama_token'.*without spaces"):
        OllamaChatModel(MODEL, token="two words")
    with pytest.raises(InputError, match=r"field 'ollama_headers'.*keep one of them"):
        OllamaChatModel(MODEL, token=TOKEN, headers="Authorization: Basic dXNlcjpwYXNz")


def test_a_mapping_of_headers_is_taken_as_is(server: FakeOllamaServer) -> None:
    OllamaChatModel(MODEL, host=server.url, headers={"X-Api-Key": API_KEY}).list_models()
    assert server.requests[-1].headers["x-api-key"] == API_KEY


# -- the header format ------------------------------------------------------------------------------------


def test_parse_headers_reads_both_forms() -> None:
    assert parse_headers("") == {}
    assert parse_headers("X-Api-Key: abc; X-Other: d") == {"X-Api-Key": "abc", "X-Other": "d"}
    assert parse_headers("X-Api-Key: abc;") == {"X-Api-Key": "abc"}
    assert parse_headers("CF-Access-Client-Id: 1.access\nCF-Access-Client-Secret: s;t\n") == {
        "CF-Access-Client-Id": "1.access", "CF-Access-Client-Secret": "s;t"}
    assert parse_headers("X-Url: https://example.com:8443/x") == {"X-Url": "https://example.com:8443/x"}


@pytest.mark.parametrize(("text", "why"), [
    ("X-Api-Key abc", "header 1 has no 'Name:'"),
    ("X-Ok: 1; : nameless", "header 2 has no 'Name:'"),
    ("X Api Key: abc", "header 1's name is not valid"),
    ("X-Api-Key: caf\u00e9", "value of X-Api-Key may hold only printable ASCII"),
    ("User-Agent: me", "User-Agent is set by the HTTP client"),
    ("X-A: 1; x-a: 2", "x-a is given twice"),
])
def test_parse_headers_says_what_is_wrong(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_headers(text)


# -- plain http:// to another machine ---------------------------------------------------------------------


@pytest.mark.parametrize("host", ["http://10.0.0.5", "http://10.0.0.5:11434", "10.0.0.5:11434",
                                  "http://ollama.example.com:11434", "http://[2001:db8::1]:11434"])
def test_plain_http_to_another_machine_is_warned_about(host: str) -> None:
    warning = insecure_host_warning(host)
    assert warning is not None and "travel unencrypted; use https:// or an SSH tunnel" in warning
    assert insecure_host_warning("http://10.0.0.5:11434") == (
        "requests and replies to 10.0.0.5 travel unencrypted; use https:// or an SSH tunnel")


@pytest.mark.parametrize("host", ["http://localhost:11434", "http://127.0.0.1:11434", "http://127.8.9.10",
                                  "http://[::1]:11434", "localhost:11434", "http://0.0.0.0:11434", "",
                                  "https://10.0.0.5", "https://ollama.example.com", "HTTPS://host:443/ollama"])
def test_local_or_encrypted_hosts_are_not_warned_about(host: str) -> None:
    assert insecure_host_warning(host) is None


def test_local_hosts() -> None:
    assert is_local_host("http://127.0.0.1:11434") and is_local_host("http://LOCALHOST:1") and is_local_host("[::1]")
    assert not is_local_host("http://10.0.0.5") and not is_local_host("https://localhost.example.com")


def test_the_adapter_logs_the_warning_once_per_host(caplog: pytest.LogCaptureFixture,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ollama_adapter, "_warned_hosts", set())
    with caplog.at_level(logging.WARNING, logger="app.llm.ollama"):
        for _ in range(2):
            OllamaChatModel(MODEL, host="http://10.0.0.5:11434", token=TOKEN).close()
        OllamaChatModel(MODEL, host="http://localhost:11434").close()
        OllamaChatModel(MODEL, host="https://10.0.0.5").close()
    warnings = [r.getMessage() for r in caplog.records if "unencrypted" in r.getMessage()]
    assert warnings == ["Ollama at http://10.0.0.5:11434: requests and replies to 10.0.0.5 travel unencrypted; "
                        "use https:// or an SSH tunnel"]
    assert TOKEN not in caplog.text


def test_a_password_in_the_address_is_not_logged(caplog: pytest.LogCaptureFixture,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ollama_adapter, "_warned_hosts", set())
    with caplog.at_level(logging.WARNING, logger="app.llm.ollama"):
        OllamaChatModel(MODEL, host="http://me:hunter22@10.0.0.5:11434").close()
    assert "hunter22" not in caplog.text and "***@10.0.0.5" in caplog.text


def test_a_password_in_the_address_is_not_in_error_messages() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once the socket closes
    password = "hunter" + "22"  # spelled apart: the printed traceback shows the failing line's source
    adapter = OllamaChatModel(MODEL, host=f"http://me:{password}@127.0.0.1:{port}")
    with pytest.raises(ChatModelUnavailableError, match="is not running") as err:
        adapter.chat(HELLO)
    assert "hunter22" not in _every_text_of(err.value) and "me:***@127.0.0.1" in str(err.value)


# -- the environment's proxy ------------------------------------------------------------------------------


class RecordingProxy:
    """A forward proxy that notes each request line and answers 502, as a proxy that cannot reach the host does."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def close(self) -> None:
        self._listener.close()

    def _serve(self) -> None:
        while True:
            try:
                conn, _address = self._listener.accept()
            except OSError:
                return
            with conn:
                received = b""
                while b"\r\n\r\n" not in received:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    received += chunk
                self.lines.append(received.split(b"\r\n", 1)[0].decode())
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def test_a_remote_host_goes_through_the_environments_proxy_and_a_local_one_does_not(
        server: FakeOllamaServer, monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = RecordingProxy()
    try:
        for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("http_proxy", proxy.url)
        with pytest.raises(ChatModelUnavailableError, match="HTTP 502"):
            OllamaChatModel(MODEL, host="http://10.0.0.5:11434", timeout_s=5.0).list_models()
        assert proxy.lines == ["GET http://10.0.0.5:11434/api/tags HTTP/1.1"]
        assert OllamaChatModel(MODEL, host=server.url).list_models() == [MODEL]  # loopback: never proxied
        assert len(proxy.lines) == 1
    finally:
        proxy.close()


# -- https:// ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and its key, made with the openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture
def tls_server(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOllamaServer]:
    import certifi

    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    monkeypatch.setattr(certifi, "where", lambda: str(cert))  # the client trusts the test certificate alone
    scripted = ScriptedChatModel(responder=lambda _r: "Hello over TLS, word by word.")
    with FakeOllamaServer(scripted, models=[MODEL], tls=context) as running:
        yield running


def test_https_with_a_token(tls_server: FakeOllamaServer) -> None:
    assert tls_server.url.startswith("https://localhost:")
    tls_server.required_authorization = f"Bearer {TOKEN}"
    adapter = OllamaChatModel(MODEL, host=tls_server.url, token=TOKEN)
    pieces: list[str] = []
    assert adapter.chat(HELLO, on_text=pieces.append).content == "Hello over TLS, word by word."
    assert len(pieces) > 3
    assert adapter.chat(HELLO, cancel=CancelToken()).content == "Hello over TLS, word by word."
    adapter.close()


def test_a_cancel_stops_a_stalled_https_call_within_half_a_second(tls_server: FakeOllamaServer) -> None:
    tls_server.delay_s = 10.0
    token = CancelToken()
    threading.Timer(0.2, token.cancel).start()
    adapter = OllamaChatModel(MODEL, host=tls_server.url, timeout_s=30.0)
    started = time.monotonic()
    with pytest.raises(CancelledError):
        adapter.chat(HELLO, cancel=token, on_text=lambda _p: None)
    assert time.monotonic() - started < 0.7  # 0.2 s to the cancel, then under 0.5 s
    adapter.close()
