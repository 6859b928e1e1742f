"""The columns a collaborative model learns from, and the way between them and the full catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from app.domain.interactions import InteractionMatrix


@dataclass(frozen=True)
class ActiveColumns:
    """The columns somebody rated at fit time, and the way between them and the full catalogue.

    Collaborative models learn nothing from a column nobody rated (EASE's weights and the co-rating
    similarities of such an item are exactly zero), yet dense item x item matrices over a 50,000-track
    library would take gigabytes. They are fitted on the active columns; this maps to and from them.
    """

    active: NDArray[np.int64]  # the full column of each active position, ascending
    position: NDArray[np.int64]  # the active position of each full column, -1 when inactive

    @classmethod
    def rated_in(cls, matrix: sp.csr_matrix) -> ActiveColumns:
        """The columns of `matrix` with at least one positive star."""
        m = sp.csr_matrix(matrix)
        rated = np.zeros(m.shape[1], dtype=bool)
        rated[m.indices[m.data > 0]] = True
        active = np.flatnonzero(rated).astype(np.int64)
        position = np.full(m.shape[1], -1, dtype=np.int64)
        position[active] = np.arange(active.size)
        return cls(active, position)

    @property
    def n_items(self) -> int:
        """Number of columns of the full catalogue."""
        return int(self.position.size)

    @property
    def size(self) -> int:
        """Number of active columns."""
        return int(self.active.size)

    @property
    def inactive(self) -> NDArray[np.bool_]:
        """A full-length mask of the columns nobody had rated."""
        mask: NDArray[np.bool_] = self.position < 0
        return mask

    def restrict(self, data: InteractionMatrix) -> InteractionMatrix:
        """The same users and stars over the active columns only."""
        return InteractionMatrix(data.user_ids, [data.item_ids[j] for j in self.active], self.take(data.matrix))

    @overload
    def take(self, rows: NDArray[np.float64]) -> NDArray[np.float64]: ...

    @overload
    def take(self, rows: sp.csr_matrix) -> sp.csr_matrix: ...

    def take(self, rows: sp.csr_matrix | NDArray[np.float64]) -> sp.csr_matrix | NDArray[np.float64]:
        """The active columns of full-width rows (last axis of a dense array; a sparse matrix stays sparse)."""
        if self._everything:
            return rows
        if isinstance(rows, np.ndarray):
            return np.asarray(rows[..., self.active], dtype=np.float64)
        return sp.csr_matrix(sp.csr_matrix(rows)[:, self.active])

    def expand(self, values: NDArray[np.float64], fill: float = 0.0) -> NDArray[np.float64]:
        """Active-width values (last axis) spread over the full catalogue, `fill` on inactive columns."""
        if self._everything:
            return values
        out = np.full((*values.shape[:-1], self.n_items), fill, dtype=np.float64)
        out[..., self.active] = values
        return out

    def entries(self, matrix: NDArray[np.floating], rows: NDArray[np.int64], column: int) -> NDArray[np.float64]:
        """matrix[rows, column] of an active x active matrix addressed by full columns; 0 if either is inactive."""
        out = np.zeros(rows.size)
        at = self.position[column]
        if at < 0:
            return out
        positions = self.position[rows]
        known = positions >= 0
        out[known] = matrix[positions[known], at]
        return out

    @property
    def _everything(self) -> bool:
        # MovieLens-like data: every column is active, so rows pass through untouched (no copies).
        return self.size == self.n_items
