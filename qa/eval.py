"""``qa eval``: run the known-answers set through retrieval and a backend, and score it.

The runner takes its two moving parts as plain callables (a search function and a streaming
answer function), so tests can drive it with fakes; :func:`evaluate` wires the real ones from
settings. Scoring lives in :mod:`qa.evalset`, the report files in :mod:`qa.report`.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.errors import QAError
from qa.evalset import (
    DEFAULT_PATH,
    THRESHOLDS,
    AnswerOutcome,
    KnownAnswer,
    RankedParagraph,
    answer_metrics,
    failures,
    first_hit_rank,
    language_text,
    load_known_answers,
    percentile,
    retrieval_metrics,
)
from qa.models import Answer, Passage

if TYPE_CHECKING:
    from qa.config import Settings

log = logging.getLogger(__name__)

K = 5  # the retrieval targets are at 5
RETRIEVAL_DEPTH = 10  # retrieve deeper than K so a report can show where a late hit landed
# Give up on a backend that fails this many items in a row from the start: it is down, not flaky.
_FAIL_FAST_AFTER = 3

SearchFn = Callable[[str, int], Sequence[Passage]]
History = list[tuple[str, str]]
StreamFn = Callable[[str, History], Iterable["str | Answer"]]
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class RetrievalRecord:
    """The paragraphs retrieved for one item, best first."""

    item: KnownAnswer
    ranked: tuple[RankedParagraph, ...]
    seconds: float

    @property
    def rank(self) -> int | None:
        return first_hit_rank(self.item, self.ranked)


@dataclass
class EvalReport:
    """Everything one run measured; :mod:`qa.report` turns it into tables and files."""

    set_path: str
    backend: str | None
    started: str
    machine: dict[str, str]
    settings: dict[str, Any]
    retrieval: dict[str, float]
    retrieval_records: list[RetrievalRecord]
    answers: dict[str, float] | None = None
    outcomes: list[AnswerOutcome] = field(default_factory=list)
    answer_details: dict[str, dict[str, Any]] = field(default_factory=dict)
    latency: dict[str, float | None] = field(default_factory=dict)
    by_language: dict[str, dict[str, float]] = field(default_factory=dict)
    by_article: dict[str, dict[str, float]] = field(default_factory=dict)
    duration_seconds: float = 0.0
    command: str = ""

    @property
    def targets(self) -> dict[str, dict[str, float]]:
        """The thresholds that apply to this run, by section."""
        out = {"retrieval": dict(THRESHOLDS["retrieval"])}
        if self.answers is not None and self.backend is not None and self.backend in THRESHOLDS:
            out["answers"] = dict(THRESHOLDS[self.backend])
        return out

    def missed_targets(self) -> list[str]:
        missed = failures(self.retrieval, self.targets["retrieval"])
        if self.answers is not None and "answers" in self.targets:
            missed += failures(self.answers, self.targets["answers"])
        return missed


# --- helpers -------------------------------------------------------------------------------


def answer_language(text: str) -> str | None:
    """The language of an answer's own words (None: too few to tell, see ``language_text``),
    judged by word lists (:func:`qa.lang.word_list_language`: answers are short)."""
    from qa.lang import word_list_language

    words = language_text(text)
    return word_list_language(words) if words else None


def machine_description(local_model: bool = False) -> dict[str, str]:
    """Where the figures were measured: CPU model, cores, memory, OS, Python; with ``local_model``,
    also the instruction sets llama.cpp was built for (``make native`` changes them, and with
    them the speed and some answers)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages * page_size / 2**30:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0
    return {
        "cpu": cpu,
        "cores": str(cores),
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    } | ({"llama.cpp": llama_cpp_build()} if local_model else {})


def llama_cpp_build() -> str:
    """The instruction sets of the installed llama.cpp build, e.g. "AVX, AVX2, F16C, FMA, …"."""
    from qa.llama_build import built_cpu_features

    try:
        return ", ".join(sorted(built_cpu_features()))
    except ImportError:
        return "not installed"


