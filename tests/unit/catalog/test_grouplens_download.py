"""Downloading a release from GroupLens, against a local HTTP server: size, resume, checksum, failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.catalog.grouplens import read_grouplens
from app.catalog.grouplens_download import download_release, release_info
from app.domain.errors import CancelledError, ChatRecError, InputError
from app.domain.progress import CancelToken
from tests.fakes.grouplens_server import Files, publish
from tests.unit.catalog.test_grouplens import ML_LATEST, zipped


def test_the_size_is_known_before_downloading_and_the_download_is_checked(grouplens: tuple[str, Files],
                                                                         tmp_path: Path) -> None:
    url, files = grouplens
    release = zipped(tmp_path, "source.zip", ML_LATEST).read_bytes()
    publish(files, release)
    assert release_info("ml-latest-small", url).size_bytes == len(release)
    seen: list[tuple[int, int]] = []
    path = download_release("ml-latest-small", tmp_path / "dl", lambda d, t, m: seen.append((d, t)), base_url=url)
    assert path.read_bytes() == release and seen[-1] == (len(release), len(release))
    assert len(read_grouplens(path).ratings) == 2  # what arrived imports


def test_a_dropped_download_resumes_where_it_stopped(grouplens: tuple[str, Files], tmp_path: Path) -> None:
    url, files = grouplens
    release = bytes(range(256)) * 400  # 100 KB, not a zip: only the bytes matter here
    publish(files, release)
    files.cut_after = 30_000
    with pytest.raises(ChatRecError):
        download_release("ml-latest-small", tmp_path, base_url=url)
    assert (tmp_path / "ml-latest-small.zip.part").stat().st_size == 30_000
    path = download_release("ml-latest-small", tmp_path, base_url=url)
    assert files.ranges == ["bytes=30000-"] and path.read_bytes() == release


def test_cancel_keeps_the_part_for_the_next_try(grouplens: tuple[str, Files], tmp_path: Path) -> None:
    url, files = grouplens
    publish(files, bytes(300_000))
    token = CancelToken()

    def progress(done: int, total: int, message: str) -> None:
        token.cancel()

    with pytest.raises(CancelledError):
        download_release("ml-latest-small", tmp_path, progress, token, base_url=url)
    assert (tmp_path / "ml-latest-small.zip.part").is_file() and not (tmp_path / "ml-latest-small.zip").exists()


def test_a_file_that_does_not_match_the_published_sum_is_removed(grouplens: tuple[str, Files], tmp_path: Path) -> None:
    url, files = grouplens
    publish(files, b"something else entirely", md5="0" * 32)
    with pytest.raises(InputError, match="does not match the MD5 sum"):
        download_release("ml-latest-small", tmp_path, base_url=url)
    assert list(tmp_path.iterdir()) == []


def test_a_release_the_server_lacks_or_an_unknown_name_says_so(grouplens: tuple[str, Files], tmp_path: Path) -> None:
    url, _files = grouplens
    with pytest.raises(ChatRecError, match="HTTP 404"):
        download_release("ml-25m", tmp_path, base_url=url)
    with pytest.raises(InputError, match="unknown MovieLens release 'ml-3m'"):
        download_release("ml-3m", tmp_path, base_url=url)
