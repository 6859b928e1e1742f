"""Run docs/evaluation.md's ranking protocol on ML-100K and ML-1M and the rating CV; write JSON and a chart.

Run from the repository root: .venv/bin/python bench/bench_eval.py [--ranking-only]
(--ranking-only leaves the rating cross-validation and rating_ml-100k.json alone.)
The hybrid is evaluated twice: on ratings only ("hybrid") and, as the app fits it, with MiniLM
vectors of the item texts ("hybrid+text", embedded afresh on each run, never cached).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from app.recommend.evaluate import evaluate_dataset, evaluate_rating_prediction  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def _progress(done: int, total: int, message: str) -> None:
    print(f"  [{done}/{total}] {message}", flush=True)


def _write(name: str, report: dict[str, Any]) -> None:
    path = RESULTS / name
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


def _chart(reports: list[dict[str, Any]]) -> None:
    fig, axes = plt.subplots(1, len(reports), figsize=(6.5 * len(reports), 4.2), squeeze=False)
    for ax, report in zip(axes[0], reports, strict=True):
        names = list(report["models"])
        x = range(len(names))
        width = 0.38
        ndcg = [report["models"][n]["NDCG@10"] for n in names]
        prec = [report["models"][n]["P@5"] for n in names]
        ax.bar([i - width / 2 for i in x], ndcg, width, label="NDCG@10")
        ax.bar([i + width / 2 for i in x], prec, width, label="P@5")
        # The row the app runs is starred: the hybrid fitted with item text vectors.
        labels = [f"{n} *" if n == report.get("shipped") else n for n in names]
        ax.set_xticks(list(x), labels, rotation=20)
        ax.set_title(f"{report['dataset']} (per-user 20% holdout, seed 42; * = shipped)")
        ax.legend(loc="upper left")
        for i, (n_value, p_value) in enumerate(zip(ndcg, prec, strict=True)):
            ax.text(i - width / 2, n_value, f"{n_value:.3f}", ha="center", va="bottom", fontsize=6.5)
            ax.text(i + width / 2, p_value, f"{p_value:.3f}", ha="center", va="bottom", fontsize=6.5)
        ax.set_ylim(0, max(ndcg + prec) * 1.15)
    fig.tight_layout()
    path = RESULTS / "eval_chart.png"
    fig.savefig(path, dpi=120)
    print(f"wrote {path.relative_to(ROOT)}")


def main(argv: list[str]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    reports: list[dict[str, Any]] = []
    for dataset in ("ml-100k", "ml-1m"):
        print(f"ranking: {dataset}", flush=True)
        started = time.perf_counter()
        report = evaluate_dataset(dataset, progress=_progress)
        print(f"  took {time.perf_counter() - started:.0f} s")
        for name, metrics in report["models"].items():
            mark = " *" if name == report["shipped"] else ""
            print(f"  {name + mark:14s} NDCG@10 {metrics['NDCG@10']:.4f}  P@5 {metrics['P@5']:.4f}  "
                  f"NDCG@5 {metrics['NDCG@5']:.4f}  fit {metrics['fit_s']:.1f}s")
        _write(f"eval_{dataset}.json", report)
        reports.append(report)
    _chart(reports)
    if "--ranking-only" in argv:
        return
    print("rating prediction: ml-100k, 5 folds", flush=True)
    rating = evaluate_rating_prediction("ml-100k", folds=5, seed=42, progress=_progress)
    for name, metrics in rating["models"].items():
        print(f"  {name:20s} RMSE {metrics['RMSE']:.4f}  MAE {metrics['MAE']:.4f}")
    _write("rating_ml-100k.json", rating)


if __name__ == "__main__":
    main(sys.argv[1:])
