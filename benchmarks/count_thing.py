"""Probe: how-many questions, and whether the count checks refuse their answers.

    .venv/bin/python benchmarks/count_thing.py [QUESTIONS_FILE]

Asks every question of QUESTIONS_FILE (one per line) once through the configured backend with the
model-read count check (qa.counting, ``check_counts="off"``) and the counts-in-words rule
(``qa.grounding.unsupported_numerals``) off, then runs both on each answer (the model check with
the answer's own citations, the words rule with the sources the model was shown), and prints the
answer, what each would do, and the time the model check took. One run tells both: the checks
only read the answer, so applying them afterwards gives what the pipeline with them on would
have done.

Question files: ``benchmarks/count_thing_questions.txt`` (default; written before the model
check: six questions the articles answer with a count, six about things they do not count),
``numeral_questions.txt`` (written before the words rule was run on it), and the earlier
``count_kind_questions.txt`` and ``how_many_questions.txt``, which showed the fault (so they are
not a test of it).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from common import percentiles, questions_from_command_line
from rich.console import Console
from rich.table import Table

import qa
import qa.answering as answering
from qa.config import load_settings
from qa.counting import check_counts
from qa.grounding import unsupported_numerals
from qa.llm import get_chat_model
from qa.retrieve import get_retriever

DEFAULT_QUESTIONS = Path(__file__).with_name("count_thing_questions.txt")


def main() -> int:
    questions = questions_from_command_line(__doc__.split("\n\n")[0], DEFAULT_QUESTIONS)
    settings = load_settings().model_copy(update={"check_counts": "off"})
    retriever = get_retriever(settings)
    model = get_chat_model(settings)
    answering.unsupported_numerals = lambda answer, sources, question="": []  # applied below
    table = Table("question", "answer with the checks off", "model check", "words rule")
    answered = refused = refused_words = 0
    seconds = []
    for question in questions:
        result = qa.answer(question, settings=settings, retriever=retriever)
        verdict = words = ""
        if result.found:
            answered += 1
            t = time.perf_counter()
            found = check_counts(result.text, question, list(result.citations), model, settings)
            seconds.append(time.perf_counter() - t)
            refused += bool(found)
            verdict = "refuses: " + "; ".join(m.describe() for m in found) if found else "keeps it"
            verdict += f" ({seconds[-1]:.1f} s)"
            shown = [
                p.text for p in retriever.search(question, settings.top_k)[: settings.passages_for("local")]
            ]
            unsupported = unsupported_numerals(result.text, shown, question)
            refused_words += bool(unsupported)
            words = "refuses: " + ", ".join(unsupported) if unsupported else "keeps it"
        table.add_row(
            question,
            f"answered: {result.text}" if result.found else f"abstained ({result.abstention_reason})",
            verdict,
            words,
        )
    console = Console(width=160)
    console.print(table)
    console.print(
        f"{answered} of {len(questions)} answered with the checks off; "
        f"the model check refuses {refused}, the words rule {refused_words}"
    )
    if seconds:
        p50, p95 = percentiles(seconds)
        console.print(f"check time per answered question: p50 {p50:.2f} s, p95 {p95:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
