"""Probe: how-many questions kept out of the known-answers set, and what the count check does to them.

    .venv/bin/python benchmarks/how_many.py [QUESTIONS_FILE]

Asks every question of QUESTIONS_FILE (one per line; default ``benchmarks/how_many_questions.txt``:
twelve questions written after the check was designed, the first six answered by the articles with a
count, the last six not answered by them) once through the configured backend, with the check that
an answer to a how-many question gives a count turned off, and prints each answer, why the bot
abstained, and whether the check would have turned the answer into an abstention. (Asking each
question twice, with the check off and on, does not compare like with like: the local model can
give another reply to the same prompt once llama.cpp has cached it.) See README "Answers and
backends".
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
    check = answering.misses_quantity
    answering.misses_quantity = lambda answer, question: False  # the probe applies it below
    table = Table("question", "answer with the check off", "check")
    answered = caught = 0
    for question in questions:
        result = qa.answer(question, settings=settings, retriever=retriever)
        fires = result.found and check(result.text, question)
        answered += result.found
        caught += fires
        table.add_row(
            question,
            f"answered: {result.text}" if result.found else f"abstained ({result.abstention_reason})",
            "abstains" if fires else "",
        )
    console = Console(width=160)
    console.print(table)
    console.print(
        f"{answered} of {len(questions)} answered with the check off; it turns {caught} into abstentions"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
