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
from app.services.lexicon import GENRES
from app.services.references import References, mask_titles, read_references
from app.services.refine import LEVELS, with_sound
from app.services.request_rules import (
    RuleReading,
    genres_named,
    heard_numbers,
    is_small_talk,
    joined_by_or,
    read_domain,
    read_price,
    read_request,
    read_tempo,
)
from app.services.titles import TitleIndex, normalise
from app.services.unknown_titles import unknown_titles
from app.services.vocabulary import EXACT, Vocabulary, VocabularyReading

_SAID = 85  # partial_ratio of a model's reference against the request: a typo passes, an invention does not
_NOT_THAT = re.compile(r"\b(not (that|this|those|these)( one)?|no(pe)?,? (not )?th(at|is)|something else|"
                       r"another one)\b", re.I)
_ALL_OF_THEM = r"none of (those|these|them)|skip (those|these|them)"  # every card, even with one named beside
_OTHERS = re.compile(r"\b(something else|anything else|other ones|others|different ones?|new ones|more options|"
                     r"other (options|ideas|suggestions|picks)|show me more|next ones?|another (few|batch|set)|"
                     rf"{_ALL_OF_THEM}|something different|"
                     r"(\d+|two|three|four|five|a few|some|a couple( of)?) more(?! than)|"
                     r"more like (that|this|these|those|them)|"
                     r"(seen|watched|heard|had|got) (all |both )?(of )?"
                     r"(those|these|them|that one|the \w+ ones))\b", re.I)
_NONE_OF = re.compile(rf"\b({_ALL_OF_THEM})\b", re.I)
_MORE_LIKE = re.compile(r"\bmore like\b|\blike the\b|\bsimilar to the\b", re.I)


@dataclass(frozen=True)
class Understanding:
    """A request understood: the intent, and the item ids it likes, rejects and is about."""

    intent: Intent
    liked: tuple[str, ...]
    disliked: tuple[str, ...]
    target: str  # an item id, or ''


@dataclass(frozen=True)
class RulesReading:
    """A request as the rules read it, once a turn: what it says before any card or model is weighed.

    Everything here depends on the words and on how many cards are on screen, not on which: a turn reads
    its request once, decides from this reading whether a model could add anything (model_could_add), and
    settles it against its cards and the model's reading, if any (settle).
    """

    said: RuleReading  # the rules' reading of the words as said (titles not masked): how sure the action is
    cards: int  # how many cards were on screen
    text: str  # the words as read: injected "key=value" pairs dropped, misheard numbers mended
    masked: str  # text with each title named replaced by TITLE
    references: References  # the titles named, liked or not, and the words left for the query
    rules: RuleReading  # the rules' reading of the masked text
    intent: Intent  # the rules' intent with the query, titles, genres, prices, tempo and years read
    liked: tuple[str, ...] = ()  # item ids named as liked
    disliked: tuple[str, ...] = ()  # item ids named as disliked, with their series ("nothing from the Scream films")
    small_talk: bool = False  # "good morning": nothing more was read

    @property
    def sure_of_action(self) -> bool:
        """Whether the wording as said left no doubt about the action (a "why", a star count, a greeting)."""
        return self.said.sure_of_action


def needs_model(text: str, cards: int, titles: TitleIndex, vocabulary: Vocabulary | None = None) -> bool:
    """Whether a model's reading could add anything to a request read with this many cards on screen."""
    return model_could_add(read_rules(text, cards, titles, vocabulary=vocabulary), titles, vocabulary)


def model_could_add(reading: RulesReading, titles: TitleIndex, vocabulary: Vocabulary | None = None) -> bool:
    """Whether a model's reading could add anything: only when the rules could not ground the request.

    Measured on the labelled requests (bench/bench_intents.py): merging SmolLM2's reading into every
    request the rules were unsure of cut accuracy from 100% to 90% (it re-labelled actions and
    domains the rules had right) and cost 2.7 s a request. So the model is asked only when the rules
    found no title, genre, domain or year to go by, and then only fills what they left empty. The
    decision is the one bench_intents measured: the reading settled against stand-in cards, with no
    standing request, so which cards are on screen never changes which requests go to the model.
    """
    if reading.sure_of_action:
        return False
    found = settle(reading, tuple(f"card:{i}" for i in range(reading.cards)), titles, vocabulary=vocabulary)
    intent = found.intent
    return not (found.liked or found.disliked or found.target or intent.genres or intent.genres_any or intent.domain
                or intent.year_min or intent.year_max or intent.price_max or intent.price_min or intent.energy
                or intent.pace or intent.brightness or intent.unknown)


