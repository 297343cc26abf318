"""The ``local`` backend: a GGUF model run on the CPU by llama.cpp (through xllamacpp).

xllamacpp wraps llama.cpp's own C++ server: requests are queued thread-safely by the server,
JSON-schema output is enforced by llama.cpp's grammar sampler, and the same object can listen on
HTTP (tests use that as a loopback OpenAI-compatible server). Its prebuilt wheel needs no
compiler; on a CPU with more than AVX2 the install builds it for that CPU (qa.llama_build).
The loaded model is kept per process.
"""

from __future__ import annotations

import atexit
import collections
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from qa.config import LOCAL_CACHE_MIB, Settings
from qa.errors import BackendError, ModelFileError
from qa.llama_build import built_cpu_features, cpu_flags, unused_cpu_features

log = logging.getLogger(__name__)

DEFAULT_CTX = 4096


@dataclass(frozen=True)
class EngineKey:
    path: str
    n_ctx: int
    threads: int
    port: int  # 0 = in-process only (llama.cpp still binds a loopback port it picks)
    cache_mib: int = LOCAL_CACHE_MIB


_engines: dict[EngineKey, Any] = {}
_engines_lock = threading.Lock()
_exit_hook = False


def default_threads(settings: Settings) -> int:
    return settings.llm_threads or max(1, os.cpu_count() or 1)


def load_engine(
    path: Path,
    *,
    n_ctx: int = DEFAULT_CTX,
    threads: int = 2,
    port: int = 0,
    api_key: str | None = None,
    cache_mib: int = LOCAL_CACHE_MIB,
) -> Any:
    """A llama.cpp server for ``path``, loaded once per process and key (loading takes seconds)."""
    global _exit_hook
    key = EngineKey(str(path), n_ctx, threads, port, cache_mib)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = start_server(
                path, n_ctx=n_ctx, threads=threads, port=port, api_key=api_key, cache_mib=cache_mib
            )
            _engines[key] = engine
            if not _exit_hook:
                atexit.register(_at_exit)
                _exit_hook = True
        return engine


def _at_exit() -> None:
    """Stop every stream, then unload every model, while Python still runs.

    Unloading joins llama.cpp's own threads. Left running, they outlive the interpreter: a token
    still being computed after its stream had stopped met C++ destructors already run by exit()
    (SIGSEGV in a CI run and in 7 of 120 runs of ``benchmarks/exit_stress.py``; core dumps show
    the OpenMP workers in ggml_graph_compute while the main thread ran the exit handlers). The
    streams hold no reference to a model, so dropping ours here frees it (``xllamacpp.Server``
    joins its threads).
    """
    _generations.stop_all()
    with _engines_lock:
        engines = list(_engines.values())
        _engines.clear()
    while engines:
        engines.pop()  # the last reference: llama.cpp finishes its step and stops


def start_server(
    path: Path,
    *,
    n_ctx: int,
    threads: int,
    port: int,
    api_key: str | None,
    cache_mib: int = LOCAL_CACHE_MIB,
) -> Any:
    try:
        import xllamacpp
    except ImportError as exc:
        raise BackendError("The local backend needs xllamacpp: pip install xllamacpp") from exc
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_ctx = n_ctx
    params.n_parallel = 1
    params.n_predict = 512
    params.cache_ram_mib = cache_mib
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
    if missed := unused_cpu_features(cpu_flags(), built_cpu_features()):
        log.info(
            "llama.cpp was built without %s, which this CPU has: `python -m qa.llama_build native` "
            "(`make native`) builds it for this CPU "
            "(reading prompts 1.7x faster on an AVX-512 machine; docs/answering.md, 'llama.cpp built for this CPU')",
            ", ".join(missed),
        )
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
    # Answers that do not depend on what was asked before (see prefix_request); False lets
    # llama.cpp reuse as much of the previous prompt as it can (faster, history-dependent).
    repeatable: bool = True
    cache_mib: int = LOCAL_CACHE_MIB

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalChatModel:
        from qa.local_model import model_path

        return cls(
            model_path=str(model_path(settings)),
            threads=default_threads(settings),
            repeatable=settings.local_repeatable,
            cache_mib=settings.local_cache_mib,
        )

    @property
    def _llm_type(self) -> str:
        return "llama.cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx}

    def _engine(self) -> Any:
        return load_engine(
            Path(self.model_path), n_ctx=self.n_ctx, threads=self.threads, cache_mib=self.cache_mib
        )

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
        request = self._request(messages, stop, kwargs) | {"stream": True}
        logprobs: list[dict[str, Any]] | None = [] if request.get("logprobs") else None
        prefix = prefix_request(request) if self.repeatable else None
        for delta in _stream_engine(self._engine(), request, logprobs, prefix):  # no reference kept here
            info = None
            if logprobs:
                info = {"logprobs": {"content": list(logprobs)}}
                logprobs.clear()
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta), generation_info=info)
            if run_manager:
                run_manager.on_llm_new_token(delta, chunk=chunk)
            yield chunk


def prefix_request(request: dict[str, Any]) -> dict[str, Any]:
    """A request that leaves llama.cpp's cache holding ``request``'s prompt up to where its last
    message's text begins (the system prompt, for an answer), and generates nothing.

    llama.cpp reuses the longest prefix a prompt shares with the previous one, and the logits of
    a prompt read in other batch splits are not bit-for-bit the same: with greedy decoding, the
    same question could get another answer after a different previous question ("9 Staaten…"
    asked first, an abstention after a how-many question about chapters). Sent just before
    ``request`` on the same slot, this makes the reused part the same every time, so an answer
    depends on its own prompt only (the same in a fresh process), at the cost of re-reading the
    sources a previous answer shared (a few tenths of a second each)."""
    messages = list(request.get("messages") or [])
    if messages:
        messages[-1] = {**messages[-1], "content": ""}
    return {"messages": messages, "max_tokens": 0, "temperature": 0.0, "cache_prompt": True}


