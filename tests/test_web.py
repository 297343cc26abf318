"""The web chat built in-process: handlers, session history, errors, citation viewer, launch options."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from qa.config import Settings
from qa.corpus import Corpus, load_corpus
from qa.errors import BackendError, ConfigError, InputError
from qa.lang import detect_language
from qa.translation import Translator
from qa.web import (
    EMPTY_QUESTION,
    EXAMPLES,
    INTERNAL_ERROR,
    StopRequests,
    Turn,
    build_app,
    chat_messages,
    history_of,
    launch_options,
    make_ask,
    make_open_citation,
    make_respond,
    make_translate,
)
from qa.web_render import TRANSLATE_PREFIX, WAITING, cite_href
from tests.conftest import SEEDS
from tests.web_fakes import FakeBackend

QUESTION = "How many chapters and articles does the Hanoi Convention have?"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(SEEDS)


@pytest.fixture
def fake(corpus: Corpus) -> FakeBackend:
    return FakeBackend(corpus)


def run(respond: Any, question: str, turns: list[Turn]) -> list[tuple[Any, ...]]:
    return list(respond(question, turns))


def skipped(value: Any) -> bool:
    return isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1


def test_answer_streams_into_the_chat_then_becomes_a_cited_turn(fake: FakeBackend) -> None:
    steps = run(make_respond(fake.stream), QUESTION, [])
    first, *middle, last = steps
    # The question shows at once, with an assistant message saying the answer is under way.
    assert first[0] == ""
    assert "How many chapters" in first[1][0]["content"] and "qa-streaming" in first[1][1]["content"]
    assert WAITING in first[1][1]["content"]
    # Then the text grows chunk by chunk...
    partials = [step[1][-1]["content"] for step in middle]
    assert len(partials) >= 5
    assert all("qa-streaming" in p and WAITING not in p for p in partials)
    assert all(len(a) < len(b) for a, b in pairwise(partials))
    # ...and ends as the rendered answer with its sources, stored in the session state.
    _, chat, turns, details = last
    assert len(turns) == 1 and turns[0].answer is not None
    citation = turns[0].answer.citations[0]
    assert "qa-streaming" not in chat[-1]["content"]
    assert cite_href(citation.file, citation.paragraph) in chat[-1]["content"]
    assert "Sources" in chat[-1]["content"]
    assert citation.label in details and "fake" in details
    assert chat == chat_messages(turns)


def test_follow_up_questions_get_the_conversation_history(fake: FakeBackend) -> None:
    respond = make_respond(fake.stream)
    turns = run(respond, QUESTION, [])[-1][2]
    turns = run(respond, "", turns)[-1][2]  # an error turn is shown but not sent as history
    turns = run(respond, "And who chaired the signing ceremony?", turns)[-1][2]
    assert [q for q, _ in fake.calls] == [QUESTION, "And who chaired the signing ceremony?"]
    history = fake.calls[1][1]
    assert history == [(QUESTION, turns[0].answer.text)]
    assert len(turns) == 3
    assert history_of(turns)[1][0] == "And who chaired the signing ceremony?"


def test_empty_question_is_answered_with_a_friendly_message_without_the_backend(fake: FakeBackend) -> None:
    (step,) = run(make_respond(fake.stream), "   ", [])
    assert EMPTY_QUESTION in step[1][-1]["content"]
    assert "qa-error" in step[1][-1]["content"]
    assert fake.calls == []


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (InputError("The question is too long (5000 characters; at most 2000)."), "too long"),
        (BackendError("The language model at http://127.0.0.1:9 is unreachable."), "unreachable"),
        (RuntimeError("secret internal detail"), INTERNAL_ERROR),
    ],
)
def test_errors_become_chat_messages_and_the_question_is_given_back(
    fake: FakeBackend, error: Exception, shown: str
) -> None:
    fake.error = error
    respond = make_respond(fake.stream)
    last = run(respond, "Why?", [])[-1]
    textbox, chat, turns, _ = last
    assert textbox == "Why?"
    assert shown in chat[-1]["content"] and "qa-error" in chat[-1]["content"]
    assert "secret internal detail" not in chat[-1]["content"]
    assert turns[-1].answer is None
    # The chat keeps working afterwards.
    fake.error = None
    assert run(respond, QUESTION, turns)[-1][2][-1].answer is not None


def test_a_stream_without_a_final_answer_is_a_backend_error() -> None:
    def broken(question: str, history: list[tuple[str, str]]) -> Any:
        yield "partial text"

    last = run(make_respond(broken), QUESTION, [])[-1]
    assert "ended without an answer" in last[1][-1]["content"]


class Session:
    """What Gradio passes as ``gr.Request``, as far as the chat handler reads it."""

    def __init__(self, session_hash: str) -> None:
        self.session_hash = session_hash


def test_stop_ends_the_answer_closes_its_stream_and_keeps_no_history(fake: FakeBackend) -> None:
    closed: list[str] = []

    def endless(question: str, history: list[tuple[str, str]]) -> Any:
        try:
            while True:
                yield "more "
        finally:
            closed.append(question)

    stops = StopRequests()
    respond = make_respond(endless, stops)
    steps = respond("Why?", [], Session("a"))
    for _ in range(4):  # the question, then streamed text
        next(steps)
    assert stops.stop("b") is False  # another session answers nothing: nothing to stop
    assert stops.stop("a") is True
    textbox, chat, turns, _ = list(steps)[-1]
    assert closed == ["Why?"]  # the stream was closed: the model stops generating
    assert textbox == "Why?"  # given back to be sent again
    assert "Stopped" in chat[-1]["content"] and "more" not in chat[-1]["content"]
    assert len(turns) == 1 and turns[0].answer is None and history_of(turns) == []
    assert stops.stop("a") is False  # the flag went with the answer
    # The next answer in the session is not stopped by the old request, and has no history.
    assert list(make_respond(fake.stream, stops)(QUESTION, turns, Session("a")))[-1][2][-1].answer
    assert fake.calls == [(QUESTION, [])]


def test_a_stop_after_the_last_chunk_keeps_the_complete_answer(fake: FakeBackend) -> None:
    stops = StopRequests()
    steps = make_respond(fake.stream, stops)(QUESTION, [], Session("a"))
    items = list(fake.stream(QUESTION, []))
    chunks = sum(isinstance(item, str) for item in items)
    for _ in range(1 + chunks):  # the question, then every chunk: only the answer is left
        next(steps)
    stops.stop("a")
    _, chat, turns, _ = list(steps)[-1]
    assert turns[-1].answer is not None and "Stopped" not in chat[-1]["content"]


def test_ask_returns_markdown_with_file_paragraph_citations(fake: FakeBackend) -> None:
    ask = make_ask(fake.ask)
    markdown = ask(QUESTION)
    citation = fake.answer(QUESTION).citations[0]
    assert f"[{citation.file} ¶{citation.paragraph}]" in markdown
    assert "**Sources**" in markdown
    with pytest.raises(gr.Error, match="type a question"):
        ask("")
    fake.error = BackendError("backend down")
    with pytest.raises(gr.Error, match="backend down"):
        ask(QUESTION)


def test_clicking_a_citation_renders_the_article_with_that_paragraph(corpus: Corpus) -> None:
    open_citation = make_open_citation(lambda: corpus)
    document = corpus.documents[0]
    html = open_citation(gr.EventData(None, {"ref": cite_href(document.file, 6)}))
    assert 'id="qa-para-6" class="qa-para qa-hl"' in html
    assert html.count("qa-para") >= len(document.paragraphs)
    assert "no paragraph 99" in open_citation(gr.EventData(None, {"ref": cite_href(document.file, 99)}))
    assert "No source file" in open_citation(gr.EventData(None, {"ref": cite_href("../../etc/passwd", 1)}))
    assert "could not be read" in open_citation(gr.EventData(None, {"ref": "javascript:alert(1)"}))
    assert "could not be read" in open_citation(gr.EventData(None, None))


def _ref_event(ref: str) -> gr.EventData:
    return gr.EventData(None, {"ref": ref})


def test_a_citation_link_with_a_language_offers_a_translation_when_a_model_is_there(corpus: Corpus) -> None:
    document = corpus.documents[0]  # German
    ref = cite_href(document.file, 6, lang="en")
    assert "qa-translate" in make_open_citation(lambda: corpus, can_translate=True)(_ref_event(ref))
    assert "qa-translate" not in make_open_citation(lambda: corpus)(_ref_event(ref))
    assert "qa-translate" not in make_open_citation(lambda: corpus, can_translate=True)(
        _ref_event(cite_href(document.file, 6, lang="de"))
    )


def test_translating_a_paragraph_streams_into_the_viewer(corpus: Corpus, settings: Settings) -> None:
    document = corpus.documents[0]
    model = GenericFakeChatModel(messages=iter(["The convention has 9 chapters and 71 articles."]))
    translator = Translator(settings.model_copy(update={"llm": "local"}), model=model)
    translate = make_translate(lambda: corpus, translator)
    pages = list(translate(_ref_event(cite_href(document.file, 6, lang="en", prefix=TRANSLATE_PREFIX))))
    assert "Translating into English…" in pages[0] and 'id="qa-para-6" class="qa-para qa-hl"' in pages[0]
    assert len(pages) > 3  # word by word
    assert "The convention has 9 chapters" in pages[-2] and "Translating" in pages[-2]
    assert "Machine translation into English (local model)" in pages[-1]
    assert "The convention has 9 chapters and 71 articles." in pages[-1]


def test_a_translation_that_drops_a_name_is_flagged_in_the_viewer(corpus: Corpus, settings: Settings) -> None:
    document = corpus.document("001_5da9f8a340a8f379.txt")  # Swedish
    paragraph = next(
        p for p in document.paragraphs if p.text.startswith("Generalsekreterare To Lam tog emot")
    )
    # The bundled model's kind of slip (2026-12-05): "generalsekreterare To Lam" became plural, nameless.
    wrong = paragraph.text.replace("Generalsekreterare To Lam tog emot", "The general secretaries received")
    model = GenericFakeChatModel(messages=iter([wrong]))
    translate = make_translate(
        lambda: corpus, Translator(settings.model_copy(update={"llm": "local"}), model=model)
    )
    last = list(
        translate(_ref_event(cite_href(document.file, paragraph.number, lang="en", prefix=TRANSLATE_PREFIX)))
    )[-1]
    assert "Check this one: names of the original missing: To, Lam" in last


def test_translation_errors_are_shown_in_the_viewer(corpus: Corpus, settings: Settings) -> None:
    document = corpus.documents[0]
    ref = cite_href(document.file, 6, lang="en", prefix=TRANSLATE_PREFIX)
    extractive = make_translate(lambda: corpus, Translator(settings.model_copy(update={"llm": "extractive"})))
    last = list(extractive(_ref_event(ref)))[-1]
    assert "needs a language model" in last and "qa-translate" in last  # the article stays, with the link

    class Broken(GenericFakeChatModel):
        def _stream(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("model crashed")

    broken_model = Translator(settings.model_copy(update={"llm": "local"}), model=Broken(messages=iter([])))
    last = list(make_translate(lambda: corpus, broken_model)(_ref_event(ref)))[-1]
    assert "The language model failed" in last and "qa-translate" in last

    class Buggy(Translator):
        def stream(self, text: str, lang: str) -> Any:
            raise RuntimeError("boom")

    buggy = Buggy(settings.model_copy(update={"llm": "local"}))
    last = list(make_translate(lambda: corpus, buggy)(_ref_event(ref)))[-1]
    assert "went wrong on the server" in last and "boom" not in last
    translate = make_translate(lambda: corpus, Translator(settings.model_copy(update={"llm": "local"})))
    assert (
        "could not be read"
        in list(translate(_ref_event(cite_href(document.file, 6, prefix=TRANSLATE_PREFIX))))[-1]
    )
    assert "could not be read" in list(translate(_ref_event(cite_href(document.file, 6, lang="en"))))[-1]
    assert (
        "no paragraph 99"
        in list(translate(_ref_event(cite_href(document.file, 99, lang="en", prefix=TRANSLATE_PREFIX))))[-1]
    )


def test_app_config_is_safe_and_offline(settings: Settings, fake: FakeBackend) -> None:
    app = build_app(settings, stream_fn=fake.stream, answer_fn=fake.ask)
    assert app.analytics_enabled is False
    config = app.get_config_file()
    chatbots = [c for c in config["components"] if c["type"] == "chatbot"]
    assert len(chatbots) == 1
    props = chatbots[0]["props"]
    assert props["sanitize_html"] is True
    assert props["render_markdown"] is False  # messages are our escaped HTML, not model Markdown
    assert props["latex_delimiters"] == []
    api_names = {dep.get("api_name") for dep in config["dependencies"]}
    assert {"ask", "chat"} <= api_names
    chat = next(d for d in config["dependencies"] if d.get("api_name") == "chat")
    assert len(chat["targets"]) == 2  # Enter and Send: one event, so one answer at a time per session
    assert chat["trigger_mode"] == "once"
    public = [d["api_name"] for d in config["dependencies"] if d.get("api_visibility") == "public"]
    assert public == ["ask"]


def test_examples_cover_the_five_languages() -> None:
    assert {detect_language(q) for q in EXAMPLES} == {"en", "de", "fr", "sv", "nl"}


def test_launch_options_default_to_loopback_without_share_or_telemetry(settings: Settings) -> None:
    options = launch_options(settings)
    assert options["server_name"] == "127.0.0.1"
    assert options["server_port"] == 7860
    assert options["share"] is False
    assert options["auth"] is None
    assert options["enable_monitoring"] is False
    assert options["mcp_server"] is False
    assert launch_options(settings, server_port=9999)["server_port"] == 9999


def test_launch_options_follow_the_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QA_HOST", "0.0.0.0")
    monkeypatch.setenv("QA_PORT", "8123")
    monkeypatch.setenv("QA_AUTH", "alice:s3cret:with:colons")
    options = launch_options(Settings(sources_dir=SEEDS, index_dir=tmp_path))
    assert (options["server_name"], options["server_port"]) == ("0.0.0.0", 8123)
    assert options["auth"] == ("alice", "s3cret:with:colons")


@pytest.mark.parametrize("bad", ["alice", "alice:", ":secret"])
def test_malformed_auth_names_the_setting(bad: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="QA_AUTH"):
        launch_options(Settings(sources_dir=SEEDS, index_dir=tmp_path, auth=bad))  # type: ignore[arg-type]
