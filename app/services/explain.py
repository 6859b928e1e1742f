"""Reasons a person can read, written from a ScoreBreakdown and nothing else."""

from __future__ import annotations

from app.domain.conversation import QUOTE_MAX_CHARS
from app.domain.recommendation import ScoreBreakdown, SoundMatch

_MIN_SHARE = 0.05  # parts that add less than this to the score are not worth a sentence
# A rated item is named as the reason only when it is really alike (co-rating or text cosine);
# "because you rated a coffee grinder" under a camp chair reads as nonsense even when true.
_MIN_DRIVER_SIMILARITY = 0.25
_SAME_TEMPO = 0.08  # tempos within 8% feel alike (124 and 128 BPM); further apart a listener hears it
_ENERGY_WORDS = {"low": "calm", "medium": "steady", "high": "energetic"}


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
            # The search words are the request less titles and filler: quoted only when short.
            reasons.append(f"matches \u201c{query}\u201d" if len(query) <= QUOTE_MAX_CHARS
                           else "matches what you asked for")
        elif part.name == "popularity":
            reasons.append(f"popular: rated by {raters} people" if raters else "popular overall")
        elif part.name == "audio":
            reasons.append(sound_reason(breakdown.sound) if breakdown.sound else "sounds like what you liked")
    if predicted_stars is not None:
        reasons.append(f"we think you would give it {predicted_stars:.1f}★")
    return tuple(reasons)


def sound_reason(match: SoundMatch) -> str:
    """'similar tempo (128 vs 124 BPM) and bright, energetic sound, like X you rated 5★', from descriptors."""
    this, other = match.this, match.other
    facets = []
    if abs(this.tempo_bpm - other.tempo_bpm) <= _SAME_TEMPO * max(this.tempo_bpm, other.tempo_bpm):
        facets.append(f"similar tempo ({this.tempo_bpm:.0f} vs {other.tempo_bpm:.0f} BPM)")
    shared = [w for w in (this.brightness if this.brightness == other.brightness else "",
                          _ENERGY_WORDS.get(this.energy, this.energy) if this.energy == other.energy else "") if w]
    if shared:
        facets.append(f"{', '.join(shared)} sound")
    if (this.key, this.mode) == (other.key, other.mode):
        facets.append(f"the same key ({this.key} {this.mode})")
    if not facets:
        facets.append("a close overall sound (timbre and harmony)")
    joined = facets[0] if len(facets) == 1 else ", ".join(facets[:-1]) + " and " + facets[-1]
    rated = f" you rated {_stars(match.stars)}" if match.stars is not None else ""
    return f"{joined}, like {match.title}{rated}"
