"""Confidence experiment: can the model's own token probabilities tell right answers from wrong ones?

    .venv/bin/python benchmarks/confidence.py [--run FILE] [--limit N]

Step 1 answers every item of the known-answer set with the local backend (the shipped pipeline,
unchanged: the same greedy replies), asking llama.cpp for the log-probability of every generated
token, and stores each answer with the tokens of its JSON reply in FILE (default
``reports/confidence/run.jsonl``; an interrupted run resumes).
Step 2 scores each answer the bot gave (``found``) with several confidence signals taken from
the ``"answer"`` field of the reply (mean, minimum and first-token log-probability, and the
probability of the first source number) and prints, for each signal, how well it separates
correct answers from wrong ones (ROC AUC: 0.5 is chance) and what abstaining below a threshold
would do to the metrics when the threshold (the one that handles most items right: answerable
ones answered correctly, unanswerable ones abstained on) is chosen on one half of the set and
applied to the other (odd/even items), so the figure is not fitted to the items it is measured on.

This is an experiment, not part of the pipeline: see docs/answering.md.
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from common import append_row, read_rows
from pydantic import Field

from qa.answering import stream_answer
from qa.config import PROJECT_ROOT, Settings
from qa.eval import answer_language
from qa.evalset import DEFAULT_PATH, AnswerOutcome, KnownAnswer, answer_metrics, load_known_answers
from qa.local_llm import LocalChatModel
from qa.models import Answer


class RecordingLocalModel(LocalChatModel):
    """The local backend, asking llama.cpp for token log-probabilities and keeping them per call."""

    calls: list[dict[str, Any]] = Field(default_factory=list)

    def _request(self, messages: Any, stop: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        return super()._request(messages, stop, kwargs) | {"logprobs": True, "top_logprobs": 5}

    def _stream(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[Any]:
        structured = "response_format" in (kwargs.get("extra_body") or {})
        call: dict[str, Any] = {"structured": structured, "text": "", "tokens": []}
        self.calls.append(call)
        for chunk in super()._stream(messages, stop, run_manager, **kwargs):
            call["text"] += chunk.text
            call["tokens"] += ((chunk.generation_info or {}).get("logprobs") or {}).get("content") or []
            yield chunk


def collect(items: list[KnownAnswer], settings: Settings, path: Path) -> list[dict[str, Any]]:
    done = read_rows(path)
    model = RecordingLocalModel.from_settings(settings)
    assert isinstance(model, RecordingLocalModel)
    for number, item in enumerate(items, start=1):
        if item.id in done:
            continue
        model.calls.clear()
        final: Answer | None = None
        for chunk in stream_answer(
            item.question, list(item.history) or None, settings=settings, chat_model=model
        ):
            if isinstance(chunk, Answer):
                final = chunk
        assert final is not None
        reply = next((c for c in model.calls if c["structured"]), None)
        row = {
            "id": item.id,
            "text": final.text,
            "found": final.found,
            "citations": [[c.file, c.paragraph, c.text] for c in final.citations],
            "reply": reply["text"] if reply else None,
            "tokens": [
                {
                    "t": t["token"],
                    "lp": t["logprob"],
                    "top": [[a["token"], a["logprob"]] for a in t.get("top_logprobs", [])],
                }
                for t in (reply["tokens"] if reply else [])
            ],
        }
        done[item.id] = row
        append_row(path, row)
        print(f"{number}/{len(items)} {item.id}: {final.text[:60]!r} found={final.found}", flush=True)
    return [done[item.id] for item in items if item.id in done]


def aligned(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The reply's tokens, without the leading entry llama.cpp reports before the first one
    (the concatenated tokens must spell the reply, up to white space at the ends)."""
    tokens = row["tokens"]
    reply = row["reply"] or ""
    for skip in range(min(3, len(tokens)) + 1):
        if "".join(t["t"] for t in tokens[skip:]).strip() == reply.strip():
            return tokens[skip:]
    return []


