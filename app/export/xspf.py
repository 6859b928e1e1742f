"""XSPF version 1 (http://xspf.org/ns/0/): the XML playlist VLC, Strawberry and ListenBrainz read."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from app.export import (
    ExportEntry,
    ExportOptions,
    Rendered,
    annotation_of,
    artist_of,
    duration_seconds,
    imdb_uri,
    is_playable,
    locate,
    location_uri,
    recording_uri,
)

XSPF_NS = "http://xspf.org/ns/0/"
# Characters XML 1.0 cannot hold at all (not even escaped), and lone surrogates from undecodable names.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def render_xspf(entries: Sequence[ExportEntry], options: ExportOptions, playlist_dir: Path) -> Rendered:
    """The playlist as XSPF: tracks get location, identifier, title, creator, album, duration (ms).

    Movies and products are kept as tracks with title, creator and annotation but no location.
    """
    # Unqualified tags plus an xmlns attribute: ElementTree's default_namespace option refuses
    # unqualified attributes such as version.
    root = ET.Element("playlist", version="1", xmlns=XSPF_NS)
    _text(root, "title", options.name)
    _text(root, "creator", options.creator)
    _text(root, "date", options.timestamp().isoformat(timespec="seconds"))
    track_list = ET.SubElement(root, "trackList")
    for entry in entries:
        item = entry.item
        track = ET.SubElement(track_list, "track")
        music = item.domain == "music"
        # XSPF fixes the order of a track's children: location, identifier, title, creator,
        # annotation, info, image, album, trackNum, duration.
        if music and is_playable(item) is None:
            _text(track, "location", location_uri(locate(item.source, playlist_dir, options)))
        identifier = recording_uri(item) if music else imdb_uri(item)
        if identifier:
            _text(track, "identifier", identifier)
        _text(track, "title", item.title)
        _text(track, "creator", artist_of(item))
        if not music:
            _text(track, "annotation", annotation_of(item))
        _text(track, "album", item.attributes.get("album", ""))
        seconds = duration_seconds(item)
        if seconds is not None:
            _text(track, "duration", str(round(seconds * 1000)))
    ET.indent(root, space="  ")
    buffer = io.BytesIO()
    ET.ElementTree(root).write(buffer, encoding="utf-8", xml_declaration=True)
    buffer.write(b"\n")
    return Rendered(buffer.getvalue(), len(entries))


def _text(parent: ET.Element, name: str, value: str) -> None:
    # ElementTree escapes & < > " itself; characters XML cannot carry at all are dropped.
    clean = _NOT_XML.sub("", value).strip()
    if clean:
        ET.SubElement(parent, name).text = clean
