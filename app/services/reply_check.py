"""Is every claim in a reply grounded in the turn's facts? The check a model's words pass before anyone sees them.

A reply (or a re-ranking reason, or the "about" a model read into a request) passes when:

- every title-like span (a run of capitalised words, a quoted phrase) is one of the facts: a card's
  title, creator, genre or album, a title the user liked, a name the catalogue lacks, or the user's
  own words;
- every year and decade is a card's, the request's or the user's;
- every number (counts, stars, prices, BPM) is one the facts hold, rounded as the cards show it;
- it names no catalogue item that is not on the cards (given the catalogue's TitleIndex), repeats no
  search words the user did not say, and holds no instructions, links, markdown, code or JSON.

Ordinary words always pass: the check is about names and numbers, not style. What it cannot tell is
a one-word invented title at the start of a sentence ("Bloodline is tense."), where capitals say
nothing; with the title index, one that exists in the catalogue is caught.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.catalog.music_items import descriptors_of
from app.prices import price_of
from app.services.titles import TitleIndex, normalise

if TYPE_CHECKING:
    from app.domain.recommendation import Recommendation
    from app.services.replies import ReplyFacts

_MASK = "\u00a7"  # stands in for a fact's span once it is checked; no other check reads it
_TOLERANCE = 0.006

# Capitalised words that name nothing: the pronoun, units and calendar words.
_ALWAYS_OK = frozenset("""
i i'm i'd i've i'll ok okay bpm tv dvd cd lp usb hd uk us usa eu diy
monday tuesday wednesday thursday friday saturday sunday january february march april june july
august september october november december christmas halloween
""".split())  # noqa: SIM905
# Words a sentence may start with that are not names.
_OPENERS = frozenset("""
a an the this these that those here there it its it's they their them we our you your you'll you'd you're
he she his her both all each every some any many most few several one two three four five six seven eight
nine ten first second third next then also plus and but or so yet because since if when while as for with
without from by of in on at to about after before during like unlike just only even still really perhaps
maybe enjoy try check consider give start expect think meet discover explore take watch listen hear grab
pick look note sure great good nice perfect happy glad absolutely definitely based given thanks thank hope
hopefully yes no not none nothing something everything anything another other others what which who why
how where whatever fans lovers people everyone anyone someone otherwise overall together finally lastly
instead besides meanwhile shall should would could can will want let lets let's well oh hmm hi hello hey
sorry unfortunately sadly luckily only just top best my me more less fewer close similar classic
""".split())  # noqa: SIM905
_CONNECTORS = frozenset("of the and in a an to for on at de la le du von van der y & or from with".split())  # noqa: SIM905
_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "eleven": 11, "twelve": 12, "dozen": 12}

_INSTRUCTIONS = [re.compile(p, re.IGNORECASE) for p in (
    r"\bignore\b[^.!?\n]{0,40}\b(?:above|previous|prior|earlier|instructions?|rules?|prompt|everything|all)\b",
    r"\bdisregard\b", r"\bforget (?:everything|all|the above|your|previous)\b",
    r"(?:^|[\s.!?\"'])(?:system|assistant|user|developer|human)\s*:",
    r"\b(?:previous|prior|above|earlier|new|system|hidden|original|these|following|my|your)\s+"
    r"(?:instructions?|prompts?|rules)\b",
    r"\bjailbreak", r"\bas an ai\b", r"\blanguage model\b", r"\bi am an ai\b", r"\byou are now\b",
    r"\bfrom now on\b", r"\brecommend\b[^.!?\n]{0,60}\bto everyone\b",
)]
_LINKS = [re.compile(p, re.IGNORECASE) for p in (
    r"\b(?:https?|ftp)://", r"\bwww\.\S", r"\b[\w-]+\.(?:com|org|net|io|dev|app|ai|co|uk|de|fr|ly|gg)\b",
    r"[\w.+-]+@[\w-]+\.\w",
)]
_MARKUP = [re.compile(p, re.MULTILINE) for p in (
    r"\*\*|__|~~", r"^\s*#{1,6}\s", r"^\s*[-*+\u2022]\s", r"^\s*>", r"\[[^\]]*\]\([^)]*\)",
    r"(?<![\w*])\*(?=\S)[^*\n]+(?<=\S)\*(?![\w*])", r"(?<!\w)_(?=\S)[^_\n]+(?<=\S)_(?!\w)", r"\|",
)]
_CODE = [re.compile(p) for p in (
    r"[{}<>`\[\]\\]", r"=>|==|:=|\w\(\)", r"\"\s*:\s*[\"\d\[{]", r"\b(?:movie|music|product|ml):[\w-]+",
    r"\b(?:def|function|lambda|return|print|import)\s*\(",
)]
_QUOTED = re.compile(r"\u201c([^\u201d]*)\u201d|\"([^\"]*)\"|\u2018([^\u2019]*)\u2019(?!\w)|(?<!\w)'([^']+)'(?!\w)")
_DECADE = re.compile(r"(?<![\w.])['\u2019]?(\d{2}|1[1-9]\d0|20\d0)s\b")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?(?!\w)|(?<![\w.])\d+(?=[a-zA-Z\u2605])")
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?:;])\s+|\n+")
_LIST_NUMBER = re.compile(r"^\s*\d{1,2}[.)]\s+")


@dataclass
class _Grounds:
    """Everything a reply may name or count, prepared for quick look-ups."""

    names: list[str] = field(default_factory=list)  # masked wherever they appear: titles, creators, liked...
    phrases: list[str] = field(default_factory=list)  # normalised texts a name or a quote may come from
    vocabulary: set[str] = field(default_factory=set)  # normalised words a lone capitalised word may be
    numbers: set[float] = field(default_factory=set)
    small: int = 0  # any whole number up to this passes (counts and card numbers)
    years: set[int] = field(default_factory=set)
    allowed_ids: set[str] = field(default_factory=set)
    cards: list[str] = field(default_factory=list)  # the cards' titles
    said: str = ""  # normalised user's words
    search_words: str = ""  # normalised query the engine searched with
    _mask: re.Pattern[str] | None = None
    _haystack: str = ""

    def finish(self) -> _Grounds:
        """Compile what the look-ups need, once."""
        forms = sorted({f for n in self.names for f in _forms(n)}, key=len, reverse=True)
        patterns = [_span_pattern(f) for f in forms]
        patterns = [p for p in patterns if p]
        self._mask = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None
        texts = [*self.phrases, *(normalise("x " + f)[2:] for f in forms), *(normalise(f) for f in forms)]
        self._haystack = " | " + " | ".join(t for t in texts if t) + " | "
        for text in texts:
            self.vocabulary.update(text.split())
        for text in [*self.names, *self.phrases]:
            self.take_numbers(text)
        return self

    def take_numbers(self, text: str) -> None:
        for match in _NUMBER.finditer(text):
            value = float(match.group(0).replace(",", ""))
            self.numbers.add(value)
            if value.is_integer() and 1100 <= value <= 2099:
                self.years.add(int(value))
        for match in _DECADE.finditer(text):
            self.years.add(_decade(match.group(1)))

    def mask(self, text: str) -> str:
        """text with every fact's span replaced by the mask sign."""
        return self._mask.sub(_MASK, text) if self._mask is not None else text

    def holds(self, phrase: str) -> bool:
        """Is this normalised phrase (whole words) part of a fact?"""
        return bool(phrase) and f" {phrase} " in self._haystack

    def number_ok(self, value: float) -> bool:
        """A count, a card number, or a number some fact holds (as shown, or rounded)."""
        if value.is_integer() and 0 < value <= self.small:
            return True
        return any(abs(value - n) < _TOLERANCE for n in self.numbers)

    def year_ok(self, year: int) -> bool:
        """A year of a card, the request or the user's words."""
        return year in self.years or any(abs(year - n) < _TOLERANCE for n in self.numbers)

    def decade_ok(self, decade: int) -> bool:
        """A decade that holds a year the facts name."""
        return any(decade <= y <= decade + 9 for y in self.years)


