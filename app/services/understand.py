"""Understanding a request without a model: the structured parts people say in fixed ways.

Years, counts, stars, ordinals ("the second one"), domains and list names follow a handful of
patterns that rules read exactly and a small language model often gets wrong; the model is asked
for what rules cannot read (what the request is about) and the two are merged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rapidfuzz import fuzz

from app.domain.conversation import Action, Intent
from app.domain.items import Item
from app.services.titles import Mention, TitleIndex, normalise

_NUMBERS = {"one": 1, "a": 1, "an": 1, "two": 2, "couple": 2, "three": 3, "few": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "eight": 8, "nine": 9, "ten": 10, "dozen": 12}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
             "fifth": 5, "5th": 5, "last": -1}
_DOMAIN_WORDS = {
    "movie": r"movies?|films?|flicks?|cinema|watch(?:ing)?|director|actors?",
    "music": r"songs?|tracks?|music|albums?|listen(?:ing)?|playlists?|bands?|artists?|tunes?",
    "product": r"products?|buy(?:ing)?|gifts?|gadgets?|presents?|shop(?:ping)?|purchase",
}
_FORMATS = {"m3u8": "m3u8", "m3u": "m3u8", "playlist file": "m3u8", "xspf": "xspf", "jspf": "jspf", "csv": "csv",
            "spreadsheet": "csv", "excel": "csv", "json": "json"}
_CHIT_CHAT = re.compile(
    r"^\W*(hi|hello|hey|yo|thanks|thank you|thx|cheers|good (morning|afternoon|evening|night)|how are you|"
    r"how's it going|who (are|made|built) you|what can you do|what are you|bye|goodbye|see you|ok|okay|lol|haha|"
    r"cool|great|nice|perfect|awesome|tell me a joke|you'?re (pretty |really |so )?(good|great|smart|funny)"
    r")\b(?!.*\b(like|more|less|something|recommend|show|find|give|only|not)\b)[^?]{0,40}[.!?]*\W*$", re.I)
_LEAD_IN = r"^\W*(?:(?:wait|ok|okay|hmm|so|and|but|um|uh|hey|sorry)[\s,]+)*"
_WHY = re.compile(_LEAD_IN + r"(why|what makes|how come|explain|what'?s so (good|special|great) about|"
                  r"what is so (good|special|great) about|tell me why|tell me (more )?about|"
                  r"what do you like about|what made you (pick|choose|suggest|recommend|show)|(what'?s|what is) the "
                  r"(reason|reasoning|logic) (for|behind)|how did you (pick|choose|get)|why did you)\b", re.I)
_RATE = re.compile(r"\b(rate|rating|stars?|thumbs? (up|down)|\d(\.5)?\s*/\s*5|out of (5|five)|loved it|hated it|"
                   r"deserves|gets? (a )?\d|give\b.*\b(a|an)\s+\d(\.5)?\b)|👍|👎", re.I)
_ADD = re.compile(_LEAD_IN + r"(?:(?:can|could|would) you |please )?"
                  r"(add|put|save|stick|pop|throw|chuck|drop|include|bung)\b.*\b(to|in|into|on(to)?)\b\s+\S", re.I)
_EXPORT = re.compile(r"\b(export\s+\w|download|write out|playlist file|in a spreadsheet|for excel|"
                     r"(in|into|to|as) (an? )?(m3u8?|xspf|jspf|csv|json|excel|spreadsheet)|"
                     r"as an? (m3u8?|xspf|jspf|csv|json)( file)?|to (m3u8?|xspf|jspf|csv|json))\b", re.I)
_REFINE = re.compile(r"^\s*(not (that|this|those|these)|no\b|nah\b|something else|other|another|more like|less|"
                     r"only|just|but|and|darker|lighter|newer|older|cheaper|shorter|longer|faster|slower|"
                     r"calmer|happier|sadder|funnier|more|fewer|instead)\b", re.I)


_ABOUT_ME = re.compile(r"\b(are you|can you (\w+ )?do|do you do|your (name|favou?rite|age)|who (made|built|are) you|"
                       r"you (a )?(real|human|robot|bot|ai)|what are you|how old)\b")
_WANTS = re.compile(r"\b(watch|listen|buy|recommend|suggest|movies?|films?|songs?|tracks?|music|gifts?|show me|"
                    r"find|like|similar|something|anything|rate|add|export)\b")


@dataclass(frozen=True)
class RuleReading:
    """What rules read from a request; None/empty where they could not tell."""

    intent: Intent
    sure_of_action: bool  # the wording left no doubt (a "why", a star count, a greeting)


def read_request(text: str, cards_on_screen: int = 0) -> RuleReading:
    # (Titles are masked as TITLE by understand() first, so "12 Angry Men" sets no count.)
    """The structured parts of a request: action when unmistakable, years, count, stars, target, domain."""
    low = text.casefold()
    years = read_years(low)
    action, sure = _action(text, low, cards_on_screen)
    intent = Intent(action=action, domain=read_domain(low), year_min=years[0], year_max=years[1],
                    count=read_count(low), target=read_ordinal(low, cards_on_screen))
    if action == "rate":
        intent = replace(intent, stars=read_stars(low))
    if action in ("add_to_list", "export"):
        intent = replace(intent, list_name=read_list_name(text), export_format=read_format(low))
    return RuleReading(intent, sure)


def _action(text: str, low: str, cards: int) -> tuple[Action, bool]:
    if _CHIT_CHAT.match(text) and read_domain(low) is None:
        return "chit_chat", True
    if _WHY.match(text):
        return "explain", True
    if _EXPORT.search(low) or re.match(_LEAD_IN + r"(export|save \S+( \S+)? as)\b", low):
        return "export", True
    if _ADD.match(low) and not re.search(r"\b(add|put) (some|more|a few|something)\b", low):
        return "add_to_list", True
    asks = re.search(r"\b(what else|recommend|suggest|anything|something|similar)\b|\?\s*$", low)
    if re.match(r"^\W*(\d(\.5)?|one|two|three|four|five)\s+(stars?\s+)?(for|to)\s+(the\s+)?"
                r"(first|second|third|fourth|fifth|last|\d(st|nd|rd|th)|title|#?\d)\b", low):
        return "rate", True
    if _RATE.search(low) and read_stars(low) is not None and not asks:
        return "rate", True
    if _ABOUT_ME.search(low) and not _WANTS.search(low):
        return "chit_chat", True  # "are you a real person", "what can you do"
    if cards and not re.search(r"\b(forget (it|that|those|the \w+)|never ?mind|start over|new (search|request)|"
                               r"something (completely|totally) different)\b", low):
        return "refine", False  # with cards on screen, a request changes the standing one
    return "recommend", False


def read_years(low: str) -> tuple[int | None, int | None]:
    """(earliest, latest) year the request allows: decades, 'after 2000', 'before 1980', 'from 1994'."""
    low = _decade_words(low)
    decades = [(_decade(m), m.group("part")) for m in
               re.finditer(r"\b(?:(?P<part>early|mid|late)[- ])?(?:(19|20)(\d)0|'?(\d)0)'?s\b", low)]
    if decades:
        first, last = min(decades), max(decades)
        start = first[0] + {"mid": 3, "late": 5}.get(first[1] or "", 0)
        end = last[0] + {"early": 4, "mid": 6}.get(last[1] or "", 9)
        return start, end
    between = re.search(r"\bbetween (\d{4}) and (\d{4})\b", low)
    if between:
        low_year, high_year = sorted((int(between.group(1)), int(between.group(2))))
        return low_year, high_year
    after = re.search(r"\b(after|since|newer than|later than|from after|post)[\s-]+(\d{4})\b", low)
    before = re.search(r"\b(before|older than|earlier than|pre)[\s-]+(\d{4})\b", low)
    year_min = None if after is None else int(after.group(2)) + (0 if after.group(1) == "since" else 1)
    year_max = None if before is None else int(before.group(2)) - 1
    if year_min is None and year_max is None:
        single = re.search(r"\b(?:from|in|of|released in|made in)\s+((?:19|20)\d{2})\b", low)
        if single:
            return int(single.group(1)), int(single.group(1))
    return year_min, year_max


_DECADE_WORDS = {"twenties": "20s", "thirties": "30s", "forties": "40s", "fifties": "50s", "sixties": "60s",
                 "seventies": "70s", "eighties": "80s", "nineties": "90s"}


def _decade_words(low: str) -> str:
    for word, digits in _DECADE_WORDS.items():
        low = re.sub(rf"\b{word}\b", digits, low)
    return low


def _decade(match: re.Match[str]) -> int:
    if match.group(2):
        return int(match.group(2) + match.group(3) + "0")
    digit = int(match.group(4))
    return 1900 + digit * 10 if digit >= 3 else 2000 + digit * 10  # "20s" means the 2020s now


_NOT_COUNTED = r"players?|people|persons?|euros?|dollars?|bucks|pounds|minutes?|hours?|years?|kg|cm|mm|lm|" \
    r"stars?|TITLE|percent|degrees|watts?|inch(es)?|gb|tb"


def read_count(low: str) -> int | None:
    """How many items were asked for: 'five movies', 'top 3', 'a couple of songs', 'just 3'."""
    number = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|a couple|a dozen)"
    match = re.search(rf"\b(?:top|just|only|give me|show me|me|recommend|suggest|find|need|want|get|list)\s+{number}\b"
                      rf"(?!\s*(?:{_NOT_COUNTED})\b)(?!\s*(?:/|out of|st\b|nd\b|rd\b|th\b))", low) \
        or re.search(rf"(?:^|[,.;]\s*|\b(?:some|about|maybe)\s+){number}\s+(?:of\s+)?(?:\w+\s+){{0,2}}?"
                     rf"(?!(?:{_NOT_COUNTED})\b)\w+s\b", low) \
        or re.search(rf"^\W*{number}\s+(?!(?:{_NOT_COUNTED})\b)\w+", low) \
        or re.search(rf"\b{number}\s+(?:more|other|new|good|great)?\s*(?:movies?|films?|songs?|tracks?|albums?|"
                     rf"products?|gifts?|things|ideas|options|picks|suggestions|recommendations)\b", low)
    if match is None:
        return None
    word = match.group(1).replace("a ", "")
    value = int(word) if word.isdigit() else _NUMBERS.get(word)
    return value if value and 0 < value <= 50 else None


def read_stars(low: str) -> float | None:
    """Stars given: '5 stars', 'four stars', '4/5', '4.5', thumbs up (5) or down (1), 'loved it' (5)."""
    low = re.sub(r"\b(one|two|three|four|\d) and a half\b", lambda m: f"{_NUMBERS.get(m.group(1), m.group(1))}.5", low)
    if re.search(r"\bthumbs? up\b|\bloved it\b|👍", low):
        return 5.0
    if re.search(r"\bthumbs? down\b|\bhated it\b|👎", low):
        return 1.0
    match = re.search(r"\b(\d(?:\.5)?|one|two|three|four|five)\s*(?:/\s*5|stars?|out of (?:5|five))", low) or \
        re.match(r"^\W*(\d(?:\.5)?|one|two|three|four|five)\s+(?:stars?\s+)?(?:for|to)\b", low) or \
        re.search(r"\b(?:rate|give|gets?|deserves?|solid|an?)\b.*?\b(\d(?:\.5)?)\b(?!\s*(?:kg|cm|mm|lm)\b)", low)
    if match is None:
        return None
    word = match.group(1)
    value = float(word) if word[0].isdigit() else float(_NUMBERS[word])
    return value if 1.0 <= value <= 5.0 else None


def read_ordinal(low: str, cards: int) -> str:
    """'2' for 'the second one', '#2', 'number 2'; '' when no card is meant or none is on screen."""
    if not cards:
        return ""
    low = re.sub(r"\bnumber (one|two|three|four|five)\b", lambda m: f"number {_NUMBERS[m.group(1)]}", low)
    match = re.search(r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)\b(?:\s+(?:one|card|pick|"
                      r"movie|song|track|product|item))?", low) or re.search(r"(?:#|\bnumber\s+|\bno\.\s*)(\d{1,2})\b",
                                                                              low)
    if match is None:
        return ""
    word = match.group(1)
    position = int(word) if word.isdigit() else _ORDINALS[word]
    position = cards if position == -1 else position
    return str(position) if 1 <= position <= cards else ""


_GENRE_FORMS = {"comedies": "comedy", "animated": "animation", "cartoons": "animation", "cartoon": "animation",
                "scifi": "sci fi", "science fiction": "sci fi", "childrens": "childrens",
                "noir": "film noir", "documentaries": "documentary", "musicals": "musical", "westerns": "western",
                "romantic": "romance", "mysteries": "mystery", "thrillers": "thriller", "dramas": "drama"}


def read_genres(text: str, genres: dict[str, str]) -> tuple[str, ...]:
    """Catalogue genres named in the request ('crime dramas' -> Crime, Drama; 'animated' -> Animation)."""
    words = normalise(text)
    found: list[str] = []
    # Longest genres first, on the words as said: "romantic classical" before "romantic" -> romance.
    for key, spelling in sorted(genres.items(), key=lambda kv: -len(kv[0])):
        pattern = rf"\b{re.escape(key)}s?\b"
        if key and len(key.split()) > 1 and re.search(pattern, words):
            if not _negated(words, key):
                found.append(spelling)
            words = re.sub(pattern, " ", words)
    for form, genre in _GENRE_FORMS.items():
        words = re.sub(rf"\b{form}\b", genre, words)
    found += [spelling for key, spelling in genres.items()
              if key and len(key.split()) == 1 and re.search(rf"\b{re.escape(key)}s?\b", words)
              and not _negated(words, key)]
    return tuple(dict.fromkeys(found))


def _negated(words: str, key: str) -> bool:
    """'no death metal', 'not a comedy': a genre named to rule it out is not a filter."""
    return bool(re.search(rf"\b(no|not|without|except|nothing|hate|avoid|skip|fewer|less|stop)\b(\s+\w+){{0,2}}\s+"
                          rf"{re.escape(key)}", words))


def read_domain(low: str) -> str | None:
    """movie, music or product when the words say so and only one of them does ('movies not products': movie)."""
    low = re.sub(r"\b(not|no|instead of|forget( about)?( the)?)\s+(\w+)", " ", low)
    hits = [domain for domain, words in _DOMAIN_WORDS.items() if re.search(rf"\b(?:{words})\b", low)]
    return hits[0] if len(hits) == 1 else None


def read_format(low: str) -> str:
    """The export format named: m3u8, xspf, jspf, csv or json ('' when none)."""
    for word, name in _FORMATS.items():
        if re.search(rf"\b{word}\b", low):
            return name
    return ""


def _is_format(name: str) -> bool:
    return bool(re.search(r"\b(m3u8?|xspf|jspf|csv|json|excel|spreadsheet)\b", name.casefold()))


def read_list_name(text: str) -> str:
    """The list named in 'add it to my road trip playlist', 'export my Favourites list', 'save Gym as xspf'."""
    quoted = re.search(r"[\"“'‘]([^\"”'’]{1,60})[\"”'’]", text)
    if quoted:
        return quoted.group(1).strip()
    called = re.search(r"\b(?:called|named)\s+([\w' -]{1,40}?)\s*(?:list|playlist)?\s*[.!?]*$", text, re.I)
    if called:
        return called.group(1).strip()
    fmt = r"(?:(?:an? )?(?:m3u8?|xspf|jspf|csv|json|excel|spreadsheet)|an? \w+ file)"
    patterns = (
        r"\b(?:to|into|in|on|onto)\s+(?:my|the|a)?\s*(?:list\s+)?([\w' -]{1,40}?)\s*(?:list|playlist)?\s*[.!?]*$",
        rf"\b(?:export|download|save|get|dump|turn|convert|send)\s+(?:me\s+)?(?:(?:my|the)\b)?\s*([\w' -]{{1,40}}?)\s*"
        rf"(?:list|playlist)?\s+"
        rf"(?:to|as|for|in|into)\s+{fmt}",
        r"\b(?:export|download)\s+(?:my|the)?\s*([\w' -]{1,40}?)\s*(?:list|playlist)?\s*[.!?]*$",
        r"\bfrom\s+(?:my|the)?\s*([\w' -]{1,40}?)\s*(?:list|playlist)?\s*[.!?]*$",
    )
    for pattern in patterns:
        match = re.search(pattern, text, re.I)
        name = match.group(1).strip() if match else ""
        if name and name.casefold() not in ("it", "this", "that", "them", "these", "those", "a", "list") \
                and not _is_format(name):
            return "watchlist" if name.casefold() == "watch" else name
    low = text.casefold()
    return next((kind for kind in ("watchlist", "wishlist") if kind in low), "")

_DISLIKE_CUES = ("not", "hated", "hate", "dislike", "disliked", "didnt like", "dont like", "except", "without",
                 "nothing like", "no more", "avoid", "anything but", "but not", "cant stand", "couldnt stand",
                 "stop showing", "skip", "tired of", "sick of", "no ")
_STOPWORDS = frozenset("""
a an the and or but of to in on for with from by at as is are was were be been it its this that these those
i me my we our you your he she they them their something anything some any more most less really very so just
like likes liked love loved lovely enjoy enjoyed want wanted need needs give show find recommend suggest suggestions
please can could would should will do does did have has had get got tell about maybe kind sort stuff things thing
movie movies film films song songs track tracks music album albums product products gift gifts one ones
what which who whom whose how why when where there here im ive id lets new good great nice best top watch listen
buy play hear same similar also too than then now
""".split())  # noqa: SIM905 (a word list reads best as text)
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
    mentions = index.mentions(text, single_words=[*_capitalised(text), *_words_after_cues(words)])
    liked: list[str] = []
    disliked: list[str] = []
    previous: tuple[int, str] | None = None  # where the last mention ended, and which way it went
    for mention in mentions:
        between = words[previous[0]:mention.start] if previous else []
        before = " ".join(words[max(0, mention.start - 4):mention.start])
        after = " ".join(words[mention.end:mention.end + 5])
        if previous and all(w in ("and", "or", "nor") for w in between):
            polarity = previous[1]  # "not X or Y": the "not" covers both
        elif any(before.endswith(cue) for cue in _NEUTRAL_CUES):
            polarity = "named"
        elif any(f"{cue} " in f"{before} " for cue in _DISLIKE_CUES) and not _STILL_LIKED.match(after):
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
        previous = (mention.end, polarity)
    seen_all = re.search(r"\b(ive|i have|already) (seen|watched|heard) (those|them|both)\b", " ".join(words))
    if seen_all and disliked:
        liked = liked[:1]  # "like X but not Y or Z, I've seen those": everything after the first is seen
    for item_id, start, end in _typed_titles(words, mentions, index):
        liked.append(item_id)
        mentions.append(Mention(index.item(item_id), start, end, " ".join(words[start:end])))  # type: ignore[arg-type]
    used = {i for m in mentions for i in range(m.start, m.end)}
    # A price ("under 100") is what the request is about; other numbers were read by the rules.
    leftover = [w for i, w in enumerate(words) if i not in used and w not in _STOPWORDS
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
    """Capitalised words, but not a sentence's usual first words ("Show me...", "Good...")."""
    return [m.group(0) for m in re.finditer(r"\b[A-Z][\w'-]+", text)
            if m.group(0).casefold() not in _SENTENCE_OPENERS]


