"""Hostile and malformed questions (hypothesis) through ``qa.search``, ``qa.answer`` and the web.

Every input must end in an answer, an abstention or a ``QAError`` with a message; never
another exception, a hang or a dead server. The cheap properties run many examples; those
on the real stack (bundled model, the session's seeds index, the extractive backend, a real
Gradio server) run a bounded number, sharing one index.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from typing import Any

import gradio as gr
import httpx
import pytest
from gradio_client import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from qa.answering import answer
from qa.config import Settings
from qa.corpus import Corpus, load_corpus
from qa.errors import InputError, QAError
from qa.models import Answer
from qa.prompts import message
from qa.retrieve import search, validate_question
from qa.web import build_app, make_ask, make_respond
from tests.conftest import SEEDS
from tests.reliability.hostile_text import encodable_questions, questions
from tests.test_answer import CHAPTERS, CHAPTERS_FR, FakeRetriever
from tests.web_fakes import FakeBackend, running

# Examples per property. Cheap ones run many; real-stack ones a bounded number.
MANY = 300
REAL_STACK = 25
OVER_HTTP = 20
GENERIC_GRADIO_ERROR = "upstream Gradio app has raised an exception"
FUZZ = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(SEEDS)


def _base_settings() -> Settings:
    return Settings(_env_file=None, sources_dir=SEEDS, llm="extractive")  # type: ignore[call-arg]


@settings(FUZZ, max_examples=MANY)
@given(question=questions)
def test_question_validation_cleans_or_refuses_with_a_message(question: str) -> None:
    s = _base_settings()
    try:
        cleaned = validate_question(question, s)
    except InputError as exc:
        assert str(exc).strip()
        return
    assert cleaned and cleaned == cleaned.strip() and len(cleaned) <= s.max_question_chars
    assert cleaned.encode("utf-8")  # encodable: no lone surrogates reach the model
    for ch in cleaned:
        assert unicodedata.category(ch) not in ("Cc", "Cs"), repr(ch)
        assert unicodedata.category(ch) != "Cf" or ch in "\u200c\u200d", repr(ch)


def _check_answer(result: Answer, corpus: Corpus) -> None:
    assert isinstance(result, Answer) and result.text.strip()
    retrieved = {(p.file, p.paragraph) for p in result.passages}
    for citation in result.citations:
        assert (citation.file, citation.paragraph) in retrieved, "a citation points outside the retrieved"
        assert citation.text == corpus.paragraph(citation.file, citation.paragraph).text
    if not result.found:
        assert result.citations == []


@settings(FUZZ, max_examples=MANY)
@given(question=questions, history=st.lists(st.tuples(questions, questions), max_size=3))
def test_extractive_answer_logic_never_fails_unexpectedly(
    question: str, history: list[tuple[str, str]], corpus: Corpus
) -> None:
    """The answer stage on a fixed retriever (no model): every input is an answer or a QAError."""
    retriever = FakeRetriever(corpus, [CHAPTERS, ("001_5da9f8a340a8f379.txt", 4), CHAPTERS_FR])
    try:
        result = answer(question, history, settings=_base_settings(), retriever=retriever)
    except QAError as exc:
        assert str(exc).strip()
        return
    _check_answer(result, corpus)


# Replies a model might send: text, JSON of every shape, JSON cut off, attempts to cite what was
# not retrieved or to repeat the prompt.
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
_replies = st.one_of(
    questions,
    st.fixed_dictionaries(
        {},
        optional={
            "answer": st.one_of(questions, _json_values),
            "sources": st.one_of(st.lists(st.integers(-5, 12), max_size=5), _json_values),
            "found": st.one_of(st.booleans(), _json_values),
        },
    ).map(json.dumps),
    st.builds(
        lambda text, sources, cut: json.dumps({"answer": text, "sources": sources, "found": True})[:cut],
        questions,
        st.lists(st.integers(-5, 12), max_size=5),
        st.integers(0, 400),
    ),
)


@settings(FUZZ, max_examples=MANY)
@given(question=questions, reply=_replies)
def test_any_model_reply_gives_an_answer_or_a_clear_error(question: str, reply: str, corpus: Corpus) -> None:
    retriever = FakeRetriever(corpus, [CHAPTERS, ("001_5da9f8a340a8f379.txt", 4), CHAPTERS_FR])
    s = _base_settings().model_copy(update={"llm": "openai", "llm_fallback": "none"})
    model = GenericFakeChatModel(messages=iter([reply]))
    try:
        result = answer(question, settings=s, retriever=retriever, chat_model=model)
    except QAError as exc:
        assert str(exc).strip()
        return
    _check_answer(result, corpus)
    assert result.fallback is None
    if not result.found:
        assert result.text == message("not_found", result.lang)


def _encodable(value: Any) -> None:
    json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")  # raises for lone surrogates


@settings(FUZZ, max_examples=MANY)
@given(question=questions, reply=questions)
def test_the_chat_edge_only_sends_what_can_be_sent(question: str, reply: str, corpus: Corpus) -> None:
    """Whatever the question and the model's words (lone surrogates included), the chat's and the
    API's replies can be encoded for the browser: a reply that cannot be sent kills the request."""
    fake = FakeBackend(corpus, text_override=f"{reply} [1]", paragraph_override=f"{reply}. {reply}.")
    for textbox, chat, _turns, details in make_respond(fake.stream)(question, []):
        _encodable([textbox, chat, details])
    try:
        _encodable(make_ask(fake.ask)(question))
    except gr.Error as exc:
        _encodable(exc.message)


