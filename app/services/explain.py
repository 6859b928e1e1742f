"""Reasons a person can read, written from a ScoreBreakdown and nothing else."""

from __future__ import annotations

from app.domain.recommendation import ScoreBreakdown

_MIN_SHARE = 0.05  # parts that add less than this to the score are not worth a sentence
# A rated item is named as the reason only when it is really alike (co-rating or text cosine);
# "because you rated a coffee grinder" under a camp chair reads as nonsense even when true.
_MIN_DRIVER_SIMILARITY = 0.25


def _stars(value: float) -> str:
    return f"{value:g}★"


def reasons_for(breakdown: ScoreBreakdown, *, query: str | None = None,
                predicted_stars: float | None = None, raters: int = 0,
                similar_to: str | None = None) -> tuple[str, ...]:
    """Sentences for the parts that mattered most, largest first, then the predicted stars."""
    reasons: list[str] = []
    for part in sorted(breakdown.parts, key=lambda p: -p.contribution):
        if part.contribution < _MIN_SHARE * max(breakdown.total, 1e-9):
            continue
        if part.name == "collaborative":
            drivers = [d for d in breakdown.drivers if d.similarity >= _MIN_DRIVER_SIMILARITY]
            if drivers:
                liked = ", ".join(f"{d.title} {_stars(d.stars)}" for d in drivers[:2])
                reasons.append(f"because you rated {liked}")
            elif similar_to:
                reasons.append(f"people who rated {similar_to} rated this alike")
            else:
                reasons.append("people with tastes like yours rated it highly")
        elif part.name == "content":
            target = f"{similar_to}'s" if similar_to else "what you liked"
            reasons.append(f"close in genre and subject to {target}")
        elif part.name == "query" and query:
            reasons.append(f"matches \u201c{query}\u201d")
        elif part.name == "popularity":
            reasons.append(f"popular: rated by {raters} people" if raters else "popular overall")
        elif part.name == "audio":
            reasons.append("sounds like what you liked")
    if predicted_stars is not None:
        reasons.append(f"we think you would give it {predicted_stars:.1f}★")
    return tuple(reasons)
