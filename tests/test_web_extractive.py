"""The web chat on the real answer stack (index, e5 embeddings, extractive backend) over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from gradio_client import Client
from pydantic import SecretStr

from qa.answering import answer
from qa.config import Settings
from qa.web import EXAMPLES, build_app
from qa.web_render import answer_markdown
from tests.web_fakes import free_port, running

pytestmark = pytest.mark.slow

QUESTIONS = [
    *EXAMPLES,
    "Who is the executive director of UNODC?",
    "Wann nahm die UN-Generalversammlung die Konvention an?",
    "Quel rôle le Vietnam a-t-il joué selon To Lam ?",
    "Vilka deltog i mottagningen hos generalsekreterare To Lam?",
    "Wat zei Bui Thanh Son over de onderhandelingen?",
]


def client(url: str) -> Client:
    return Client(url, verbose=False, analytics_enabled=False)


@pytest.fixture(scope="module")
def real_url(extractive_settings: Settings) -> Iterator[str]:
    app = build_app(extractive_settings)
    with running(app, extractive_settings) as url:
        yield url


def test_ask_endpoint_on_the_real_stack(real_url: str) -> None:
    markdown = client(real_url).predict(EXAMPLES[0], api_name="/ask")
    assert "71" in markdown
    assert any(f"[{f} ¶6]" in markdown for f in ("000_471dacd1b07f6ea5.txt", "002_fdb1f30901b7e10f.txt"))


def test_ten_simultaneous_questions_match_their_answers_asked_alone(
    real_url: str, extractive_settings: Settings
) -> None:
    expected = [answer_markdown(answer(q, settings=extractive_settings)) for q in QUESTIONS]
    assert len(set(expected)) >= 8  # distinct enough that a mix-up would show
    api = client(real_url)
    start = threading.Barrier(len(QUESTIONS))

    def ask(question: str) -> str:
        start.wait()
        return str(api.predict(question, api_name="/ask"))

    with ThreadPoolExecutor(max_workers=len(QUESTIONS)) as pool:
        got = list(pool.map(ask, QUESTIONS))
    for question, want, have in zip(QUESTIONS, expected, got, strict=True):
        assert have == want, f"the answer to {question!r} changed when asked concurrently"


def test_follow_up_question_is_searched_with_the_history(real_url: str) -> None:
    session = client(real_url)
    _, first_chat, _ = session.predict(EXAMPLES[1], api_name="/chat")
    assert "qa-cite" in str(first_chat[-1])
    _, chat, details = session.predict("Und wer nahm daran teil?", api_name="/chat")
    assert len(chat) == 4
    # With history, the answer stage searches a standalone question built from the conversation.
    assert "question as searched" in details and "Unterzeichnungszeremonie" in details


def test_over_long_question_is_a_friendly_chat_message(real_url: str) -> None:
    question, chat, _ = client(real_url).predict("Why? " * 1000, api_name="/chat")
    assert "QA_MAX_QUESTION_CHARS" in str(chat[-1]) and "qa-error" in str(chat[-1])
    assert question.startswith("Why?")  # given back for editing


@pytest.mark.parametrize(("fallback", "shown"), [("extractive", "Notice:"), ("none", "Cannot reach")])
def test_unreachable_llm_is_reported_in_the_chat(
    extractive_settings: Settings, fallback: str, shown: str
) -> None:
    settings = extractive_settings.model_copy(
        update={
            "llm": "openai",
            "openai_base_url": f"http://127.0.0.1:{free_port()}/v1",  # nothing listens there
            "openai_api_key": SecretStr("test-key"),
            "llm_timeout": 3.0,
            "llm_max_retries": 0,
            "llm_fallback": fallback,
        }
    )
    with running(build_app(settings), settings) as url:
        session = client(url)
        _, chat, _ = session.predict(EXAMPLES[0], api_name="/chat")
        assert shown in str(chat[-1])
        # The app keeps serving.
        _, chat, _ = session.predict(EXAMPLES[0], api_name="/chat")
        assert len(chat) == 4
