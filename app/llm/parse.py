"""Reading model answers: untrusted JSON in, validated values out, and a named reason when it fails."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.conversation import ACTIONS, Intent

_MAX_TEXT = 120
# What small models put before a reply: a role or a label ("Assistant:", "Reply:"), or an opening quote.
_LABEL = re.compile(r"^\s*(?:(?:assistant|reply|answer|response)\s*:\s*)?(?:\u201c(?!.*\u201d))?",
                    re.IGNORECASE | re.DOTALL)
_SPECIAL_TOKEN = re.compile(r"<\|[^|>]{1,40}\|>")


class UnusableAnswer(ValueError):
    """A model answer that cannot be used; the message says what was wrong (for the fallbacks list)."""


def load_object(content: str) -> dict[str, Any]:
    """The JSON object in a reply; the first {...} when the model wrapped it in words."""
    text = content.strip()
    if not text:
        raise UnusableAnswer("the model returned nothing")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if start < 0 or end <= start:
            raise UnusableAnswer("the model's answer was not JSON") from None
        try:
            value = json.loads(text[start:end + 1])
        except json.JSONDecodeError as exc:
            raise UnusableAnswer(f"the model's answer was not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise UnusableAnswer("the model's answer was not a JSON object")
    return value


def _text(value: object) -> str:
    return " ".join(str(value).split())[:_MAX_TEXT] if isinstance(value, str) else ""


def _texts(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(t for t in (_text(v) for v in value[:4]) if t)


def intent_from_answer(content: str) -> Intent:
    """The intent form a model filled in (INTENT_SCHEMA), checked field by field."""
    data = load_object(content)
    action = data.get("action")
    if action not in ACTIONS:
        raise UnusableAnswer(f"the model gave an unknown action {action!r}")
    domain = data.get("domain")
    return Intent(action=action, domain=domain if domain in ("movie", "music", "product") else None,
                  query=_text(data.get("about")), liked=_texts(data.get("liked")),
                  disliked=_texts(data.get("disliked")), target=_text(data.get("target")))


@dataclass(frozen=True)
class Pick:
    """One item the model chose from the candidates, with its reason."""

    item_id: str
    reason: str


def picks_from_answer(content: str, candidate_ids: Sequence[str], k: int) -> tuple[list[Pick], list[str]]:
    """The model's picks that are real candidates, in its order, and what had to be repaired."""
    data = load_object(content)
    raw = data.get("picks")
    if not isinstance(raw, list):
        raise UnusableAnswer("the model's answer had no list of picks")
    allowed = set(candidate_ids)
    picks: list[Pick] = []
    repairs: list[str] = []
    for entry in raw:
        item_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(item_id, str) or item_id not in allowed:
            repairs.append(f"dropped an item the candidates did not hold ({str(item_id)[:40]!r})")
            continue
        if any(p.item_id == item_id for p in picks):
            repairs.append("dropped a repeated pick")
            continue
        picks.append(Pick(item_id, _text(entry.get("reason"))))
    if not picks:
        raise UnusableAnswer("none of the model's picks was a candidate")
    if len(picks) < k:
        repairs.append(f"the model picked {len(picks)} of {k}; the ranker's order filled the rest")
    return picks[:k], repairs


def reply_text(content: str) -> str:
    """A free-text reply (or one sentence of it) without the wrapping small models add: a leading
    "Assistant:"/"Reply:" label, an unmatched quote at either end, chat-template tokens ("<|im_end|>")
    and runs of spaces. The words are not judged here: app/services/reply_check.py does that."""
    text = _SPECIAL_TOKEN.sub("", content)
    text = _LABEL.sub("", text, count=1)
    text = re.sub(r"[ \t]+", " ", text).strip()
    for opening, closing in (('"', '"'), ("\u201c", "\u201d")):
        quotes = {opening, closing}
        if len(text) > 1 and text[0] == opening and text[-1] == closing and sum(map(text.count, quotes)) == 2:
            text = text[1:-1].strip()
    if text.count('"') % 2 and text.startswith('"'):
        text = text[1:].lstrip()
    if text.count('"') % 2 and text.endswith('"'):
        text = text[:-1].rstrip()
    if text.endswith("\u201d") and "\u201c" not in text:
        text = text[:-1].rstrip()
    return text
