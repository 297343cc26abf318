"""Probe: questions with a number in them, each answered with the number rules off and on.

    .venv/bin/python benchmarks/question_numbers.py [QUESTIONS_FILE]

The rules: a question anchored to a year no article states gets an abstention
(``qa.grounding.unknown_question_years``), and so does an answer that takes a number of the
question no source states without giving a number of the sources (``echoes_question_number``),
a count whose number a cited same-language paragraph uses for something else
(``recounts_a_source``), and a date whose day and year no one source states together
(``spliced_dates``).
Asks every question of QUESTIONS_FILE (one per line; default ``benchmarks/number_questions.txt``:
twelve questions written before the year rule was built, kept out of the known-answers set; eight
anchored to a year no article states, the others with a comparison, a background figure or a
numeric date; ``benchmarks/number_premise_questions.txt``: twelve yes/no questions with a count,
half of them a false premise, written before the echo rule was built;
``benchmarks/date_questions.txt``: fourteen questions asking when, written before the date rule
was built) twice through the configured backend: with the four rules patched out and as
shipped. Prints a table of both answers with the reasons for each abstention, the years the
question has that no article states, and counts the answers each way. See README "Answers and
backends".
"""

from __future__ import annotations

import sys
from pathlib import Path
from unittest import mock

from common import ask_in_modes, questions_from_command_line

import qa
from qa.config import load_settings
from qa.grounding import corpus_years, years_in
from qa.retrieve import get_retriever

DEFAULT_QUESTIONS = Path(__file__).with_name("number_questions.txt")


def main() -> int:
    questions = questions_from_command_line(__doc__.split("\n\n")[0], DEFAULT_QUESTIONS)
    settings = load_settings()
    retriever = get_retriever(settings)
    known = corpus_years(retriever.corpus)

    def rules_off(question: str) -> qa.Answer:
        with (
            mock.patch("qa.answering.unknown_question_years", return_value=set()),
            mock.patch("qa.answering.echoes_question_number", return_value=set()),
            mock.patch("qa.answering.recounts_a_source", return_value=[]),
            mock.patch("qa.answering.spliced_dates", return_value=[]),
        ):
            return qa.answer(question, settings=settings, retriever=retriever)

    ask_in_modes(
        questions,
        {"rules off": rules_off, "rules on": lambda q: qa.answer(q, settings=settings, retriever=retriever)},
        extra=("years in no article", lambda q: ", ".join(sorted(years_in(q) - known)) or "-"),
        reasons=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
