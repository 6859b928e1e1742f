"""What the engine recommends, and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain.items import Item
from app.domain.music import AudioDescriptors

PART_LABELS: dict[str, str] = {
    "collaborative": "people with your taste liked it",
    "content": "close to what you liked",
    "query": "matches what you asked for",
    "popularity": "popular overall",
    "audio": "sounds like what you liked",
}


@dataclass(frozen=True)
class Driver:
    """An item from the user's history that pushed a recommendation up."""

    item_id: str
    title: str
    stars: float
    similarity: float


@dataclass(frozen=True)
class SoundMatch:
    """How a track sounds next to another: a liked track that drove it, or the track asked about."""

    item_id: str
    title: str
    stars: float | None  # the user's rating of the other track, when it is a liked one
    similarity: float
    this: AudioDescriptors
    other: AudioDescriptors


@dataclass(frozen=True)
class ScorePart:
    """One named part of a score: its normalised value, its weight and their product."""

    name: str
    value: float
    weight: float

    @property
    def contribution(self) -> float:
        """The part's share of the total score."""
        return self.value * self.weight


@dataclass(frozen=True)
class ScoreBreakdown:
    """The named, weighted parts of a score and the user's items that drove it."""

    parts: tuple[ScorePart, ...]
    drivers: tuple[Driver, ...] = ()
    sound: SoundMatch | None = None

    @property
    def total(self) -> float:
        """The sum of every part's contribution."""
        return sum(p.contribution for p in self.parts)

    def as_dict(self) -> dict[str, float]:
        """Each part's contribution, by name, largest first."""
        ordered = sorted(self.parts, key=lambda p: -p.contribution)
        return {p.name: round(p.contribution, 4) for p in ordered}


@dataclass(frozen=True)
class Recommendation:
    """An item, its score, the stars we predict the user would give, and the reasons."""

    item: Item
    score: float
    predicted_stars: float | None
    breakdown: ScoreBreakdown
    reasons: tuple[str, ...] = field(default_factory=tuple)