def _words_after_cues(words: list[str]) -> list[str]:
    after_bigrams = [words[i + 2] for i in range(len(words) - 2)
                     if (words[i], words[i + 1]) in {("similar", "to"), ("sounds", "like"), ("sound", "like")}]
    return after_bigrams + _after_single_cues(words)


def _after_single_cues(words: list[str]) -> list[str]:
    cues = {"like", "likes", "loved", "love", "loves", "liked", "enjoyed", "enjoy", "adore", "why", "than", "about",
            "rate", "add", "not", "watched", "seen", "give", "put", "picked", "suggest", "recommend", "hated", "hate",
            "disliked", "heard", "chuck", "stick", "behind", "pick"}
    return [words[i + 1] for i, w in enumerate(words[:-1]) if w in cues]


def _is_filler(word: str) -> bool:
    """Numbers, years, decades and ordinals: the rules read them; they are not what the request is about."""
    return bool(re.fullmatch(r"\d+s?|\d+(st|nd|rd|th)|(19|20)\d\d|first|second|third|fourth|fifth|last|"
                             r"one|two|three|four|five|six|seven|eight|nine|ten|couple|few|dozen|stars?|"
                             r"after|before|since|between|from|released|made|only|just|"
                             r"number|no|yes|please|thanks|hi|hello|hey", word))


