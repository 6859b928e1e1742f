"""Replies written from facts: what was understood and what the engine computed, never more.

A turn's facts (``ReplyFacts``) are what the engine knows for certain: the request as understood, the
cards with their breakdowns, the titles the user liked, the names it could not find and how many
fitted. ``template_reply`` writes a reply from those alone, the way a person would: a headline that
says what was understood, a sentence for what is missing, and one line per card with its most
telling reason, worded differently from the line before. The language model may write the prose
instead (``reply_writer``); whatever it writes is checked against the same facts (``reply_check``).

The search words the engine used ("coffee lover travels lot") are never shown: a request is quoted
in the user's own words ("a coffee lover who travels a lot"), or described without quoting.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from app.catalog.music_items import descriptors_of, pace
from app.domain.conversation import QUOTE_MAX_CHARS, Intent
from app.domain.recommendation import Recommendation
from app.domain.reply import CardLine, Reply
from app.prices import price_of, price_suffix
from app.services.explain import sound_reason
from app.services.reply_check import checked_sentences

GREETING = ("Hi! Tell me what you are in the mood for: a movie, some music or something to buy. "
            "Naming a few titles you love helps me most.")
NOTHING_FOUND = ("I found nothing that fits all of that. Try fewer limits, another decade, or tell me "
                 "a title you love.")
ASK_FOR_TASTE = "Tell me two or three titles you love and the next picks will be about you."

_NOUNS = {"movie": ("movie", "movies"), "music": ("track", "tracks"), "product": ("product", "products")}
_MIN_DRIVER_SIMILARITY = 0.25  # as app.services.explain: a weaker driver reads as nonsense
_MIN_SHARE = 0.05
_ENERGY = {"low": "calm", "medium": "steady", "high": "energetic"}
_RATERS = re.compile(r"rated by (\d+) people")
_WORD = re.compile(r"[\w'\u2019-]+")


@dataclass(frozen=True)
class Shortfall:
    """Fewer cards fitted than were asked for: how many did, how many were asked, and what was asked."""

    fit: int
    asked: int
    what: str = ""  # the constraint in words, e.g. "westerns from the 1980s"; "" = described from the intent


@dataclass(frozen=True)
class ReplyFacts:
    """What the engine computed for one turn: everything a reply may say, and nothing else."""

    intent: Intent
    cards: tuple[Recommendation, ...] = ()
    liked_titles: tuple[str, ...] = ()  # titles the user said they liked in this conversation
    unknown: tuple[str, ...] = ()  # names the user mentioned that the catalogue does not hold
    shortfall: Shortfall | None = None
    model_sentences: tuple[str, ...] = ()  # per card, the re-ranking model's checked sentence or ""
    remember_question: tuple[str, ...] = ()  # titles the assistant offers to remember as loved
    said: str = ""  # the user's own words this turn: the only request text a reply may quote
    more: bool = False  # the cards are the next ones for the same request ("next"): "5 more crime movies"

    def understood(self) -> str:
        """What was understood, as a phrase: '5 crime movies from the 1990s, close to Fargo and Heat'."""
        return _count_phrase(self) + _close_to(self)

    def card_notes(self, variant_seed: int = 0) -> list[str]:
        """Each card's most telling reason, worded so no two cards share a frame."""
        return [note for _kind, note in _choose_reasons(self, variant_seed)]

    def prompt_data(self, cards: int = 3) -> dict[str, Any]:
        """The facts a model needs to write the reply, as plain data (catalogue strings trimmed)."""
        data: dict[str, Any] = {}
        if self.said:
            data["asked"] = self.said[:200]
        data["found"] = self.understood() if self.cards else "nothing that fits"
        if self.shortfall is not None:
            data["only"] = f"{self.shortfall.fit} of {self.shortfall.asked} asked"
        if self.unknown:
            data["not_in_library"] = [u[:60] for u in self.unknown[:3]]
        notes = self.card_notes()
        entries = []
        for rec, note in zip(self.cards[:cards], notes, strict=False):
            entry: dict[str, Any] = {"title": rec.item.title[:80]}
            if rec.item.year and rec.item.domain != "music":
                entry["year"] = rec.item.year
            if rec.item.creators:
                entry["by"] = rec.item.creators[0][:60]
            entry["why"] = note[:100]
            entries.append(entry)
        data["cards"] = entries
        return data


