"""Shared by the experiment scripts in this folder (run as ``python benchmarks/NAME.py``, which puts
this folder on ``sys.path``): reading a probe's questions, running the evaluation of the local
backend with whatever an experiment changed, and the corpus as the offline replicas of
`qa.rank` read it."""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
from rich.console import Console
from rich.table import Table

import qa
from qa.config import PROJECT_ROOT, Settings, load_settings
from qa.corpus import Paragraph
from qa.embeddings import SparseVector, TextEmbedder
from qa.eval import evaluate
from qa.evalset import DEFAULT_PATH, KnownAnswer, load_known_answers
from qa.index import split_sentences
from qa.models import Answer
from qa.report import console_tables, write_report
from qa.retrieve import Retriever, get_retriever


def percentiles(samples: Sequence[float]) -> tuple[float, float]:
    """p50 and p95 (nearest rank) of ``samples``."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def questions_from_command_line(description: str, default: Path) -> list[str]:
    """The questions of the file named on the command line (one per line; ``default`` when none)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("questions", nargs="?", type=Path, default=default)
    args = parser.parse_args()
    lines = args.questions.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


def ask_in_modes(
    questions: list[str],
    modes: Mapping[str, Callable[[str], Answer]],
    *,
    extra: tuple[str, Callable[[str], str]] | None = None,
    reasons: bool = False,
) -> None:
    """Ask every question once per mode (a name and how to answer in it), then print a table of
    the answers (an ``extra`` column, by question, when given; with ``reasons``, why each
    abstention happened) and how many questions each mode answered."""
    columns = ["question", *([extra[0]] if extra else []), *modes]
    table = Table(*columns)
    answered = dict.fromkeys(modes, 0)
    for question in questions:
        cells = [question, *([extra[1](question)] if extra else [])]
        for mode, ask in modes.items():
            result = ask(question)
            answered[mode] += result.found
            why = f" ({result.abstention_reason})" if reasons and not result.found else ""
            cells.append(("answered: " if result.found else "abstained: ") + result.text + why)
        table.add_row(*cells)
    console = Console()
    console.print(table)
    for mode, count in answered.items():
        console.print(f"{mode}: {count} of {len(questions)} questions answered")


def ask_with_setting(
    questions: list[str], setting: str, values: Mapping[str, object], *, reasons: bool = False
) -> None:
    """Ask every question through the configured backend once per value of ``setting`` (a
    :class:`qa.config.Settings` field; ``values`` maps a column's label to the value), one
    retriever for all, and print the answers side by side (see :func:`ask_in_modes`)."""
    configured = {label: load_settings(**{setting: value}) for label, value in values.items()}
    retriever = get_retriever(next(iter(configured.values())))

    def asker(settings: Settings) -> Callable[[str], Answer]:
        return lambda question: qa.answer(question, settings=settings, retriever=retriever)

    ask_in_modes(
        questions, {label: asker(settings) for label, settings in configured.items()}, reasons=reasons
    )


def ask_with_rules_off_and_on(
    questions: list[str],
    patches: Mapping[str, object],
    *,
    extra: tuple[str, Callable[[str], str]] | None = None,
) -> None:
    """Ask every question through the configured backend with the answer stage's rules named in
    ``patches`` (a name in ``qa.answering`` and what it returns when patched out) off, then as
    shipped, and print both answers with the reasons for each abstention (see :func:`ask_in_modes`)."""
    settings = load_settings()
    retriever = get_retriever(settings)

    def shipped(question: str) -> Answer:
        return qa.answer(question, settings=settings, retriever=retriever)

    def off(question: str) -> Answer:
        with contextlib.ExitStack() as stack:
            for name, value in patches.items():
                stack.enter_context(mock.patch(f"qa.answering.{name}", return_value=value))
            return shipped(question)

    label = "rule" if len(patches) == 1 else "rules"
    ask_in_modes(questions, {f"{label} off": off, f"{label} on": shipped}, extra=extra, reasons=True)


