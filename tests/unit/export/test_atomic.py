"""Atomic writes: all or nothing, and never over a file the user did not agree to replace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.domain.errors import ChatRecError
from app.export.atomic import ExportError, ExportExistsError, neutralise_cell, write_atomic


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_writes_a_new_file(tmp_path: Path) -> None:
    target = tmp_path / "mix.m3u8"
    assert write_atomic(target, "héllo\n".encode()) == target
    assert target.read_text(encoding="utf-8") == "héllo\n"
    assert _leftovers(tmp_path) == []


def test_refuses_to_overwrite_and_says_how(tmp_path: Path) -> None:
    target = tmp_path / "mix.m3u8"
    target.write_text("old")
    with pytest.raises(ExportExistsError) as caught:
        write_atomic(target, b"new")
    assert isinstance(caught.value, ChatRecError)
    assert str(target) in str(caught.value) and "overwrite" in str(caught.value)
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_overwrites_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "mix.m3u8"
    target.write_text("old")
    write_atomic(target, b"new", overwrite=True)
    assert target.read_text() == "new"


def test_a_failure_mid_write_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "mix.m3u8"
    target.write_text("old")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(ExportError, match="No space left"):
        write_atomic(target, b"new" * 1000, overwrite=True)
    assert target.read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_a_failed_write_leaves_no_file_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(ExportError, match="could not write"):
        write_atomic(tmp_path / "mix.json", b"{}")
    assert list(tmp_path.iterdir()) == []


def test_file_systems_without_hard_links_still_get_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(src: object, dst: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "mix.csv"
    write_atomic(target, b"a,b\r\n")
    assert target.read_bytes() == b"a,b\r\n"
    assert _leftovers(tmp_path) == []


def test_a_file_that_appears_meanwhile_is_not_clobbered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "mix.csv"
    real_link = os.link

    def racing_link(src: str, dst: str) -> None:
        Path(dst).write_text("someone else's")  # another program saves the same name first
        real_link(src, dst)

    monkeypatch.setattr(os, "link", racing_link)
    with pytest.raises(ExportExistsError):
        write_atomic(target, b"ours")
    assert target.read_text() == "someone else's"
    assert _leftovers(tmp_path) == []


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        write_atomic(tmp_path / "nope" / "mix.xspf", b"x")


def test_a_folder_is_not_a_file_name(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="is a folder"):
        write_atomic(tmp_path, b"x", overwrite=True)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
def test_new_files_follow_the_umask_not_private_temp_modes(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "mix.m3u8", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "mix.m3u8").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize(("cell", "expected"), [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
    ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"),
    ("Fargo", "Fargo"), ("", ""), ("1996", "1996"), ("a=b", "a=b"),
])
def test_formula_cells_are_neutralised(cell: str, expected: str) -> None:
    assert neutralise_cell(cell) == expected
