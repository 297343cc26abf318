"""The language model misbehaves; the user gets a clear message or a labelled extractive answer.

The ``openai`` backend (the real openai client, over HTTP) talks to a deliberately broken
OpenAI-compatible server on loopback: an HTML error page, a broken event stream, events
without choices, HTTP 500, a reply dripping in slower than the timeout.
(``tests/test_openai_backend.py`` covers a silent server, rate limits, a wrong key and an
unreachable server.) Retrieval is a fixed retriever: the point is the answer stage's edge.
"""

from __future__ import annotations

import time

import gradio as gr
import pytest
from pydantic import SecretStr

from qa.answering import answer
from qa.config import Settings
from qa.corpus import load_corpus
from qa.errors import BackendError
from qa.web import make_ask
from qa.web_render import answer_markdown, render_answer, render_details
from tests.conftest import SEEDS
from tests.reliability.fake_llm import MODES, fake_llm
from tests.test_answer import CHAPTERS, CHAPTERS_FR, FakeRetriever

QUESTION = "How many chapters does the Hanoi Convention have?"
BROKEN = [
    "html_error_page",
    "broken_event_stream",
    "malformed_json_reply",
    "cut_off_reply",
    "no_choices",
    "server_error",
    "drip",
]
HANG_GUARD_S = 60  # not a speed target: a failing backend must not hold a user for minutes


@pytest.fixture
def retriever() -> FakeRetriever:
    return FakeRetriever(load_corpus(SEEDS), [CHAPTERS, ("001_5da9f8a340a8f379.txt", 4), CHAPTERS_FR])


def _settings(base_url: str, fallback: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        sources_dir=SEEDS,
        llm="openai",
        openai_base_url=base_url,
        openai_api_key=SecretStr("test-key"),
        llm_timeout=1.0,
        llm_max_retries=0,
        llm_fallback=fallback,
    )


@pytest.mark.parametrize("mode", BROKEN)
def test_a_broken_backend_gives_a_labelled_extractive_answer(mode: str, retriever: FakeRetriever) -> None:
    with fake_llm(mode) as server:
        started = time.monotonic()
        result = answer(QUESTION, settings=_settings(server.base_url, "extractive"), retriever=retriever)
    assert time.monotonic() - started < HANG_GUARD_S
    assert result.fallback == "extractive", f"{MODES[mode]}: {result.text!r}"
    assert result.fallback_reason and result.fallback_reason.strip()
    assert result.found and result.citations
    assert {(c.file, c.paragraph) for c in result.citations} <= {
        (p.file, p.paragraph) for p in result.passages
    }
    # Labelled as such wherever it is shown.
    assert "extractive fallback" in render_answer(result)
    assert "extractive fallback" in answer_markdown(result)
    assert "why the fallback" in render_details(result)


@pytest.mark.parametrize("mode", BROKEN)
def test_without_fallback_a_broken_backend_is_a_clear_error_in_the_chat(
    mode: str, retriever: FakeRetriever
) -> None:
    settings = _settings("", "none")
    with fake_llm(mode) as server:
        settings = settings.model_copy(update={"openai_base_url": server.base_url})
        started = time.monotonic()
        with pytest.raises(BackendError) as info:
            answer(QUESTION, settings=settings, retriever=retriever)
        message = str(info.value)
        assert message.strip() and "Traceback" not in message
        ask = make_ask(lambda q: answer(q, settings=settings, retriever=retriever))
        with pytest.raises(gr.Error) as shown:
            ask(QUESTION)
        assert shown.value.message == message  # the chat shows the same words
    assert time.monotonic() - started < 2 * HANG_GUARD_S


def test_the_backend_recovers_once_the_server_behaves(retriever: FakeRetriever) -> None:
    with fake_llm("server_error") as server:
        settings = _settings(server.base_url, "extractive")
        assert answer(QUESTION, settings=settings, retriever=retriever).fallback == "extractive"
        server.mode = "good"
        healthy = answer(QUESTION, settings=settings, retriever=retriever)
    assert healthy.fallback is None and healthy.found
    assert healthy.text == "The Hanoi Convention has 9 chapters."
    assert [(c.file, c.paragraph) for c in healthy.citations] == [CHAPTERS]


@pytest.mark.parametrize("mode", ["echo_key_400", "echo_key_500"])
def test_a_key_the_server_echoes_back_is_never_shown(mode: str, retriever: FakeRetriever) -> None:
    """A hostile or careless server repeats the Authorization header in its error body."""
    key = "sk-test-0123456789-do-not-show"
    settings = _settings("", "extractive").model_copy(update={"openai_api_key": SecretStr(key)})
    with fake_llm(mode) as server:
        settings = settings.model_copy(update={"openai_base_url": server.base_url})
        shown: list[str] = []
        try:
            result = answer(QUESTION, settings=settings, retriever=retriever)
        except BackendError as exc:  # HTTP 400: a setup problem, raised even with a fallback
            shown.append(str(exc))
            ask = make_ask(lambda q: answer(q, settings=settings, retriever=retriever))
            with pytest.raises(gr.Error) as error:
                ask(QUESTION)
            shown.append(str(error.value.message))
        else:  # HTTP 500: transient, an extractive fallback that says why
            assert result.fallback == "extractive"
            shown += [
                result.text,
                result.fallback_reason or "",
                render_answer(result),
                render_details(result),
                answer_markdown(result),
            ]
        assert any(key in a for a in server.authorizations)  # the server did get (and echo) it
    assert shown and any("HTTP" in text for text in shown)
    for text in shown:
        assert key not in text and "0123456789-do-not-show" not in text, text
