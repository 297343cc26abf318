"""Experiment: the local model answers in plain text with [n] markers instead of grammar-bound JSON.

    .venv/bin/python benchmarks/free_text.py [--report DIR] [--limit N]

The shipped pipeline asks for ``{"answer", "sources", "found"}`` and llama.cpp's grammar forces
that shape token by token. Constrained decoding can cost a small model quality (the grammar
forbids what it would have written next, and the answer has to be written inside a JSON
string). This experiment drops the grammar and the JSON: the system prompt asks for a short
answer followed by the numbers of the sources that state it in brackets (``… [1]``), or exactly
``NOT FOUND``. The pipeline already reads such replies (``parse_reply``'s plain-text path: the
markers become citations); everything after it (source mapping, every check, the translation
step) is unchanged, as are retrieval and the sources shown.

Writes the usual report into DIR (default ``reports/free-text``), comparable item by item with
``qa eval --backend local`` (``qa compare``). This is an experiment, not part of the pipeline.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import evaluate_local

import qa.answering as answering
from qa.config import PROJECT_ROOT
from qa.grounding import ParsedReply
from qa.models import Passage

NOT_FOUND = "NOT FOUND"
JSON_RULES = (
    '2. If the sources do not state the answer, set "found" to false, leave "sources" empty and set '
    '"answer" to an empty string. A wrong answer is worse than no answer.\n'
    '3. Otherwise set "found" to true, put a short, direct answer (one or two sentences) in "answer", '
    'and list in "sources" the number of every source that states it, usually just one.'
)
TEXT_RULES = (
    f"2. If the sources do not state the answer, reply exactly {NOT_FOUND} and nothing else. "
    "A wrong answer is worse than no answer.\n"
    "3. Otherwise reply with a short, direct answer (one or two sentences), then the number of every "
    "source that states it in brackets, usually just one: The convention has 9 chapters. [1]"
)
JSON_REPLY = 'Reply with one JSON object and nothing else: {"answer": "...", "sources": [1], "found": true}'
TEXT_REPLY = "Reply with the answer and its source number(s) only."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    build, parse = answering.build_messages, answering.parse_reply

    def text_messages(
        question: str, passages: list[Passage], lang: str, source_chars: int = 500
    ) -> list[tuple[str, str]]:
        (_, system), (_, user) = build(question, passages, lang, source_chars)
        for old, new in ((JSON_RULES, TEXT_RULES), (JSON_REPLY, TEXT_REPLY)):
            if old not in system:
                raise SystemExit(f"prompts/system.txt changed; update this experiment ({old[:40]}…)")
            system = system.replace(old, new)
        user = user.replace("Reply with the JSON object.", TEXT_REPLY)
        return [("system", system), ("user", user)]

    def text_reply(raw: str) -> ParsedReply:
        if NOT_FOUND in raw.upper():
            return ParsedReply("", [], False, False)
        return parse(raw)

    answering.build_messages = text_messages
    answering.answer_schema = lambda n_sources: None  # type: ignore[assignment,return-value]  # no grammar: plain text
    answering.parse_reply = text_reply
    evaluate_local(args.report or PROJECT_ROOT / "reports" / "free-text", args.limit)


if __name__ == "__main__":
    main()
