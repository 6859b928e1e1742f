"""Replies written from facts: what was understood and what the engine computed, never more."""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.conversation import Intent
from app.domain.recommendation import Recommendation

GREETING = ("Hi! Tell me what you are in the mood for: a movie, some music or something to buy. "
            "Naming a few titles you love helps me most.")
NOTHING_FOUND = ("I found nothing that fits all of that. Try fewer limits, another decade, or tell me "
                 "a title you love.")
ASK_FOR_TASTE = "Tell me two or three titles you love and the next picks will be about you."


def _join(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _years(intent: Intent) -> str:
    if intent.year_min and intent.year_max:
        if intent.year_max - intent.year_min == 9 and intent.year_min % 10 == 0:
            return f" from the {intent.year_min}s"
        return f" from {intent.year_min} to {intent.year_max}" if intent.year_min != intent.year_max \
            else f" from {intent.year_min}"
    if intent.year_min:
        return f" from {intent.year_min} on"
    if intent.year_max:
        return f" up to {intent.year_max}"
    return ""


def recommendation_reply(intent: Intent, recs: Sequence[Recommendation], liked_titles: Sequence[str],
                         reasons: Sequence[str] | None = None) -> str:
    """'Here are 5 picks from the 1990s, for "darker", close to Fargo and Pulp Fiction:' and one line per card."""
    if not recs:
        return NOTHING_FOUND
    kinds = {"movie": "movies", "music": "tracks", "product": "products"}
    noun = kinds.get(intent.domain or "", "picks")
    head = f"Here {'is' if len(recs) == 1 else 'are'} {len(recs)} {noun if len(recs) > 1 else noun.rstrip('s')}"
    head += _years(intent)
    if intent.query:
        head += f" for \u201c{intent.query}\u201d"
    if liked_titles:
        head += f", close to {_join(liked_titles[:3])}"
    lines = [head + ":"]
    for n, rec in enumerate(recs, start=1):
        year = f" ({rec.item.year})" if rec.item.year and rec.item.domain != "music" else ""
        why = reasons[n - 1] if reasons and reasons[n - 1] else (rec.reasons[0] if rec.reasons else "")
        lines.append(f"{n}. {rec.item.title}{year}" + (f": {why}" if why else ""))
    return "\n".join(lines)


def explanation_reply(rec: Recommendation) -> str:
    """Why an item fits, from its breakdown's reasons; says so plainly when little stands out."""
    reasons = list(rec.reasons)
    if not reasons:
        return f"{rec.item.title}: nothing in particular stands out for you; it scored {rec.score:.2f}."
    return f"{rec.item.title}: " + "; ".join(reasons) + "."


def rating_reply(title: str, stars: float) -> str:
    """'Noted: Fargo, 5★.'"""
    return f"Noted: {title}, {stars:g}\u2605."
