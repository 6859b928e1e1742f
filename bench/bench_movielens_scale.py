"""Whether bringing in MovieLens stays streaming at ml-25m's size: memory flat from 1M to 25M ratings.

The issue ("bring your own taste") asks that importing and matching against a 25M-rating MovieLens
catalogue (ml-25m's layout) never hold every row in memory at once. GroupLens's ml-25m cannot be
shipped or fetched here, so its layout is synthesised at full size: 62,423 films in movies.csv (with
links.csv), and ratings.csv with 1M and then 25M rows from 162,541 people, zipped as GroupLens zips
it. Each size is imported by a fresh process (`--child`) that reads and checks the release with the
reader `chatrec import movielens --from` uses (app.catalog.grouplens) and saves it with the same store
call, then imports a 5,000-film Letterboxd export matched against those 62,423 films; the process
reports its wall-clock times and its peak resident memory. What `import movielens --from` does after
saving, building the films' text index, is left out: its cost grows with the films, not the
ratings, and indexing a large catalogue is its own problem.

If reading held the rows, peak memory would grow with them (25M rows as Python tuples are several
GB); streamed, it stays about the same from 1M to 25M.

Run from the repository root: .venv/bin/python bench/bench_movielens_scale.py [--sizes 1000000,25000000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULT = ROOT / "bench" / "results" / "movielens_scale.json"
FILMS, PEOPLE, DIARY = 62_423, 162_541, 5000
GENRES = ("Drama", "Comedy", "Thriller", "Romance", "Action", "Crime", "Horror", "Documentary", "Adventure", "Sci-Fi")


def film_title(n: int) -> str:
    """The synthesised film n, titled as GroupLens titles films (with its year)."""
    return f"Synthetic Picture {n} ({1920 + n % 100})"


def write_ml25m(path: Path, ratings: int) -> None:
    """An ml-25m-shaped zip: movies.csv, links.csv and ratings.csv with this many rows."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("ml-25m/movies.csv", "movieId,title,genres\n" + "".join(
            f"{n},{film_title(n)},{GENRES[n % 10]}|{GENRES[(n // 10) % 10]}\n" for n in range(1, FILMS + 1)))
        archive.writestr("ml-25m/links.csv", "movieId,imdbId,tmdbId\n" + "".join(
            f"{n},{1_000_000 + n},{n}\n" for n in range(1, FILMS + 1)))
        with archive.open("ml-25m/ratings.csv", "w", force_zip64=True) as out:
            out.write(b"userId,movieId,rating,timestamp\n")
            chunk = 200_000
            for start in range(0, ratings, chunk):
                # Sorted by person, as GroupLens's file is; each person's films are distinct.
                out.write("".join(
                    f"{1 + r * PEOPLE // ratings},{1 + (r * 7919) % FILMS},{(1 + r % 10) / 2},{1_100_000_000 + r}\n"
                    for r in range(start, min(ratings, start + chunk))).encode())


def write_diary(path: Path) -> None:
    """A Letterboxd ratings.csv of DIARY films, four in five of them in the synthesised catalogue."""
    rows = ["Date,Name,Year,Letterboxd URI,Rating"]
    for n in range(1, DIARY + 1):
        film = n * 11
        name, year = (f"Synthetic Picture {film}", 1920 + film % 100) if n % 5 else (f"Never Catalogued {n}", 2020)
        rows.append(f"2024-01-{1 + n % 28:02d},{name},{year},https://boxd.it/{n},{(1 + n % 10) / 2}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def child(archive: Path, diary: Path) -> dict[str, object]:
    """Import the archive and then the diary into a fresh data folder; times and peak memory."""
    os.environ["CHATREC_HOME"] = str(archive.parent / "home")
    from app.bootstrap import open_engine
    from app.catalog.grouplens import read_grouplens
    from app.paths import app_paths
    from app.store.sqlite import CatalogueImport

    engine = open_engine(app_paths())
    try:
        started = time.perf_counter()
        data = read_grouplens(archive)  # every row read and checked once before anything is written
        checked = time.perf_counter() - started
        run = engine.store.import_catalogue(CatalogueImport("movielens", "movielens", data.size, data.items,
                                                            data.users, data.ratings))
        saved = time.perf_counter() - started
        started = time.perf_counter()
        report = engine.history.import_files([diary])
        matched = time.perf_counter() - started
        return {"ratings": run.ratings, "films": run.items, "people": run.users,
                "read_and_check_s": round(checked, 1), "read_check_and_save_s": round(saved, 1),
                "letterboxd_films": DIARY, "letterboxd_matched": report.matched,
                "letterboxd_unmatched": len(report.unmatched), "letterboxd_s": round(matched, 2),
                "peak_memory_mb": _peak_memory_mb()}
    finally:
        engine.close()


def _peak_memory_mb() -> int:
    """This process's peak resident memory (ru_maxrss is in KB on Linux, in bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // (1024 * 1024) if sys.platform == "darwin" else peak // 1024


def main() -> None:
    """Synthesise each size, import it in a fresh process, and write the comparison."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000000,25000000", help="comma-separated rating counts")
    parser.add_argument("--child", nargs=2, metavar=("ARCHIVE", "DIARY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child[0]), Path(args.child[1]))))
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-ml25m-"))
    diary = folder / "ratings.csv"
    write_diary(diary)
    runs = []
    for size in (int(s) for s in args.sizes.split(",")):
        archive = folder / f"ml-25m-{size}.zip"
        started = time.perf_counter()
        write_ml25m(archive, size)
        print(f"{size:,} ratings synthesised in {time.perf_counter() - started:.0f} s "
              f"({archive.stat().st_size / 1e6:.0f} MB zipped)", flush=True)
        started = time.perf_counter()
        out = subprocess.run([sys.executable, __file__, "--child", str(archive), str(diary)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            shutil.rmtree(folder, ignore_errors=True)
            sys.exit(f"the import of {size:,} ratings failed:\n{out.stderr}")
        run = {**json.loads(out.stdout.strip().splitlines()[-1]), "whole_s": round(time.perf_counter() - started, 1)}
        print(json.dumps(run), flush=True)
        runs.append(run)
        archive.unlink()
        shutil.rmtree(folder / "home", ignore_errors=True)  # the 25M-rating database is several GB
    shutil.rmtree(folder, ignore_errors=True)
    result = {"machine": f"{os.cpu_count()} cores", "layout": "ml-25m (synthesised)", "films": FILMS,
              "people": PEOPLE, "runs": runs,
              "peak_memory_ratio_largest_to_smallest": round(runs[-1]["peak_memory_mb"] / runs[0]["peak_memory_mb"], 2),
              "ratings_ratio_largest_to_smallest": round(runs[-1]["ratings"] / runs[0]["ratings"], 1)}
    RESULT.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))
    print(f"wrote {RESULT}")


if __name__ == "__main__":
    main()
