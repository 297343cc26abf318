"""Experiment: show the local model the question in English (translated by the model itself).

    .venv/bin/python benchmarks/english_pivot.py [--mode english|both] [--report DIR] [--limit N]

On the known-answers set the bundled 1.5B model answers English questions far more often right
than German, Dutch or Swedish ones (2026-12-04: accuracy 0.82 in English, 0.54–0.57 in those
three), with the same articles behind them. Here a question not in English is first translated
into English by the same model (``prompts/translate.txt``), and the answer prompt shows the model
the English version (``--mode english``) or both versions (``--mode both``); the answer is still
asked for in the question's language, retrieval still uses the original question, and every check
(names, repeats-the-question, language) still reads the original. Translations are cached in the
report folder, so a second run only answers; their time is recorded on the answers
(``timings["pivot"]``) and counted into the time to the first token.

Writes the usual report (report.json, report.md, chart.png) into DIR (default
``reports/english-pivot-<mode>``) so it can be compared item by item with ``qa eval --backend
local``. This is an experiment, not part of the pipeline: see README "Answers and backends".
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import qa.answering as answering
from qa.config import PROJECT_ROOT, Settings
from qa.eval import Checkpoint, real_search, real_stream, run_evaluation
from qa.evalset import DEFAULT_PATH, load_known_answers
from qa.models import Answer
from qa.prompts import render
from qa.report import console_tables, write_report


class Pivot:
    """Questions translated into English by the model, cached on disk."""

    def __init__(self, path: Path, mode: str) -> None:
        self.path = path
        self.mode = mode
        self.cache: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}

    def english(self, question: str, model: Any, settings: Settings) -> tuple[str, float]:
        if question in self.cache:
            return self.cache[question], 0.0
        t = time.perf_counter()
        prompt = render("translate", text=question, language="English")
        raw = "".join(answering._chat(model, [("user", prompt)], settings))
        seconds = time.perf_counter() - t
        text = answering._unwrap(raw).strip() or question
        self.cache[question] = text
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.cache, ensure_ascii=False, indent=1))
        return text, seconds

    def shown(self, original: str, english: str) -> str:
        if self.mode == "english":
            return english
        return f"{original}\n(In English: {english})"


PIVOT: Pivot | None = None


class PivotRun(answering._Run):
    """``_Run`` whose answer prompt shows the question in English when it was asked in another language."""

    def _generate(self, model: Any) -> Iterator[str | Answer]:
        assert PIVOT is not None
        if self.lang == "en":
            yield from super()._generate(model)
            return
        english, seconds = PIVOT.english(self.query, model, self.settings)
        self.timings["pivot"] = seconds
        original_build = answering.build_messages
        query = self.query

        def build(question: str, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
            shown = PIVOT.shown(question, english) if question == query else question
            return original_build(shown, *args, **kwargs)

        answering.build_messages = build  # type: ignore[assignment]
        try:
            yield from super()._generate(model)
        finally:
            answering.build_messages = original_build  # type: ignore[assignment]


def main() -> None:
    global PIVOT
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["english", "both"], default="english")
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    report_dir = args.report or PROJECT_ROOT / "reports" / f"english-pivot-{args.mode}"

    settings = Settings().model_copy(update={"llm": "local"})
    items = load_known_answers(DEFAULT_PATH)[: args.limit]
    PIVOT = Pivot(PROJECT_ROOT / "reports" / "english-pivot-translations.json", args.mode)
    answering._Run = PivotRun  # type: ignore[misc]  # the experiment's only change
    checkpoint = Checkpoint(report_dir / "answers.jsonl", "local", resume=True)

    def progress(stage: str, done: int, total: int) -> None:
        print(f"\r{stage} {done}/{total}", end="", flush=True)

    report = run_evaluation(
        items,
        real_search(settings),
        real_stream(settings),
        backend="local",
        settings=settings,
        set_path=DEFAULT_PATH,
        progress=progress,
        checkpoint=checkpoint,
    )
    print()
    from rich.console import Console

    console = Console(width=120)
    for table in console_tables(report):
        console.print(table)
    for path in write_report(report, report_dir):
        print(path)


if __name__ == "__main__":
    main()
