"""The ``openai`` backend for real: the official openai client over HTTP on loopback.

The happy path and the auth error run against a real OpenAI-compatible server (llama.cpp's,
through xllamacpp, serving the bundled model). Timeouts, rate limits and an unreachable
server are produced by tiny misbehaving servers started here.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import SecretStr

from qa.answering import answer, stream_answer
from qa.config import Settings
from qa.corpus import load_corpus
from qa.errors import BackendError
from qa.llm import TransientBackendError
from qa.models import Answer
from tests.conftest import SEEDS
from tests.test_answer import CHAPTERS, CHAPTERS_FR, FakeRetriever

API_KEY = "test-key-123"


@pytest.fixture
def retriever() -> FakeRetriever:
    corpus = load_corpus(SEEDS)
    return FakeRetriever(corpus, [CHAPTERS, ("001_5da9f8a340a8f379.txt", 4), CHAPTERS_FR])


def openai_settings(settings: Settings, base_url: str, **update: Any) -> Settings:
    values: dict[str, Any] = {
        "llm": "openai",
        "openai_base_url": base_url,
        "openai_api_key": SecretStr(API_KEY),
        "model": "local-gguf",
        "llm_timeout": 120.0,
        "llm_max_retries": 0,
        "llm_fallback": "none",
    }
    values.update(update)
    return settings.model_copy(update=values)


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real llama.cpp OpenAI-compatible server on 127.0.0.1 serving the bundled model."""
    from qa.config import Settings
    from qa.local_llm import start_server
    from qa.local_model import model_path

    cache = tmp_path_factory.mktemp("model-cache")
    path = model_path(Settings(model_cache_dir=cache))
    server = start_server(path, n_ctx=4096, threads=2, port=0, api_key=API_KEY)
    yield server.listening_address + "/v1"
    del server


@pytest.mark.slow
def test_answer_streams_over_http_from_a_real_server(
    llama_server: str, settings: Settings, retriever: FakeRetriever
) -> None:
    s = openai_settings(settings, llama_server, llm_timeout=600.0, answer_passages=2)
    items = list(
        stream_answer("How many chapters does the Hanoi Convention have?", settings=s, retriever=retriever)
    )
    *chunks, final = items
    assert isinstance(final, Answer)
    assert final.backend == "openai" and final.fallback is None
    assert chunks and all(isinstance(c, str) for c in chunks)
    assert final.found, final.text
    assert "9" in final.text
    assert {(c.file, c.paragraph) for c in final.citations} <= {CHAPTERS, CHAPTERS_FR}
    assert final.citations


@pytest.mark.slow
def test_a_cited_paragraph_is_translated_over_http(llama_server: str, settings: Settings) -> None:
    """The web chat's "Translate ¶n" through ChatOpenAI: streamed, with a paragraph-sized token limit."""
    from qa.lang import answer_language
    from qa.translation import Translation, Translator

    s = openai_settings(settings, llama_server, llm_timeout=600.0)
    paragraph = load_corpus(SEEDS).paragraph(*CHAPTERS)  # German, 9 chapters and 71 articles
    *partial, final = list(Translator(s).stream(paragraph.text, "en"))
    assert isinstance(final, Translation) and final.backend == "openai"
    assert len(partial) > 3, "not streamed"
    assert answer_language(final.text, [paragraph.text]) == "en", final.text
    assert "9" in final.text and "71" in final.text, final.text
    # Whole: not cut at a token limit (the answer stage's 256 tokens are too few for some paragraphs).
    assert final.text.rstrip().endswith((".", "!", "?", '"', "»")), final.text
    assert not any(p.startswith(("cut off", "much shorter")) for p in final.problems), final.problems


@pytest.mark.slow
def test_rerank_reads_token_probabilities_over_http(llama_server: str, settings: Settings) -> None:
    """QA_RERANK=llm through ChatOpenAI: the server's logprobs reach the judgement."""
    from qa.llm import get_chat_model
    from qa.rerank import rerank

    s = openai_settings(settings, llama_server, llm_timeout=600.0)
    corpus = load_corpus(SEEDS)
    reception = ("001_5da9f8a340a8f379.txt", 4)
    refs = [reception, CHAPTERS]
    ranked = FakeRetriever(corpus, refs).search("How many chapters does the Hanoi Convention have?")
    out = rerank(
        "How many chapters does the Hanoi Convention have?",
        ranked,
        get_chat_model(s),
        s,
        full_text=lambda p: corpus.paragraph(p.file, p.paragraph).text,
    )
    judged = {(p.file, p.paragraph): p.relevance for p in out}
    assert set(judged) == set(refs)
    assert all(r is not None and 0.0 <= r <= 1.0 for r in judged.values())
    # The paragraph that states "9 Kapiteln" is judged more relevant than the reception one.
    assert judged[CHAPTERS] > judged[reception] + 0.2, judged


@pytest.mark.slow
def test_wrong_api_key_is_a_clear_error_not_a_fallback(
    llama_server: str, settings: Settings, retriever: FakeRetriever
) -> None:
    s = openai_settings(
        settings, llama_server, openai_api_key=SecretStr("wrong-key"), llm_fallback="extractive"
    )
    with pytest.raises(BackendError, match="rejected the API key") as info:
        answer("How many chapters?", settings=s, retriever=retriever)
    assert not isinstance(info.value, TransientBackendError)


# --- misbehaving servers (no model needed) -------------------------------------------------------


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and reads requests but never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(conn)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    listener.close()


