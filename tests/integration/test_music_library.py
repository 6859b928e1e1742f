"""The music issue's 'done when', for real: Debian's tagged soundtracks, librosa in worker processes,
Chroma and the CLI in subprocesses, with every kind of bad file mixed in."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_cli_end_to_end import chatrec

pytestmark = pytest.mark.integration
MUSIC = Path(__file__).parents[2] / ".cache" / "test-music" / "root" / "usr" / "share" / "games"
WESNOTH = MUSIC / "wesnoth" / "1.16" / "data" / "core" / "music"
METAL = MUSIC / "fretsonfire" / "data" / "songs" / "muldjord"
SINGULARITY = MUSIC / "singularity" / "music"
WARZONE = MUSIC / "warzone2100" / "music" / "albums" / "original_soundtrack"


def real_music() -> Path:
    """The fetched Debian music, or a failure that says how to fetch it (never a silent skip)."""
    if not WESNOTH.is_dir():
        pytest.fail(f"the test music is missing under {MUSIC}: run `make test-music` (make test does it)")
    return MUSIC


def run_json(home: Path, *argv: str) -> Any:
    done = chatrec(home, *argv, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real tracks (linked, not copied) from four soundtracks, plus one of every bad file."""
    real_music()
    root = tmp_path_factory.mktemp("library") / "Music"
    picks = {"Metal": [METAL / song / "song.ogg" for song in ("armygeddon", "chaos_god", "mutilated_mime")],
             "Wesnoth": sorted(WESNOTH.glob("*.ogg"))[:5], "Singularity": sorted(SINGULARITY.glob("*.ogg"))[:2],
             "Warzone": sorted(WARZONE.glob("*.opus"))[:2]}
    for folder, files in picks.items():
        (root / folder).mkdir(parents=True)
        for source in files:
            name = f"{source.parent.name}.ogg" if folder == "Metal" else source.name
            (root / folder / name).symlink_to(source)
    bad = root / "Bad"
    bad.mkdir()
    (bad / "empty.mp3").write_bytes(b"")
    (bad / "notes.ogg").write_text("not music at all\n", encoding="utf-8")
    whole = sorted(WESNOTH.glob("*.ogg"))[-1].read_bytes()
    (bad / "truncated.ogg").write_bytes(whole[: len(whole) // 500])  # cut inside its first second
    (bad / "bad-header.ogg").write_bytes(b"\0" * 4000 + whole[4000:])
    (bad / "loop").mkdir()
    (bad / "loop" / "again").symlink_to(bad, target_is_directory=True)
    os.mkfifo(bad / "pipe.ogg")
    return root


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, library: Path) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("music-home")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def imported(home: Path, library: Path) -> Any:
    return run_json(home, "import", "music", str(library))


def test_import_indexes_the_real_tracks_and_skips_each_bad_file_with_its_reason(imported: Any,
                                                                               library: Path) -> None:
    assert imported["import"]["status"] == "done"
    assert imported["import"]["items"] == 12 and imported["added"] == 15  # 12 tracks, 3 undecodable files
    reasons = {Path(s["path"]).name: s["reason"] for s in imported["skipped"]}
    assert reasons["empty.mp3"] == "empty file (0 bytes)"
    assert "not an audio file" in reasons["notes.ogg"]
    assert reasons["truncated.ogg"].startswith("too short to analyse")
    assert "not an audio file" in reasons["bad-header.ogg"]
    assert "symlink loop" in reasons["again"]
    assert reasons["pipe.ogg"] == "a named pipe (FIFO), not a file"


def test_status_lists_what_was_indexed_and_what_was_skipped(home: Path, imported: Any) -> None:
    music = run_json(home, "status")["music"]
    assert music["indexed"] == 12 and len(music["skipped"]) == 6


def test_similar_by_path_returns_sound_neighbours_with_feature_reasons(home: Path, imported: Any,
                                                                       library: Path) -> None:
    payload = run_json(home, "similar", str(library / "Metal" / "chaos_god.ogg"), "--k", "3")
    items = payload["items"]
    assert len(items) == 3 and all(i["domain"] == "music" for i in items)
    assert items[0]["genres"] == ["Death Metal"]  # the other death metal songs sound closest
    first = items[0]
    assert first["breakdown"] == {"audio": pytest.approx(first["score"], abs=1e-3)}
    assert first["reasons"][0].endswith("like Chaos God") and first["sound"]["tempo_bpm"] > 0
    assert first["sounds_like"]["title"] == "Chaos God"


def test_recommend_uses_sound_for_someone_who_rated_tracks(home: Path, imported: Any, library: Path) -> None:
    metal = run_json(home, "search", "Armygeddon", "--domain", "music", "--k", "1")["items"][0]["id"]
    assert chatrec(home, "rate", metal, "5").returncode == 0
    items = run_json(home, "recommend", "--domain", "music", "--k", "3")["items"]
    assert "audio" in items[0]["breakdown"]
    assert any("like Armygeddon you rated 5★" in r for r in items[0]["reasons"])
    assert items[0]["genres"] == ["Death Metal"]  # one of the two other metal songs
    assert items[0]["predicted_stars"] is None  # nobody else rated it: no made-up star prediction


def test_a_rescan_of_the_unchanged_library_analyses_nothing(home: Path, imported: Any, library: Path) -> None:
    again = run_json(home, "import", "music")
    assert (again["added"], again["updated"], again["removed"]) == (0, 0, 0)
    assert again["unchanged"] == 15


def test_a_text_query_finds_tracks_by_their_sound_words(home: Path, imported: Any) -> None:
    items = run_json(home, "search", "calm quiet slow", "--domain", "music", "--k", "3")["items"]
    assert items and all(i["sound"]["energy"] in {"low", "medium"} for i in items)


def test_similar_for_a_file_outside_the_library_says_what_to_do(home: Path, imported: Any, tmp_path: Path) -> None:
    stray = tmp_path / "stray.ogg"
    stray.write_bytes(b"OggS")
    done = chatrec(home, "similar", str(stray))
    assert done.returncode == 2
    assert "is not in the music library" in done.stderr and "chatrec import music" in done.stderr


def test_status_in_words_names_each_skipped_file_and_why(home: Path, imported: Any) -> None:
    done = chatrec(home, "status")
    assert done.returncode == 0
    assert "12 tracks indexed" in done.stdout and "empty.mp3: empty file (0 bytes)" in done.stdout
