"""The backend factory and error translation (no network, no model)."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from pydantic import SecretStr

from qa.config import Settings
from qa.errors import BackendError, ConfigError
from qa.llm import TransientBackendError, get_chat_model, redact, structured_kwargs, translate_error


def test_openai_backend_needs_a_key_or_a_base_url(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        get_chat_model(settings.model_copy(update={"llm": "openai"}))


def test_openai_backend_with_base_url_only_uses_a_placeholder_key(settings: Settings) -> None:
    s = settings.model_copy(
        update={"llm": "openai", "openai_base_url": "http://127.0.0.1:9/v1", "model": "m"}
    )
    model = get_chat_model(s)
    assert model.model_name == "m"  # type: ignore[attr-defined]
    assert model.openai_api_base == "http://127.0.0.1:9/v1"  # type: ignore[attr-defined]


def test_openai_backend_passes_timeout_and_retries(settings: Settings) -> None:
    s = settings.model_copy(
        update={
            "llm": "openai",
            "openai_api_key": SecretStr("sk-x"),
            "llm_timeout": 7.0,
            "llm_max_retries": 4,
        }
    )
    model = get_chat_model(s)
    assert model.request_timeout == 7.0  # type: ignore[attr-defined]
    assert model.max_retries == 4  # type: ignore[attr-defined]


def test_extractive_has_no_chat_model(settings: Settings) -> None:
    with pytest.raises(ConfigError):
        get_chat_model(settings, "extractive")


def test_structured_output_is_sent_as_extra_body() -> None:
    kwargs = structured_kwargs({"type": "object"})
    fmt = kwargs["extra_body"]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"] == {"type": "object"}
    assert structured_kwargs(None) == {}


def _status_error(
    cls: type[openai.APIStatusError], status: int, message: str = "boom"
) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    return cls(message, response=httpx.Response(status, request=request), body=None)


@pytest.mark.parametrize(
    ("exc", "transient", "words"),
    [
        (_status_error(openai.AuthenticationError, 401), False, "rejected the API key"),
        (_status_error(openai.NotFoundError, 404), False, "QA_MODEL"),
        (_status_error(openai.RateLimitError, 429), True, "rate-limiting"),
        (_status_error(openai.InternalServerError, 500), True, "HTTP 500"),
        (openai.APITimeoutError(httpx.Request("POST", "http://x")), True, "did not answer in time"),
        (openai.APIConnectionError(request=httpx.Request("POST", "http://x")), True, "Cannot reach"),
        (RuntimeError("llama.cpp exploded"), True, "llama.cpp exploded"),
    ],
)
def test_errors_are_translated_with_actionable_messages(
    exc: BaseException, transient: bool, words: str
) -> None:
    error = translate_error(exc, base_url="http://127.0.0.1:8080/v1")
    assert isinstance(error, BackendError)
    assert isinstance(error, TransientBackendError) is transient
    assert words in str(error)


def test_secrets_echoed_by_a_server_are_masked_in_the_error() -> None:
    key = "my-very-secret-key-123456"
    body = f"proxy error: header Authorization: Bearer {key} api_key={key} token sk-proj-abcdef123456"
    error = translate_error(
        _status_error(openai.InternalServerError, 500, body),
        base_url="http://alice:hunter2@127.0.0.1:8080/v1",
        secrets=(key,),
    )
    text = str(error)
    assert isinstance(error, TransientBackendError) and "HTTP 500" in text
    for secret in (key, "sk-proj-abcdef123456", "hunter2"):
        assert secret not in text
    assert "***" in text and "127.0.0.1:8080" in text  # still says where


def test_redact_masks_known_shapes_and_leaves_ordinary_text() -> None:
    assert redact("Bearer abcdefghijk and sk-1234567890") == "Bearer *** and sk-***"
    assert redact("http://u:p4ss@host/v1") == "http://***@host/v1"
    assert redact("The Hanoi Convention has 9 chapters.") == "The Hanoi Convention has 9 chapters."
    assert redact("value xyz-secret here", ["xyz-secret"]) == "value *** here"


class _FakeEngine:
    """Stands in for xllamacpp.Server: calls back with OpenAI-style stream chunks, as llama.cpp does."""

    def __init__(self, chunks: list[dict[str, object]], pause: float = 0.0) -> None:
        self.chunks = chunks
        self.pause = pause
        self.stopped_after: int | None = None
        self.requests: list[dict[str, object]] = []

    def handle_chat_completions(self, request: dict[str, object], callback: Callable[[object], bool]) -> None:
        self.requests.append(request)
        if request.get("max_tokens") == 0:
            return  # a prefix request: llama.cpp reads the prompt and generates nothing
        for sent, chunk in enumerate(self.chunks, start=1):
            if callback(chunk):
                self.stopped_after = sent
                return
            time.sleep(self.pause)


def _chunk(content: str | None, token: str, logprob: float) -> dict[str, object]:
    return {
        "choices": [
            {"delta": {"content": content}, "logprobs": {"content": [{"token": token, "logprob": logprob}]}}
        ]
    }


def test_local_stream_yields_text_and_collects_token_logprobs_when_asked() -> None:
    from qa.local_llm import _stream_engine

    chunks = [_chunk(None, "```", -0.5), _chunk("{", "{", -0.01), _chunk('"a"', '"a"', -1.25)]
    sink: list[dict[str, object]] = []
    assert "".join(_stream_engine(_FakeEngine(chunks), {}, sink)) == '{"a"'
    assert [(t["token"], t["logprob"]) for t in sink] == [("```", -0.5), ("{", -0.01), ('"a"', -1.25)]
    assert "".join(_stream_engine(_FakeEngine(chunks), {})) == '{"a"'  # no sink: text only


def test_prefix_request_is_the_prompt_up_to_the_last_message_text() -> None:
    from qa.local_llm import prefix_request

    request = {
        "messages": [
            {"role": "system", "content": "Rules."},
            {"role": "user", "content": "Sources: … Question?"},
        ],
        "max_tokens": 256,
        "stream": True,
        "response_format": {"type": "json_schema"},
    }
    assert prefix_request(request) == {
        "messages": [{"role": "system", "content": "Rules."}, {"role": "user", "content": ""}],
        "max_tokens": 0,
        "temperature": 0.0,
        "cache_prompt": True,
    }
    assert request["messages"][1]["content"] == "Sources: … Question?"  # not changed in place


def test_local_stream_sends_the_prefix_request_first() -> None:
    """The same cached prefix before every request, so an answer does not depend on the one before."""
    from qa.local_llm import _stream_engine, prefix_request

    engine = _FakeEngine([_chunk("ok", "ok", 0.0)])
    request = {"messages": [{"role": "system", "content": "Rules."}, {"role": "user", "content": "Q?"}]}
    assert "".join(_stream_engine(engine, request, None, prefix_request(request))) == "ok"
    assert engine.requests == [prefix_request(request), request]
    engine.requests.clear()
    assert "".join(_stream_engine(engine, request)) == "ok"  # without one: the request alone
    assert engine.requests == [request]


def test_local_stream_closed_early_tells_llama_cpp_to_stop() -> None:
    from qa.local_llm import _stream_engine

    engine = _FakeEngine([_chunk(str(i), str(i), 0.0) for i in range(1000)], pause=0.005)
    stream = _stream_engine(engine, {})
    assert next(stream) == "0"
    stream.close()
    deadline = time.monotonic() + 10
    while engine.stopped_after is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert engine.stopped_after is not None and engine.stopped_after < 1000


def test_at_exit_streams_are_stopped_and_their_readers_left_asleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """The exit hook stops every worker and waits until each reader sleeps on its sealed channel.

    A reader woken while the interpreter finalizes can crash it (see ``_Generations``), so
    stopping must not hand it anything: it gets no end-of-stream and is never woken again. Nor
    may it keep the model alive, which the exit hook unloads.
    """
    import atexit

    from qa import local_llm

    generations = local_llm._Generations()
    monkeypatch.setattr(local_llm, "_generations", generations)
    engine = _FakeEngine([_chunk(str(i), str(i), 0.0) for i in range(1000)], pause=0.005)
    received: list[str] = []
    left = threading.Event()
    handed = [engine]  # the reader is given the model, as LocalChatModel._stream passes it on

    def read() -> None:  # as a web-chat worker thread would, slow with each chunk
        for text in local_llm._stream_engine(handed.pop(), {}):
            received.append(text)
            time.sleep(0.2)
        left.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 10
    while not received and time.monotonic() < deadline:
        time.sleep(0.01)
    assert received, "no chunk arrived"
    [stream] = generations._streams
    try:
        generations.stop_all()  # the reader is busy with its first chunk: the hook waits for it
        assert engine.stopped_after is not None and engine.stopped_after < 1000
        assert not stream.worker.is_alive()
        assert stream.chunks.idle()  # asleep on an empty channel...
        seen = len(received)
        time.sleep(0.3)
        assert len(received) == seen and not left.is_set() and reader.is_alive()  # ...and stays so
        model = weakref.ref(engine)
        del engine
        assert model() is None  # the sleeping reader keeps no model alive (_at_exit unloads it)
    finally:
        atexit.unregister(generations.stop_all)
        with stream.chunks._ready:  # let the test's reader go (a real exit never does)
            stream.chunks._items.append(local_llm._DONE)
            stream.chunks._ready.notify()
    reader.join(10)
    assert left.is_set() and not generations._streams


def test_at_exit_the_loaded_models_are_unloaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unloading joins llama.cpp's threads before exit() runs C++ destructors under them."""
    from qa import local_llm

    engine = _FakeEngine([])
    key = local_llm.EngineKey("model.gguf", 4096, 2, 0)
    monkeypatch.setattr(local_llm, "_engines", {key: engine})
    monkeypatch.setattr(local_llm, "_generations", local_llm._Generations())
    model = weakref.ref(engine)
    del engine
    local_llm._at_exit()
    assert local_llm._engines == {} and model() is None


