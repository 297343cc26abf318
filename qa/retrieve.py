"""``qa.search``: a question in any language → the best paragraphs of the articles, best first."""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa import rank, store
from qa.embeddings import sparse_dot, sparse_from_str
from qa.errors import IndexStoreError, InputError
from qa.models import Passage

if TYPE_CHECKING:
    from qa.config import Settings
    from qa.corpus import Corpus
    from qa.embeddings import TextEmbedder
    from qa.index import IndexReport, OpenIndex

log = logging.getLogger(__name__)

# Characters that only hide or reorder text: zero-width spaces, bidi overrides, BOM. ZWJ/ZWNJ stay.
_KEEP_FORMAT = {"\u200c", "\u200d"}
_WHITESPACE = re.compile(r"\s+")
# How often (seconds) a long-lived retriever looks at the sources folder for changes.
_SOURCE_CHECK_INTERVAL = 1.0
# Sentences fetched per language before re-ranking (at least 4·k).
_CANDIDATES_PER_LANGUAGE = 30


def validate_question(question: str, settings: Settings) -> str:
    """The question cleaned for use (control characters removed, whitespace collapsed).

    Raises InputError for a non-string, an empty question, one with no letter or digit (only
    punctuation or symbols), or one over ``QA_MAX_QUESTION_CHARS``.
    """
    if not isinstance(question, str):
        raise InputError(f"The question must be text, not {type(question).__name__}.")
    limit = settings.max_question_chars
    if len(question) > 20 * limit:  # hopeless: don't even clean it
        raise InputError(
            f"The question is {len(question):,} characters long; the limit is {limit:,} "
            "(setting QA_MAX_QUESTION_CHARS). Please shorten it."
        )
    cleaned_chars = []
    for ch in unicodedata.normalize("NFC", question):
        category = unicodedata.category(ch)
        if category == "Cc" or ch in "\u2028\u2029":
            cleaned_chars.append(" ")  # tabs, newlines and other controls separate words
        elif (category == "Cf" and ch not in _KEEP_FORMAT) or category == "Cs":
            continue  # lone surrogates (possible in a str, not in UTF-8) cannot even be encoded
        else:
            cleaned_chars.append(ch)
    cleaned = _WHITESPACE.sub(" ", "".join(cleaned_chars)).strip()
    if not cleaned:
        raise InputError("The question is empty. Please type a question about the articles.")
    if not has_words(cleaned):
        shown = cleaned if len(cleaned) <= 40 else cleaned[:39] + "…"
        raise InputError(
            f"The question has no words, only {shown!r}. Please type a question about the articles."
        )
    if len(cleaned) > limit:
        raise InputError(
            f"The question is {len(cleaned):,} characters long; the limit is {limit:,} "
            "(setting QA_MAX_QUESTION_CHARS). Please shorten it."
        )
    return cleaned


def has_words(text: str) -> bool:
    """Whether ``text`` has a letter or a digit, in any script: "???" or "🙂" has none, and a
    model given one answers anyway, from whatever retrieval returned for it."""
    return any(ch.isalnum() for ch in text)


def validate_k(k: int, settings: Settings) -> int:
    """``k`` itself if it is a whole number between 1 and ``QA_MAX_K``; InputError otherwise."""
    if isinstance(k, bool) or not isinstance(k, int):
        raise InputError(f"k (the number of passages) must be a whole number, not {k!r}.")
    if not 1 <= k <= settings.max_k:
        raise InputError(
            f"k (the number of passages) must be between 1 and {settings.max_k} (setting QA_MAX_K), not {k}."
        )
    return k


def _sources_signature(sources_dir: Path) -> tuple[tuple[str, int, int], ...]:
    from qa.corpus import iter_source_paths

    if not sources_dir.is_dir():
        return ()
    signature = []
    for path in iter_source_paths(sources_dir):
        try:
            st = path.stat()
        except OSError:
            continue
        signature.append((path.as_posix(), st.st_size, st.st_mtime_ns))
    return tuple(signature)


