"""A conversation with the recommender: what the user wants (Intent), and each turn's record."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal, get_args

Action = Literal["recommend", "refine", "explain", "rate", "add_to_list", "export", "chit_chat"]
ACTIONS: tuple[str, ...] = get_args(Action)
# A spoken or typed request is a sentence or two; a longer one is pasted text, not a request, and would
# only be echoed, searched word by word and saved whole.
MAX_REQUEST_CHARS = 2000
QUOTE_MAX_CHARS = 80  # a reply quotes the user's own words only when they are as short as this (ten words or so)
# Surrogates: bytes that were not UTF-8, as Python decodes them from the command line (surrogateescape);
# SQLite and every UTF-8 encoder refuse them.
_SURROGATES = re.compile("[\ud800-\udfff]")
# Control characters that are not white space (white space, newlines and tabs included, becomes one space).
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def replace_undecodable(text: str) -> str:
    """Text with the bytes that were not UTF-8 (lone surrogates) as U+FFFD."""
    return _SURROGATES.sub("\ufffd", text)


def clean_request(text: str) -> str:
    """A request as a turn reads and saves it: undecodable bytes as U+FFFD, control characters dropped (terminal
    escapes too), each run of white space one space."""
    return " ".join(_CONTROLS.sub("", replace_undecodable(text)).split())


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
    genres: tuple[str, ...] = ()  # every card has all of these ("crime dramas")
    genres_any: tuple[str, ...] = ()  # every card has one of these ("a western or a war film", a mood's genres)
    genres_none: tuple[str, ...] = ()  # no card has any of these ("a kids movie but not a cartoon")
    categories: tuple[str, ...] = ()  # products: in one of these shop categories
    price_min: float | None = None
    price_max: float | None = None
    pace: tuple[str, ...] = ()  # for tracks: slow | moderate | fast
    energy: tuple[str, ...] = ()  # low | medium | high
    brightness: tuple[str, ...] = ()  # dark | warm | bright
    tempo_min: float | None = None  # beats per minute
    tempo_max: float | None = None
    unknown: tuple[str, ...] = ()  # titles named that the catalogue does not hold
    creators: tuple[str, ...] = ()  # "play me some Muldjord": only their work
    aspects: tuple[tuple[str, ...], ...] = ()  # what several words each asked for ("coffee" and "grinder")
    count: int | None = None
    stars: float | None = None  # for "rate"
    list_name: str = ""
    export_format: str = ""

    def merged_into(self, earlier: Intent) -> Intent:
        """A refinement keeps what the earlier request set and replaces only what it speaks to.

        "Only from the 90s" changes the years and keeps the rest; "more energetic" replaces "calm"
        rather than joining it; new words replace the old words instead of piling onto them.
        """
        merged = replace(
            self,
            domain=self.domain or earlier.domain,
            query=self.query or earlier.query,
            liked=tuple(dict.fromkeys(earlier.liked + self.liked)),
            disliked=tuple(dict.fromkeys(earlier.disliked + self.disliked)),
            year_min=self.year_min if self.year_min is not None else earlier.year_min,
            year_max=self.year_max if self.year_max is not None else earlier.year_max,
            # Genres said now replace the earlier ones and the mood's: "make it a cartoon" drops "scary".
            genres=self.genres or (earlier.genres if not self.genres_any else ()),
            genres_any=self.genres_any or (earlier.genres_any if not self.genres else ()),
            genres_none=tuple(dict.fromkeys(earlier.genres_none + self.genres_none)),
            categories=self.categories or (earlier.categories if not (self.genres or self.genres_any) else ()),
            price_min=self.price_min if self.price_min is not None else earlier.price_min,
            price_max=self.price_max if self.price_max is not None else earlier.price_max,
            pace=self.pace or earlier.pace,
            energy=self.energy or earlier.energy,
            brightness=self.brightness or earlier.brightness,
            creators=self.creators or earlier.creators,
            aspects=self.aspects or (earlier.aspects if not (self.genres or self.genres_any) else ()),
            tempo_min=self.tempo_min if self.tempo_min is not None else earlier.tempo_min,
            tempo_max=self.tempo_max if self.tempo_max is not None else earlier.tempo_max,
            count=self.count or earlier.count,
        )
        # A new limit that contradicts an old one replaces it: "from the 80s", then "anything before 1970".
        if merged.year_min is not None and merged.year_max is not None and merged.year_min > merged.year_max:
            merged = replace(merged, year_min=self.year_min, year_max=self.year_max)
        if merged.price_min is not None and merged.price_max is not None and merged.price_min > merged.price_max:
            merged = replace(merged, price_min=self.price_min, price_max=self.price_max)
        return merged

    def as_dict(self) -> dict[str, object]:
        """The intent as JSON-ready data (empty fields left out)."""
        raw = {"action": self.action, "domain": self.domain, "query": self.query, "liked": list(self.liked),
               "disliked": list(self.disliked), "target": self.target, "year_min": self.year_min,
               "year_max": self.year_max, "genres": list(self.genres), "genres_any": list(self.genres_any),
               "genres_none": list(self.genres_none), "categories": list(self.categories),
               "tempo_min": self.tempo_min, "tempo_max": self.tempo_max,
               "price_min": self.price_min, "price_max": self.price_max, "pace": list(self.pace),
               "energy": list(self.energy), "brightness": list(self.brightness), "unknown": list(self.unknown),
               "creators": list(self.creators), "aspects": [list(a) for a in self.aspects],
               "count": self.count, "stars": self.stars,
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
class CardSet:
    """Cards shown together and the request they answered: what "go back" shows again."""

    cards: tuple[str, ...]  # item ids, in order
    intent: Intent = field(default_factory=Intent)
    request: str = ""  # the user's words of that request


# "Go back" steps through this many earlier sets; past that people ask again rather than step back.
MAX_EARLIER_SETS = 5
# Cards "next" never shows again in a session: more than anyone pages through, few enough to save each turn.
MAX_SEEN = 500


@dataclass(frozen=True)
class SessionState:
    """What a conversation has established so far; each turn starts from it and leaves a new one."""

    intent: Intent = field(default_factory=Intent)  # the standing request, refined turn by turn
    liked: tuple[str, ...] = ()  # item ids the user said they liked in this session
    excluded: tuple[str, ...] = ()  # item ids turned down ("not that one")
    shown: tuple[str, ...] = ()  # the last cards, in order: "the second one" is shown[1]
    remember: tuple[str, ...] = ()  # item ids the assistant asked to remember as loved; a "yes" saves them
    focus: str = ""  # the item the last command was about (explained, rated, added): "rate that one"
    last_list: str = ""  # the list the last item was added to: "and Vertigo too"
    earlier: tuple[CardSet, ...] = ()  # the card sets before the last, oldest first: "go back"
    seen: tuple[str, ...] = ()  # every card shown in this session, oldest first: "next" shows none of them again
    request: str = ""  # the user's words of the standing request (what "next" pages through; the recogniser's prompt)

    def showing(self, cards: tuple[str, ...], intent: Intent, request: str) -> SessionState:
        """The state with new cards on screen for a request: the cards they replace are kept to go back to."""
        earlier = self.earlier
        if self.shown and self.shown != cards:
            earlier = (*earlier, CardSet(self.shown, self.intent, self.request))[-MAX_EARLIER_SETS:]
        seen = tuple(dict.fromkeys((*self.seen, *self.shown, *cards)))[-MAX_SEEN:]
        return replace(self, shown=cards, intent=intent, request=request, earlier=earlier, seen=seen)

    def back(self) -> SessionState | None:
        """The state with the set before the last on screen again, or None when these are the first cards."""
        if not self.earlier:
            return None
        previous = self.earlier[-1]
        return replace(self, shown=previous.cards, intent=previous.intent, request=previous.request,
                       earlier=self.earlier[:-1], focus="")
