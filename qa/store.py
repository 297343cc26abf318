"""Chroma, embedded or server, behind a few small functions (the only module that talks to chromadb).

Layout inside one Chroma database:

* ``<collection>-g<stamp>-<lang>``: one complete *generation* of the index per successful
  build, one collection per language;
* ``<collection>-manifest``: an empty collection whose metadata is the manifest, naming the
  active generation and recording how it was built.

A build writes a fresh generation and then flips the manifest in one metadata write, so a
build killed half-way leaves the previous generation active and intact.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np

from qa.errors import IndexStoreError

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from langchain_chroma import Chroma

    from qa.config import Settings

log = logging.getLogger(__name__)

MARKER_FILE = "qa-index.txt"
_UUID_DIR = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_PAGE = 2000


@dataclass(frozen=True)
class Manifest:
    """What the active generation holds and how it was built."""

    active: str
    model: str
    dim: int
    pipeline: str
    count: int  # records (sentences)
    sources: dict[str, str] = field(default_factory=dict)  # relative file name -> sha256 of its bytes
    built_at: float = 0.0
    paragraphs: int = 0
    langs: dict[str, int] = field(default_factory=dict)  # language -> records in that language

    def to_metadata(self) -> dict[str, Any]:
        return {
            "active": self.active,
            "model": self.model,
            "dim": self.dim,
            "pipeline": self.pipeline,
            "count": self.count,
            "sources": json.dumps(self.sources, sort_keys=True),
            "built_at": self.built_at,
            "paragraphs": self.paragraphs,
            "langs": json.dumps(self.langs, sort_keys=True),
        }

    @classmethod
    def from_metadata(cls, meta: dict[str, Any] | None) -> Manifest | None:
        if not meta or "active" not in meta:
            return None
        try:
            return cls(
                active=str(meta["active"]),
                model=str(meta["model"]),
                dim=int(meta["dim"]),
                pipeline=str(meta["pipeline"]),
                count=int(meta["count"]),
                sources=dict(json.loads(str(meta.get("sources") or "{}"))),
                built_at=float(meta.get("built_at") or 0.0),
                paragraphs=int(meta.get("paragraphs") or 0),
                langs={str(k): int(v) for k, v in json.loads(str(meta.get("langs") or "{}")).items()},
            )
        except (KeyError, TypeError, ValueError):
            log.warning("index manifest is unreadable; the index will be rebuilt")
            return None


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


def _parse_url(url: str) -> tuple[str, int, bool]:
    parsed = urlparse(url if "://" in url else f"http://{url}")
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise IndexStoreError(f"QA_CHROMA_URL must look like http://HOST:PORT, not {url!r}")
    ssl = parsed.scheme == "https"
    try:
        port = parsed.port or (443 if ssl else 8000)
    except ValueError as exc:
        raise IndexStoreError(f"QA_CHROMA_URL has an invalid port: {url!r}") from exc
    return parsed.hostname, port, ssl


def connect(settings: Settings) -> ClientAPI:
    """A Chroma client: the server at ``QA_CHROMA_URL`` if set, else the embedded one in ``QA_INDEX_DIR``.

    A corrupt embedded folder is detected here, removed and recreated empty.
    """
    import chromadb

    if settings.chroma_url:
        host, port, ssl = _parse_url(settings.chroma_url)
        try:
            client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=_chroma_settings())
            client.heartbeat()
        except Exception as exc:  # chromadb raises ValueError, httpx errors, ... : one message for all
            raise IndexStoreError(
                f"Cannot reach the Chroma server at {settings.chroma_url} (setting QA_CHROMA_URL): {exc}"
            ) from exc
        return client
    path = settings.index_dir
    try:
        return _open_embedded(path)
    except Exception as exc:  # any failure to open a writable folder means it is damaged
        problem = _write_problem(path)
        if problem is not None:  # not damaged, read-only: never wipe it
            raise IndexStoreError(
                f"The index folder {path} cannot be written ({problem}); Chroma needs write access even "
                "to search. Make it writable, or set QA_INDEX_DIR to a writable folder"
            ) from exc
        log.warning("index folder %s is damaged (%s); rebuilding it from scratch", path, exc)
        try:
            wipe_index_dir(path)
        except OSError as wipe_exc:
            raise IndexStoreError(
                f"The index folder {path} is damaged ({exc}) and cannot be removed "
                f"({wipe_exc.strerror or wipe_exc}); delete it, or set QA_INDEX_DIR to another folder"
            ) from wipe_exc
        try:
            return _open_embedded(path)
        except Exception as exc2:
            raise IndexStoreError(
                f"Cannot open the index folder {path} (setting QA_INDEX_DIR): {exc2}"
            ) from exc2


def _write_problem(path: Path) -> str | None:
    """Why the index folder ``path`` (or the folder it would be created in) cannot be written; None if it can."""
    folder = path
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
        database = path / "chroma.sqlite3"
        if database.exists():
            os.close(os.open(database, os.O_RDWR))
    except OSError as exc:
        return str(exc.strerror or exc)
    return None


def reset_clients() -> None:
    """Close every embedded Chroma client of this process, so the next :func:`connect` opens a fresh one.

    Needed after a failed write (a full disk): Chroma's connection can keep the database locked,
    and the next operation through it waits forever.
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def _open_embedded(path: Path) -> ClientAPI:
    import chromadb

    path.mkdir(parents=True, exist_ok=True)
    marker = path / MARKER_FILE
    if not marker.exists():
        marker.write_text("Vector index of the qa bot (Chroma). Safe to delete; `qa index` rebuilds it.\n")
    client = chromadb.PersistentClient(path=str(path), settings=_chroma_settings())
    client.list_collections()  # touches the database, so a corrupt file fails here
    return client


