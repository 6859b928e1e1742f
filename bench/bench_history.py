"""How long bringing in a history takes as it grows: a Letterboxd export and a Spotify extended history.

Targets (issue: "bring your own taste"): a Letterboxd export of 5,000 films and a Spotify extended
history of 200,000 plays each import in at most 10 s on 2 cores, wall clock, reading, matching and
saving included. The exports are synthesised at those sizes: the films are MovieLens 1M's, written
as Letterboxd writes them ("The Usual Suspects", with a tenth of them not in the catalogue), and the
plays are of the test music library's tracks and of tracks it does not hold, a fifth of them skips
and podcast episodes. Each import runs three times into the same data folder (a re-import replaces
the last); the median is reported.

Run from the repository root (after `make test-music`): .venv/bin/python bench/bench_history.py
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.bootstrap import open_engine  # noqa: E402
from app.domain.items import ME  # noqa: E402
from app.paths import app_paths  # noqa: E402

MUSIC = ROOT / ".cache" / "test-music" / "root"
RESULT = ROOT / "bench" / "results" / "history.json"
FILMS, PLAYS, RUNS, TARGET_S = 5000, 200_000, 3, 10.0


def letterboxd_export(folder: Path, films: list[tuple[str, int | None]], rng: random.Random) -> Path:
    """A Letterboxd zip: ratings.csv for most films, watched.csv for all, some not in the catalogue."""
    rows = [(title, year) for title, year in films]
    rows += [(f"A Film Nobody Catalogued {n}", 2015 + n % 8) for n in range(FILMS - len(rows))]
    rng.shuffle(rows)
    ratings = ["Date,Name,Year,Letterboxd URI,Rating"]
    watched = ["Date,Name,Year,Letterboxd URI"]
    for n, (title, year) in enumerate(rows):
        name = '"' + title.replace('"', '""') + '"'
        day = f"20{10 + n % 14}-{1 + n % 12:02d}-{1 + n % 28:02d}"
        watched.append(f"{day},{name},{year or ''},https://boxd.it/{n}")
        if n % 5:
            ratings.append(f"{day},{name},{year or ''},https://boxd.it/{n},{rng.choice([1, 2.5, 3, 3.5, 4, 4.5, 5])}")
    path = folder / "letterboxd-bench.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ratings.csv", "\n".join(ratings) + "\n")
        archive.writestr("watched.csv", "\n".join(watched) + "\n")
    return path


def spotify_export(folder: Path, tracks: list[tuple[str, str]], rng: random.Random) -> Path:
    """A Spotify extended history zip of PLAYS records, in yearly files as Spotify sends them."""
    records = []
    for n in range(PLAYS):
        kind = n % 10
        artist, title = rng.choice(tracks) if kind < 6 else (f"Band {n % 5000}", f"Song {n % 7919}")
        record = {"ts": f"20{18 + n % 6}-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
                  "ms_played": 5000 if kind == 8 else 180000, "master_metadata_track_name": title,
                  "master_metadata_album_artist_name": artist, "master_metadata_album_album_name": "",
                  "episode_name": "An Episode" if kind == 9 else None, "spotify_episode_uri": None}
        records.append(record)
    path = folder / "my_spotify_data.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in range(4):
            archive.writestr(f"Spotify Extended Streaming History/Streaming_History_Audio_20{18 + part}_{part}.json",
                             json.dumps(records[part::4]))
    return path


def timed(run: object, label: str) -> tuple[list[float], object]:
    seconds, report = [], None
    for attempt in range(RUNS):
        started = time.perf_counter()
        report = run()  # type: ignore[operator]
        seconds.append(time.perf_counter() - started)
        print(f"{label}: run {attempt + 1} took {seconds[-1]:.2f} s", flush=True)
    return seconds, report


def main() -> None:
    if not MUSIC.is_dir():
        sys.exit(f"{MUSIC} is missing: run `make test-music` first")
    home = Path(tempfile.mkdtemp(prefix="bench-history-"))
    os.environ["CHATREC_HOME"] = str(home)
    engine = open_engine(app_paths())
    try:
        engine.catalogue.import_movielens("1m")
        engine.music.import_folders([str(MUSIC)])
        rng = random.Random(42)
        films = [(f.title, f.year) for f in engine.store.items("movie")]
        films = rng.sample(films, min(len(films), FILMS * 9 // 10))
        tracks = [(t.creators[0], t.title) for t in engine.store.items("music") if t.creators]
        letterboxd = letterboxd_export(home, films, rng)
        spotify = spotify_export(home, tracks, rng)
        film_s, film_report = timed(lambda: engine.history.import_files([letterboxd]), "letterboxd")
        play_s, play_report = timed(lambda: engine.history.import_files([spotify]), "spotify")
        result = {
            "machine": f"{os.cpu_count()} cores", "runs": RUNS, "target_s": TARGET_S,
            "letterboxd": {"films": FILMS, "catalogue_films": len(engine.store.items("movie")),
                           "seconds_median": round(statistics.median(film_s), 2),
                           "seconds_max": round(max(film_s), 2), "matched": film_report.matched,  # type: ignore[attr-defined]
                           "ambiguous": len(film_report.ambiguous),  # type: ignore[attr-defined]
                           "unmatched": len(film_report.unmatched)},  # type: ignore[attr-defined]
            "spotify": {"plays": PLAYS, "library_tracks": len(tracks),
                        "seconds_median": round(statistics.median(play_s), 2),
                        "seconds_max": round(max(play_s), 2), "entries_read": play_report.entries,  # type: ignore[attr-defined]
                        "tracks_matched": play_report.matched},  # type: ignore[attr-defined]
            "ratings_after": len(engine.store.ratings_of(ME)),
        }
    finally:
        engine.close()
    RESULT.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))
    print(f"wrote {RESULT}")


if __name__ == "__main__":
    main()
