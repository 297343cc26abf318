"""Experiment: let the local model write every answer in English, then translate it.

    .venv/bin/python benchmarks/english_answer.py [--report DIR] [--limit N]

The bundled 1.5B model answers English questions right far more often than German, Dutch or
Swedish ones (2026-12-05: 0.82 against 0.54–0.57) with the same articles behind them. Showing
it the question in English (``english_pivot.py``) did not help: its question translations are
poor. This experiment keeps the question as asked and changes only the language the answer
prompt asks for: always English. The pipeline's existing step then translates an answer that
is not in the question's language (``prompts/translate.txt``, with its checks), so what people
see is still in their language. Retrieval, sources and every check are unchanged.

Writes the usual report into DIR (default ``reports/english-answer``), comparable item by item
with ``qa eval --backend local``. This is an experiment, not part of the pipeline.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import evaluate_local

import qa.answering as answering
from qa.config import PROJECT_ROOT
from qa.models import Passage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    build = answering.build_messages

    def english_messages(
        question: str, passages: list[Passage], lang: str, source_chars: int = 500
    ) -> list[tuple[str, str]]:
        return build(question, passages, "en", source_chars)

    answering.build_messages = english_messages  # the experiment's only change
    evaluate_local(args.report or PROJECT_ROOT / "reports" / "english-answer", args.limit)


if __name__ == "__main__":
    main()
