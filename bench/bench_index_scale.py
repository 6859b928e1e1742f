"""Indexing at scale: HNSW settings chosen on real vectors, 100,000 products imported, a killed build resumed.

Parts (all by default; `--parts hnsw,products,million` picks):

- hnsw: the MiniLM vectors of 63,956 real texts (Debian's package summaries with their section, see
  bench/debian_corpus.py; embedded once by the app's embedder and cached under .cache/bench/) go into the
  app's Chroma adapter under a grid of graph shapes (M, ef_construction); 300 held-out texts are the
  queries, answered at several ef_search values. Recall@10 is against exact cosine search over the
  same vectors; query times are one query at a time, as the app asks. The settings the app ships
  (app.store.chroma.DEFAULT_HNSW) are the row this part reports as "shipped".
- products: a 100,000-row product CSV made from the same texts (the 63,956 packages as products, the
  summary as title, the section as category; 36,044 more are variants of them, "(2-pack)" and the like,
  as real catalogues have) is imported by `chatrec import products` in a fresh CHATREC_HOME, as a user
  would: wall clock to the end, the progress lines it printed (stderr not a terminal: a line every
  10 s), then a second fresh import is SIGKILLed half-way through indexing and `chatrec search` is
  timed as it finishes the index from where the killed run stopped.
- million: 1,000,000 items in the app's SQLite store and Chroma index through ItemIndex (the app's
  indexing code, batches, progress), killed half-way and resumed. Embedding a million texts on two
  cores takes longer than this run may (the products part measures its rate), so here the embedder is
  a lookup of real MiniLM vectors: each item's text maps to a real text's vector plus a little noise
  (cosine about 0.95 to it), so the index holds near-duplicates, a harder case for recall than the
  real set. The row says so; the embedding time for a million texts is reported as the measured rate
  times a million, not as a measurement.

Run from the repository root: .venv/bin/python bench/bench_index_scale.py [--parts ...]
Writes bench/results/index_scale.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from app.store.chroma import DEFAULT_HNSW, ChromaVectorStore, HnswSettings  # noqa: E402
from bench.debian_corpus import DebianPackage, read_packages  # noqa: E402
from bench.timing import latency_ms  # noqa: E402

RESULT = ROOT / "bench" / "results" / "index_scale.json"
CACHE = ROOT / ".cache" / "bench"
K = 10
QUERIES = 300
SHAPES = ((8, 32), (12, 48), (16, 64), (16, 100), (32, 100))  # (M, ef_construction); Chroma default (16, 100)
EF_SEARCH = (10, 20, 40, 80, 160, 320)
PRODUCTS = 100_000
MILLION = 1_000_000
VARIANTS = ("2-pack", "refurbished", "travel size", "gift edition", "bulk box", "starter kit")
_ID_JUNK = re.compile(r"[^A-Za-z0-9._-]")  # package names may hold '+', which product ids may not
TARGETS = {"products_s": 120.0, "million_s": 1200.0, "recall_at_10": 0.95, "query_p95_ms": 20.0}


def summary_text(package: DebianPackage) -> str:
    """The text a product made from this package gives the embedder (title, then category)."""
    return f"{package.summary}. {package.section}"


def real_vectors(packages: list[DebianPackage]) -> np.ndarray:
    """MiniLM vectors of every package's product text, embedded by the app's embedder once and cached."""
    from app.embedding.minilm import MiniLMEmbedder, default_model_path

    texts = [summary_text(p) for p in packages]
    key = hashlib.sha256("\n".join(texts).encode() + str(default_model_path()).encode()).hexdigest()[:16]
    path = CACHE / f"debian-minilm-{key}.npy"
    if path.exists():
        return np.load(path)
    print(f"embedding {len(texts)} real texts once (cached in {path.relative_to(ROOT)})...", flush=True)
    vectors = MiniLMEmbedder().embed(texts)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


# -- hnsw ----------------------------------------------------------------------------------------------


def bench_hnsw(vectors: np.ndarray) -> dict[str, Any]:
    """Recall@10 and query times of each graph shape and search breadth on the real vectors."""
    rng = np.random.default_rng(5)
    order = rng.permutation(len(vectors))
    queries, base = vectors[order[:QUERIES]], vectors[order[QUERIES:]]
    ids = [f"p{j}" for j in range(len(base))]
    exact = np.argsort(-(queries @ base.T), axis=1)[:, :K]
    truth = [{ids[j] for j in row} for row in exact]
    rows: list[dict[str, Any]] = []
    for m, efc in SHAPES:
        folder = Path(tempfile.mkdtemp(prefix="chatrec-bench-hnsw-"))
        try:
            store = ChromaVectorStore(folder / "chroma", hnsw=HnswSettings(max_neighbors=m, ef_construction=efc))
            started = time.perf_counter()
            store.upsert(ids, base, [{"domain": "product"}] * len(base))
            insert_s = time.perf_counter() - started
            for efs in EF_SEARCH:
                store.close()
                store = ChromaVectorStore(folder / "chroma", hnsw=HnswSettings(max_neighbors=m, ef_construction=efc,
                                                                               ef_search=efs))
                store.query(queries[0], K)  # the first query loads the graph from disk
                seconds, recalls = [], []
                for query, expected in zip(queries, truth, strict=True):
                    started = time.perf_counter()
                    hits = store.query(query, K)
                    seconds.append(time.perf_counter() - started)
                    recalls.append(len({h.id for h in hits} & expected) / K)
                row = {"max_neighbors": m, "ef_construction": efc, "ef_search": efs,
                       "insert_s": round(insert_s, 1), "insert_per_s": round(len(base) / insert_s, 1),
                       "recall_at_10": round(float(np.mean(recalls)), 4),
                       "worst_recall_at_10": round(float(np.min(recalls)), 2)} | latency_ms(seconds)
                print(f"  M={m} efc={efc} efs={efs}: recall {row['recall_at_10']}, p95 {row['p95_ms']} ms, "
                      f"insert {row['insert_per_s']}/s", flush=True)
                rows.append(row)
            store.close()
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    shipped = next((r for r in rows if (r["max_neighbors"], r["ef_construction"], r["ef_search"]) ==
                    (DEFAULT_HNSW.max_neighbors, DEFAULT_HNSW.ef_construction, DEFAULT_HNSW.ef_search)), None)
    return {"vectors": len(base), "queries": QUERIES, "k": K,
            "texts": "Debian bookworm package summaries with their section (real, human-written)",
            "shipped": asdict(DEFAULT_HNSW), "shipped_row": shipped, "grid": rows}


# -- products ------------------------------------------------------------------------------------------


def write_products(packages: list[DebianPackage], path: Path, n: int = PRODUCTS) -> None:
    """A product CSV of n rows: every package once, then variants of them until n."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "title", "category", "price", "description"])
        for row in range(n):
            package = packages[row % len(packages)]
            variant = row // len(packages)
            suffix = "" if variant == 0 else f" ({VARIANTS[(variant - 1) % len(VARIANTS)]})"
            title = package.summary + suffix
            price = 1 + int(hashlib.md5(f"{package.name}{variant}".encode()).hexdigest()[:6], 16) % 20000 / 100
            writer.writerow([f"{_ID_JUNK.sub('-', package.name)}-{row}", title, package.section, f"{price:.2f}", ""])