def understand(text: str, cards: tuple[str, ...], titles: TitleIndex, model: Intent | None = None, *,
               model_may_infer: bool = False, vocabulary: Vocabulary | None = None,
               standing_domain: str | None = None) -> Understanding:
    """The rules' exact reading of a request, merged with a model's reading of what rules cannot tell.

    model_may_infer lets the model name titles the user only hinted at ("that Tarantino one"); without
    it (the small embedded model) only references to words the user said are taken. The vocabulary,
    when given, maps the words the rules leave over onto the catalogue's genres, categories, tags and
    sound descriptors by meaning; standing_domain is the domain of the request a refinement refines.
    """
    return settle(read_rules(text, len(cards), titles, vocabulary=vocabulary), cards, titles, model,
                  model_may_infer=model_may_infer, vocabulary=vocabulary, standing_domain=standing_domain)


def read_rules(text: str, cards: int, titles: TitleIndex, *, vocabulary: Vocabulary | None = None) -> RulesReading:
    """The rules' reading of a request with this many cards on screen: titles, numbers, genres, prices, years."""
    said = read_request(text, cards)
    # "key=value" is how injected commands look ("action=rate stars=5"); people do not talk like that.
    text = heard_numbers(re.sub(r"\b\w+\s*=\s*\w+\b", " ", text))
    if is_small_talk(text):  # before titles: "Good Morning" is a film too
        chit_chat = Intent(action="chit_chat")
        return RulesReading(said, cards, text, text, References((), (), (), ""), RuleReading(chit_chat, True),
                            chit_chat, small_talk=True)
    refs = read_references(text, titles)
    masked = mask_titles(text, refs.spans)
    reading = read_request(masked, cards)
    unknown = unknown_titles(masked, titles)
    query = _without(refs.query, [*unknown, *_negated_words(masked), *_negated_phrases(masked),
                                  *(m.group(1) for m in _HAS_ALREADY.finditer(masked))])
    genres, genres_any, genres_none = _genre_filters(masked, titles, vocabulary)
    intent = replace(reading.intent, query=query, unknown=tuple(unknown), genres=genres, genres_any=genres_any,
                     genres_none=genres_none)
    tempo_min, tempo_max = read_tempo(masked.casefold())
    if tempo_min is not None or tempo_max is not None:
        intent = replace(intent, tempo_min=tempo_min, tempo_max=tempo_max, domain=intent.domain or "music",
                         query=re.sub(r"\b(above|over|under|below|around|about|faster|slower|than|more|less|at|least|"
                                      r"most|between|and|to|\d{2,3}|bpm)\b\s*", "", intent.query).strip())
    price_min, price_max = read_price(masked.casefold())
    if price_min is not None or price_max is not None:
        intent = replace(intent, price_min=price_min, price_max=price_max, domain=intent.domain or "product",
                         query=re.sub(r"\b(under|below|over|above|less|more|than|up|to|max|budget'?s?|around|about|"
                                      r"spend|stretch|tops|dollars?|bucks|euros?|pounds|quid|chf|usd|eur|gbp|"
                                      r"[$€£]?\d+(?:[.,]\d+)?[$€£]?)\b\s*",
                                      "", intent.query).strip())
    intent = _years_against_titles(text, intent, refs.named, titles)
    disliked = list(refs.disliked)
    for item_id in refs.disliked:
        item = titles.item(item_id)
        if item is not None and re.search(rf"{re.escape(item.title)}\W+(films|movies|series|franchise|sequels|ones)\b",
                                          text, re.I):
            disliked += titles.series_of(item_id)  # "nothing from the Scream films": its sequels too
    return RulesReading(said, cards, text, masked, refs, reading, intent, refs.liked, tuple(disliked))


