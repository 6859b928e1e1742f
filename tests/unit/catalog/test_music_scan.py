"""Folder scans: what is found, what is skipped and why, on trees built with the awkward cases."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from app.catalog.music_scan import ScanResult, scan_folders
from app.domain.errors import AudioFileError, CancelledError
from app.domain.progress import CancelToken


def touch(path: Path, content: bytes = b"audio!") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def found_paths(result: ScanResult) -> list[str]:
    return [f.path for f in result.found]


def reasons(result: ScanResult) -> dict[str, str]:
    return {s.path: s.reason for s in result.skipped}


def test_nested_folders_and_extension_case(tmp_path: Path) -> None:
    a = touch(tmp_path / "Artist" / "Album" / "01 Song.MP3")
    b = touch(tmp_path / "Artist" / "Other" / "Deep" / "x.Flac")
    c = touch(tmp_path / "top.ogg", b"12345")
    for name in ("cover.jpg", "notes.txt", "playlist.m3u", "noext"):
        touch(tmp_path / "Artist" / "Album" / name)
    result = scan_folders([str(tmp_path)])
    assert found_paths(result) == sorted([str(a), str(b), str(c)])
    assert result.skipped == ()
    top = next(f for f in result.found if f.path == str(c))
    assert (top.root, top.size, top.mtime_ns) == (str(tmp_path), 5, os.stat(c).st_mtime_ns)


def test_relative_root_gives_absolute_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(tmp_path / "lib" / "a.wav")
    monkeypatch.chdir(tmp_path)
    result = scan_folders(["lib"])
    assert found_paths(result) == [str(tmp_path / "lib" / "a.wav")]
    assert result.found[0].root == str(tmp_path / "lib")


def test_symlink_loop_terminates_and_is_recorded(tmp_path: Path) -> None:
    song = touch(tmp_path / "A" / "B" / "s.ogg")
    (tmp_path / "A" / "B" / "up").symlink_to(tmp_path / "A", target_is_directory=True)
    result = scan_folders([str(tmp_path)])
    assert found_paths(result) == [str(song)]
    assert reasons(result) == {str(tmp_path / "A" / "B" / "up"): f"symlink loop: leads back to {tmp_path / 'A'}"}


def test_link_to_the_root_itself_is_a_loop(tmp_path: Path) -> None:
    touch(tmp_path / "s.ogg")
    (tmp_path / "self").symlink_to(tmp_path, target_is_directory=True)
    assert reasons(scan_folders([str(tmp_path)])) == {str(tmp_path / "self"): f"symlink loop: leads back to {tmp_path}"}


def test_symlinked_folder_outside_the_root_is_followed(tmp_path: Path) -> None:
    outside = touch(tmp_path / "elsewhere" / "x.opus")
    root = tmp_path / "lib"
    root.mkdir()
    (root / "linked").symlink_to(outside.parent, target_is_directory=True)
    result = scan_folders([str(root)])
    assert found_paths(result) == [str(root / "linked" / "x.opus")]  # the path as found, not resolved


def test_same_file_through_a_symlinked_folder_is_deduplicated(tmp_path: Path) -> None:
    song = touch(tmp_path / "Real" / "s.ogg")
    (tmp_path / "Zlink").symlink_to(tmp_path / "Real", target_is_directory=True)
    result = scan_folders([str(tmp_path)])
    assert found_paths(result) == [str(song)]
    assert reasons(result) == {str(tmp_path / "Zlink"): f"same folder as {tmp_path / 'Real'}"}


def test_same_file_through_a_file_symlink_or_hard_link_is_deduplicated(tmp_path: Path) -> None:
    song = touch(tmp_path / "a.ogg")
    (tmp_path / "b.ogg").symlink_to(song)
    os.link(song, tmp_path / "c.ogg")
    result = scan_folders([str(tmp_path)])
    assert found_paths(result) == [str(song)]
    assert reasons(result) == {str(tmp_path / "b.ogg"): f"same file as {song}",
                               str(tmp_path / "c.ogg"): f"same file as {song}"}


def test_overlapping_roots_list_a_file_once(tmp_path: Path) -> None:
    song = touch(tmp_path / "sub" / "a.ogg")
    result = scan_folders([str(tmp_path), str(tmp_path / "sub")])
    assert found_paths(result) == [str(song)]
    assert reasons(result) == {str(tmp_path / "sub"): f"same folder as {tmp_path / 'sub'}"}


def test_fifo_with_audio_name_is_skipped_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "x.ogg")
    assert reasons(scan_folders([str(tmp_path)])) == {str(tmp_path / "x.ogg"): "a named pipe (FIFO), not a file"}


def test_empty_appledouble_and_broken_link_are_recorded(tmp_path: Path) -> None:
    touch(tmp_path / "empty.flac", b"")
    touch(tmp_path / "._x.mp3", b"\x00\x05\x16\x07")
    touch(tmp_path / "._cover.jpg")  # AppleDouble of a non-audio file: not worth a line
    (tmp_path / "dangling.mp3").symlink_to(tmp_path / "nowhere.mp3")
    (tmp_path / "dangling-folder").symlink_to(tmp_path / "gone", target_is_directory=True)
    result = scan_folders([str(tmp_path)])
    assert result.found == ()
    assert reasons(result) == {str(tmp_path / "empty.flac"): "empty file (0 bytes)",
                               str(tmp_path / "._x.mp3"): "macOS metadata file, not audio",
                               str(tmp_path / "dangling.mp3"): "broken symlink",
                               str(tmp_path / "dangling-folder"): "broken symlink"}


def test_hidden_folders_are_skipped_silently(tmp_path: Path) -> None:
    touch(tmp_path / ".Trash" / "old.mp3")
    touch(tmp_path / ".git" / "x.ogg")
    kept = touch(tmp_path / "a.mp3")
    result = scan_folders([str(tmp_path)])
    assert (found_paths(result), result.skipped) == ([str(kept)], ())


def test_unlistable_folder_is_recorded_and_the_scan_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(tmp_path / "Locked" / "secret.ogg")
    kept = touch(tmp_path / "Open" / "song.ogg")
    locked = str(tmp_path / "Locked")
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = scan_folders([str(tmp_path)])
    assert found_paths(result) == [str(kept)]
    assert reasons(result) == {locked: "cannot open folder: Permission denied"}


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root lists folders whatever their mode")
def test_unlistable_folder_by_mode(tmp_path: Path) -> None:
    touch(tmp_path / "Locked" / "secret.ogg")
    (tmp_path / "Locked").chmod(0)
    try:
        assert reasons(scan_folders([str(tmp_path)])) == {
            str(tmp_path / "Locked"): "cannot open folder: Permission denied"}
    finally:
        (tmp_path / "Locked").chmod(0o755)


def test_missing_root_raises(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="no such folder") as info:
        scan_folders([str(tmp_path / "nope")])
    assert info.value.path == str(tmp_path / "nope")


def test_a_file_as_root_raises(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="not a folder"):
        scan_folders([str(touch(tmp_path / "a.mp3"))])


def test_cancel_raises(tmp_path: Path) -> None:
    touch(tmp_path / "a.mp3")
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError, match="the music scan was cancelled"):
        scan_folders([str(tmp_path)], token)


def test_cancel_midway_through_a_big_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(600):
        touch(tmp_path / f"{i:04d}.ogg")
    token = CancelToken()
    real_scandir = os.scandir

    def scandir(path: Any = ".") -> Any:
        token.cancel()  # after the folder-level check: only the per-entry check can stop it
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(CancelledError):
        scan_folders([str(tmp_path)], token)


def test_a_thousand_files(tmp_path: Path) -> None:
    for folder in range(20):
        for i in range(50):
            touch(tmp_path / f"Artist {folder}" / f"{i:02d} - Song.flac", b"x")
    result = scan_folders([str(tmp_path)])
    assert len(result.found) == 1000 and result.skipped == ()
    assert found_paths(result) == sorted(found_paths(result))
