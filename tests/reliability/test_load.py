"""Load on the running web app (``python app.py`` in its own process, on loopback).

- 50 sessions at once, each a conversation of a question and a follow-up, on the extractive
  backend: every answer is the one its question gets when asked alone, every follow-up is
  searched with its own session's first question (no cross-talk), nothing is dropped;
- 5 sessions at once on the local backend (one short question each), each judged correct by
  the known-answers set;
- sources edited while questions keep coming: the app re-indexes itself, and every answer
  stays the one asked alone.

Peak resident memory of the server and latency percentiles are logged (``--log-cli-level=INFO``;
``benchmarks/load.py`` prints the same figures). Thresholds are bounds against leaks and
runaway growth, not speed targets.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from qa.answering import answer
from qa.config import Settings
from qa.evalset import DEFAULT_PATH, KnownAnswer, answer_matches, load_known_answers
from qa.retrieve import get_retriever, validate_question
from qa.web_render import answer_markdown, render_answer, render_user
from tests.conftest import SEEDS
from tests.reliability.helpers import AppServer, LatencySummary, app_server
from tests.reliability.load import FOLLOW_UP, LoadResult, ask_until, run_load

pytestmark = pytest.mark.slow
log = logging.getLogger(__name__)

SESSIONS = 50
LOCAL_SESSIONS = 5
LOCAL_ITEMS = [
    "chapters-en",
    "articles-sv",
    "negotiation-years-fr",
    "delegates-countries-de",
    "committee-sessions-fr",
]
REINDEX_ASKERS = 4
# Bounds on the server's peak resident memory (MiB), start-up included.
MAX_PEAK_RSS_MIB = {"extractive": 3 * 1024, "local": 6 * 1024}


@pytest.fixture(scope="module")
def items() -> list[KnownAnswer]:
    return [item for item in load_known_answers(DEFAULT_PATH) if not item.history]


@pytest.fixture(scope="module")
def questions(items: list[KnownAnswer]) -> list[str]:
    unique = list(dict.fromkeys(item.question for item in items))
    assert len(unique) >= SESSIONS
    return unique[:SESSIONS]


@pytest.fixture(scope="module")
def expected(extractive_settings: Settings, questions: list[str]) -> dict[str, object]:
    """Each question's answer asked alone, in this process, on the same index."""
    return {q: answer(q, settings=extractive_settings) for q in questions}


