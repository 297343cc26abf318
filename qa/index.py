"""The paragraph index: built incrementally, swapped atomically, verified on open.

``build_index`` compares the sources with the manifest of the active generation. Unchanged
sources: nothing to do. Otherwise every indexed paragraph of the new corpus becomes a record;
a record whose embedding text was embedded before (same content hash, in the active
generation or in a generation left by a killed run) reuses that vector, the others are
embedded. The records go into a fresh generation, the manifest is flipped to it, and the old
generation is dropped. So a kill at any point leaves the old or the new generation active,
never a mix; the next run finishes the job, reusing the vectors already computed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa import rank, store
from qa.corpus import Corpus, iter_source_paths, load_corpus
from qa.embeddings import sparse_to_str
from qa.errors import IndexStoreError, QAError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from langchain_chroma import Chroma

    from qa.config import Settings
    from qa.embeddings import TextEmbedder

log = logging.getLogger(__name__)

# Bump when what we store per paragraph changes: a different pipeline forces a rebuild.
PIPELINE = "sentences-hub-sparse128-v2"

Progress = Callable[[int, int], None]

# A sentence ends at . ! ? … (optionally followed by a closing quote or bracket), then space,
# then what can start a sentence. "24. Oktober" (German ordinals) and initials ("A. Guterres")
# are not ends.
_SENTENCE_END = re.compile(r"([.!?…][\"»”’)]?)\s+(?=[\"„«“(\-–—]?[^\W\d_a-z]|\d)")
_MIN_SENTENCE_WORDS = 4


def split_sentences(text: str) -> list[str]:
    """The sentences of a paragraph; fragments under four words are merged into a neighbour."""
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        # Only the two characters before the end matter (a digit, or a lone letter: an initial).
        # Looking at the whole prefix made a paragraph of many short sentences quadratic.
        before = text[max(0, match.start(1) - 2) : match.start(1)]
        if before[-1:].isdigit() or re.search(r"(^|\s)\w$", before):
            continue
        pieces.append(text[start : match.end(1)].strip())
        start = match.end()
    pieces.append(text[start:].strip())
    sentences: list[list[str]] = []
    last_words = 0  # words of the last sentence so far
    for piece in filter(None, pieces):
        words = len(piece.split())
        if sentences and min(words, last_words) < _MIN_SENTENCE_WORDS:
            sentences[-1].append(piece)
            last_words += words
        else:
            sentences.append([piece])
            last_words = words
    return [" ".join(parts) for parts in sentences] or [text.strip()]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ParagraphRecord:
    """One indexed paragraph and its sentences, as stored in Chroma (one record per sentence)."""

    file: str
    paragraph: int
    lang: str
    text: str
    sentences: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.file}#{self.paragraph}"

    @property
    def hash(self) -> str:
        return _sha(self.text)

    def sentence_id(self, index: int) -> str:
        return f"{self.id}#{index}"


def corpus_records(corpus: Corpus) -> list[ParagraphRecord]:
    return [
        ParagraphRecord(p.file, p.number, p.lang, p.text, tuple(split_sentences(p.text)))
        for p in corpus.content_paragraphs()
    ]


def source_fingerprint(sources_dir: Path) -> dict[str, str]:
    """sha256 of every candidate source file, by relative name: cheap, no parsing."""
    if not sources_dir.is_dir():
        load_corpus(sources_dir)  # raises the SourceError that explains what is wrong
    fingerprint = {}
    for path in iter_source_paths(sources_dir):
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            digest = "unreadable"
        fingerprint[path.relative_to(sources_dir).as_posix()] = digest
    return fingerprint


@dataclass
class IndexReport:
    """What one indexing run did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded: int = 0
    seconds: float = 0.0
    rebuilt_because: str | None = None
    collection: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.rebuilt_because)

    def summary(self) -> str:
        line = (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged in {self.seconds:.2f} s"
        )
        if self.rebuilt_because:
            line += f" (rebuilt: {self.rebuilt_because})"
        return line


