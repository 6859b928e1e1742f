"""Tiny rating matrices whose right recommendations are obvious."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from app.domain.interactions import InteractionMatrix

BLOCK = 5  # items per block; users of block A rate only items 0-4, block B only 5-9


def block_matrix() -> InteractionMatrix:
    """Two taste groups: each user rates every item of their block but one, plus a shared hit."""
    rows, cols, stars = [], [], []
    for user in range(12):
        block = 0 if user < 6 else 1
        skipped = block * BLOCK + user % BLOCK
        for item in range(block * BLOCK, (block + 1) * BLOCK):
            if item != skipped:
                rows.append(user)
                cols.append(item)
                stars.append(5.0 if item % 2 == 0 else 4.0)
    # Item 10 is the crowd favourite (rated by both blocks); item 11 nobody rated.
    for user in range(0, 12, 2):
        rows.append(user)
        cols.append(10)
        stars.append(3.0)
    matrix = sp.csr_matrix((stars, (rows, cols)), shape=(12, 12))
    return InteractionMatrix([f"u{i}" for i in range(12)], [f"i{j}" for j in range(12)], matrix)


@pytest.fixture
def blocks() -> InteractionMatrix:
    """The two-block matrix."""
    return block_matrix()


@pytest.fixture
def item_vectors() -> np.ndarray:
    """Unit text vectors: block A items point one way, block B another, item 11 a third."""
    vectors = np.zeros((12, 3), dtype=np.float32)
    vectors[:5, 0] = 1.0
    vectors[5:10, 1] = 1.0
    vectors[10] = [0.6, 0.8, 0.0]
    vectors[11, 2] = 1.0
    return vectors