# --- the real stack (bundled model, seeds index) -----------------------------------------------------


@pytest.mark.slow
@settings(FUZZ, max_examples=REAL_STACK)
@given(question=questions, k=st.one_of(st.integers(-3, 60), st.sampled_from([5, 1, 50])))
def test_search_on_the_real_index_never_fails_unexpectedly(
    question: str, k: int, extractive_settings: Settings, corpus: Corpus
) -> None:
    try:
        passages = search(question, k=k, settings=extractive_settings)
    except InputError as exc:
        assert str(exc).strip()
        return
    assert 0 < len(passages) <= k
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    for p in passages:
        assert corpus.paragraph(p.file, p.paragraph).text == p.text


@pytest.mark.slow
@settings(FUZZ, max_examples=REAL_STACK)
@given(question=questions)
def test_answer_on_the_real_stack_never_fails_unexpectedly(
    question: str, extractive_settings: Settings, corpus: Corpus
) -> None:
    try:
        result = answer(question, settings=extractive_settings)
    except QAError as exc:
        assert str(exc).strip()
        return
    _check_answer(result, corpus)


@pytest.fixture(scope="module")
def served(extractive_settings: Settings) -> Iterator[str]:
    with running(build_app(extractive_settings), extractive_settings) as url:
        yield url


def _ask_over_http(url: str, question: Any) -> tuple[str, str]:
    """POST to the ``ask`` REST route as any HTTP client would; ("complete"|"error", data)."""
    with httpx.Client(base_url=url, timeout=120) as http:
        payload = json.dumps({"data": [question]})  # ASCII, with \uXXXX escapes (surrogates too)
        started = http.post(
            "gradio_api/call/ask", content=payload, headers={"content-type": "application/json"}
        )
        assert started.status_code == 200, started.text
        event_id = started.json()["event_id"]
        with http.stream("GET", f"gradio_api/call/ask/{event_id}") as events:
            kind = ""
            for line in events.iter_lines():
                if line.startswith("event:"):
                    kind = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and kind in ("complete", "error"):
                    return kind, line.split(":", 1)[1].strip()
    raise AssertionError("the event stream ended without a result")


@pytest.mark.slow
@settings(FUZZ, max_examples=OVER_HTTP)
@given(question=encodable_questions)
def test_ask_endpoint_answers_or_explains_and_keeps_serving(served: str, question: str) -> None:
    api = Client(served, verbose=False, analytics_enabled=False)
    try:
        markdown = api.predict(question, api_name="/ask")
    except Exception as exc:  # the client re-raises the server's gr.Error with its message
        assert GENERIC_GRADIO_ERROR not in str(exc), f"an unexpected server error for {question!r}"
        assert str(exc).strip()
    else:
        assert isinstance(markdown, str) and markdown.strip()
    assert httpx.get(served, timeout=30).status_code == 200


@pytest.mark.slow
def test_raw_json_with_escaped_surrogates_and_wrong_types_is_refused_cleanly(served: str) -> None:
    """What no well-behaved client sends: JSON-escaped lone surrogates, NUL, values that are not text."""
    for value in [
        "\ud800\udfff\ud83d",
        "\x00" * 10,
        "How many chapters?\ud800",
        None,
        42,
        ["a"],
        {"q": 1},
        True,
    ]:
        kind, data = _ask_over_http(served, value)
        assert kind in ("complete", "error"), (value, data)
        if kind == "error":  # the message a user needs, not Gradio's anonymous failure
            assert json.loads(data)["error"], (value, data)
    kind, data = _ask_over_http(served, "How many chapters does the Hanoi Convention have?")
    assert kind == "complete" and "¶" in json.loads(data)[0]