class Retriever:
    """Searches the index of ``settings.sources_dir``, building or refreshing it on first use.

    Loads the embedding model and the corpus once; thread-safe. A long-lived retriever
    notices edited sources (at most once a second) and brings the index up to date.
    """

    def __init__(self, settings: Settings, *, embedder: TextEmbedder | None = None) -> None:
        self.settings = settings
        self._lock = threading.RLock()
        self._embedder: TextEmbedder | None = embedder  # None: the one the settings name
        self._index: OpenIndex | None = None
        self._corpus: Corpus | None = None
        self._signature: tuple[tuple[str, int, int], ...] | None = None
        self._checked_at = 0.0
        self.last_report: IndexReport | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._records: _RecordCache | None = None

    @property
    def embedder(self) -> TextEmbedder:
        if self._embedder is None:
            from qa.embeddings import get_embeddings

            self._embedder = get_embeddings(self.settings)
        return self._embedder

    @property
    def corpus(self) -> Corpus:
        """The corpus the index was built from (loaded once)."""
        with self._lock:
            if self._corpus is None:
                from qa.corpus import load_corpus

                self._corpus = load_corpus(self.settings.sources_dir)
            return self._corpus

    def ensure_index(self, *, force_check: bool = False) -> OpenIndex:
        """The live index generation, built or refreshed first if it is missing or stale."""
        now = time.monotonic()
        index = self._index
        if index is not None and not force_check and now - self._checked_at < _SOURCE_CHECK_INTERVAL:
            return index
        with self._lock:
            self._checked_at = time.monotonic()
            signature = _sources_signature(self.settings.sources_dir)
            if self._index is not None and signature == self._signature:
                return self._index
            from qa.index import build_index

            if self._signature is not None and signature != self._signature:
                log.info("sources changed; refreshing the index")
                self._corpus = None
            report, opened = build_index(self.settings, self.embedder, corpus=self._corpus)
            if opened.corpus is not None:
                self._corpus = opened.corpus
            self.last_report = report
            self._index = opened
            self._signature = signature
            return opened

    def search(self, question: str, k: int | None = None) -> list[Passage]:
        """The ``k`` best paragraphs for ``question`` (default ``QA_TOP_K``), best first."""
        cleaned = validate_question(question, self.settings)
        k = validate_k(self.settings.top_k if k is None else k, self.settings)
        embedder = self.embedder
        sparse_query = None
        if embedder.supports_sparse:  # runs on the other core while the dense vector is computed
            sparse_query = self._sparse_pool().submit(embedder.sparse_query, cleaned)
        query_vector = embedder.embed_query_array(cleaned)
        for attempt in range(2):
            index = self.ensure_index(force_check=attempt > 0)
            try:
                records = self._records_for(index)
                candidates = _dense_candidates(index, records, query_vector, k)
                details = _paragraph_details(index, records, candidates)
                break
            except Exception as exc:  # e.g. the generation was replaced by another process
                if attempt:
                    raise IndexStoreError(f"The index cannot be searched: {exc}") from exc
                log.warning("index query failed (%s); reopening the index", exc)
                self._index = None
        weight = 0.0
        if sparse_query is not None:
            query_sparse = sparse_query.result()
            weight = rank.SPARSE_WEIGHT
            for cand in candidates:
                stored = details.get(cand.key, {}).get("sparse")
                cand.sparse = (
                    sparse_dot(query_sparse, sparse_from_str(stored)) if isinstance(stored, str) else 0.0
                )
        ranked = rank.score_candidates(candidates, sparse_weight=weight)
        return [_passage(cand, details.get(cand.key, {})) for cand in ranked[:k]]

    def _records_for(self, index: OpenIndex) -> _RecordCache:
        """The metadata cache of the index's generation (a new, empty one when the generation changed)."""
        with self._lock:
            if self._records is None or self._records.generation != index.manifest.active:
                self._records = _RecordCache(index.manifest.active)
            return self._records

    def _sparse_pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-sparse")
            return self._pool


