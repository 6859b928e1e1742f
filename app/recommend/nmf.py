"""Non-negative matrix factorisation of the user-item star matrix (sklearn), with fold-in."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from app.domain.interactions import InteractionMatrix

if TYPE_CHECKING:
    from sklearn.decomposition import NMF

# sklearn is imported inside the methods: it costs seconds at start-up, and the shipped hybrid
# leaves NMF out, so the app's commands should not pay for it.


class NMFRecommender:
    """Scores items by W_u H, where W_u is found for any rating row by NMF.transform (no refit)."""

    name = "nmf"

    def __init__(self, n_components: int = 20, max_iter: int = 200, alpha: float = 0.0,
                 seed: int = 42) -> None:
        self.n_components = n_components
        self.max_iter = max_iter
        self.alpha = alpha
        self.seed = seed
        self.model: NMF | None = None
        self.components: NDArray[np.float64] | None = None

    def fit(self, data: InteractionMatrix) -> None:
        """Factorise the star matrix into non-negative user and item factors."""
        from sklearn.decomposition import NMF
        from sklearn.exceptions import ConvergenceWarning

        k = max(1, min(self.n_components, min(data.matrix.shape)))
        self.model = NMF(n_components=k, init="nndsvda", max_iter=self.max_iter,
                         alpha_W=self.alpha, alpha_H="same", random_state=self.seed)
        with warnings.catch_warnings():
            # A capped iteration count is a speed choice, not an error worth a warning per fit.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(sp.csr_matrix(data.matrix, dtype=np.float64))
        self.components = np.asarray(self.model.components_, dtype=np.float64)

    def user_factors(self, rows: sp.csr_matrix) -> NDArray[np.float64]:
        """Fold rating rows into the factor space (the user side of the factorisation)."""
        if self.model is None:
            raise RuntimeError("nmf must be fitted before scoring")
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return np.asarray(self.model.transform(sp.csr_matrix(rows, dtype=np.float64)))

    def score(self, user_row: NDArray[np.float64]) -> NDArray[np.float64]:
        """Reconstructed stars for one dense row."""
        return np.asarray(self.score_many(sp.csr_matrix(np.atleast_2d(user_row)))[0], dtype=np.float64)

    def score_many(self, rows: sp.csr_matrix) -> NDArray[np.float64]:
        """Reconstructed stars for many rows."""
        if self.components is None:
            raise RuntimeError("nmf must be fitted before scoring")

        return self.user_factors(rows) @ self.components
