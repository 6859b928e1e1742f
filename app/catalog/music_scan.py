"""Find the audio files under the user's music folders, and say why any were left out."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.catalog.files import not_a_file
from app.domain.errors import AudioFileError
from app.domain.music import AUDIO_EXTENSIONS, FoundFile, SkippedFile
from app.domain.progress import CancelToken

_CANCEL_EVERY = 256
_Key = tuple[int, int]  # (st_dev, st_ino): the identity of a file or folder whatever the path to it


@dataclass(frozen=True)
class ScanResult:
    """The audio files a scan found and the files and folders it left out, each sorted by path."""

    found: tuple[FoundFile, ...]
    skipped: tuple[SkippedFile, ...]


@dataclass
class _Walk:
    """What one scan has seen so far; shared by every root so overlapping roots are deduplicated."""

    cancel: CancelToken | None
    root: str = ""  # the root being walked, as given (made absolute)
    found: list[FoundFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    files: dict[_Key, str] = field(default_factory=dict)
    folders: dict[_Key, str] = field(default_factory=dict)
    entries: int = 0

    def skip(self, path: str, reason: str) -> None:
        """Record a file or folder left out."""
        self.skipped.append(SkippedFile(path, reason))

    def tick(self) -> None:
        """Count an entry; check for cancellation every few hundred."""
        if self.entries % _CANCEL_EVERY == 0 and self.cancel is not None:
            self.cancel.raise_if_cancelled("the music scan")
        self.entries += 1


def scan_folders(roots: Sequence[str], cancel: CancelToken | None = None) -> ScanResult:
    """Every audio file under the given folders (following symlinks, never opening a file), and what was skipped."""
    absolute = [os.path.abspath(root) for root in roots]
    keys = [_root_key(root) for root in absolute]
    walk = _Walk(cancel)
    for root, key in zip(absolute, keys, strict=True):
        _walk_root(walk, root, key)
    return ScanResult(found=tuple(sorted(walk.found, key=lambda f: f.path)),
                      skipped=tuple(sorted(walk.skipped, key=lambda s: (s.path, s.reason))))


def _root_key(root: str) -> _Key:
    """The identity of a root folder, or an AudioFileError when it is missing or not a folder."""
    try:
        st = os.stat(root)
    except FileNotFoundError:
        raise AudioFileError(root, "no such folder") from None
    except OSError as exc:
        raise AudioFileError(root, f"cannot open folder: {exc.strerror or exc}") from exc
    if not stat.S_ISDIR(st.st_mode):
        raise AudioFileError(root, "not a folder")
    return st.st_dev, st.st_ino


def _walk_root(walk: _Walk, root: str, key: _Key) -> None:
    """Walk one root depth-first without recursion, so deep trees cannot exhaust the stack."""
    if key in walk.folders:
        walk.skip(root, f"same folder as {walk.folders[key]}")
        return
    walk.root = root
    walk.folders[key] = root
    # Each pending folder carries the folders above it on this walk, to tell a loop from a second way in.
    stack: list[tuple[str, dict[_Key, str]]] = [(root, {key: root})]
    while stack:
        folder, ancestors = stack.pop()
        subfolders = _scan_folder(walk, folder, ancestors)
        stack.extend(reversed(subfolders))


def _scan_folder(walk: _Walk, folder: str, ancestors: dict[_Key, str]) -> list[tuple[str, dict[_Key, str]]]:
    """Record the audio files in one folder; return its subfolders still to walk."""
    if walk.cancel is not None:
        walk.cancel.raise_if_cancelled("the music scan")
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        walk.skip(folder, f"cannot open folder: {exc.strerror or exc}")
        return []
    subfolders: list[tuple[str, dict[_Key, str]]] = []
    for entry in entries:
        walk.tick()
        sub = _scan_entry(walk, entry, ancestors)
        if sub is not None:
            subfolders.append((sub[0], {**ancestors, sub[1]: sub[0]}))
    return subfolders


def _scan_entry(walk: _Walk, entry: os.DirEntry[str], ancestors: dict[_Key, str]) -> tuple[str, _Key] | None:
    """Handle one folder entry; return (path, key) when it is a folder to walk into."""
    try:
        is_folder = entry.is_dir()
    except OSError as exc:  # a symlink to itself (ELOOP) raises rather than returning False
        walk.skip(entry.path, f"cannot follow symlink: {exc.strerror or exc}")
        return None
    if is_folder:
        return None if entry.name.startswith(".") else _enter_folder(walk, entry, ancestors)
    if entry.is_symlink() and not _target_exists(entry):
        if not entry.name.startswith("."):
            walk.skip(entry.path, "broken symlink")
        return None
    if os.path.splitext(entry.name)[1].lower() in AUDIO_EXTENSIONS:
        _add_file(walk, entry)
    return None


def _target_exists(entry: os.DirEntry[str]) -> bool:
    """Whether a symlink leads somewhere (stat follows it)."""
    try:
        entry.stat()
    except FileNotFoundError:
        return False
    except OSError:
        return True  # exists but unreadable: _add_file reports the real reason
    return True


def _enter_folder(walk: _Walk, entry: os.DirEntry[str], ancestors: dict[_Key, str]) -> tuple[str, _Key] | None:
    """The folder to walk into, unless it leads back up the walk or was already walked by another path."""
    try:
        st = entry.stat()
    except OSError as exc:
        walk.skip(entry.path, f"cannot open folder: {exc.strerror or exc}")
        return None
    key = (st.st_dev, st.st_ino)
    if key in ancestors:
        walk.skip(entry.path, f"symlink loop: leads back to {ancestors[key]}")
        return None
    if key in walk.folders:
        # Walking it again would only list every file as a duplicate, or grow without bound on symlink webs.
        walk.skip(entry.path, f"same folder as {walk.folders[key]}")
        return None
    walk.folders[key] = entry.path
    return entry.path, key


def _add_file(walk: _Walk, entry: os.DirEntry[str]) -> None:
    """Keep an audio file, or record why it is left out; only stats it, never opens it."""
    if entry.name.startswith("._"):
        walk.skip(entry.path, "macOS metadata file, not audio")
        return
    try:
        st = entry.stat()
    except OSError as exc:
        walk.skip(entry.path, f"cannot read the file: {exc.strerror or exc}")
        return
    reason = _file_problem(st)
    if reason is None:
        key = (st.st_dev, st.st_ino)
        first = walk.files.setdefault(key, entry.path)
        reason = None if first == entry.path else f"same file as {first}"
    if reason is not None:
        walk.skip(entry.path, reason)
        return
    walk.found.append(FoundFile(path=entry.path, root=walk.root, size=st.st_size,
                                mtime_ns=st.st_mtime_ns))


def _file_problem(st: os.stat_result) -> str | None:
    """Why a file with an audio extension is not audio we can use, from its stat alone."""
    reason = not_a_file(st.st_mode)  # a FIFO would block whoever opens it
    if reason is not None:
        return reason
    if st.st_size == 0:
        return "empty file (0 bytes)"
    return None