@pytest.fixture(scope="module")
def index_copy(extractive_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session's seeds index, so a server starts without embedding anything."""
    get_retriever(extractive_settings).ensure_index()
    copy = tmp_path_factory.mktemp("served") / "index"
    shutil.copytree(extractive_settings.index_dir, copy)
    return copy


def _serve(
    tmp_path: Path, index: Path, sources: Path = SEEDS, **env: str
) -> AbstractContextManager[AppServer]:
    work = tmp_path / "app"
    work.mkdir(exist_ok=True)
    folder = tmp_path / "index"
    shutil.copytree(index, folder)
    settings = {
        "QA_SOURCES_DIR": str(sources),
        "QA_INDEX_DIR": str(folder),
        "QA_MODEL_CACHE_DIR": str(tmp_path / "cache"),
        "QA_LLM": "extractive",
        **env,
    }
    return app_server(work, startup_timeout=180, **settings)


def _figures(name: str, result: LoadResult) -> str:
    return (
        f"{name}: {len(result.sessions)} sessions, {len(result.latencies())} answers in {result.seconds:.1f} s; "
        f"latency {LatencySummary.of(result.latencies())} (computing alone "
        f"{LatencySummary.of(result.answer_times())}); server RSS {result.rss_before_kib // 1024} MiB "
        f"before, {result.load_peak_rss_kib // 1024} MiB peak under load, {result.rss_after_kib // 1024} MiB "
        f"after, {result.peak_rss_kib // 1024} MiB peak overall"
    )


def test_fifty_concurrent_conversations_each_get_their_own_answers(
    tmp_path: Path, index_copy: Path, questions: list[str], expected: dict[str, object]
) -> None:
    from gradio_client import Client

    with _serve(tmp_path, index_copy) as server:
        Client(server.url, verbose=False).predict(questions[0], api_name="/ask")  # load the model
        result = run_load(server.url, server.pid, [[q, FOLLOW_UP] for q in questions])
        assert server.alive(), "the server died under load"
    log.info(_figures("extractive", result))

    assert result.errors() == [], "dropped or failed requests:\n" + "\n".join(result.errors()[:10])
    for session, question in zip(result.sessions, questions, strict=True):
        first, second = session.turns
        assert first.transcript[0] == render_user(question)
        assert first.answer_html == render_answer(expected[question]), f"wrong answer for {question!r}"  # type: ignore[arg-type]
        # The follow-up was answered within this session's own conversation, and only it.
        assert len(second.transcript) == 4 and second.transcript[0] == render_user(question)
        assert second.transcript[2] == render_user(FOLLOW_UP)
        assert second.searched == f"{validate_question(question, Settings(_env_file=None))} {FOLLOW_UP}"  # type: ignore[call-arg]
    assert result.peak_rss_kib < MAX_PEAK_RSS_MIB["extractive"] * 1024


def test_five_concurrent_sessions_on_the_local_model(
    tmp_path: Path, index_copy: Path, items: list[KnownAnswer]
) -> None:
    chosen = {item.id: item for item in items if item.id in LOCAL_ITEMS}
    assert len(chosen) == LOCAL_SESSIONS
    cases = [chosen[i] for i in LOCAL_ITEMS]
    from gradio_client import Client

    with _serve(tmp_path, index_copy, QA_LLM="local", QA_LLM_FALLBACK="none") as server:
        Client(server.url, verbose=False).predict("How many chapters?", api_name="/ask")  # load both models
        result = run_load(server.url, server.pid, [[item.question] for item in cases])
        assert server.alive(), "the server died under load"
    log.info(_figures("local", result))

    assert result.errors() == [], "dropped or failed requests:\n" + "\n".join(result.errors()[:10])
    for session, item in zip(result.sessions, cases, strict=True):
        (turn,) = session.turns
        assert turn.transcript[0] == render_user(item.question)
        assert "qa-error" not in turn.answer_html and "Notice:" not in turn.answer_html
        assert answer_matches(item, turn.answer_html), f"{item.id}: {turn.answer_html[:300]}"
    assert result.peak_rss_kib < MAX_PEAK_RSS_MIB["local"] * 1024


EDITS_PAUSE_S = 4.0


def test_answers_stay_right_while_the_sources_change_and_the_app_reindexes(
    tmp_path: Path, index_copy: Path, questions: list[str], expected: dict[str, object]
) -> None:
    """Edits that change the files but not what they say: each makes the app write a new index
    generation and drop the old one, while the questions keep coming."""
    sources = tmp_path / "sources"
    shutil.copytree(SEEDS, sources)
    first = sorted(sources.glob("*.txt"))[0]
    original = first.read_text(encoding="utf-8")
    edits = [
        lambda: first.write_text(original + "\nKommentar (0)\n", encoding="utf-8"),  # not indexed
        lambda: (sources / "notes.txt").write_text("Teilen\nKommentar (3)\n", encoding="utf-8"),
        lambda: first.write_text("\n\n" + original.replace("\n", "\n\n"), encoding="utf-8"),  # blank lines
        lambda: (sources / "notes.txt").unlink(),
        lambda: first.write_text(original, encoding="utf-8"),
    ]
    asked_questions = questions[:12]
    stop = threading.Event()
    with _serve(tmp_path, index_copy, sources=sources) as server:
        results: list[list] = [[] for _ in range(REINDEX_ASKERS)]

        def asker(i: int) -> None:
            results[i] = ask_until(server.url, asked_questions, stop, offset=3 * i)

        threads = [threading.Thread(target=asker, args=(i,)) for i in range(REINDEX_ASKERS)]
        for thread in threads:
            thread.start()
        try:
            for edit in edits:
                time.sleep(EDITS_PAUSE_S)
                edit()
            time.sleep(EDITS_PAUSE_S)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=300)
        assert server.alive()
        generations = server.log.read_text().count("qa.index: index ")
    asked = [a for per_thread in results for a in per_thread]
    log.info("re-indexing: %d answers during %d re-indexes", len(asked), generations)
    assert generations >= 3, "the app did not re-index while being asked"
    assert len(asked) >= 2 * len(edits)
    failures = [f"{a.question!r}: {a.error}" for a in asked if a.error is not None]
    assert failures == [], "\n".join(failures[:10])
    for a in asked:
        assert a.markdown == answer_markdown(expected[a.question]), f"answer to {a.question!r} changed"  # type: ignore[arg-type]
