"""The web chat over HTTP: the ``ask`` endpoint with gradio_client, sessions, concurrency, login.

Each test starts the real Gradio server on a free loopback port and closes it afterwards.
The answer stage is the deterministic fake here (these tests are about the web layer);
``test_web_extractive.py`` runs the same endpoints on the real extractive backend.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from gradio_client import Client
from pydantic import SecretStr

from qa.config import Settings
from qa.corpus import Corpus, load_corpus
from qa.web import build_app
from tests.conftest import SEEDS
from tests.web_fakes import FakeBackend, running


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(SEEDS)


def client(url: str, **kw: object) -> Client:
    return Client(url, verbose=False, analytics_enabled=False, **kw)  # type: ignore[arg-type]


@pytest.fixture
def served(settings: Settings, corpus: Corpus) -> Iterator[tuple[str, FakeBackend]]:
    fake = FakeBackend(corpus, delay=0.2)
    app = build_app(settings, stream_fn=fake.stream, answer_fn=fake.ask, corpus_fn=lambda: corpus)
    with running(app, settings) as url:
        yield url, fake


def distinct_paragraphs(corpus: Corpus, n: int) -> list[tuple[str, str]]:
    """``n`` (question, expected citation) pairs: a paragraph's own text asks for that paragraph."""
    chosen = []
    for p in corpus.content_paragraphs():
        if len(p.text) > 80:
            chosen.append((p.text[:300], f"[{p.file} ¶{p.number}]"))
    step = max(1, len(chosen) // n)
    return chosen[::step][:n]


def test_ask_endpoint_answers_with_file_paragraph_citations(served: tuple[str, FakeBackend]) -> None:
    url, fake = served
    api = client(url)
    endpoints = api.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert list(endpoints) == ["/ask"]  # the only documented endpoint
    assert endpoints["/ask"]["parameters"][0]["python_type"]["type"] == "str"
    assert endpoints["/ask"]["returns"][0]["python_type"]["type"] == "str"
    markdown = api.predict("How many chapters and articles does the Hanoi Convention have?", api_name="/ask")
    assert isinstance(markdown, str)
    expected = fake.ask("How many chapters and articles does the Hanoi Convention have?").citations[0]
    assert f"[{expected.file} ¶{expected.paragraph}]" in markdown
    assert "**Sources**" in markdown


def test_ask_endpoint_reports_errors_and_keeps_serving(served: tuple[str, FakeBackend]) -> None:
    url, _ = served
    api = client(url)
    with pytest.raises(Exception, match="type a question"):
        api.predict("", api_name="/ask")
    with pytest.raises(Exception, match="too long"):
        api.predict("x" * 5000, api_name="/ask")
    assert "¶" in api.predict("Who chaired the signing ceremony?", api_name="/ask")


def test_ten_simultaneous_questions_each_get_their_own_answer(
    served: tuple[str, FakeBackend], corpus: Corpus, settings: Settings
) -> None:
    url, fake = served
    cases = distinct_paragraphs(corpus, 10)
    assert len({expected for _, expected in cases}) == 10
    api = client(url)
    start = threading.Barrier(10)

    def ask(question: str) -> str:
        start.wait()
        return str(api.predict(question, api_name="/ask"))

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(ask, [q for q, _ in cases]))
    for (question, expected), markdown in zip(cases, answers, strict=True):
        assert expected in markdown, f"answer to {question[:40]!r} does not cite {expected}"
    assert len(fake.calls) == 10
    # Answers ran in parallel, but never more at once than QA_MAX_CONCURRENCY.
    assert 1 < fake.max_in_flight <= settings.max_concurrency


def test_concurrent_conversations_keep_their_own_history(
    served: tuple[str, FakeBackend], corpus: Corpus
) -> None:
    """Five sessions chat at once; every follow-up sees its own session's first turn, and only that."""
    url, fake = served
    openers = [q for q, _ in distinct_paragraphs(corpus, 5)]
    start = threading.Barrier(5)

    def converse(i: int) -> tuple[tuple[object, ...], tuple[object, ...]]:
        session = client(url)  # one client = one browser session
        start.wait()
        first = session.predict(openers[i], api_name="/chat")
        second = session.predict(f"Follow-up number {i}?", api_name="/chat")
        return first, second

    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(converse, range(5)))
    histories = {question: history for question, history in fake.calls}
    for i, (_, second) in enumerate(results):
        history = histories[f"Follow-up number {i}?"]
        assert [question for question, _ in history] == [openers[i]]
        chat = second[1]
        assert isinstance(chat, list) and len(chat) == 4  # two questions, two answers
        assert f"Follow-up number {i}?" in str(chat[2])


def test_login_is_required_when_qa_auth_is_set(settings: Settings, corpus: Corpus) -> None:
    fake = FakeBackend(corpus)
    protected = settings.model_copy(update={"auth": SecretStr("alice:wonder land")})
    app = build_app(protected, stream_fn=fake.stream, answer_fn=fake.ask, corpus_fn=lambda: corpus)
    with running(app, protected) as url:
        assert httpx.get(f"{url}config").status_code in (401, 403)
        with pytest.raises(Exception, match=r"(?i)login|auth|401|403"):
            client(url).predict("Who chaired the ceremony?", api_name="/ask")
        with pytest.raises(Exception, match=r"(?i)login|auth|401|403|incorrect"):
            client(url, auth=("alice", "wrong")).predict("Who?", api_name="/ask")
        assert "¶" in client(url, auth=("alice", "wonder land")).predict("Who chaired it?", api_name="/ask")
