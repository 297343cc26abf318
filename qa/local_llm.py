"""The ``local`` backend: a GGUF model run on the CPU by llama.cpp (through xllamacpp).

xllamacpp is a prebuilt wheel of llama.cpp's own C++ server, so nothing compiles at install
time, requests are queued thread-safely by the server, JSON-schema output is enforced by
llama.cpp's grammar sampler, and the same object can listen on HTTP (tests use that as a
loopback OpenAI-compatible server). The loaded model is kept per process.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from qa.config import Settings
from qa.errors import BackendError, ModelFileError

log = logging.getLogger(__name__)

DEFAULT_CTX = 4096


@dataclass(frozen=True)
class EngineKey:
    path: str
    n_ctx: int
    threads: int
    port: int  # 0 = in-process only (llama.cpp still binds a loopback port it picks)


_engines: dict[EngineKey, Any] = {}
_engines_lock = threading.Lock()


def default_threads(settings: Settings) -> int:
    return settings.llm_threads or max(1, os.cpu_count() or 1)


def load_engine(
    path: Path, *, n_ctx: int = DEFAULT_CTX, threads: int = 2, port: int = 0, api_key: str | None = None
) -> Any:
    """A llama.cpp server for ``path``, loaded once per process and key (loading takes seconds)."""
    key = EngineKey(str(path), n_ctx, threads, port)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = start_server(path, n_ctx=n_ctx, threads=threads, port=port, api_key=api_key)
            _engines[key] = engine
        return engine


def start_server(path: Path, *, n_ctx: int, threads: int, port: int, api_key: str | None) -> Any:
    try:
        import xllamacpp
    except ImportError as exc:
        raise BackendError("The local backend needs xllamacpp: pip install xllamacpp") from exc
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_ctx = n_ctx
    params.n_parallel = 1
    params.n_predict = 512
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.warmup = True
    params.verbosity = 3 if log.isEnabledFor(logging.DEBUG) else 0  # llama.cpp logs only with -v -v
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.sampling.temp = 0.0
    params.sampling.top_k = 1
    if api_key:
        params.api_keys = [api_key]
    log.info("Loading local model %s (n_ctx=%d, threads=%d)", path, n_ctx, threads)
    try:
        return xllamacpp.Server(params)
    except Exception as exc:
        raise ModelFileError(
            f"llama.cpp could not load the model {path} ({exc}). If it is the bundled model, delete the "
            "file and its .verified.json so it is assembled again; if it is QA_LOCAL_MODEL_PATH, check "
            "that it is a complete GGUF file."
        ) from exc


def _to_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    roles = {"system": "system", "human": "user", "ai": "assistant"}
    out = []
    for m in messages:
        role = roles.get(m.type)
        if role is None:
            raise BackendError(f"The local backend cannot send a {m.type!r} message")
        out.append({"role": role, "content": m.text if isinstance(m.text, str) else str(m.content)})
    return out


def _check_error(payload: Any) -> None:
    if isinstance(payload, dict) and "error" in payload:
        error = payload["error"]
        message = error.get("message", error) if isinstance(error, dict) else error
        from qa.llm import TransientBackendError

        raise TransientBackendError(f"The local model failed: {message}")


class LocalChatModel(BaseChatModel):
    """LangChain chat model over an in-process llama.cpp server; greedy decoding (deterministic)."""

    model_path: str
    n_ctx: int = DEFAULT_CTX
    threads: int = 2
    max_tokens: int = 256

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalChatModel:
        from qa.local_model import model_path

        return cls(model_path=str(model_path(settings)), threads=default_threads(settings))

    @property
    def _llm_type(self) -> str:
        return "llama.cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx}

    def _engine(self) -> Any:
        return load_engine(Path(self.model_path), n_ctx=self.n_ctx, threads=self.threads)

    def _request(
        self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "messages": _to_dicts(messages),
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "temperature": 0.0,
            "cache_prompt": True,
        }
        if stop:
            request["stop"] = stop
        for option in ("logprobs", "top_logprobs"):  # as ChatOpenAI takes them
            if kwargs.get(option) is not None:
                request[option] = kwargs[option]
        request.update(kwargs.get("extra_body") or {})
        return request

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(chunk.text for chunk in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Stream the reply. When the request asks for ``logprobs`` (e.g. through ``extra_body``),
        each chunk carries the tokens' log-probabilities in ``generation_info["logprobs"]``,
        as ChatOpenAI's chunks do (entries sent before the first text go with the first chunk)."""
        engine = self._engine()
        request = self._request(messages, stop, kwargs) | {"stream": True}
        logprobs: list[dict[str, Any]] | None = [] if request.get("logprobs") else None
        for delta in _stream_engine(engine, request, logprobs):
            info = None
            if logprobs:
                info = {"logprobs": {"content": list(logprobs)}}
                logprobs.clear()
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta), generation_info=info)
            if run_manager:
                run_manager.on_llm_new_token(delta, chunk=chunk)
            yield chunk