class OpenIndex:
    """A verified, ready-to-query generation: one LangChain store per language, created on first use."""

    def __init__(self, client: ClientAPI, manifest: store.Manifest, corpus: Corpus | None = None) -> None:
        self.client = client
        self.manifest = manifest
        self.corpus = corpus  # the corpus this run loaded, if it loaded one
        self._stores: dict[str, Chroma] = {}

    def store_for(self, lang: str) -> Chroma:
        """The store of one language of this generation."""
        if lang not in self._stores:
            name = store.language_collection(self.manifest.active, lang)
            self._stores[lang] = store.vectorstore(self.client, name)
        return self._stores[lang]

    def paragraph_metadata(self) -> Iterator[dict[str, Any]]:
        """Metadata of every paragraph (its first sentence's record: file, paragraph, text, ...)."""
        for lang in sorted(self.manifest.langs):
            for _, meta, _ in store.iter_vectors(self.store_for(lang)):
                if meta.get("sentence") == 0:
                    yield meta


def _embedder_dim(embedder: TextEmbedder) -> int | None:
    return getattr(embedder, "dim", None)


def _rebuild_reason(manifest: store.Manifest | None, embedder: TextEmbedder) -> str | None:
    """Why the active generation cannot be reused as a base at all (None: it can)."""
    if manifest is None:
        return None
    dim = _embedder_dim(embedder)
    if manifest.model != embedder.model_id or (dim is not None and manifest.dim != dim):
        return (
            f"the index was built with {manifest.model} ({manifest.dim} dimensions), "
            f"the settings ask for {embedder.model_id} ({dim or '?'} dimensions)"
        )
    if manifest.pipeline != PIPELINE:
        return f"the passage format changed ({manifest.pipeline} -> {PIPELINE})"
    return None


def _verified(client: ClientAPI, manifest: store.Manifest) -> bool:
    """Whether the active generation holds what the manifest says (False: missing or damaged)."""
    try:
        counts = {
            lang: int(client.get_collection(store.language_collection(manifest.active, lang)).count())
            for lang in manifest.langs
        }
        if counts != manifest.langs or sum(counts.values()) != manifest.count:
            log.warning(
                "index generation %s holds %s records, expected %s", manifest.active, counts, manifest.langs
            )
            return False
        for lang in manifest.langs:
            # Counts come from the database; a damaged or deleted vector index only shows in queries.
            if not store.finds_own_records(client, store.language_collection(manifest.active, lang)):
                log.warning("index generation %s: the %s vector index is damaged", manifest.active, lang)
                return False
        return True
    except Exception as exc:  # a damaged generation shows up as any chromadb error
        log.warning("index generation %s cannot be read: %s", manifest.active, exc)
    return False


@dataclass
class _Reusable:
    """Work already done by earlier generations: sentence vectors and paragraph sparse vectors."""

    dense: dict[str, np.ndarray]  # sentence hash -> vector
    sparse: dict[str, str]  # paragraph hash -> sparse vector (text form)


def _reusable(client: ClientAPI, settings: Settings, embedder: TextEmbedder) -> _Reusable:
    """Everything reusable from generations built by the same model and pipeline (killed runs included)."""
    found = _Reusable({}, {})
    for name in store.generations(client, settings):
        try:
            vs = store.vectorstore(client, name)
            meta = store.raw_collection(vs).metadata or {}
            if meta.get("model") != embedder.model_id or meta.get("pipeline") != PIPELINE:
                continue
            for _, record_meta, vector in store.iter_vectors(vs):
                digest = record_meta.get("hash")
                if isinstance(digest, str):
                    found.dense.setdefault(digest, vector)
                if isinstance(record_meta.get("phash"), str) and isinstance(record_meta.get("sparse"), str):
                    found.sparse.setdefault(str(record_meta["phash"]), str(record_meta["sparse"]))
        except Exception as exc:  # an unreadable leftover only costs re-embedding
            log.warning("skipping unreadable index generation %s: %s", name, exc)
    return found