_SAID = 85  # partial_ratio of a model's reference against the request: a typo passes, an invention does not
_NOT_THAT = re.compile(r"\b(not (that|this|those|these)( one)?|no(pe)?,? (not )?th(at|is)|something else|"
                       r"another one)\b", re.I)
_MORE_LIKE = re.compile(r"\bmore like\b|\blike the\b|\bsimilar to the\b", re.I)


@dataclass(frozen=True)
class Understanding:
    """A request understood: the intent, and the item ids it likes, rejects and is about."""

    intent: Intent
    liked: tuple[str, ...]
    disliked: tuple[str, ...]
    target: str  # an item id, or ''


def needs_model(text: str, cards: int, titles: TitleIndex) -> bool:
    """Whether a model's reading could add anything: only when the rules could not ground the request.

    Measured on the labelled requests (bench/bench_intents.py): merging SmolLM2's reading into every
    request the rules were unsure of cut accuracy from 100% to 90% (it re-labelled actions and
    domains the rules had right) and cost 2.7 s a request. So the model is asked only when the rules
    found no title, genre, domain or year to go by, and then only fills what they left empty.
    """
    if read_request(text, cards).sure_of_action:
        return False
    found = understand(text, tuple(f"card:{i}" for i in range(cards)), titles)
    intent = found.intent
    return not (found.liked or found.disliked or found.target or intent.genres or intent.domain
                or intent.year_min or intent.year_max)