class _Stub(BaseHTTPRequestHandler):
    """A tiny HTTP handler: one way to send a reply, and no logging."""

    def _send(self, status: int, kind: str, payload: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


class _RateLimited(_Stub):
    hits = 0

    def do_POST(self) -> None:
        type(self).hits += 1
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = b'{"error": {"message": "Rate limit reached", "type": "rate_limit_error"}}'
        self._send(429, "application/json", body, {"retry-after-ms": "10"})


@contextlib.contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 (a free port) running ``handler``; yields its /v1 base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def rate_limited_server() -> Iterator[tuple[str, type[_RateLimited]]]:
    handler = type("Handler", (_RateLimited,), {"hits": 0})
    with _serving(handler) as url:
        yield url, handler


class _NoSchema(_Stub):
    """An OpenAI-compatible chat endpoint that rejects JSON-schema output, as some servers and
    models do, and otherwise streams one fixed JSON reply; it records what each request asked."""

    requests: ClassVar[list[dict[str, Any]]] = []
    REPLY = '{"answer": "The Hanoi Convention consists of 9 chapters and 71 articles.", "sources": [1], "found": true}'

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
        type(self).requests.append(body)
        if "response_format" in body:
            self._send(
                400,
                "application/json",
                json.dumps(
                    {
                        "error": {
                            "message": "Invalid parameter: 'response_format' of type 'json_schema' is not "
                            "supported with this model.",
                            "type": "invalid_request_error",
                            "param": "response_format",
                            "code": None,
                        }
                    }
                ).encode(),
            )
            return
        chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": body["model"]}
        events = [
            {**chunk, "choices": [{"index": 0, "delta": {"role": "assistant", "content": part}}]}
            for part in (self.REPLY[:30], self.REPLY[30:])
        ]
        events.append({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        stream = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
        self._send(200, "text/event-stream", stream.encode())


@pytest.fixture
def no_schema_server() -> Iterator[tuple[str, type[_NoSchema]]]:
    handler = type("Handler", (_NoSchema,), {"requests": []})
    with _serving(handler) as url:
        yield url, handler


def test_a_server_without_json_schema_output_is_asked_without_it(
    no_schema_server: tuple[str, type[_NoSchema]], settings: Settings, retriever: FakeRetriever
) -> None:
    url, handler = no_schema_server
    s = openai_settings(settings, url, check_counts="off")
    question = "What does the Hanoi Convention consist of?"
    first = answer(question, settings=s, retriever=retriever)
    assert first.found and first.fallback is None, (first.text, first.fallback_reason)
    assert "9 chapters and 71 articles" in first.text
    assert [(c.file, c.paragraph) for c in first.citations] == [CHAPTERS]
    assert ["response_format" in r for r in handler.requests] == [True, False]
    # Remembered for this server and model: the next answer does not pay for a rejected request.
    second = answer(question, settings=s, retriever=retriever)
    assert second.found and second.text == first.text
    assert ["response_format" in r for r in handler.requests] == [True, False, False]


def test_other_bad_requests_are_not_retried_without_the_schema(
    settings: Settings, retriever: FakeRetriever
) -> None:
    """A 400 that does not name the schema (here: the context is too long) stays a clear error."""

    class Handler(_NoSchema):
        requests: ClassVar[list[dict[str, Any]]] = []

        def do_POST(self) -> None:
            type(self).requests.append(
                json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
            )
            error = {
                "error": {
                    "message": "This model's maximum context length is 8 tokens.",
                    "type": "invalid_request_error",
                }
            }
            self._send(400, "application/json", json.dumps(error).encode())

    with _serving(Handler) as url:
        s = openai_settings(settings, url, llm_fallback="extractive")
        with pytest.raises(BackendError, match=r"rejected the request \(HTTP 400\): .*context length"):
            answer("What does the Hanoi Convention consist of?", settings=s, retriever=retriever)
    assert len(Handler.requests) == 1


def test_timeout_is_bounded_and_clear(
    silent_server: str, settings: Settings, retriever: FakeRetriever
) -> None:
    s = openai_settings(settings, silent_server, llm_timeout=1.0, llm_max_retries=1)
    started = time.monotonic()
    with pytest.raises(TransientBackendError, match="did not answer in time"):
        answer("How many chapters?", settings=s, retriever=retriever)
    assert time.monotonic() - started < 60  # bounded retries, not a hang


def test_timeout_falls_back_to_a_labelled_extractive_answer(
    silent_server: str, settings: Settings, retriever: FakeRetriever
) -> None:
    s = openai_settings(
        settings, silent_server, llm_timeout=1.0, llm_max_retries=0, llm_fallback="extractive"
    )
    result = answer("How many chapters does the Hanoi Convention have?", settings=s, retriever=retriever)
    assert result.fallback == "extractive"
    assert result.fallback_reason is not None and "did not answer in time" in result.fallback_reason
    assert result.citations


def test_rate_limit_is_retried_a_bounded_number_of_times(
    rate_limited_server: tuple[str, type[_RateLimited]], settings: Settings, retriever: FakeRetriever
) -> None:
    url, handler = rate_limited_server
    s = openai_settings(settings, url, llm_max_retries=2)
    with pytest.raises(TransientBackendError, match="rate-limiting"):
        answer("How many chapters?", settings=s, retriever=retriever)
    assert handler.hits == 3  # the first try and two retries


def test_unreachable_server_is_a_clear_error(
    settings: Settings, retriever: FakeRetriever, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    s = openai_settings(settings, f"http://127.0.0.1:{port}/v1")
    with pytest.raises(TransientBackendError, match="Cannot reach"):
        answer("How many chapters?", settings=s, retriever=retriever)
