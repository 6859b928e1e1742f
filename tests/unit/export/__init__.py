"""Export tests: small items with known right answers, shared by the writer tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.domain.items import Item, Rating
from app.export import ExportEntry, ExportOptions

MBID = "5b11f4ce-a62d-471e-81fc-a69a8278c7da"
ARTIST_MBID = "5b11f4ce-a62d-471e-81fc-a69a8278c7db"
RELEASE_MBID = "5b11f4ce-a62d-471e-81fc-a69a8278c7dc"
WHEN = datetime(2024, 5, 17, 12, 30, tzinfo=UTC)
NASTY = 'Rock & Roll <Live> "Encore" café'  # XML specials and a non-ASCII letter


def track(path: str, title: str = "Teen Spirit", artist: str = "Nirvana", *, duration: str = "301.4",
          mbid: str = MBID, album: str = "Nevermind", item_id: str = "music:1") -> Item:
    """A music track with a file, tags and MusicBrainz ids."""
    external = {"musicbrainz_recording": mbid} if mbid else {}
    if mbid:
        external |= {"musicbrainz_artist": ARTIST_MBID, "musicbrainz_release": RELEASE_MBID}
    attributes = {"album": album} if album else {}
    if duration:
        attributes["duration_s"] = duration
    return Item(item_id, "music", title, creators=(artist,) if artist else (), source=path,
                external_ids=external, attributes=attributes)


def movie(title: str = "Fargo", year: int | None = 1996, item_id: str = "movie:fargo",
          **external: str) -> Item:
    """A movie from a MovieLens-like import (its source is the dataset, not a file)."""
    return Item(item_id, "movie", title, year=year, genres=("Crime", "Thriller"), source="movielens",
                external_ids=dict(external), description="a dark crime thriller")


def product() -> Item:
    """A product from a CSV import: its source is the CSV file, which is not something to play."""
    return Item("product:grinder", "product", "Burr Coffee Grinder", genres=("coffee",), source="/data/products.csv")


def rated(item: Item, stars: float | None = None, thumb: int | None = None, at: float = 1_700_000_000.0) -> ExportEntry:
    """An entry with the desk user's rating."""
    return ExportEntry(item, Rating("me", item.id, stars, thumb, at))


def options(name: str = "Road Trip", **changes: Any) -> ExportOptions:
    """Export options with a fixed time, so outputs are reproducible."""
    return ExportOptions(name=name, exported_at=WHEN, **changes)


def xmllint() -> str | None:
    """xmllint on PATH, or unpacked from Debian's libxml2-utils into ~/.cache/chatrec-xmllint; None when absent."""
    found = shutil.which("xmllint")
    if found:
        return found
    cached = Path.home() / ".cache" / "chatrec-xmllint" / "root" / "usr" / "bin" / "xmllint"
    return str(cached) if cached.is_file() and os.access(cached, os.X_OK) else None


def xmllint_check(path: Path) -> subprocess.CompletedProcess[str]:
    """Run xmllint --noout on a file (well-formedness only)."""
    tool = xmllint()
    assert tool is not None
    return subprocess.run([tool, "--noout", str(path)], capture_output=True, text=True, timeout=30, check=False)