def settle(reading: RulesReading, cards: tuple[str, ...], titles: TitleIndex, model: Intent | None = None, *,
           model_may_infer: bool = False, vocabulary: Vocabulary | None = None,
           standing_domain: str | None = None) -> Understanding:
    """A request's reading settled against the cards on screen and a model's reading (see understand)."""
    if len(cards) != reading.cards:
        raise ValueError(f"the request was read with {reading.cards} cards on screen, not {len(cards)}")
    if reading.small_talk:
        return Understanding(Intent(action="chit_chat"), (), (), "")
    text, masked, refs, rules = reading.text, reading.masked, reading.references, reading.rules
    intent = reading.intent
    liked, disliked = list(reading.liked), list(reading.disliked)
    if model is not None and not rules.sure_of_action:
        intent = _merge(intent, model, cards=len(cards))
        if not liked and not disliked:
            keep = (lambda refs: list(refs)) if model_may_infer else (lambda refs: _said(refs, text))
            liked += [i.id for i in map(titles.find, keep(model.liked)) if i is not None]
            disliked += [i.id for i in map(titles.find, keep(model.disliked)) if i is not None]
    target = _target(intent, refs.named, cards, titles)
    if not target and cards and intent.action in ("explain", "rate", "add_to_list") and not _POINTED.search(text):
        # "I bought the webcam, 5 stars" (a list's own name is no card: "add Fargo to my christmas list")
        rest = re.sub(re.escape(intent.list_name), " ", text, flags=re.I) if intent.list_name else text
        target = _card_called(rest, cards, titles)
    if intent.action == "refine" and _OTHERS.search(text) and cards and (not rules.intent.target or
                                                                       _NONE_OF.search(text)):
        disliked.extend(cards)  # "something else", "different ones": none of those shown again
    elif intent.action == "refine" and _NOT_THAT.search(text) and cards:
        disliked.append(target or cards[0])
    elif intent.action == "refine" and _MORE_LIKE.search(text) and target:
        liked.append(target)
    if intent.action == "refine" and cards:
        disliked.extend(_cards_turned_down(text, cards, titles))
        disliked.extend(_cards_seen(text, liked, cards, titles))
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
        # A refinement stays in its request's domain; titles named say theirs; then what the words mean
        # ("calm" is about tracks, "cowboys" about films) says more than which catalogue happens to use
        # a word in its titles, which is the fallback.
        # Genres named, even to rule them out ("no war, no horror"), say their catalogue before any mood word.
        domains = {item.domain for item in named}
        # A shop department named outright ("oh and a board game for after dinner") is the shop's, even in a
        # refinement of a music request.
        meant = (_shop_department_said(masked, vocabulary, outright=True) or standing_domain) \
            if intent.action == "refine" and standing_domain else \
            domains.pop() if len(domains) == 1 else _shop_department_said(masked, vocabulary) or \
            _domain_of_genres(intent, titles) or \
            (vocabulary.read(_free_words(intent), None).domain if vocabulary is not None else None)
        intent = replace(intent, domain=meant)
    elif intent.domain is not None and intent.action in ("recommend", "refine"):
        # "A documentary about bands": a genre only films have outweighs a word that is only the topic.
        # The words that describe a genre named ("musical": songs) are not a second domain either.
        by_genre = _domain_of_genres(intent, titles)
        if by_genre not in (None, intent.domain) and \
                read_domain(_without_glosses(masked, intent).casefold(), topics=False) is None:
            intent = replace(intent, domain=by_genre)
    if intent.domain is None and intent.action not in ("chit_chat", "add_to_list", "export"):
        # Shop words ("waterproof") point at products only in a new request; a refinement keeps its domain.
        intent = replace(intent, domain=_implied_domain(intent, named, titles, words=intent.action == "recommend"))
    intent = _genres_of_domain(intent, titles)
    if vocabulary is not None and intent.action in ("recommend", "refine"):
        intent = _with_vocabulary(intent, vocabulary, titles, _negated_phrases(masked),
                                  either=bool(re.search(r"\b(or|either)\b", masked, re.I)),
                                  before_for=_before_for(masked))
    played = [a for a in refs.artists if not re.search(
        rf"\b(like|similar to|sounds? like|reminds? me of|style of|fans? of|along the lines of)\s+(\w+\s+){{0,2}}?"
        rf"{re.escape(a)}", text, re.I)]
    if played and intent.action in ("recommend", "refine"):
        # "Play me some Muldjord" asks for Muldjord's tracks; "something like Muldjord" for others like them.
        theirs = {t for a in played for t in titles.tracks_by(a)}
        liked = [i for i in liked if i not in theirs]
        intent = replace(intent, creators=tuple(played), domain="music")
    title_of = {item.id: item.title for item in named}
    by_artist = {t for a in refs.artists for t in titles.tracks_by(a)}
    shown_liked = [*refs.artists, *(title_of[i] for i in liked if i in title_of and i not in by_artist)]
    intent = replace(intent, liked=tuple(shown_liked),
                     disliked=tuple(title_of[i] for i in disliked if i in title_of))
    return Understanding(intent, tuple(liked), tuple(disliked), target)