def wipe_index_dir(path: Path) -> None:
    """Delete an embedded index folder, refusing if it holds anything that is not ours."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    if not path.exists():
        return
    foreign = [
        p.name
        for p in path.iterdir()
        if not (p.name == MARKER_FILE or p.name.startswith("chroma.sqlite3") or _UUID_DIR.match(p.name))
    ]
    if foreign:
        raise IndexStoreError(
            f"The index folder {path} holds files that are not part of an index ({', '.join(sorted(foreign)[:5])}); "
            "move them away or point QA_INDEX_DIR to an empty folder"
        )
    shutil.rmtree(path)


def manifest_name(settings: Settings) -> str:
    return f"{settings.collection}-manifest"


def generation_prefix(settings: Settings) -> str:
    return f"{settings.collection}-g"


def new_generation_name(settings: Settings) -> str:
    """``<collection>-g<milliseconds, 12 hex digits><6 random hex digits>``: sortable by age."""
    return f"{generation_prefix(settings)}{int(time.time() * 1000):012x}{uuid.uuid4().hex[:6]}"


def generation_base(settings: Settings, name: str) -> str:
    """The generation a collection belongs to: ``<collection>-g<18 hex>`` (its name minus ``-<lang>``)."""
    return name[: len(generation_prefix(settings)) + 18]


def language_collection(generation: str, lang: str) -> str:
    """A generation keeps one collection per language, so a language is searched without a filter
    (a metadata filter makes Chroma scan the matching ids: ~60x slower at 40,000 records)."""
    return f"{generation}-{re.sub(r'[^A-Za-z0-9]', '', lang) or 'und'}"


def generation_stamp(settings: Settings, name: str) -> int | None:
    """Creation time (ms since the epoch) encoded in a generation's name, or None if it has none."""
    stamp = name.removeprefix(generation_prefix(settings))[:12]
    try:
        return int(stamp, 16) if len(stamp) == 12 else None
    except ValueError:
        return None


