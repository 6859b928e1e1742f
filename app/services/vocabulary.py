"""The catalogue's own vocabulary, matched by meaning: a request's words onto genres, categories, tags and sound.

Rules read what people say in fixed ways; moods and themes ("cowboys", "a good laugh", "something to
work out to") are said in endless ways. Each genre, shop category and tag the catalogue holds, and
each sound descriptor its tracks carry, gets a short text (its name, with the gloss from lexicon.py
when there is one); the words of a request are embedded with the same text model as the items and
matched against those texts. Only the catalogue's own names can come out, so a match is always
something the filters can apply.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from app.domain.items import Item
from app.services.lexicon import GENRES, SOUND
from app.services.titles import normalise

Embed = Callable[[Sequence[str]], NDArray[np.float32]]

# Cosine similarity between a request's phrase and a term's text (all-MiniLM-L6-v2) from which the
# phrase is taken to mean the term, and how close to the best match another term of the same kind
# must come to be accepted beside it ("scary": Horror and Thriller). Chosen on the tuning requests in
# tests/unit/services/test_vocabulary.py, never on the held-out conversations.
MATCH = 0.6
CLOSE = 0.06
EXACT = 0.9
OWN_WORDS = 0.7  # other words than the best match's are a second ask only when they mean a term this closely
OWN_WORDS_SHOP = 0.8  # (a shop's categories and tags)
# Phrases that mean nothing about what to recommend still meet some gloss at 0.45-0.68 ("tonight" ~
# "game night", "feel" ~ a drama); on their own they are not matched. Particles ("winding down") would
# otherwise meet a shop tag spelled the same ("down", of a sleeping bag) exactly, and the names of the
# sound scales ("energy", "tempo") are no level of them: "low energy" is matched as a phrase.
_VAGUE = frozenset("""
tonight today tomorrow weekend night evening morning something anything stuff thing things kind sort feel mood
vibe vibes type lot bit please want need looking nice good great cool fun a an the and or of for to in with gear
down up out off over back away through around along on energy tempo beat beats pace sound sounds sounding
""".split())  # noqa: SIM905 (a word list reads best as text)
_MAX_PHRASE_WORDS = 3
_SOUND_KINDS = ("pace", "energy", "brightness")


@dataclass(frozen=True)
class Term:
    """One name in the catalogue's vocabulary and the text that stands for it."""

    kind: str  # genre | category | tag | pace | energy | brightness
    value: str  # as the catalogue spells it ("Sci-Fi", "kitchen", "low")
    domain: str
    texts: tuple[str, ...]  # its name and each phrase of its gloss, matched one by one


@dataclass(frozen=True)
class Match:
    """A term a request's words mean, how closely, and the words that meant it."""

    term: Term
    score: float
    words: str


@dataclass(frozen=True)
class VocabularyReading:
    """What the words of a request mean in the catalogue's terms."""

    genres: tuple[str, ...] = ()  # any of these (genres, categories and tags: all live in Item.genres)
    pace: tuple[str, ...] = ()
    energy: tuple[str, ...] = ()
    brightness: tuple[str, ...] = ()
    domain: str | None = None  # the one domain the matched terms belong to, when they agree
    matches: tuple[Match, ...] = ()

    @property
    def aspects(self) -> tuple[tuple[str, ...], ...]:
        """The genre-like terms grouped by the words that meant them: "coffee grinder" asks for coffee and a grinder."""
        groups: list[tuple[set[str], list[str]]] = []
        for match in self.matches:
            if match.term.kind not in ("genre", "category", "tag"):
                continue
            words = set(match.words.split())
            group = next((g for g in groups if g[0] & words), None)
            if group is None:
                groups.append((words, [match.term.value]))
            else:
                group[0].update(words)
                group[1].append(match.term.value)
        return tuple(tuple(dict.fromkeys(values)) for _, values in groups)

    def __bool__(self) -> bool:
        return bool(self.genres or self.pace or self.energy or self.brightness)