def _forms(name: str) -> list[str]:
    """The ways a reply may write a title: whole, without its year or leading article, its alias, its head."""
    bare = re.sub(r"\s*\(\d{4}\)\s*$", "", name).strip()
    forms = [name.strip(), bare]
    alias = re.match(r"^(.*?)\s*\(([^()]+)\)\s*$", bare)
    if alias:
        forms += [alias.group(1), alias.group(2)]
    head = bare.split(":")[0].strip()
    if head != bare and len(head.split()) >= 2:
        forms.append(head)
    trailing = re.match(r"^(.+), (The|A|An)$", bare)
    if trailing:
        forms.append(f"{trailing.group(2)} {trailing.group(1)}")
    forms += [re.sub(r"^(?:the|a|an)\s+", "", f, flags=re.IGNORECASE) for f in list(forms)]
    return [f for f in dict.fromkeys(forms) if f and any(c.isalnum() for c in f)]


def _span_pattern(form: str) -> str:
    words = re.findall(r"\w+", form)
    if not words:
        return ""
    return r"(?<!\w)" + r"[\W_]*".join(re.escape(w) for w in words) + r"(?!\w)"


def _whole(value: float) -> float:
    """Rounded half up, as a person rounds (42.5 is 'about 43'; Python's round gives 42)."""
    return float(math.floor(value + 0.5))


