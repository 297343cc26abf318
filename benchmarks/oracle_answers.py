"""What the answer checks cost a model that answers right: a perfect reader behind the pipeline.

    .venv/bin/python benchmarks/oracle_answers.py [--set FILE] [--report DIR] [--limit N]

Every check in `qa.answering` was written against the bundled 1.5B model's mistakes. A
stronger model behind ``QA_LLM=openai`` would make fewer of them, and could then lose right
answers to checks that refuse them. No such model can be measured here (no API key), so this
puts the best possible reader in the model's place: for each item of the known-answers set,
the answer step's reply is written from ``benchmarks/reference_answers.jsonl`` (a short, right
answer in the question's language, written by hand from the articles for each answerable
item of the known-answers set and of the two held-out sets), citing every shown source that holds the item's evidence; when none of the shown
sources does, or the item is unanswerable, the reply is ``"found": false``. Everything else is
the shipped pipeline with the bundled model: retrieval, the follow-up condensing, the places
rule before the model, every check after it, the count check's own model call and the
translation step. So every answer lost is lost to retrieval (no evidence shown) or to a check.

``--set`` runs another set (``tests/eval/heldout.jsonl``, ``tests/eval/fresh.jsonl``).
Writes the usual report into DIR (default ``reports/oracle``); ``failing`` in ``report.md``
names the rule behind each abstention. This is an experiment, not part of the pipeline.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from common import evaluate_local

import qa.answering as answering
from qa.config import PROJECT_ROOT
from qa.evalset import DEFAULT_PATH, KnownAnswer, answer_matches, is_hit, load_known_answers
from qa.models import Passage

REFERENCES = Path(__file__).with_name("reference_answers.jsonl")


def reference_answers() -> dict[str, str]:
    """Every reference answer of ``reference_answers.jsonl``, by item id (all three sets)."""
    rows = map(json.loads, REFERENCES.read_text(encoding="utf-8").splitlines())
    return {row["id"]: row["answer"] for row in rows}


def load_references(items: Sequence[KnownAnswer]) -> dict[str, str]:
    """The reference answers of ``items`` by question; each must match its item's expected answer."""
    references: dict[str, str] = {}
    by_id = reference_answers()
    for item in items:
        if item.id not in by_id:  # unanswerable, or missing (reported below)
            continue
        if not answer_matches(item, by_id[item.id]):
            raise SystemExit(f"{item.id}: the reference answer does not match the expected answer")
        references[item.question] = by_id[item.id]
    missing = [item.id for item in items if item.answerable and item.question not in references]
    if missing:
        raise SystemExit(f"no reference answer for {missing}")
    return references


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--report", type=Path, default=PROJECT_ROOT / "reports" / "oracle")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--set", type=Path, default=DEFAULT_PATH, dest="set_path")
    args = parser.parse_args()
    items = load_known_answers(args.set_path)
    by_question = {item.question: item for item in items}
    if len(by_question) != len(items):
        raise SystemExit("two items ask the same question; the reader could not tell them apart")
    references = load_references(items)
    state: dict[str, Any] = {}

    original_answer = answering._Run.answer
    original_build = answering.build_messages
    original_chat = answering.chat

    def answer(self: answering._Run, model: Any) -> Iterator[str | answering.Answer]:
        state["item"] = by_question[self.question]
        yield from original_answer(self, model)

    def build_messages(question: str, context: list[Passage], *args: Any, **kwargs: Any) -> Any:
        state["context"] = list(context)
        return original_build(question, context, *args, **kwargs)

    def chat(model: Any, messages: Any, settings: Any, **kwargs: Any) -> Iterator[str]:
        if kwargs.get("schema") is None:  # not the answer step (the follow-up condensing): the model
            yield from original_chat(model, messages, settings, **kwargs)
            return
        item: KnownAnswer = state["item"]
        shown: list[Passage] = state["context"]
        sources = [n for n, p in enumerate(shown, start=1) if is_hit(item, p.file, p.text)]
        if item.answerable and sources:
            reply = {"answer": references[item.question], "sources": sources, "found": True}
        else:
            reply = {"answer": "", "sources": [], "found": False}
        yield json.dumps(reply, ensure_ascii=False)

    answering._Run.answer = answer  # type: ignore[method-assign]
    answering.build_messages = build_messages  # type: ignore[assignment]
    answering.chat = chat  # type: ignore[assignment]
    evaluate_local(args.report, args.limit, args.set_path)


if __name__ == "__main__":
    main()