def read_manifest(client: ClientAPI, settings: Settings) -> Manifest | None:
    from chromadb.errors import NotFoundError

    try:
        collection = client.get_collection(manifest_name(settings))
    except NotFoundError:
        return None
    return Manifest.from_metadata(collection.metadata)


def write_manifest(client: ClientAPI, settings: Settings, manifest: Manifest) -> None:
    """Make ``manifest.active`` the live generation: one atomic metadata write."""
    collection = client.get_or_create_collection(manifest_name(settings))
    collection.modify(metadata=manifest.to_metadata())


def generations(client: ClientAPI, settings: Settings) -> list[str]:
    prefix = generation_prefix(settings)
    return sorted(c.name for c in client.list_collections() if c.name.startswith(prefix))


def vectorstore(client: ClientAPI, name: str, metadata: dict[str, Any] | None = None) -> Chroma:
    """The LangChain Chroma store over collection ``name`` (created, with cosine distance, if missing)."""
    from langchain_chroma import Chroma

    return Chroma(
        collection_name=name,
        client=client,
        collection_metadata=metadata,
        collection_configuration={"hnsw": {"space": "cosine"}},  # type: ignore[typeddict-item]
    )


def raw_collection(store: Chroma) -> Collection:
    # langchain-chroma has no public "add precomputed vectors" call; this is the one place we go below it.
    return store._collection


def add_records(
    store: Chroma,
    ids: Sequence[str],
    vectors: np.ndarray,
    documents: Sequence[str],
    metadatas: Sequence[dict[str, Any]],
    batch: int = 1000,
) -> None:
    collection = raw_collection(store)
    for start in range(0, len(ids), batch):
        end = start + batch
        collection.add(
            ids=list(ids[start:end]),
            embeddings=vectors[start:end],
            documents=list(documents[start:end]),
            metadatas=list(metadatas[start:end]),  # type: ignore[arg-type]
        )


def iter_vectors(store: Chroma) -> Iterator[tuple[str, dict[str, Any], np.ndarray]]:
    """Every (id, metadata, vector) of a collection, in pages."""
    collection = raw_collection(store)
    offset = 0
    while True:
        page = collection.get(include=["metadatas", "embeddings"], limit=_PAGE, offset=offset)  # type: ignore[list-item]
        ids = page["ids"]
        if not ids:
            return
        metas = page["metadatas"] or [{}] * len(ids)
        vectors = page["embeddings"]
        assert vectors is not None
        for i, record_id in enumerate(ids):
            yield record_id, dict(metas[i] or {}), np.asarray(vectors[i], dtype=np.float32)
        offset += len(ids)


def finds_own_records(client: ClientAPI, name: str) -> bool:
    """Whether collection ``name`` returns stored records as their own nearest neighbours.

    Chroma counts records from its database; a damaged or deleted vector index only shows
    when queried, as other records (or none) coming back.
    """
    collection = client.get_collection(name)
    total = int(collection.count())
    for offset in sorted({0, total // 2}):
        probe = collection.get(limit=1, offset=offset, include=["embeddings"])  # type: ignore[list-item]
        if not probe["ids"] or probe["embeddings"] is None:
            return False
        hit = collection.query(
            query_embeddings=np.asarray(probe["embeddings"][:1], dtype=np.float32),
            n_results=1,
            include=["distances"],  # type: ignore[list-item]
        )
        ids, distances = hit["ids"][0], (hit["distances"] or [[]])[0]
        # A duplicate sentence elsewhere may come first, at distance zero.
        if not ids or (ids[0] != probe["ids"][0] and not (distances and distances[0] < 1e-4)):
            return False
    return True


def count(store: Chroma) -> int:
    return int(raw_collection(store).count())


def delete_collection(client: ClientAPI, name: str) -> None:
    try:
        client.delete_collection(name)
    except Exception as exc:  # leftover generations are only garbage; never fail a build over them
        log.warning("could not delete old index collection %s: %s", name, exc)