# -- the pieces of a reply ------------------------------------------------------------------------------

def join_names(names: Sequence[str], word: str = "and") -> str:
    """'A', 'A and B', 'A, B and C'."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + f" {word} " + names[-1]


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


def money(value: float) -> str:
    """A price as a reply writes it: 100 -> '100', 49.5 -> '49.50'."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def _price_limit(intent: Intent) -> str:
    if intent.price_min is not None and intent.price_max is not None:
        return f" between {money(intent.price_min)} and {money(intent.price_max)}"
    if intent.price_max is not None:
        return f" under {money(intent.price_max)}"
    if intent.price_min is not None:
        return f" over {money(intent.price_min)}"
    return ""


def sound_words(intent: Intent) -> list[str]:
    """The sound asked for, in a listener's words: ['slow', 'calm', 'warm']."""
    words = [*intent.pace, *(_ENERGY.get(e, e) for e in intent.energy), *intent.brightness]
    return list(dict.fromkeys(w for w in words if w))


def _domain(facts: ReplyFacts) -> str | None:
    if facts.intent.domain in _NOUNS:
        return facts.intent.domain
    domains = {r.item.domain for r in facts.cards}
    return domains.pop() if len(domains) == 1 else None


def _noun(facts: ReplyFacts, count: int) -> str:
    singular, plural = _NOUNS.get(_domain(facts) or "", ("pick", "picks"))
    return singular if count == 1 else plural


def own_words(query: str, said: str) -> str:
    """The shortest run of the user's own words that holds the search words, in order; '' when none does.

    The search words are what is left once titles and filler are taken out ("coffee lover travels lot");
    shown to a person they read as broken English, so a reply quotes what the person said instead
    ("coffee lover who travels a lot"), or nothing.
    """
    wanted = [w for w in (_fold(w) for w in query.split()) if w]
    if not wanted or not said:
        return ""
    tokens = list(_WORD.finditer(said))
    words = [_fold(t.group(0)) for t in tokens]
    present = [w for w in wanted if w in words]
    if not present:
        return ""
    best: tuple[int, int] | None = None
    for start, word in enumerate(words):
        if word != present[0]:
            continue
        position, need = start, 0
        while position < len(words) and need < len(present):
            if words[position] == present[need]:
                need += 1
            position += 1
        if need == len(present) and (best is None or position - start < best[1] - best[0]):
            best = (start, position)
    if best is None or best[1] - best[0] > 2 * len(present) + 2 or best[1] - best[0] > 10:
        return ""
    quoted = said[tokens[best[0]].start():tokens[best[1] - 1].end()].strip(" '\u2019-")
    # A reply quotes a short excerpt, never a paragraph: ten words may be ten very long ones.
    return quoted if len(quoted) <= QUOTE_MAX_CHARS else ""


def _fold(word: str) -> str:
    return word.casefold().replace("\u2019", "").replace("'", "").strip("-")


def _count_phrase(facts: ReplyFacts, count: int | None = None) -> str:
    """'5 calm death metal tracks from the 1990s under 100 for “what they said”'."""
    n = len(facts.cards) if count is None else count
    intent = facts.intent
    words = [str(n), "more"] if facts.more else [str(n)]
    sound = sound_words(intent)
    if sound:
        words.append(", ".join(sound))
    if intent.genres:
        words.append(" ".join(g.casefold() for g in intent.genres[:2]))
    elif intent.genres_any:
        words.append(join_names([g.casefold() for g in intent.genres_any[:3]], "or"))
    words.append(_noun(facts, n))
    phrase = " ".join(words) + _years(intent) + _price_limit(intent)
    quoted = own_words(facts.intent.query, facts.said)
    if quoted:
        phrase += f" for \u201c{quoted}\u201d"
    return phrase


