"""A model server on another machine: is the address local, is the link encrypted, extra HTTP headers.

Pure functions, so the settings check, the Ollama adapter, the desktop window and the CLI all say the same.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Mapping

from app.domain.errors import InputError

# RFC 9110's token characters: what a header name may hold.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# A header value: printable ASCII, spaces and tabs (what HTTP clients send without encoding it).
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
# Set by the HTTP client itself (Ollama's client overrides the first three with its own values).
_MANAGED = ("accept", "content-type", "user-agent", "host", "content-length", "transfer-encoding", "connection")

HEADERS_FORMAT = "Name: value, one per line or separated by ';' (e.g. 'X-Api-Key: abc; X-Team: music')"


def host_name(host: str) -> str:
    """The machine's name or address in a server address ("http://10.0.0.5:11434" -> "10.0.0.5")."""
    return urllib.parse.urlsplit(host if "://" in host else f"http://{host}").hostname or ""


def is_local_host(host: str) -> bool:
    """True when the address is this machine: localhost, 127.0.0.0/8, ::1 (and 0.0.0.0, which reaches it too)."""
    name = host_name(host).rstrip(".").lower()
    if name in ("", "localhost"):  # an empty host means the client's default, 127.0.0.1
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def insecure_host_warning(host: str) -> str | None:
    """The sentence to show when requests to host would cross the network unencrypted, else None.

    Plain http:// (also an address without a scheme, which clients read as http) to anything but this
    machine sends the conversation, and any token, readable by whoever is on the way.
    """
    scheme = urllib.parse.urlsplit(host).scheme.lower() if "://" in host else "http"
    if scheme == "https" or is_local_host(host):
        return None
    return f"requests and replies to {host_name(host)} travel unencrypted; use https:// or an SSH tunnel"


def parse_headers(text: str) -> dict[str, str]:
    """Extra HTTP headers from settings text (see HEADERS_FORMAT); ValueError says what is wrong.

    One header per line, or several on one line separated by ';'. A value that must hold ';' goes on
    its own line: text with line breaks is split at them only.
    """
    parts = text.splitlines() if "\n" in text.strip() else text.split(";")
    headers: dict[str, str] = {}
    seen: set[str] = set()
    for number, part in enumerate((p for p in parts if p.strip()), start=1):
        name, colon, value = part.partition(":")
        name, value = name.strip(), value.strip()
        if not colon or not name:  # not quoted: the text may be a secret
            raise ValueError(f"header {number} has no 'Name:' before its value: write {HEADERS_FORMAT}")
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"header {number}'s name is not valid: use letters, digits and '-', no spaces")
        if not _HEADER_VALUE.fullmatch(value):
            raise ValueError(f"the value of {name} may hold only printable ASCII characters")
        if name.lower() in _MANAGED:
            raise ValueError(f"{name} is set by the HTTP client and cannot be changed here")
        if name.lower() in seen:
            raise ValueError(f"{name} is given twice")
        seen.add(name.lower())
        headers[name] = value
    return headers


def check_token(token: str) -> str | None:
    """Why token cannot be sent as a bearer token (written for the user), or None when it can."""
    if token.lower().startswith("bearer "):
        return "enter the token alone, without the word 'Bearer'"
    if not re.fullmatch(r"[\x21-\x7e]*", token):
        return "a token may hold only printable ASCII characters, without spaces"
    return None


def proxy_headers(token: str, headers: str | Mapping[str, str], server: str) -> dict[str, str]:
    """The headers every request to a server behind a proxy carries: the extra ones and the token as a
    bearer. A problem raises InputError naming the server's setting ("ollama_token"), never the token."""
    try:
        extra = parse_headers(headers) if isinstance(headers, str) else dict(headers)
    except ValueError as exc:
        raise InputError(str(exc), field=f"{server}_headers") from None
    if token:
        problem = check_token(token)
        if problem is not None:
            raise InputError(problem, field=f"{server}_token")
        if any(name.lower() == "authorization" for name in extra):
            raise InputError(f"sets Authorization, and so does {server}_token: keep one of them",
                             field=f"{server}_headers")
        extra["Authorization"] = f"Bearer {token}"
    return extra