def _settings_summary(settings: Settings | None, backend: str | None) -> dict[str, Any]:
    if settings is None:
        return {"backend": backend}
    model = {"openai": settings.model, "local": settings.local_model}.get(backend or "")
    return {
        "backend": backend,
        "model": model,
        "embeddings": settings.embeddings,
        "top_k": settings.top_k,
        "answer_passages": settings.passages_for(backend) if backend else None,
        "sources_dir": settings.sources_dir.name,
    }


# --- the two stages ----------------------------------------------------------------------


def run_retrieval(
    items: Sequence[KnownAnswer],
    search: SearchFn,
    *,
    depth: int = RETRIEVAL_DEPTH,
    progress: Progress | None = None,
) -> list[RetrievalRecord]:
    """Search every answerable item (follow-ups by their standalone form)."""
    answerable = [item for item in items if item.answerable]
    records = []
    for done, item in enumerate(answerable, start=1):
        start = time.perf_counter()
        passages = search(item.retrieval_query, depth)
        seconds = time.perf_counter() - start
        ranked = tuple((p.file, p.paragraph, p.text) for p in passages)
        records.append(RetrievalRecord(item, ranked, seconds))
        if progress:
            progress("retrieval", done, len(answerable))
    return records


def _consume(stream: Iterable[str | Answer]) -> tuple[Answer, float | None]:
    """Drain a stream of text chunks ending in an Answer; time to the first chunk from now."""
    start = time.perf_counter()
    first: float | None = None
    final: Answer | None = None
    for chunk in stream:
        if isinstance(chunk, str):
            if first is None and chunk.strip():
                first = time.perf_counter() - start
        elif isinstance(chunk, Answer):
            final = chunk
    if final is None:
        raise QAError("the answer stream ended without a final Answer")
    return final, first