_DONE = object()
# How long stopping a generation waits for llama.cpp: it stops at its next token, which can
# take as long as reading a whole prompt (tens of seconds for a full context on 2 cores).
STOP_WAIT_SECONDS = 120


class _Generations:
    """The llama.cpp calls running on worker threads, each with its stop flag.

    A worker still inside llama.cpp when Python exits aborts the interpreter ("FATAL: exception
    not rethrown"): a Ctrl-C on ``qa ask`` while it streams, or on the web chat while it
    answers. So a stream waits for its worker when it is closed, and at exit every running
    generation is told to stop and awaited (the hook is registered with the first one).
    """

    def __init__(self) -> None:
        self._running: dict[threading.Thread, threading.Event] = {}
        self._lock = threading.Lock()
        self._exit_hook = False

    def start(self, target: Callable[[], None], stop: threading.Event) -> threading.Thread:
        def run() -> None:
            try:
                target()
            finally:
                with self._lock:
                    self._running.pop(threading.current_thread(), None)

        worker = threading.Thread(target=run, name="llama.cpp-stream", daemon=True)
        with self._lock:
            self._running[worker] = stop
            if not self._exit_hook:
                atexit.register(self.stop_all)
                self._exit_hook = True
        worker.start()
        return worker

    def stop_all(self) -> None:
        with self._lock:
            running = list(self._running.items())
        for _, stop in running:
            stop.set()
        for worker, _ in running:
            _await(worker)


def _await(worker: threading.Thread) -> None:
    worker.join(STOP_WAIT_SECONDS)
    if worker.is_alive():
        log.warning("the local model did not stop within %d s", STOP_WAIT_SECONDS)


_generations = _Generations()


def _stream_engine(
    engine: Any, request: dict[str, Any], logprobs: list[dict[str, Any]] | None = None
) -> Iterator[str]:
    """Bridge llama.cpp's streaming callback (called on a worker thread) to an iterator.

    Closing the iterator early tells llama.cpp to stop generating (the callback returns True).
    With ``logprobs`` (a list), the per-token log-probabilities the server sends (when the request
    asks for them) are appended to it.
    """
    chunks: queue.Queue[Any] = queue.Queue()
    stop = threading.Event()

    def on_chunk(payload: Any) -> bool:
        chunks.put(payload)
        return stop.is_set()

    def run() -> None:
        try:
            result = engine.handle_chat_completions(request, on_chunk)
            if result is not None:
                chunks.put(result)
        except Exception as exc:  # handed to the consumer thread, which raises it
            chunks.put(exc)
        finally:
            chunks.put(_DONE)

    worker = _generations.start(run, stop)
    try:
        while (payload := chunks.get()) is not _DONE:
            if isinstance(payload, Exception):
                from qa.llm import TransientBackendError

                raise TransientBackendError(f"The local model failed: {payload}") from payload
            _check_error(payload)
            for choice in payload.get("choices", []) if isinstance(payload, dict) else []:
                if logprobs is not None:
                    logprobs.extend((choice.get("logprobs") or {}).get("content") or [])
                content = (choice.get("delta") or {}).get("content")
                if content:
                    yield content
    finally:
        stop.set()  # llama.cpp returns at its next token; wait for that (see _Generations)
        _await(worker)