def _chatrec(home: Path, *args: str) -> subprocess.Popen[str]:
    env = os.environ | {"CHATREC_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "app", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _child_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


def bench_products(packages: list[DebianPackage]) -> dict[str, Any]:
    """`chatrec import products` on 100,000 rows, whole; then killed half-way and finished by a search."""
    work = Path(tempfile.mkdtemp(prefix="chatrec-bench-products-"))
    try:
        csv_path = work / "products.csv"
        write_products(packages, csv_path)
        started = time.perf_counter()
        run = _chatrec(work / "whole", "import", "products", str(csv_path))
        out, err = run.communicate()
        whole_s = time.perf_counter() - started
        if run.returncode != 0:
            raise SystemExit(f"import failed ({run.returncode}): {err[-2000:]}")
        lines = [line for line in err.splitlines() if line.strip()]
        print(f"  whole import: {whole_s:.1f} s; {out.strip()}", flush=True)
        rate = _indexing_rate(lines)
        # The kill: a fresh import, stopped once indexing is about half done, then a search finishes it.
        started = time.perf_counter()
        killed = _chatrec(work / "killed", "import", "products", str(csv_path))
        assert killed.stderr is not None
        seen = ""
        for line in killed.stderr:
            done = _indexed(line)
            if done is not None and done >= PRODUCTS // 2:
                seen = line.strip()
                break
        killed.send_signal(signal.SIGKILL)
        killed.communicate()
        killed_after_s = time.perf_counter() - started
        started = time.perf_counter()
        resumed = _chatrec(work / "killed", "search", "real-time strategy game", "--json")
        out, err = resumed.communicate()
        resume_s = time.perf_counter() - started
        if resumed.returncode != 0:
            raise SystemExit(f"search after the kill failed ({resumed.returncode}): {err[-2000:]}")
        log = (work / "killed" / "logs").rglob("*.log")
        held = [m.groups() for f in log for m in re.finditer(r"holds (\d+) of (\d+) items", f.read_text())]
        print(f"  killed at {seen!r}, search finished the index in {resume_s:.1f} s; resumed from {held}", flush=True)
        return {"rows": PRODUCTS, "whole_import_s": round(whole_s, 1), "progress_lines": len(lines),
                "progress_sample": lines[:2] + lines[-2:], "indexing_texts_per_s": rate,
                "killed_at": seen, "killed_after_s": round(killed_after_s, 1),
                "resumed_from": [[int(a), int(b)] for a, b in held],
                "search_that_finished_the_index_s": round(resume_s, 1), "peak_rss_mb_children": _child_rss_mb(),
                "target_s": TARGETS["products_s"], "meets_target": whole_s <= TARGETS["products_s"]}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _indexed(line: str) -> int | None:
    match = re.search(r"indexing item texts ([\d,]+)/", line)
    return int(match.group(1).replace(",", "")) if match else None


def _indexing_rate(lines: list[str]) -> float | None:
    """Texts per second between the first and last indexing lines (10 s apart each)."""
    points = [(i, _indexed(line)) for i, line in enumerate(lines)]
    counted = [p for p in points if p[1] is not None]
    if len(counted) < 3:
        return None
    # the lines come every 10 s: the count between the first and the last full interval
    first, last = counted[0], counted[-2]
    spans = last[0] - first[0]
    return round((last[1] - first[1]) / (10.0 * spans), 1) if spans > 0 else None  # type: ignore[operator]


# -- the million ---------------------------------------------------------------------------------------

MILLION_CHILD = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, sys.argv[1])
from bench.bench_index_scale import million_parts
store, index, vectors = million_parts(sys.argv[2], int(sys.argv[3]))
total = store.count("items")
print(json.dumps({"start": vectors.count()}), flush=True)
last = [0.0]
def progress(done, total, message):
    now = time.monotonic()
    if message == "indexing item texts" and now - last[0] >= 2.0:
        last[0] = now
        print(json.dumps({"done": done, "total": total}), flush=True)
