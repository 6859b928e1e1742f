"""Reading the parts of a request people say in fixed ways: years, counts, stars, card numbers,
domains, genres, list names and export formats, and whether it is a question, a rating or a command.

A small language model often gets these wrong; a handful of patterns read them exactly
(bench/bench_intents.py measures it on labelled requests).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rapidfuzz import fuzz, process

from app.domain.conversation import Action, Intent
from app.services.titles import normalise

_NUMBERS = {"one": 1, "a": 1, "an": 1, "two": 2, "couple": 2, "three": 3, "few": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
            "dozen": 12, "half a dozen": 6}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
             "fifth": 5, "5th": 5, "last": -1}
_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
          "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS_WORDS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
               "ninety": 90}
_WORD_VALUES = {**_UNITS, **_TEENS, **_TENS_WORDS, "a": 1}
_DOMAIN_WORDS = {
    "movie": r"movies?|films?|flicks?|cinema|watch(?:ing)?",
    # "play something calm", "put on something chill": what one plays or puts on, unnamed, is music.
    "music": r"songs?|tracks?|music|albums?|listen(?:ing)?|playlists?|tunes?|"
             r"(?:play|put on)\s+(?:me\s+|us\s+)?(?:some(?:thing)?|anything)\b"
             r"(?!\s+(?:to watch|on tv|(?:\w+\s+)?games?\b))",
    "product": r"products?|buy(?:ing)?|gifts?|gadgets?|presents?|shop(?:ping)?|purchase|sell|stock",
}
# Words for the people of a field: they say which catalogue only when nothing else does, since they are
# as often a film's topic ("a documentary about bands").
_TOPIC_WORDS = {"movie": r"director|actors?|actress(?:es)?", "music": r"bands?|artists?|musicians?|singers?",
                "product": r"price|prices|priced|cost"}
_FORMATS = {"m3u8": "m3u8", "m3u": "m3u8", "playlist file": "m3u8", "xspf": "xspf", "jspf": "jspf", "csv": "csv",
            "spreadsheet": "csv", "excel": "csv", "json": "json"}
_CHIT_CHAT = re.compile(
    r"^\W*(hi+|hello+|hey+|heya|hiya|yo|thanks|thank you|thx|cheers|good (morning|afternoon|evening|night)|how are you|"
    r"how's it going|how'?s (your|ur) (day|evening|week)( going)?|how are (you|u)|who (are|made|built) you|"
    r"what can you do|what are you|bye|goodbye|see you|ok|okay|lol|haha|legend|nice one|brilliant|lovely|ta|"
    r"sweet|spot on|champion|you'?re a (star|legend|gem)|"
    r"cool|great|nice|perfect|awesome|tell me a joke|that'?s (all|it|everything)( for (now|today|tonight))?|"
    r"i'?m (done|off)|all done|you'?re (pretty |really |so )?(good|great|smart|funny)"
    r")\b(?!.*\b(like|more|less|something|anything|any|recommend|show|find|give|only|not|why|what about|under|over|"
    r"budget|add|put|save|rate|export|play|make|\w+ier|(?:calm|dark|light|new|old|cheap|short|long|fast|"
    r"slow|loud|soft|quiet|sad|big|small|hard|warm|bright|young|chill|deep)\w?er)\b)"
    r"(?!.*\d)[^?]{0,40}[.!?]*\W*$", re.I)
_LEAD_IN = r"^\W*(?:(?:wait|ok|okay|hmm|so|and|but|um|uh|hey|sorry)[\s,]+)*"
_WHY = re.compile(_LEAD_IN + r"(why|what makes|how come|explain|what'?s so (good|special|great) about|"
                  r"what is so (good|special|great) about|tell me why|tell me (more )?about|"
                  r"what do you like about|what'?s the (deal|story) with|"
                  r"what made you (pick|choose|suggest|recommend|show)|(what'?s|what is) the "
                  r"(reason|reasoning|logic) (for|behind)|how did you (pick|choose|get)|why did you|"
                  # "what is the first one about", "what does the second one do better than the others?"
                  r"what(?:'?s| is| was)\s+(?:the\s+|that\s+|this\s+)?(?:title|one|first|second|third|fourth|fifth|"
                  r"last|#?\d(?:st|nd|rd|th)?)(?:\s+one)?\s+about|"
                  r"what does\s+(?:(?:the|that|this|it|title|one|first|second|third|fourth|fifth|last|"
                  r"#?\d(?:st|nd|rd|th)?)\s+){1,3}(?:do|have|offer)|"
                  r"what(?:'?s| is)\s+(?:the\s+)?(?:first|second|third|fourth|fifth|last|#?\d(?:st|nd|rd|th)?)\s+"
                  r"(?:one\s+)?for)\b(?! not\b)", re.I)
# What makes a later clause an add to a list ("nice, save that one to my date night list"), unlike "perfect,
# stick to the 90s": a list, a card or a pronoun for one.
_LISTISH = re.compile(r"\b(list|playlist|wishlist|watchlist|it|that one|this one|them|those|first|second|third|"
                      r"fourth|fifth|last|\d(?:st|nd|rd|th))\b", re.I)
# Thanks and praise with nothing asked: "just wanted to say you've been a great help".
_PRAISE = re.compile(r"\b(you'?ve been|you have been|you are|you'?re|that was|this was|that'?s been)\s+(\w+\s+){0,2}"
                     r"(help|helpful|brilliant|great|wonderful|lovely|amazing|fantastic|super|the best)\b|"
                     r"\b(just )?want(ed)? to (say )?(thank|thanks)\b", re.I)
_RATE = re.compile(r"\b(rate|rating|stars?|thumbs? (up|down)|\d(\.5)?\s*/\s*5|out of (5|five)|loved it|hated it|"
                   r"deserves|gets? (a )?\d|give\b.*\b(a|an)\s+\d(\.5)?\b|"
                   r"title,?\s+(?:an?\s+)?\d(\.5)?\s*[.!]*$)|👍|👎", re.I)  # "and Casablanca a 4"
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
    if is_small_talk(text):
        return "chit_chat", True
    # Each sentence or clause may be the command: "perfect. why that one?", "the third one, why that?",
    # "the second one: why?", "ok sounds good, save that one to my date night list".
    clauses = [c for c in re.split(r"(?<=[.!?,;:])\s+|\s+-+\s+", text) if c.strip()]
    if any(_WHY.match(clause) for clause in clauses):
        return "explain", True
    if _EXPORT.search(low) or re.match(_LEAD_IN + r"(export|save \S+( \S+)? as)\b", low):
        return "export", True
    later_add = any(_ADD.match(clause.casefold()) and _LISTISH.search(clause) for clause in clauses[1:])
    if (_ADD.match(low) or later_add) and \
            not re.search(r"\b(add|put) (some|more|a few|something)\b|\bput on\b|"
                          r"\b(add|put|throw|chuck|bung|mix) in (some|a bit|a little|more|a few|an?)\b", low):
        return "add_to_list", True
    if _PRAISE.search(low) and not _WANTS.search(low) and read_domain(low) is None and \
            not re.search(r"\b(give|show|what else|more|any|play)\b", low):
        return "chit_chat", True
    asks = re.search(r"\b(what else|recommend|suggest|anything|something|similar)\b|\?\s*$", low)
    if re.match(r"^\W*(\d(\.5)?|one|two|three|four|five)\s+(stars?\s+)?(for|to)\s+(the\s+)?"
                r"(first|second|third|fourth|fifth|last|\d(st|nd|rd|th)|title|#?\d)\b", low):
        return "rate", True
    if _RATE.search(low) and read_stars(low) is not None and not asks:
        return "rate", True
    if _ABOUT_ME.search(low) and not _WANTS.search(low):
        return "chit_chat", True  # "are you a real person", "what can you do"
    if cards and not re.search(r"\b(forget (it|that|those|everything|all that|the (?:whole thing|lot|rest|last \w+|"
                               r"movies?|films?|music|songs?|tracks?|products?|gifts?|shopping))|"
                               r"never ?mind|start over|start again|"
                               r"scrap (it|that|those)|new (search|request)|"
                               r"something (completely|totally) different)\b",
                               low):
        return "refine", False  # with cards on screen, a request changes the standing one
    return "recommend", False


def is_small_talk(text: str) -> bool:
    """A greeting, thanks or a question about the assistant, with nothing in it to recommend from."""
    return bool(_CHIT_CHAT.match(text)) and read_domain(text.casefold()) is None


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
    # "nothing older than 1990" is a floor, "nothing newer than 1980" a ceiling: the negation turns them round.
    low = re.sub(r"\b(?:nothing|none|not|no)\s+(?:\w+\s+)?(?:older|earlier) than\b", "since", low)
    low = re.sub(r"\b(?:nothing|none|not|no)\s+(?:\w+\s+)?(?:newer|later|more recent) than\b", "up to", low)
    low = re.sub(r"\b(?:nothing|none|not|no)\s+(?:\w+\s+)?before\b", "since", low)
    low = re.sub(r"\b(?:nothing|none|not|no)\s+(?:\w+\s+)?after\b", "up to", low)
    # "from 97 or 98", "in '96 or '97": two short years, a range.
    pair = re.search(r"\b(?:from|in|of)\s+'?(\d{2})\s+(?:or|and|to|-)\s+'?(\d{2})\b(?!\s*(?:bpm|minutes?|mins?))", low)
    if pair:
        earliest, latest = sorted(1900 + int(y) if int(y) > 30 else 2000 + int(y) for y in pair.groups())
        return earliest, latest
    after = re.search(r"\b(after|since|newer than|later than|from after|post)[\s-]+(\d{4})\b", low)
    before = re.search(r"\b(before|older than|earlier than|pre|up to)[\s-]+(\d{4})\b", low)
    year_min = None if after is None else int(after.group(2)) + (0 if after.group(1) == "since" else 1)
    year_max = None if before is None else int(before.group(2)) - (0 if before.group(1) == "up to" else 1)
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
    number = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|a couple|" \
        r"half a dozen|a dozen)"
    match = re.search(rf"\b(?:top|just|only|give me|gimme|show me|me|recommend|suggest|find|need|want|get|list|play|"
                      rf"pick|now|ok)\s+"
                      rf"{number}\b"
                      rf"(?!\s*(?:{_NOT_COUNTED})\b)(?!\s*(?:/|out of|st\b|nd\b|rd\b|th\b))", low) \
        or re.search(rf"(?:^|[,.;]\s*|\b(?:some|about|maybe)\s+){number}\s+(?:of\s+)?(?:\w+\s+){{0,2}}?"
                     rf"(?!(?:{_NOT_COUNTED}|is|was|has|this|its|us|yes|plus|less|as)\b)\w+s\b", low) \
        or re.search(rf"\b{number}\s+of\s+(?:them|those|these|em|'em)\b", low) \
        or re.search(rf"^\W*{number}\s+(?!(?:{_NOT_COUNTED}|is|was|would|will|should|could|max|tops)\b)\w+", low) \
        or re.search(rf"\b{number}\s+(?:(?!(?:{_NOT_COUNTED}|of|from|for|to|and|or)\b)\w+\s+){{0,2}}"
                     rf"(?:movies?|films?|songs?|tracks?|albums?|"
                     rf"products?|gifts?|things|ideas|options|picks|suggestions|recommendations)\b", low) \
        or re.search(rf"\b{number}\s+more\b(?!\s+(?:than|of|stars?)\b)", low)
    if match is None:
        return None
    word = match.group(1) if match.group(1) == "half a dozen" else match.group(1).replace("a ", "")
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
    # "last month", "last night" are times, not the last card.
    low = re.sub(r"\blast\s+(?=(?:month|week|year|night|time|summer|winter|spring|autumn|fall|weekend|christmas|"
                 r"minute|few|couple|decade|days?)\b)", "past ", low)
    match = re.search(r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)\b(?:\s+(?:one|card|pick|"
                      r"movie|song|track|product|item))?", low) or re.search(r"(?:#|\bnumber\s+|\bno\.\s*)(\d{1,2})\b",
                                                                              low)
    if match is None:
        return ""
    word = match.group(1)
    position = int(word) if word.isdigit() else _ORDINALS[word]
    position = cards if position == -1 else position
    return str(position) if 1 <= position <= cards else ""


_GENRE_FORMS = {"romcoms": "romance comedy", "romcom": "romance comedy", "rom coms": "romance comedy",
                "rom com": "romance comedy", "comedies": "comedy", "animated": "animation", "cartoons": "animation",
                "cartoon": "animation", "scifi": "sci fi", "science fiction": "sci fi", "childrens": "childrens",
                "noir": "film noir", "documentaries": "documentary", "musicals": "musical", "westerns": "western",
                "romantic": "romance", "mysteries": "mystery", "thrillers": "thriller", "dramas": "drama"}


def read_genres(text: str, genres: dict[str, str]) -> tuple[str, ...]:
    """Catalogue genres named in the request ('crime dramas' -> Crime, Drama; 'animated' -> Animation)."""
    return genres_named(text, genres)[0]


def genres_named(text: str, genres: dict[str, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(wanted, ruled out) catalogue genres: 'crime dramas' wants both, 'kids, not a cartoon' rules one out."""
    # Clauses kept apart, so "none of these, try sci-fi" does not rule out sci-fi.
    words = " | ".join(normalise(clause) for clause in re.split(r"[,;.!?]+", text))
    found: list[tuple[str, str]] = []  # (key, spelling)
    # Longest genres first, on the words as said: "romantic classical" before "romantic" -> romance.
    for key, spelling in sorted(genres.items(), key=lambda kv: -len(kv[0])):
        # One word may stand between a long genre's words: "romantic-era classical" is romantic classical.
        pattern = r"\b" + r"(?:\s+\w+)?\s+".join(map(re.escape, key.split())) + r"s?\b"
        if key and len(key.split()) > 1 and re.search(pattern, words):
            found.append((key, spelling))
            words = re.sub(pattern, f" {key.replace(' ', '_')} ", words)
    for form, genre in _GENRE_FORMS.items():
        words = re.sub(rf"\b{form}\b", genre, words)
    words = _typos_mended(words, [k for k in genres if len(k) >= 6 and " " not in k])
    found += [(key, spelling) for key, spelling in genres.items()
              if key and len(key.split()) == 1 and re.search(rf"\b{re.escape(key)}s?\b", words)]
    wanted = [s for k, s in found if not _negated(words, k.replace(" ", "_"))]
    ruled_out = [s for k, s in found if _negated(words, k.replace(" ", "_"))]
    return tuple(dict.fromkeys(wanted)), tuple(dict.fromkeys(ruled_out))


