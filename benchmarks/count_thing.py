"""Probe: how-many questions, and whether the model-read count check (qa.counting) refuses their answers.

    .venv/bin/python benchmarks/count_thing.py [QUESTIONS_FILE]

Asks every question of QUESTIONS_FILE (one per line) once through the configured backend with the
check off (``check_counts="off"``), then runs the check on each answer with the answer's own
citations, and prints the answer, what the model named on each side, and the time the check took.
One run tells both: the check only reads the answer, so applying it afterwards gives what the
pipeline with it on would have done.

Question files: ``benchmarks/count_thing_questions.txt`` (default; written before the check: six
questions the articles answer with a count, six about things they do not count) and the earlier
``count_kind_questions.txt`` and ``how_many_questions.txt``, which showed the fault (so they are
not a test of it).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from common import percentiles, questions_from_command_line
from rich.console import Console
from rich.table import Table

import qa
from qa.config import load_settings
from qa.counting import check_counts
from qa.llm import get_chat_model
from qa.retrieve import get_retriever

DEFAULT_QUESTIONS = Path(__file__).with_name("count_thing_questions.txt")


def main() -> int:
    questions = questions_from_command_line(__doc__.split("\n\n")[0], DEFAULT_QUESTIONS)
    settings = load_settings().model_copy(update={"check_counts": "off"})
    retriever = get_retriever(settings)
    model = get_chat_model(settings)
    table = Table("question", "answer with the check off", "the check")
    answered = refused = 0
    seconds = []
    for question in questions:
        result = qa.answer(question, settings=settings, retriever=retriever)
        verdict = ""
        if result.found:
            answered += 1
            t = time.perf_counter()
            found = check_counts(result.text, question, list(result.citations), model, settings)
            seconds.append(time.perf_counter() - t)
            refused += bool(found)
            verdict = "refuses: " + "; ".join(m.describe() for m in found) if found else "keeps it"
            verdict += f" ({seconds[-1]:.1f} s)"
        table.add_row(
            question,
            f"answered: {result.text}" if result.found else f"abstained ({result.abstention_reason})",
            verdict,
        )
    console = Console(width=160)
    console.print(table)
    console.print(f"{answered} of {len(questions)} answered with the check off; it refuses {refused}")
    if seconds:
        p50, p95 = percentiles(seconds)
        console.print(f"check time per answered question: p50 {p50:.2f} s, p95 {p95:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