def _described(facts: ReplyFacts) -> str:
    """The request without a count: 'crime movies from the 1990s'."""
    return _count_phrase(facts, count=2).split(" ", 1)[1]


def close_to(facts: ReplyFacts) -> str:
    """The titles liked in this conversation that a headline says the cards are close to: 'Fargo and Heat'."""
    return join_names(facts.liked_titles[:3])


def _close_to(facts: ReplyFacts) -> str:
    return f", close to {close_to(facts)}" if facts.liked_titles else ""


def unknown_sentence(facts: ReplyFacts, variant_seed: int = 0) -> str:
    """'I don't have Ghostbusters in your library, so I left it out.' ('' when every name was found)."""
    if not facts.unknown:
        return ""
    names = join_names(facts.unknown[:3], "or")
    pronoun = "it" if len(facts.unknown[:3]) == 1 else "them"
    if variant_seed % 2 and len(facts.unknown[:3]) == 1:
        return f"{names} isn't in your library, so I left it out."
    return f"I don't have {names} in your library, so I left {pronoun} out."


def only_unknown(names: tuple[str, ...]) -> str:
    """The reply to a request that named only what the library lacks ("do you have Catan?")."""
    listed = join_names(names[:3], "or")
    return (f"I don't have {listed} in your library. Tell me what you like about "
            f"{'it' if len(names[:3]) == 1 else 'them'}, or name something similar I know, and I'll find you "
            "something close.")


def shortfall_sentence(facts: ReplyFacts) -> str:
    """'Only 2 westerns from the 1980s fit, so here they are.' ('' when as many fitted as were asked)."""
    short = facts.shortfall
    if short is None or short.fit >= short.asked:
        return ""
    what = short.what or _described(facts)
    if short.fit <= 0:
        return f"No {what} fit."
    if short.fit == 1:
        return f"Only one of the {what} fits everything you asked for, so here it is."
    return f"Only {short.fit} {what} fit, so here they are."


def opening(facts: ReplyFacts, variant_seed: int = 0) -> list[str]:
    """The sentences every reply starts with, whoever writes the rest: what is missing, what fell short."""
    return [s for s in (unknown_sentence(facts, variant_seed), shortfall_sentence(facts)) if s]


def headline(facts: ReplyFacts, variant_seed: int = 0) -> str:
    """'Here are 5 movies from the 1990s, close to Fargo and Pulp Fiction:' in one of a few wordings."""
    n = len(facts.cards)
    what = _count_phrase(facts)
    close = _close_to(facts)
    if n == 1:
        what = "one " + what.split(" ", 1)[1]
        frames = ("Here is {what}{close}:", "I found {what}{close}:", "Try this {rest}{close}:")
    else:
        frames = ("Here are {what}{close}:", "I found {what}{close}:", "Try these {what}{close}:")
    frame = frames[variant_seed % len(frames)]
    return frame.format(what=what, close=close, rest=what.split(" ", 1)[1])


def remember_sentence(facts: ReplyFacts, variant_seed: int = 0) -> str:
    """'Shall I remember that you loved Fargo?' ('' when there is nothing to offer)."""
    if not facts.remember_question:
        return ""
    names = join_names(facts.remember_question[:3])
    frames = ("Shall I remember that you loved {names}?", "Want me to remember that you loved {names}?",
              "Should I remember that you loved {names}?")
    return frames[variant_seed % len(frames)].format(names=names)


# -- one reason per card, each worded differently --------------------------------------------------------

@dataclass(frozen=True)
class _Option:
    kind: str
    key: str  # the fact it rests on: a card naming the same driver as the last one reads as a repeat
    variants: tuple[str, ...]
    own_facts: bool = False  # each card's own facts (a track's tempo): the kind may follow itself


def _stars(value: float) -> str:
    return f"{value:g}\u2605"


