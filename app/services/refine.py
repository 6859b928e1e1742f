"""Follow-ups said relative to what is on screen: "cheaper", "newer", "more energetic", "slower".

A comparative only means something against the cards the user just saw, so it becomes a limit taken
from them: "cheaper" keeps products below the middle price shown, "more energetic" moves the energy
up a level from the level most cards had. Words with a number ("under 30 dollars") are read by the
rules instead and win.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from app.catalog.music_items import descriptors_of, pace
from app.domain.conversation import Intent
from app.domain.items import Item

LEVELS = {"energy": ("low", "medium", "high"), "pace": ("slow", "moderate", "fast"),
           "brightness": ("dark", "warm", "bright")}
_UP = {
    "energy": r"more energetic|more energy|livelier|louder|more upbeat|more intense|pumped|harder|heavier|punchier",
    "pace": r"faster|quicker|speedier|more tempo|higher bpm",
    "brightness": r"brighter|happier|more cheerful|sunnier",
}
_DOWN = {
    "energy": r"calmer|quieter|softer|more relaxed|more relaxing|mellower|more chill|gentler|less intense|"
              r"less energetic|lower energy",
    "pace": r"slower|less fast|lower bpm",
    "brightness": r"darker|gloomier|moodier|sadder",
}
_CHEAPER = r"cheaper|less expensive|more affordable|lower price|less money|not so expensive|too expensive|too pricey"
_PRICIER = r"pricier|more expensive|fancier|more premium|higher end|nicer|splurge"
_NEWER = r"newer|more recent|later|less old|more modern"
_OLDER = r"older|earlier|more classic|less recent"


def relative_to_cards(text: str, intent: Intent, shown: Sequence[Item]) -> Intent:
    """The intent with the comparatives of text turned into limits taken from the cards shown."""
    low = text.casefold()
    if not shown:
        return intent
    prices = [p for p in map(_price, shown) if p is not None]
    if prices and intent.price_max is None and _says(_CHEAPER, low):
        intent = replace(intent, price_max=_below(statistics.median(prices), min(prices)))
    if prices and intent.price_min is None and _says(_PRICIER, low):
        intent = replace(intent, price_min=statistics.median(prices) + 0.01)
    years = [i.year for i in shown if i.year]
    if years and intent.year_min is None and _says(_NEWER, low):
        intent = replace(intent, year_min=int(statistics.median(years)) + 1)
    if years and intent.year_max is None and _says(_OLDER, low):
        intent = replace(intent, year_max=int(statistics.median(years)) - 1)
    sounds = [d for d in map(descriptors_of, shown) if d is not None]
    if sounds:
        now = {"energy": Counter(d.energy for d in sounds).most_common(1)[0][0],
               "pace": Counter(pace(d.tempo_bpm) for d in sounds).most_common(1)[0][0],
               "brightness": Counter(d.brightness for d in sounds).most_common(1)[0][0]}
        for kind, levels in LEVELS.items():
            at = levels.index(now[kind]) if now[kind] in levels else 1
            wanted = levels[min(at + 1, 2):] if _says(_UP[kind], low) else \
                levels[:max(at, 1)] if _says(_DOWN[kind], low) else None
            if wanted is not None:
                intent = with_sound(intent, kind, wanted)
    return intent


_HALVE = r"(?:halve|half|cut in half)\s+(?:that|the|my|this)?\s*(?:budget|price|limit)|" \
    r"half (?:that|the) (?:budget|price)"
_DOUBLE = r"double\s+(?:that|the|my|this)?\s*(?:budget|price|limit)"


def relative_to_request(text: str, intent: Intent, earlier: Intent) -> Intent:
    """The intent with years or a budget said relative to the standing request: "newer" than "the 50s" is
    from 1960 on, "older" than "after 1990" up to 1990; "halve that budget", "double it"."""
    low = text.casefold()
    if intent.year_min is None and intent.year_max is None:
        if earlier.year_max is not None and _says(_NEWER, low):
            intent = replace(intent, year_min=earlier.year_max + 1)
        elif earlier.year_min is not None and _says(_OLDER, low):
            intent = replace(intent, year_max=earlier.year_min - 1)
    intent = _with_more_of(low, intent, earlier)
    if intent.price_max is not None or earlier.price_max is None:
        return intent
    factor = 0.5 if _says(_HALVE, low) else 2.0 if _says(_DOUBLE, low) else None
    if factor is None:
        return intent
    # The words were about money only: what was being looked for stays as it was ("budget" is no tag here).
    return replace(intent, price_max=round(earlier.price_max * factor, 2), query="", genres_any=(), aspects=(),
                   categories=())


# "Funnier", "more on the funny side", "with a bit of action": the genre joins the standing ones.
_MORE_OF = (r"\w+ier|more on the|a bit more|a bit of|bit of|a little|also|add|throw in|as well|"
            r"same (?:sort|kind|type) of (?:thing|stuff)|same but|but with|with a bit of|with some|in it too")
_INSTEAD = r"instead|rather|switch|change|only|just"


def _with_more_of(low: str, intent: Intent, earlier: Intent) -> Intent:
    """The intent with a genre said as "more of it" added to the standing request's genres, not replacing them:
    romantic films "but funnier" are romantic comedies; "make it a comedy instead" still replaces."""
    new = intent.genres or intent.genres_any
    standing = (*earlier.genres, *earlier.genres_any)
    if not new or not standing or set(new) & set(standing) or len(new) > 2 or _says(_INSTEAD, low) \
            or not (_says(_MORE_OF, low) or re.search(r"\btoo\W*$", low)):
        return intent
    single = earlier.genres_any if len(earlier.genres_any) == 1 else ()
    wider = earlier.genres_any if len(earlier.genres_any) > 1 else ()
    if len(new) == 1:
        return replace(intent, genres=tuple(dict.fromkeys((*earlier.genres, *single, *new))), genres_any=wider)
    return replace(intent, genres=tuple(dict.fromkeys((*earlier.genres, *single))), genres_any=new)


def with_sound(intent: Intent, kind: str, levels: tuple[str, ...]) -> Intent:
    """The intent with one sound descriptor (pace, energy or brightness) limited to these levels."""
    if kind == "energy":
        return replace(intent, energy=levels)
    return replace(intent, pace=levels) if kind == "pace" else replace(intent, brightness=levels)


def _says(pattern: str, low: str) -> bool:
    return bool(re.search(rf"\b(?:{pattern})\b", low))


def _below(middle: float, lowest: float) -> float:
    """A price limit under the middle price shown (and under the cheapest when all cost the same)."""
    return round(middle - 0.01, 2) if middle > lowest else round(lowest - 0.01, 2)


def _price(item: Item) -> float | None:
    try:
        return float(item.attributes["price"])
    except (KeyError, ValueError):
        return None
