"""A deterministic Embedder: hashed bag of words, so texts that share words are similar."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

_WORD = re.compile(r"\w+")


class FakeEmbedder:
    """Embedder port without a model: each lower-cased word adds +-1 to one hashed dimension."""

    def __init__(self, dimension: int = 384) -> None:
        self._dimension = dimension
        self.calls = 0  # how many times embed ran: lets tests check caching and batching
        self.texts_seen = 0

    @property
    def dimension(self) -> int:
        """The length of every vector."""
        return self._dimension

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Embed texts into a (len(texts), dimension) float32 array of unit rows."""
        if isinstance(texts, str):
            raise TypeError("embed takes a sequence of texts, not a single string")
        self.calls += 1
        self.texts_seen += len(texts)
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            # A text without words still needs a unit vector: it gets its own fixed bucket.
            for word in _WORD.findall(text.lower()) or ["\0empty"]:
                index, sign = self._bucket(word)
                out[row, index] += sign
            norm = float(np.linalg.norm(out[row]))
            if norm == 0.0:  # words cancelled out exactly: fall back to the empty-text bucket
                index, sign = self._bucket("\0empty")
                out[row, index] = sign
                norm = 1.0
            out[row] /= norm
        return out

    def _bucket(self, word: str) -> tuple[int, float]:
        # blake2b, not hash(): Python salts str hashes per process and tests need stable vectors.
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        return value % self._dimension, 1.0 if (value >> 32) & 1 else -1.0
