"""Small products for the one-user path, kept off OpenBLAS's thread pool."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def matvec(matrix: NDArray[np.floating], vector: NDArray[np.floating]) -> NDArray[np.float64]:
    """matrix @ vector computed by einsum on one core.

    OpenBLAS threads a GEMV of this size (a few thousand items x a few hundred columns); waking its
    sleeping threads cost ~7 ms per call on a 2-core machine, against ~0.2 ms for this loop.
    """
    return np.asarray(np.einsum("ij,j->i", matrix, vector), dtype=np.float64)


# Rows per product: 64 x 60 x 64 multiply-adds stay under OpenBLAS's threading threshold (262,144).
_GRAM_BLOCK = 60


def weighted_gram(rows: NDArray[np.floating], weights: NDArray[np.floating]) -> NDArray[np.float64]:
    """sum_n weights[n] rows[n]^T rows[n] (rows: n x k), in products small enough for one core.

    One k x n x k product for a heavy rater (thousands of rows) is big enough for OpenBLAS to wake its
    threads: 20 ms for 3,000 rows of 64 on this 2-core machine while another process was busy, against
    4.6 ms in blocks of 60 rows (and 1.1 ms against 8.8 for 1,000 rows).
    """
    k = rows.shape[1]
    weighted = rows * np.asarray(weights, dtype=np.float64)[:, None]
    out = np.zeros((k, k))
    for start in range(0, rows.shape[0], _GRAM_BLOCK):
        out += weighted[start:start + _GRAM_BLOCK].T @ rows[start:start + _GRAM_BLOCK]
    return out