def _options(facts: ReplyFacts, index: int, rec: Recommendation, cheapest: str | None) -> list[_Option]:
    """Every reason this card could give, most telling first."""
    options: list[_Option] = []
    sentence = facts.model_sentences[index] if index < len(facts.model_sentences) else ""
    if sentence:
        options.append(_Option("model", f"model:{index}", (sentence.strip().rstrip("."),)))
    breakdown = rec.breakdown
    total = max(breakdown.total, 1e-9)
    parts = [p for p in sorted(breakdown.parts, key=lambda p: -p.contribution)
             if p.contribution >= _MIN_SHARE * total]
    quoted = own_words(facts.intent.query, facts.said)
    liked = facts.liked_titles[0] if facts.liked_titles else ""
    for part in parts:
        if part.name == "collaborative":
            drivers = [d for d in breakdown.drivers if d.similarity >= _MIN_DRIVER_SIMILARITY]
            for driver in drivers[:2]:
                t, s = driver.title, _stars(driver.stars)
                options.append(_Option("driver", f"driver:{driver.item_id}", (
                    f"because you rated {t} {s}", f"close to {t}, which you rated {s}",
                    f"you gave {t} {s}, and this one is close")))
            options.append(_Option("collab", "collab", (
                "people with tastes like yours rated it highly", "a favourite of people who like what you like",
                "people who rate like you loved it")))
        elif part.name == "content":
            anchor = liked or next((d.title for d in breakdown.drivers), "")
            options.append(_Option("content", f"content:{anchor}", (
                f"close in genre and subject to {anchor}", f"in the same vein as {anchor}",
                f"much like {anchor} in genre and subject") if anchor else (
                "close in genre and subject to what you liked", "in the same vein as what you liked",
                "shares genre and subject with your favourites")))
        elif part.name == "query":
            options.append(_Option("query", "query", (
                f"fits \u201c{quoted}\u201d", f"a strong match for \u201c{quoted}\u201d",
                "close to what you described") if quoted else (
                "a close match for what you asked", "fits what you described", "right on what you asked for")))
        elif part.name == "audio":
            if breakdown.sound is not None:
                options.append(_Option("sound", f"sound:{breakdown.sound.item_id}", (sound_reason(breakdown.sound),)))
            else:
                options.append(_Option("sound", "sound", ("sounds like what you liked",
                                                          "a sound close to your favourites")))
        elif part.name == "popularity":
            raters = next((m.group(1) for r in rec.reasons if (m := _RATERS.search(r))), "")
            options.append(_Option("popular", "popular", (
                (f"popular: rated by {raters} people",) if raters else ()) + (
                "popular overall", "a crowd favourite", "widely liked")))
    if rec.predicted_stars is not None:
        p = f"{rec.predicted_stars:.1f}\u2605"
        options.append(_Option("stars", "stars", (
            f"I'd guess you'll give it {p}", f"likely a {p} for you", f"predicted {p} for you")))
    price = price_of(rec.item.attributes)
    if price is not None:
        variants: tuple[str, ...] = ()
        if facts.intent.price_max is not None and price <= facts.intent.price_max:
            limit = money(facts.intent.price_max)
            variants = (f"within your {limit} budget", f"under your {limit} limit")
        if cheapest == rec.item.id:
            variants = ("the cheapest of these", "the lowest price here", *variants)
        if variants:
            options.append(_Option("price", "price", variants))
    sound = descriptors_of(rec.item) if rec.item.domain == "music" else None
    if sound is not None:
        energy, bpm = _ENERGY.get(sound.energy, sound.energy), f"{sound.tempo_bpm:.0f} BPM"
        speed = pace(sound.tempo_bpm)
        # Asked for a sound ("slow, calm"), how each track sounds is its most telling reason.
        asked = bool(facts.intent.pace or facts.intent.energy or facts.intent.brightness)
        timbre = _Option("timbre", f"timbre:{rec.item.id}", (
            f"{speed} and {energy}, {bpm}", f"a {sound.brightness}, {speed} track at {bpm}",
            f"{energy}, with a {sound.brightness} sound"), own_facts=asked)
        if asked:
            options.insert(1 if sentence else 0, timbre)
        else:
            options.append(timbre)
    genre = rec.item.genres[0].casefold() if rec.item.genres else ""
    year = str(rec.item.year) if rec.item.year and rec.item.domain != "music" else ""
    kind = {"movie": "film", "music": "track", "product": "find"}.get(rec.item.domain, "pick")
    described = tuple(v for v in (
        f"a {genre} {kind} from {year}" if year and genre else "", f"a {year} {genre} pick" if year and genre else "",
        f"another {genre} choice" if genre else "") if v)
    options.append(_Option("describe", "describe", described))
    options.append(_Option("filler", "filler", ("one more to consider", "worth a look too", "another good fit",
                                                "also in the running", "a wild card worth a try")))
    return [o for o in options if o.variants]


