"""Track preview: the middle of a track's file as samples to play, decoded through the ClipDecoder port."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from app.domain.errors import ChatRecError
from app.domain.items import Item
from app.domain.music import AUDIO_EXTENSIONS
from app.ports import ClipDecoder
from app.store.sqlite import SQLiteStore

PREVIEW_RATE = 22050  # the music analyser's rate: every file decodes to it, and any speaker plays it
PREVIEW_SECONDS = 30.0


@dataclass(frozen=True)
class Clip:
    """Mono samples to play and their rate."""

    samples: NDArray[np.float32]
    sample_rate: int


class TrackPreview:
    """Finds an item's audio file and decodes a clip from its middle, for the window's play button and
    "play a bit of the third"."""

    def __init__(self, store: SQLiteStore, decoder: ClipDecoder) -> None:
        self._store = store
        self._decoder = decoder

    @staticmethod
    def can_play(item: Item) -> bool:
        """Whether a preview of item would play: a track whose audio file is there (the window shows its play
        button only then). Nothing is decoded, so a damaged file still says why when clip is asked."""
        if not _is_track(item):
            return False
        try:
            path = Path(item.source)
            return path.suffix.lower() in AUDIO_EXTENSIONS and path.is_file()
        except (OSError, ValueError):  # a source no file system takes (a NUL byte, a name too long)
            return False

    def clip(self, item_id: str, seconds: float = PREVIEW_SECONDS) -> Clip:
        """At most `seconds` from the middle of the item's file; UnknownItemError, or a ChatRecError saying why
        it cannot be played (not a track, a file that is gone or damaged)."""
        item = self._store.get_item(item_id)
        if not _is_track(item):
            raise ChatRecError(f"{item.title} is not a track in your music library: only tracks play a preview")
        return Clip(self._decoder.excerpt(item.source, seconds=seconds, sample_rate=PREVIEW_RATE), PREVIEW_RATE)


def _is_track(item: Item) -> bool:
    """A music item with a file to play: a film's source names its catalogue, a product's a CSV."""
    return item.domain == "music" and bool(item.source)