def _decade(digits: str) -> int:
    value = int(digits)
    if len(digits) == 2:
        return (2000 if value < 30 else 1900) + value
    return value


def _card_grounds(grounds: _Grounds, rec: Recommendation) -> None:
    item = rec.item
    grounds.allowed_ids.add(item.id)
    grounds.cards.append(item.title)
    grounds.names += [item.title, *item.creators]
    if item.attributes.get("album"):
        grounds.names.append(item.attributes["album"])
    grounds.phrases += [normalise(g) for g in item.genres]
    grounds.phrases += [normalise(r) for r in rec.reasons]
    for key in ("category", "tags", "brand"):
        if item.attributes.get(key):
            grounds.phrases.append(normalise(item.attributes[key]))
    grounds.vocabulary.update(normalise(item.description).split())
    grounds.take_numbers(item.description)
    if item.year:
        grounds.years.add(item.year)
    if rec.predicted_stars is not None:
        p = rec.predicted_stars
        grounds.numbers |= {round(p, 1), _whole(p), _whole(p * 2) / 2}
    for driver in rec.breakdown.drivers:
        grounds.allowed_ids.add(driver.item_id)
        grounds.names.append(driver.title)
        grounds.numbers.add(driver.stars)
    sound = rec.breakdown.sound
    if sound is not None:
        grounds.allowed_ids.add(sound.item_id)
        grounds.names.append(sound.title)
        if sound.stars is not None:
            grounds.numbers.add(sound.stars)
        for d in (sound.this, sound.other):
            grounds.numbers |= {_whole(d.tempo_bpm), round(d.tempo_bpm, 1)}
    descriptors = descriptors_of(item)
    if descriptors is not None:
        grounds.numbers |= {_whole(descriptors.tempo_bpm), round(descriptors.tempo_bpm, 1)}
        grounds.phrases.append(normalise(f"{descriptors.key} {descriptors.mode}"))
    price = price_of(item.attributes)
    if price is not None:
        grounds.numbers |= {round(price, 2), _whole(price)}


def _facts_grounds(facts: ReplyFacts) -> _Grounds:
    grounds = _Grounds()
    for rec in facts.cards:
        _card_grounds(grounds, rec)
    intent = facts.intent
    grounds.names += [*facts.liked_titles, *facts.unknown, *facts.remember_question, *intent.liked,
                      *intent.disliked, *intent.unknown]
    grounds.phrases += [normalise(g) for g in (*intent.genres, *intent.genres_any)]
    grounds.phrases += [normalise(w) for w in (*intent.pace, *intent.energy, *intent.brightness)]
    if facts.shortfall is not None:
        grounds.phrases.append(normalise(facts.shortfall.what))
        grounds.numbers |= {float(facts.shortfall.fit), float(facts.shortfall.asked)}
    counts = [len(facts.cards), intent.count or 0, len(facts.liked_titles), len(facts.unknown)]
    grounds.small = max(counts)
    grounds.numbers |= {float(c) for c in counts if c}
    for value in (intent.year_min, intent.year_max):
        if value:
            grounds.years.add(value)
    for limit in (intent.price_max, intent.price_min, intent.stars):
        if limit is not None:
            grounds.numbers |= {float(limit), round(float(limit), 2)}
    grounds.phrases.append(normalise(facts.said))
    grounds.said = normalise(facts.said)
    grounds.search_words = normalise(intent.query)
    grounds.take_numbers(facts.said)
    return grounds.finish()


