"""Bring your own taste: one entry point for the histories people keep, whatever service they come from.

Films (Letterboxd, IMDb) go to the film diary, music plays (Spotify, ListenBrainz, Last.fm) to the
listening history; which one is told from the files. Both report in one shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from app.catalog.spotify import is_spotify
from app.domain.errors import InputError
from app.domain.progress import ProgressCallback, no_progress
from app.services.film_history import FilmDiary, HistoryReport
from app.services.listens import ListeningHistory


class HistoryImport:
    """Imports film diaries and listening histories, detected from the files themselves."""

    def __init__(self, films: FilmDiary, music: ListeningHistory) -> None:
        self.films = films
        self.music = music

    def import_files(self, paths: Sequence[Path], progress: ProgressCallback = no_progress,
                     choices: Mapping[tuple[str, int | None], str] | None = None) -> HistoryReport:
        """Import one service's export files and report what matched, what was saved and what was not; choices
        settle the films that fitted several (see FilmDiary.import_files)."""
        if not paths:
            raise InputError("name at least one export file")
        plays = [is_spotify(path) for path in paths]
        if any(plays) and not all(plays):
            raise InputError("mixes a Spotify history with other files: import one service at a time",
                             file=", ".join(str(p) for p in paths))
        if not all(plays):
            return self.films.import_files(paths, progress, choices)
        report = self.music.import_files(paths, progress)
        return HistoryReport(report.source, report.listens, report.matched, report.rated, (),
                             report.unmatched_tracks, (), unit="plays")
