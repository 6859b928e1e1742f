"""Pack the one-folder build into the Linux archive: chat-rec-<version>-linux-x86_64.tar.gz.

The archive holds one folder, chat-rec-<version>/, with app/ (the one-folder build), install.sh,
uninstall.sh, README.txt and share/ (the desktop file, the AppStream metainfo and the icons, laid out
as install.sh puts them under ~/.local/share). The archive is reproducible: entries in a fixed order,
owned by 0:0, permissions and symlinks kept, no time or name in the gzip header, and every entry
dated $SOURCE_DATE_EPOCH when that is set.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import tarfile
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ICONS = ROOT / "resources" / "icons"
NAME = "chat-rec"
APP_ID = "io.github.chatrec.ChatRec"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)
_VERSION = re.compile(r"[0-9][0-9A-Za-z.+~-]*")


def archive_name(version: str) -> str:
    """The archive's file name for a version."""
    return f"{NAME}-{version}-linux-x86_64.tar.gz"


def metainfo_version(metainfo: Path) -> str | None:
    """The newest release's version in an AppStream metainfo file (releases are listed newest first)."""
    found = re.search(r"<release\b[^>]*\bversion=\"([^\"]+)\"", metainfo.read_text(encoding="utf-8"))
    return found.group(1) if found else None


def package_files(version: str) -> list[tuple[str, Path | bytes, int]]:
    """Everything beside app/: (path in the package folder, source file or contents, mode)."""
    readme = (HERE / "README.txt").read_text(encoding="utf-8").replace("@VERSION@", version)
    files: list[tuple[str, Path | bytes, int]] = [
        ("install.sh", HERE / "install.sh", 0o755),
        ("uninstall.sh", HERE / "uninstall.sh", 0o755),
        ("README.txt", readme.encode("utf-8"), 0o644),
        (f"share/applications/{APP_ID}.desktop", HERE / f"{APP_ID}.desktop", 0o644),
        (f"share/metainfo/{APP_ID}.metainfo.xml", HERE / f"{APP_ID}.metainfo.xml", 0o644),
        (f"share/icons/hicolor/scalable/apps/{NAME}.svg", ICONS / f"{NAME}.svg", 0o644),
    ]
    files += [(f"share/icons/hicolor/{size}x{size}/apps/{NAME}.png",
               ICONS / "hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png", 0o644) for size in ICON_SIZES]
    for _name, source, _mode in files:
        if isinstance(source, Path) and not source.is_file():
            hint = " (run packaging/icons.py)" if source.is_relative_to(ICONS) else ""
            raise FileNotFoundError(f"{source} is missing{hint}")
    return files


def _walk(folder: Path) -> Iterator[Path]:
    """Every entry under folder, parents before children, names in byte order; symlinks are not followed."""
    for entry in sorted(folder.iterdir(), key=lambda path: os.fsencode(path.name)):
        yield entry
        if entry.is_dir() and not entry.is_symlink():
            yield from _walk(entry)


def _check_link(link: Path, one_folder: Path) -> str:
    """The link's target, which must be relative and stay inside the one-folder, or it dangles once installed."""
    target = os.readlink(link)
    resolved = os.path.normpath(os.path.join(os.path.dirname(link), target))
    if os.path.isabs(target) or not Path(resolved).is_relative_to(one_folder):
        raise ValueError(f"{link} points at {target}, outside the one-folder build: it would dangle once installed")
    return target


