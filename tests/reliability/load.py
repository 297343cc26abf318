"""Drive many chat sessions at once against a running web app; used by ``test_load.py`` and
``benchmarks/load.py``.

A session is one ``gradio_client.Client`` (its own browser-like session state) holding a
conversation through the chat endpoint: a question, then an optional follow-up. Every turn's
latency, chat transcript and details panel are kept, so the caller can check that each
session got its own answers. The server's resident memory is sampled while the load runs.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any

from tests.reliability.helpers import memory_kib

FOLLOW_UP = "And who was there?"
_SEARCHED = re.compile(r"question as searched</th><td>([^<]*)</td>")
_TOTAL_MS = re.compile(r"time: total</th><td>(\d+) ms</td>")


def message_html(message: dict[str, Any]) -> str:
    """The HTML of a chat message as the chat endpoint returns it (a string or text parts)."""
    content = message["content"]
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))


@dataclass
class Turn:
    question: str
    seconds: float
    transcript: list[str] = field(default_factory=list)  # HTML of every message so far
    details: str = ""
    error: str | None = None

    @property
    def answer_html(self) -> str:
        return self.transcript[-1] if self.transcript else ""

    @property
    def answer_seconds(self) -> float | None:
        """How long the server spent computing the answer (queueing excluded), from the details panel."""
        match = _TOTAL_MS.search(self.details)
        return int(match.group(1)) / 1000 if match else None

    @property
    def searched(self) -> str | None:
        """The question the answer stage searched with (shown when it differs from the question)."""
        match = _SEARCHED.search(self.details)
        return unescape(match.group(1)) if match else None


@dataclass
class Session:
    index: int
    turns: list[Turn] = field(default_factory=list)


def _converse(url: str, index: int, questions: Sequence[str], start: threading.Barrier) -> Session:
    from gradio_client import Client

    client = Client(url, verbose=False, analytics_enabled=False)
    session = Session(index)
    start.wait()
    for question in questions:
        started = time.monotonic()
        try:
            _, chat, details = client.predict(question, api_name="/chat")
            turn = Turn(question, time.monotonic() - started, [message_html(m) for m in chat], str(details))
        except Exception as exc:  # recorded, so every session finishes and all failures are reported
            turn = Turn(question, time.monotonic() - started, error=f"{type(exc).__name__}: {exc}")
        session.turns.append(turn)
    return session


class MemorySampler:
    """Samples a process's resident memory every ``interval`` seconds in a background thread."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            if Path(f"/proc/{self.pid}/status").exists():
                self.samples.append(memory_kib(self.pid)["VmRSS"])
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@dataclass
class LoadResult:
    sessions: list[Session]
    seconds: float
    rss_before_kib: int
    rss_after_kib: int
    load_peak_rss_kib: int  # the most sampled while the load ran
    peak_rss_kib: int  # VmHWM: the most the server process ever held, start-up included

    def turns(self, position: int) -> list[Turn]:
        return [s.turns[position] for s in self.sessions if len(s.turns) > position]

    def latencies(self) -> list[float]:
        return [t.seconds for s in self.sessions for t in s.turns if t.error is None]

    def answer_times(self) -> list[float]:
        """Server-side compute time per answer (without the wait in the queue)."""
        return [t.answer_seconds for s in self.sessions for t in s.turns if t.answer_seconds is not None]

    def errors(self) -> list[str]:
        return [
            f"session {s.index}: {t.question!r}: {t.error}" for s in self.sessions for t in s.turns if t.error
        ]


def run_load(url: str, pid: int, conversations: Sequence[Sequence[str]]) -> LoadResult:
    """All ``conversations`` at once, one session each, released together; the server is ``pid``."""
    start = threading.Barrier(len(conversations))
    rss_before = memory_kib(pid)["VmRSS"]
    started = time.monotonic()
    with MemorySampler(pid) as sampler, ThreadPoolExecutor(max_workers=len(conversations)) as pool:
        futures = [pool.submit(_converse, url, i, turns, start) for i, turns in enumerate(conversations)]
        sessions = [f.result() for f in futures]
    seconds = time.monotonic() - started
    memory = memory_kib(pid)
    load_peak = max([*sampler.samples, memory["VmRSS"]])
    return LoadResult(sessions, seconds, rss_before, memory["VmRSS"], load_peak, memory["VmHWM"])


@dataclass
class Asked:
    question: str
    markdown: str | None
    error: str | None
    seconds: float


def ask_until(url: str, questions: Sequence[str], stop: threading.Event, offset: int = 0) -> list[Asked]:
    """Ask ``questions`` in turn through the ``ask`` endpoint (one session) until ``stop`` is set."""
    from gradio_client import Client

    client = Client(url, verbose=False, analytics_enabled=False)
    asked: list[Asked] = []
    i = offset
    while not stop.is_set():
        question = questions[i % len(questions)]
        i += 1
        started = time.monotonic()
        try:
            markdown = str(client.predict(question, api_name="/ask"))
            asked.append(Asked(question, markdown, None, time.monotonic() - started))
        except Exception as exc:  # recorded and reported by the caller
            asked.append(Asked(question, None, f"{type(exc).__name__}: {exc}", time.monotonic() - started))
    return asked
