"""The export formats by name, and the one entry point that renders a list and writes it atomically."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.domain.errors import InputError
from app.export import PATH_MODES, ExportEntry, ExportOptions, ExportResult, Rendered
from app.export.atomic import write_atomic
from app.export.csv_export import render_csv
from app.export.json_export import render_json
from app.export.jspf import render_jspf
from app.export.m3u8 import render_m3u8
from app.export.xspf import render_xspf

Renderer = Callable[[Sequence[ExportEntry], ExportOptions, Path], Rendered]


@dataclass(frozen=True)
class ExportFormat:
    """A format's name, its file extension, its media type and the function that renders it."""

    name: str
    extension: str  # with the dot: ".m3u8"
    media_type: str
    description: str
    render: Renderer


FORMATS: Mapping[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("m3u8", ".m3u8", "audio/x-mpegurl", "extended M3U playlist (tracks with files only)", render_m3u8),
    ExportFormat("xspf", ".xspf", "application/xspf+xml", "XSPF 1 XML playlist", render_xspf),
    ExportFormat("jspf", ".jspf", "application/json", "JSPF playlist, as ListenBrainz reads it", render_jspf),
    ExportFormat("csv", ".csv", "text/csv", "CSV table (Letterboxd's import columns for movies)", render_csv),
    ExportFormat("json", ".json", "application/json", "JSON with every entry's details", render_json),
)}
_ALIASES = {"m3u": "m3u8"}
_UNSAFE_NAME = re.compile(r'[\x00-\x1f<>:"/\\|?*]+')


def supported() -> list[str]:
    """The format names, sorted."""
    return sorted(FORMATS)


def format_for(name: str) -> ExportFormat:
    """The format with this name (any case, with or without a dot); InputError lists the supported ones."""
    key = name.strip().lower().lstrip(".")
    key = _ALIASES.get(key, key)
    if key not in FORMATS:
        raise InputError(f"unknown export format '{name}': choose one of {', '.join(supported())}",
                         field="format")
    return FORMATS[key]


def guess_format(path: Path) -> str | None:
    """The format a file name's extension suggests ('mix.xspf' -> 'xspf'), or None."""
    suffix = Path(path).suffix.lower().lstrip(".")
    suffix = _ALIASES.get(suffix, suffix)
    return suffix if suffix in FORMATS else None


def suggested_filename(list_name: str, fmt: str) -> str:
    """A file name for a list that every desktop file system accepts, e.g. 'Road Trip.m3u8'."""
    stem = _UNSAFE_NAME.sub("_", list_name).strip(" .") or "list"
    return stem + format_for(fmt).extension


def write_list(fmt: str, path: Path, entries: Sequence[ExportEntry], options: ExportOptions) -> ExportResult:
    """Render entries in format fmt and write them to path atomically; reports what was left out."""
    chosen = format_for(fmt)
    if options.path_mode not in PATH_MODES:
        raise InputError(f"unknown path mode '{options.path_mode}': choose one of {', '.join(PATH_MODES)}",
                         field="path_mode")
    target = Path(path).expanduser()
    rendered = chosen.render(entries, options, target.parent)
    written = write_atomic(target, rendered.data, overwrite=options.overwrite)
    return ExportResult(written, chosen.name, rendered.written, rendered.skipped)
