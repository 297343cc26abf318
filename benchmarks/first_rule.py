"""Probe: questions about a first, answered with the first rule off and on.

    .venv/bin/python benchmarks/first_rule.py [QUESTIONS_FILE]

The rule (``qa.grounding.unsupported_first``): an answer to a question about who or what came
first ("Which country was the first to sign …?", "… en premier ?", "am ersten Tag") must cite a
paragraph that speaks of a first; otherwise it is an abstention. Asks every question of
QUESTIONS_FILE (one per line; default ``benchmarks/first_questions.txt``: sixteen questions, the
first eight answered by the articles, the last eight not, written before the rule was built)
twice through the configured backend, with the rule patched out and as shipped, and prints both
answers with the reasons for each abstention. See docs/answering.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import ask_with_rules_off_and_on, questions_from_command_line

DEFAULT_QUESTIONS = Path(__file__).with_name("first_questions.txt")


def main() -> int:
    questions = questions_from_command_line(__doc__.split("\n\n")[0], DEFAULT_QUESTIONS)
    ask_with_rules_off_and_on(questions, {"unsupported_first": False})
    return 0


if __name__ == "__main__":
    sys.exit(main())