# The slot is one: a prefix request and the request after it must not interleave with others.
_slot = threading.Lock()

_DONE = object()
# How long stopping a generation waits for llama.cpp: it stops at its next token, which can
# take as long as reading a whole prompt (tens of seconds for a full context on 2 cores).
STOP_WAIT_SECONDS = 120
# How long the exit hook waits for the threads reading a stream to go idle (see stop_all).
IDLE_WAIT_SECONDS = 5.0


class _Channel:
    """The queue between a llama.cpp worker and the thread reading its stream.

    Unlike ``queue.Queue`` it can be sealed (later items are dropped) and it tells whether its
    reader is waiting on it with nothing left to read, which the exit hook needs.
    """

    def __init__(self) -> None:
        self._items: collections.deque[Any] = collections.deque()
        self._ready = threading.Condition()
        self._sealed = False
        self._waiting = False

    def put(self, item: Any) -> None:
        with self._ready:
            if not self._sealed:
                self._items.append(item)
                self._ready.notify()

    def get(self) -> Any:
        with self._ready:
            while not self._items:
                self._waiting = True
                try:
                    self._ready.wait()
                finally:
                    self._waiting = False
            return self._items.popleft()

    def seal(self) -> None:
        with self._ready:
            self._sealed = True

    def idle(self) -> bool:
        """True when the reader waits on an empty channel (a sealed one never wakes it)."""
        with self._ready:
            return self._waiting and not self._items


@dataclass(eq=False)
class _Stream:
    worker: threading.Thread
    stop: threading.Event
    chunks: _Channel
    done: threading.Event  # the reader has left the stream


class _Generations:
    """The llama.cpp streams in flight: each worker thread, its stop flag and its reader.

    A worker still inside llama.cpp when Python exits aborts the interpreter ("FATAL: exception
    not rethrown"): a Ctrl-C on ``qa ask`` while it streams, or on the web chat while it
    answers. So a stream waits for its worker when it is closed, and at exit (``_at_exit``)
    every stream is stopped and its worker awaited.

    A daemon thread that runs Python while the interpreter finalizes can crash it too (a
    CPython race: python/cpython#87135, #110052). So the exit hook first seals every channel,
    so that stopping a worker hands its reader nothing more to wake up for, and then waits
    (briefly) until each reader is asleep on its empty channel or has left the stream: a reader
    that sleeps through the exit never runs again (without the seal, the worker's last chunk
    woke its reader just as the interpreter began to shut down).
    """

    def __init__(self) -> None:
        self._streams: list[_Stream] = []
        self._lock = threading.Lock()

    def start(self, target: Callable[[], None], stop: threading.Event, chunks: _Channel) -> _Stream:
        worker = threading.Thread(target=target, name="llama.cpp-stream", daemon=True)
        stream = _Stream(worker, stop, chunks, threading.Event())
        with self._lock:
            self._streams.append(stream)
        worker.start()
        return stream

    def finish(self, stream: _Stream) -> None:
        """Called by the reader as it leaves the stream (after its worker has returned)."""
        stream.done.set()
        with self._lock:
            if stream in self._streams:
                self._streams.remove(stream)

    def stop_all(self) -> None:
        with self._lock:
            streams = list(self._streams)
        for stream in streams:
            stream.chunks.seal()
            stream.stop.set()
        for stream in streams:
            _await(stream.worker)
        deadline = time.monotonic() + IDLE_WAIT_SECONDS
        for stream in streams:
            while not (stream.done.is_set() or stream.chunks.idle()):
                if time.monotonic() > deadline:
                    log.warning("a thread reading the local model did not go idle before exit")
                    return
                time.sleep(0.01)


def _await(worker: threading.Thread) -> None:
    worker.join(STOP_WAIT_SECONDS)
    if worker.is_alive():
        log.warning("the local model did not stop within %d s", STOP_WAIT_SECONDS)


_generations = _Generations()


def _stream_engine(
    engine: Any,
    request: dict[str, Any],
    logprobs: list[dict[str, Any]] | None = None,
    prefix: dict[str, Any] | None = None,
) -> Iterator[str]:
    """Bridge llama.cpp's streaming callback (called on a worker thread) to an iterator.

    Closing the iterator early tells llama.cpp to stop generating (the callback returns True).
    With ``logprobs`` (a list), the per-token log-probabilities the server sends (when the request
    asks for them) are appended to it. With ``prefix`` (see :func:`prefix_request`), the worker
    sends that first, holding the slot for both. Only the worker refers to ``engine``, and only
    while it calls it: a reader that never resumes (see ``_Generations``) keeps no model alive.
    """
    call = [engine.handle_chat_completions]
    del engine
    chunks = _Channel()
    stop = threading.Event()

    def on_chunk(payload: Any) -> bool:
        chunks.put(payload)
        return stop.is_set()

    def run() -> None:
        try:
            handle = call.pop()
            with _slot:
                if stop.is_set():
                    return
                if prefix is not None:
                    primed = handle(prefix, lambda payload: stop.is_set())
                    if isinstance(primed, dict) and "error" in primed:
                        chunks.put(primed)  # the reader raises it
                        return
                    if stop.is_set():
                        return
                result = handle(request, on_chunk)
            if result is not None:
                chunks.put(result)
        except Exception as exc:  # handed to the consumer thread, which raises it
            chunks.put(exc)
        finally:
            chunks.put(_DONE)

    stream = _generations.start(run, stop, chunks)
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
        _await(stream.worker)
        _generations.finish(stream)