class _Writer:
    """Adds entries to a tar stream with fixed owners and, when asked, a fixed date."""

    def __init__(self, tar: tarfile.TarFile, mtime: int | None) -> None:
        self.tar = tar
        self.mtime = mtime

    def _info(self, name: str, kind: bytes, mode: int, mtime: float) -> tarfile.TarInfo:
        info = tarfile.TarInfo(name)
        info.type = kind
        info.mode = mode
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = int(mtime) if self.mtime is None else self.mtime
        return info

    def folder(self, name: str, mtime: float) -> None:
        """Add a folder entry."""
        self.tar.addfile(self._info(name, tarfile.DIRTYPE, 0o755, mtime))

    def link(self, name: str, target: str, mtime: float) -> None:
        """Add a symbolic link entry."""
        info = self._info(name, tarfile.SYMTYPE, 0o777, mtime)
        info.linkname = target
        self.tar.addfile(info)

    def file(self, name: str, data: bytes | Path, mode: int, mtime: float) -> None:
        """Add a regular file from bytes or from a file on disk."""
        info = self._info(name, tarfile.REGTYPE, mode, mtime)
        if isinstance(data, Path):
            info.size = data.stat().st_size
            with data.open("rb") as source:
                self.tar.addfile(info, source)
        else:
            info.size = len(data)
            self.tar.addfile(info, io.BytesIO(data))


def make_archive(one_folder: Path, version: str, out_dir: Path) -> Path:
    """Write out_dir/chat-rec-<version>-linux-x86_64.tar.gz from the one-folder build; return its path."""
    one_folder = one_folder.resolve()
    executable = one_folder / NAME
    if not one_folder.is_dir():
        raise FileNotFoundError(f"the one-folder build {one_folder} does not exist")
    if not executable.is_file() or not os.access(executable, os.X_OK):
        raise FileNotFoundError(f"{executable} is missing or not executable: is {one_folder} the one-folder build?")
    if not _VERSION.fullmatch(version):
        raise ValueError(f"version {version!r} is not a version (digits, letters, '.', '+', '~', '-')")
    metainfo = HERE / f"{APP_ID}.metainfo.xml"
    if metainfo_version(metainfo) != version:
        raise ValueError(f"{metainfo}'s newest <release> is {metainfo_version(metainfo)}, not {version}: "
                         f"add <release version=\"{version}\" date=\"YYYY-MM-DD\"/> at the top of <releases>")
    extras = package_files(version)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    fixed_mtime = int(epoch) if epoch and epoch.isdigit() else None
    now = float(fixed_mtime if fixed_mtime is not None else one_folder.stat().st_mtime)

    top = f"{NAME}-{version}"
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / archive_name(version)
    temp = out_dir / f".{final.name}.{os.getpid()}.tmp"
    try:
        with temp.open("wb") as raw, \
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as packed, \
                tarfile.open(fileobj=packed, mode="w", format=tarfile.PAX_FORMAT) as tar:
            writer = _Writer(tar, fixed_mtime)
            writer.folder(top, now)
            writer.folder(f"{top}/app", one_folder.stat().st_mtime)
            for path in _walk(one_folder):
                name = f"{top}/app/{path.relative_to(one_folder).as_posix()}"
                info = path.lstat()
                if stat.S_ISLNK(info.st_mode):
                    writer.link(name, _check_link(path, one_folder), info.st_mtime)
                elif stat.S_ISDIR(info.st_mode):
                    writer.folder(name, info.st_mtime)
                elif stat.S_ISREG(info.st_mode):
                    writer.file(name, path, stat.S_IMODE(info.st_mode) & 0o755 | 0o644, info.st_mtime)
                else:
                    raise ValueError(f"{path} is neither a file, a folder nor a symlink; it cannot go in the archive")
            folders_done = {top}
            for relative, source, mode in sorted(extras, key=lambda extra: extra[0]):
                parts = relative.split("/")
                for depth in range(1, len(parts)):
                    folder = "/".join([top, *parts[:depth]])
                    if folder not in folders_done:
                        writer.folder(folder, now)
                        folders_done.add(folder)
                mtime = source.stat().st_mtime if isinstance(source, Path) else now
                writer.file(f"{top}/{relative}", source, mode, mtime)
            # the gzip and file layers close (and flush) as the with-block ends
        os.replace(temp, final)
    finally:
        temp.unlink(missing_ok=True)
    return final