class ReplyChecker:
    """Checks texts against one turn's facts (and, given it, the catalogue's title index)."""

    def __init__(self, grounds: _Grounds, titles: TitleIndex | None = None) -> None:
        self._grounds = grounds
        self._titles = titles

    @classmethod
    def for_facts(cls, facts: ReplyFacts, titles: TitleIndex | None = None) -> ReplyChecker:
        """A checker for a reply or a reason about these cards."""
        return cls(_facts_grounds(facts), titles)

    @classmethod
    def for_words(cls, said: str, titles: TitleIndex | None = None) -> ReplyChecker:
        """A checker for text that may hold only what the user said (a model's reading of a request)."""
        grounds = _Grounds(phrases=[normalise(said)], said=normalise(said))
        grounds.take_numbers(said)
        return cls(grounds.finish(), titles)

    def names_a_card(self, text: str) -> bool:
        """Does text name at least one card by its title (or a short form of it)?"""
        folded = f" {normalise('x ' + text)[2:]} "
        return any(f" {normalise(form)} " in folded for title in self._grounds.cards for form in _forms(title)
                   if normalise(form))

    def problems(self, text: str) -> list[str]:
        """What in text is not grounded, each said once; empty when it all is."""
        grounds = self._grounds
        masked = grounds.mask(text)
        found: list[str] = []
        found += _patterns(masked)
        found += self._quotes(masked)
        found += self._names(masked)
        found += self._numbers(masked)
        if grounds.search_words and " " in grounds.search_words and grounds.search_words not in grounds.said \
                and f" {grounds.search_words} " in f" {normalise(masked)} ":
            found.append(f"repeats the search words \u201c{grounds.search_words}\u201d instead of the user's")
        if self._titles is not None:
            found += self._catalogue_titles(text, masked)
        return list(dict.fromkeys(found))

    def _quotes(self, masked: str) -> list[str]:
        problems = []
        for match in _QUOTED.finditer(masked):
            inner = next(g for g in match.groups() if g is not None)
            rest = normalise(inner.replace(_MASK, " "))
            if rest and not self._grounds.holds(rest):
                problems.append(f"quotes \u201c{inner.strip()}\u201d, which is not among the facts")
        return problems

    def _names(self, masked: str) -> list[str]:
        problems = []
        for run, initial in _capitalised_runs(masked):
            words = run
            if initial and words[0].casefold() in _OPENERS:
                words, initial = words[1:], False
            if words and _always_ok(words[0]):
                initial = False
            for number, part in enumerate(_split_on(words, _always_ok)):
                if number == 0 and initial and len(part) == 1:
                    continue  # "Tense and dark." capitals say nothing at a sentence's start
                phrase = normalise(" ".join(part))
                if not phrase or self._grounds.holds(phrase):
                    continue
                if len(part) == 1 and phrase in self._grounds.vocabulary:
                    continue
                problems.append(f"names \u201c{' '.join(part)}\u201d, which is not on the cards or in the request")
        return problems

    def _numbers(self, masked: str) -> list[str]:
        grounds = self._grounds
        problems = []
        rest = masked
        for match in _DECADE.finditer(masked):
            if not grounds.decade_ok(_decade(match.group(1))):
                problems.append(f"says the {match.group(0).lstrip(chr(39) + chr(0x2019))}, a decade none of the "
                                "cards is from")
        rest = _DECADE.sub(" ", rest)
        for match in _NUMBER.finditer(rest):
            token = match.group(0)
            value = float(token.replace(",", ""))
            if value.is_integer() and 1100 <= value <= 2099 and "." not in token:
                if not grounds.year_ok(int(value)):
                    problems.append(f"says {token}, a year none of the facts has")
            elif not grounds.number_ok(value):
                problems.append(f"says {token}, a number none of the facts has")
        for match in _NUMBER_WORD.finditer(rest):
            value = float(_NUMBER_WORDS[match.group(1).casefold()])
            if not grounds.number_ok(value):
                problems.append(f"says \u201c{match.group(1)}\u201d, a number none of the facts has")
        return problems

    def _catalogue_titles(self, text: str, masked: str) -> list[str]:
        """Titles the catalogue holds that are neither cards nor anything the user named."""
        assert self._titles is not None
        grounds = self._grounds
        capitalised = [w for w in _WORD.findall(text)
                       if w[:1].isupper() and w.casefold() not in _OPENERS and not _always_ok(w)]
        problems = []
        for mention in self._titles.mentions(masked, single_words=capitalised):
            if mention.item.id in grounds.allowed_ids or f" {mention.words} " in f" {grounds.said} ":
                continue
            if grounds.holds(mention.words):
                continue
            span = _find_span(masked, mention.words)
            if span is None or not _looks_like_a_name(span):
                continue
            name = mention.artist or mention.item.title
            problems.append(f"names {name}, which the catalogue holds but the cards do not show")
        return problems