_THAN = re.compile(r"\b(newer|more recent|later|after|older|earlier|before)\s+than\s+(.{2,80})", re.I)


def _years_against_titles(text: str, intent: Intent, named: tuple[str, ...], titles: TitleIndex) -> Intent:
    """Years said against a title: "more recent than Fargo" is after Fargo's year, "older than Alien" before."""
    if intent.year_min is not None or intent.year_max is not None:
        return intent
    for match in _THAN.finditer(text):
        after = normalise(match.group(2))
        for item_id in named:
            item = titles.item(item_id)
            if item is None or not item.year or not after.startswith(normalise(item.title)):
                continue
            if match.group(1).casefold() in ("newer", "more recent", "later", "after"):
                return replace(intent, year_min=item.year + 1)
            return replace(intent, year_max=item.year - 1)
    return intent


def _genre_filters(masked: str, titles: TitleIndex,
                   vocabulary: Vocabulary | None) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(all of, any of, none of) the genres named: "crime dramas" wants both, "a western or a war film"
    either, "not a cartoon" rules one out. A genre word inside a longer shop name is that name's:
    "a board game" names the shop's board games, not the music genre Game."""
    named, ruled_out = genres_named(masked, titles.genres)
    if vocabulary is not None:
        said = _stems(normalise(masked))
        longer = [_stems(normalise(t.value)) for t in vocabulary.terms if t.kind in ("category", "tag")
                  and len(t.value.split()) > 1]
        named = tuple(g for g in named if not any(
            _stems(normalise(g)) in name and name != _stems(normalise(g)) and name in said for name in longer))
    if len(named) > 1 and joined_by_or(masked, titles.genres):
        return (), named, ruled_out
    return named, (), ruled_out


def _shop_department_said(text: str, vocabulary: Vocabulary | None, *, outright: bool = False) -> str | None:
    """'product' when a shop department is named as it is spelled ("books for a mystery reader"); outright, only
    a name of several words ("a board game") or one said with a shop word ("buy some books"), since "any
    based on books?" about films names no department."""
    if vocabulary is None:
        return None
    said = f" {_stems(normalise(text))} "
    departments = {_stems(normalise(t.value)) for t in vocabulary.terms if t.kind == "category"}
    named = [d for d in departments if d and f" {d} " in said]
    if outright:
        shop_word = re.search(r"\b(buy|buying|gift|gifts|present|presents|shop|shopping|get him|get her|order)\b",
                              text, re.I)
        named = [d for d in named if len(d.split()) > 1 or shop_word]
    return "product" if named else None


