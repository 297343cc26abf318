"""A deterministic stand-in for the answer stage, for web tests whose point is the UI logic.

It answers from a real corpus: the paragraph sharing the most content words with the
question is cited, and the answer text is that paragraph's first sentence plus ``[1]``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qa.config import Settings
from qa.corpus import Corpus
from qa.errors import InputError
from qa.models import Answer, Citation, Passage
from qa.web_support import content_terms, sentence_spans

if TYPE_CHECKING:
    import gradio as gr

History = list[tuple[str, str]]


@dataclass
class FakeBackend:
    corpus: Corpus
    max_question_chars: int = 2000
    text_override: str | None = None  # answer text to use instead of the paragraph's sentence
    paragraph_override: str | None = None  # cited paragraph text to use instead of the real one
    fallback: str | None = None
    error: Exception | None = None
    delay: float = 0.0
    calls: list[tuple[str, History]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0  # most answers computed at the same time
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, question: str, history: History | None = None) -> Answer:
        with self._lock:
            self.calls.append((question, list(history or [])))
        if self.error is not None:
            raise self.error
        if not question.strip():
            raise InputError("The question is empty.")
        if len(question) > self.max_question_chars:
            raise InputError(
                f"The question is too long ({len(question)} characters; at most {self.max_question_chars})."
            )
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.delay)
        finally:
            with self._lock:
                self.in_flight -= 1
        wanted = content_terms(question)
        scored = sorted(
            ((len(content_terms(p.text) & wanted), p) for p in self.corpus.content_paragraphs()),
            key=lambda pair: -pair[0],
        )
        top = [p for _, p in scored[:3]]
        best = top[0]
        text = self.paragraph_override or best.text
        begin, end = sentence_spans(text)[0]
        answer_text = self.text_override if self.text_override is not None else f"{text[begin:end]} [1]"
        return Answer(
            question=question,
            text=answer_text,
            citations=[Citation(best.file, best.number, text)],
            found=True,
            lang="en",
            backend="fake",
            passages=[Passage(p.file, p.number, p.text, 1.0 / rank, p.lang) for rank, p in enumerate(top, 1)],
            timings={"retrieve": 0.01, "generate": 0.02, "total": 0.03},
            standalone_question=question,
            fallback=self.fallback,
        )

    def stream(self, question: str, history: History) -> Iterator[str | Answer]:
        final = self.answer(question, history)
        for word in final.text.split(" "):
            yield word + " "
        yield final

    def ask(self, question: str) -> Answer:
        return self.answer(question, None)


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(app: gr.Blocks, settings: Settings, **overrides: Any) -> Iterator[str]:
    """Serve ``app`` with the production launch options on a free loopback port; yields its URL."""
    from qa.web import launch_options

    port = free_port()
    options = launch_options(settings, server_port=port, prevent_thread_lock=True, quiet=True, **overrides)
    app.launch(**options)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()
