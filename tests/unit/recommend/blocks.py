"""Two taste groups whose right recommendations are obvious: the recommenders' shared fixture.

Twelve users and twelve items. Users 0-5 (group A) rate items 0-4, users 6-11 (group B) items 5-9,
each all of their group's items but one (user u skips item 5 * group + u % 5), 5★ on even items and
4★ on odd ones; every other user also gives item 10 (the crowd favourite) 3★; nobody rates item 11.
So a user's right first recommendation is the one item of their own group they have not rated.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from app.domain.interactions import InteractionMatrix

BLOCK = 5  # items per group: group A is items 0-4, group B items 5-9
GROUP_A = range(0, BLOCK)
GROUP_B = range(BLOCK, 2 * BLOCK)
CROWD_FAVOURITE = 10  # rated by both groups
NOBODY_RATED = 11
N_USERS = N_ITEMS = 12


def block_matrix() -> InteractionMatrix:
    """The two taste groups as an interaction matrix."""
    rows, cols, stars = [], [], []
    for user in range(N_USERS):
        block = group_of(user)
        for item in range(block * BLOCK, (block + 1) * BLOCK):
            if item != missing_item(user):
                rows.append(user)
                cols.append(item)
                stars.append(5.0 if item % 2 == 0 else 4.0)
    for user in range(0, N_USERS, 2):
        rows.append(user)
        cols.append(CROWD_FAVOURITE)
        stars.append(3.0)
    matrix = sp.csr_matrix((stars, (rows, cols)), shape=(N_USERS, N_ITEMS))
    return InteractionMatrix([f"u{i}" for i in range(N_USERS)], [f"i{j}" for j in range(N_ITEMS)], matrix)


def block_item_vectors() -> NDArray[np.float32]:
    """Unit text vectors: group A items point one way, group B another, item 11 a third."""
    vectors = np.zeros((N_ITEMS, 3), dtype=np.float32)
    vectors[GROUP_A, 0] = 1.0
    vectors[GROUP_B, 1] = 1.0
    vectors[CROWD_FAVOURITE] = [0.6, 0.8, 0.0]
    vectors[NOBODY_RATED, 2] = 1.0
    return vectors


def group_of(user: int) -> int:
    """0 for a group A user, 1 for a group B user."""
    return 0 if user < N_USERS // 2 else 1


def missing_item(user: int) -> int:
    """The one item of their own group the user has not rated: their right first recommendation."""
    return group_of(user) * BLOCK + user % BLOCK


def row_of(blocks: InteractionMatrix, user: int) -> NDArray[np.float64]:
    """One user's ratings as a dense row."""
    return np.asarray(blocks.matrix[user].toarray()).ravel()
