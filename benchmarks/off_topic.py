"""Probe: off-topic questions, each answered with the full-name check off and on.

    .venv/bin/python benchmarks/off_topic.py [QUESTIONS_FILE]

Asks every question of QUESTIONS_FILE (one per line; default ``benchmarks/off_topic_questions.txt``,
twelve questions none of the articles answers, written after the name check was designed and kept
out of the known-answers set) twice through the configured backend: with
``QA_CHECK_NAMES=off`` and with the default ``corpus`` check. Prints a table of both answers and
counts the questions that got an answer, which for these questions is always an answer from
outside the articles. See docs/answering.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import ask_with_setting, questions_from_command_line

DEFAULT_QUESTIONS = Path(__file__).with_name("off_topic_questions.txt")


def main() -> int:
    questions = questions_from_command_line(__doc__.split("\n\n")[0], DEFAULT_QUESTIONS)
    ask_with_setting(questions, "check_names", {"check off": "off", "check corpus": "corpus"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
