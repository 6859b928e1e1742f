"""XSPF: well-formed XML in the xspf.org namespace, read back by independent parsers."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from app.export import ExportEntry
from app.export.formats import write_list
from tests.unit.export import MBID, NASTY, movie, options, product, track, xmllint, xmllint_check

NS = {"x": "http://xspf.org/ns/0/"}


def _export(tmp_path: Path, entries: list[ExportEntry], **changes: Any) -> ET.Element:
    path = tmp_path / "mix.xspf"
    write_list("xspf", path, entries, options(**changes))
    return ET.parse(path).getroot()


def test_playlist_and_track_fields(tmp_path: Path) -> None:
    song = tmp_path / "Nirvana" / "Teen Spirit.flac"
    root = _export(tmp_path, [ExportEntry(track(str(song)))])
    assert root.tag == "{http://xspf.org/ns/0/}playlist" and root.get("version") == "1"
    assert root.findtext("x:title", namespaces=NS) == "Road Trip"
    assert root.findtext("x:date", namespaces=NS) == "2024-05-17T12:30:00+00:00"
    (item,) = root.findall("x:trackList/x:track", NS)
    assert item.findtext("x:location", namespaces=NS) == song.as_uri()
    assert item.findtext("x:identifier", namespaces=NS) == f"https://musicbrainz.org/recording/{MBID}"
    assert item.findtext("x:title", namespaces=NS) == "Teen Spirit"
    assert item.findtext("x:creator", namespaces=NS) == "Nirvana"
    assert item.findtext("x:album", namespaces=NS) == "Nevermind"
    assert item.findtext("x:duration", namespaces=NS) == "301400"
    # XSPF fixes the order of a track's children
    assert [child.tag.split("}")[1] for child in item] == ["location", "identifier", "title", "creator", "album",
                                                         "duration"]


def test_xml_specials_and_non_ascii_round_trip(tmp_path: Path) -> None:
    song = tmp_path / "R&R <1>" / "café #1?.mp3"
    root = _export(tmp_path, [ExportEntry(track(str(song), NASTY, artist="Simon & Garfunkel"))], name=NASTY)
    assert root.findtext("x:title", namespaces=NS) == NASTY
    item = root.find("x:trackList/x:track", NS)
    assert item is not None
    assert item.findtext("x:title", namespaces=NS) == NASTY
    assert item.findtext("x:creator", namespaces=NS) == "Simon & Garfunkel"
    location = item.findtext("x:location", namespaces=NS) or ""
    assert location == song.as_uri()
    assert "caf%C3%A9%20%231%3F.mp3" in location and "R%26R%20%3C1%3E" in location
    raw = (tmp_path / "mix.xspf").read_text(encoding="utf-8")
    assert "Rock &amp; Roll &lt;Live&gt;" in raw


def test_characters_xml_cannot_hold_are_dropped(tmp_path: Path) -> None:
    root = _export(tmp_path, [ExportEntry(track(str(tmp_path / "a.mp3"), "bell\x07 and null\x00"))])
    assert root.findtext("x:trackList/x:track/x:title", namespaces=NS) == "bell and null"


def test_movies_and_products_have_no_location(tmp_path: Path) -> None:
    root = _export(tmp_path, [ExportEntry(movie(imdb="0116282")), ExportEntry(product())])
    film, grinder = root.findall("x:trackList/x:track", NS)
    assert film.find("x:location", NS) is None and grinder.find("x:location", NS) is None
    assert film.findtext("x:title", namespaces=NS) == "Fargo"
    assert film.findtext("x:identifier", namespaces=NS) == "https://www.imdb.com/title/tt0116282/"
    assert film.findtext("x:annotation", namespaces=NS) == "movie, 1996. Crime, Thriller. a dark crime thriller"
    assert grinder.findtext("x:annotation", namespaces=NS, default="").startswith("product. coffee")


def test_relative_and_mapped_locations(tmp_path: Path) -> None:
    entries = [ExportEntry(track(str(tmp_path / "sub dir" / "a b.mp3"))),
               ExportEntry(track("/home/me/Music/é.mp3", item_id="music:2"))]
    root = _export(tmp_path, entries, path_mode="relative", path_map={"/home/me/Music": "/music"})
    locations = [t.findtext("x:location", namespaces=NS) for t in root.findall("x:trackList/x:track", NS)]
    assert locations == ["sub%20dir/a%20b.mp3", "file:///music/%C3%A9.mp3"]


@pytest.mark.skipif(xmllint() is None, reason="xmllint (libxml2-utils) is not available")
def test_xmllint_finds_it_well_formed(tmp_path: Path) -> None:
    entries = [ExportEntry(track(str(tmp_path / "é & <x>.mp3"), NASTY)), ExportEntry(movie(NASTY))]
    _export(tmp_path, entries, name=NASTY)
    checked = xmllint_check(tmp_path / "mix.xspf")
    assert checked.returncode == 0, checked.stderr