class _RecordCache:
    """Metadata of the sentence records of one index generation, fetched from Chroma once.

    A generation is never modified after its manifest flips to it, so its records' metadata
    (hubness, paragraph text, sparse vector) can be kept; the nearest-neighbour queries then
    ask Chroma for ids and distances only, which is about three times cheaper per query.
    """

    def __init__(self, generation: str) -> None:
        self.generation = generation
        self._meta: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def get(self, index: OpenIndex, ids_by_lang: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
        """Metadata of the given record ids (one Chroma ``get`` per language for those not cached yet)."""
        with self._lock:
            for lang, ids in ids_by_lang.items():
                missing = [i for i in dict.fromkeys(ids) if i not in self._meta]
                if not missing:
                    continue
                result = store.raw_collection(index.store_for(lang)).get(ids=missing, include=["metadatas"])  # type: ignore[list-item]
                for record_id, meta in zip(result["ids"], result.get("metadatas") or [], strict=False):
                    self._meta[record_id] = dict(meta or {})
            return {i: self._meta.get(i, {}) for ids in ids_by_lang.values() for i in ids}


def _dense_candidates(
    index: OpenIndex, records: _RecordCache, query_vector: np.ndarray, k: int
) -> list[rank.Candidate]:
    """Paragraphs whose sentences are nearest to the question, searched language by language.

    Searching each language separately gives every language its own best sentences (the
    model would otherwise fill the list with the question's language) and a comparable
    sample for the per-language standardisation.
    """
    per_language = max(_CANDIDATES_PER_LANGUAGE, 4 * k)
    query = np.asarray(query_vector, dtype=np.float32)[None, :]
    hits_by_lang: dict[str, tuple[list[str], list[float]]] = {}
    for lang, count in sorted(index.manifest.langs.items()):
        result = store.raw_collection(index.store_for(lang)).query(
            query_embeddings=query,
            n_results=min(per_language, count),
            include=["distances"],  # type: ignore[list-item]
        )
        hits_by_lang[lang] = (list(result["ids"][0]), list((result["distances"] or [[]])[0]))
    metas = records.get(index, {lang: ids for lang, (ids, _) in hits_by_lang.items()})
    found: dict[tuple[str, int], rank.Candidate] = {}
    for lang, (ids, distances) in hits_by_lang.items():
        for record_id, distance in zip(ids, distances, strict=True):
            add_record_hit(found, metas[record_id], lang, 1.0 - float(distance))
    return list(found.values())


def add_record_hit(
    found: dict[tuple[str, int], rank.Candidate], meta: dict[str, Any], lang: str, cosine: float
) -> None:
    """Fold a hit on one stored sentence record (its metadata, its cosine to the question) into
    its paragraph's candidate; ``lang`` is the collection's language, for records without one."""
    rank.add_sentence_hit(
        found,
        str(meta["file"]),
        int(meta["paragraph"]),
        str(meta.get("lang", lang)),
        int(meta.get("sentence", 0)),
        cosine,
        float(meta.get("hub", 0.0)),
    )


def _paragraph_details(
    index: OpenIndex, records: _RecordCache, candidates: list[rank.Candidate]
) -> dict[tuple[str, int], dict[str, Any]]:
    """Text and sparse vector of each candidate paragraph (stored on its first sentence's record)."""
    ids_by_lang: dict[str, list[str]] = {}
    for c in candidates:
        ids_by_lang.setdefault(c.lang, []).append(f"{c.file}#{c.paragraph}#0")
    details = {}
    for meta in records.get(index, ids_by_lang).values():
        if meta:
            details[(str(meta["file"]), int(meta["paragraph"]))] = meta
    return details


def _passage(cand: rank.Candidate, meta: dict[str, Any]) -> Passage:
    return Passage(
        file=cand.file,
        paragraph=cand.paragraph,
        text=str(meta.get("text", "")),
        score=round(cand.score, 6),
        lang=cand.lang,
        similarity=round(cand.cosine, 6),
        sentence=cand.best_sentence,
    )


_RETRIEVERS: dict[str, Retriever] = {}
_RETRIEVERS_LOCK = threading.Lock()


def _settings_key(settings: Settings) -> str:
    values = {}
    for name, value in settings.model_dump().items():
        secret = getattr(value, "get_secret_value", None)
        values[name] = secret() if callable(secret) else value
    return repr(sorted(values.items(), key=lambda item: item[0]))


def get_retriever(settings: Settings | None = None) -> Retriever:
    """A shared Retriever per distinct settings (``None``: the process-wide settings)."""
    if settings is None:
        from qa.config import get_settings

        settings = get_settings()
    key = _settings_key(settings)
    with _RETRIEVERS_LOCK:
        retriever = _RETRIEVERS.get(key)
        if retriever is None:
            retriever = _RETRIEVERS[key] = Retriever(settings)
        return retriever


def search(
    question: str, k: int = 5, *, settings: Settings | None = None, retriever: Retriever | None = None
) -> list[Passage]:
    """The ``k`` paragraphs of the articles that best answer ``question``, best first.

    With ``QA_RERANK=llm`` the first ``QA_TOP_K`` are reordered by the language model
    (:mod:`qa.rerank`; about half a second per paragraph with the bundled model). ``retriever``
    defaults to the shared one for ``settings``.
    """
    if settings is None:
        from qa.config import get_settings

        settings = get_settings()
    retriever = retriever if retriever is not None else get_retriever(settings)
    if settings.rerank != "llm":
        return retriever.search(question, k)
    from qa.rerank import rerank_search, reranking_model

    model = reranking_model(settings)  # a setup problem is reported before any search work
    passages = retriever.search(question, k)
    return rerank_search(validate_question(question, settings), passages, model, settings, retriever)
