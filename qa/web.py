"""The Gradio web chat: :func:`build_app` makes the app, :func:`launch` serves it on loopback.

Each browser session keeps its own conversation in a ``gr.State`` (a list of :class:`Turn`);
nothing about a conversation lives in module globals, so concurrent users never see each
other's history. Answering goes through Gradio's queue with a bounded concurrency
(``QA_MAX_CONCURRENCY``), shared by the chat and the ``ask`` API endpoint.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from qa.config import Settings
from qa.errors import BackendError, ConfigError, QAError, SourceError
from qa.grounding import corpus_names
from qa.models import Answer, Citation
from qa.translation import Translation, Translator
from qa.web_render import (
    CITE_PREFIX,
    CSS,
    TRANSLATE_PREFIX,
    VIEWER_PLACEHOLDER,
    CiteRef,
    answer_markdown,
    parse_cite_ref,
    render_answer,
    render_article,
    render_details,
    render_error,
    render_partial,
    render_stopped,
    render_user,
    render_viewer_error,
)

if TYPE_CHECKING:
    import gradio as gr

    from qa.corpus import Corpus

log = logging.getLogger(__name__)

History = list[tuple[str, str]]
# (question, history) -> text chunks as generated, then the final Answer as the last item.
StreamFn = Callable[[str, History], Iterable["str | Answer"]]
# question -> Answer (the ``ask`` API endpoint; no history).
AnswerFn = Callable[[str], Answer]
CorpusFn = Callable[[], "Corpus"]

TITLE = "Hanoi Convention Q&A"
EXAMPLES = [
    "How many chapters and articles does the Hanoi Convention have?",
    "Wer leitete die Unterzeichnungszeremonie der Hanoi-Konvention?",
    "Quel est le thème de la cérémonie de signature de la Convention de Hanoï ?",
    "Vad övervägde UNODC att inrätta i Hanoi?",
    "Wanneer nam de Algemene Vergadering van de VN het verdrag tegen cybercriminaliteit aan?",
]
EMPTY_QUESTION = "Please type a question first."
NOT_TEXT = "The question must be text."
INTERNAL_ERROR = "Something went wrong on the server while answering (it has been logged). Please try again."
ANSWER_CONCURRENCY_ID = "answer"
DETAILS_PLACEHOLDER = "<p>Ask a question to see what was retrieved.</p>"

# Runs in the browser when the article viewer mounts. One capture-phase listener on the
# document catches clicks on citation links anywhere (chat messages, passages panel) and
# sends their fragment to Python; after the viewer re-renders, the highlighted paragraph
# is scrolled into view.
VIEWER_JS = """
if (window.__qaCiteClick) document.removeEventListener('click', window.__qaCiteClick, true);
window.__qaCiteClick = (ev) => {
  const link = ev.target instanceof Element ? ev.target.closest('a.qa-cite, a.qa-translate') : null;
  if (!link) return;
  const ref = link.getAttribute('href') || '';
  const event = ref.startsWith('#qa-cite/') ? 'cite' : ref.startsWith('#qa-translate/') ? 'translate' : null;
  if (!event) return;
  ev.preventDefault();
  ev.stopPropagation();
  trigger(event, {ref: ref});
};
document.addEventListener('click', window.__qaCiteClick, true);
watch('value', () => {
  const target = element.querySelector('.qa-hl');
  if (!target) return;
  // Centred when it fits below the sticky file header; otherwise from its first line (centring
  // a paragraph taller than the viewer hides its start), just below that header.
  const box = target.closest('.qa-article');
  const head = box ? box.querySelector('.qa-article-head') : null;
  const headHeight = head ? head.offsetHeight : 0;
  target.style.scrollMarginTop = `${headHeight + 8}px`;
  const fits = !box || target.offsetHeight + headHeight + 16 <= box.clientHeight;
  target.scrollIntoView({block: fits ? 'center' : 'start'});
  // A translation below the paragraph: keep it in view while it is written.
  const translation = element.querySelector('.qa-translation-text, .qa-translation.qa-streaming');
  if (translation) translation.scrollIntoView({block: 'nearest'});
});
"""

# The nearest element around ``el`` that scrolls (null: none does), as a JavaScript function.
SCROLL_BOX_JS = """(el) => {
  let box = el.parentElement;
  while (box && !(box.scrollHeight > box.clientHeight + 1 && /(auto|scroll)/.test(getComputedStyle(box).overflowY)))
    box = box.parentElement;
  return box;
}"""

# Runs in the browser once the page has loaded: the chat's scrolling. While a reply is being
# written the chat follows it to its end; a finished reply is shown from its first line when it
# is taller than the chat (a long answer with its Sources, most often on a phone: following it
# to its end had left the reader looking at the last lines of a cited paragraph, not at the
# answer). Gradio's own autoscroll (always to the end) is off. A MutationObserver sees each
# change to the messages, so this runs after the chat has drawn them, whatever their timing.
CHAT_SCROLL_JS = """() => {
  const scrollBox = SCROLL_BOX;
  const follow = (chat) => {
    const replies = chat.querySelectorAll('.qa-question, .qa-answer, .qa-error, .qa-stopped');
    const last = replies[replies.length - 1];
    if (!last) return;
    const box = scrollBox(last);
    if (!box) return;
    box.scrollTop = box.scrollHeight;
    if (!last.classList.contains('qa-answer') || last.classList.contains('qa-streaming')) return;
    // A finished answer whose first line is above the chat's top: back to that line.
    const above = box.getBoundingClientRect().top - last.getBoundingClientRect().top;
    if (above > -4) box.scrollTop -= above + 8;
  };
  const attach = (tries) => {
    const chat = document.querySelector('#qa-chat');
    if (!chat) { if (tries > 0) setTimeout(() => attach(tries - 1), 100); return; }
    new MutationObserver(() => follow(chat)).observe(chat, {childList: true, subtree: true, characterData: true});
  };
  attach(100);
}""".replace("SCROLL_BOX", SCROLL_BOX_JS)

# Lock and unlock the question box and Send button in the browser (see the clear buttons).
_QUESTION_CONTROLS = "document.querySelectorAll('#qa-question textarea, #qa-send')"
LOCK_QUESTION_JS = f"() => {{ {_QUESTION_CONTROLS}.forEach((el) => {{ el.disabled = true; }}); }}"
UNLOCK_QUESTION_JS = f"() => {{ {_QUESTION_CONTROLS}.forEach((el) => {{ el.disabled = false; }}); }}"


@dataclass(frozen=True)
class Turn:
    """One exchange of a conversation: the question and either an answer or an error message."""

    question: str
    html: str
    answer: Answer | None = None


# Lone surrogates: JSON can carry them ("\ud800") and a model can write them, but they cannot be
# encoded as UTF-8, so a reply holding one could not be sent and the request died.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def sendable(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD, so it can be sent to the browser."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def sendable_answer(answer: Answer) -> Answer:
    """``answer`` with every text it will show made :func:`sendable`."""

    def optional(text: str | None) -> str | None:
        return None if text is None else sendable(text)

    return replace(
        answer,
        question=sendable(answer.question),
        text=sendable(answer.text),
        citations=[Citation(sendable(c.file), c.paragraph, sendable(c.text)) for c in answer.citations],
        passages=[replace(p, file=sendable(p.file), text=sendable(p.text)) for p in answer.passages],
        standalone_question=optional(answer.standalone_question),
        fallback_reason=optional(answer.fallback_reason),
        abstention_reason=optional(answer.abstention_reason),
    )


def history_of(turns: list[Turn]) -> History:
    """The conversation so far as (question, answer text) pairs for the answer stage; failed turns left out."""
    return [(turn.question, turn.answer.text) for turn in turns if turn.answer is not None]


def chat_messages(turns: list[Turn]) -> list[dict[str, str]]:
    """The Chatbot value for ``turns``: already-escaped HTML, one user and one assistant message each."""
    messages = []
    for turn in turns:
        messages.append({"role": "user", "content": render_user(turn.question)})
        messages.append({"role": "assistant", "content": turn.html})
    return messages


def auth_credentials(settings: Settings) -> tuple[str, str] | None:
    """``QA_AUTH=user:password`` as a ``(user, password)`` pair; ``None`` when unset."""
    if settings.auth is None:
        return None
    raw = settings.auth.get_secret_value()
    user, sep, password = raw.partition(":")
    if not sep or not user.strip() or not password:
        raise ConfigError("QA_AUTH must look like user:password (both parts non-empty)")
    return user.strip(), password


def _default_stream_fn(settings: Settings) -> StreamFn:
    def stream(question: str, history: History) -> Iterable[str | Answer]:
        from qa.answering import stream_answer

        return stream_answer(question, history, settings=settings)

    return stream


def _default_answer_fn(settings: Settings) -> AnswerFn:
    def answer(question: str) -> Answer:
        from qa.answering import answer as answer_question

        return answer_question(question, settings=settings)

    return answer


def _default_corpus_fn(settings: Settings) -> CorpusFn:
    def corpus() -> Corpus:
        from qa.retrieve import get_retriever

        # The retriever's corpus is the one the index (and so the citations) came from.
        return get_retriever(settings).corpus

    return corpus


class StopRequests:
    """The Stop button's requests, one flag per browser session that is answering now.

    The chat handler checks its session's flag between the chunks it streams; the answer's
    stream is then closed, which stops the model (llama.cpp, or the HTTP stream of a server).
    """

    def __init__(self) -> None:
        self._flags: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    @contextmanager
    def answering(self, session: str | None) -> Iterator[threading.Event]:
        """The flag of ``session`` for one answer (a private one when the session is unknown)."""
        flag = threading.Event()
        if session is not None:
            with self._lock:
                self._flags[session] = flag
        try:
            yield flag
        finally:
            if session is not None:
                with self._lock:
                    if self._flags.get(session) is flag:
                        del self._flags[session]

    def stop(self, session: str | None) -> bool:
        """Ask the answer running in ``session`` to stop; False when none is running."""
        with self._lock:
            flag = self._flags.get(session) if session is not None else None
        if flag is None:
            return False
        flag.set()
        return True


def make_respond(
    stream_fn: StreamFn, stops: StopRequests | None = None
) -> Callable[..., Iterator[tuple[Any, ...]]]:
    """The chat handler: streams the answer into the chat, then stores the turn in the session state.

    Yields ``(textbox, chatbot, turns, details)``; ``None`` for "leave unchanged" is
    expressed with ``gr.skip()``. With ``stops``, the session's Stop button ends the answer:
    the turn is kept as "stopped" (not part of the history) and the question goes back in the box.
    """
    import gradio as gr

    stops = stops or StopRequests()

    def respond(
        question: str | None, turns: list[Turn] | None, request: gr.Request | None = None
    ) -> Iterator[tuple[Any, ...]]:
        question = sendable(question) if isinstance(question, str) else ""  # API clients send anything
        turns = list(turns or [])
        if not question.strip():
            turns.append(Turn(question, render_error(EMPTY_QUESTION)))
            yield "", chat_messages(turns), turns, gr.skip()
            return
        shown = [*chat_messages(turns), {"role": "user", "content": render_user(question)}]
        yield "", [*shown, {"role": "assistant", "content": render_partial("")}], gr.skip(), gr.skip()
        with stops.answering(getattr(request, "session_hash", None)) as stop:
            yield from _stream_turn(
                question, turns, shown, lambda: stream_fn(question, history_of(turns)), stop
            )

    # Gradio injects the request by the parameter's type hint; with postponed annotations the
    # hint is a string naming a local import, so give it the real class.
    respond.__annotations__["request"] = gr.Request | None
    return respond


def _stream_turn(
    question: str,
    turns: list[Turn],
    shown: list[dict[str, str]],
    start: Callable[[], Iterable[str | Answer]],
    stop: threading.Event,
) -> Iterator[tuple[Any, ...]]:
    """Stream one answer (``start()``'s items) into the chat, see :func:`make_respond`.

    The stream is closed however it ends, so a stopped or failed answer stops the model too.
    """
    import gradio as gr

    text = ""
    final: Answer | None = None
    items: Iterator[str | Answer] | None = None
    try:
        try:
            items = iter(start())
            for item in items:
                if isinstance(item, Answer):
                    final = sendable_answer(item)
                    continue
                if stop.is_set():
                    log.info("Answer stopped by the user")
                    turns.append(Turn(question, render_stopped()))
                    yield question, chat_messages(turns), turns, gr.skip()
                    return
                text += sendable(item)
                yield (
                    gr.skip(),
                    [*shown, {"role": "assistant", "content": render_partial(text)}],
                    gr.skip(),
                    gr.skip(),
                )
            if final is None:
                raise BackendError("The answer stream ended without an answer.")
        except QAError as exc:
            log.info("Question failed: %s", exc)
            turns.append(Turn(question, render_error(sendable(str(exc)))))
            # Give the question back, so it can be edited and sent again.
            yield question, chat_messages(turns), turns, gr.skip()
            return
        except Exception:
            # The web edge: an unexpected failure becomes a message, the app keeps serving.
            log.exception("Unexpected error while answering a question")
            turns.append(Turn(question, render_error(INTERNAL_ERROR)))
            yield question, chat_messages(turns), turns, gr.skip()
            return
        turns.append(Turn(question, render_answer(final), final))
        yield gr.skip(), chat_messages(turns), turns, render_details(final)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


def make_ask(answer_fn: AnswerFn) -> Callable[[str], str]:
    """The ``ask`` API endpoint: question in, Markdown answer with ``[file ¶n]`` citations out."""
    import gradio as gr

    def ask(question: str) -> str:
        """Answer a question about the articles; returns Markdown with [file ¶n] citations."""
        if question is not None and not isinstance(question, str):  # API clients can send anything
            raise gr.Error(NOT_TEXT)
        if not (question or "").strip():
            raise gr.Error(EMPTY_QUESTION)
        try:
            return answer_markdown(sendable_answer(answer_fn(question)))
        except QAError as exc:
            raise gr.Error(sendable(str(exc))) from exc

    # gr.api documents the endpoint from real types (postponed annotations are strings).
    ask.__annotations__.update({"question": str, "return": str})
    return ask


def make_open_citation(corpus_fn: CorpusFn, can_translate: bool = False) -> Callable[..., str]:
    """The article viewer's handler: citation link in, whole article with the paragraph highlighted
    out (with, when ``can_translate``, a link asking for a translation into the question's language)."""
    import gradio as gr

    def open_citation(evt: gr.EventData) -> str:
        ref = _event_ref(evt)
        if ref is None:
            return render_viewer_error("That citation link could not be read.")
        try:
            document = corpus_fn().document(ref.file)
            document.paragraph(ref.paragraph)
        except SourceError as exc:
            return render_viewer_error(str(exc))
        return render_article(
            document, ref.paragraph, ref.spans, translate_to=ref.lang if can_translate else None
        )

    # Gradio injects EventData by the parameter's type hint; with postponed annotations
    # the hint is a string naming a local import, so give it the real class.
    open_citation.__annotations__["evt"] = gr.EventData
    return open_citation


def make_translate(corpus_fn: CorpusFn, translator: Translator) -> Callable[..., Iterator[str]]:
    """The viewer's "Translate" link: the article again, with the paragraph's machine translation
    below it as it is written, then labelled, with any problem its checks found."""
    import gradio as gr

    def translate(evt: gr.EventData) -> Iterator[str]:
        ref = _event_ref(evt, TRANSLATE_PREFIX)
        if ref is None or ref.lang is None:
            yield render_viewer_error("That translation link could not be read.")
            return
        try:
            corpus = corpus_fn()
            document = corpus.document(ref.file)
            paragraph = document.paragraph(ref.paragraph)
        except SourceError as exc:
            yield render_viewer_error(str(exc))
            return

        def page(translation: str | Translation | None = None, error: str | None = None) -> str:
            return render_article(
                document,
                ref.paragraph,
                translate_to=ref.lang,
                translation=translation,
                translation_error=error,
            )

        yield page("")
        try:
            for item in translator.stream(paragraph.text, ref.lang, paragraph.lang, corpus_names(corpus)):
                yield page(
                    sendable(item) if isinstance(item, str) else replace(item, text=sendable(item.text))
                )
        except QAError as exc:
            yield page(error=sendable(str(exc)))
        except Exception:
            log.exception("translating %s ¶%d into %s failed", ref.file, ref.paragraph, ref.lang)
            yield page(error="Something went wrong on the server while translating (it has been logged).")

    translate.__annotations__["evt"] = gr.EventData  # see make_open_citation
    return translate


def _event_ref(evt: Any, prefix: str = CITE_PREFIX) -> CiteRef | None:
    """The link a viewer event carries (see VIEWER_JS), parsed; ``None`` if missing or malformed."""
    data = getattr(evt, "_data", None) or {}
    if not isinstance(data, dict):
        return None
    return parse_cite_ref(str(data.get("ref", "")), prefix)


def build_app(
    settings: Settings,
    *,
    stream_fn: StreamFn | None = None,
    answer_fn: AnswerFn | None = None,
    corpus_fn: CorpusFn | None = None,
    translator: Translator | None = None,
) -> gr.Blocks:
    """The chat app. The answer functions default to :mod:`qa.answering` with ``settings``, the
    translator to the configured chat model; tests inject fakes. Nothing is loaded until the
    first question, citation click or translation."""
    # Off before Gradio is imported, for the helpers that read the variable rather than the
    # Blocks flag (the flag below covers the app itself).
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    stream_fn = stream_fn or _default_stream_fn(settings)
    answer_fn = answer_fn or _default_answer_fn(settings)
    corpus_fn = corpus_fn or _default_corpus_fn(settings)
    translator = translator or Translator(settings)
    limit = settings.max_concurrency
    stops = StopRequests()

    def stop_answer(request: gr.Request) -> None:
        stops.stop(request.session_hash)

    stop_answer.__annotations__["request"] = gr.Request  # see make_respond

    with gr.Blocks(title=TITLE, analytics_enabled=False) as demo:
        turns = gr.State([])
        gr.Markdown(
            f"## {TITLE}\n"
            "Ask about the UN Convention against Cybercrime in English, Deutsch, Français, Svenska or "
            "Nederlands. Every answer cites the article paragraphs it rests on: click a citation to "
            "read it in context."
        )
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    label="Chat",
                    show_label=False,  # the badge covered the first message on a narrow screen
                    elem_id="qa-chat",
                    height=560,
                    render_markdown=False,
                    sanitize_html=True,
                    allow_tags=False,
                    latex_delimiters=[],
                    buttons=[],
                    feedback_options=None,
                    group_consecutive_messages=False,
                    autoscroll=False,  # CHAT_SCROLL_JS scrolls instead
                )
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="Ask a question about the articles…",
                        show_label=False,
                        lines=1,
                        max_lines=6,
                        scale=5,
                        elem_id="qa-question",
                    )
                    send = gr.Button("Send", variant="primary", scale=0, min_width=100, elem_id="qa-send")
                    stop = gr.Button("Stop", variant="stop", scale=0, min_width=100, elem_id="qa-stop")
                clear = gr.Button("Clear conversation", size="sm", elem_id="qa-clear")
                gr.Examples(EXAMPLES, inputs=[question], label="Example questions", api_visibility="private")
                with gr.Accordion(
                    "Retrieved passages, backend and timings", open=False, elem_id="qa-details"
                ):
                    details = gr.HTML(DETAILS_PLACEHOLDER)
            with gr.Column(scale=2):
                viewer = gr.HTML(
                    VIEWER_PLACEHOLDER, js_on_load=VIEWER_JS, elem_id="qa-viewer", label="Article"
                )

        # Enter and Send are one event, so a session never runs two answers at once (trigger
        # mode "once") and its history cannot be overwritten by a race. It is callable by
        # clients (undocumented) so tests can drive whole conversations over HTTP; scripts
        # should use the documented ``ask`` endpoint.
        gr.on(
            triggers=[question.submit, send.click],
            fn=make_respond(stream_fn, stops),
            inputs=[question, turns],
            outputs=[question, chatbot, turns, details],
            api_name="chat",
            api_visibility="undocumented",
            concurrency_id=ANSWER_CONCURRENCY_ID,
            concurrency_limit=limit,
            show_progress="minimal",
            trigger_mode="once",
        )

        # Outside the queue, so it is heard while this session's answer is being generated.
        stop.click(stop_answer, None, None, queue=False, api_visibility="private")

        def reset() -> tuple[str, list[Any], list[Turn], str, str]:
            return "", [], [], DETAILS_PLACEHOLDER, VIEWER_PLACEHOLDER

        # Custom event named in VIEWER_JS. It uses the model, so it queues with the answers.
        translating = viewer.translate(
            make_translate(corpus_fn, translator),
            None,
            viewer,
            concurrency_id=ANSWER_CONCURRENCY_ID,
            concurrency_limit=limit,
            api_visibility="private",
            show_progress="hidden",
        )
        reset_outputs = [question, chatbot, turns, details, viewer]
        # The Chatbot's own trash icon must forget the history too, not just the display. Both
        # forget it only when the server's reset returns (the trash icon empties the display
        # before that); a question sent in between would carry the old history, so the question
        # box and Send are locked in the browser until then (unlocked even when the reset fails).
        for trigger in (clear.click, chatbot.clear):
            trigger(None, None, None, js=LOCK_QUESTION_JS, queue=False, api_visibility="private")
            trigger(
                reset, None, reset_outputs, queue=False, api_visibility="private", cancels=[translating]
            ).then(None, None, None, js=UNLOCK_QUESTION_JS, queue=False, api_visibility="private")
        viewer.cite(  # custom event named in VIEWER_JS
            make_open_citation(corpus_fn, can_translate=translator.available),
            None,
            viewer,
            concurrency_limit=None,
            api_visibility="private",
            show_progress="hidden",
            # Another citation opened while a translation is written: the translation stops (and
            # with it the model), so it cannot write the old article back over the new one.
            cancels=[translating],
        )
        gr.api(
            make_ask(answer_fn),
            api_name="ask",
            concurrency_id=ANSWER_CONCURRENCY_ID,
            concurrency_limit=limit,
        )
    demo.queue(default_concurrency_limit=limit, max_size=None)
    return demo


def launch_options(settings: Settings, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``Blocks.launch``: loopback by default, no share link, no phone-home."""
    options: dict[str, Any] = {
        "server_name": settings.host,
        "server_port": settings.port,
        "share": False,
        "auth": auth_credentials(settings),
        "footer_links": ["api"],
        "enable_monitoring": False,
        "mcp_server": False,
        "ssr_mode": False,
        "pwa": False,
        "css": CSS,
        "js": CHAT_SCROLL_JS,
        "theme": _offline_theme(),
    }
    options.update(overrides)
    return options


def _offline_theme() -> gr.themes.Base:
    """Gradio's default theme with system fonts, so the page loads no web fonts from the internet."""
    import gradio as gr

    sans = ["ui-sans-serif", "system-ui", "sans-serif"]
    mono = ["ui-monospace", "Consolas", "monospace"]
    return gr.themes.Default(font=sans, font_mono=mono)


def launch(settings: Settings, **overrides: Any) -> None:
    """Serve the chat (blocking) on ``QA_HOST:QA_PORT``."""
    app = build_app(settings)
    options = launch_options(settings, **overrides)
    log.info("Serving the chat on http://%s:%s", options["server_name"], options["server_port"])
    app.launch(**options)
