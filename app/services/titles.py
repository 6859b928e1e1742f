"""Finding catalogue items by what people call them: "fargo", "the usual suspects", "Pulp Fictoin"."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from app.domain.errors import InputError
from app.domain.items import Item, titled

_MIN_FUZZY = 86  # below this a typo match is more often another title than the meant one
_MIN_FUZZY_SPAN = 88  # stricter for word runs found anywhere in a sentence: more chances to match by accident
_EDGE_WORDS = frozenset("""
a an the and or but of to in on for with from by at is it this that one two three four five star stars
first second third last more less some any like me my you i
""".split())  # noqa: SIM905
_FUNCTION_WORDS = _EDGE_WORDS | frozenset("""
then than them they their there these those what when where who how why so as if not no yes are was were be
has have had do does did can could would will should show give find get got
""".split())  # noqa: SIM905
_MAX_WORDS = 8  # longest title n-gram looked for inside a sentence
_YEAR = re.compile(r"\s*\((\d{4})\)\s*$")
_ALIAS = re.compile(r"^(.*?)\s*\(([^()]+)\)\s*$")  # "Seven (Se7en)", "Independence Day (ID4)"
_LEADING_ARTICLE = re.compile(r"^(the|a|an)\s+")


def _turned_round(title: str) -> str:
    """'Usual Suspects, The' as it is said: 'The Usual Suspects'."""
    head, comma, article = title.rpartition(", ")
    return f"{article} {head}" if comma and article.casefold() in ("the", "a", "an") else title


def item_named(reference: str, titles: TitleIndex, is_item: Callable[[str], bool]) -> str:
    """The id an item is given by: its id, or a title that names exactly one item (else an error that says
    which items it could be, or that none is called so)."""
    if is_item(reference) or re.fullmatch(r"(movie|music|product):\S+", reference):
        return reference  # an id: an unknown one is reported as such where it is used
    found = titles.called(reference)
    if len(found) == 1:
        return found[0].id
    if not found:
        raise InputError(f"nothing in your library is called '{reference}' (see `chatrec search`)", field="item")
    choices = "; ".join(f"{titled(item.title, item.year)} = {item.id}"
                        for item in found[:8])
    raise InputError(f"{len(found)} items are called '{reference}': {choices}. Give the year in brackets or the id",
                     field="item")


def normalise(text: str) -> str:
    """Lower case, no accents, punctuation as spaces, no leading article: how titles are compared."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = text.replace("&", " and ").replace("'", "")
    text = re.sub(r"[^\w\s]", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return _LEADING_ARTICLE.sub("", text)


@dataclass(frozen=True)
class Mention:
    """A catalogue item named inside a sentence, and where (word positions in the normalised text)."""

    item: Item
    start: int
    end: int
    words: str  # the normalised words that named it
    artist: str = ""  # set when the words named a music artist: item is then one of their tracks


class TitleIndex:
    """Every item's title (and, for music, 'artist title') by its normalised form, for exact and fuzzy look-ups."""

    def __init__(self, items: Iterable[Item], popularity: dict[str, int] | None = None) -> None:
        self._by_key: dict[str, Item] = {}
        self._by_id: dict[str, Item] = {}
        self.genres: dict[str, str] = {}  # normalised genre -> its catalogue spelling (movies and music)
        self.genre_domains: dict[str, set[str]] = {}
        self._artists: dict[str, tuple[str, list[str]]] = {}  # normalised artist -> name, track ids
        self._named: dict[str, list[Item]] | None = None  # every item by its normalised title: see called()
        pop = popularity or {}
        uses: dict[str, int] = {}
        # The most rated item wins a shared title ("Heat" 1995 over an obscure "Heat"): that is who people mean.
        for item in sorted(items, key=lambda i: -pop.get(i.id, 0)):
            self._by_id[item.id] = item
            for key in self._keys(item):
                self._by_key.setdefault(key, item)
            if item.domain == "music":
                for artist in item.creators:
                    self._artists.setdefault(normalise(artist), (artist, []))[1].append(item.id)
            if item.domain in ("movie", "music"):  # product categories are shop tags, not genres people say
                for genre in item.genres:
                    self.genres.setdefault(normalise(genre), genre)
                    self.genre_domains.setdefault(normalise(genre), set()).add(item.domain)
                    uses[normalise(genre)] = uses.get(normalise(genre), 0) + 1
        # A tag on a single item ("Game" on one track) is a file's quirk, not a genre: as a word it would
        # turn "a board game" into a request for that track.
        if len(self._by_id) > 20:
            self.genres = {k: v for k, v in self.genres.items() if uses.get(k, 0) > 1}
        self._domain_words = _distinct_vocabulary(self._by_id.values())
        # _by_id was filled most rated first: its first titles are the ones people name most.
        self._popular = [item.title for item in self._by_id.values() if pop.get(item.id, 0) > 0][:100]
        self._keys_list = list(self._by_key)

    @staticmethod
    def _keys(item: Item) -> list[str]:
        bare = _YEAR.sub("", item.title)
        forms = [bare]
        alias = _ALIAS.match(bare)
        if alias:  # people say "Se7en" or "Seven", rarely "Seven (Se7en)"
            forms += [alias.group(1), alias.group(2)]
        head = bare.split(":")[0]
        if head != bare and len(head.split()) >= 2:  # "The Second Jungle Book: Mowgli & Baloo"
            forms.append(head)
        keys = []
        for form in forms:
            key = normalise(form)
            if not key:
                continue
            keys.append(key)
            spoken = normalise("x " + form)[2:]  # the article kept: "the fugitive" inside a sentence
            if spoken != key:
                keys.append(spoken)
            if item.creators:
                keys.append(normalise(f"{item.creators[0]} {form}"))
                keys.append(normalise(f"{form} by {item.creators[0]}"))
        return keys

    def domain_of_word(self, word: str) -> str | None:
        """The one domain whose titles and genres use this word (product and music vocabulary), or None."""
        return self._domain_words.get(word)

    def __len__(self) -> int:
        return len(self._by_key)

    def tracks_by(self, artist: str) -> list[str]:
        """The track ids of a music artist, by the name as said; empty when unknown."""
        found = self._artists.get(normalise(artist))
        return list(found[1]) if found else []

    def find_fuzzy_in(self, words: list[str], taken: set[int]) -> list[Mention]:
        """Misspelt multi-word titles anywhere ("forest gump", "groundhog dya"): close matches of 2-4 words."""
        found: list[Mention] = []
        for size in (4, 3, 2):
            for start in range(len(words) - size + 1):
                span = range(start, start + size)
                if any(i in taken for i in span):
                    continue
                key = " ".join(words[start:start + size])
                if len(key) < 8:
                    continue
                if words[start] in _EDGE_WORDS or words[start + size - 1] in _EDGE_WORDS:
                    continue  # "one star" is not "Lone Star": titles do not start or end on such words here
                hit = process.extractOne(key, self._keys_list, scorer=fuzz.ratio, score_cutoff=_MIN_FUZZY_SPAN)
                # Product names are also what people call the kind of thing they want ("a bluetooth speaker").
                # A typo rarely changes a title's first letter: "set in space" is not "Lost in Space".
                # Nor is a word people use everywhere a typo of a title's word: "then show" is not "The Show".
                if hit is not None and len(hit[0].split()) == size and self._by_key[hit[0]].domain != "product" \
                        and hit[0][0] == key[0] and not any(
                            said != meant and said in _FUNCTION_WORDS
                            for said, meant in zip(key.split(), hit[0].split(), strict=True)):
                    found.append(Mention(self._by_key[hit[0]], start, start + size, key))
                    taken.update(span)
        return found

    def item(self, item_id: str) -> Item | None:
        """The item with this id, if the index holds it."""
        return self._by_id.get(item_id)

    def starting_with(self, words: str) -> list[str]:
        """The ids of the titles that start with these normalised words and go on ("star trek" -> its films)."""
        stem = words.strip()
        if len(stem.split()) < 2:
            return []  # one word starts too many titles ("the", "love") to rule them all out
        return [item.id for key, item in self._by_key.items() if key.startswith(stem + " ")]

    def categories_with(self, tags: Iterable[str]) -> tuple[str, ...]:
        """The shop categories of the products that carry any of these tags ("yoga" -> "fitness")."""
        wanted = {t.casefold() for t in tags}
        return tuple(sorted({item.attributes["category"] for item in self._by_id.values()
                             if item.domain == "product" and item.attributes.get("category")
                             and wanted & {g.casefold() for g in item.genres}}))

    def series_of(self, item_id: str) -> list[str]:
        """The other items of a title's series, by their titles: "Scream" -> "Scream 2", "Scream 3"."""
        item = self._by_id.get(item_id)
        if item is None:
            return []
        stem = normalise(item.title)
        return [other.id for other in self._by_id.values()
                if other.id != item_id and other.domain == item.domain
                and re.match(rf"{re.escape(stem)} (\d+|ii|iii|iv|part|the|returns|2)\b", normalise(other.title))]

    def called(self, name: str) -> list[Item]:
        """Every item whose title is this name as people write it ("fargo", "Usual Suspects, The"); a year in
        brackets ("Heat (1995)") keeps only that year's."""
        year = _YEAR.search(name)
        key = normalise(_YEAR.sub("", name))
        if not key:
            return []
        if self._named is None:  # built on the first call: conversation turns never need it
            self._named = {}
            for item in self._by_id.values():
                for form in {normalise(_YEAR.sub("", item.title)), normalise(_YEAR.sub("", _turned_round(item.title)))}:
                    self._named.setdefault(form, []).append(item)
        found = list(self._named.get(key, ()))
        if year is not None:
            found = [item for item in found if str(item.year) == year.group(0).strip("() ")]
        return sorted(found, key=lambda item: (item.domain, item.year or 0, item.id))

    def popular(self, limit: int) -> list[str]:
        """The most rated titles, most rated first (at most 100)."""
        return self._popular[:limit]

    def knows(self, name: str) -> bool:
        """Whether a name is exactly a title (any of its forms) or an artist of the catalogue, typos not allowed."""
        key = normalise(name)
        return key in self._by_key or key in self._artists or normalise("x " + name)[2:] in self._by_key

    def find(self, reference: str) -> Item | None:
        """The item a reference names: exactly (ignoring case, accents, articles), else by a close typo."""
        key = normalise(_YEAR.sub("", reference))
        if not key:
            return None
        exact = self._by_key.get(key)
        if exact is not None or len(key) < 4:  # short words match too much by accident
            return exact
        found = process.extractOne(key, self._keys_list, scorer=fuzz.ratio, score_cutoff=_MIN_FUZZY)
        return self._by_key[found[0]] if found else None

    def mentions(self, text: str, *, single_words: Sequence[str] = ()) -> list[Mention]:
        """Titles named in a sentence, longest first and not overlapping.

        One-word titles ("Heat", "Fargo") are common words too, so they count only when listed in
        single_words (words the caller saw capitalised or right after "like", "why"...) or when they
        sit next to another title ("lion king aladdin beauty and the beast").
        """
        words = normalise("x " + text).split()[1:]  # keep a leading article: it is part of the sentence
        allowed = {normalise(w) for w in single_words}
        taken = [False] * len(words)
        found: list[Mention] = []
        singles: list[tuple[int, Item]] = []
        for size in range(min(_MAX_WORDS, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                if any(taken[start:start + size]):
                    continue
                key = " ".join(words[start:start + size])
                item = self._by_key.get(key)
                artist = ""
                if item is None and key in self._artists and (size > 1 or key in allowed):
                    artist, tracks = self._artists[key]
                    item = self._by_id[tracks[0]]
                if item is None:
                    continue
                if size == 1 and key not in allowed and not artist:
                    singles.append((start, item))
                    continue
                found.append(Mention(item, start, start + size, key, artist))
                taken[start:start + size] = [True] * size
        found += _beside_others(singles, found, words)
        found += self.find_fuzzy_in(words, {i for m in found for i in range(m.start, m.end)})
        return sorted(found, key=lambda m: m.start)


def _beside_others(singles: list[tuple[int, Item]], found: list[Mention], words: list[str]) -> list[Mention]:
    """One-word titles right before or after another title (a list of titles), repeated until none is added."""
    added: list[Mention] = []
    changed = True
    while changed:
        changed = False
        edges = {m.start - 1 for m in [*found, *added]} | {m.end for m in [*found, *added]}
        edges |= {m.start - 2 for m in [*found, *added]} | {m.end + 1 for m in [*found, *added]}
        for start, item in list(singles):
            near = start in edges and all(m.start != start for m in added)
            joined = start in {m.end + 1 for m in [*found, *added]} and words[start - 1] not in ("and", "or") \
                and start not in {m.end for m in [*found, *added]}
            if near and not joined:
                added.append(Mention(item, start, start + 1, words[start]))
                singles.remove((start, item))
                changed = True
    return added


def _distinct_vocabulary(items: Iterable[Item]) -> dict[str, str]:
    """Words used by exactly one domain's titles and genres, for product and music (movie titles use every word)."""
    seen: dict[str, set[str]] = {}
    for item in items:
        for word in normalise(" ".join((item.title, *item.genres))).split():
            if len(word) > 3 and not word.isdigit():
                seen.setdefault(word, set()).add(item.domain)
    return {w: next(iter(d)) for w, d in seen.items() if len(d) == 1 and next(iter(d)) in ("product", "music")}
