"""Which catalogue items a request names, and whether the user likes them or not; the rest is the query."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.services.titles import Mention, TitleIndex, normalise

_DISLIKE_CUES = ("not", "hated", "hate", "dislike", "disliked", "didnt like", "dont like", "except", "without",
                 "nothing like", "no more", "avoid", "anything but", "but not", "cant stand", "couldnt stand",
                 "stop showing", "skip", "tired of", "sick of", "nothing from", "none of", "drop", "remove",
                 "get rid of", "take out", "ditch")
_STOPWORDS = frozenset("""
a an the and or but of to in on for with from by at as is are was were be been it its this that these those
i me my we our you your he she they them their something anything some any more most less really very so just
like likes liked love loved lovely enjoy enjoyed want wanted need needs give show find recommend suggest suggestions
please can could would should will do does did have has had get got tell about maybe kind sort stuff things thing
movie movies film films song songs track tracks music album albums product products gift gifts one ones
what which who whom whose how why when where there here im ive id lets new good great nice best top watch listen
buy play hear same similar also too than then now itself not no nothing without except hate hated seen
watched heard dislike disliked already instead make sell stock
""".split())  # noqa: SIM905 (a word list reads best as text)
_CUE_WORDS = frozenset("hate hated love loved like liked dislike enjoy enjoyed seen watched heard".split())  # noqa: SIM905
_NEUTRAL_CUES = ("recommend", "suggest", "show me", "instructions and")  # naming a title to be shown, not liked
_STILL_LIKED = re.compile(r"^\s*but\s+(something|anything|stuff)\s+(like|similar)")


@dataclass(frozen=True)
class References:
    """Items a request names, sorted into liked and disliked, and the words left for the query."""

    liked: tuple[str, ...]
    disliked: tuple[str, ...]
    named: tuple[str, ...]  # every item named, in order (the target of "why X?")
    query: str
    spans: tuple[str, ...] = ()  # the normalised words of each mention, to mask them for the other rules
    artists: tuple[str, ...] = ()  # music artists liked by name: their tracks are in liked


def read_references(text: str, index: TitleIndex) -> References:
    """Catalogue items named in the request and whether the user likes them; the rest as query words."""
    words = normalise("x " + text).split()[1:]
    capitalised = _capitalised(text)
    mentions = index.mentions(text, single_words=[*capitalised, *_words_after_cues(words)])
    # "I hate Pulp Fiction" is not about La Haine ("Hate"), nor "a film about the war" about The War: a
    # lone lower-case word (after an article) that is a cue or a genre names no title.
    said_big = {normalise(w) for w in capitalised}
    # "I can't sleep", "I like it": a title that reads as the user's own sentence about themselves, typed
    # in lower case and not after a cue, is that sentence.
    mentions = [m for m in mentions if not _said_of_oneself(m, words, text)]
    # "Toy Story 4" is not Toy Story: a number right after a title makes another title (a sequel).
    mentions = [m for m in mentions if not _sequel_of(m, words, text, index)]
    # "If not, show me...": a word people start commands with is no one-word title in lower case.
    mentions = [m for m in mentions if m.end - m.start > 1 or m.words in said_big or m.words not in _SENTENCE_OPENERS]
    mentions = [m for m in mentions if m.words in said_big or _core(m.words) in said_big
                or len(_core(m.words).split()) > 1
                or (_core(m.words) not in _CUE_WORDS and _core(m.words) not in index.genres)]
    liked: list[str] = []
    disliked: list[str] = []
    franchise: list[str] = []
    previous: tuple[int, str] | None = None  # where the last mention ended, and which way it went
    for mention in mentions:
        between = words[previous[0]:mention.start] if previous else []
        before = " ".join(words[max(0, mention.start - 4):mention.start])
        after = " ".join(words[mention.end:mention.end + 5])
        if previous and all(w in ("and", "or", "nor") for w in between):
            polarity = previous[1]  # "not X or Y": the "not" covers both
        elif any(before.endswith(cue) for cue in _NEUTRAL_CUES):
            polarity = "named"
        elif (any(f" {cue} " in f" {before} " for cue in _DISLIKE_CUES) or before.endswith(" no") or before == "no") \
                and not _STILL_LIKED.match(after):  # "no" only right before it: not "No, I loved Fargo"
            polarity = "disliked"
        else:
            polarity = "liked"
        if polarity == "disliked" and re.match(r"^\s*itself\b", after):
            polarity = "named"  # "like X but darker, not X itself": X is the seed, only not to be shown again
        if polarity == "liked" and re.search(r"\b(seen|watched|heard)\b", before) and \
                re.search(r"\b(already|before)\b", " ".join(words[mention.end:])):
            polarity = "disliked"  # "I've seen Chinatown and Vertigo already"
        if polarity == "liked" and mention.artist:
            liked.extend(t for t in index.tracks_by(mention.artist) if t != mention.item.id)
        {"liked": liked, "disliked": disliked}.get(polarity, []).append(mention.item.id)
        if polarity == "disliked" and not mention.artist and mention.words != normalise(mention.item.title):
            # "no star trek": fewer words than a title says, so every title they start is ruled out (a title
            # liked outright stays liked: see below).
            franchise.extend(index.starting_with(mention.words))
        previous = (mention.end, polarity)
    seen_all = re.search(r"\b(ive|i have|already) (seen|watched|heard) (those|them|both)\b", " ".join(words))
    if seen_all and disliked:
        liked = liked[:1]  # "like X but not Y or Z, I've seen those": everything after the first is seen
    disliked += [i for i in franchise if i not in liked]
    for item_id, start, end in _typed_titles(words, mentions, index):
        liked.append(item_id)
        mentions.append(Mention(index.item(item_id), start, end, " ".join(words[start:end])))  # type: ignore[arg-type]
    used = {i for m in mentions for i in range(m.start, m.end)}
    # A price ("under 100") is what the request is about; other numbers were read by the rules.
    leftover = [w for i, w in enumerate(words) if i not in used and (w not in _STOPWORDS or _is_love_story(words, i))
                and (not _is_filler(w) or (w.isdigit() and i and words[i - 1] in _PRICE_WORDS))]
    return References(tuple(dict.fromkeys(liked)), tuple(dict.fromkeys(disliked)),
                      tuple(dict.fromkeys(m.item.id for m in mentions)), " ".join(leftover),
                      tuple(m.words for m in mentions),
                      tuple(dict.fromkeys(m.artist for m in mentions if m.artist and m.item.id in liked)))


_SENTENCE_OPENERS = frozenset("""
show give find play recommend suggest good what why tell add put export save make get any some more less only
not no hey hi hello please can could would will i im my the a an one just so ok okay well hmm wait
""".split())  # noqa: SIM905
_PRICE_WORDS = frozenset("under below over above max budget around about less than cheaper".split())  # noqa: SIM905
_SPAN_STOPS = frozenset(
    "but and or from with that for which who please because since so than in on".split())  # noqa: SIM905


def _typed_titles(words: list[str], mentions: list[Mention], index: TitleIndex) -> list[tuple[str, int, int]]:
    """Misspelt titles right after 'like', 'loved'... ("a moive like jurasic park"), by a close fuzzy match."""
    used = {i for m in mentions for i in range(m.start, m.end)}
    found: list[tuple[str, int, int]] = []
    cues = {"like", "loved", "love", "liked", "enjoyed", "to"}
    for i, word in enumerate(words[:-1]):
        if word not in cues or (word == "to" and (i == 0 or words[i - 1] != "similar")):
            continue
        end = i + 1
        while end < len(words) and end - i <= 5 and words[end] not in _SPAN_STOPS and end not in used:
            end += 1
        for stop in range(end, i + 1, -1):  # the longest span that names a title
            span = " ".join(words[i + 1:stop])
            item = index.find(span) if len(span) >= 6 else None
            if item is not None and all(f[0] != item.id for f in found) and all(m.item.id != item.id for m in mentions):
                found.append((item.id, i + 1, stop))
                break
    return found


def _capitalised(text: str) -> list[str]:
    """Capitalised words, but not a sentence's usual first words ("Show me...", "Good..."), nor a word inside a
    longer capitalised name ("War" in "Second World War")."""
    found = []
    for m in re.finditer(r"\b[A-Z][\w'-]+", text):
        previous = re.search(r"([A-Z][\w'-]+)\s+$", text[:m.start()])  # a capitalised word right before
        opens_sentence = previous is not None and text[:previous.start(1)].rstrip()[-1:] in ("", ".", "!", "?")
        inside_name = previous is not None and not opens_sentence and normalise(previous.group(1)) not in _CUE_WORDS
        if m.group(0).casefold() not in _SENTENCE_OPENERS and not inside_name:
            found.append(m.group(0))
    return found


def _words_after_cues(words: list[str]) -> list[str]:
    after_bigrams = [words[i + 2] for i in range(len(words) - 2)
                     if (words[i], words[i + 1]) in {("similar", "to"), ("sounds", "like"), ("sound", "like")}]
    return after_bigrams + _after_single_cues(words)


def _after_single_cues(words: list[str]) -> list[str]:
    cues = {"like", "likes", "loved", "love", "loves", "liked", "enjoyed", "enjoy", "adore", "why", "than", "about",
            "rate", "add", "not", "watched", "seen", "give", "put", "picked", "suggest", "recommend", "hated", "hate",
            "disliked", "heard", "chuck", "stick", "behind", "pick"}
    return [words[i + 1] for i, w in enumerate(words[:-1]) if w in cues]


def _said_of_oneself(mention: Mention, words: list[str], text: str) -> bool:
    """Whether a title starting with "I" was typed as the user's own words ("I can't sleep")."""
    parts = mention.words.split()
    if parts[0] != "i" or len(parts) < 2 or any(cue in " ".join(words[max(0, mention.start - 3):mention.start])
                                                 for cue in _CUE_WORDS):
        return False
    spelled = (r"['’]?".join(map(re.escape, part)) for part in parts[1:])  # "cant" was typed "can't"
    rest = re.search(r"\bI\s+" + r"\W+".join(spelled) + r"\b", text, re.I)
    return rest is not None and rest.group(0)[1:] == rest.group(0)[1:].lower()