def _domain_of_genres(intent: Intent, titles: TitleIndex) -> str | None:
    """The one catalogue (movies or music) all the genres named belong to, wanted or ruled out."""
    votes: set[str] = set()
    for genre in (*intent.genres, *intent.genres_any, *intent.genres_none):
        found = titles.genre_domains.get(normalise(genre), set())
        if len(found) == 1:
            votes |= found
    return votes.pop() if len(votes) == 1 else None


def _without_glosses(text: str, intent: Intent) -> str:
    """The text without the words the glossary uses for the genres named (a musical's "songs")."""
    words = {w for g in (*intent.genres, *intent.genres_any, *intent.genres_none)
             for w in re.findall(r"[a-z]+", GENRES.get(normalise(g), "").casefold()) if len(w) > 3}
    return re.sub(r"[A-Za-z']+", lambda m: " " if m.group(0).casefold().rstrip("s") in words
                  or m.group(0).casefold() in words else m.group(0), text)


def _genres_of_domain(intent: Intent, titles: TitleIndex) -> Intent:
    """Without the genres the request's catalogue does not have: "romantic-era classical" music is not Romance."""
    if intent.domain not in ("movie", "music"):
        return intent

    def kept(genres: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(g for g in genres if intent.domain in titles.genre_domains.get(normalise(g), {intent.domain}))

    return replace(intent, genres=kept(intent.genres), genres_any=kept(intent.genres_any),
                   genres_none=kept(intent.genres_none))


def _stems(words: str) -> str:
    """Words without a plural s, to compare 'board game' with 'board games'."""
    return " ".join(w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words.split())


def _before_for(masked: str) -> str:
    """The words before the first "for": the thing asked for in "a book for someone who's into hiking"."""
    match = re.search(r"\bfor\b", masked, re.I)
    return normalise(masked[:match.start()]) if match else ""


def _with_vocabulary(intent: Intent, vocabulary: Vocabulary, titles: TitleIndex, negated: list[str], *,
                     either: bool = False, before_for: str = "") -> Intent:
    """The intent with the meaning of its free words: a mood's genres, a shop's category, a track's sound."""
    intent = _ruled_out_genres(intent, vocabulary, negated)
    named = {normalise(g) for g in (*intent.genres, *intent.genres_any, *intent.genres_none)}
    found = vocabulary.read(_free_words(intent), intent.domain)
    intent = _ruled_out_sound(intent, vocabulary, negated)
    if not found:
        return intent
    genres_any = intent.genres_any or tuple(dict.fromkeys(g for g in found.genres if normalise(g) not in named))
    aspects = found.aspects if intent.domain == "product" and len(found.aspects) > 1 else ()
    groups = [g for g in found.aspects if not {normalise(v) for v in g} & named]
    if intent.domain in ("movie", "music") and not intent.genres_any and groups and \
            len(groups) > 1 and not either:
        # Different words each asking for a genre ask for all of them: "explosions and a love story",
        # "a funny one for the kids", "about the war, with action"; one word's several genres ("scary":
        # Horror or Thriller) stay either-or.
        single = [g[0] for g in groups if len(g) == 1]
        if len(single) == len(groups):
            return replace(_with_sound(intent, found), genres=tuple(dict.fromkeys((*intent.genres, *single))))
        aspects = tuple(groups) + tuple((g,) for g in intent.genres)
    categories: tuple[str, ...] = ()
    shop = [m for m in found.matches if m.term.kind == "category"]
    if (intent.domain or found.domain) == "product" and shop and not intent.genres_any:
        # A shop department named ("kitchen gadgets") is where to look; the tags matched beside it only
        # say which of its items to prefer ("a coffee grinder": coffee items that are grinders).
        categories = tuple(dict.fromkeys(m.term.value for m in shop))
        named_first = [m.term.value for m in shop if set(m.words.split()) <= set(before_for.split())]
        if len(categories) > 1 and len(set(named_first)) == 1:
            categories = (named_first[0],)  # "a book for a hiker": books; hiking only says which ones
        departments = {normalise(c) for c in categories}
        tags = [group for group in found.aspects if not {normalise(v) for v in group} & departments]
        genres_any, aspects = (), ((categories, *tags) if tags else ())
    return replace(_with_sound(intent, found), domain=intent.domain or found.domain, genres_any=genres_any,
                   aspects=aspects, categories=categories)


def _with_sound(intent: Intent, found: VocabularyReading) -> Intent:
    """The intent with the sound levels its words mean, where the rules set none."""
    return replace(intent, pace=found.pace or intent.pace, energy=found.energy or intent.energy,
                   brightness=found.brightness or intent.brightness)


def _ruled_out_genres(intent: Intent, vocabulary: Vocabulary, negated: list[str]) -> Intent:
    """'No screaming vocals' rules out death metal, "not aimed at kids" children's films, "nothing like
    kettlebells" the shop's kettlebells: genres meant by what a negation names."""
    if not negated or intent.domain not in ("movie", "music", "product"):
        return intent
    found = vocabulary.read(" ".join(negated), intent.domain)
    wanted = {normalise(g) for g in intent.genres}
    # A shop's tags are too many and too close to rule out by meaning: only one said as it is spelled.
    meant = [m.term.value for m in found.matches if m.term.kind in ("genre", "category", "tag") and
             (intent.domain != "product" or (m.term.kind == "tag" and m.score >= EXACT))]
    ruled_out = tuple(g for g in dict.fromkeys(meant) if normalise(g) not in wanted)
    if not ruled_out:
        return intent
    out = {normalise(g) for g in ruled_out}
    return replace(intent, genres_none=tuple(dict.fromkeys((*intent.genres_none, *ruled_out))),
                   genres_any=tuple(g for g in intent.genres_any if normalise(g) not in out))


def _ruled_out_sound(intent: Intent, vocabulary: Vocabulary, negated: list[str]) -> Intent:
    """'Not too fast' keeps the other paces; 'nothing loud' the other energies."""
    if not negated or intent.domain not in (None, "music"):
        return intent
    found = vocabulary.read(" ".join(negated), "music")
    for kind, levels in LEVELS.items():
        ruled_out = getattr(found, kind)
        if ruled_out and not getattr(intent, kind):
            intent = with_sound(intent, kind, tuple(level for level in levels if level not in ruled_out))
    return intent


def _free_words(intent: Intent) -> str:
    """The query's words that no rule has read already (genres named, prices, numbers)."""
    named = {normalise(g) for g in (*intent.genres, *intent.genres_any, *intent.genres_none)}
    return " ".join(w for w in intent.query.split()
                    if normalise(w) not in named and normalise(w).rstrip("s") not in named
                    and not re.fullmatch(r"[\d.,$€£]+|dollars?|bucks|euros?|pounds|under|over|below|above", w))




# What someone already has is ruled out, and the cards it names turned down; "already got into hiking" is a hobby.
_ALREADY_HAS = r"already (?:has|have|got|owns?|bought)(?!\s+into)"
# What rules a thing out. Not "never" or "doesn't": "a hero who never runs out of bullets" describes.
_NEGATION = (r"\b(?:not (?:really )?in the mood for|not (?:really )?(?:feeling|into)|"
             rf"{_ALREADY_HAS}|not|no|without(?!\s+(?:paying|spending|buying|costing|"
             r"breaking|having to))|nothing|avoid|isnt|isn't|zero|"
             r"can'?t stand|cannot stand|sick of|tired of|"
             r"won'?t|don'?t want|mustn'?t|shouldn'?t|must not|should not|except|apart from|anything but|"
             r"had enough(?: of)?|seen every)\s+")
_PHRASE_END = frozenset("but and or though please pls just so since because as if".split())  # noqa: SIM905


def _negated_words(masked: str) -> list[str]:
    """Words said only to rule them out ("not too gory", "no jazz"): never search words."""
    return [m.group(1) for m in re.finditer(rf"(?:{_NEGATION}|\b(?:never|doesn'?t)\s+)"
                                            r"(?:too\s+|so\s+|very\s+|any\s+|more\s+)?([\w-]+)", masked, re.I)]


def _negated_phrases(masked: str) -> list[str]:
    """What each negation rules out, up to four words and the end of its clause: "no screaming vocals",
    "isn't aimed at kids", "won't give them nightmares"."""
    phrases = []
    for match in re.finditer(_NEGATION + r"((?:[\w'-]+\s*){1,6})", masked, re.I):
        words: list[str] = []
        for word in re.sub(r"^(?:too|so|very|any|more|the|that|of)\s+", "", match.group(1).strip(), flags=re.I).split():
            if word.casefold() in ("or", "nor"):
                continue  # "nothing like dumbbells or kettlebells": the "nothing" covers both
            if word.casefold() in _PHRASE_END:
                break
            words.append(word)
        if words:
            phrases.append(" ".join(words[:5]))
    return phrases


_NOT_THE = re.compile(r"\b(?:not|no|skip|without|none of)\s+(?:the|that|those|these)\s+([a-z][\w'-]{2,})", re.I)
_CARD_WORDS = frozenset("one ones first second third fourth fifth last other others same kind".split())  # noqa: SIM905


_HAS_ALREADY = re.compile(rf"\b{_ALREADY_HAS}\s+([^.,;!?]{{3,80}})", re.I)


def _cards_turned_down(text: str, cards: tuple[str, ...], titles: TitleIndex) -> list[str]:
    """Cards turned down by a word of their title: "not the gloves, she has loads", "he already has a water
    bottle and a water filter" (the last word of each thing named)."""
    found = []
    named = [m.group(1) for m in _NOT_THE.finditer(text)]
    for things in _HAS_ALREADY.finditer(text):
        named += [part.split()[-1] for part in re.split(r"\s*(?:,|\band\b|\bor\b)\s*", things.group(1))
                  if part.split()]
    for said in named:
        found += _cards_titled_with(said, cards, titles)
    return found


def _cards_titled_with(word: str, cards: tuple[str, ...], titles: TitleIndex) -> list[str]:
    """The cards with this word in their title, plural or not ("gloves", "the webcam"); none for a word that
    points at cards by their place ("one", "second")."""
    key = normalise(word).rstrip("s")
    if not key or key in _CARD_WORDS:
        return []
    return [card for card in cards if (item := titles.item(card)) is not None
            and key in {w.rstrip("s") for w in normalise(item.title).split()}]


# "Add it", "rate that one": the card meant is the one talked about, not one named by a word of its title.
_POINTED = re.compile(r"\b(?:add|put|save|pop|stick|rate|give|explain|about)\s+(?:it|that|this)\b|"
                      r"\b(?:that|this) one\b", re.I)
_THE_WORD = re.compile(r"\b(?:the|that|this|my|your)\s+([a-z][\w'-]{2,})", re.I)


def _card_called(text: str, cards: tuple[str, ...], titles: TitleIndex) -> str:
    """The one card a word of whose title the user called it by ("the webcam"), or ''."""
    for match in _THE_WORD.finditer(text):
        hits = _cards_titled_with(match.group(1), cards, titles)
        if len(hits) == 1:
            return hits[0]
    return ""


def _cards_seen(text: str, liked: list[str], cards: tuple[str, ...], titles: TitleIndex) -> list[str]:
    """Cards, or titles asked past ("seen Sleepless in Seattle. next!"), named as already seen: turned down, not
    a taste to follow."""
    said = normalise(text)
    moving_on = re.search(r"\b(next|another|other|others|else|different|already|before)\b", said) is not None
    found = []
    for item_id in liked:
        item = titles.item(item_id)
        if (item_id in cards or moving_on) and item is not None and re.search(
                rf"(?<!nt )(?<!never )(?<!not )\b(?:seen|watched|heard|had|got)\s+(?:\w+\s+){{0,2}}?"
                rf"{re.escape(normalise(item.title))}", said):
            found.append(item_id)
    return found


def _without(query: str, phrases: list[str]) -> str:
    """The query without the words of the given phrases."""
    drop = {w for p in phrases for w in normalise(p).split()}
    return " ".join(w for w in query.split() if normalise(w) not in drop)


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
    for genre in [*intent.genres, *intent.genres_any, *_negated_genres(intent.query, titles)]:
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
