"""A deterministic stand-in for the embedding model, for tests whose point is index logic.

Words are hashed into a 64-dimensional bag-of-words vector, so texts that share words are
close, and the same text always gets the same vector. ``delay`` slows every text down (to
kill a build half-way).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence

import numpy as np

_WORD = re.compile(r"\w+")


def _bucket(word: str, size: int) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little") % size


class FakeEmbedder:
    supports_sparse = True

    def __init__(self, model_id: str = "fake-bow-64", dim: int = 64, delay: float = 0.0) -> None:
        self.model_id = model_id
        self.dim = dim
        self.delay = delay
        self.embedded: list[str] = []  # every passage text embedded, in order
        self.sparse_embedded: list[str] = []

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            vector[_bucket(word, self.dim)] += 1.0
        vector[_bucket("\x00bias", self.dim)] += 0.1
        return vector / np.linalg.norm(vector)

    def embed_query_array(self, text: str) -> np.ndarray:
        return self._vector(text)

    def embed_documents_array(
        self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None
    ) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            if self.delay:
                time.sleep(self.delay)
            out[i] = self._vector(text)
            self.embedded.append(text)
            if progress is not None:
                progress(i + 1, len(texts))
        return out

    def sparse_query(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        ids = sorted({_bucket(w, 1000) for w in _WORD.findall(text.lower())})
        return np.asarray(ids, dtype=np.int32), np.ones(len(ids), dtype=np.float32)

    def sparse_documents(
        self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        self.sparse_embedded.extend(texts)
        return [self.sparse_query(t) for t in texts]