class Checkpoint:
    """Answers of a run, appended to a JSONL file as they come, so a killed run can resume.

    A long run (the local model over the whole set) can be interrupted; ``resume=True`` reuses
    the answers already recorded for the same backend and question, and asks only the rest.
    Items that failed with an error are asked again.
    """

    def __init__(self, path: Path, backend: str, *, resume: bool = False) -> None:
        self.path = path
        self.backend = backend
        self.done: dict[str, dict[str, Any]] = {}
        if resume and path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:  # the line being written when the run was killed
                    continue
                if row.get("backend") == backend and row.get("error") is None:
                    self.done[row["id"]] = row
            log.info("resuming: %d answers already in %s", len(self.done), path)
        else:
            path.unlink(missing_ok=True)

    def restore(self, item: KnownAnswer) -> tuple[AnswerOutcome, dict[str, Any]] | None:
        row = self.done.get(item.id)
        if (
            row is None
            or row["question"] != item.question
            or row["history"] != [list(h) for h in item.history]
        ):
            return None
        citations = tuple((str(f), int(n), str(t)) for f, n, t in row["citations"])
        outcome = AnswerOutcome(
            item,
            row["text"],
            row["found"],
            citations,
            row["answer_lang"],
            row["seconds"],
            row["first_token_seconds"],
            abstention_reason=row.get("abstention_reason"),
            foreign_words={lang: tuple(words) for lang, words in (row.get("foreign_words") or {}).items()},
        )
        return outcome, row["details"]

    def record(self, outcome: AnswerOutcome, details: dict[str, Any] | None) -> None:
        row = {
            "backend": self.backend,
            "id": outcome.item.id,
            "question": outcome.item.question,
            "history": [list(h) for h in outcome.item.history],
            "text": outcome.text,
            "found": outcome.found,
            "citations": [list(c) for c in outcome.citations],
            "answer_lang": outcome.answer_lang,
            "seconds": outcome.seconds,
            "first_token_seconds": outcome.first_token_seconds,
            "error": outcome.error,
            "abstention_reason": outcome.abstention_reason,
            "foreign_words": {lang: list(words) for lang, words in outcome.foreign_words.items()},
            "details": details,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")

    def finish(self) -> None:
        """The run is complete (its report holds everything): drop the file."""
        self.path.unlink(missing_ok=True)


def _ask(item: KnownAnswer, stream: StreamFn) -> tuple[AnswerOutcome, dict[str, Any]]:
    """One answer, reduced to an outcome plus the details a report shows. QAError propagates."""
    start = time.perf_counter()
    answer, first = _consume(stream(item.question, list(item.history)))
    seconds = time.perf_counter() - start
    citations = tuple((c.file, c.paragraph, c.text) for c in answer.citations)
    outcome = AnswerOutcome(
        item,
        answer.text,
        answer.found,
        citations,
        answer_language(answer.text),
        seconds,
        first,
        abstention_reason=answer.abstention_reason,
        foreign_words={lang: tuple(words) for lang, words in answer.foreign_words.items()},
    )
    details = {
        "backend": answer.backend,
        "fallback": answer.fallback,
        "fallback_reason": getattr(answer, "fallback_reason", None),
        "standalone_question": answer.standalone_question,
        "timings": dict(answer.timings),
    }
    return outcome, details


def run_answers(
    items: Sequence[KnownAnswer],
    stream: StreamFn,
    *,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> tuple[list[AnswerOutcome], dict[str, dict[str, Any]]]:
    """Ask every item (with its history) and reduce each reply to an AnswerOutcome.

    An item whose backend call fails is recorded as an error and the run goes on, unless the
    first few items asked all fail: then the backend is down and that error is raised.
    """
    outcomes: list[AnswerOutcome] = []
    details: dict[str, dict[str, Any]] = {}
    asked_errors: list[bool] = []
    for done, item in enumerate(items, start=1):
        restored = checkpoint.restore(item) if checkpoint else None
        detail: dict[str, Any] | None
        if restored is not None:
            outcome, detail = restored
        else:
            start = time.perf_counter()
            try:
                outcome, detail = _ask(item, stream)
            except QAError as exc:
                log.warning("%s: %s", item.id, exc)
                error = f"{type(exc).__name__}: {exc}"
                outcome = AnswerOutcome(
                    item, "", False, (), None, time.perf_counter() - start, None, error=error
                )
                detail = None
                if len(asked_errors) == _FAIL_FAST_AFTER - 1 and all(asked_errors):
                    raise
            asked_errors.append(outcome.error is not None)
            if checkpoint:
                checkpoint.record(outcome, detail)
        outcomes.append(outcome)
        if detail is not None:
            details[item.id] = detail
        if progress:
            progress("answers", done, len(items))
    return outcomes, details


# --- breakdowns ---------------------------------------------------------------------------


def _group_metrics(records: Sequence[RetrievalRecord], outcomes: Sequence[AnswerOutcome]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    if records:
        ranks = [r.rank for r in records]
        metrics["recall@5"] = sum(r is not None and r <= K for r in ranks) / len(ranks)
        metrics["mrr"] = sum(1 / r for r in ranks if r is not None and r <= K) / len(ranks)
    if outcomes:
        scored = answer_metrics(outcomes)
        for name in ("accuracy", "evidence_accuracy", "abstention", "citation_precision", "language_match"):
            metrics[name] = scored[name]
        if not any(o.item.answerable for o in outcomes):
            for name in ("accuracy", "evidence_accuracy", "citation_precision"):
                metrics.pop(name)
        if all(o.item.answerable for o in outcomes):
            metrics.pop("abstention")
    metrics["n"] = float(len({r.item.id for r in records} | {o.item.id for o in outcomes}))
    return metrics


def breakdowns(
    records: Sequence[RetrievalRecord], outcomes: Sequence[AnswerOutcome]
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Metrics per question language and per article (items whose evidence is in that article)."""
    langs: list[str] = sorted({r.item.lang for r in records} | {o.item.lang for o in outcomes})
    by_language = {
        lang: _group_metrics(
            [r for r in records if r.item.lang == lang], [o for o in outcomes if o.item.lang == lang]
        )
        for lang in langs
    }
    files = sorted(
        {ev.file for r in records for ev in r.item.evidence}
        | {ev.file for o in outcomes for ev in o.item.evidence}
    )

    def about(item: KnownAnswer, file: str) -> bool:
        return any(ev.file == file for ev in item.evidence)

    by_article = {
        file: _group_metrics(
            [r for r in records if about(r.item, file)], [o for o in outcomes if about(o.item, file)]
        )
        for file in files
    }
    return by_language, by_article


def latency_summary(
    records: Sequence[RetrievalRecord], outcomes: Sequence[AnswerOutcome]
) -> dict[str, float | None]:
    answered = [o for o in outcomes if o.error is None]
    firsts = [o.first_token_seconds for o in answered if o.first_token_seconds is not None]
    return {
        "retrieval_p50": percentile([r.seconds for r in records], 50),
        "retrieval_p95": percentile([r.seconds for r in records], 95),
        "answer_p50": percentile([o.seconds for o in answered], 50),
        "answer_p95": percentile([o.seconds for o in answered], 95),
        "first_token_p50": percentile(firsts, 50),
        "first_token_p95": percentile(firsts, 95),
    }


# --- entry points --------------------------------------------------------------------------


def run_evaluation(
    items: Sequence[KnownAnswer],
    search: SearchFn,
    stream: StreamFn | None,
    *,
    backend: str | None,
    settings: Settings | None = None,
    set_path: Path = DEFAULT_PATH,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> EvalReport:
    """Score retrieval and, when ``stream`` is given, answers. Pure wiring of the stages above."""
    started = datetime.now(UTC)
    clock = time.perf_counter()
    records = run_retrieval(items, search, progress=progress)
    retrieval = retrieval_metrics([r.item for r in records], {r.item.id: r.ranked for r in records}, k=K)
    outcomes: list[AnswerOutcome] = []
    details: dict[str, dict[str, Any]] = {}
    answers = None
    if stream is not None:
        outcomes, details = run_answers(items, stream, progress=progress, checkpoint=checkpoint)
        answers = answer_metrics(outcomes)
    by_language, by_article = breakdowns(records, outcomes)
    return EvalReport(
        set_path=set_path.name,
        backend=backend if stream is not None else None,
        started=started.isoformat(timespec="seconds"),
        machine=machine_description(local_model=backend == "local" and stream is not None),
        settings=_settings_summary(settings, backend if stream is not None else None),
        retrieval=retrieval,
        retrieval_records=records,
        answers=answers,
        outcomes=outcomes,
        answer_details=details,
        latency=latency_summary(records, outcomes),
        by_language=by_language,
        by_article=by_article,
        duration_seconds=time.perf_counter() - clock,
    )


def real_stream(settings: Settings) -> StreamFn:
    """``qa.answering.stream_answer`` bound to ``settings`` (and to the shared retriever)."""
    from qa.answering import stream_answer
    from qa.retrieve import get_retriever

    retriever = get_retriever(settings)

    def stream(question: str, history: History) -> Iterator[str | Answer]:
        return iter(stream_answer(question, history or None, settings=settings, retriever=retriever))

    return stream


def real_search(settings: Settings) -> SearchFn:
    """``qa.search`` with ``settings``: the shared retriever (which builds or refreshes its index
    on first use), reranked by the language model under ``QA_RERANK=llm``."""
    from qa.retrieve import get_retriever
    from qa.retrieve import search as search_with

    get_retriever(settings)

    def search(question: str, k: int) -> Sequence[Passage]:
        return search_with(question, k, settings=settings)

    return search


def evaluate(
    settings: Settings,
    *,
    backend: str | None = None,
    only_retrieval: bool = False,
    set_path: Path = DEFAULT_PATH,
    limit: int | None = None,
    progress: Progress | None = None,
    checkpoint: Path | None = None,
    resume: bool = False,
) -> EvalReport:
    """Run the known-answers set with the real retriever and the chosen backend.

    With ``checkpoint``, answers are recorded in that file as they come (and, with ``resume``,
    those of an interrupted run are reused); the file is removed when the run completes.
    """
    items = load_known_answers(set_path)
    if limit is not None:
        items = items[:limit]
    chosen = backend or settings.llm_backend
    run_settings = settings.model_copy(update={"llm": chosen})
    stream = None if only_retrieval else real_stream(run_settings)
    saved = Checkpoint(checkpoint, chosen, resume=resume) if checkpoint and stream else None
    report = run_evaluation(
        items,
        real_search(run_settings),
        stream,
        backend=chosen,
        settings=run_settings,
        set_path=set_path,
        progress=progress,
        checkpoint=saved,
    )
    if saved is not None:
        saved.finish()
    return report
