"""Self-consistency experiment: do sampled answers agree with the greedy one when it is right?

    .venv/bin/python benchmarks/self_consistency.py [--samples N] [--temperature T] [--run FILE] [--limit N]

Step 1 answers every item of the known-answer set with the local backend (the shipped pipeline,
unchanged: the same greedy replies) and then asks the model the same answer prompt ``N`` more
times (default 4) with sampling (temperature ``T``, default 0.8, seeds 1..N; llama.cpp's prompt
cache makes each extra reply cost only its generation). Every reply is stored in FILE (default
``reports/self-consistency/run.jsonl``; an interrupted run resumes).
Step 2 scores each answer the bot gave with signals of agreement between the samples and it:
the share of samples that found an answer at all, and the mean overlap of each sample's content
words and numbers with the answer's (words of the question left out, 5-letter stems, as the
grounding checks compare). Like ``confidence.py`` it prints, per signal, the ROC AUC between
right and wrong answers and what abstaining below a threshold chosen on one half of the set
(odd/even items) does to the other half.

The idea (SelfCheckGPT): an answer the model knows from the sources comes back when it is asked
again; an invented one changes from sample to sample. This is an experiment, not part of the
pipeline: see docs/answering.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from common import append_row, read_rows
from confidence import auc, best_cut, outcomes_at
from pydantic import Field

from qa.answering import stream_answer
from qa.config import PROJECT_ROOT, Settings
from qa.evalset import DEFAULT_PATH, KnownAnswer, answer_metrics, load_known_answers
from qa.grounding import numbers_in, parse_reply
from qa.grounding.words import word_stems
from qa.local_llm import LocalChatModel
from qa.models import Answer


class RecordingLocalModel(LocalChatModel):
    """The local backend, keeping the messages and options of every structured (answer) call."""

    calls: list[dict[str, Any]] = Field(default_factory=list)

    def _stream(
        self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> Iterator[Any]:
        if "response_format" in (kwargs.get("extra_body") or {}):
            self.calls.append({"messages": messages, "kwargs": kwargs})
        yield from super()._stream(messages, stop, run_manager, **kwargs)


def sample(model: LocalChatModel, call: dict[str, Any], seed: int, temperature: float) -> str:
    """One sampled reply to a recorded answer call (bypasses the recording)."""
    kwargs = dict(call["kwargs"])
    kwargs["extra_body"] = dict(kwargs["extra_body"]) | {"temperature": temperature, "seed": seed}
    return "".join(c.text for c in LocalChatModel._stream(model, call["messages"], None, None, **kwargs))


def collect(
    items: list[KnownAnswer], settings: Settings, path: Path, n: int, temperature: float
) -> list[dict[str, Any]]:
    done = read_rows(path)
    model = RecordingLocalModel.from_settings(settings)
    assert isinstance(model, RecordingLocalModel)
    for number, item in enumerate(items, start=1):
        if item.id in done:
            continue
        model.calls.clear()
        t = time.perf_counter()
        final: Answer | None = None
        for chunk in stream_answer(
            item.question, list(item.history) or None, settings=settings, chat_model=model
        ):
            if isinstance(chunk, Answer):
                final = chunk
        assert final is not None
        greedy_seconds = time.perf_counter() - t
        samples: list[str] = []
        t = time.perf_counter()
        if model.calls:
            samples = [sample(model, model.calls[0], seed, temperature) for seed in range(1, n + 1)]
        row = {
            "id": item.id,
            "standalone": final.standalone_question,
            "text": final.text,
            "found": final.found,
            "citations": [[c.file, c.paragraph, c.text] for c in final.citations],
            "samples": samples,
            "seconds": greedy_seconds,
            "sample_seconds": time.perf_counter() - t,
        }
        done[item.id] = row
        append_row(path, row)
        agree = signals(item, row)
        print(f"{number}/{len(items)} {item.id}: {final.text[:50]!r} found={final.found} {agree}", flush=True)
    return [done[item.id] for item in items if item.id in done]


def _content(text: str, question: str) -> set[str]:
    """Numbers and word stems of ``text`` that the question does not already have."""
    words = word_stems(text) - word_stems(question)
    return words | {f"#{n}" for n in numbers_in(text) - numbers_in(question)}


def signals(item: KnownAnswer, row: dict[str, Any]) -> dict[str, float] | None:
    if not row["found"] or not row["samples"]:
        return None
    question = row.get("standalone") or item.question
    answer = _content(row["text"], question) or word_stems(row["text"])
    found, overlaps = 0, []
    for raw in row["samples"]:
        parsed = parse_reply(raw)
        if not parsed.found or not parsed.text:
            overlaps.append(0.0)
            continue
        found += 1
        other = _content(parsed.text, question) | word_stems(parsed.text)
        overlaps.append(len(answer & other) / len(answer) if answer else 0.0)
    return {
        "found": found / len(row["samples"]),
        "overlap": statistics.fmean(overlaps),
        "agree": sum(o >= 0.5 for o in overlaps) / len(overlaps),
    }


def analyse(items: list[KnownAnswer], rows_list: list[dict[str, Any]]) -> None:
    rows = {r["id"]: r for r in rows_list}
    items = [item for item in items if item.id in rows]
    shipped = dict(zip((i.id for i in items), outcomes_at(items, rows, lambda _r: None, 0.0), strict=True))
    base = answer_metrics(list(shipped.values()))
    print(
        f"\n{len(items)} items; shipped pipeline: accuracy {base['accuracy']:.3f}, abstention "
        f"{base['abstention']:.3f}, citation precision {base['citation_precision']:.3f}"
    )
    answered = [item for item in items if rows[item.id]["found"]]
    good = [i for i in answered if shipped[i.id].correct]
    bad = [i for i in answered if not shipped[i.id].correct]
    print(
        f"answered: {len(answered)} ({len(good)} correct, {len(bad)} wrong, of which "
        f"{sum(not i.answerable for i in bad)} unanswerable)"
    )
    extra = [r["sample_seconds"] for r in rows_list if r["samples"]]
    if extra:
        print(f"sampling time per answer: p50 {statistics.median(extra):.2f} s")
    signal = {i.id: signals(i, rows[i.id]) for i in items}
    halves = (items[0::2], items[1::2])
    for name in ("found", "overlap", "agree"):

        def score(row: dict[str, Any], name: str = name) -> float | None:
            s = signal[row["id"]]
            return None if s is None else s[name]

        pos = [v for i in good if (v := score(rows[i.id])) is not None]
        neg = [v for i in bad if (v := score(rows[i.id])) is not None]
        line = f"{name:8s} AUC {auc(pos, neg):.3f}"
        for fit, test in ((halves[0], halves[1]), (halves[1], halves[0])):
            cut = best_cut(fit, rows, score)
            before = answer_metrics([shipped[i.id] for i in test])
            after = answer_metrics(outcomes_at(test, rows, score, cut))
            line += (
                f" | cut {cut:.2f}: acc {before['accuracy']:.3f}->{after['accuracy']:.3f}"
                f" abst {before['abstention']:.3f}->{after['abstention']:.3f}"
                f" citp {before['citation_precision']:.3f}->{after['citation_precision']:.3f}"
            )
        print(line)
        whole = answer_metrics(outcomes_at(items, rows, score, best_cut(items, rows, score)))
        print(
            f"         fitted on the whole set (optimistic): acc {whole['accuracy']:.3f} "
            f"abst {whole['abstention']:.3f} citp {whole['citation_precision']:.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--run", type=Path, default=PROJECT_ROOT / "reports" / "self-consistency" / "run.jsonl"
    )
    parser.add_argument("--set", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    items = load_known_answers(args.set)[: args.limit]
    rows = collect(items, Settings(llm="local"), args.run, args.samples, args.temperature)
    analyse(items, rows)


if __name__ == "__main__":
    main()
