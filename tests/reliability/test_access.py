"""Who can reach the chat, and where secrets go.

- By default the chat listens on loopback only: not reachable through the machine's other
  addresses.
- With ``QA_AUTH`` every route that serves the app, its API or its data needs the login; the
  answer function is never reached without it. Routes are enumerated from the live app, so a
  route added by a Gradio upgrade is checked too.
- A (fake) API key and the login password never appear in logs, the UI, the API, the index or
  the evaluation reports.
"""

from __future__ import annotations

import logging
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client
from pydantic import SecretStr

from qa.answering import answer
from qa.config import PROJECT_ROOT, Settings
from qa.corpus import Corpus, load_corpus
from qa.index import build_index
from qa.retrieve import get_retriever
from qa.web import build_app
from tests.conftest import SEEDS
from tests.fake_embedder import FakeEmbedder
from tests.reliability.fake_llm import fake_llm
from tests.reliability.helpers import child_env
from tests.test_answer import CHAPTERS, CHAPTERS_FR, FakeRetriever
from tests.web_fakes import FakeBackend, running

KEY = "sk-qa-reliability-FAKE-KEY-7f3a9c2e51"
PASSWORD = "correct horse battery staple 42"
AUTH = f"alice:{PASSWORD}"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(SEEDS)


def _outward_address() -> str | None:
    """An address of this machine that is not loopback (None if it has none)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 9))  # UDP: nothing is sent
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_the_chat_is_reachable_on_loopback_only(settings: Settings, corpus: Corpus) -> None:
    fake = FakeBackend(corpus)
    app = build_app(settings, stream_fn=fake.stream, answer_fn=fake.ask, corpus_fn=lambda: corpus)
    with running(app, settings) as url:
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        assert httpx.get(url, timeout=10).status_code == 200
        address = _outward_address()
        if address is None:
            pytest.skip("this machine has no address besides loopback to try")
        with pytest.raises(OSError), socket.create_connection((address, port), timeout=5):
            pass


# --- login ------------------------------------------------------------------------------------------


def _routes(router: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every HTTP route of a FastAPI app, included routers flattened."""
    for route in router.routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner, prefix + route.include_context.prefix)
        elif hasattr(route, "path"):
            for method in sorted(getattr(route, "methods", None) or ()):
                if method not in ("HEAD", "OPTIONS"):
                    yield method, prefix + route.path


def _concrete(path: str) -> str:
    """A path with its parameters filled in: the ``ask`` endpoint, a seed file, dummy ids."""
    path = path.replace("{api_name}", "ask").replace("{fn_index}", "0")
    path = re.sub(r"\{path[^}]*\}", str(SEEDS / "000_471dacd1b07f6ea5.txt").lstrip("/"), path)
    return re.sub(r"\{[^}]*\}", "0", path)


def _fetch(client: httpx.Client, method: str, path: str) -> tuple[int, str]:
    """Status and the start of the body (an endless event stream is cut off, not waited for)."""
    body = {"data": ["How many chapters does the Hanoi Convention have?"], "fn_index": 0, "session_hash": "x"}
    try:
        with client.stream(method, path, json=body if method in ("POST", "PUT") else None) as response:
            text = b""
            for chunk in response.iter_bytes():
                text += chunk
                if len(text) > 65536:
                    break
            return response.status_code, text.decode("utf-8", "replace")
    except httpx.ReadTimeout:
        return 200, ""  # an open stream that sent nothing


def test_with_a_login_no_route_serves_the_app_or_runs_it_without_one(
    settings: Settings, corpus: Corpus
) -> None:
    fake = FakeBackend(corpus)
    protected = settings.model_copy(update={"auth": SecretStr(AUTH)})
    app = build_app(protected, stream_fn=fake.stream, answer_fn=fake.ask, corpus_fn=lambda: corpus)
    article = corpus.paragraph("000_471dacd1b07f6ea5.txt", 6).text[:60]
    # What only a logged-in user may see: article text, the app's components and events.
    # (Gradio's login page does embed the public description of the ``ask`` endpoint: its name,
    # parameter and docstring, which the README documents anyway; nothing that runs or reads data.)
    private = [article, "qa-question", "qa-chat", '"api_name": "chat"', '"api_name":"chat"']
    with running(app, protected) as url:
        routes = sorted(set(_routes(app.server_app if hasattr(app, "server_app") else app.app)))
        assert len(routes) > 30
        refused = []
        with httpx.Client(base_url=url.rstrip("/"), timeout=5, follow_redirects=False) as anonymous:
            for method, path in routes:
                status, text = _fetch(anonymous, method, _concrete(path))
                leaked = [marker for marker in private if marker in text]
                assert not leaked, f"{method} {path} answered {status} without a login, showing {leaked}"
                if status in (401, 403):
                    refused.append(path)
            # The ways to run the ask endpoint, explicitly.
            for path in [
                "/gradio_api/call/ask",
                "/gradio_api/run/ask",
                "/gradio_api/api/ask",
                "/gradio_api/queue/join",
            ]:
                assert _fetch(anonymous, "POST", path)[0] in (401, 403), path
            assert anonymous.get("/config").status_code in (401, 403)
            assert anonymous.get("/gradio_api/info").status_code in (401, 403)
        assert fake.calls == [], "the answer function ran for a client without the login"
        assert {"/config", "/gradio_api/call/{api_name}", "/gradio_api/queue/join"} <= set(refused)

        with pytest.raises(Exception, match=r"(?i)login|auth|401|403"):
            Client(url, verbose=False, analytics_enabled=False).predict("Who?", api_name="/ask")
        with httpx.Client(base_url=url.rstrip("/"), timeout=30) as user:
            login = user.post("/login", data={"username": "alice", "password": PASSWORD})
            assert login.status_code == 200, login.text
            config = user.get("/config")
            assert config.status_code == 200 and "qa-question" in config.text  # the markers are real
        assert "¶" in Client(url, auth=("alice", PASSWORD), verbose=False).predict(
            "Who chaired it?", api_name="/ask"
        )
        assert len(fake.calls) == 1


