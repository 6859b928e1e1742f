"""Sessions and turns in SQLite: a conversation survives a restart, and "the second one" still means a card."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import fields
from typing import Any

from app.domain.conversation import CardSet, Intent, SessionState, TurnRecord
from app.domain.errors import StoreError
from app.store.sqlite import SQLiteStore

_HISTORY = 6  # turns a prompt sees: enough for "that one", short enough for a small model's context


class ConversationStore:
    """The sessions and turns tables over the shared SQLite store."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store

    def open_session(self, session_id: str | None = None) -> tuple[str, SessionState]:
        """The session with this id, or a new one (with a fresh id when none is given) that is written with its
        first turn: a turn that fails leaves no empty conversation behind."""
        session_id = (session_id or uuid.uuid4().hex[:10]).strip()
        if not session_id or len(session_id) > 100:
            raise StoreError("a session id is 1 to 100 characters")
        with self._store.reading() as db:
            row = db.execute("SELECT state FROM sessions WHERE id=?", (session_id,)).fetchone()
        if row is not None:
            return session_id, state_from_json(json.loads(row[0]))
        return session_id, SessionState()

    def state_of(self, session_id: str) -> SessionState | None:
        """A session's state, or None when there is no such session (nothing is created)."""
        with self._store.reading() as db:
            row = db.execute("SELECT state FROM sessions WHERE id=?", (session_id,)).fetchone()
        return None if row is None else state_from_json(json.loads(row[0]))

    def save_turn(self, record: TurnRecord, state: SessionState) -> None:
        """Keep a finished turn and the session state it left (the session too, on its first turn), together or
        not at all."""
        now = time.time()
        with self._store.transaction() as db:
            db.execute("INSERT OR IGNORE INTO sessions (id, created, updated, state) VALUES (?,?,?, '{}')",
                       (record.session_id, now, now))
            db.execute("INSERT INTO turns (session_id, number, at, user_text, reply, intent, shown, backend, "
                       "fallbacks, timings) VALUES (?,?,?,?,?,?,?,?,?,?)",
                       (record.session_id, record.number, now, record.user_text, record.reply,
                        json.dumps(record.intent.as_dict()), json.dumps(list(record.shown)), record.backend,
                        json.dumps(list(record.fallbacks)), json.dumps(record.timings_ms)))
            db.execute("UPDATE sessions SET updated=?, state=? WHERE id=?",
                       (now, json.dumps(state_to_json(state)), record.session_id))

    def recent_turns(self, session_id: str, limit: int = _HISTORY) -> list[TurnRecord]:
        """The session's last turns, oldest first."""
        with self._store.reading() as db:
            rows = db.execute("SELECT number, user_text, reply, intent, shown, backend, fallbacks, timings FROM turns "
                              "WHERE session_id=? ORDER BY number DESC LIMIT ?", (session_id, limit)).fetchall()
        return [TurnRecord(session_id, n, text, reply, intent_from_json(json.loads(intent)),
                           tuple(json.loads(shown)), backend, tuple(json.loads(fallbacks)), json.loads(timings))
                for n, text, reply, intent, shown, backend, fallbacks, timings in reversed(rows)]

    def next_turn_number(self, session_id: str) -> int:
        """The number the session's next turn gets (1 for the first)."""
        with self._store.reading() as db:
            row = db.execute("SELECT max(number) FROM turns WHERE session_id=?", (session_id,)).fetchone()
        return int(row[0] or 0) + 1


def intent_from_json(data: dict[str, Any]) -> Intent:
    """An Intent from its as_dict() form; unknown keys are ignored, lists become tuples."""
    known = {f.name for f in fields(Intent)}
    values: dict[str, Any] = {k: tuple(tuple(x) if isinstance(x, list) else x for x in v) if isinstance(v, list) else v
                              for k, v in data.items() if k in known}
    return Intent(**values)


def state_to_json(state: SessionState) -> dict[str, Any]:
    """A session state as JSON-ready data."""
    return {"intent": state.intent.as_dict(), "liked": list(state.liked), "excluded": list(state.excluded),
            "shown": list(state.shown), "remember": list(state.remember), "focus": state.focus,
            "last_list": state.last_list, "request": state.request, "seen": list(state.seen),
            "earlier": [{"cards": list(s.cards), "intent": s.intent.as_dict(), "request": s.request}
                        for s in state.earlier]}


def state_from_json(data: dict[str, Any]) -> SessionState:
    """A session state from state_to_json's form (an empty object is a new session; older forms lack the newer
    fields, which start empty)."""
    earlier = tuple(CardSet(tuple(s.get("cards", ())), intent_from_json(s.get("intent", {})), str(s.get("request", "")))
                    for s in data.get("earlier", ()) if isinstance(s, dict))
    return SessionState(intent_from_json(data.get("intent", {})), tuple(data.get("liked", ())),
                        tuple(data.get("excluded", ())), tuple(data.get("shown", ())), tuple(data.get("remember", ())),
                        str(data.get("focus", "")), str(data.get("last_list", "")), earlier=earlier,
                        seen=tuple(data.get("seen", ())), request=str(data.get("request", "")))
