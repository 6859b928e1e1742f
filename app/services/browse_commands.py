"""Browsing said or typed: "next", "go back", "the second one", "play a bit of the third", "open my lists",
"read me the reasons", "stop".

Each is read by rules from the whole sentence, never from a word inside a longer one: "show me more" pages,
but "show me more comedies" asks for comedies, "play the third" previews a card but "play something upbeat"
asks for music, "stop" silences the reply but "stop showing me horror" refines the request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.domain.browse import BrowseKind
from app.services.request_rules import heard_numbers

# A card said by its place. "Last" is -1: how many cards there are is the turn's business, not the reader's.
_PLACES = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5,
           "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8, "ninth": 9, "9th": 9,
           "tenth": 10, "10th": 10, "last": -1}
_COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
           "ten": 10, "couple": 2, "a couple": 2, "a couple of": 2}
_PLACE = "|".join(_PLACES)
_NUMBER = r"\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten"
_KIND_OF_CARD = r"(?:\s+(?:one|card|pick|result|movie|film|song|track|tune|product|item|thing))?"
# "the second one", "the 2nd", "number two", "card 3", "#4", "the last one"
_CARD = rf"(?:(?:the\s+)?(?P<place>{_PLACE}){_KIND_OF_CARD}|(?:number|card|no\.?|#)\s*(?P<number>{_NUMBER}))"
# "it", "that one", "this track": the card talked about (or selected)
_POINTED = r"(?P<pointed>it|this|that|(?:this|that)\s+(?:one|card|track|song|tune|film|movie|product))"

# What people put around a command without changing it: "ok, next please", "can you go back now?"
_LEAD = re.compile(r"^(?:(?:ok(?:ay)?|alright|all right|right|so|um+|uh+|er+|hmm+|hey|and|then|now|well|yes|yeah|"
                   r"please|just|oh|cool|great|nice|thanks|thank you|wait)\b[\s,]*)+")
_ASK = re.compile(r"^(?:(?:can|could|would|will) you|can i|could i|may i|i want to|i'?d like to|let'?s|let us)\s+")
_TAIL = re.compile(r"(?:[\s,]+(?:please|pls|thanks|thank you|now|then|for me|again|quickly|mate))+$")

_STOP = re.compile(r"^(?:stop|stop it|stop that|stop there|stop now|stop talking|stop speaking|stop reading|"
                   r"stop playing|stop the (?:music|preview|track|song|audio|reading|voice|sound)|shut up|"
                   r"(?:be |keep )?quiet|hush|shush|shh+|silence|pause|pause it|pause that|enough|"
                   r"that'?s enough|cancel|never mind that|ok stop)$")
_PAGE_WORDS = {"list": "lists", "lists": "lists", "playlist": "lists", "playlists": "lists", "library": "library",
               "collection": "library", "discover": "discover", "discovery": "discover",
               "recommendations": "discover", "settings": "settings", "preferences": "settings"}
_OPEN = re.compile(rf"^(?:(?:open|show|show me|go to|go into|take me to|switch to|back to|go back to|jump to|"
                   rf"bring up|let me see|see|head to|move to)\s+)?(?:(?:my|the|your)\s+)?"
                   rf"(?P<page>{'|'.join(_PAGE_WORDS)})(?:\s+(?:page|tab|screen|view))?$")
# "open my road trip list", "show me the Gym playlist": the Lists page (it shows every list)
_OPEN_A_LIST = re.compile(r"^(?:open|show|show me|go to|take me to|switch to)\s+(?:my|the)\s+[\w' -]{1,40}?\s+"
                          r"(?:list|playlist)$")
_BACK = re.compile(r"^(?:(?:go|step|take me|bring me|page)\s+)?back(?:\s+(?:up|one|a page|a step))?$|"
                   r"^previous(?:\s+(?:page|ones|cards|set|batch|results|picks))?$|"
                   r"^(?:(?:show me|bring back|go back to|back to|show)\s+)?(?:the\s+)?"
                   r"(?:previous|earlier|last|old) (?:ones|cards|set|batch|results|picks|page)$|"
                   r"^(?:(?:show me|bring back|go back to|back to|show)\s+)?the ones (?:before|from before)$")
_MORE = re.compile(rf"^(?:next|next (?:page|ones?|set|batch|few|lot|cards)|the next (?:ones|few|page|set|batch|lot)|"
                   rf"(?:(?:show|give|find|get|bring)(?: me| us)?\s+)?(?:(?P<count>{_NUMBER}|a few|a couple(?: of)?|"
                   rf"some|any)\s+)?more(?:\s+(?:ones|options|picks|ideas|suggestions|results|cards))?|"
                   rf"(?:show|give)(?: me| us)? (?:the )?next (?:ones|few|page|set|batch|lot)|anymore|"
                   r"keep going|go on|carry on|what else|what else (?:have you got|do you have|is there|you got)|"
                   r"anything else|what other ones|what others)$")
_LISTEN = r"(?:play|preview|sample|hear)(?: me| us)?|let me hear|let us hear|let'?s hear|can i hear|i want to hear|" \
    r"give (?:me |it )?a listen(?: to)?|listen to|have a listen to"
_SNIPPET = r"a (?:bit|little|little bit|snippet|sample|preview|clip|taste|few seconds|listen)"
_PREVIEW = re.compile(rf"^(?:{_LISTEN})\s+(?:(?:{_SNIPPET}|some|the start|the beginning|part)\s+of\s+)?"
                      rf"(?:{_CARD}|{_POINTED})$")
# "play a bit", "preview": the card talked about, or the first
_PREVIEW_IT = re.compile(rf"^(?:(?:play|preview|give me|let me hear|let'?s hear|hear)\s+{_SNIPPET}|preview)$")
_READ = re.compile(rf"^(?:(?:read|tell|say|give)(?: me| us)?(?: out)? (?:the |its |their |your )?"
                   rf"(?:reasons?|reasoning|explanation|why)|read (?:out |me )?(?:the )?(?:reasons?|explanation)|"
                   rf"tell me why|what are the reasons|read (?:it|that|them) (?:out|to me|aloud|out loud))"
                   rf"(?:\s+(?:(?:for|of|behind|about)\s+)?(?:{_CARD}|{_POINTED}))?"
                   r"(?:\s+(?:out loud|aloud|to me|out))?$")
_SELECT = re.compile(rf"^(?:(?:select|pick|choose|show me|show|go to|highlight|focus on|look at|open|let me see|"
                     rf"take me to|move to|jump to|i'?ll take|i choose|i pick)\s+)?{_CARD}$")


@dataclass(frozen=True)
class BrowseCommand:
    """A browsing command as said: what kind, which card (by place or pointed at), which page, how many more."""

    kind: BrowseKind
    card: int = 0  # the card by its place on screen, from 1; -1 the last; 0 when none was said
    pointed: bool = False  # "it", "that one": the card last talked about
    page: str = ""  # open: discover, lists, library (or settings, which is no page of the window)
    count: int | None = None  # more: "three more"


def read_browse_command(text: str) -> BrowseCommand | None:
    """The browsing command a whole sentence is ("next", "play the third", "open my lists"), or None for a request."""
    said = _bare(text)
    if not said:
        return None
    if _STOP.match(said):
        return BrowseCommand("stop")
    opened = _OPEN.match(said)
    if opened:
        return BrowseCommand("open", page=_PAGE_WORDS[opened.group("page")])
    if _OPEN_A_LIST.match(said):
        return BrowseCommand("open", page="lists")
    if _BACK.match(said):
        return BrowseCommand("back")
    more = _MORE.match(said)
    if more:
        return BrowseCommand("more", count=_count(more.group("count")))
    if _PREVIEW_IT.match(said):
        return BrowseCommand("preview", pointed=True)
    for kind, pattern in (("preview", _PREVIEW), ("read", _READ), ("select", _SELECT)):
        found = pattern.match(said)
        if found:
            card, pointed = _card_of(found)
            return BrowseCommand(kind, card=card, pointed=pointed)  # type: ignore[arg-type]
    return None


def _bare(text: str) -> str:
    """The sentence in lower case without what people put around a command, its numbers as heard."""
    said = heard_numbers(text).casefold().replace("\u2019", "'")
    said = re.sub(r"[^\w'#. -]+", " ", said)  # punctuation: "next!", "stop.", "the second one?"
    said = " ".join(said.replace(" .", " ").split()).strip(" .")
    for _ in range(2):  # "ok so can you go back please": the lead-in, then the ask
        said = _LEAD.sub("", said).strip()
        said = _ASK.sub("", said).strip()
    return _TAIL.sub("", said).strip(" .")


def _count(word: str | None) -> int | None:
    """How many more were asked for ("three more", "5 more"); None when unsaid or vague ("some more")."""
    if word is None:
        return None
    if word.isdigit():
        return int(word) or None
    return _COUNTS.get(word)


def _card_of(found: re.Match[str]) -> tuple[int, bool]:
    """(place, pointed) of the card a command names: (2, False) for "the second", (0, True) for "it"."""
    groups = found.groupdict()
    if groups.get("place"):
        return _PLACES[groups["place"]], False
    if groups.get("number"):
        number = groups["number"]
        return (int(number) if number.isdigit() else _COUNTS[number]), False
    return 0, bool(groups.get("pointed"))
