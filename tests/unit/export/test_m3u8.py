"""Extended M3U: the lines players read, paths as asked, entries without a file reported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.export import ExportEntry
from app.export.formats import write_list
from tests.unit.export import movie, options, product, track


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_header_extinf_and_absolute_paths(tmp_path: Path) -> None:
    song = tmp_path / "Music" / "Nirvana" / "01 Teen Spirit.flac"
    entries = [ExportEntry(track(str(song))),
               ExportEntry(track(str(tmp_path / "x.ogg"), "Untitled", artist="", duration="", item_id="music:2"))]
    result = write_list("m3u8", tmp_path / "mix.m3u8", entries, options())
    assert result.written == 2 and result.skipped == ()
    assert _lines(tmp_path / "mix.m3u8") == [
        "#EXTM3U", "#PLAYLIST:Road Trip",
        "#EXTINF:301,Nirvana - Teen Spirit", str(song),
        "#EXTINF:-1,Untitled", str(tmp_path / "x.ogg"),
    ]


def test_entries_without_a_file_are_skipped_with_the_reason(tmp_path: Path) -> None:
    entries = [ExportEntry(movie()), ExportEntry(track(str(tmp_path / "a.mp3"))), ExportEntry(product()),
               ExportEntry(track("", "Lost", item_id="music:lost"))]
    result = write_list("m3u8", tmp_path / "mix.m3u8", entries, options())
    assert result.written == 1
    assert [(s.position, s.item_id) for s in result.skipped] == [(1, "movie:fargo"), (3, "product:grinder"),
                                                               (4, "music:lost")]
    assert "not a music track" in result.skipped[0].reason
    assert "no file" in result.skipped[2].reason
    assert [line for line in _lines(tmp_path / "mix.m3u8") if not line.startswith("#")] == [str(tmp_path / "a.mp3")]


def test_relative_paths_are_relative_to_the_playlist_folder(tmp_path: Path) -> None:
    music = tmp_path / "Music"
    (tmp_path / "Playlists").mkdir()
    entries = [ExportEntry(track(str(music / "A" / "one.mp3"))),
               ExportEntry(track(str(tmp_path / "Playlists" / "sub" / "two.mp3"), item_id="music:2"))]
    write_list("m3u8", tmp_path / "Playlists" / "mix.m3u8", entries, options(path_mode="relative"))
    paths = [line for line in _lines(tmp_path / "Playlists" / "mix.m3u8") if not line.startswith("#")]
    assert paths == [os.path.join("..", "Music", "A", "one.mp3"), os.path.join("sub", "two.mp3")]


def test_relative_paths_fall_back_to_absolute_across_drives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def other_drive(path: str, start: str | None = None) -> str:
        raise ValueError("path is on mount 'D:', start on mount 'C:'")

    monkeypatch.setattr(os.path, "relpath", other_drive)
    song = str(tmp_path / "a.mp3")
    write_list("m3u8", tmp_path / "mix.m3u8", [ExportEntry(track(song))], options(path_mode="relative"))
    assert _lines(tmp_path / "mix.m3u8")[-1] == song


def test_path_map_rewrites_prefixes_for_a_media_server(tmp_path: Path) -> None:
    entries = [ExportEntry(track("/home/me/Music/Nirvana/a.flac")),
               ExportEntry(track("/home/me/Musicals/Cats/b.flac", item_id="music:2")),
               ExportEntry(track("/home/me/Music/Live/c.flac", item_id="music:3"))]
    mapping = {"/home/me/Music/": "/music", "/home/me/Music/Live": "/live"}
    write_list("m3u8", tmp_path / "mix.m3u8", entries, options(path_map=mapping, path_mode="relative"))
    paths = [line for line in _lines(tmp_path / "mix.m3u8") if not line.startswith("#")]
    # the longest prefix wins; /home/me/Musicals is another folder, so it follows path_mode instead
    assert paths[0] == "/music/Nirvana/a.flac"
    assert paths[2] == "/live/c.flac"
    assert paths[1] == os.path.relpath("/home/me/Musicals/Cats/b.flac", tmp_path)


def test_windows_library_mapped_to_a_server_uses_forward_slashes(tmp_path: Path) -> None:
    entries = [ExportEntry(track("C:\\Users\\me\\Music\\Nirvana\\a b.flac"))]
    write_list("m3u8", tmp_path / "mix.m3u8", entries, options(path_map={"C:\\Users\\me\\Music": "/srv/music"}))
    assert _lines(tmp_path / "mix.m3u8")[-1] == "/srv/music/Nirvana/a b.flac"


def test_non_ascii_and_line_breaks_survive_as_one_line_each(tmp_path: Path) -> None:
    song = str(tmp_path / "Sigur Rós" / "Hoppípolla.ogg")
    entries = [ExportEntry(track(song, "Hoppípolla\nlive", artist="Sigur Rós"))]
    write_list("m3u8", tmp_path / "mix.m3u8", entries, options(name="Ísland\r\nmix"))
    assert _lines(tmp_path / "mix.m3u8") == ["#EXTM3U", "#PLAYLIST:Ísland mix",
                                             "#EXTINF:301,Sigur Rós - Hoppípolla live", song]


@pytest.mark.skipif(os.name == "nt", reason="undecodable file names are a POSIX thing")
def test_undecodable_file_names_keep_their_bytes(tmp_path: Path) -> None:
    raw = os.fsencode(str(tmp_path)) + b"/caf\xe9.mp3"  # Latin-1 name on a UTF-8 system
    write_list("m3u8", tmp_path / "mix.m3u8", [ExportEntry(track(os.fsdecode(raw)))], options())
    assert (tmp_path / "mix.m3u8").read_bytes().splitlines()[-1] == raw