def backend_server(settings: Settings, api_key: str | None = None) -> Any:
    """A llama.cpp server of the experiment's own (not the backend's per-process shared one) with
    the local backend's parameters: its model, context size, threads and prompt-cache size; on a
    free loopback port (``.listening_address``), requiring ``api_key`` when one is given."""
    from qa.local_llm import DEFAULT_CTX, default_threads, start_server
    from qa.local_model import model_path

    return start_server(
        model_path(settings),
        n_ctx=DEFAULT_CTX,
        threads=default_threads(settings),
        port=0,
        api_key=api_key,
        cache_mib=settings.local_cache_mib,
    )


def evaluate_local(report_dir: Path, limit: int | None = None, set_path: Path = DEFAULT_PATH) -> None:
    """``qa eval --backend local --resume --report REPORT_DIR [--set SET_PATH]`` in this process,
    so that what the calling experiment patched (e.g. ``qa.answering._Run``) is what answers;
    prints the tables."""

    def progress(stage: str, done: int, total: int) -> None:
        print(f"\r{stage} {done}/{total}", end="", flush=True)

    report = evaluate(
        Settings(),
        backend="local",
        limit=limit,
        progress=progress,
        set_path=set_path,
        checkpoint=report_dir / "answers.partial.jsonl",
        resume=True,
    )
    print()
    console = Console(width=120)
    for table in console_tables(report):
        console.print(table)
    for path in write_report(report, report_dir):
        print(path)


def read_rows(path: Path) -> dict[str, dict[str, Any]]:
    """The rows an experiment's collector already stored in ``path`` (JSON lines), by ``id``; the
    folder is created, so a first run can append to it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        return {}
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
    return {row["id"]: row for row in rows}


def append_row(path: Path, row: dict[str, Any]) -> None:
    """Store one collected row, so an interrupted run resumes after it."""
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")


@dataclass
class ReplicaCorpus:
    """The seed articles as the exact offline replicas of `qa.rank` read them (``sentence_windows.py``,
    ``query_reduction.py``): each indexed paragraph's key, text, language, latent terms and sentences,
    and a retriever over a fresh index to check the replica against ``qa.search``."""

    retriever: Retriever
    paragraphs: list[Paragraph]
    keys: list[tuple[str, int]]
    texts: list[str]
    langs: list[str]
    sparse_docs: list[SparseVector]
    sentences: list[list[str]]

    @property
    def embedder(self) -> TextEmbedder:
        return self.retriever.embedder

    def searched(self, question: str, k: int = 5) -> list[tuple[str, int, str]]:
        """``qa.search``'s top ``k`` as (file, paragraph, text), for the replica to reproduce."""
        return [(p.file, p.paragraph, p.text) for p in self.retriever.search(question, k=k)]

    def top(self, scores: np.ndarray, k: int = 5) -> list[tuple[str, int, str]]:
        """The ``k`` paragraphs of highest ``scores`` (ties by key), as (file, paragraph, text)."""
        order = sorted(range(len(self.keys)), key=lambda i: (-scores[i], self.keys[i]))[:k]
        return [(*self.keys[i], self.texts[i]) for i in order]


@contextlib.contextmanager
def replica_corpus() -> Iterator[ReplicaCorpus]:
    """A :class:`ReplicaCorpus` of ``seeds/``, indexed in a temporary folder removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            sources_dir=PROJECT_ROOT / "seeds", index_dir=Path(tmp) / "index", llm="extractive"
        )
        retriever = Retriever(settings)
        paragraphs = retriever.corpus.content_paragraphs()
        texts = [p.text for p in paragraphs]
        yield ReplicaCorpus(
            retriever=retriever,
            paragraphs=paragraphs,
            keys=[(p.file, p.number) for p in paragraphs],
            texts=texts,
            langs=[p.lang for p in paragraphs],
            sparse_docs=retriever.embedder.sparse_documents(texts),
            sentences=[split_sentences(text) for text in texts],
        )


def answerable_items(eval_set: Path) -> list[KnownAnswer]:
    return [item for item in load_known_answers(eval_set) if item.answerable]
