"""Text as it should be read aloud, and split into sentences for streaming speech (standard library only).

The replies we speak are written for the screen: markdown, ★ ratings, "(1995)", URLs and emoji. A
voice reading them literally says "asterisk asterisk", "nineteen hundred ninety five", "dollar five"
or "sixteen K G" (espeak-ng's defaults, checked on the bundled voice). ``speakable`` rewrites the
text into plain sentences; ``sentences`` cuts it where a voice may pause, so the first sentence can
play while the rest is synthesised.

Choices worth knowing:
- Numbered and bulleted list markers are dropped; every list line becomes its own sentence.
- A line without closing punctuation ends with a full stop, unless the next line starts in lower
  case (a hard-wrapped paragraph), in which case the lines are joined.
- Ratings keep their number as written: "4.5★" is "4 and a half stars", "~4.6★" is "about 4.6 stars"
  (rounding to a half would misstate what the screen shows).
- Four-digit numbers from 1100 to 2099 are read as years ("1994" -> "nineteen ninety-four") unless a
  unit, percent or currency says they are quantities; decades too ("the 90s" -> "the nineties").
- URLs and e-mail addresses are dropped, not replaced by "a link": the screen shows them.
- Emoji and symbols are dropped; letters, marks and punctuation of every script are kept.
- Runs of initials lose their dots ("J. R. R. Tolkien" -> "J R R Tolkien") so the voice does not
  pause after each; the same rule reads "Plan B. Then" as one sentence (a rare, harmless miss).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

MAX_SENTENCE_CHARS = 200

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_TENS_PLURAL = ("", "tens", "twenties", "thirties", "forties", "fifties", "sixties", "seventies", "eighties",
                "nineties")

# Unit abbreviations after a number -> (singular, plural). Case matters: "m" is metres, "M" is not a unit.
_UNITS: dict[str, tuple[str, str]] = {
    "kg": ("kilogram", "kilograms"), "g": ("gram", "grams"), "mg": ("milligram", "milligrams"),
    "lb": ("pound", "pounds"), "lbs": ("pounds", "pounds"), "oz": ("ounce", "ounces"),
    "km": ("kilometre", "kilometres"), "m": ("metre", "metres"), "cm": ("centimetre", "centimetres"),
    "mm": ("millimetre", "millimetres"), "ft": ("foot", "feet"), "mi": ("mile", "miles"),
    "ml": ("millilitre", "millilitres"), "mL": ("millilitre", "millilitres"), "l": ("litre", "litres"),
    "L": ("litre", "litres"), "lm": ("lumen", "lumens"), "W": ("watt", "watts"), "kW": ("kilowatt", "kilowatts"),
    "kWh": ("kilowatt hour", "kilowatt hours"), "V": ("volt", "volts"), "mAh": ("milliamp hour", "milliamp hours"),
    "Hz": ("hertz", "hertz"), "kHz": ("kilohertz", "kilohertz"), "dB": ("decibel", "decibels"),
    "KB": ("kilobyte", "kilobytes"), "MB": ("megabyte", "megabytes"), "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"), "min": ("minute", "minutes"), "mins": ("minutes", "minutes"),
    "h": ("hour", "hours"), "hr": ("hour", "hours"), "hrs": ("hours", "hours"), "sec": ("second", "seconds"),
    "ms": ("millisecond", "milliseconds"), "mph": ("mile per hour", "miles per hour"),
    "km/h": ("kilometre per hour", "kilometres per hour"), "kbps": ("kilobit per second", "kilobits per second"),
    "fps": ("frame per second", "frames per second"), "bpm": ("beat per minute", "beats per minute"),
    "BPM": ("beat per minute", "beats per minute"), "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
}
_CURRENCIES = {"$": ("dollar", "dollars"), "€": ("euro", "euros"), "£": ("pound", "pounds"), "¥": ("yen", "yen")}
# Words a year must not be followed by: then the number is a quantity ("1500 lumens", "2000 dollars").
_QUANTITY_WORDS = sorted({w for pair in (*_UNITS.values(), *_CURRENCIES.values()) for w in pair} | {"percent"},
                         key=len, reverse=True)

# Abbreviations whose full stop never ends a sentence (lower case, without the final dot).
_NO_SPLIT_AFTER = frozenset({"mr", "mrs", "ms", "dr", "st", "vs", "jr", "sr", "prof", "mt", "no", "e.g", "i.e",
                             "approx", "ca", "cf", "fig", "vol", "ft", "feat"})

# Punctuation we drop although it is punctuation: markdown and symbols a voice would read out.
_DROP_PUNCT = frozenset("*_#@\\`|~^<>=•·‣◦†‡§¶{}[]\"")
_KEEP_SYMBOLS = frozenset("+'$€£¥%")

# A URL ends before trailing punctuation: "see https://x.org/a." keeps its full stop.
_URL = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>()\[\]\"']*[^\s<>()\[\]\"'.,;:!?]", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# Only a domain with a path is a link; "Amazon.com" alone is a name the voice may say.
_BARE_DOMAIN = re.compile(r"\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|io|dev|app|co\.uk|edu|gov)/[^\s)]*[^\s).,;:!?]",
                          re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```|~~~)")
_RULE = re.compile(r"^\s*(?:[-*_=]\s*){3,}$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_HEADING = re.compile(r"^\s*#{1,6}\s+")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_LIST_MARKER = re.compile(r"^\s*(?:[-*+•‣◦]|\(?\d{1,3}[.)])\s+")
_SENTENCE_END = re.compile(r"[.!?。！？]+[\"'”’)\]]*$")


def speakable(text: str) -> str:
    """Text as it should be read aloud."""
    text = unicodedata.normalize("NFC", text).translate(_QUOTE_MAP)
    lines: list[str] = []
    previous_plain = False
    for raw in text.splitlines():
        if _FENCE.match(raw) or _RULE.match(raw) or _TABLE_RULE.match(raw):
            continue
        line = _QUOTE.sub("", raw)
        plain = not (_HEADING.match(line) or _LIST_MARKER.match(line))
        line = _inline(_LIST_MARKER.sub("", _HEADING.sub("", line)))
        if not any(ch.isalnum() for ch in line):
            continue
        if plain and previous_plain and not _SENTENCE_END.search(lines[-1]) and line[:1].islower():
            lines[-1] = f"{lines[-1].rstrip(' ,;:-')} {line}"  # a hard-wrapped paragraph continues
        else:
            lines.append(line)
        previous_plain = plain
    # Every line is a sentence of its own: the voice pauses there, and sentences() cuts there.
    closed = [line if _SENTENCE_END.search(line) else line.rstrip(" ,;:-") + "." for line in lines]
    return _tidy(" ".join(closed))


def sentences(text: str) -> list[str]:
    """Split text into sentences to speak one at a time; long ones are cut at commas or semicolons."""
    out: list[str] = []
    for line in text.splitlines():
        for sentence in _split_line(line):
            if any(ch.isalnum() for ch in sentence):
                out.extend(_split_long(sentence))
    return out


# -- inline cleaning ---------------------------------------------------------------------------------

_QUOTE_MAP = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "“": '"', "”": '"',
                            "„": '"', "«": '"', "»": '"', "″": '"', "\u00a0": " ", "\u2009": " ",
                            "\u202f": " ", "\t": " "})

_INLINE_RULES: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = []


def _rule(pattern: str, flags: int = 0) -> Callable[[str | Callable[[re.Match[str]], str]], None]:
    def add(replacement: str | Callable[[re.Match[str]], str]) -> None:
        _INLINE_RULES.append((re.compile(pattern, flags), replacement))
    return add


def _inline(line: str) -> str:
    for pattern, replacement in _INLINE_RULES:
        line = pattern.sub(replacement, line)
    return _drop_symbols(line)


def _number_words(n: int) -> str:
    """0..99 in words."""
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] if ones == 0 else f"{_TENS[tens]}-{_ONES[ones]}"


def _year_words(year: int) -> str:
    """A year from 1100 to 2099 the way people say it."""
    century, rest = divmod(year, 100)
    if 2000 <= year <= 2009:
        return "two thousand" if rest == 0 else f"two thousand {_ONES[rest]}"
    if rest == 0:
        return f"{_number_words(century)} hundred"
    if rest < 10:
        return f"{_number_words(century)} oh {_ONES[rest]}"
    return f"{_number_words(century)} {_number_words(rest)}"


def _decade_words(match: re.Match[str]) -> str:
    digits = match.group(1)
    if len(digits) == 2:
        tens = int(digits) // 10
        return _TENS_PLURAL[tens] if int(digits) % 10 == 0 and tens > 0 else match.group(0)
    year = int(digits)
    century, rest = divmod(year, 100)
    if rest % 10:
        return match.group(0)
    if rest == 0:
        return "two thousands" if year == 2000 else f"{_number_words(century)} hundreds"
    return f"{_number_words(century)} {_TENS_PLURAL[rest // 10]}"


def _stars(value: str, about: bool) -> str:
    """A rating in words: "4.5" -> "4 and a half stars"; other decimals are kept as written."""
    whole, _, fraction = value.replace("½", ".5").partition(".")
    whole = whole or "0"
    fraction = fraction.rstrip("0")
    prefix = "about " if about else ""
    if not fraction:
        return f"{prefix}{int(whole)} star" if int(whole) == 1 else f"{prefix}{int(whole)} stars"
    if fraction == "5":
        return f"{prefix}half a star" if int(whole) == 0 else f"{prefix}{int(whole)} and a half stars"
    return f"{prefix}{int(whole)}.{fraction} stars"


def _star_rating(match: re.Match[str]) -> str:
    return _stars(match.group("value"), bool(match.group("about")))


def _star_run(match: re.Match[str]) -> str:
    run = match.group(0)
    filled = sum(run.count(ch) for ch in "★⭐")
    return _stars(f"{filled}.5" if "½" in run else str(filled), False)


def _unit(match: re.Match[str]) -> str:
    number, unit = match.group(1), match.group(2)
    singular, plural = _UNITS[unit]
    return f"{number} {singular if number == '1' else plural}"


def _currency(match: re.Match[str]) -> str:
    symbol, whole, cents, scale = match.group(1), match.group(2), match.group(3), match.group(4) or ""
    singular, plural = _CURRENCIES[symbol]
    scale_word = {"k": " thousand", "K": " thousand", "m": " million", "M": " million", "bn": " billion",
                  "million": " million", "billion": " billion", "thousand": " thousand"}.get(scale.strip(), "")
    if scale_word:
        return f"{whole}{'.' + cents if cents else ''}{scale_word} {plural}"
    name = singular if whole == "1" and not cents else plural
    return f"{whole} {name} {cents}" if cents and cents.strip("0") else f"{whole} {name}"


def _year(match: re.Match[str]) -> str:
    year = int(match.group(0))
    return _year_words(year) if 1100 <= year <= 2099 else match.group(0)


def _initials(match: re.Match[str]) -> str:
    return match.group(0).replace(".", "")


# The order matters: code and links before URLs, URLs before "@" and "/" and "_" go, ratings and units
# before symbols are dropped, units before years so "1500 lm" stays a quantity.
_rule(r"`+([^`]*)`+")(r"\1")
_rule(r"!\[([^\]]*)\]\([^)]*\)")(r"\1")
_rule(r"\[([^\]]+)\]\([^)]*\)")(r"\1")
_rule(r"<(?:https?|mailto):[^>]*>", re.IGNORECASE)("")
_rule(_URL.pattern, re.IGNORECASE)("")
_rule(_EMAIL.pattern)("")
_rule(_BARE_DOMAIN.pattern, re.IGNORECASE)("")
_rule(r"\*\*(.+?)\*\*")(r"\1")
_rule(r"__(.+?)__")(r"\1")
_rule(r"~~(.+?)~~")(r"\1")
_rule(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")(r"\1")
_rule(r"(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)")(r"\1")
# Ratings: "5★", "4.5 ★", "~4.6★", "4½★", runs like "★★★★☆", and "4.5/5".
_rule(r"(?P<about>(?:~|≈|\babout\s+|\baround\s+)\s*)?(?P<value>\d+(?:\.\d+)?½?|½)\s*(?:[★⭐]|\bstars?\b)"
      r"(?:\s*[★⭐☆])*", re.IGNORECASE)(_star_rating)
_rule(r"[★⭐][★⭐☆½]*")(_star_run)
_rule(r"\b(\d(?:\.\d)?)\s*/\s*(5|10)\b")(r"\1 out of \2")
_rule(r"(?:~|≈)\s*(?=[\d$€£¥])")("about ")
# Ranges of years or numbers: "1990-1999", "1990–99" -> "1990 to 1999".
_rule(r"\b(\d{4})\s*[–—-]\s*(\d{4})\b")(r"\1 to \2")
_rule(r"(\d)\s*–\s*(\d)")(r"\1 to \2")
_rule(r"([$€£¥])\s?(\d[\d,]*)(?:\.(\d{1,2}))?(\s?(?:bn|[kKmM]|million|billion|thousand)\b)?")(_currency)
_rule(r"(\d+(?:[.,]\d+)?)\s?(" + "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
      + r")(?![\w/])")(_unit)
_rule(r"(\d)\s?%")(r"\1 percent")
_rule(r"['’]?\b(\d{2}|1[1-9]\d0|20[0-9]0)s\b")(_decade_words)
_rule(r"(?<![\d.,$€£¥])\b(1[1-9]\d\d|20\d\d)\b(?![.,]\d)(?!\s*(?:" + "|".join(_QUANTITY_WORDS) + r")\b)")(_year)
_rule(r"\s&\s|&")(" and ")
_rule(r"\bvs\b\.?", re.IGNORECASE)("versus")
_rule(r"\be\.\s?g\.", re.IGNORECASE)("for example")
_rule(r"\bi\.\s?e\.", re.IGNORECASE)("that is")
_rule(r"\betc\b")("et cetera")
_rule(r"\bapprox\.?(?=\s)", re.IGNORECASE)("about")
_rule(r"\bBPM\b", re.IGNORECASE)("beats per minute")
_rule(r"\bw/(?=\s)")("with")
_rule(r"\bMr\.(?=\s)")("Mister")
_rule(r"\bMrs\.(?=\s)")("Missus")
_rule(r"\bDr\.(?=\s)")("Doctor")
_rule(r"\bSt\.(?=\s+[A-Z])")("Saint")
_rule(r"\bSt\.(?=\s*$|\s+[a-z,])")("Street")
_rule(r"\bJr\.")("Junior")
_rule(r"\bNo\.\s?(?=\d)")("number ")
_rule(r"#(?=\d)")("number ")
# Chains of initials, and one initial between capitalised words ("Samuel L. Jackson").
_rule(r"\b(?:[A-Z]\.\s?){2,}(?=\s+[A-Z]|\s*$)")(_initials)
_rule(r"\b([A-Z][a-z]+\s[A-Z])\.(?=\s+[A-Z])")(r"\1")
_rule(r"\s*(?:—|-{2,}|–)\s*")(", ")
_rule(r"\s*\|\s*")(", ")  # table cells
_rule(r"(?<=[^\W\d])/(?=[^\W\d])")(" ")
_rule(r"\.{3,}|…")(",")
_rule(r"!{2,}")("!")
_rule(r"\?{2,}")("?")
# Brackets become commas: the voice pauses around an aside the way the eye skips it.
_rule(r"\s*[(\[{]\s*")(", ")
_rule(r"\s*[)\]}]")(",")


def _drop_symbols(line: str) -> str:
    """Keep letters, marks, digits and punctuation of every script; emoji and symbols become spaces."""
    kept: list[str] = []
    for ch in line:
        if ch in _KEEP_SYMBOLS:
            kept.append(ch)
            continue
        if ch in _DROP_PUNCT or "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef":
            kept.append(" ")  # variation selectors are "marks" but only dress up emoji
            continue
        category = unicodedata.category(ch)
        if category[0] in "LMNP":
            kept.append(ch)
        elif category[0] == "Z" or ch in "\r\n":
            kept.append(" ")
        else:
            kept.append(" ")  # So/Sm/Sk/Sc and control/format characters (emoji, ZWJ, arrows)
    return _tidy("".join(kept))


def _tidy(text: str) -> str:
    """Collapse whitespace and the stray punctuation left where things were removed."""
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r",(?:\s*,)+", ",", text)
    text = re.sub(r",\s*([.;:!?])", r"\1", text)
    text = re.sub(r"([.;:!?])\s*,", r"\1", text)
    text = re.sub(r"([;:])\s*([.!?])", r"\2", text)
    text = re.sub(r"\.(?:\s*\.)+", ".", text)
    text = re.sub(r"([,;:])(?=[^\s\d])", r"\1 ", text)
    return text.strip(" ,;:")


# -- sentence splitting ------------------------------------------------------------------------------

_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)|[。！？]+[\"'”’)\]]*")


def _split_line(line: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(line):
        end = match.end()
        if match.group(0).startswith(".") and not _ends_sentence(line, start, match.start(), end):
            continue
        pieces.append(line[start:end].strip())
        start = end
    pieces.append(line[start:].strip())
    return [p for p in pieces if p]


def _ends_sentence(line: str, start: int, dot: int, after: int) -> bool:
    """False for a full stop that belongs to an abbreviation, an initial or a list number."""
    word = re.search(r"[\w.]*$", line[start:dot])
    before = word.group(0) if word else ""
    if before.lower() in _NO_SPLIT_AFTER:
        return False
    if len(before) == 1 and before.isupper():
        return False  # an initial: "J. R. R. Tolkien"
    if before.isdigit() and not line[start:dot - len(before)].strip():
        return False  # "1. The Usual Suspects": a list number opening the line
    following = line[after:].lstrip()
    return not following[:1].islower()  # "approx. three": a sentence does not start in lower case


def _split_long(sentence: str) -> list[str]:
    """Cut a sentence longer than MAX_SENTENCE_CHARS at semicolons, then commas, then spaces."""
    if len(sentence) <= MAX_SENTENCE_CHARS:
        return [sentence]
    for separator in (r"(?<=;)\s+", r"(?<=,)\s+", r"\s+"):
        parts = re.split(separator, sentence)
        if len(parts) > 1:
            break
    else:
        return [sentence]  # one enormous word: nothing sensible to cut at
    out: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current} {part}" if current else part
        if current and len(candidate) > MAX_SENTENCE_CHARS:
            out.extend(_split_long(current) if len(current) > MAX_SENTENCE_CHARS else [current])
            current = part
        else:
            current = candidate
    if current:
        out.extend(_split_long(current) if len(current) > MAX_SENTENCE_CHARS else [current])
    return out