def _old_paragraphs(active: OpenIndex | None) -> dict[str, str]:
    """paragraph id -> paragraph hash in the active generation."""
    if active is None:
        return {}
    return {f"{m['file']}#{m['paragraph']}": str(m.get("phash")) for m in active.paragraph_metadata()}


def build_index(
    settings: Settings,
    embedder: TextEmbedder,
    *,
    rebuild: bool = False,
    corpus: Corpus | None = None,
    progress: Progress | None = None,
    client: ClientAPI | None = None,
) -> tuple[IndexReport, OpenIndex]:
    """Bring the index up to date with the sources; return what changed and the live generation."""
    try:
        return _build_index(settings, embedder, rebuild, corpus, progress, client)
    except QAError:
        raise
    except Exception as exc:  # chromadb's errors for a full disk, a lost server, ...
        if not settings.chroma_url:
            store.reset_clients()  # a failed write can leave the database locked for this client
        raise IndexStoreError(
            f"Updating the index failed: {exc}. The last complete index stays active. If the disk "
            "is full or the Chroma server is down, fix that first, then run `qa index` again."
        ) from exc


def _build_index(
    settings: Settings,
    embedder: TextEmbedder,
    rebuild: bool,
    corpus: Corpus | None,
    progress: Progress | None,
    client: ClientAPI | None,
) -> tuple[IndexReport, OpenIndex]:
    started = time.perf_counter()
    client = client or store.connect(settings)
    report = IndexReport()
    fingerprint = source_fingerprint(settings.sources_dir)
    try:
        manifest = store.read_manifest(client, settings)
    except Exception as exc:
        log.warning("index manifest cannot be read (%s); rebuilding", exc)
        manifest = None
    reason = "requested (--rebuild)" if rebuild else _rebuild_reason(manifest, embedder)
    healthy = manifest is not None and reason is None and _verified(client, manifest)
    if manifest is not None and reason is None and not healthy:
        reason = "the index was incomplete or damaged"
    if reason:
        log.warning("rebuilding the index: %s", reason)
        report.rebuilt_because = reason

    if healthy and manifest is not None and manifest.sources == fingerprint:
        report.unchanged = manifest.paragraphs
        report.collection = manifest.active
        _collect_garbage(client, settings, keep=manifest.active)
        report.seconds = time.perf_counter() - started
        return report, OpenIndex(client, manifest)

    corpus = corpus if corpus is not None else load_corpus(settings.sources_dir)
    paragraphs = corpus_records(corpus)
    if not paragraphs:
        raise IndexStoreError(f"No indexable paragraphs in {settings.sources_dir} (setting QA_SOURCES_DIR)")
    old = _old_paragraphs(OpenIndex(client, manifest) if healthy and manifest else None)
    reusable = _Reusable({}, {}) if rebuild else _reusable(client, settings, embedder)
    _embed_missing(embedder, paragraphs, reusable, report, progress)
    for p in paragraphs:
        if p.id not in old:
            report.added += 1
        elif old[p.id] != p.hash:
            report.updated += 1
        else:
            report.unchanged += 1
    report.removed = len(set(old) - {p.id for p in paragraphs})

    ids, texts, metadatas, vectors = _records(paragraphs, reusable)
    dim = int(vectors.shape[1])
    name = store.new_generation_name(settings)
    langs: dict[str, int] = {}
    rows_by_lang: dict[str, list[int]] = {}
    for row, meta in enumerate(metadatas):
        rows_by_lang.setdefault(str(meta["lang"]), []).append(row)
    for lang, rows in sorted(rows_by_lang.items()):
        vs = store.vectorstore(
            client,
            store.language_collection(name, lang),
            metadata={"model": embedder.model_id, "dim": dim, "pipeline": PIPELINE, "lang": lang},
        )
        store.add_records(
            vs, [ids[r] for r in rows], vectors[rows], [texts[r] for r in rows], [metadatas[r] for r in rows]
        )
        langs[lang] = store.count(vs)
        if langs[lang] != len(rows):
            raise IndexStoreError(
                f"Index generation {name} is incomplete after writing; run `qa index` again"
            )
    new_manifest = store.Manifest(
        active=name,
        model=embedder.model_id,
        dim=dim,
        pipeline=PIPELINE,
        count=len(ids),
        sources=fingerprint,
        built_at=time.time(),
        paragraphs=len(paragraphs),
        langs=langs,
    )
    store.write_manifest(client, settings, new_manifest)  # the commit point
    _collect_garbage(client, settings, keep=name)
    report.collection = name
    report.seconds = time.perf_counter() - started
    log.info("index %s: %s", name, report.summary())
    return report, OpenIndex(client, new_manifest, corpus)


