"""Understanding a request: the rules' exact reading, merged with a model's where the rules found nothing.

Years, counts, stars, card numbers, titles and list names are read by rules (request_rules.py,
references.py); a model is asked only for what they could not ground, and never overrides them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rapidfuzz import fuzz

from app.domain.conversation import Intent
from app.domain.items import Item
from app.services.references import mask_titles, read_references
from app.services.request_rules import is_small_talk, read_domain, read_genres, read_request
from app.services.titles import TitleIndex, normalise

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
    if is_small_talk(text):  # before titles: "Good Morning" is a film too
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
