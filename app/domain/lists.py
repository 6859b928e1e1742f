"""User lists and playlists."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Playlist:
    """A named, ordered list of items."""

    id: int
    name: str
    item_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportRun:
    """A record of one catalogue import."""

    id: int
    kind: str
    source: str
    started: float
    finished: float | None
    status: str  # running | done | failed
    items: int = 0
    users: int = 0
    ratings: int = 0
    message: str = ""