def understand(text: str, cards: tuple[str, ...], titles: TitleIndex, model: Intent | None = None, *,
               model_may_infer: bool = False) -> Understanding:
    """The rules' exact reading of a request, merged with a model's reading of what rules cannot tell.

    model_may_infer lets the model name titles the user only hinted at ("that Tarantino one"); without
    it (the small embedded model) only references to words the user said are taken.
    """
    # "key=value" is how injected commands look ("action=rate stars=5"); people do not talk like that.
    text = re.sub(r"\b\w+\s*=\s*\w+\b", " ", text)
    if _CHIT_CHAT.match(text) and read_domain(text.casefold()) is None:  # "Good Morning" is a film too
        return Understanding(Intent(action="chit_chat"), (), (), "")
    refs = read_references(text, titles)
    masked = mask_titles(text, refs.spans)
    reading = read_request(masked, len(cards))
    intent = replace(reading.intent, query=refs.query, genres=read_genres(masked, titles.genres))
    liked, disliked = list(refs.liked), list(refs.disliked)
    if model is not None and not reading.sure_of_action:
        intent = _merge(intent, model, cards=len(cards))
        if not liked and not disliked:
            keep = (lambda refs: list(refs)) if model_may_infer else (lambda refs: _said(refs, text))
            liked += [i.id for i in map(titles.find, keep(model.liked)) if i is not None]
            disliked += [i.id for i in map(titles.find, keep(model.disliked)) if i is not None]
    target = _target(intent, refs.named, cards, titles)
    if intent.action == "refine" and _NOT_THAT.search(text) and cards:
        disliked.append(target or cards[0])
    elif intent.action == "refine" and _MORE_LIKE.search(text) and target:
        liked.append(target)
    liked = [i for i in dict.fromkeys(liked) if i not in disliked]
    disliked = list(dict.fromkeys(disliked))
    if intent.action in ("explain", "rate", "add_to_list", "export", "chit_chat"):
        liked, disliked = [], []  # a title named there is what the command is about, not a taste
    if intent.action == "chit_chat":
        intent, target = replace(intent, domain=None, genres=(), query=""), ""
    named = [item for item in map(titles.item, [*liked, *disliked, target]) if item is not None]
    if intent.action in ("add_to_list", "export"):
        # A list's name ("movie night", "Christmas gifts") says nothing of a domain; its kind does.
        rest = re.sub(re.escape(intent.list_name), " ", masked, flags=re.I) if intent.list_name else masked
        intent = replace(intent, domain=read_domain(rest.casefold()) or _implied_domain(intent, named, titles))
    elif intent.domain is None and intent.action != "chit_chat":
        # Shop words ("waterproof") point at products only in a new request; a refinement keeps its domain.
        intent = replace(intent, domain=_implied_domain(intent, named, titles, words=intent.action == "recommend"))
    title_of = {item.id: item.title for item in named}
    by_artist = {t for a in refs.artists for t in titles.tracks_by(a)}
    shown_liked = [*refs.artists, *(title_of[i] for i in liked if i in title_of and i not in by_artist)]
    intent = replace(intent, liked=tuple(shown_liked),
                     disliked=tuple(title_of[i] for i in disliked if i in title_of))
    return Understanding(intent, tuple(liked), tuple(disliked), target)