started = time.perf_counter()
index.ensure_current(progress)
print(json.dumps({"finished_s": time.perf_counter() - started, "count": vectors.count(), "items": total}), flush=True)
vectors.close()
"""


class LookupEmbedder:
    """The Embedder port over precomputed vectors: item text -> the vector derived for that item."""

    dimension = 384

    def __init__(self, texts: list[str], vectors: np.ndarray, sigma: float) -> None:
        self._row = {text: row for row, text in enumerate(texts)}
        self._real = vectors
        self._sigma = sigma

    def vector(self, row: int) -> np.ndarray:
        """Item row's vector: the real vector of its text plus noise seeded by the row (the same on resume)."""
        base = self._real[row % len(self._real)]
        if row < len(self._real):
            return base
        noisy = base + np.random.default_rng(row).normal(scale=self._sigma, size=base.shape).astype(np.float32)
        return noisy / np.linalg.norm(noisy)

    def embed(self, texts: list[str]) -> np.ndarray:
        """The derived vectors of these texts."""
        return np.vstack([self.vector(self._row[t]) for t in texts]).astype(np.float32)


def million_items(packages: list[DebianPackage], n: int) -> list[Any]:
    """n catalogue items: every package as a product, then numbered variants of them."""
    from app.domain.items import Item

    items = []
    for row in range(n):
        package = packages[row % len(packages)]
        variant = row // len(packages)
        title = package.summary if variant == 0 else f"{package.summary} (variant {variant})"
        items.append(Item(id=f"product:{package.name}-{row}", domain="product", title=title,
                          genres=(package.section,)))
    return items


def million_parts(home: str, n: int) -> tuple[Any, Any, Any]:
    """The app's store, item index and Chroma index over the data folder home (filled on first call)."""
    from app.services.index import ItemIndex
    from app.store.sqlite import CatalogueImport, SQLiteStore

    packages = read_packages()
    real = real_vectors(packages)
    items = million_items(packages, n)
    # sigma 0.012 per dimension puts a variant at cosine ~0.95 to its package's vector (384 dims)
    embedder = LookupEmbedder([item.text() for item in items], real, sigma=0.012)
    store = SQLiteStore.open(Path(home) / "chatrec.sqlite3")
    if store.count("items") == 0:
        store.import_catalogue(CatalogueImport("products", "bench", "bench", items))
    vectors = ChromaVectorStore(Path(home) / "chroma")
    return store, ItemIndex(store, embedder, vectors, lambda: vectors.needs_rebuild), vectors


