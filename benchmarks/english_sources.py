"""Experiment: show the local model its sources translated into English.

    .venv/bin/python benchmarks/english_sources.py [--translations FILE] [--report DIR] [--limit N]

The bundled 1.5B model answers English questions right far more often than German, Dutch or
Swedish ones, and none of the five articles is in English. Translating the question into English
(``english_pivot.py``) or asking for the answer in English (``english_answer.py``) did not help.
This experiment changes only what the sources look like in the answer prompt: each paragraph's
English machine translation (``benchmarks/translate_sources.py``'s output, made once by the same
model with ``prompts/translate_paragraph.txt``) instead of the original. The question, the
requested answer language, retrieval, citations and every check (which still read the original
paragraphs) are unchanged.

Writes the usual report into DIR (default ``reports/english-sources``), comparable item by item
with ``qa eval --backend local`` (``--compare``). An experiment, not part of the pipeline.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from common import evaluate_local

import qa.answering as answering
from qa.config import PROJECT_ROOT
from qa.models import Passage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--translations", type=Path, default=PROJECT_ROOT / "reports" / "translate-sources" / "en.jsonl"
    )
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.translations.read_text(encoding="utf-8").splitlines()]
    english = {row["paragraph"]: row["text"] for row in rows}
    build = answering.build_messages

    def english_messages(
        question: str, passages: list[Passage], lang: str, source_chars: int = 500
    ) -> list[tuple[str, str]]:
        shown = [replace(p, text=english.get(p.label, p.text)) for p in passages]
        missing = [p.label for p in passages if p.label not in english]
        if missing:
            print(f"\nno translation for {missing}; shown as written")
        return build(question, shown, lang, source_chars)

    answering.build_messages = english_messages  # the experiment's only change
    evaluate_local(args.report or PROJECT_ROOT / "reports" / "english-sources", args.limit)


if __name__ == "__main__":
    main()
