"""The user-item matrix: ids <-> indices and a sparse matrix of stars (what every recommender learns from)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray


@dataclass
class InteractionMatrix:
    """Stars given by users to items as a CSR matrix (0 means unrated)."""

    user_ids: list[str]
    item_ids: list[str]
    matrix: sp.csr_matrix
    user_index: dict[str, int] = field(init=False)
    item_index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.user_index = {u: i for i, u in enumerate(self.user_ids)}
        self.item_index = {it: i for i, it in enumerate(self.item_ids)}

    @classmethod
    def from_triples(cls, triples: Iterable[tuple[str, str, float]],
                     item_ids: Sequence[str] | None = None,
                     user_ids: Sequence[str] | None = None) -> InteractionMatrix:
        """Build from (user, item, stars); item_ids fixes the columns (unrated items included)."""
        rows: list[tuple[str, str, float]] = list(triples)
        items = list(item_ids) if item_ids is not None else sorted({t[1] for t in rows})
        users = list(user_ids) if user_ids is not None else sorted({t[0] for t in rows})
        u_index = {u: i for i, u in enumerate(users)}
        i_index = {it: i for i, it in enumerate(items)}
        r, c, v = [], [], []
        for user, item, stars in rows:
            ui = u_index.get(user)
            ii = i_index.get(item)
            if ui is None or ii is None:
                continue
            r.append(ui)
            c.append(ii)
            v.append(float(stars))
        matrix = sp.csr_matrix((np.asarray(v, dtype=np.float64), (r, c)),
                               shape=(len(users), len(items)))
        matrix.sum_duplicates()
        return cls(users, items, matrix)

    @property
    def n_users(self) -> int:
        """Number of users (rows)."""
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        """Number of items (columns)."""
        return len(self.item_ids)

    def row(self, user_id: str) -> NDArray[np.float64]:
        """A user's dense row of stars (zeros when the user is unknown)."""
        index = self.user_index.get(user_id)
        if index is None:
            return np.zeros(self.n_items)
        return np.asarray(self.matrix[index].toarray()).ravel()

    def row_from_ratings(self, ratings: Iterable[tuple[str, float]]) -> NDArray[np.float64]:
        """A dense row of stars from (item, stars) pairs; unknown items are ignored."""
        row = np.zeros(self.n_items)
        for item, stars in ratings:
            index = self.item_index.get(item)
            if index is not None:
                row[index] = stars
        return row

    def popularity(self) -> NDArray[np.int64]:
        """How many users rated each item."""
        return np.asarray(self.matrix.getnnz(axis=0), dtype=np.int64)