def field_tokens(tokens: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The tokens that overlap the value of ``key`` in the JSON reply."""
    text = "".join(t["t"] for t in tokens)
    marker = f'"{key}":'
    start = text.find(marker)
    if start < 0:
        return []
    start += len(marker)
    if key == "answer":
        start = text.find('"', start) + 1
        end = start
        while end < len(text) and not (text[end] == '"' and text[end - 1] != "\\"):
            end += 1
    else:
        end = text.find("\n", start)
    out, pos = [], 0
    for t in tokens:
        lo, hi = pos, pos + len(t["t"])
        pos = hi
        if hi > start and lo < end:
            out.append(t)
    return out


Score = Callable[[dict[str, Any]], float | None]


def signals(row: dict[str, Any]) -> dict[str, float] | None:
    tokens = aligned(row)
    answer = [t for t in field_tokens(tokens, "answer") if t["t"].strip(' ",\n')]
    sources = [t for t in field_tokens(tokens, "sources") if t["t"].strip().isdigit()]
    if not answer:
        return None
    lps = [t["lp"] for t in answer]
    return {
        "mean": statistics.fmean(lps),
        "min": min(lps),
        "first": lps[0],
        "first3": statistics.fmean(lps[:3]),
        "source": sources[0]["lp"] if sources else 0.0,
    }


def auc(positives: list[float], negatives: list[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    if not positives or not negatives:
        return math.nan
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def outcome(item: KnownAnswer, row: dict[str, Any], abstain: bool) -> AnswerOutcome:
    if abstain:
        return AnswerOutcome(item, "", False, (), None)
    citations = tuple((f, int(n), t) for f, n, t in row["citations"])
    return AnswerOutcome(item, row["text"], row["found"], citations, answer_language(row["text"]))


def outcomes_at(
    items: list[KnownAnswer], rows: dict[str, dict[str, Any]], score: Score, cut: float
) -> list[AnswerOutcome]:
    """Each item's outcome when the bot abstains on answers that ``score`` below ``cut``."""
    outs = []
    for item in items:
        row = rows[item.id]
        value = score(row) if row["found"] else None
        outs.append(outcome(item, row, value is not None and value < cut))
    return outs


def best_cut(items: list[KnownAnswer], rows: dict[str, dict[str, Any]], score: Score) -> float:
    """The threshold that maximises the number of items handled right on ``items`` (answerable
    ones answered correctly, unanswerable ones abstained on); the lowest such threshold."""
    values = sorted({v for item in items if (v := score(rows[item.id])) is not None})
    candidates = [-math.inf] + [(a + b) / 2 for a, b in itertools.pairwise(values)]
    return max(candidates, key=lambda cut: sum(o.correct for o in outcomes_at(items, rows, score, cut)))


def analyse(items: list[KnownAnswer], rows_list: list[dict[str, Any]]) -> None:
    rows = {r["id"]: r for r in rows_list}
    items = [item for item in items if item.id in rows]
    shipped = dict(
        zip((item.id for item in items), outcomes_at(items, rows, lambda _row: None, 0.0), strict=True)
    )
    base = answer_metrics(list(shipped.values()))
    print(
        f"\n{len(items)} items; shipped pipeline: accuracy {base['accuracy']:.3f}, abstention "
        f"{base['abstention']:.3f}, citation precision {base['citation_precision']:.3f}"
    )
    answered = [(item, rows[item.id]) for item in items if rows[item.id]["found"]]
    good = [(i, r) for i, r in answered if shipped[i.id].correct]
    bad = [(i, r) for i, r in answered if not shipped[i.id].correct]
    print(
        f"answered: {len(answered)} ({len(good)} correct, {len(bad)} wrong, of which "
        f"{sum(not i.answerable for i, _ in bad)} unanswerable)"
    )
    signal = {item.id: signals(rows[item.id]) for item in items}  # once per answer, not per cut
    halves = (items[0::2], items[1::2])
    for name in ("mean", "min", "first", "first3", "source"):

        def score(row: dict[str, Any], name: str = name) -> float | None:
            s = signal[row["id"]]
            return None if s is None else s[name]

        pos = [v for _, r in good if (v := score(r)) is not None]
        neg = [v for _, r in bad if (v := score(r)) is not None]
        line = f"{name:7s} AUC {auc(pos, neg):.3f}"
        for fit, test in ((halves[0], halves[1]), (halves[1], halves[0])):
            cut = best_cut(fit, rows, score)
            before = answer_metrics([shipped[item.id] for item in test])
            after = answer_metrics(outcomes_at(test, rows, score, cut))
            line += (
                f" | cut {cut:.2f}: acc {before['accuracy']:.3f}->{after['accuracy']:.3f}"
                f" abst {before['abstention']:.3f}->{after['abstention']:.3f}"
                f" citp {before['citation_precision']:.3f}->{after['citation_precision']:.3f}"
            )
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--run", type=Path, default=PROJECT_ROOT / "reports" / "confidence" / "run.jsonl")
    parser.add_argument("--set", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    items = load_known_answers(args.set)[: args.limit]
    rows = collect(items, Settings(llm="local"), args.run)
    analyse(items, rows)


if __name__ == "__main__":
    main()
