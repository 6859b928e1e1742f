"""Mood words turned into the words catalogue texts actually contain.

MovieLens items have no descriptions: "darker" matches only titles with "Dark" or "Night" in
them. Spelled out as the genres that mood means ("crime thriller film-noir"), a query meets the
genre words every item's text carries. Music descriptors are written the same way the music
items' texts are (app/catalog/music_items.py).
"""

from __future__ import annotations

import re

_MOODS: dict[str, dict[str, str]] = {
    "movie": {
        r"dark(er)?|grim(mer)?|bleak(er)?|gritty|noir|disturbing|violent": "crime thriller film-noir mystery",
        r"funn(y|ier)|light(er)?|fun|silly|hilarious|laugh": "comedy",
        r"scar(y|ier)|creepy|spooky|terrifying": "horror thriller",
        r"romantic|love story|date night": "romance",
        r"upbeat|feel[- ]good|happ(y|ier)|cheerful|uplifting": "comedy musical",
        r"kids?|family|children": "children's animation",
        r"epic|grand|sweeping": "adventure war epic",
        r"mind[- ]bending|cerebral|trippy": "sci-fi mystery",
        r"sad(der)?|tear[- ]?jerker|moving": "drama",
        r"exciting|thrilling|action[- ]packed": "action adventure thriller",
    },
    "music": {
        r"calm(er)?|relax(ing|ed)?|chill|mellow|quiet(er)?|soft(er)?|sleep": "calm quiet slow",
        r"upbeat|energetic|party|workout|pump(ed)?|loud(er)?|intense": "energetic loud fast",
        r"dark(er)?|moody|brooding|sad(der)?": "dark minor",
        r"bright(er)?|happ(y|ier)|cheerful|sunny": "bright major",
        r"slow(er)?": "slow", r"fast(er)?|quick(er)?": "fast",
    },
}


def expand_query(query: str, domain: str | None) -> str:
    """The query with the words its moods stand for added (the user's own words stay first)."""
    extra: list[str] = []
    for name in ([domain] if domain in _MOODS else list(_MOODS)):
        for pattern, words in _MOODS[str(name)].items():
            if re.search(rf"\b(?:{pattern})\b", query, re.I) and words not in extra:
                extra.append(words)
    return " ".join([query, *extra]).strip()