def _said(references: tuple[str, ...], text: str) -> list[str]:
    """The model's references that the user really said (closely: typos allowed), not ones it made up.

    A 135M model asked for liked titles of a vague request answers "Movie One", "Movie One One"...;
    fuzzy title matching would turn those into real films nobody mentioned.
    """
    said = normalise(text)
    return [ref for ref in references if ref.strip() and fuzz.partial_ratio(normalise(ref), said) >= _SAID]


def _merge(rules: Intent, model: Intent, *, cards: int) -> Intent:
    """The rules' reading, with the model's only where the rules read nothing (it never overrides them)."""
    action = rules.action
    if model.action == "chit_chat" and not rules.query:
        action = "chit_chat"  # nothing to recommend from, and the model heard small talk
    # Not the model's domain: for a vague request it guesses one, and a wrong guess hides the rest.
    return replace(rules, action=action, query=rules.query or model.query, target=rules.target or model.target)


def _target(intent: Intent, named: tuple[str, ...], cards: tuple[str, ...], titles: TitleIndex) -> str:
    """The item a why/rate/add/"that one" refers to: a card number, a named title, or the only card."""
    if intent.target.isdigit() and 1 <= int(intent.target) <= len(cards):
        return cards[int(intent.target) - 1]
    if named:
        return named[0]
    if intent.target:
        found = titles.find(intent.target)
        if found is not None:
            return found.id
    return cards[0] if len(cards) == 1 else ""


