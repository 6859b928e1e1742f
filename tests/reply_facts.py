"""Turn facts with a known right answer for the reply tests: cards, drivers, a catalogue index around them."""

from __future__ import annotations

from dataclasses import replace

from app.domain.conversation import Intent
from app.domain.items import Item
from app.domain.music import AudioDescriptors
from app.domain.recommendation import Driver, Recommendation, ScoreBreakdown, ScorePart, SoundMatch
from app.services.replies import ReplyFacts
from app.services.titles import TitleIndex
from tests.tiny_catalogue import tiny_catalogue

FARGO = Driver("movie:fargo", "Fargo", 5.0, 0.62)
PULP = Driver("movie:pulp-fiction", "Pulp Fiction", 4.0, 0.48)
STRIPPED = "coffee lover travels lot"  # what is left of the request below once stop words go
SAID = "I'm a coffee lover who travels a lot, and I loved Fargo and Pulp Fiction"


def movie(slug: str, title: str, year: int, stars: float | None, parts: list[tuple[str, float]],
          drivers: tuple[Driver, ...] = (), genres: tuple[str, ...] = ("Crime", "Thriller"),
          reasons: tuple[str, ...] = ()) -> Recommendation:
    breakdown = ScoreBreakdown(tuple(ScorePart(name, value, 1.0) for name, value in parts), drivers)
    item = Item(f"movie:{slug}", "movie", title, year=year, genres=genres,
                description="a dark crime thriller with gangsters and detectives")
    return Recommendation(item, breakdown.total, stars, breakdown, reasons)


def crime_cards() -> tuple[Recommendation, ...]:
    """Five crime films, every one pushed up by Fargo: the case where one frame repeated five times."""
    query = f"matches \u201c{STRIPPED}\u201d"
    return (
        movie("heat", "Heat", 1995, 4.4, [("collaborative", 0.5), ("content", 0.2)], (FARGO, PULP),
              reasons=("because you rated Fargo 5★", query)),
        movie("casino", "Casino", 1995, 4.2, [("collaborative", 0.45), ("query", 0.2)], (FARGO,),
              reasons=("because you rated Fargo 5★", query)),
        movie("se7en", "Se7en", 1995, 4.1, [("collaborative", 0.4), ("query", 0.3)], (FARGO,),
              reasons=(query, "because you rated Fargo 5★")),
        movie("the-departed", "The Departed", 2006, 3.9, [("collaborative", 0.4), ("popularity", 0.1)], (FARGO,),
              reasons=("because you rated Fargo 5★", "popular: rated by 7 people")),
        movie("night-train", "Night Train to Nowhere", 1999, 3.6, [("query", 0.5)], (),
              genres=("Crime", "Noir"), reasons=(query,)),
    )


def crime_facts(**changes: object) -> ReplyFacts:
    """Five crime films from the 1990s for a coffee lover who liked Fargo and Pulp Fiction."""
    facts = ReplyFacts(Intent(domain="movie", query=STRIPPED, liked=("Fargo", "Pulp Fiction"), year_min=1990,
                              year_max=1999), crime_cards(), liked_titles=("Fargo", "Pulp Fiction"), said=SAID)
    return replace(facts, **changes)  # type: ignore[arg-type]


def product(slug: str, title: str, price: float, parts: list[tuple[str, float]]) -> Recommendation:
    breakdown = ScoreBreakdown(tuple(ScorePart(name, value, 1.0) for name, value in parts))
    item = Item(f"product:{slug}", "product", title, genres=("kitchen",), description="for coffee at home",
                attributes={"price": f"{price:.2f}", "category": "kitchen"})
    return Recommendation(item, breakdown.total, None, breakdown, ())


def product_facts() -> ReplyFacts:
    """Three coffee things under 100, found by words alone (no stars, no drivers)."""
    cards = (product("grinder", "Burr Coffee Grinder", 65.0, [("query", 0.6)]),
             product("kettle", "Gooseneck Kettle", 42.5, [("query", 0.5)]),
             product("scale", "Pour-Over Scale", 29.99, [("query", 0.4), ("popularity", 0.1)]))
    return ReplyFacts(Intent(domain="product", query="coffee gear", price_max=100.0), cards,
                      said="some coffee gear under 100")


def track(slug: str, title: str, artist: str, tempo: float, energy: str, brightness: str,
          sound: SoundMatch | None = None) -> Recommendation:
    parts = (ScorePart("audio", 0.5, 1.0),) if sound else (ScorePart("query", 0.4, 1.0),)
    breakdown = ScoreBreakdown(parts, (), sound)
    attributes = {"tempo_bpm": str(tempo), "energy": energy, "brightness": brightness, "key": "A", "mode": "minor"}
    item = Item(f"music:{slug}", "music", title, creators=(artist,), genres=("Ambient",), attributes=attributes)
    return Recommendation(item, breakdown.total, None, breakdown, ())


def music_facts() -> ReplyFacts:
    """Two slow, calm tracks, one of them close in sound to a track the user rated."""
    liked = AudioDescriptors(70.0, "low", "warm", "A", "minor")
    this = AudioDescriptors(72.0, "low", "warm", "A", "minor")
    match = SoundMatch("music:rain", "Rain on Glass", 5.0, 0.8, this, liked)
    cards = (track("drift", "Drift", "Lumen Fields", 72.0, "low", "warm", match),
             track("hush", "Hush", "Slow Harbour", 64.0, "low", "dark"))
    return ReplyFacts(Intent(domain="music", pace=("slow",), energy=("low",)), cards, said="slow calm music")


def catalogue_titles() -> TitleIndex:
    """The tiny catalogue's index plus the fixtures' films: Toy Story and Aladdin exist but are never cards."""
    items = list(tiny_catalogue().items)
    items += [r.item for r in crime_cards() if r.item.id not in {i.id for i in items}]
    return TitleIndex(items)
