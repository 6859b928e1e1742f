"""Tiny rating matrices whose right recommendations are obvious (tests/unit/recommend/blocks.py)."""

from __future__ import annotations

import numpy as np
import pytest

from app.domain.interactions import InteractionMatrix
from tests.unit.recommend.blocks import block_item_vectors, block_matrix


@pytest.fixture
def blocks() -> InteractionMatrix:
    """The two-block matrix."""
    return block_matrix()


@pytest.fixture
def item_vectors() -> np.ndarray:
    """Unit text vectors: block A items point one way, block B another, item 11 a third."""
    return block_item_vectors()