def _typos_mended(words: str, keys: list[str]) -> str:
    """Genre names typed with a letter wrong or missing ("a thriler") read as the genre."""
    def mended(match: re.Match[str]) -> str:
        word = match.group(0)
        if len(word) < 5 or word in keys or word.rstrip("s") in keys:
            return word
        best = process.extractOne(word, keys, scorer=fuzz.ratio, score_cutoff=88)
        return best[0] if best else word
    return re.sub(r"[a-z]+", mended, words)


def joined_by_or(text: str, genres: dict[str, str]) -> bool:
    """Whether an "or" stands between two genres named ("a western or a war film"), not elsewhere
    ("sci-fi thriller, not one or the other")."""
    for match in re.finditer(r"\b(or|either)\b", text, re.I):
        before, after = text[max(0, match.start() - 30):match.start()], text[match.end():match.end() + 30]
        if any(genres_named(before, genres)) and any(genres_named(after, genres)):
            return True
    return False


def _negated(words: str, key: str) -> bool:
    """'no death metal', 'not a comedy', 'none of that horror comedy stuff', "isn't animated": ruled out."""
    return bool(re.search(rf"\b(no|not|without|except|nothing|none|isnt|arent|hate|avoid|skip|fewer|less|stop|zero|"
                          rf"cant stand|cannot stand|sick of|tired of|dont want|dont like|spare me|enough|"
                          rf"seen every|seen all|so over|im over|totally over|done with)\b"
                          rf"(\s+\w+){{0,3}}?\s+{re.escape(key)}", words))