def _sequel_of(mention: Mention, words: list[str], text: str, index: TitleIndex) -> bool:
    """Whether a number follows the mention as part of a longer title the catalogue lacks ("Toy Story 4")."""
    after = words[mention.end:mention.end + 2]
    # Only right after the title and with words after it: "rate Toy Story 5" gives stars, "like Battle Epic,
    # 4 tracks" a count.
    return len(after) > 1 and re.fullmatch(r"[2-9]|ii|iii|iv|vi", after[0]) is not None \
        and re.fullmatch(r"stars?|out|of|\d+|more|movies|films|songs|tracks|ones|times|x|hours?|minutes?|years?|"
                         r"days?|weeks?", after[1]) is None \
        and re.search(r"\b" + r"\W+".join(map(re.escape, mention.words.split())) + rf"\s+{after[0]}\b", text,
                      re.I) is not None \
        and not index.knows(f"{mention.words} {after[0]}")


def _is_love_story(words: list[str], at: int) -> bool:
    """'Love' that names a kind of story or song ("a love story", "love songs"), not a liking."""
    return words[at] == "love" and at + 1 < len(words) and words[at + 1] in ("story", "stories", "song", "songs",
                                                                            "affair", "triangle", "letter")


def _core(words: str) -> str:
    """A mention's words without a leading article: "the war" -> "war"."""
    return re.sub(r"^(?:the|a|an)\s+", "", words)


def _is_filler(word: str) -> bool:
    """Numbers, years, decades and ordinals: the rules read them; they are not what the request is about."""
    return bool(re.fullmatch(r"\d+s?|\d+(st|nd|rd|th)|(19|20)\d\d|first|second|third|fourth|fifth|last|"
                             r"one|two|three|four|five|six|seven|eight|nine|ten|couple|few|dozen|stars?|"
                             r"after|before|since|between|from|released|made|only|just|"
                             r"number|no|yes|please|thanks|hi|hello|hey", word))


def mask_titles(text: str, spans: tuple[str, ...]) -> str:
    """The text with each named title replaced by TITLE, so its numbers and words are not read as counts."""
    for span in sorted(spans, key=len, reverse=True):
        words = [re.escape(w) for w in span.split()]
        if words:
            text = re.sub(r"\b" + r"\W+".join(words) + r"\b", "TITLE", text, flags=re.I)
    return text