def mask_titles(text: str, spans: tuple[str, ...]) -> str:
    """The text with each named title replaced by TITLE, so its numbers and words are not read as counts."""
    for span in sorted(spans, key=len, reverse=True):
        words = [re.escape(w) for w in span.split()]
        if words:
            text = re.sub(r"\b" + r"\W+".join(words) + r"\b", "TITLE", text, flags=re.I)
    return text


def _implied_domain(intent: Intent, named: list[Item], titles: TitleIndex, *, words: bool = False) -> str | None:
    """The domain the named items, genres or product/music words point at, when they agree on one."""
    votes: set[str] = {item.domain for item in named}
    for genre in [*intent.genres, *_negated_genres(intent.query, titles)]:
        found = titles.genre_domains.get(normalise(genre), set())
        if len(found) == 1:
            votes |= found
    if not votes and words:
        votes = {d for d in map(titles.domain_of_word, intent.query.split()) if d is not None}
    if not votes and "watchlist" in intent.list_name.casefold():
        votes = {"movie"}
    return votes.pop() if len(votes) == 1 else None


def _negated_genres(query: str, titles: TitleIndex) -> list[str]:
    """Genres named only to rule them out ("skip the death metal"): still a hint of the domain."""
    words = normalise(query)
    return [spelling for key, spelling in titles.genres.items() if key and re.search(rf"\b{re.escape(key)}\b", words)]
