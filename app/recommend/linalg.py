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
