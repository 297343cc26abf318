"""Probe: how-many and how-long questions kept out of the known-answers set, and what the count checks do to them.

    .venv/bin/python benchmarks/how_many.py [QUESTIONS_FILE]

Asks every question of QUESTIONS_FILE (one per line) once through the configured backend with the
two count checks turned off, and prints each answer, why the bot abstained, and which check would
have turned the answer into an abstention: "no count" (a how-many question answered without any
number) and "counts something else" (a how-many question answered with years only, a how-long one
with a count of something else or with no duration). One run tells both: the checks only read
the answer, so applying them afterwards gives what the pipeline with them on would have done.

Question files, each written before the check it probes and before being asked:
``benchmarks/how_many_questions.txt`` (default; the first six answered by the articles with a
count, the last six not) and ``benchmarks/count_kind_questions.txt`` (six how-long or how-many-years
questions, six how-many questions about things). See docs/answering.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import questions_from_command_line
from rich.console import Console
from rich.table import Table

import qa
import qa.answering as answering
from qa.config import load_settings
from qa.retrieve import get_retriever

DEFAULT_QUESTIONS = Path(__file__).with_name("how_many_questions.txt")


def main() -> int:
    questions = questions_from_command_line(__doc__.split("\n\n")[0], DEFAULT_QUESTIONS)
    settings = load_settings()
    retriever = get_retriever(settings)
    checks = {"no count": answering.misses_quantity, "counts something else": answering.counts_something_else}
    answering.misses_quantity = lambda answer, question: False  # the probe applies them below
    answering.counts_something_else = lambda answer, question: False
    table = Table("question", "answer with the checks off", "checks that fire")
    answered = caught = 0
    for question in questions:
        result = qa.answer(question, settings=settings, retriever=retriever)
        fired = [name for name, check in checks.items() if result.found and check(result.text, question)]
        answered += result.found
        caught += bool(fired)
        table.add_row(
            question,
            f"answered: {result.text}" if result.found else f"abstained ({result.abstention_reason})",
            ", ".join(fired),
        )
    console = Console(width=160)
    console.print(table)
    console.print(
        f"{answered} of {len(questions)} answered with the checks off; they turn {caught} into abstentions"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