def terms_of(items: Iterable[Item]) -> list[Term]:
    """Every genre, category and tag the catalogue uses, and the sound descriptors when it has tracks."""
    seen: dict[tuple[str, str, str], Term] = {}
    has_tracks = False
    for item in items:
        category = item.attributes.get("category", "") if item.domain == "product" else ""
        has_tracks = has_tracks or (item.domain == "music" and "energy" in item.attributes)
        for name in item.genres:
            key = normalise(name)
            if not key or key == "unknown":
                continue
            kind = "category" if item.domain == "product" and name == category else \
                "tag" if item.domain == "product" else "genre"
            texts = _texts(name, GENRES.get(key, ""))
            if kind == "category":  # "camping" is the "outdoor & camping" department as much as a camping tag
                texts += tuple(p for p in re.split(r"\s*(?:&|\band\b|,)\s*", name) if p and p != name)
            seen.setdefault((item.domain, kind, key), Term(kind, name, item.domain, texts))
    terms = list(seen.values())
    if has_tracks:
        terms += [Term(kind, value, "music", _texts("", text)) for (kind, value), text in SOUND.items()]
    return terms


def _texts(name: str, gloss: str) -> tuple[str, ...]:
    """The name as people say it, and each comma-separated phrase of its gloss (after the colon)."""
    spoken = name.replace("-", " ").replace("_", " ").strip()
    head, _, rest = gloss.partition(":")
    pieces = [p.strip() for p in (rest or head).split(",")] if gloss else []
    return tuple(dict.fromkeys(t for t in (spoken, *pieces) if t))


class Vocabulary:
    """The catalogue's terms with their vectors; reads which of them a request's words mean."""

    def __init__(self, terms: Sequence[Term], embed: Embed) -> None:
        self.terms = list(terms)
        self._embed = embed
        owners = [i for i, t in enumerate(self.terms) for _ in t.texts]
        self._owner = np.array(owners, dtype=np.int64)
        texts = [text for t in self.terms for text in t.texts]
        self._vectors = _unit(embed(texts)) if texts else np.zeros((0, 1), np.float32)

    def read(self, words: str, domain: str | None = None) -> VocabularyReading:
        """The terms the words mean (in domain when one is known), strongest first."""
        runs = phrases_of(words)
        joined = set(_joined_pairs(words)) - set(runs)
        phrases = [*runs, *sorted(joined)]
        allowed = [i for i, t in enumerate(self.terms) if domain is None or t.domain == domain]
        if not phrases or not allowed:
            return VocabularyReading()
        rows = np.flatnonzero(np.isin(self._owner, allowed))
        by_text = _unit(self._embed(phrases)) @ self._vectors[rows].T  # phrases x the allowed terms' texts
        sims = np.full((len(phrases), len(allowed)), -1.0, dtype=np.float32)
        column = {t: j for j, t in enumerate(allowed)}
        for k, row in enumerate(rows):  # a term's similarity is that of its closest text
            j = column[int(self._owner[row])]
            sims[:, j] = np.maximum(sims[:, j], by_text[:, k])
        best_phrase = sims.argmax(axis=0)
        scores = sims.max(axis=0)
        # A shop's tags are single words that meet many words closely: with no domain known, only a tag
        # said as it is spelled ("vinyl") counts.
        matches = [Match(self.terms[t], float(scores[j]), phrases[int(best_phrase[j])])
                   for j, t in enumerate(allowed)
                   if scores[j] >= (EXACT if (domain is None and self.terms[t].kind == "tag")
                                    or phrases[int(best_phrase[j])] in joined else MATCH)]
        matches.sort(key=lambda m: -m.score)
        # Two words that spell a term together ("kettle bell") mean that term, not each word on its own.
        spelled = {m.words for m in matches if m.words in joined and m.score >= EXACT}
        matches = [m for m in matches if m.words in joined or not any(
            m.words.replace(" ", "") in word for word in spelled)]
        # A word inside a longer phrase that means something in another catalogue belongs to that phrase:
        # "board game" is the shop's board games, not the music genre "Game".
        matches = [m for m in matches if not any(n.term.domain != m.term.domain and set(m.words.split()) <
                                                 set(n.words.split()) for n in matches)]
        if domain is None:
            matches = _one_domain(matches)
        kept = _ordered_levels(_close_to_best(matches))
        genres = tuple(m.term.value for m in kept if m.term.kind in ("genre", "category", "tag"))
        sound = {kind: tuple(m.term.value for m in kept if m.term.kind == kind) for kind in _SOUND_KINDS}
        domains = {m.term.domain for m in kept}
        return VocabularyReading(genres, sound["pace"], sound["energy"], sound["brightness"],
                                 domains.pop() if len(domains) == 1 else None, tuple(kept))