def _choose_reasons(facts: ReplyFacts, variant_seed: int) -> list[tuple[str, str]]:
    """(kind, reason) per card: the most telling reason whose kind differs from the last card's, whose fact
    was not already given, and whose wording no earlier line used."""
    # A model's sentence is used only when it passes the check (the caller may have checked it already
    # against the catalogue's titles; this check is without them, and cheap).
    kept, _notes = checked_sentences(facts.model_sentences, facts)
    if kept != facts.model_sentences:
        facts = replace(facts, model_sentences=kept)
    priced = [(p, r.item.id) for r in facts.cards if (p := price_of(r.item.attributes)) is not None]
    cheapest = min(priced)[1] if len(priced) >= 2 else None
    used_frames: set[tuple[str, int]] = set()
    used_keys: set[str] = set()
    used_kinds: dict[str, int] = {}
    previous = ""
    chosen: list[tuple[str, str]] = []
    for index, rec in enumerate(facts.cards):
        best: tuple[float, _Option, int] | None = None
        for rank, option in enumerate(_options(facts, index, rec, cheapest)):
            free = [i for i in range(len(option.variants)) if (option.kind, i) not in used_frames]
            if not free:
                continue
            score = rank + (2 if option.key in used_keys else 0)
            if not option.own_facts:
                score += (3 if option.kind == previous else 0) + used_kinds.get(option.kind, 0)
            if best is None or score < best[0]:
                best = (score, option, free[(variant_seed + index) % len(free)])
        if best is None:  # only past the filler's five wordings, each used once already
            chosen.append(("none", ""))
            continue
        _score, option, variant = best
        used_frames.add((option.kind, variant))
        used_keys.add(option.key)
        used_kinds[option.kind] = used_kinds.get(option.kind, 0) + 1
        previous = option.kind
        chosen.append((option.kind, option.variants[variant]))
    return chosen


def _card_line(number: int, rec: Recommendation, note: str) -> str:
    year = f" ({rec.item.year})" if rec.item.year and rec.item.domain != "music" else ""
    # The price is part of the card's line, so every front end (the chat, the CLI, the shell) shows it as written.
    return f"{number}. {rec.item.title}{year}{price_suffix(rec.item.attributes)}" + (f": {note}" if note else "")


def card_lines(facts: ReplyFacts, variant_seed: int = 0) -> list[str]:
    """One line per card: '2. Heat (1995): because you rated Fargo 5★', no two lines in the same frame."""
    return [line.text for line in reply_cards(facts, variant_seed)]


def reply_cards(facts: ReplyFacts, variant_seed: int = 0) -> tuple[CardLine, ...]:
    """Each card's line (as card_lines), with its item id and the model's sentence about it ("" when none)."""
    notes = facts.card_notes(variant_seed)
    sentences = facts.model_sentences
    return tuple(CardLine(rec.item.id, _card_line(n, rec, note), sentences[n - 1] if n <= len(sentences) else "")
                 for n, (rec, note) in enumerate(zip(facts.cards, notes, strict=True), start=1))


