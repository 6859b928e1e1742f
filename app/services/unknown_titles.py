"""Titles a request names that the catalogue does not hold: said to be unknown, never searched for.

A title is recognised by how people name one: after a cue ("loved", "seen", "along the lines of",
"do you have"), in quotes, opening a sentence that calls it a favourite, or starting with "The".
Whatever the catalogue knows, a genre, a domain word or a pronoun is not one.
"""

from __future__ import annotations

import re

from app.services.request_rules import read_domain
from app.services.titles import TitleIndex, normalise

_TITLE_CUES = (r"(?:(?i:seen|watched|loved|love|liked|like|enjoyed|adored|hate|hated|than|fan of|similar to|called|"
               r"named|titled|asking for|asks for|obsessed with|do (?:you|u) (?:guys )?(?:have|sell|stock)|"
               r"have (?:you|u) got|"
               r"along the lines of|in the spirit of|in the vein of|binged|just watched|finished watching|"
               r"(?:in )?the (?:vibe|style|mould|mold) of|reminds me of|reminiscent of|the likes of|"
               r"play(?: me)?(?: the)?)|"
               r"TITLE\s*(?:,|and|or))")
_TITLE_WORD = r"(?:[A-Z][\w'’:!&.-]*|\d+)"
# Words that start a request or name a day, never a title the user is telling us about.
_NOT_TITLE_WORDS = frozenset("""
hi hey hello please thanks thank ok okay hmm so and but what why how can could would show give find recommend suggest
something anything any some more less only not no im ive id i monday tuesday wednesday thursday friday saturday sunday
christmas halloween bpm
""".split())  # noqa: SIM905
# Words a name asked for never starts with ("do you have from maxstack", "do you have any jazz").
_NOT_A_NAME_START = frozenset("from by for with in on about like any anything something some more other".split())  # noqa: SIM905
_PRONOUNS = frozenset(
    "i it its this that those these them they he she we you me my something anything".split())  # noqa: SIM905


def unknown_titles(masked: str, titles: TitleIndex) -> list[str]:
    """Titles the user named (capitalised or quoted, after 'seen', 'loved', 'like'...) that the catalogue lacks."""
    spans = [m.group(1) for m in re.finditer(r"[\"“]([^\"”]{2,60})[\"”]", masked)]
    spans += [m.group(1) for m in re.finditer(
        rf"\b{_TITLE_CUES}\s+((?:the |a |an )?(?:(?i:track|song|tune|film|movie|book|game|album) )?{_TITLE_WORD}"
        rf"(?:\s+(?:(?:of|the|and|or|then|in|on|to|a|at|for|from|with|de|la|le|du|des|von|van|da)\b|"
        rf"{_TITLE_WORD}))*)", masked)]
    # "is the Nintendo Switch in stock?", "is the Sonos One any good?": a name asked about.
    spans += [m.group(1) for m in re.finditer(
        rf"(?i:\bis|\bare)\s+(?i:the\s+)?({_TITLE_WORD}(?:\s+{_TITLE_WORD}){{0,3}})\s+"
        rf"(?i:in stock|available|any good|worth it|for sale|on here|in here|on the app)", masked)]
    # "do you have shrek?": asked for by name, in whatever case, up to the end of the question; in lower case,
    # only words the catalogue never uses ("do you have yoga mats?" asks for a kind of thing).
    spans += [_capitalised(m.group(1)) for m in re.finditer(
        r"(?i:\bdo (?:you|u) (?:guys )?(?:have|stock|carry|sell)|\bhave (?:you|u) got)\s+((?:the |a |an )?[\w'’:!&.-]+"
        r"(?:\s+[\w'’:!&.-]+){0,3}?)\s*(?=[?,.!]|$|\s+(?:or|if|in|on|at)\b)", masked)
        if not m.group(1).islower() or not _uses_catalogue_words(m.group(1), titles)]
    # "any AeroPress alternatives?", "an alternative to the Kindle": a name something should replace.
    spans += [m.group(1) or m.group(2) for m in re.finditer(
        rf"(?i:\bany|\bsome)\s+({_TITLE_WORD}(?:\s+{_TITLE_WORD}){{0,3}})\s+(?i:alternatives?)\b|"
        rf"(?i:\balternatives?\s+to|\binstead\s+of)\s+(?i:the\s+|an?\s+)?({_TITLE_WORD}(?:\s+{_TITLE_WORD}){{0,3}})",
        masked)]
    # "Gladiator is my favourite film": a sentence that opens with a name and calls it a favourite.
    spans += [m.group(1) for m in re.finditer(
        rf"(?:^|[.!?]\s+)({_TITLE_WORD}(?:\s+(?:of|the|and|in|on|to|a|{_TITLE_WORD}))*)\s+(?:is|was|has always been)\s+"
        rf"(?:my|the|one of my)\s+(?:all[- ]time\s+)?(?:favou?rite|best)", masked)]
    # "The" and capitalised words name a title wherever they stand ("The Dark Knight is my favourite");
    # other capitalised runs only after a cue, since they are as often places and people ("New York").
    spans += [m.group(0) for m in re.finditer(
        r"\bThe\s+[A-Z][\w'’:!&-]*(?:\s+(?:of|the|and|in|on|to|a)?\s*[A-Z][\w'’:!&-]*)*", masked)]
    lists = {normalise(m.group(1)) for m in re.finditer(r"(?i:\blist\s+(?:called|named))\s+([\w' -]{1,40})", masked)}
    spans = [span for span in spans if not any(normalise(span) and normalise(span) in name for name in lists)]
    found = []
    parts = [part for whole in spans for part in re.split(r"\s*(?:,|\band then\b|\band\b|\bor\b|\bthen\b)\s*"
                                                          r"(?=[A-Z\d])", whole)]
    for part in parts:
        span = re.sub(r"(\s+(of|the|and|or|then|in|on|to|a|at|for|from|with))+$", "",
                      part.strip(" .,!?")).strip(" .,!?")
        span = re.sub(r"^(?:the|a|an)\s+(?=[A-Z])", "", span)  # "do you sell the AeroPress": AeroPress
        # "do you have the track Duel of the Fates": the name, without the kind of thing it is.
        span = re.sub(r"^(?i:the\s+)?(?i:track|song|tune|film|movie|book|game|album|board game)\s+(?=[A-Z])", "",
                      span)
        key = normalise(span)
        if not key or "TITLE" in span or key in _PRONOUNS or key in titles.genres or titles.knows(span) \
                or key.split()[0] in _NOT_A_NAME_START \
                or read_domain(key) is not None or key.split()[0] in _PRONOUNS or key.isdigit() \
                or any(w in _NOT_TITLE_WORDS for w in key.split()):
            continue
        found.append(span)
    return list(dict.fromkeys(found))


def _uses_catalogue_words(name: str, titles: TitleIndex) -> bool:
    """Whether a phrase holds a word the catalogue's items use ("noise cancelling headphones")."""
    return any(titles.domain_of_word(word) is not None or titles.domain_of_word(word.rstrip("s")) is not None
               for word in normalise(name).split() if word not in ("the", "a", "an", "any", "some"))


def _capitalised(name: str) -> str:
    """A name typed in lower case as a title is written ("the matrix" -> "The Matrix")."""
    return name.title() if name.islower() else name
