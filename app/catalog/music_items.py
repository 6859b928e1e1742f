"""A music file, its tags and its sound descriptors as one catalogue item."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from app.domain.items import Item
from app.domain.music import AudioDescriptors, FoundFile, TrackTags

_MOOD = {"low": "calm, quiet", "medium": "steady", "high": "energetic, loud"}


def track_id(path: str) -> str:
    """The item id of the file at path: stable for as long as the file stays where it is."""
    digest = hashlib.sha1(path.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return f"music:{digest}"


def pace(tempo_bpm: float) -> str:
    """slow, moderate or fast, as a listener would say it."""
    if tempo_bpm < 85:
        return "slow"
    return "moderate" if tempo_bpm < 120 else "fast"


def sound_words(descriptors: AudioDescriptors) -> str:
    """Descriptors in words a text query can match: 'fast, energetic, loud, bright sound, 128 BPM, A minor'."""
    return (f"{pace(descriptors.tempo_bpm)}, {_MOOD.get(descriptors.energy, descriptors.energy)}, "
            f"{descriptors.brightness} sound, {descriptors.tempo_bpm:.0f} BPM, {descriptors.key} {descriptors.mode}")


def track_item(found: FoundFile, tags: TrackTags, descriptors: AudioDescriptors) -> Item:
    """The catalogue item for an analysed file; the descriptors join its text and attributes."""
    sentences = []
    if tags.album:
        sentences.append(f"From the album {tags.album}.")
    sentences.append(f"Sounds {sound_words(descriptors)}.")
    attributes = {key: str(value) for key, value in descriptors.as_dict().items()}
    if tags.album:
        attributes["album"] = tags.album
    if tags.duration_s is not None:
        attributes["duration_s"] = f"{tags.duration_s:.1f}"
    if tags.track_number is not None:
        attributes["track_number"] = str(tags.track_number)
    external = {f"musicbrainz_{kind}": mbid for kind, mbid in tags.musicbrainz.items()}
    return Item(id=track_id(found.path), domain="music", title=tags.title,
                creators=(tags.artist,) if tags.artist else (), year=tags.year, genres=tags.genres,
                description=" ".join(sentences), source=found.path, external_ids=external, attributes=attributes)


def descriptors_of(item: Item) -> AudioDescriptors | None:
    """The sound descriptors kept in a track's attributes, or None for items without them."""
    return descriptors_from(item.attributes)


def descriptors_from(attributes: Mapping[str, str]) -> AudioDescriptors | None:
    """Descriptors from attribute strings; None when any is missing or malformed."""
    try:
        return AudioDescriptors(tempo_bpm=float(attributes["tempo_bpm"]), energy=attributes["energy"],
                                brightness=attributes["brightness"], key=attributes["key"],
                                mode=attributes["mode"])
    except (KeyError, ValueError):
        return None