def read_domain(low: str, *, topics: bool = True) -> str | None:
    """movie, music or product when the words say so and only one of them does ('movies not products': movie).

    topics=False ignores the words for a field's people ("bands", "actors").
    """
    low = re.sub(r"\b(not|no|instead of|forget( about)?( the)?)\s+(\w+)", " ", low)
    # "music like a fantasy film soundtrack": a film's or a game's score is music.
    low = re.sub(r"\b(?:films?|movies?|games?)\s+(?=(?:soundtracks?|scores?|music|themes?)\b)", " ", low)
    hits = [domain for domain, words in _DOMAIN_WORDS.items() if re.search(rf"\b(?:{words})\b", low)]
    if not hits and topics:
        hits = [domain for domain, words in _TOPIC_WORDS.items() if re.search(rf"\b(?:{words})\b", low)]
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
    # A quote opens after a space or the start, not inside a word ("the first one's ... my list 'new flat'").
    quoted = re.search(r"(?:^|(?<=[\s(:]))[\"“'‘]([^\"”'’]{1,60})[\"”'’](?!\w)", text)
    if quoted:
        return quoted.group(1).strip()
    text = re.sub(r"[\s,]+(?:please|pls|plz|thanks|thank you|ta|cheers)\W*$", "", text, flags=re.I)
    called = re.search(r"\b(?:called|named)\s+([\w' -]{1,40}?)\s*(?:list|playlist)?\s*[.!?]*$", text, re.I)
    if called:
        return called.group(1).strip()
    fmt = r"(?:(?:an? )?(?:m3u8?|xspf|jspf|csv|json|excel|spreadsheet)|an? \w+ file)"
    patterns = (
        r"\b(?:to|into|in|on|onto)\s+(?:my|the|a)?\s*(?:(?:play)?list\s+)?([\w' -]{1,40}?)\s*(?:list|playlist)?"
        r"\s*[.!?]*$",
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
            # "my wishlist", "the watchlist": the name was cut before "list" inside one word.
            whole = re.search(rf"\b{re.escape(name)}(list|playlist)\b", text, re.I)
            return name + whole.group(1) if whole else name
    low = text.casefold()
    return next((kind for kind in ("watchlist", "wishlist") if kind in low), "")


_CURRENCY = r"(?:[$€£]|usd|eur|gbp|chf|dollars?|bucks|euros?|pounds|quid|francs?)"
_AMOUNT = rf"(?:{_CURRENCY}\s*)?(\d+(?:[.,]\d{{1,2}})?)\s*(?:{_CURRENCY})?"


_UNIT_WORDS, _TEEN_WORDS, _TEN_WORDS = ("|".join(table) for table in (_UNITS, _TEENS, _TENS_WORDS))
# "fifty", "a hundred and fifty", "two thousand", "thirty-five": an amount said in words.
_NUMBER_WORDS = (rf"(?:(?:a|{_UNIT_WORDS})\s+(?:hundred|thousand)(?:\s+and)?(?:\s+(?:{_TEN_WORDS}|{_TEEN_WORDS}))?"
                 rf"(?:[\s-]+(?:{_UNIT_WORDS}))?|(?:{_TEN_WORDS})(?:[\s-]+(?:{_UNIT_WORDS}))?|{_TEEN_WORDS}|hundred|"
                 rf"thousand)")
_AMOUNT_WORDS = rf"{_NUMBER_WORDS}(?!\s+(?:stars?|bpm|minutes?|years?))"


def _amount_in_words(words: str) -> str:
    """'a hundred and fifty' -> '150', 'thirty five' -> '35'."""
    value = 0
    for word in re.findall(r"[a-z]+", words):
        if word in ("hundred", "thousand"):
            value = max(value, 1) * (100 if word == "hundred" else 1000)
        elif word != "and":
            value += _WORD_VALUES.get(word, 0)
    return str(value)


def read_price(low: str) -> tuple[float | None, float | None]:
    """(lowest, highest) price allowed: 'under 50 dollars', 'less than €100', 'over $200', 'between 20 and 40'."""
    def amount(match: re.Match[str], group: int) -> float:
        return float(match.group(group).replace(",", "."))

    # "under a hundred and fifty dollars", "under thirty": amounts in words after a price word.
    low = re.sub(rf"\b(under|below|over|above|max|maximum|budget(?: is| of)?|around|about|up to|less than|more than|"
                 rf"between|and|to|spend|at most|at least)\s+({_AMOUNT_WORDS})\b",
                 lambda m: f"{m.group(1)} {_amount_in_words(m.group(2))}", low)
    low = re.sub(rf"\b({_AMOUNT_WORDS})(?=\s*{_CURRENCY})", lambda m: _amount_in_words(m.group(1)), low)  # "fifty quid"
    low = re.sub(r"\bnothing (over|above|more than)\b", "under", low)  # "nothing over 50 each" is a ceiling
    unit = rf"(?!\d*(?:[.,]\d+)?\s*(?:{_NOT_COUNTED}|bpm|%)\b)"  # "rated >4 stars" is no price
    low = re.sub(rf"<\s*(?=[$€£]?\d){unit}", "under ", re.sub(rf">\s*(?=[$€£]?\d){unit}", "over ", low))  # "books <25"
    low = re.sub(rf"{_AMOUNT}\s*(?:max|maximum|tops|at most|or less|or under|or below|budget|(?:is|'s) (?:the|my) "
                 rf"(?:most|max|maximum|limit|top))\b", r"under \1", low)
    low = re.sub(rf"{_AMOUNT}\s*(?:or more|or over|or above|plus|\+|and up|minimum|min)(?!\w)", r"over \1", low)
    # "got 45 euros to spend": money the user has to spend is a ceiling (when a currency is said).
    low = re.sub(rf"(?:{_CURRENCY}\s*)(\d+(?:[.,]\d{{1,2}})?)\s*(?=to spend\b)|(\d+(?:[.,]\d{{1,2}})?)\s*"
                 rf"(?:{_CURRENCY})\s*(?=to spend\b)", lambda m: f"under {m.group(1) or m.group(2)} ", low)
    between = re.search(rf"\bbetween\s+{_AMOUNT}\s+and\s+{_AMOUNT}", low)
    # Without a currency, two amounts that are not years and have no unit after them are prices too.
    if between and (re.search(_CURRENCY, between.group(0)) or (
            all(float(g.replace(",", ".")) < 1800 for g in between.groups())
            and not re.match(rf"\s*(?:{_NOT_COUNTED}|min|mins|hrs|bpm)\b", low[between.end():]))):
        first, second = sorted((amount(between, 1), amount(between, 2)))
        return first, second
    most = re.search(rf"\b(?:under|sub|below|less than|cheaper than|no more than|not more than|up to|max(?:imum)?|"
                     rf"at most|within|budget(?:'s|’s|s| is| of)?(?: around| about| roughly)?|for less than|"
                     rf"spend(?:ing)?(?: about| around| up to)?|stretch(?:es)? to|go up to|go as high as)\s+"
                     rf"{_AMOUNT}", low)
    least = re.search(rf"\b(?:over|above|(?<!no )(?<!not )more than|at least|upwards of)\s+{_AMOUNT}", low)
    money = re.search(rf"{_CURRENCY}|\bprice|\bbudget|\bspend|\bcost|\bcheap|\bfancy|\bmax\b|\beach\b", low)
    if money is None:  # "after 1990", "over 2000": a year, unless money is spoken of
        least, most = (m if m is None or not re.fullmatch(r"(19|20)\d\d", m.group(1)) else None
                       for m in (least, most))
    if least is None and most is None:
        # "20 to 40" in a request about gifts or money: a range.
        span = re.search(rf"(?<![\d.])(\d{{1,4}})\s*(?:to|-|–)\s*{_AMOUNT}", low)
        if span and (money or re.search(r"\b(gifts?|presents?)\b", low)) and \
                all(float(g.replace(",", ".")) < 1800 for g in span.groups()) and \
                not re.match(rf"\s*(?:{_NOT_COUNTED}|min|mins|hrs|bpm)\b", low[span.end():]):
            first, second = sorted((float(span.group(1)), amount(span, 2)))
            return first, second
    if least is None and most is None and money:
        # "around fifty bucks", "about 40 quid": near that amount, either way.
        near = re.search(rf"\b(?:around|about|roughly|approximately|circa|~)\s*(?:{_CURRENCY}\s*\d+(?:[.,]\d{{1,2}})?|"
                         rf"\d+(?:[.,]\d{{1,2}})?\s*{_CURRENCY})", low)
        near = near and re.search(_AMOUNT, near.group(0))
        if near and not re.match(rf"\s*(?:{_NOT_COUNTED}|min|mins|hrs|bpm)\b", low[near.end():]):
            return round(amount(near, 1) * 0.7, 2), round(amount(near, 1) * 1.3, 2)
    said = [m for m in (least, most) if m is not None]
    # "under 100" with no money word is a price only when no unit follows ("under 90 minutes" is not).
    if not said or (money is None and any(re.match(rf"\s*(?:{_NOT_COUNTED}|min|mins|hrs|bpm)\b",
                                                   low[m.end():]) for m in said)):
        return None, None
    return (amount(least, 1) if least else None), (amount(most, 1) if most else None)


_PLURALS = (r"movies|films|songs|tracks|albums|records|picks|ideas|gifts|options|products|books|games|comedies|"
            r"dramas|thrillers|westerns|musicals|documentaries|cartoons|horrors|romances|mysteries")
# What can be free: "free games", "free gifts" are offers, not a misheard three. Films and songs are not sold here.
_NEVER_FREE = "|".join(w for w in _PLURALS.split("|") if w not in ("ideas", "gifts", "options", "products", "books",
                                                                   "games"))
_SHOWING = r"(?:(?:give|show|find|get|play|bring)(?: me| us)?|recommend|suggest)"
# One describing word between a misheard number and its noun ("for sci-fi movies"), not a phrase ("to fans of"),
# nor a verb: "I want to watch movies" wants to watch, not two.
_ONE_WORD = (r"(?!(?:of|to|for|the|a|an|my|your|our|fans|people|kids|children|families|watch|see|buy|find|get|listen|"
             r"hear|play|stream|rent|read|try|discover|check|look|have|keep|give|show|pick|choose|gift|send|make|know|"
             r"go|do|put|add|save|like|love|enjoy|share|learn|explore|start|binge|host|sell|order)\b)[\w-]+")
_ASKING = rf"(?:{_SHOWING}|i want|i need|i'd like)"
_HEARD = (
    # Speech recognition writes what it hears: "three comedies" comes out as "free comedies", "two stars"
    # as "to stars". In a request those spellings make no sense, so they are read as the numbers.
    (rf"\b(?:free|tree)\s+(?=(?:\w+\s+)?(?:{_NEVER_FREE}|more)\b)", "three "),
    (rf"\bate\s+(?=(?:\w+\s+)?(?:{_PLURALS})\b|(?:people|players|guests|friends|of us|kids|adults)\b)", "eight "),
    (r"\b(?:to|too)\s+(?=stars?\b)", "two "),
    (r"\bfor\s+(?=stars?\b)", "four "),
    (r"\bwon\s+(?=stars?\b)", "one "),
    (rf"\b({_ASKING})\s+won\s+(?!(?:an?|the|best|oscars?|awards?|prizes?|over|it|that)\b)", r"\1 one "),
    (rf"^(\W*{_ASKING}?\s*)for\s+(?=(?:{_ONE_WORD}\s+){{0,2}}(?:{_PLURALS})\b)", r"\1four "),
    (rf"^(\W*{_ASKING}?\s*)(?:to|too)\s+(?=(?:{_ONE_WORD}\s+){{0,2}}(?:{_PLURALS})\b)", r"\1two "),
    # "add number to to my list": a card number is a number.
    (r"\bnumber\s+(?:to|too)\b", "number two"),
    (r"\bnumber\s+for\b(?!\s+(?:me|you|us|him|her|them)\b)", "number four"),
    (r"\bnumber\s+(?:free|tree)\b", "number three"),
    (r"\bnumber\s+won\b", "number one"),
    # Letters spelled out as they are said: "em three you eight", "ex ess pee eff", "bee pee em".
    (r"\bem\s+three\s+you(?:\s+eight)?\b", "m3u8"),
    (r"\bex\s+ess\s+pee\s+eff\b", "xspf"),
    (r"\bjay\s+ess\s+pee\s+eff\b", "jspf"),
    (r"\bsee\s+ess\s+vee\b", "csv"),
    (r"\bjay\s+son\b", "json"),
    (r"\bbee\s+pee\s+em\b", "bpm"),
    (r"\bbeats\s+(?:per|a|an)\s+minute\b", "bpm"),
    # "can you show me for sci-fi movies", "maybe for tracks": a number where one is asked for.
    # (Only after a command: "I want to buy 3 things" keeps its "to".)
    (rf"\b({_SHOWING}|maybe|just|like)\s+for\s+(?=(?:{_ONE_WORD}\s+)?(?:{_PLURALS}|things)\b)", r"\1 four "),
    (rf"\b({_SHOWING})\s+(?:to|too)\s+(?=(?:{_ONE_WORD}\s+)?(?:{_PLURALS}|things)\b)", r"\1 two "),
    # Genre words as a small speech model writes them down.
    (r"\brom[\s-]+(?:calms?|comms?|com)\b", "romcoms"),
    (r"\bbored\s+(?=games?\b)", "board "),
    (r"\bclassic\s+call\b", "classical"),
    (r"\bwore(?=\s+(?:films?|movies?|dramas?|stories)\b)|(?<=\bfilm\s)wore\b|(?<=\bmovie\s)wore\b", "war"),
)


_SPOKEN_YEAR = re.compile(rf"\b(nineteen|twenty)[\s-]+(?:hundred[\s-]+(?:and[\s-]+)?)?(?:(?P<tens>ten|{_TEN_WORDS})"
                          rf"(?:[\s-]+(?P<unit>{_UNIT_WORDS}))?|oh[\s-]+(?P<oh>{_UNIT_WORDS}))\b", re.I)
_THOUSANDS_YEAR = re.compile(rf"\btwo thousand(?:[\s-]+and)?[\s-]+(?P<unit>{_TEEN_WORDS}|twenty|{_UNIT_WORDS})\b", re.I)


def spoken_years(text: str) -> str:
    """Years said in words or shortened, as digits: 'nineteen sixty' -> 1960, 'two thousand and five' -> 2005,
    "'97" -> 1997."""
    def said(match: re.Match[str]) -> str:
        century = 1900 if match.group(1).casefold() == "nineteen" else 2000
        if match.group("oh"):
            return str(century + _WORD_VALUES[match.group("oh").casefold()])
        return str(century + _WORD_VALUES[match.group("tens").casefold()] +
                   (_WORD_VALUES[match.group("unit").casefold()] if match.group("unit") else 0))

    def thousands(match: re.Match[str]) -> str:
        return str(2000 + _WORD_VALUES[match.group("unit").casefold()])

    def short(match: re.Match[str]) -> str:
        two = int(match.group(1))
        return str(2000 + two if two <= 30 else 1900 + two)  # '97 is 1997, '05 is 2005

    text = _SPOKEN_YEAR.sub(said, text)
    text = _THOUSANDS_YEAR.sub(thousands, text)
    return re.sub(r"(?<![\w'’])['’](\d{2})\b(?!s)", short, text)


# "Movies" heard as "move is" ("funny move is from the 90s"), but not a move that is: "my next move is to..."
_MOVE_IS = re.compile(r"\b(?:(?P<before>[\w']+)\s+)?move is\b(?=\s*(?:$|[.,!?;:]|(?:like|from|with|about|for|that|"
                      r"set|where|under|starring|by|in|on|to watch|please|similar|based|featuring)\b))", re.I)
_A_MOVE = frozenset("""
my the next your his her our their a an this that first last best one every each wrong right big bold smart wise
only dance chess new good false clever what which whose final winning opening its no whole
""".split())  # noqa: SIM905 (a word list reads best as text)


def _movies_heard(text: str) -> str:
    """'Funny move is from the 90s' -> 'funny movies from the 90s'; 'the next move is to...' stays."""
    def heard(match: re.Match[str]) -> str:
        before = match.group("before")
        if before is not None and before.casefold() in _A_MOVE:
            return match.group(0)
        return f"{before} movies" if before is not None else "movies"
    return _MOVE_IS.sub(heard, text)


def heard_numbers(text: str) -> str:
    """The request with numbers misheard by speech recognition read as numbers ('free comedies' -> three),
    'move is' heard for 'movies' where a request means films, and years said in words as digits."""
    text = _movies_heard(text)
    for pattern, number in _HEARD:
        text = re.sub(pattern, number, text, flags=re.I)
    # "a hundred and fifty bpm": a tempo said in words.
    text = re.sub(rf"\b({_NUMBER_WORDS})(?=\s*bpm\b)", lambda m: _amount_in_words(m.group(1).casefold()), text,
                  flags=re.I)
    return spoken_years(text)


def read_tempo(low: str) -> tuple[float | None, float | None]:
    """(slowest, fastest) tempo in BPM: 'above 140 bpm', 'under 90 bpm', 'between 100 and 120 bpm', 'around 80 bpm'."""
    low = re.sub(r"\bnothing (?:over|above|faster than|more than)\b", "under", low)  # "nothing over 100 bpm"
    low = re.sub(r"\bnothing (?:under|below|slower than|less than)\b", "over", low)
    between = re.search(r"\b(?:between|from)\s+(\d{2,3})\s*(?:bpm)?\s+(?:and|to|-)\s+(\d{2,3})\s*bpm\b", low)
    if between:
        first, second = sorted((float(between.group(1)), float(between.group(2))))
        return first, second
    around = re.search(r"\b(?:around|about|roughly|near)\s+(\d{2,3})\s*bpm\b", low)
    if around:
        return float(around.group(1)) - 10, float(around.group(1)) + 10
    least = re.search(r"\b(?:above|over|faster than|more than|at least|upwards of)\s+(\d{2,3})\s*bpm\b", low) or \
        re.search(r"\b(\d{2,3})\s*bpm\s+(?:or more|and up|plus|or faster)\b", low) or \
        re.search(r"\b(\d{2,3})\s*(?:\+\s*bpm|bpm\s*\+)", low)  # "140+ bpm"
    most = re.search(r"\b(?:under|below|slower than|less than|at most|no more than|up to)\s+(\d{2,3})\s*bpm\b",
                     low) or \
        re.search(r"\b(\d{2,3})\s*bpm\s+(?:or less|or slower|max)\b", low)
    return (float(least.group(1)) if least else None), (float(most.group(1)) if most else None)
