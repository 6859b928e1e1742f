"""Extended M3U in UTF-8 (.m3u8): what players and media servers (Navidrome, Jellyfin) read."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from app.export import (
    ExportEntry,
    ExportOptions,
    Rendered,
    SkippedEntry,
    artist_of,
    duration_seconds,
    is_playable,
    locate,
    one_line,
)


def render_m3u8(entries: Sequence[ExportEntry], options: ExportOptions, playlist_dir: Path) -> Rendered:
    """#EXTM3U, #PLAYLIST and one #EXTINF line plus path per track; entries without a file are skipped."""
    lines = ["#EXTM3U", f"#PLAYLIST:{one_line(options.name)}"]
    skipped: list[SkippedEntry] = []
    written = 0
    for position, entry in enumerate(entries, start=1):
        item = entry.item
        reason = is_playable(item)
        if reason is not None:
            skipped.append(SkippedEntry(position, item.id, item.title, reason))
            continue
        seconds = duration_seconds(item)
        artist = artist_of(item)
        label = f"{artist} - {item.title}" if artist else item.title
        lines.append(f"#EXTINF:{round(seconds) if seconds is not None else -1},{one_line(label)}")
        lines.append(locate(item.source, playlist_dir, options))
        written += 1
    text = "\n".join(lines) + "\n"
    # Paths are written as the file system spells them: a name that is not valid UTF-8 keeps its
    # original bytes (surrogateescape) so the player still finds the file.
    return Rendered(text.encode("utf-8", "surrogateescape"), written, tuple(skipped))