def _run_million_child(home: Path, n: int, kill_at: int | None) -> tuple[list[dict[str, Any]], float]:
    child = subprocess.Popen([sys.executable, "-c", MILLION_CHILD, str(ROOT), str(home), str(n)], text=True,
                             stdout=subprocess.PIPE, cwd=ROOT)
    assert child.stdout is not None
    started = time.perf_counter()
    events: list[dict[str, Any]] = []
    for line in child.stdout:
        events.append(json.loads(line))
        print(f"    {events[-1]}", flush=True)
        if kill_at is not None and events[-1].get("done", 0) >= kill_at:
            child.send_signal(signal.SIGKILL)
            break
    child.communicate()
    return events, time.perf_counter() - started


def bench_million(packages: list[DebianPackage], n: int, embedding_rate: float | None) -> dict[str, Any]:
    """n items indexed through ItemIndex, killed half-way, resumed; then queries at that size."""
    home = Path(tempfile.mkdtemp(prefix="chatrec-bench-million-"))
    try:
        started = time.perf_counter()
        store, _index, vectors = million_parts(str(home), n)
        vectors.close()
        store.close()
        saved_s = time.perf_counter() - started
        print(f"  {n} items saved in {saved_s:.1f} s", flush=True)
        first, first_s = _run_million_child(home, n, kill_at=n // 2)
        second, second_s = _run_million_child(home, n, kill_at=None)
        finished = second[-1]
        print(f"  killed after {first_s:.0f} s, resumed from {second[0]['start']} and finished in {second_s:.0f} s",
              flush=True)
        # Queries at this size: real held-out texts' vectors, recall against exact search over every item.
        real = real_vectors(packages)
        items = million_items(packages, n)
        embedder = LookupEmbedder([item.text() for item in items], real, sigma=0.012)
        matrix = np.vstack([embedder.vector(row) for row in range(n)]).astype(np.float32)
        store_again = ChromaVectorStore(home / "chroma")
        rng = np.random.default_rng(9)
        probes = rng.choice(len(real), size=QUERIES, replace=False)
        seconds, recalls = [], []
        store_again.query(real[probes[0]], K)
        for probe in probes:
            query = real[probe]
            expected = {items[j].id for j in np.argpartition(-(matrix @ query), K)[:K]}
            began = time.perf_counter()
            hits = store_again.query(query, K)
            seconds.append(time.perf_counter() - began)
            recalls.append(len({h.id for h in hits} & expected) / K)
        store_again.close()
        folder_mb = sum(f.stat().st_size for f in (home / "chroma").rglob("*") if f.is_file()) / 1e6
        index_s = first_s + second_s
        result: dict[str, Any] = {
            "items": n, "saved_to_sqlite_s": round(saved_s, 1),
            "vectors": "real MiniLM vectors of the 63,956 texts, then variants: the same plus noise (cosine ~0.95)",
            "killed_after_s": round(first_s, 1), "indexed_when_killed": first[-1].get("done"),
            "resumed_from": second[0]["start"], "resume_to_done_s": round(second_s, 1),
            "indexing_s_without_embedding": round(index_s, 1), "count_after": finished.get("count"),
            "recall_at_10": round(float(np.mean(recalls)), 4), "query": latency_ms(seconds),
            "folder_mb": round(folder_mb, 1),
        }
        if embedding_rate:
            result["embedding_s_at_measured_rate"] = round(n / embedding_rate, 1)
            result["projected_total_s"] = round(index_s + n / embedding_rate, 1)
            result["meets_target"] = result["projected_total_s"] <= TARGETS["million_s"]
        return result
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="hnsw,products", help="comma-separated: hnsw, products, million")
    parser.add_argument("--million-items", type=int, default=MILLION, help="items in the million part")
    parser.add_argument("--out", type=Path, default=RESULT)
    args = parser.parse_args()
    parts = set(args.parts.split(","))

    import chromadb

    result: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                         "chromadb": chromadb.__version__, "load_avg_start": [round(x, 2) for x in os.getloadavg()]}
    result["when"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    result["targets"] = TARGETS
    packages = read_packages()

    def save() -> None:  # after every part, so a failing later part keeps what the earlier ones measured
        result["machine"]["load_avg_end"] = [round(x, 2) for x in os.getloadavg()]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n")

    if "hnsw" in parts:
        print("HNSW settings on real vectors...", flush=True)
        result["hnsw"] = bench_hnsw(real_vectors(packages))
        save()
    if "products" in parts:
        print(f"{PRODUCTS} products through chatrec import products...", flush=True)
        result["products"] = bench_products(packages)
        save()
    if "million" in parts:
        print(f"{args.million_items} items through the app's index code...", flush=True)
        rate = result.get("products", {}).get("indexing_texts_per_s")
        result["million"] = bench_million(packages, args.million_items, rate)
        save()
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")

if __name__ == "__main__":
    main()
