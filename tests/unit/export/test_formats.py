"""The format registry: names, extensions, the single write entry point and its refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.domain.errors import ChatRecError, InputError
from app.export import ExportEntry
from app.export.atomic import ExportExistsError
from app.export.formats import FORMATS, format_for, guess_format, suggested_filename, supported, write_list
from tests.unit.export import movie, options, track


def test_unknown_format_names_the_supported_ones() -> None:
    with pytest.raises(InputError) as caught:
        format_for("wpl")
    message = str(caught.value)
    assert "'wpl'" in message
    for name in ("csv", "json", "jspf", "m3u8", "xspf"):
        assert name in message


def test_names_are_forgiving() -> None:
    assert format_for(".XSPF").name == "xspf"
    assert format_for("m3u").name == "m3u8"
    assert supported() == ["csv", "json", "jspf", "m3u8", "xspf"]
    assert {f.extension for f in FORMATS.values()} == {".csv", ".json", ".jspf", ".m3u8", ".xspf"}


def test_guess_and_suggest_file_names() -> None:
    assert guess_format(Path("a/Road Trip.M3U")) == "m3u8"
    assert guess_format(Path("notes.txt")) is None
    assert suggested_filename('AC/DC: "Best" <of>?', "xspf") == "AC_DC_ _Best_ _of_.xspf"
    assert suggested_filename("...", "csv") == "list.csv"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_writes_and_refuses_to_overwrite(tmp_path: Path, fmt: str) -> None:
    entries = [ExportEntry(track(str(tmp_path / "a.mp3"))), ExportEntry(movie())]
    target = tmp_path / suggested_filename("Mix", fmt)
    result = write_list(fmt, target, entries, options())
    assert result.path == target and result.format == fmt and target.stat().st_size > 0
    before = target.read_bytes()
    with pytest.raises(ExportExistsError, match="overwrite"):
        write_list(fmt, target, entries, options(name="Other"))
    assert target.read_bytes() == before
    write_list(fmt, target, entries[:1], options(name="Other", overwrite=True))
    assert target.read_bytes() != before


def test_a_bad_path_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ChatRecError, match="path mode"):
        write_list("m3u8", tmp_path / "x.m3u8", [], options(path_mode="sideways"))
    assert not (tmp_path / "x.m3u8").exists()


def test_an_empty_list_is_still_a_valid_file(tmp_path: Path) -> None:
    result = write_list("m3u8", tmp_path / "x.m3u8", [], options())
    assert result.written == 0 and (tmp_path / "x.m3u8").read_text() == "#EXTM3U\n#PLAYLIST:Road Trip\n"