# --- secrets ----------------------------------------------------------------------------------------


def _assert_no_secret(where: str, text: str) -> None:
    for secret in (KEY, PASSWORD):
        assert secret not in text, f"a secret appears in {where}"


def _folder_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_the_api_key_and_password_stay_out_of_logs_ui_and_index(
    tmp_path: Path, corpus: Corpus, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything every library logs, httpx and openai included
    retriever = FakeRetriever(corpus, [CHAPTERS, ("001_5da9f8a340a8f379.txt", 4), CHAPTERS_FR])
    with fake_llm("good") as server:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            sources_dir=SEEDS,
            index_dir=tmp_path / "index",
            llm="openai",
            openai_base_url=server.base_url,
            openai_api_key=SecretStr(KEY),
            auth=SecretStr(AUTH),
            llm_max_retries=0,
        )
        _assert_no_secret("the settings' repr", repr(settings) + str(settings))
        result = answer(
            "How many chapters does the Hanoi Convention have?", settings=settings, retriever=retriever
        )
        assert result.found and f"Bearer {KEY}" in server.authorizations  # the key was used
        _assert_no_secret("the answer", repr(result.to_dict()))

        def ask(question: str) -> Any:
            return answer(question, settings=settings, retriever=retriever)

        app = build_app(
            settings,
            answer_fn=ask,
            stream_fn=lambda q, h: iter([answer(q, h, settings=settings, retriever=retriever)]),
            corpus_fn=lambda: corpus,
        )
        with running(app, settings) as url:
            api = Client(url, auth=("alice", PASSWORD), verbose=False, analytics_enabled=False)
            shown = [
                str(api.predict("How many chapters does the Hanoi Convention have?", api_name="/ask")),
                str(api.predict("How many chapters?", api_name="/chat")),
            ]
            with httpx.Client(base_url=url.rstrip("/"), timeout=30) as user:
                user.post("/login", data={"username": "alice", "password": PASSWORD})
                shown += [user.get(path).text for path in ("/", "/config", "/gradio_api/info")]
        for text in shown:
            _assert_no_secret("the web chat", text)

    build_index(settings, FakeEmbedder())
    _assert_no_secret("the index folder", _folder_bytes(settings.index_dir).decode("latin-1"))
    _assert_no_secret("the log", caplog.text)


@pytest.mark.slow
def test_the_api_key_stays_out_of_the_command_line_and_the_evaluation_report(
    tmp_path: Path, extractive_settings: Settings
) -> None:
    from qa.eval import evaluate
    from qa.report import write_report

    get_retriever(extractive_settings).ensure_index()
    index = tmp_path / "index"
    shutil.copytree(extractive_settings.index_dir, index)
    with fake_llm("good") as server:
        settings = extractive_settings.model_copy(
            update={
                "llm": "openai",
                "index_dir": index,
                "openai_base_url": server.base_url,
                "openai_api_key": SecretStr(KEY),
                "llm_max_retries": 0,
            }
        )
        report = evaluate(settings, backend="openai", limit=3)
        folder = write_report(report, tmp_path / "report")[0].parent
        assert report.answers is not None and report.answers["errors"] == 0
        _assert_no_secret("the evaluation report", _folder_bytes(folder).decode("utf-8", "replace"))

        env = child_env(
            QA_SOURCES_DIR=str(SEEDS),
            QA_INDEX_DIR=str(index),
            QA_MODEL_CACHE_DIR=str(tmp_path / "cache"),
            OPENAI_API_KEY=KEY,
            OPENAI_BASE_URL=server.base_url,
            QA_AUTH=AUTH,
        )
        for args in (
            ["-v", "ask", "How many chapters?"],
            ["-v", "ask", "--json", "Who chaired it?"],
            ["-v", "index"],
        ):
            done = subprocess.run(
                [sys.executable, "-m", "qa", *args],
                cwd=PROJECT_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert done.returncode == 0, done.stderr[-3000:]
            _assert_no_secret(f"`qa {' '.join(args)}`", done.stdout + done.stderr)
    _assert_no_secret("the index folder", _folder_bytes(index).decode("latin-1"))
