"""Probe: questions that ask who or which country or city, answered with the name rule off and on.

    .venv/bin/python benchmarks/name_rule.py [QUESTIONS_FILE]

The rule (``qa.grounding.misses_name``): an answer to such a question that names no one and
nowhere the question does not already name is an abstention. Asks every question of
QUESTIONS_FILE (one per line; default ``benchmarks/name_questions.txt``: sixteen questions, the
first eight answered by the articles, the last eight not, written before the rule was built;
seven of the last eight were added to the known-answers set afterwards) twice through the configured backend, with the rule patched
out and as shipped, and prints both answers with the reasons for each abstention. See
docs/answering.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import ask_with_rules_off_and_on, questions_from_command_line

DEFAULT_QUESTIONS = Path(__file__).with_name("name_questions.txt")


def main() -> int:
    questions = questions_from_command_line(__doc__.split("\n\n")[0], DEFAULT_QUESTIONS)
    ask_with_rules_off_and_on(questions, {"misses_name": False})
    return 0


if __name__ == "__main__":
    sys.exit(main())
