"""The list as plain JSON: everything Chat-Rec knows about each entry, for scripts and backups."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.domain.items import Rating
from app.export import ExportEntry, ExportOptions, Rendered


def render_json(entries: Sequence[ExportEntry], options: ExportOptions, playlist_dir: Path) -> Rendered:
    """{"name", "exported_at", "items": [{id, title, domain, year, creators, genres, rating, source, external_ids}]}."""
    del playlist_dir  # sources are kept exactly as the catalogue has them
    items = [{
        "id": entry.item.id,
        "title": entry.item.title,
        "domain": entry.item.domain,
        "year": entry.item.year,
        "creators": list(entry.item.creators),
        "genres": list(entry.item.genres),
        "rating": rating_json(entry.rating),
        "source": entry.item.source,
        "external_ids": dict(entry.item.external_ids),
    } for entry in entries]
    document = {"name": options.name, "exported_at": options.timestamp().isoformat(timespec="seconds"),
                "items": items}
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return Rendered(text.encode("utf-8", "replace"), len(items))


def rating_json(rating: Rating | None) -> dict[str, Any] | None:
    """A rating as {"stars": 4.0, "thumb": null, "rated_at": ISO time}, or None when unrated."""
    if rating is None:
        return None
    rated_at = datetime.fromtimestamp(rating.timestamp, UTC).isoformat(timespec="seconds")
    return {"stars": rating.stars, "thumb": rating.thumb, "rated_at": rated_at if rating.timestamp else None}
