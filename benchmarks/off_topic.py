"""Probe: off-topic questions, each answered with the full-name check off and on.

    .venv/bin/python benchmarks/off_topic.py [QUESTIONS_FILE]

Asks every question of QUESTIONS_FILE (one per line; default ``benchmarks/off_topic_questions.txt``,
twelve questions none of the articles answers, written after the name check was designed and kept
out of the known-answers set) twice through the configured backend: with
``QA_CHECK_NAMES=off`` and with the default ``corpus`` check. Prints a table of both answers and
counts the questions that got an answer, which for these questions is always an answer from
outside the articles. See README "Answers and backends".
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import questions_from_command_line
from rich.console import Console
from rich.table import Table

import qa
from qa.config import load_settings
from qa.retrieve import get_retriever

DEFAULT_QUESTIONS = Path(__file__).with_name("off_topic_questions.txt")


def main() -> int:
    questions = questions_from_command_line(__doc__.split("\n\n")[0], DEFAULT_QUESTIONS)
    modes = {"off": load_settings(check_names="off"), "corpus": load_settings(check_names="corpus")}
    retriever = get_retriever(modes["corpus"])
    table = Table("question", *(f"check {mode}" for mode in modes))
    answered = dict.fromkeys(modes, 0)
    for question in questions:
        cells = []
        for mode, settings in modes.items():
            result = qa.answer(question, settings=settings, retriever=retriever)
            answered[mode] += result.found
            cells.append(("answered: " if result.found else "abstained: ") + result.text)
        table.add_row(question, *cells)
    console = Console()
    console.print(table)
    for mode, count in answered.items():
        console.print(f"check {mode}: {count} of {len(questions)} off-topic questions answered")
    return 0


if __name__ == "__main__":
    sys.exit(main())
