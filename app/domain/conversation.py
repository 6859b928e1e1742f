"""A conversation with the recommender: what the user wants (Intent), and each turn's record."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal, get_args

Action = Literal["recommend", "refine", "explain", "rate", "add_to_list", "export", "chit_chat"]
ACTIONS: tuple[str, ...] = get_args(Action)


@dataclass(frozen=True)
class Intent:
    """What one request asks for, as parsed: an action, references as the user said them, and filters."""

    action: Action = "recommend"
    domain: str | None = None  # movie | music | product
    query: str = ""  # the free-text part a vector search can use ("dark", "calm piano")
    liked: tuple[str, ...] = ()  # titles or artists the user says they like
    disliked: tuple[str, ...] = ()
    target: str = ""  # what "why", "rate" or "add" is about: a title, or "2" for the second card
    year_min: int | None = None
    year_max: int | None = None
    genres: tuple[str, ...] = ()
    count: int | None = None
    stars: float | None = None  # for "rate"
    list_name: str = ""
    export_format: str = ""

    def merged_into(self, earlier: Intent) -> Intent:
        """A refinement ("only from the 90s") keeps what the earlier request set and it did not change."""
        return replace(
            self,
            domain=self.domain or earlier.domain,
            query=" ".join(q for q in (earlier.query, self.query) if q).strip(),
            liked=tuple(dict.fromkeys(earlier.liked + self.liked)),
            disliked=tuple(dict.fromkeys(earlier.disliked + self.disliked)),
            year_min=self.year_min if self.year_min is not None else earlier.year_min,
            year_max=self.year_max if self.year_max is not None else earlier.year_max,
            genres=self.genres or earlier.genres,
            count=self.count or earlier.count,
        )

    def as_dict(self) -> dict[str, object]:
        """The intent as JSON-ready data (empty fields left out)."""
        raw = {"action": self.action, "domain": self.domain, "query": self.query, "liked": list(self.liked),
               "disliked": list(self.disliked), "target": self.target, "year_min": self.year_min,
               "year_max": self.year_max, "genres": list(self.genres), "count": self.count, "stars": self.stars,
               "list_name": self.list_name, "export_format": self.export_format}
        return {k: v for k, v in raw.items() if v not in (None, "", [])}


@dataclass(frozen=True)
class TurnRecord:
    """One exchange as the session keeps it: what was said, understood, shown and answered."""

    session_id: str
    number: int
    user_text: str
    reply: str
    intent: Intent
    shown: tuple[str, ...] = ()  # item ids of the cards, in order
    backend: str = ""
    fallbacks: tuple[str, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionState:
    """What a conversation has established so far; each turn starts from it and leaves a new one."""

    intent: Intent = field(default_factory=Intent)  # the standing request, refined turn by turn
    liked: tuple[str, ...] = ()  # item ids the user said they liked in this session
    excluded: tuple[str, ...] = ()  # item ids turned down ("not that one")
    shown: tuple[str, ...] = ()  # the last cards, in order: "the second one" is shown[1]
