"""Which of the shown sources should an answer cite? Stored answers, re-cited by several rules.

The local model often cites a source that does not state its answer while another source it was
shown does (it copied "Azië-Pacific" from source 1 and cited source 2). This replays a stored
run's answers (``qa eval --report DIR``'s report.json) with the sources the model was shown
(retrieved again: retrieval is deterministic) and scores each citation rule on the answerable
items the model answered: citation precision (cited paragraphs holding an evidence phrase) and
recall (answers with at least one such citation), over all of them, the right ones, and the odd
and even halves of the set.

    .venv/bin/python benchmarks/citation_choice.py [reports/local/report.json] [--show]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from qa.answering import full_paragraph
from qa.config import load_settings
from qa.embeddings import TextEmbedder
from qa.evalset import is_hit, load_known_answers
from qa.grounding import prune_citations, support_score
from qa.index import split_sentences
from qa.lang import fold
from qa.models import Passage
from qa.retrieve import get_retriever

Rule = Callable[[str, str, list[Passage], list[Passage]], list[Passage]]


def shipped(question: str, answer: str, shown: list[Passage], cited: list[Passage]) -> list[Passage]:
    return cited


def _verbatim_words(answer: str, question: str) -> set[str]:
    """Words of the answer worth finding verbatim: 7+ letters or with a hyphen, not in the question."""
    asked = set(fold(question).split())
    words = {w.strip(".,;:!?'\"()«»„“”") for w in fold(answer).split()}
    return {w for w in words if (len(w) >= 7 or "-" in w) and w not in asked}


def verbatim(question: str, answer: str, shown: list[Passage], cited: list[Passage]) -> list[Passage]:
    """A shown source holding more of the answer's long words verbatim than every cited one
    replaces them."""
    words = _verbatim_words(answer, question)
    if not words:
        return cited

    def held(p: Passage) -> int:
        text = fold(p.text)
        return sum(w in text for w in words)

    best = max(shown, key=held)
    if held(best) > max((held(p) for p in cited), default=0):
        return [best]
    return cited


def lexical_swap(question: str, answer: str, shown: list[Passage], cited: list[Passage]) -> list[Passage]:
    """A shown, uncited source with twice the support of every cited one replaces them."""
    top = max((support_score(answer, p) for p in cited), default=0.0)
    best = max(shown, key=lambda p: support_score(answer, p))
    if best not in cited and support_score(answer, best) >= 2 * top and support_score(answer, best) > 0:
        return [best]
    return cited


def lexical_all(question: str, answer: str, shown: list[Passage], cited: list[Passage]) -> list[Passage]:
    """prune_citations over every shown source, cited ones first."""
    order = cited + [p for p in shown if p not in cited]
    return prune_citations(answer, order)


class Dense:
    """e5: the question and answer together as a query, each shown source scored by its best
    sentence; cited sources within ``margin`` of the best are kept, else the best replaces them."""

    def __init__(self, embedder: TextEmbedder, margin: float, *, with_question: bool = True) -> None:
        self.embedder = embedder
        self.margin = margin
        self.with_question = with_question
        self.cache: dict[str, np.ndarray] = {}

    def _sentences(self, text: str) -> np.ndarray:
        if text not in self.cache:
            self.cache[text] = self.embedder.embed_documents_array(split_sentences(text) or [text])
        return self.cache[text]

    def __call__(
        self, question: str, answer: str, shown: list[Passage], cited: list[Passage]
    ) -> list[Passage]:
        query = self.embedder.embed_query_array(f"{question} {answer}" if self.with_question else answer)
        scores = {p.label: float(np.max(self._sentences(p.text) @ query)) for p in shown}
        best = max(shown, key=lambda p: scores[p.label])
        kept = [p for p in cited if scores[p.label] >= scores[best.label] - self.margin]
        return kept or [best]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", type=Path, default=Path("reports/local/report.json"))
    parser.add_argument(
        "--show", action="store_true", help="print every answer whose citations a rule changes"
    )
    args = parser.parse_args()
    settings = load_settings()
    retriever = get_retriever(settings)
    items = {item.id: item for item in load_known_answers()}
    report = json.loads(args.report.read_text(encoding="utf-8"))
    embedder = retriever.embedder
    rules: dict[str, Rule] = {
        "shipped": shipped,
        "verbatim long words": verbatim,
        "lexical swap (2x)": lexical_swap,
        "prune over all shown": lexical_all,
        "e5 q+a, margin 0.00": Dense(embedder, 0.0),
        "e5 q+a, margin 0.02": Dense(embedder, 0.02),
        "e5 q+a, margin 0.05": Dense(embedder, 0.05),
        "e5 answer, margin 0.02": Dense(embedder, 0.02, with_question=False),
    }
    # per rule: per half (all, odd, even, right answers): [cited, good, answers, answers with a good one]
    tallies = {name: {k: [0, 0, 0, 0] for k in ("all", "odd", "even", "right")} for name in rules}
    console = Console()
    for position, row in enumerate(report["items"]):
        item = items.get(row["id"])
        answer = row["answer"]
        if item is None or not item.answerable or not answer["found"]:
            continue
        query = answer.get("standalone_question") or item.question
        shown = [full_paragraph(retriever, p) for p in retriever.search(query, settings.top_k)]
        shown = shown[: settings.passages_for("local")]
        by_label = {p.label: p for p in shown}
        cited = [by_label[c] for c in answer["citations"] if c in by_label]
        if len(cited) != len(answer["citations"]):
            console.print(
                f"[yellow]{row['id']}: a stored citation is not among the sources shown now; skipped"
            )
            continue
        halves = ["all", "odd" if position % 2 else "even"] + (["right"] if answer["correct"] else [])
        for name, rule in rules.items():
            chosen = rule(item.question, answer["text"], shown, cited)
            good = sum(is_hit(item, p.file, p.text) for p in chosen)
            for half in halves:
                t = tallies[name][half]
                t[0] += len(chosen)
                t[1] += good
                t[2] += 1
                t[3] += good > 0
            if args.show and name != "shipped" and [p.label for p in chosen] != answer["citations"]:
                mark = (
                    "+"
                    if good > row["answer"]["correct_citations"]
                    else "-"
                    if good < row["answer"]["correct_citations"]
                    else "="
                )
                console.print(
                    f"{mark} [bold]{name}[/] {row['id']}: {answer['text'][:90]!r}\n"
                    f"    {answer['citations']} -> {[p.label for p in chosen]}"
                )
    table = Table(
        "rule",
        "precision (all)",
        "recall (all)",
        "precision odd / even",
        "precision (right answers)",
        "recall (right)",
    )
    for name, tally in tallies.items():
        share = lambda a, b: f"{a / b:.3f}" if b else "-"  # noqa: E731
        table.add_row(
            name,
            share(tally["all"][1], tally["all"][0]),
            share(tally["all"][3], tally["all"][2]),
            f"{share(tally['odd'][1], tally['odd'][0])} / {share(tally['even'][1], tally['even'][0])}",
            share(tally["right"][1], tally["right"][0]),
            share(tally["right"][3], tally["right"][2]),
        )
    console.print(table)
    console.print(f"answers scored: {tallies['shipped']['all'][2]} (right: {tallies['shipped']['right'][2]})")


if __name__ == "__main__":
    main()
