"""The local LLM as a reranker of the top 5 paragraphs (``QA_RERANK=llm``), and as an answerability signal.

    .venv/bin/python benchmarks/llm_rerank.py [--cache FILE] [--limit N] [--unit excerpt|sentence] [--lengths | --cost N]

For every item of the known-answer set (answerable and unanswerable; follow-ups by their
standalone form), ``qa.search`` gives the top 5 paragraphs. The bundled 1.5B model then reads
each paragraph (the same excerpt the answer prompt would show) with the question and is asked
whether the paragraph states the answer; its judgement is the probability of "yes" against
"no" in the first token it would write (llama.cpp's top log-probabilities; one token, greedy,
nothing else generated; ``--unit sentence``: only the paragraph's sentence that matched the
question best; these articles write long sentences, so that is 78% of the excerpt's characters,
see ``--lengths``). The prompts and the reading of the judgement are ``qa.rerank``'s. Scores are
cached in FILE (default ``reports/llm-rerank/scores.jsonl``; an interrupted run resumes).
``--lengths`` prints, without the model, how many characters each unit shows per judgement;
``--cost N`` times, over the first N questions, the five shipped judgements against one request
that shows the five excerpts numbered (what a listwise judge would read; its answer is not used).

Printed, on the answerable items (whole set and the odd/even halves): recall@1 and MRR of the
shipped order, of the LLM's order alone, and of the two fused by reciprocal rank (k = 60, the
method's usual constant; recall@5 cannot change: the same five paragraphs are reordered); the
fused order used only when retrieval is unsure (its top two scores closer than a margin; the
share of items that would pay for judgements is printed too); and
how well the best "yes" probability of an item separates answerable from unanswerable items
(ROC AUC). Also the time one judgement takes (p50/p95), which is what the pipeline would pay
per paragraph.

The end-to-end figures come from the product itself: ``QA_RERANK=llm qa eval --only retrieval``
and ``QA_RERANK=llm qa eval --backend local``. See docs/retrieval.md.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from pathlib import Path
from typing import Any

from qa.answering import excerpt
from qa.config import PROJECT_ROOT, Settings
from qa.evalset import DEFAULT_PATH, first_hit_rank, load_known_answers
from qa.index import split_sentences
from qa.llm import first_token_alternatives
from qa.local_llm import LocalChatModel
from qa.prompts import render
from qa.rerank import fuse, yes_probability
from qa.retrieve import get_retriever

K = 5
MARGINS = (0.25, 0.5, 1.0)  # in units of the retrieval score (a sum of standardised scores)


def judge(model: LocalChatModel, question: str, passage: str) -> tuple[float, float]:
    """The shipped judgement (qa.rerank's prompts and yes/no reading) and the seconds it took."""
    messages = [
        ("system", render("rerank_system")),
        ("user", render("rerank", passage=passage, question=question)),
    ]
    start = time.perf_counter()
    alternatives = first_token_alternatives(model, messages)
    return yes_probability(alternatives), time.perf_counter() - start


def shown_text(retriever: Any, settings: Settings, passage: Any, unit: str) -> tuple[str, str]:
    """A retrieved passage's whole paragraph and what the judge is shown of it under ``unit``."""
    full = retriever.corpus.paragraph(passage.file, passage.paragraph).text
    if unit == "sentence":
        sentences = split_sentences(full)
        return full, sentences[min(passage.sentence or 0, len(sentences) - 1)]
    return full, excerpt(full, passage.sentence, settings.answer_source_chars)


def lengths(settings: Settings) -> None:
    """Characters shown per judgement, by unit, over the top 5 of every item (no model)."""
    retriever = get_retriever(settings)
    shown: dict[str, list[int]] = {"excerpt": [], "sentence": []}
    for item in load_known_answers(DEFAULT_PATH):
        for p in retriever.search(item.retrieval_query, K):
            for unit, sizes in shown.items():
                sizes.append(len(shown_text(retriever, settings, p, unit)[1]))
    for unit, sizes in shown.items():
        print(
            f"{unit:8s} characters per judgement: p50 {statistics.median(sizes):.0f}, mean {statistics.mean(sizes):.0f}"
        )
    print(f"sentence / excerpt: {sum(shown['sentence']) / sum(shown['excerpt']):.2f} of the characters")


def cost(settings: Settings, n: int) -> None:
    """Seconds for the five shipped judgements of a question against one listwise request."""
    from common import percentiles

    retriever = get_retriever(settings)
    model = LocalChatModel.from_settings(settings)
    pointwise, listwise = [], []
    for item in [k for k in load_known_answers(DEFAULT_PATH) if not k.history][:n]:
        shown = [shown_text(retriever, settings, p, "excerpt")[1] for p in retriever.search(item.question, K)]
        pointwise.append(sum(judge(model, item.question, text)[1] for text in shown))
        numbered = "\n\n".join(f"[{i}] {text}" for i, text in enumerate(shown, start=1))
        listwise.append(judge(model, item.question, numbered)[1])
    for name, seconds in (("five judgements", pointwise), ("one listwise request", listwise)):
        p50, p95 = percentiles(seconds)
        print(f"{name:20s} p50 {p50:.2f} s, p95 {p95:.2f} s ({len(seconds)} questions)")


def collect(settings: Settings, path: Path, limit: int | None, unit: str = "excerpt") -> list[dict[str, Any]]:
    items = load_known_answers(DEFAULT_PATH)[:limit]
    done: dict[str, dict[str, Any]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            done[row["id"]] = row
    path.parent.mkdir(parents=True, exist_ok=True)
    retriever = get_retriever(settings)
    model = LocalChatModel.from_settings(settings)
    rows = []
    for number, item in enumerate(items, start=1):
        if item.id in done:
            row = done[item.id]
            if any("score" not in p for p in row["passages"]):  # cached before scores were kept
                scores = {(p.file, p.paragraph): p.score for p in retriever.search(item.retrieval_query, K)}
                for p in row["passages"]:
                    p["score"] = scores[(p["file"], p["paragraph"])]
            rows.append(row)
            continue
        passages = retriever.search(item.retrieval_query, K)
        scored = []
        for p in passages:
            full, shown = shown_text(retriever, settings, p, unit)
            prob, seconds = judge(model, item.retrieval_query, shown)
            scored.append(
                {
                    "file": p.file,
                    "paragraph": p.paragraph,
                    "text": full,
                    "score": p.score,
                    "p_yes": prob,
                    "seconds": seconds,
                }
            )
        row = {"id": item.id, "answerable": item.answerable, "passages": scored}
        rows.append(row)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"\r{number}/{len(items)}", end="", flush=True)
    print()
    return rows


def auc(positives: list[float], negatives: list[float]) -> float:
    pairs = [(p > n) + 0.5 * (p == n) for p in positives for n in negatives]
    return sum(pairs) / len(pairs)


def orders(passages: list[dict[str, Any]]) -> dict[str, list[int]]:
    shipped = list(range(len(passages)))
    llm = sorted(shipped, key=lambda i: (-passages[i]["p_yes"], i))
    fused = fuse(shipped, [p["p_yes"] for p in passages])  # what QA_RERANK=llm does
    found = {"shipped": shipped, "llm": llm, "fused (RRF)": fused}
    # Reranking only when retrieval is unsure: the top two scores (standardised sums) within MARGIN.
    margin = top_margin(passages)
    for limit in MARGINS:
        found[f"fused if margin < {limit}"] = fused if margin < limit else shipped
    return found


def judged_share(rows: list[dict[str, Any]], limit: float) -> float:
    """The share of ``rows`` whose top two retrieval scores are within ``limit`` (those get judged)."""
    return sum(top_margin(r["passages"]) < limit for r in rows) / len(rows)


def top_margin(passages: list[dict[str, Any]]) -> float:
    """How far retrieval's first score is ahead of its second (infinite with one passage)."""
    return passages[0]["score"] - passages[1]["score"] if len(passages) > 1 else math.inf


def report(rows: list[dict[str, Any]]) -> None:
    items = {item.id: item for item in load_known_answers(DEFAULT_PATH)}
    answerable = [r for r in rows if r["answerable"]]
    print(f"{len(answerable)} answerable items, {len(rows) - len(answerable)} unanswerable")
    names = ["shipped", "llm", "fused (RRF)", *(f"fused if margin < {limit}" for limit in MARGINS)]
    width = max(map(len, names))
    for name in names:
        figures = []
        for part in (answerable, answerable[0::2], answerable[1::2]):
            ranks = []
            for row in part:
                ranked = [
                    (row["passages"][i]["file"], row["passages"][i]["paragraph"], row["passages"][i]["text"])
                    for i in orders(row["passages"])[name]
                ]
                ranks.append(first_hit_rank(items[row["id"]], ranked))
            r1 = sum(r == 1 for r in ranks) / len(ranks)
            mrr = sum(1 / r for r in ranks if r) / len(ranks)
            figures.append(f"recall@1 {r1:.3f} MRR {mrr:.3f}")
        print(f"{name:{width}s} whole: {figures[0]} | halves: {figures[1]} / {figures[2]}")
    for limit in MARGINS:
        print(f"margin < {limit}: {judged_share(rows, limit):.0%} of all items judged")
    best = {r["id"]: max(p["p_yes"] for p in r["passages"]) for r in rows}
    pos = [best[r["id"]] for r in rows if r["answerable"]]
    neg = [best[r["id"]] for r in rows if not r["answerable"]]
    if pos and neg:
        print(f"answerability from the best P(yes): ROC AUC {auc(pos, neg):.3f}")
    seconds = sorted(p["seconds"] for r in rows for p in r["passages"])
    p95 = seconds[min(len(seconds) - 1, math.ceil(0.95 * len(seconds)) - 1)]
    print(
        f"one judgement: p50 {statistics.median(seconds):.2f} s, p95 {p95:.2f} s ({len(seconds)} judgements)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cache", type=Path, default=PROJECT_ROOT / "reports" / "llm-rerank" / "scores.jsonl"
    )
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--unit", choices=["excerpt", "sentence"], default="excerpt")
    parser.add_argument("--lengths", action="store_true", help="only the characters each unit shows")
    parser.add_argument("--cost", type=int, metavar="N", help="only time five judgements against one request")
    args = parser.parse_args()
    settings = Settings().model_copy(update={"llm": "local"})
    if args.lengths:
        lengths(settings)
        return
    if args.cost is not None:
        cost(settings, args.cost)
        return
    report(collect(settings, args.cache, args.limit, args.unit))


if __name__ == "__main__":
    main()
