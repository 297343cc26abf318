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
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa import store
from qa.corpus import Corpus, Document, Paragraph, iter_source_paths, load_corpus
from qa.errors import IndexStoreError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from langchain_chroma import Chroma

    from qa.config import Settings
    from qa.embeddings import TextEmbedder

log = logging.getLogger(__name__)

# Bump when the text we embed per paragraph changes: a different pipeline forces a rebuild.
PIPELINE = "title-context-v1"
_TITLE_WORDS = 24

Progress = Callable[[int, int], None]


def article_context(doc: Document) -> str:
    """A short article context (the headline or the start of the lead) prepended at embedding time."""
    words = doc.title.split()
    return " ".join(words[:_TITLE_WORDS]) + (" …" if len(words) > _TITLE_WORDS else "")


def embedding_text(doc: Document, paragraph: Paragraph) -> str:
    """What the embedding model sees for ``paragraph``: the paragraph, with its article's context."""
    context = article_context(doc)
    if not context or paragraph.text.startswith(context.rstrip(" …")):
        return paragraph.text
    return f"{context}\n{paragraph.text}"


@dataclass(frozen=True)
class Record:
    """One indexed paragraph as stored in Chroma."""

    id: str
    text: str
    embed_text: str
    hash: str
    file: str
    paragraph: int
    lang: str

    @property
    def metadata(self) -> dict[str, Any]:
        return {"file": self.file, "paragraph": self.paragraph, "lang": self.lang, "hash": self.hash}


def corpus_records(corpus: Corpus) -> list[Record]:
    records = []
    for doc in corpus.documents:
        for p in doc.paragraphs:
            if p.boilerplate:
                continue
            text = embedding_text(doc, p)
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            records.append(Record(p.id, p.text, text, digest, p.file, p.number, p.lang))
    return records


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


@dataclass
class OpenIndex:
    """A verified, ready-to-query generation."""

    client: ClientAPI
    vectorstore: Chroma
    manifest: store.Manifest
    corpus: Corpus | None = None  # the corpus this run loaded, if it loaded one


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


def _verified(client: ClientAPI, manifest: store.Manifest) -> Chroma | None:
    """The active generation's store if it holds what the manifest says, else None (damaged)."""
    try:
        vs = store.vectorstore(client, manifest.active)
        actual = store.count(vs)
        if actual == manifest.count:
            return vs
        log.warning(
            "index generation %s holds %d records, expected %d", manifest.active, actual, manifest.count
        )
    except Exception as exc:  # a damaged generation shows up as any chromadb error
        log.warning("index generation %s cannot be read: %s", manifest.active, exc)
    return None


def _reusable_vectors(client: ClientAPI, settings: Settings, embedder: TextEmbedder) -> dict[str, np.ndarray]:
    """content hash -> vector, from every generation built by the same model and pipeline."""
    vectors: dict[str, np.ndarray] = {}
    for name in store.generations(client, settings):
        try:
            vs = store.vectorstore(client, name)
            meta = store.raw_collection(vs).metadata or {}
            if meta.get("model") != embedder.model_id or meta.get("pipeline") != PIPELINE:
                continue
            for _, record_meta, vector in store.iter_vectors(vs):
                digest = record_meta.get("hash")
                if isinstance(digest, str):
                    vectors.setdefault(digest, vector)
        except Exception as exc:  # an unreadable leftover only costs re-embedding
            log.warning("skipping unreadable index generation %s: %s", name, exc)
    return vectors


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
    active = _verified(client, manifest) if manifest is not None and reason is None else None
    if manifest is not None and reason is None and active is None:
        reason = "the index was incomplete or damaged"
    if reason:
        log.warning("rebuilding the index: %s", reason)
        report.rebuilt_because = reason

    if active is not None and manifest is not None and manifest.sources == fingerprint:
        report.unchanged = manifest.count
        report.collection = manifest.active
        _collect_garbage(client, settings, keep=manifest.active)
        report.seconds = time.perf_counter() - started
        return report, OpenIndex(client, active, manifest)

    corpus = corpus if corpus is not None else load_corpus(settings.sources_dir)
    records = corpus_records(corpus)
    if not records:
        raise IndexStoreError(f"No indexable paragraphs in {settings.sources_dir} (setting QA_SOURCES_DIR)")
    old: dict[str, str] = {}
    if active is not None:
        old = {rid: str(meta.get("hash")) for rid, meta, _ in store.iter_vectors(active)}
    reusable = {} if rebuild else _reusable_vectors(client, settings, embedder)

    to_embed = [r for r in records if r.hash not in reusable]
    new_vectors = embedder.embed_documents_array([r.embed_text for r in to_embed], progress=progress)
    for record, vector in zip(to_embed, new_vectors, strict=True):
        reusable[record.hash] = vector
    report.embedded = len(to_embed)
    for r in records:
        if r.id not in old:
            report.added += 1
        elif old[r.id] != r.hash:
            report.updated += 1
        else:
            report.unchanged += 1
    report.removed = len(set(old) - {r.id for r in records})

    dim = int(new_vectors.shape[1]) if len(to_embed) else int(next(iter(reusable.values())).shape[0])
    name = store.new_generation_name(settings)
    meta = {"model": embedder.model_id, "dim": dim, "pipeline": PIPELINE}
    vs = store.vectorstore(client, name, metadata=meta)
    store.add_records(
        vs,
        [r.id for r in records],
        np.stack([reusable[r.hash] for r in records]),
        [r.text for r in records],
        [r.metadata for r in records],
    )
    if store.count(vs) != len(records):
        raise IndexStoreError(f"Index generation {name} is incomplete after writing; run `qa index` again")
    new_manifest = store.Manifest(
        active=name,
        model=embedder.model_id,
        dim=dim,
        pipeline=PIPELINE,
        count=len(records),
        sources=fingerprint,
        built_at=time.time(),
    )
    store.write_manifest(client, settings, new_manifest)  # the commit point
    _collect_garbage(client, settings, keep=name)
    report.collection = name
    report.seconds = time.perf_counter() - started
    log.info("index %s: %s", name, report.summary())
    return report, OpenIndex(client, vs, new_manifest, corpus)


_ABANDONED_AFTER_S = 3600


def _collect_garbage(client: ClientAPI, settings: Settings, keep: str) -> None:
    """Drop generations superseded by ``keep``, and abandoned ones (left by a killed run long ago).

    A newer, recent generation may be another process's build in progress: leave it alone.
    """
    keep_stamp = store.generation_stamp(settings, keep)
    now_ms = time.time() * 1000
    for name in store.generations(client, settings):
        stamp = store.generation_stamp(settings, name)
        if name == keep:
            continue
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
