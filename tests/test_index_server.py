"""The index and search against a real `chroma run` server on loopback (QA_CHROMA_URL)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from qa import store
from qa.config import Settings
from qa.index import build_index
from qa.retrieve import Retriever
from tests.fake_embedder import FakeEmbedder
from tests.test_index import ALPHA, BETA, GAMMA, write


def _chroma_executable() -> str | None:
    beside = Path(sys.executable).parent / "chroma"
    return str(beside) if beside.exists() else shutil.which("chroma")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    exe = _chroma_executable()
    if exe is None:
        pytest.skip("the `chroma` command (shipped with chromadb) is not installed")
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = (data / "server.log").open("w")
    server = subprocess.Popen(
        [exe, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log_text = (data / "server.log").read_text()[-2000:]
                    raise RuntimeError(f"chroma run did not start: {log_text}") from None
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def test_build_search_and_update_on_a_chroma_server(chroma_url: str, tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    write(sources, "alpha.txt", ALPHA)
    write(sources, "beta.txt", BETA)
    settings = Settings(
        sources_dir=sources, index_dir=tmp_path / "unused", chroma_url=chroma_url, collection="server-test"
    )
    emb = FakeEmbedder()
    report, opened = build_index(settings, emb)
    assert report.added == 5
    assert not (tmp_path / "unused").exists()  # nothing embedded on disk: the server holds it
    assert store.raw_collection(opened.store_for("en")).metadata["model"] == "fake-bow-64"

    retriever = Retriever(settings, embedder=emb)
    top = retriever.search("Who founded the jazz festival?", k=2)
    assert top[0].file == "beta.txt"

    write(sources, "gamma.txt", GAMMA)
    (sources / "beta.txt").unlink()
    emb.embedded.clear()
    report, opened = build_index(settings, emb)
    assert (report.added, report.removed, report.unchanged) == (3, 2, 3)
    assert all(t.startswith(("Gammaburg", "Its oldest")) for t in emb.embedded)
    fresh = Retriever(settings, embedder=emb)
    top = fresh.search("How many people does the shipyard employ?", k=1)[0]
    assert (top.file, top.paragraph) == ("gamma.txt", 1)
    client = store.connect(settings)
    assert store.generations(client, settings) == [f"{opened.manifest.active}-en"]

    # a no-op run touches nothing
    emb.embedded.clear()
    report, again = build_index(settings, emb)
    assert not report.changed and emb.embedded == []
    assert again.manifest.active == opened.manifest.active


@pytest.mark.slow
def test_real_model_search_through_the_server(chroma_url: str, tmp_path: Path) -> None:
    from qa.config import PROJECT_ROOT

    sources = tmp_path / "sources"
    sources.mkdir()
    for name in ("000_471dacd1b07f6ea5.txt", "003_736721b06ed10590.txt"):
        shutil.copy(PROJECT_ROOT / "seeds" / name, sources / name)
    settings = Settings(
        sources_dir=sources, index_dir=tmp_path / "unused", chroma_url=chroma_url, collection="real"
    )
    passages = Retriever(settings).search(
        "How many chapters and articles does the Hanoi Convention have?", k=3
    )
    assert passages[0].file == "000_471dacd1b07f6ea5.txt" and "71 Artikeln" in passages[0].text
