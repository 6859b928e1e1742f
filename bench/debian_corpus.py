"""Real texts for the index benchmarks: Debian's package descriptions, as product-like rows.

Every Debian machine that ran `apt-get update -o Acquire::Languages=en` holds the English
descriptions of all of bookworm's ~64,000 packages (name, a one-line summary, a long description)
and, in the Packages list, each package's section. They are real, varied, human-written texts, the
nearest thing to a large product catalogue the registries reach: the summary reads like a product
title, the section like its category. `make bench` fetches the lists when they are missing.
"""

from __future__ import annotations

import glob
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LISTS = Path("/var/lib/apt/lists")
FETCH_HINT = "run: sudo apt-get update -o Acquire::Languages=en (make bench does this)"


@dataclass(frozen=True)
class DebianPackage:
    """One package: its name, section, one-line summary and long description."""

    name: str
    section: str
    summary: str
    description: str


def _list_file(pattern: str) -> Path:
    found = sorted(glob.glob(str(LISTS / pattern)))
    if not found:
        raise SystemExit(f"no {pattern} under {LISTS}: {FETCH_HINT}")
    return Path(found[0])


def _lines(path: Path) -> Iterator[str]:
    # apt-helper decompresses whatever apt stored (lz4, gz, xz or plain).
    text = subprocess.run(["/usr/lib/apt/apt-helper", "cat-file", str(path)], check=True, capture_output=True,
                          text=True, encoding="utf-8", errors="replace").stdout
    yield from text.splitlines()


def _sections() -> dict[str, str]:
    sections: dict[str, str] = {}
    name = ""
    for line in _lines(_list_file("*_dists_bookworm_main_binary-amd64_Packages*")):
        if line.startswith("Package: "):
            name = line[9:]
        elif line.startswith("Section: ") and name:
            sections[name] = line[9:].rsplit("/", 1)[-1]
    return sections


def read_packages() -> list[DebianPackage]:
    """Every package with an English description, in the order apt lists them."""
    sections = _sections()
    out: list[DebianPackage] = []
    name, summary, long_lines = "", "", []
    for line in [*_lines(_list_file("*_dists_bookworm_main_i18n_Translation-en*")), ""]:
        if line.startswith("Package: "):
            name = line[9:]
        elif line.startswith("Description-en: "):
            summary, long_lines = line[16:], []
        elif line.startswith(" ") and summary:
            long_lines.append("" if line.strip() == "." else line.strip())
        elif not line and name and summary:
            out.append(DebianPackage(name, sections.get(name, "misc"), summary,
                                     " ".join(part for part in long_lines if part)))
            name, summary, long_lines = "", "", []
    return out
