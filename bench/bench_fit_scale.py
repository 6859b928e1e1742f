"""The cost curve of fitting the app's ranker at 1M, 5M and 25M ratings, and its recommend latency there.

Issue 16 asks that fitting at 25M ratings take at most 10 minutes within 6 GB, and that one user's
recommendations take at most 50 ms at p95 there. GroupLens's ml-25m cannot be shipped or fetched
here, so its shape is synthesised (162,541 people x 62,423 films, as bench_movielens_scale.py
imports it) with long tails on both sides: a film's chance of being rated falls off as a
Zipf-Mandelbrot law of its popularity rank, (rank + 300)^-2 (at 25M the top film gets ~50,000
ratings and the median film 14, where ml-25m's top has 81,000 and its median a handful), and
people's activity likewise, (rank + 50)^-1 (median 68 ratings a person at 25M; ml-25m's is 71).
Stars come from a rank-8 taste model plus noise, in half stars (0.5 counts as 1, as the app imports
them). One more run at 1M ratings in ML-1M's shape (6,040 x 3,706) shows the dense path beside the
factorised one.

Each size is synthesised by one fresh process and fitted by another (`--child`), so the child's
peak resident memory (ru_maxrss) is the fit's and the recommendations', plus the ratings it loaded.
The child fits HybridRanker as the app does (with 384-d unit text vectors: seeded random ones cost
what MiniLM's do), records which path the memory estimate chose, the longest wait between progress
reports (how long a cancel can take to be noticed) and then times recommend() for 300 people with
ratings, one after another (the fold-in starts from the previous person's sums when at most 16
films differ, as the app's would), and again after each rates one more film (the fold-in proper).
The machine is shared: the fit's CPU seconds and the load average are recorded beside the wall clock.

Loading the ratings from SQLite is not in these figures (NOT_INCLUDED says why it matters).

Run from the repository root: .venv/bin/python bench/bench_fit_scale.py [--runs ml-1m:1000000,ml-25m:25000000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from bench.bench_movielens_scale import FILMS, PEOPLE  # noqa: E402
from bench.timing import latency_ms  # noqa: E402

RESULT = ROOT / "bench" / "results" / "fit_scale.json"
SHAPES = {"ml-1m": (6_040, 3_706), "ml-25m": (PEOPLE, FILMS)}
DEFAULT_RUNS = "ml-1m:1000000,ml-25m:1000000,ml-25m:5000000,ml-25m:25000000"
ITEM_ZIPF, ITEM_OFFSET = 2.0, 300.0
USER_ZIPF, USER_OFFSET = 1.0, 50.0
TASTE_RANK = 8
USERS_TIMED = 300
K = 10
TEXT_DIM = 384
TARGETS = {"fit_s": 600.0, "peak_rss_mb": 6 * 1024.0, "recommend_p95_ms": 50.0}
SEED = 16
NOT_INCLUDED = ("loading the ratings from SQLite into the matrix: the store's rating_triples() returns a Python "
                "list of every rating (1M: 261 MB; 25M would be several GB), which InteractionMatrix.from_triples "
                "copies again")


def _zipf(n: int, exponent: float, offset: float, rng: np.random.Generator) -> np.ndarray:
    """Probabilities (rank + offset)^-exponent over n things, the ranks shuffled over their ids."""
    weights = (np.arange(1, n + 1) + offset) ** -exponent
    return rng.permutation(weights / weights.sum())


def _distinct(keys: np.ndarray) -> np.ndarray:
    """The sorted distinct values (np.unique took 114 s on 37.5M int64 with numpy 2.4 here; this takes 1.3 s)."""
    keys.sort()
    keep = np.empty(keys.size, dtype=bool)
    keep[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]


def synthesise(n_users: int, n_items: int, n_ratings: int, seed: int = SEED) -> sp.csr_matrix:
    """n_ratings distinct (person, film) stars with long-tailed films and people, as a CSR matrix."""
    rng = np.random.default_rng(seed)
    item_p = _zipf(n_items, ITEM_ZIPF, ITEM_OFFSET, rng)
    user_p = _zipf(n_users, USER_ZIPF, USER_OFFSET, rng)
    keys = np.zeros(0, dtype=np.int64)
    while keys.size < n_ratings:
        # Popular films meet heavy raters often: draw extra, keep distinct pairs, top up if short.
        want = int((n_ratings - keys.size) * 1.3) + 1000
        users = rng.choice(n_users, size=want, p=user_p)
        items = rng.choice(n_items, size=want, p=item_p)
        keys = _distinct(np.concatenate([keys, users.astype(np.int64) * n_items + items]))
    if keys.size > n_ratings:
        keys = np.sort(rng.choice(keys, size=n_ratings, replace=False))
    rows, cols = keys // n_items, (keys % n_items).astype(np.int32)
    del keys
    taste_u = rng.standard_normal((n_users, TASTE_RANK)) * 0.35
    taste_i = rng.standard_normal((n_items, TASTE_RANK)) * 0.35
    bias_u = rng.normal(0.0, 0.4, n_users)
    bias_i = rng.normal(0.0, 0.5, n_items)
    stars = np.empty(n_ratings)
    for start in range(0, n_ratings, 2_000_000):  # in blocks: 25M x rank-8 float64 would be 1.6 GB
        r, c = rows[start:start + 2_000_000], cols[start:start + 2_000_000]
        raw = (3.5 + bias_u[r] + bias_i[c] + np.einsum("nk,nk->n", taste_u[r], taste_i[c])
               + rng.normal(0.0, 0.7, r.size))
        stars[start:start + r.size] = np.clip(np.round(raw * 2.0) / 2.0, 1.0, 5.0)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_users))])
    return sp.csr_matrix((stars, cols, indptr), shape=(n_users, n_items))


def _peak_rss_mb() -> float:
    """This process's peak resident memory in MB (ru_maxrss is KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _rss_mb() -> float:
    """This process's resident memory now, in MB (Linux; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def _answer(ranked: list[Any]) -> list[tuple[int, float]]:
    """What a person sees of a list: the items and their scores."""
    return [(r.index, round(r.score, 9)) for r in ranked]


def child(path: Path) -> dict[str, Any]:
    """Load one synthesised matrix, fit the app's ranker on it and time its recommendations."""
    from app.domain.interactions import InteractionMatrix
    from app.recommend.hybrid import DENSE_BUDGET_BYTES, HybridRanker, dense_bytes

    started = time.perf_counter()
    loaded = np.load(path)
    matrix = sp.csr_matrix((loaded["data"], loaded["indices"], loaded["indptr"]), shape=tuple(loaded["shape"]))
    data = InteractionMatrix([f"u{i}" for i in range(matrix.shape[0])],
                             [f"i{j}" for j in range(matrix.shape[1])], matrix)
    rng = np.random.default_rng(SEED)  # the text vectors' values do not change the cost
    vectors = rng.standard_normal((data.n_items, TEXT_DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    load_s = time.perf_counter() - started
    rss_before_fit = _rss_mb()

    reports: list[tuple[float, int, int, str]] = []

    def progress(done: int, total: int, message: str) -> None:
        reports.append((time.perf_counter(), done, total, message))

    ranker = HybridRanker()
    cpu_started = time.process_time()
    started = time.perf_counter()
    ranker.fit(data, vectors, progress=progress)
    fit_s = time.perf_counter() - started
    fit_cpu_s = time.process_time() - cpu_started
    load_during_fit = os.getloadavg()[1]  # the 5-minute average, as the fit ends
    moments = [started] + [t for t, *_ in reports] + [started + fit_s]
    labels = ["the start of fit()"] + [f"{m} {d}/{t}" for _, d, t, m in reports]
    gaps = np.diff(moments)
    longest = [{"seconds": round(float(gaps[i]), 1), "after": labels[i]} for i in np.argsort(-gaps)[:3]]
    phases: dict[str, int] = {}
    for _, _, total, message in reports:
        phases[message] = max(phases.get(message, 0), total)
    print(f"  fitted ({ranker.path}) in {fit_s:.1f} s", file=sys.stderr, flush=True)

    counts = np.diff(matrix.indptr)
    people = rng.choice(np.flatnonzero(counts > 0), size=min(USERS_TIMED, int((counts > 0).sum())), replace=False)
    rows = [matrix[int(u)].toarray().ravel() for u in people]
    ranker.recommend(rows[0], K)  # warm caches before timing
    recommend_s: list[float] = []
    for row in rows:  # each a different person: every call folds the row in from scratch
        t0 = time.perf_counter()
        ranker.recommend(row, K)
        recommend_s.append(time.perf_counter() - t0)
    fold_in_s: list[float] = []
    changed_answers = 0
    for row in rows:  # the person rates one more film they were not shown; the next answer must move
        before = ranker.recommend(row, K)
        changed = row.copy()
        changed[int(rng.choice(np.flatnonzero(row == 0)))] = 5.0
        t0 = time.perf_counter()
        after = ranker.recommend(changed, K)
        fold_in_s.append(time.perf_counter() - t0)
        changed_answers += _answer(before) != _answer(after)
    n_active = int(ranker.columns.size) if ranker.columns is not None else 0
    return {
        "load_s": round(load_s, 1),
        "rss_before_fit_mb": round(rss_before_fit),
        "fit_s": round(fit_s, 1),
        "fit_cpu_s": round(fit_cpu_s, 1),
        "load_average_5min_at_fit_end": round(load_during_fit, 2),
        "path": ranker.path,
        "rated_films": n_active,
        "dense_estimate_gb": round(dense_bytes(data.n_users, n_active) / 1024**3, 2),
        "dense_budget_gb": round(DENSE_BUDGET_BYTES / 1024**3, 2),
        "progress_reports": len(reports),
        "progress_phases": phases,
        "longest_wait_between_progress_reports_s": round(float(gaps.max()), 1),
        "longest_waits": longest,
        "recommend_k10": latency_ms(recommend_s),
        "recommend_after_one_more_rating_k10": latency_ms(fold_in_s),
        "answers_changed_by_one_more_rating": f"{changed_answers} of {len(rows)}",
        "peak_rss_mb": round(_peak_rss_mb()),
    }


def synthesise_to(path: Path, layout: str, n_ratings: int) -> dict[str, Any]:
    """Synthesise one size into an .npz (run in its own process so its memory is not the fit's)."""
    n_users, n_items = SHAPES[layout]
    started = time.perf_counter()
    matrix = synthesise(n_users, n_items, n_ratings)
    elapsed = time.perf_counter() - started
    np.savez(path, data=matrix.data, indices=matrix.indices, indptr=matrix.indptr, shape=np.array(matrix.shape))
    per_item = np.sort(np.diff(matrix.tocsc().indptr))[::-1]
    per_user = np.sort(np.diff(matrix.indptr))[::-1]
    return {"synthesis_s": round(elapsed, 1),
            "ratings_of_top_film": int(per_item[0]), "films_rated_by_at_most_5": int((per_item <= 5).sum()),
            "films_never_rated": int((per_item == 0).sum()),
            "median_ratings_per_film": float(np.median(per_item)),
            "ratings_of_heaviest_person": int(per_user[0]), "median_ratings_per_person": float(np.median(per_user)),
            "people_without_ratings": int((per_user == 0).sum())}


def _run(args: list[str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    sys.stderr.write(out.stderr)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed (exit {out.returncode})")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", default=DEFAULT_RUNS, help="comma-separated layout:ratings pairs")
    parser.add_argument("--output", type=Path, default=RESULT)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--synthesise", nargs=3, metavar=("PATH", "LAYOUT", "RATINGS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    if args.synthesise:
        print(json.dumps(synthesise_to(Path(args.synthesise[0]), args.synthesise[1], int(args.synthesise[2]))))
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-fit-scale-"))
    runs = []
    try:
        for spec in args.runs.split(","):
            layout, count = spec.split(":")
            n_users, n_items = SHAPES[layout]
            path = folder / f"{layout}-{count}.npz"
            print(f"{layout} shape, {int(count):,} ratings: synthesising", flush=True)
            shape = _run(["--synthesise", str(path), layout, count])
            print(f"  synthesised in {shape['synthesis_s']} s; fitting in a fresh process", flush=True)
            started = time.perf_counter()
            fitted = _run(["--child", str(path)])
            path.unlink()
            run = {"layout": layout, "people": n_users, "films": n_items, "ratings": int(count), **shape, **fitted,
                   "child_wall_s": round(time.perf_counter() - started, 1)}
            run["targets_met"] = {"fit_s": run["fit_s"] <= TARGETS["fit_s"],
                                  "peak_rss_mb": run["peak_rss_mb"] <= TARGETS["peak_rss_mb"],
                                  "recommend_p95_ms": run["recommend_k10"]["p95_ms"] <= TARGETS["recommend_p95_ms"]}
            print(json.dumps(run), flush=True)
            runs.append(run)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = {
        "what": "HybridRanker.fit as the app runs it (384-d text vectors), then recommend(k=10) for "
                f"{USERS_TIMED} people with ratings; each size synthesised and fitted in fresh processes",
        "synthesis": {"films": f"Zipf-Mandelbrot (rank + {ITEM_OFFSET:g})^-{ITEM_ZIPF:g}",
                      "people": f"Zipf-Mandelbrot (rank + {USER_OFFSET:g})^-{USER_ZIPF:g}",
                      "stars": f"rank-{TASTE_RANK} taste model + biases + noise, half stars, 0.5 counted as 1",
                      "seed": SEED},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "targets": TARGETS,
        "not_included": NOT_INCLUDED,
        "runs": runs,
    }
    args.output.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
