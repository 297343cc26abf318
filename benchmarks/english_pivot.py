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
local``. This is an experiment, not part of the pipeline: see docs/answering.md.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from common import evaluate_local

import qa.answering as answering
import qa.translation as translation
from qa.config import PROJECT_ROOT, Settings
from qa.llm import chat
from qa.models import Answer
from qa.prompts import language_name, render


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
        prompt = render(
            "translate",
            text=question,
            source=language_name(answering.question_language(question)),
            language="English",
        )
        raw = "".join(chat(model, [("user", prompt)], settings))
        seconds = time.perf_counter() - t
        text = translation.unwrap(raw).strip() or question
        self.cache[question] = text
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.cache, ensure_ascii=False, indent=1))
        return text, seconds

    def shown(self, original: str, english: str) -> str:
        if self.mode == "english":
            return english
        return f"{original}\n(In English: {english})"


class PivotRun(answering._Run):
    """``_Run`` whose answer prompt shows the question in English when it was asked in another language."""

    pivot: ClassVar[Pivot]

    def _generate(self, model: Any) -> Iterator[str | Answer]:
        if self.lang == "en":
            yield from super()._generate(model)
            return
        english, seconds = self.pivot.english(self.query, model, self.settings)
        self.timings["pivot"] = seconds
        build = answering.build_messages
        # _generate builds one answer prompt, from the question: show that prompt the pivot.
        answering.build_messages = lambda question, *args, **kwargs: build(  # type: ignore[assignment]
            self.pivot.shown(question, english), *args, **kwargs
        )
        try:
            yield from super()._generate(model)
        finally:
            answering.build_messages = build  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["english", "both"], default="english")
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    report_dir = args.report or PROJECT_ROOT / "reports" / f"english-pivot-{args.mode}"

    PivotRun.pivot = Pivot(PROJECT_ROOT / "reports" / "english-pivot-translations.json", args.mode)
    answering._Run = PivotRun  # type: ignore[misc]  # the experiment's only change
    evaluate_local(report_dir, args.limit)


if __name__ == "__main__":
    main()
