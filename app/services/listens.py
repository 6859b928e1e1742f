"""Listening history as implicit ratings: plays matched to library tracks by MusicBrainz id, else artist + title."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.catalog.listens import implicit_stars, match_key, read_listens
from app.domain.errors import ChatRecError
from app.domain.items import ME, Item, RatingRow
from app.domain.music import Listen
from app.domain.progress import ProgressCallback, no_progress
from app.store.sqlite import CatalogueImport, SQLiteStore

log = logging.getLogger(__name__)
_EXAMPLES = 10


@dataclass(frozen=True)
class ListensReport:
    """What a history import matched, rated and could not place."""

    source: str  # listenbrainz | lastfm
    listens: int
    matched: int  # library tracks with at least one play
    rated: int  # of them, rated from plays
    kept: int  # of them, already rated by the user at the desk: left as they were
    unmatched: int  # distinct tracks played that are not in the library
    unmatched_tracks: tuple[str, ...] = ()  # every one of them, "artist - title", sorted

    @property
    def unmatched_examples(self) -> tuple[str, ...]:
        """The first few unmatched tracks, for a one-screen summary."""
        return self.unmatched_tracks[:_EXAMPLES]


class TrackMatcher:
    """Finds library tracks by recording MBID or by normalised artist and title."""

    def __init__(self, tracks: Iterable[Item]) -> None:
        self._by_mbid: dict[str, str] = {}
        self._by_key: dict[str, str] = {}
        for track in tracks:
            mbid = track.external_ids.get("musicbrainz_recording", "")
            if mbid:
                self._by_mbid.setdefault(mbid, track.id)
            for artist in track.creators or ("",):
                self._by_key.setdefault(match_key(artist, track.title), track.id)

    def find(self, listen: Listen) -> str | None:
        """The id of the track this listen was of, or None."""
        if listen.recording_mbid and listen.recording_mbid in self._by_mbid:
            return self._by_mbid[listen.recording_mbid]
        return self._by_key.get(match_key(listen.artist, listen.title))


class ListeningHistory:
    """Imports a listening history as the desk user's implicit ratings; a re-import of the same service replaces it."""

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store

    def import_file(self, path: Path, progress: ProgressCallback = no_progress) -> ListensReport:
        """Read a ListenBrainz, Spotify or Last.fm export, match it to the library, and rate the tracks played."""
        return self.import_files([path], progress)

    def import_files(self, paths: Sequence[Path], progress: ProgressCallback = no_progress) -> ListensReport:
        """One service's exports together (Spotify sends a year per file): matched, rated, replacing the last."""
        progress(0, 0, "reading " + ", ".join(str(p) for p in paths))
        read = [read_listens(path) for path in paths]
        sources = {source for source, _ in read}
        if len(sources) > 1:
            raise ChatRecError(f"these files come from different services ({', '.join(sorted(sources))}): "
                               "import them one service at a time")
        source, listens = sources.pop(), [listen for _, part in read for listen in part]
        path = ", ".join(str(p) for p in paths)
        tracks = self._store.items("music")
        if not tracks:
            raise ChatRecError("the music library is empty: import your music first "
                               "(`chatrec import music DIR`), then the listening history")
        plays, last, missing = _count_plays(TrackMatcher(tracks), listens)
        desk = self._store.rated_at_desk(ME)
        rows: list[RatingRow] = [(ME, item_id, implicit_stars(n), last[item_id]) for item_id, n in plays.items()]
        self._store.require_user(ME)
        # The store never lets a file overwrite a rating made at the desk, so those are simply kept.
        self._store.import_catalogue(CatalogueImport("listens", f"listens:{source}", str(path), (), (), rows),
                                     progress)
        kept = len(desk & set(plays))
        log.info("%s history %s: %d listens, %d tracks matched, %d not in the library",
                 source, path, len(listens), len(plays), len(missing))
        return ListensReport(source, len(listens), len(plays), len(plays) - kept, kept, len(missing),
                             tuple(sorted(missing)))


def _count_plays(matcher: TrackMatcher, listens: Sequence[Listen]) -> tuple[dict[str, int], dict[str, float], set[str]]:
    """Plays and last play time per matched track id, and the artist - title of what did not match."""
    plays: dict[str, int] = {}
    last: dict[str, float] = {}
    missing: set[str] = set()
    for listen in listens:
        item_id = matcher.find(listen)
        if item_id is None:
            missing.add(f"{listen.artist} - {listen.title}")
            continue
        plays[item_id] = plays.get(item_id, 0) + 1
        last[item_id] = max(last.get(item_id, 0.0), listen.timestamp)
    return plays, last, missing
