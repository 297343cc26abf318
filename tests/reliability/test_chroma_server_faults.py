"""A Chroma server (``QA_CHROMA_URL``) that goes down or restarts while the chat runs or an index
is being built: a clear error while it is gone, and everything works again once it is back.

Real ``chroma run`` server on loopback, restarted on the same port and data folder; real
Gradio server; the deterministic fake embedder (the point is the connection, not the model).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from qa import store
from qa.answering import answer
from qa.config import Settings
from qa.errors import IndexStoreError
from qa.index import build_index
from qa.retrieve import Retriever
from qa.web import build_app
from tests.fake_embedder import FakeEmbedder
from tests.reliability.helpers import ChromaServer, chroma_executable, free_port
from tests.test_index import ALPHA, BETA, GAMMA, write
from tests.web_fakes import running

QUESTION = "The festival was founded by Miles Okafor in 1988."
CITATION = "[beta.txt ¶2]"


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    if chroma_executable() is None:
        pytest.skip("the `chroma` command (shipped with chromadb) is not installed")
    server = ChromaServer(tmp_path / "chroma-data", free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "sources"
    write(folder, "alpha.txt", ALPHA)
    write(folder, "beta.txt", BETA)
    write(folder, "gamma.txt", GAMMA)
    return folder


def _settings(sources: Path, chroma: ChromaServer, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        sources_dir=sources,
        index_dir=tmp_path / "unused",
        chroma_url=chroma.url,
        llm="extractive",
    )


def _ask(url: str) -> Callable[[str], str]:
    api = Client(url, verbose=False, analytics_enabled=False)
    return lambda question: str(api.predict(question, api_name="/ask"))


def test_the_chat_reports_a_lost_chroma_server_and_recovers(
    chroma: ChromaServer, sources: Path, tmp_path: Path
) -> None:
    settings = _settings(sources, chroma, tmp_path)
    retriever = Retriever(settings, embedder=FakeEmbedder())
    app = build_app(
        settings,
        answer_fn=lambda q: answer(q, settings=settings, retriever=retriever),
        stream_fn=lambda q, h: iter([answer(q, h, settings=settings, retriever=retriever)]),
        corpus_fn=lambda: retriever.corpus,
    )
    with running(app, settings) as url:
        ask = _ask(url)
        assert CITATION in ask(QUESTION)

        chroma.stop()
        with pytest.raises(
            Exception, match=r"Chroma server at http://127\.0\.0\.1:\d+ \(setting QA_CHROMA_URL\)"
        ):
            ask(QUESTION)
        assert httpx.get(url, timeout=30).status_code == 200  # the chat keeps serving

        chroma.start()
        assert CITATION in ask(QUESTION)

        # Restarted between two questions, unnoticed by the chat: the next answer is right.
        chroma.stop()
        chroma.start()
        assert CITATION in ask(QUESTION)


def test_a_build_that_loses_the_server_fails_clearly_and_the_next_completes(
    chroma: ChromaServer, sources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(sources, chroma, tmp_path)
    _, first = build_index(settings, FakeEmbedder())
    write(sources, "delta.txt", ["Deltaport grows rice and tea on terraces in the hills above the river."])

    real_add = store.add_records

    def add_then_lose_the_server(*args: object, **kwargs: object) -> None:
        real_add(*args, **kwargs)  # type: ignore[arg-type]
        chroma.stop()  # the server goes away half-way through writing the new generation

    monkeypatch.setattr(store, "add_records", add_then_lose_the_server)
    with pytest.raises(IndexStoreError, match=r"Chroma server"):
        build_index(settings, FakeEmbedder())
    monkeypatch.setattr(store, "add_records", real_add)

    chroma.start()
    client = store.connect(settings)
    manifest = store.read_manifest(client, settings)
    assert manifest is not None and manifest.active == first.manifest.active  # the old index is live
    assert all(
        store.finds_own_records(client, store.language_collection(manifest.active, lang))
        for lang in manifest.langs
    )
    report, _ = build_index(settings, FakeEmbedder())
    assert report.added == 1
    top = Retriever(settings, embedder=FakeEmbedder()).search(
        "Which town grows rice and tea on terraces?", k=1
    )
    assert top[0].label == "delta.txt ¶1"
