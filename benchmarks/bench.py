"""Index and search benchmarks (not tests: they time things).

    .venv/bin/python benchmarks/bench.py small              # the five articles
    .venv/bin/python benchmarks/bench.py scale [-n 20000]   # synthetic corpus, embedded + chroma run
    .venv/bin/python benchmarks/bench.py embed [-n 200]     # model throughput on synthetic sentences

`small`: full build (model loaded beforehand), a no-op re-index (in-process and as a `qa index`
process), warm search latency p50/p95 over the known-answer questions (3 rounds).

`scale`: a synthetic corpus of N paragraphs made from the real ones (real sentences with
numbers and names varied, shuffled within a language). Embedding 20,000 paragraphs with the
4-bit model on 2 cores would take hours, so the build uses *precomputed* vectors: each
synthetic sentence gets its source sentence's real vector plus a little noise. Build
throughput therefore measures everything but the model (corpus loading, sentence split,
hubness, Chroma writes); `embed` measures the model separately. Searches use the real model
for the question.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from common import percentiles

from qa.config import PROJECT_ROOT, Settings
from qa.corpus import load_corpus
from qa.embeddings import E5Embeddings, SparseVector, get_embeddings
from qa.evalset import DEFAULT_PATH, load_known_answers
from qa.index import build_index, split_sentences
from qa.retrieve import Retriever

SEEDS = PROJECT_ROOT / "seeds"


def questions() -> list[str]:
    return [item.question for item in load_known_answers(DEFAULT_PATH)]


def search_latency(retriever: Retriever, qs: Sequence[str], rounds: int = 3) -> tuple[float, float]:
    """Wall-clock p50/p95 (ms) of warm searches; also prints the CPU time a search costs, which
    does not depend on what else runs on the machine."""
    retriever.search(qs[0])  # warm: model, index, caches
    times = []
    cpu = []
    for _ in range(rounds):
        for q in qs:
            start, start_cpu = time.perf_counter(), time.process_time()
            retriever.search(q, k=5)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
    print(f"    (CPU time per search: median {statistics.median(cpu):.1f} ms; load average {_load():.1f})")
    return percentiles(times)


def _load() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")


def bench_small() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(sources_dir=SEEDS, index_dir=Path(tmp) / "index")
        start = time.perf_counter()
        embedder = get_embeddings(settings)
        print(f"model load: {time.perf_counter() - start:.2f} s")
        report, _ = build_index(settings, embedder)
        print(f"full build (5 articles): {report.summary()}  [{report.embedded} sentences embedded]")
        noop = []
        for _ in range(5):
            report, _ = build_index(settings, embedder)
            noop.append(report.seconds)
        print(f"no-op re-index in-process: median {statistics.median(noop):.3f} s, max {max(noop):.3f} s")
        qa_exe = Path(sys.executable).parent / "qa"
        env = {"QA_INDEX_DIR": str(settings.index_dir), "QA_SOURCES_DIR": str(SEEDS), "PATH": "/usr/bin:/bin"}
        walls = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([str(qa_exe), "index"], env=env, check=True, capture_output=True)
            walls.append(time.perf_counter() - start)
        print(f"no-op `qa index` process wall clock: median {statistics.median(walls):.2f} s")
        p50, p95 = search_latency(Retriever(settings, embedder=embedder), questions())
        print(f"search (warm, {len(questions())} questions x 3): p50 {p50:.1f} ms, p95 {p95:.1f} ms")


# --- synthetic corpus ---------------------------------------------------------------------

_NUMBER = re.compile(r"\b\d+\b")


def synthetic_corpus(folder: Path, paragraphs: int, per_file: int = 200, seed: int = 7) -> dict[str, str]:
    """Write ``paragraphs`` synthetic paragraphs; return synthetic sentence -> real source sentence."""
    rng = random.Random(seed)
    corpus = load_corpus(SEEDS)
    by_lang: dict[str, list[str]] = {}
    for doc in corpus.documents:
        for p in doc.paragraphs:
            if not p.boilerplate:
                by_lang.setdefault(doc.lang, []).extend(split_sentences(p.text))
    langs = sorted(by_lang)
    origin: dict[str, str] = {}
    folder.mkdir(parents=True, exist_ok=True)
    made = 0
    file_no = 0
    while made < paragraphs:
        lang = langs[file_no % len(langs)]
        lines = []
        for _ in range(min(per_file, paragraphs - made)):
            starts: list[tuple[int, str]] = []  # (offset in the paragraph, real source sentence)
            text = ""
            for real in rng.sample(by_lang[lang], k=min(len(by_lang[lang]), rng.randint(1, 3))):
                fake = _NUMBER.sub(lambda _m: str(rng.randint(1, 2099)), real)
                fake = f"{fake.rstrip('.')} (Nr. {made}-{rng.randint(0, 999)})."
                text = f"{text} {fake}" if text else fake
                starts.append((len(text) - len(fake), real))
            # the index splits the paragraph itself: map each of its sentences to the source
            # sentence it starts in
            offset = 0
            for piece in split_sentences(text):
                offset = text.index(piece, offset)
                origin[piece] = max((s for s in starts if s[0] <= offset), key=lambda s: s[0])[1]
                offset += len(piece)
            lines.append(text)
            made += 1
        (folder / f"synthetic_{file_no:04d}_{lang}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        file_no += 1
    return origin


class PrecomputedEmbedder:
    """Vectors of the real source sentence plus noise: the model's cost left out (benchmark only)."""

    model_id = E5Embeddings.model_id
    supports_sparse = True

    def __init__(self, real: E5Embeddings, origin: dict[str, str], noise: float = 0.02) -> None:
        self._real = real
        self.dim = real.dim
        self._noise = noise
        sources = sorted(set(origin.values()))
        vectors = real.embed_documents_array(sources)
        self._vectors = dict(zip(sources, vectors, strict=True))
        self._origin = origin
        self._sparse_cache = {s: real.sparse_query(s) for s in sources}

    def embed_query_array(self, text: str) -> np.ndarray:
        return self._real.embed_query_array(text)

    def sparse_query(self, text: str) -> SparseVector:
        return self._real.sparse_query(text)

    def _rng(self, text: str) -> np.random.Generator:
        return np.random.default_rng(
            int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        )

    def embed_documents_array(
        self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None
    ) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            vector = self._vectors[self._origin[text]] + self._noise * self._rng(text).standard_normal(
                self.dim
            )
            out[i] = vector / np.linalg.norm(vector)
        if progress is not None:
            progress(len(texts), len(texts))
        return out

    def sparse_documents(
        self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None
    ) -> list[SparseVector]:
        out = []
        for text in texts:
            parts = [self._sparse_cache[self._origin[s]] for s in split_sentences(text) if s in self._origin]
            merged: dict[int, float] = {}
            for idx, val in parts:
                for i, v in zip(idx.tolist(), val.tolist(), strict=True):
                    merged[i] = max(merged.get(i, 0.0), v)
            top = sorted(merged.items(), key=lambda kv: -kv[1])[:128]
            out.append(
                (
                    np.array([i for i, _ in top], dtype=np.int32),
                    np.array([v for _, v in top], dtype=np.float32),
                )
            )
        return out


@contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    exe = Path(sys.executable).parent / "chroma"
    server = subprocess.Popen(
        [str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def bench_scale(paragraphs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sources"
        start = time.perf_counter()
        origin = synthetic_corpus(folder, paragraphs)
        print(
            f"synthetic corpus: {paragraphs} paragraphs, {len(origin)} sentences ({time.perf_counter() - start:.1f} s)"
        )
        real = E5Embeddings()
        embedder = PrecomputedEmbedder(real, origin)
        corpus = load_corpus(folder)
        qs = questions()
        for mode in ("embedded", "server"):
            settings = Settings(sources_dir=folder, index_dir=Path(tmp) / f"index-{mode}")
            with chroma_server(Path(tmp) / "server-db") if mode == "server" else _nothing() as url:
                if url:
                    settings = settings.model_copy(update={"chroma_url": url})
                start = time.perf_counter()
                report, _ = build_index(settings, embedder, corpus=corpus)
                seconds = time.perf_counter() - start
                print(
                    f"[{mode}] build: {report.added} paragraphs in {seconds:.1f} s = "
                    f"{report.added / seconds:.0f} paragraphs/s (precomputed vectors, corpus pre-loaded)"
                )
                p50, p95 = search_latency(Retriever(settings, embedder=embedder), qs, rounds=2)
                print(f"[{mode}] search (warm, real query model): p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        start = time.perf_counter()
        load_corpus(folder)
        print(
            f"corpus loading alone (language detection of every paragraph): {time.perf_counter() - start:.1f} s"
        )


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def bench_embed(count: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        origin = synthetic_corpus(Path(tmp) / "s", max(1, count // 2))
        sentences = sorted(origin)[:count]
        real = E5Embeddings()
        real.embed_documents_array(sentences[:4])
        start = time.perf_counter()
        real.embed_documents_array(sentences)
        dense = time.perf_counter() - start
        paragraphs = [p.read_text(encoding="utf-8").splitlines() for p in sorted((Path(tmp) / "s").iterdir())]
        texts = [line for lines in paragraphs for line in lines][: count // 2]
        start = time.perf_counter()
        real.sparse_documents(texts)
        sparse = time.perf_counter() - start
        per_paragraph = len(origin) / max(1, count // 2)
        print(
            f"dense: {len(sentences) / dense:.1f} sentences/s; sparse: {len(texts) / sparse:.1f} paragraphs/s"
        )
        rate = 1 / (per_paragraph / (len(sentences) / dense) + 1 / (len(texts) / sparse))
        print(
            f"=> model throughput about {rate:.1f} paragraphs/s ({per_paragraph:.1f} sentences per paragraph)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["small", "scale", "embed"])
    parser.add_argument("-n", type=int, default=None)
    args = parser.parse_args()
    if args.what == "small":
        bench_small()
    elif args.what == "scale":
        bench_scale(args.n or 20_000)
    else:
        bench_embed(args.n or 200)


if __name__ == "__main__":
    main()
