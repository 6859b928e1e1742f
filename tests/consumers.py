"""Where the independent export readers live, fetching them on first use from the package registries.

.ci/fetch-consumers.sh puts xmllint (Debian's libxml2-utils) and troi (ListenBrainz's playlist engine,
in a venv of its own) under .cache/consumers; `make test` runs it first, and a bare `pytest` runs it
here when the cache is missing. A test skips only when a registry could not be reached (exit 75).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FETCH = ROOT / ".ci" / "fetch-consumers.sh"
UNREACHABLE = 75  # the fetch script's exit code when a registry could not be reached


def cache_dir() -> Path:
    """The consumers' cache folder (CHATREC_CONSUMERS overrides .cache/consumers)."""
    return Path(os.environ.get("CHATREC_CONSUMERS", ROOT / ".cache" / "consumers"))


@cache
def fetched() -> Path:
    """The cache folder with every consumer in it, fetched now if needed; skips when offline."""
    folder = cache_dir()
    done = subprocess.run(["bash", str(FETCH), str(folder)], capture_output=True, text=True, timeout=900,
                          check=False)
    if done.returncode == UNREACHABLE:
        pytest.skip(f"the export readers could not be fetched, a package registry is unreachable: "
                    f"{done.stderr.strip()[-300:]}")
    assert done.returncode == 0, f"{FETCH} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return folder


def xmllint() -> list[str]:
    """The command that runs xmllint: on PATH, else Debian's copy from the cache."""
    found = shutil.which("xmllint")
    if found:
        return [found]
    root = fetched() / "root"
    return ["env", f"LD_LIBRARY_PATH={root / 'usr' / 'lib' / 'x86_64-linux-gnu'}",
            str(root / "usr" / "bin" / "xmllint")]


def run_xmllint(*args: str) -> subprocess.CompletedProcess[str]:
    """Run xmllint with these arguments."""
    return subprocess.run([*xmllint(), *args], capture_output=True, text=True, timeout=60, check=False)


# Runs inside troi's own venv: the reader ListenBrainz's tools use for a JSPF file (troi.playlist).
_TROI_READ = """
import json, sys
from troi.playlist import PlaylistFromJSPFElement
with open(sys.argv[1], encoding="utf-8") as handle:
    jspf = json.load(handle)
element = PlaylistFromJSPFElement(jspf=jspf)
[playlist] = element.read([])
out = {"name": playlist.name, "recordings": []}
for r in playlist.recordings:
    credit = r.artist_credit
    out["recordings"].append({
        "name": r.name, "mbid": r.mbid,
        "artist": credit.name if credit else None,
        "artist_mbids": [a.mbid for a in (credit.artists or [])] if credit else [],
        "release": r.release.name if r.release else None,
        "locations": (r.musicbrainz or {}).get("filename"),
    })
print(json.dumps(out))
"""


def troi_read(path: Path) -> dict[str, Any]:
    """The JSPF file as troi (ListenBrainz's playlist engine) reads it; AssertionError with its traceback."""
    python = fetched() / "troi" / "bin" / "python"
    done = subprocess.run([str(python), "-c", _TROI_READ, str(path)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, f"troi could not read {path}:\n{done.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