def template_answer(facts: ReplyFacts, variant_seed: int = 0) -> Reply:
    """A short reply written from the facts alone: what was understood, what is missing, a line per card.

    variant_seed picks among wordings (the turn number will do), so turns do not all read alike.
    """
    first = tuple(opening(facts, variant_seed))
    question = remember_sentence(facts, variant_seed)
    follow_up = (question,) if question else ()
    if not facts.cards:
        if facts.shortfall is None or not first or first[-1] != shortfall_sentence(facts):
            return Reply(first, (NOTHING_FOUND,), follow_up=follow_up)
        return Reply(first, ("Try fewer limits, another decade, or tell me a title you love.",), follow_up=follow_up)
    # A shortfall sentence ("Only 2 westerns fit, so here they are.") says what was found: no headline after it.
    if facts.shortfall is not None and shortfall_sentence(facts):
        return Reply(first, (), reply_cards(facts, variant_seed), follow_up)
    return Reply(first, (headline(facts, variant_seed),), reply_cards(facts, variant_seed), follow_up,
                 close_to=close_to(facts))


def template_reply(facts: ReplyFacts, variant_seed: int = 0) -> str:
    """template_answer's reply as the text a chat shows."""
    return template_answer(facts, variant_seed).text


def explanation_reply(rec: Recommendation, said: str = "") -> str:
    """Why an item fits, from its breakdown's reasons; says so plainly when little stands out.

    A reason quoting the search words ("matches “travels lot”") is reworded: in the user's words when
    said holds them, else "matches what you asked for".
    """
    reasons = [_plain_query_reason(r, said) for r in rec.reasons]
    if not reasons:
        return f"{rec.item.title}: nothing in particular stands out for you; it scored {rec.score:.2f}."
    return f"{rec.item.title}: " + "; ".join(reasons) + "."


def _plain_query_reason(reason: str, said: str) -> str:
    match = re.fullmatch(r"matches \u201c(.*)\u201d", reason)
    if match is None:
        return reason
    quoted = own_words(match.group(1), said)
    return f"matches \u201c{quoted}\u201d" if quoted else "matches what you asked for"


def nothing_more(facts: ReplyFacts) -> str:
    """The reply when "next" finds nothing not shown yet: 'That's all: no more crime movies fit what you asked.'"""
    return f"That's all: no {_described(replace(facts, more=True))} fit what you asked."


# How a reason starts, and what a spoken sentence of it starts with.
_SPOKEN_OPENINGS = (("because", "It's here "), ("matches", "It "), ("sounds", "It "), ("close", "It's "),
                    ("popular", "It's "), ("similar tempo", "It has a "), ("the same key", "It has "),
                    ("a close overall sound", "It has "))


def spoken_reasons(rec: Recommendation, said: str = "") -> str:
    """Why a card is there as sentences to say aloud: the same reasons its explanation shows, stars in words.

    'Heat. It's here because you rated Fargo 5 stars. We think you would give it 4.2 stars.'
    """
    reasons = [_plain_query_reason(r, said) for r in rec.reasons]
    if not reasons:
        return f"{rec.item.title}: nothing in particular stands out for you."
    return " ".join([f"{rec.item.title}.", *(_spoken(reason) for reason in reasons)])


def _spoken(reason: str) -> str:
    """One reason as a sentence a voice reads well: '5★' is '5 stars', '124 vs 128 BPM' '124 and 128 BPM'."""
    text = re.sub(r"(\d+(?:\.\d+)?)\u2605", lambda m: f"{m.group(1)} star" + ("" if m.group(1) == "1" else "s"),
                  reason).replace(" vs ", " and ")
    opening = next((lead for start, lead in _SPOKEN_OPENINGS if text.startswith(start)), "")
    if not opening and re.match(r"[a-z]+(?:, [a-z]+)? sound\b", text):
        opening = "It has a "  # a sound reason: "bright, energetic sound, like X you rated 5 stars"
    text = opening + text if opening else text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def rating_reply(title: str, stars: float) -> str:
    """'Noted: Fargo, 5★.'"""
    return f"Noted: {title}, {stars:g}\u2605."


def variant_seed_of(*parts: object) -> int:
    """A variant seed from things that differ turn to turn (a session id and a turn number), stable across runs."""
    return zlib.crc32(" ".join(map(str, parts)).encode("utf-8"))
