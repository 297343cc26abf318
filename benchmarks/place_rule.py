"""Probe: questions naming countries, cities or territories, answered with the place rule off and on.

    .venv/bin/python benchmarks/place_rule.py [QUESTIONS_FILE]

Asks every question of QUESTIONS_FILE (one per line; default ``benchmarks/place_questions.txt``,
sixteen questions written before the rule existed: the first eight are answered by the articles,
two of them with a place the articles never mention as background; the last eight are not)
twice through the configured backend: with ``QA_CHECK_PLACES=off`` and with the default
``corpus`` rule (:mod:`qa.places`). Prints a table of both answers, why each abstention
happened, and how many questions each mode answered. See docs/answering.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import ask_with_setting, questions_from_command_line

DEFAULT_QUESTIONS = Path(__file__).with_name("place_questions.txt")


def main() -> int:
    questions = questions_from_command_line(__doc__.split("\n\n")[0], DEFAULT_QUESTIONS)
    ask_with_setting(questions, "check_places", {"rule off": "off", "rule on": "corpus"}, reasons=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
