"""Messages to and from a chat model, tool calls, and what a reply carries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]
Backend = Literal["ollama", "embedded"]


@dataclass(frozen=True)
class ToolCall:
    """A function the model asked to call, with its arguments."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolSpec:
    """A function the model may call: a name, what it does, and a JSON schema of its parameters."""

    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatMessage:
    """One message of a conversation with the model."""

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_name: str = ""  # for role "tool": which tool's result this is


@dataclass(frozen=True)
class ChatReply:
    """What the model answered, and what it cost."""

    content: str
    backend: Backend
    model: str
    tool_calls: tuple[ToolCall, ...] = ()
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