def _patterns(masked: str) -> list[str]:
    problems = []
    for pattern in _INSTRUCTIONS:
        match = pattern.search(masked)
        if match:
            problems.append(f"reads like an instruction (\u201c{match.group(0).strip()}\u201d)")
            break
    if any(p.search(masked) for p in _LINKS):
        problems.append("has a link")
    if any(p.search(masked) for p in _MARKUP):
        problems.append("has markdown")
    if any(p.search(masked) for p in _CODE):
        problems.append("has code or JSON")
    return problems


def _capitalised_runs(masked: str) -> Iterable[tuple[list[str], bool]]:
    """Runs of capitalised words (small connecting words allowed inside), and whether each opens a sentence."""
    for line in masked.splitlines():
        line = _LIST_NUMBER.sub("", line)
        for sentence in _SENTENCE_BREAK.split(line):
            words = list(_WORD.finditer(sentence))
            run: list[str] = []
            initial = False
            pending: list[str] = []  # connectors waiting for the next capitalised word
            previous_end = 0
            for index, match in enumerate(words):
                word = match.group(0)
                gap = sentence[previous_end:match.start()]
                broken = bool(run) and not re.fullmatch(r"[\s'\u2019&-]*", gap)
                if broken:
                    yield run, initial
                    run, pending = [], []
                if word[:1].isupper():
                    if not run:
                        initial = index == 0 and not sentence[:match.start()].strip(" \"'\u201c\u2018(")
                    run += [*pending, word]
                    pending = []
                elif run and word.casefold() in _CONNECTORS and not pending:
                    pending = [word]
                elif run:
                    yield run, initial
                    run, pending = [], []
                previous_end = match.end()
            if run:
                yield run, initial


def _always_ok(word: str) -> bool:
    return word.casefold().replace("\u2019", "'") in _ALWAYS_OK


def _split_on(words: list[str], skip: Callable[[str], bool]) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for word in words:
        if skip(word):
            parts.append([])
        else:
            parts[-1].append(word)
    # Connectors left at an edge by a split belong to no name.
    return [_trim(p) for p in parts if _trim(p)]


def _trim(words: list[str]) -> list[str]:
    start, end = 0, len(words)
    while start < end and words[start].casefold() in _CONNECTORS:
        start += 1
    while end > start and words[end - 1].casefold() in _CONNECTORS:
        end -= 1
    return words[start:end]


def _find_span(text: str, words: str) -> str | None:
    parts = words.split()
    if not parts:
        return None
    pattern = r"(?<!\w)(?:(?:the|a|an)\W+)?" + r"[\W_]*".join(re.escape(p) for p in parts) + r"(?!\w)"
    match = re.search(pattern, text, re.IGNORECASE)
    return match.group(0) if match else None


def _looks_like_a_name(span: str) -> bool:
    """Capitalised as a title is ('Toy Story', 'the Lion King'), not ordinary words ('home alone')."""
    words = [w for w in _WORD.findall(span) if w.casefold() not in _CONNECTORS]
    return bool(words) and words[0][:1].isupper()


def verify(text: str, facts: ReplyFacts, titles: TitleIndex | None = None) -> list[str]:
    """The problems of a reply against a turn's facts (empty = fine); titles spots non-card catalogue titles."""
    return ReplyChecker.for_facts(facts, titles).problems(text)


def checked_sentences(sentences: Sequence[str], facts: ReplyFacts, *,
                      titles: TitleIndex | None = None) -> tuple[tuple[str, ...], list[str]]:
    """Each model sentence (a re-ranking reason per card) as it is when it passes, "" when it does not;
    and a note per dropped one ("card 2: the model's reason was dropped: names ...") for the fallbacks."""
    if not any(sentences):
        return tuple(sentences), []
    checker = ReplyChecker.for_facts(facts, titles)
    kept: list[str] = []
    notes: list[str] = []
    for number, sentence in enumerate(sentences, start=1):
        problems = checker.problems(sentence) if sentence else []
        if problems:
            notes.append(f"card {number}: the model's reason was dropped: {'; '.join(problems)}")
            kept.append("")
        else:
            kept.append(sentence)
    return tuple(kept), notes


def checked_about(about: str, said: str, *, titles: TitleIndex | None = None) -> tuple[str, list[str]]:
    """The model's "about" (what a request is about) when it holds only the user's names and numbers and no
    instructions; "" and the problems when it does not."""
    if not about.strip():
        return "", []
    problems = ReplyChecker.for_words(said, titles).problems(about)
    return ("", problems) if problems else (about, [])
