"""Experiment: the answer prompt's sources in reverse order, the best-ranked one last, next to the question.

    .venv/bin/python benchmarks/best_last.py [--report reports/best-last] [--limit N]

The sources are renumbered in the order shown ([1] is the third-ranked, [3] the best), and the
model's source numbers are mapped back, so citations, checks and pruning see the same sources
as shipped. Runs the whole known-answers set with the local backend in this process
(resumable) and writes a report; compare with `qa compare reports/local-… REPORT`. See
benchmarks/README.md, "Answers: what was tried".
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from common import evaluate_local

import qa.answering as answering


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, default=Path("reports/best-last"))
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()

    build_messages, map_sources = answering.build_messages, answering.map_sources

    def reversed_messages(question: str, passages: list[Any], lang: str, source_chars: int = 500) -> Any:
        return build_messages(question, list(reversed(passages)), lang, source_chars)

    def mapped_back(numbers: list[int], passages: list[Any]) -> Any:
        count = len(passages)
        return map_sources([count + 1 - n if 1 <= n <= count else n for n in numbers], passages)

    answering.build_messages = reversed_messages  # type: ignore[assignment]
    answering.map_sources = mapped_back  # type: ignore[assignment]
    evaluate_local(args.report, args.limit)


if __name__ == "__main__":
    main()