def test_local_model_puts_token_logprobs_on_its_chunks_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from langchain_core.messages import HumanMessage

    from qa.local_llm import LocalChatModel

    chunks = [_chunk(None, "```", -0.5), _chunk("{", "{", -0.01), _chunk('"a"', '"a"', -1.25)]
    monkeypatch.setattr(LocalChatModel, "_engine", lambda self: _FakeEngine(chunks))
    model = LocalChatModel(model_path="unused.gguf")
    asked = list(model._stream([HumanMessage("q")], extra_body={"logprobs": True}))
    assert [c.text for c in asked] == ["{", '"a"']
    tokens = [
        [t["token"] for t in c.generation_info["logprobs"]["content"]] for c in asked if c.generation_info
    ]
    assert tokens == [["```", "{"], ['"a"']]  # entries before the first text go with the first chunk
    plain = list(model._stream([HumanMessage("q")]))
    assert [c.text for c in plain] == ["{", '"a"'] and all(c.generation_info is None for c in plain)


def test_the_prompt_cache_size_reaches_llama_cpp(monkeypatch: pytest.MonkeyPatch) -> None:
    """QA_LOCAL_CACHE_MIB bounds the RAM llama.cpp fills with earlier prompts' states (its own
    default, 8 GiB, let a long-running web chat grow by gigabytes)."""
    import xllamacpp

    from qa import local_llm, local_model

    seen: list[int] = []

    class _Server:
        def __init__(self, params: Any) -> None:
            seen.append(params.cache_ram_mib)

    monkeypatch.setattr(xllamacpp, "Server", _Server)
    monkeypatch.setattr(local_llm, "_engines", {})
    monkeypatch.setattr(local_model, "model_path", lambda settings: Path("model.gguf"))
    monkeypatch.setenv("QA_LOCAL_CACHE_MIB", "64")
    local_llm.LocalChatModel.from_settings(Settings())._engine()
    local_llm.LocalChatModel(model_path="model.gguf")._engine()  # another size, another engine
    assert seen == [64, local_llm.LOCAL_CACHE_MIB] and Settings().local_cache_mib == 64
    assert len(local_llm._engines) == 2