def _embed_missing(
    embedder: TextEmbedder,
    paragraphs: list[ParagraphRecord],
    reusable: _Reusable,
    report: IndexReport,
    progress: Progress | None,
) -> None:
    """Embed the sentences (dense) and paragraphs (sparse) that no earlier generation has."""
    sentences = sorted({s for p in paragraphs for s in p.sentences if _sha(s) not in reusable.dense})
    sparse_todo = []
    if embedder.supports_sparse:
        sparse_todo = sorted({p.text for p in paragraphs if p.hash not in reusable.sparse})
    total = len(sentences) + len(sparse_todo)

    def dense_progress(done: int, _total: int) -> None:
        if progress is not None:
            progress(done, total)

    def sparse_progress(done: int, _total: int) -> None:
        if progress is not None:
            progress(len(sentences) + done, total)

    vectors = embedder.embed_documents_array(sentences, progress=dense_progress)
    for text, vector in zip(sentences, vectors, strict=True):
        reusable.dense[_sha(text)] = vector
    if sparse_todo:
        for text, sparse in zip(
            sparse_todo, embedder.sparse_documents(sparse_todo, progress=sparse_progress), strict=True
        ):
            reusable.sparse[_sha(text)] = sparse_to_str(sparse)
    report.embedded = len(sentences)


def _records(
    paragraphs: list[ParagraphRecord], reusable: _Reusable
) -> tuple[list[str], list[str], list[dict[str, Any]], np.ndarray]:
    """One Chroma record per sentence; the first sentence also carries the paragraph's text and sparse vector."""
    ids: list[str] = []
    texts: list[str] = []
    metadatas: list[dict[str, Any]] = []
    owners: list[str] = []
    rows: list[np.ndarray] = []
    for p in paragraphs:
        for index, sentence in enumerate(p.sentences):
            meta: dict[str, Any] = {
                "file": p.file,
                "paragraph": p.paragraph,
                "lang": p.lang,
                "sentence": index,
                "hash": _sha(sentence),
            }
            if index == 0:
                meta.update(phash=p.hash, text=p.text)
                if p.hash in reusable.sparse:
                    meta["sparse"] = reusable.sparse[p.hash]
            ids.append(p.sentence_id(index))
            texts.append(sentence)
            metadatas.append(meta)
            owners.append(p.id)
            rows.append(reusable.dense[_sha(sentence)])
    vectors = np.stack(rows).astype(np.float32)
    for meta, hub in zip(metadatas, rank.hubness(vectors, owners), strict=True):
        meta["hub"] = round(float(hub), 6)
    return ids, texts, metadatas, vectors


_ABANDONED_AFTER_S = 3600


def _collect_garbage(client: ClientAPI, settings: Settings, keep: str) -> None:
    """Drop generations superseded by ``keep``, and abandoned ones (left by a killed run long ago).

    A newer, recent generation may be another process's build in progress: leave it alone.
    """
    keep_stamp = store.generation_stamp(settings, keep)
    now_ms = time.time() * 1000
    for name in store.generations(client, settings):
        if store.generation_base(settings, name) == keep:
            continue
        stamp = store.generation_stamp(settings, name)
        if (
            stamp is None
            or keep_stamp is None
            or stamp < keep_stamp
            or now_ms - stamp > _ABANDONED_AFTER_S * 1000
        ):
            store.delete_collection(client, name)


def is_fresh(settings: Settings, manifest: store.Manifest) -> bool:
    """True when the sources on disk are those the manifest's generation was built from."""
    return manifest.sources == source_fingerprint(settings.sources_dir)
