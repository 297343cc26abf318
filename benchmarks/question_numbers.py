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
question has that no article states, and counts the answers each way. See docs/answering.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import ask_with_rules_off_and_on, questions_from_command_line

from qa.config import load_settings
from qa.grounding import corpus_years, years_in
from qa.retrieve import get_retriever

DEFAULT_QUESTIONS = Path(__file__).with_name("number_questions.txt")


def main() -> int:
    questions = questions_from_command_line(__doc__.split("\n\n")[0], DEFAULT_QUESTIONS)
    known = corpus_years(get_retriever(load_settings()).corpus)
    ask_with_rules_off_and_on(
        questions,
        {
            "unknown_question_years": set(),
            "echoes_question_number": set(),
            "recounts_a_source": [],
            "spliced_dates": [],
        },
        extra=("years in no article", lambda q: ", ".join(sorted(years_in(q) - known)) or "-"),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
