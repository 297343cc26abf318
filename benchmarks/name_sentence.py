"""Experiment: does the sentence that holds an answer's name match the question best?

    .venv/bin/python benchmarks/name_sentence.py reports/local/report.json
    .venv/bin/python benchmarks/name_sentence.py benchmarks/name_questions_heldout.txt [--wrong 0]

The bundled model answers who / which-country questions the articles do not answer with a name
they mention often ("Vietnam", "To Lam", "Antonio Guterres"). Such a name stands in sentences
about something else, so the idea was: embed every sentence of the paragraphs shown to the model
(e5, as retrieval does) and ask whether a sentence holding one of the answer's names (those the
question does not already use) is the one closest to the question. Prints, for every answer to
such a question, that sentence's rank among the shown sentences and its cosine gap to the best,
and how well both separate right answers from wrong ones (ROC AUC: 0.5 is chance).

With a stored evaluation report (``report.json``), the answers are the report's and "right" is
its verdict. With a questions file (one per line; the first half answerable, the second not, as
in ``name_questions_heldout.txt``), each question is answered by the shipped pipeline (answers
cached in ``reports/name-sentence/``) and the first half counts as right, except the line
numbers (0-based) given with ``--wrong``, read and judged by a person. See benchmarks/README.md
("Salient names as answers to questions the articles do not answer").
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from confidence import auc

import qa
from qa.config import load_settings
from qa.grounding import asks_for_name, names_in
from qa.grounding.words import WORD, word_stems
from qa.index import split_sentences
from qa.lang import fold
from qa.models import Passage
from qa.retrieve import get_retriever

CACHE = Path("reports/name-sentence")


def measures(
    retriever: Any, shown: int, question: str, answer: str, passages: list[Passage]
) -> tuple[int, float]:
    """Rank (1 = closest) of the closest sentence holding one of the answer's new names among the
    sentences of the shown ``passages``, and its cosine gap to the closest of all (99, 1.0: none)."""
    sentences = [t for p in passages[:shown] for t in split_sentences(p.text)]
    embedder = retriever.embedder
    cosines = embedder.embed_documents_array(sentences) @ embedder.embed_query_array(question)
    asked = word_stems(question)
    keys = {fold(n)[:5] for n in names_in(answer) if fold(n)[:5] not in asked}
    holds = np.array([bool(keys & {fold(w)[:5] for w in WORD.findall(t)}) for t in sentences])
    if not holds.any():
        return 99, 1.0
    best_named = float(cosines[holds].max())
    return int((cosines > best_named).sum()) + 1, float(cosines.max()) - best_named


def from_report(path: Path, retriever: Any, shown: int) -> list[tuple[bool, str, str, int, float]]:
    rows = []
    for item in json.loads(path.read_text(encoding="utf-8"))["items"]:
        got = item["answer"]
        if not got or not got["found"]:
            continue
        question = got.get("standalone_question") or item["question"]
        if not (asks_for_name(question, item["lang"]) or asks_for_name(item["question"], item["lang"])):
            continue
        passages = retriever.search(question, 5)
        right = bool(item["answerable"] and got["correct"])
        rows.append(
            (right, item["id"], got["text"], *measures(retriever, shown, question, got["text"], passages))
        )
    return rows


def from_questions(
    path: Path, wrong: set[int], retriever: Any, settings: Any
) -> list[tuple[bool, str, str, int, float]]:
    questions = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    cache = CACHE / f"{path.stem}.jsonl"
    cache.parent.mkdir(parents=True, exist_ok=True)
    done = {}
    if cache.exists():
        done = {
            row["question"]: row for row in map(json.loads, cache.read_text(encoding="utf-8").splitlines())
        }
    rows = []
    for n, question in enumerate(questions):
        if question not in done:
            result = qa.answer(question, settings=settings, retriever=retriever)
            done[question] = result.to_dict() | {"sentences": [p.sentence for p in result.passages]}
            with cache.open("a", encoding="utf-8") as out:
                out.write(json.dumps(done[question], ensure_ascii=False) + "\n")
        got = done[question]
        if not got["found"]:
            print(f"abstained: {question} ({got['abstention_reason']})")
            continue
        passages = [
            Passage(p["file"], p["paragraph"], p["text"], p["score"], p["lang"], sentence=s)
            for p, s in zip(got["passages"], got["sentences"], strict=True)
        ]
        asked = got.get("standalone_question") or question
        right = n < len(questions) // 2 and n not in wrong
        rows.append(
            (
                right,
                question,
                got["text"],
                *measures(retriever, settings.passages_for("local"), asked, got["text"], passages),
            )
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="a report.json, or a questions file")
    parser.add_argument("--wrong", type=int, nargs="*", default=[], help="answerable lines answered wrongly")
    args = parser.parse_args()
    settings = load_settings()
    retriever = get_retriever(settings)
    if args.source.suffix == ".json":
        rows = from_report(args.source, retriever, settings.passages_for("local"))
    else:
        rows = from_questions(args.source, set(args.wrong), retriever, settings)
    for right, what, answer, rank, gap in sorted(rows, key=lambda row: row[4]):
        print(f"{'right' if right else 'wrong'}  rank {rank:2d}  gap {gap:.3f}  {what[:50]} | {answer[:70]}")
    right_rows = [row for row in rows if row[0]]
    wrong_rows = [row for row in rows if not row[0]]
    print(f"{len(rows)} answers: {len(right_rows)} right, {len(wrong_rows)} wrong")
    print(f"ROC AUC, rank: {auc([-r[3] for r in right_rows], [-r[3] for r in wrong_rows]):.2f}")
    print(f"ROC AUC, gap:  {auc([-r[4] for r in right_rows], [-r[4] for r in wrong_rows]):.2f}")
    kept = sum(r[3] == 1 for r in right_rows), sum(r[3] == 1 for r in wrong_rows)
    print(
        f"closest sentence holds the name: {kept[0]} of {len(right_rows)} right, {kept[1]} of {len(wrong_rows)} wrong"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
