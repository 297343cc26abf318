"""The same answer prompts sent to the bundled model in-process (the ``local`` backend) and over
HTTP (llama.cpp's OpenAI-compatible server, the ``openai`` backend's path): time to the reply's
first token and to its end.

    .venv/bin/python benchmarks/local_vs_server.py [-n 24] [--rounds 1]

``benchmarks/openai_path.py`` ran the whole known-answers set over HTTP with a first token p50
0.85 s below the in-process run of ten minutes later, with 94 of 102 answers identical. This
separates the causes. For each of N questions of the set (answerable and not, follow-ups left
out), the answer pipeline's own prompt (retrieval, the three source excerpts, the JSON schema)
is sent in these modes, their order rotated from question to question:

- ``in-process``: ``LocalChatModel`` as shipped (repeatable answers: a prefix request first
  leaves llama.cpp's cache holding the system prompt only);
- ``in-process, no prefix``: the same engine, cache set to the same state by an untimed prefix
  request, then the prompt alone;
- ``http``: ``ChatOpenAI`` against a llama.cpp server on 127.0.0.1 loading the same file with
  the same parameters, its cache set to the same state by an untimed prefix request over HTTP.

So every mode starts from the same cache state and reads the same prompt; what differs is the
path. Printed: p50 / p95 of the time to the first streamed text and to the end, per mode, and
each mode's median ratio to ``in-process`` over the same questions.
"""

from __future__ import annotations

import argparse
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
from common import backend_server, percentiles
from langchain_openai import ChatOpenAI
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from qa.answering import build_messages, full_paragraph
from qa.config import load_settings
from qa.evalset import load_known_answers
from qa.grounding import answer_schema
from qa.llm import stream_chat
from qa.local_llm import (
    LocalChatModel,
    default_threads,
    load_engine,
    prefix_request,
)
from qa.local_model import model_path
from qa.retrieve import get_retriever


def _timed(stream: Callable[[], Any]) -> tuple[float, float]:
    """Seconds to the first non-empty chunk and to the end of ``stream()``."""
    t = time.perf_counter()
    first = None
    for piece in stream():
        if piece and first is None:
            first = time.perf_counter() - t
    return (first if first is not None else float("nan")), time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=24, help="questions (the first N without history)")
    args = parser.parse_args()

    settings = load_settings()
    retriever = get_retriever(settings)
    path = model_path(settings)
    threads = default_threads(settings)
    items = [item for item in load_known_answers() if not item.history][: args.n]

    local = LocalChatModel.from_settings(settings)
    engine = load_engine(path, threads=threads, cache_mib=settings.local_cache_mib)
    key = secrets.token_urlsafe(24)
    server = backend_server(settings, api_key=key)
    base_url = server.listening_address + "/v1"
    remote = ChatOpenAI(
        model="bundled-gguf",
        api_key=SecretStr(key),
        base_url=base_url,
        temperature=0,
        max_completion_tokens=256,
    )
    http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=120)

    def request_of(messages: list[tuple[str, str]]) -> dict[str, Any]:
        return local._request(local._convert_input(messages).to_messages(), None, {})

    def reset_local(messages: list[tuple[str, str]]) -> None:
        engine.handle_chat_completions(prefix_request(request_of(messages)), lambda _: False)

    def reset_http(messages: list[tuple[str, str]]) -> None:
        http.post("/chat/completions", json=prefix_request(request_of(messages))).raise_for_status()

    def shipped(messages: list[tuple[str, str]], schema: dict[str, Any]) -> tuple[float, float]:
        local.repeatable = True
        return _timed(lambda: stream_chat(local, messages, schema=schema))

    def no_prefix(messages: list[tuple[str, str]], schema: dict[str, Any]) -> tuple[float, float]:
        reset_local(messages)
        local.repeatable = False
        try:
            return _timed(lambda: stream_chat(local, messages, schema=schema))
        finally:
            local.repeatable = True

    def over_http(messages: list[tuple[str, str]], schema: dict[str, Any]) -> tuple[float, float]:
        reset_http(messages)
        return _timed(lambda: stream_chat(remote, messages, schema=schema))

    modes: dict[str, Callable[[list[tuple[str, str]], dict[str, Any]], tuple[float, float]]] = {
        "in-process": shipped,
        "in-process, no prefix": no_prefix,
        "http": over_http,
    }
    names = list(modes)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    console = Console()
    for i, item in enumerate(items):
        passages = [full_paragraph(retriever, p) for p in retriever.search(item.question, k=settings.top_k)]
        context = passages[: settings.passages_for("local")]
        messages = build_messages(item.question, context, item.lang, settings.answer_source_chars)
        schema = answer_schema(len(context))
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            results[name].append(modes[name](messages, schema))
        console.print(
            f"{i + 1}/{len(items)} {item.id}: "
            + ", ".join(f"{name} {results[name][-1][0]:.2f}/{results[name][-1][1]:.2f} s" for name in names)
        )

    table = Table(
        "mode", "first token p50", "p95", "whole reply p50", "p95", "first token / in-process (median)"
    )
    base = results["in-process"]
    for name in names:
        firsts = [r[0] for r in results[name]]
        wholes = [r[1] for r in results[name]]
        ratios = sorted(r[0] / b[0] for r, b in zip(results[name], base, strict=True))
        f50, f95 = percentiles(firsts)
        w50, w95 = percentiles(wholes)
        table.add_row(
            name, f"{f50:.2f}", f"{f95:.2f}", f"{w50:.2f}", f"{w95:.2f}", f"{ratios[len(ratios) // 2]:.3f}"
        )
    console.print(table)
    http.close()
    del server


if __name__ == "__main__":
    main()
