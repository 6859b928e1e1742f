"""Latency summaries shared by the benchmarks, so every result file reports them alike."""

from __future__ import annotations

import numpy as np


def latency_ms(samples: list[float]) -> dict[str, float]:
    """Median, p95 and max in milliseconds, and the count, of durations given in seconds."""
    arr = np.asarray(samples) * 1000.0
    return {"median_ms": round(float(np.median(arr)), 3), "p95_ms": round(float(np.percentile(arr, 95)), 3),
            "max_ms": round(float(arr.max()), 3), "n": int(arr.size)}
