"""Downloading a MovieLens release from GroupLens, with the user's consent: size first, resumable, checked.

GroupLens's terms let each person download the data for themselves but not redistribute it, so the
app never ships it: the user chooses a release, is shown its size and the terms, and agrees. The
file arrives as ``NAME.zip.part`` in the cache folder; a download that stops (cancel, a dropped line)
resumes from where it was with an HTTP Range request; the finished file is checked against the MD5
sum GroupLens publishes beside it (``NAME.zip.md5``) before it is renamed into place.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import urllib.error
import urllib.request
from pathlib import Path

from app.domain.errors import ChatRecError, InputError
from app.domain.movielens import RELEASES, ReleaseInfo
from app.domain.progress import CancelToken, ProgressCallback, no_progress

GROUPLENS = "https://files.grouplens.org/datasets/movielens"
_CHUNK = 1 << 16
_TIMEOUT_S = 30.0


def release_info(release: str, base_url: str | None = None) -> ReleaseInfo:
    """The release's address and size (a HEAD request), to show before the download is agreed to."""
    url = _url(release, base_url)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=_TIMEOUT_S) as answer:
            length = answer.headers.get("Content-Length")
    except (urllib.error.URLError, OSError) as exc:
        raise ChatRecError(f"cannot reach GroupLens for {release} ({_reason(exc)}): check the connection, or "
                           "download the zip yourself and import it with `import movielens --from`") from exc
    return ReleaseInfo(release, url, int(length) if length and length.isdigit() else None)


def download_release(release: str, folder: Path, progress: ProgressCallback = no_progress,
                     cancel: CancelToken | None = None, base_url: str | None = None) -> Path:
    """The release's zip in folder, downloaded (or resumed) and checked against GroupLens's MD5 sum."""
    url = _url(release, base_url)
    folder.mkdir(parents=True, exist_ok=True)
    final, part = folder / f"{release}.zip", folder / f"{release}.zip.part"
    expected = _published_md5(url)
    if final.is_file() and _md5(final) == expected:
        return final  # downloaded and checked before
    have = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as answer:
            if have and answer.status != 206:
                have = 0  # the server sent the whole file again: start over
            length = answer.headers.get("Content-Length")
            total = have + int(length) if length and length.isdigit() else 0
            with part.open("ab" if have else "wb") as out:
                done = have
                while chunk := answer.read(_CHUNK):
                    out.write(chunk)
                    done += len(chunk)
                    progress(done, total, f"downloading {release} ({done / 1e6:.1f} MB)")
                    if cancel is not None:
                        cancel.raise_if_cancelled()  # the part stays: the next try resumes from here
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise ChatRecError(f"the download of {release} stopped ({_reason(exc)}); try again: it resumes "
                           "where it stopped") from exc
    if total and done < total:  # the line dropped without an error: the part is kept for the next try
        raise ChatRecError(f"the download of {release} stopped at {done / 1e6:.1f} of {total / 1e6:.1f} MB; try "
                           "again: it resumes where it stopped")
    if _md5(part) != expected:
        part.unlink()
        raise InputError(f"the downloaded {release}.zip does not match the MD5 sum GroupLens publishes; it was "
                         "removed: try again", file=str(final))
    part.replace(final)
    return final


def _url(release: str, base_url: str | None) -> str:
    if release not in RELEASES:
        raise InputError(f"unknown MovieLens release '{release}': choose one of {', '.join(RELEASES)}",
                         field="release")
    return f"{(base_url or GROUPLENS).rstrip('/')}/{release}.zip"


def _published_md5(url: str) -> str:
    try:
        with urllib.request.urlopen(url + ".md5", timeout=_TIMEOUT_S) as answer:
            text = answer.read(4096).decode("ascii", errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        raise ChatRecError(f"cannot fetch the checksum {url}.md5 ({_reason(exc)}); nothing was downloaded") from exc
    found = re.search(r"\b[0-9a-fA-F]{32}\b", text)
    if found is None:
        raise ChatRecError(f"{url}.md5 holds no MD5 sum; nothing was downloaded")
    return found.group(0).lower()


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    reason = getattr(exc, "reason", None)
    return str(reason or exc)
