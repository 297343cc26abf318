"""Probe: yes/no questions, answered with the unverified-yes/no rule off and on.

    .venv/bin/python benchmarks/yes_no_rule.py [QUESTIONS_FILE]

The rule (``qa.grounding.unverified_yes_no``): an answer that says yes or no to a yes/no
question and otherwise only repeats it is an abstention unless a shown source has all its
content words. Asks every question of QUESTIONS_FILE (one per line; default
``benchmarks/yes_no_questions.txt``: twelve questions, four whose premise the articles confirm,
four they contradict, four they do not answer, written and asked before the rule was built;
``benchmarks/yes_no_questions_heldout.txt`` has twelve more of the same kinds, written before the
rule was run on them) twice through the configured backend, with the rule patched out and as
shipped, and prints both answers with the reasons for each abstention. See docs/answering.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import ask_with_rules_off_and_on, questions_from_command_line

DEFAULT_QUESTIONS = Path(__file__).with_name("yes_no_questions.txt")


def main() -> int:
    questions = questions_from_command_line(__doc__.split("\n\n")[0], DEFAULT_QUESTIONS)
    ask_with_rules_off_and_on(questions, {"unverified_yes_no": False})
    return 0


if __name__ == "__main__":
    sys.exit(main())