def _joined_pairs(words: str) -> list[str]:
    """Each two words run together: speech recognition writes "photo graphy" for photography. Such a phrase
    counts only when it spells a term (EXACT), since most pairs run together mean nothing."""
    tokens = re.findall(r"[\w'-]+", words.casefold())
    return [tokens[i] + tokens[i + 1] for i in range(len(tokens) - 1)]


def phrases_of(words: str) -> list[str]:
    """Every run of one to three words of the request, the units a meaning is matched on."""
    tokens = re.findall(r"[\w'-]+", words.casefold())
    found = [" ".join(tokens[i:i + n]) for n in range(1, _MAX_PHRASE_WORDS + 1) for i in range(len(tokens) - n + 1)]
    return list(dict.fromkeys(p for p in found if len(p) > 2 and not set(p.split()) <= _VAGUE))


def _one_domain(matches: list[Match]) -> list[Match]:
    """With no domain said, the terms of the domain most of the request's words mean something in: "sad, slow
    and gloomy" is two sound words and one film mood, so music."""
    if not matches:
        return matches
    words: dict[str, set[str]] = {}
    for match in matches:
        words.setdefault(match.term.domain, set()).update(match.words.split())
    top = {d: max(m.score for m in matches if m.term.domain == d) for d in words}
    terms = {d: sum(1 for m in matches if m.term.domain == d) for d in words}
    # On a tie, the closer meaning, then the word that meant more of a catalogue's terms ("scary": two genres).
    best = max(words, key=lambda d: (len(words[d]), round(top[d], 2), terms[d]))
    return [m for m in matches if m.term.domain == best]


def _ordered_levels(matches: list[Match]) -> list[Match]:
    """One end of a scale, never both: "a slow beat" may meet "fast" too, but means slow."""
    for kind in _SOUND_KINDS:
        levels = [m for m in matches if m.term.kind == kind]
        if {m.term.value for m in levels} in ({"slow", "fast"}, {"low", "high"}, {"dark", "bright"}):
            matches = [m for m in matches if m.term.kind != kind or m is levels[0]]
    return matches


def _close_to_best(matches: list[Match]) -> list[Match]:
    """Per kind of term, the best match and those within CLOSE of it ("scary": Horror, Thriller); and per
    other words a strong match of their own ("funny" and "for the kids": Comedy, and Children's)."""
    def kind(match: Match) -> str:
        return "genre" if match.term.kind in ("genre", "category", "tag") else match.term.kind

    best: dict[str, float] = {}
    for match in matches:
        best.setdefault(kind(match), match.score)
    kept = []
    for match in matches:
        words = set(match.words.split())
        own = max(n.score for n in matches if kind(n) == kind(match) and words & set(n.words.split()))
        # A shop's many close tags would turn every loose word into a second ask ("gear", "noisy": quiet).
        enough = OWN_WORDS if match.term.kind == "genre" else OWN_WORDS_SHOP
        if match.score >= best[kind(match)] - CLOSE or (match.score >= enough and match.score >= own - CLOSE):
            kept.append(match)
    return kept


def _unit(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)
