"""Document expansion with generated questions (doc2query) at indexing time.

    .venv/bin/python benchmarks/doc2query.py [--languages en] [--count 5]
        [--questions FILE] [--set tests/eval/known_answers.jsonl]

Questions are worded unlike the paragraphs that answer them ("Vems centrala roll bekräftar
konventionen?" against a Dutch sentence about "de centrale rol van de Verenigde Naties"). Step 1
asks the configured LLM (default: the bundled local model) to write ``--count`` questions that
each indexed paragraph of the seed articles answers, in each of ``--languages`` ("own": the
paragraph's language), with `benchmarks/doc2query_prompt.txt`, and stores them in FILE (default
``reports/doc2query/questions.jsonl``, one row per content hash and language; an interrupted
run resumes). Step 2 ranks the paragraphs for every answerable item of ``--set`` and prints
recall@1, recall@5 and MRR (with MRR on both halves):

- shipped: `qa.search` as it is;
- generated alone: a paragraph scores as its generated question closest to the asked one
  (e5 ``query:`` vectors on both sides; "corrected": minus each generated question's hubness,
  as `qa.rank` corrects sentences);
- shipped + w·generated: the latter's z-score added to the shipped ranking's, for a few w;
  "(rrf)": the two orders fused by reciprocal rank (k = 60).

This is an experiment, not part of the pipeline: see benchmarks/README.md for the figures.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import append_row, read_rows
from pivot_index import _order, _print, ranks, shipped_scores

from qa import rank
from qa.config import PROJECT_ROOT, Settings
from qa.corpus import Paragraph
from qa.evalset import DEFAULT_PATH, load_known_answers
from qa.prompts import language_name
from qa.rank import _zscores as zscores
from qa.retrieve import Retriever

PROMPT = Path(__file__).with_name("doc2query_prompt.txt")
_NUMBERING = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*")


def parse_questions(reply: str) -> list[str]:
    """The questions of a reply: its lines ending with a question mark, numbering removed."""
    lines = (_NUMBERING.sub("", line).strip() for line in reply.splitlines())
    return [line for line in lines if len(line) > 8 and line.endswith("?")]


def target_language(paragraph: Paragraph, lang: str) -> str:
    """``lang``, or the paragraph's own language for "own"."""
    return paragraph.lang if lang == "own" else lang


def generate_all(
    paragraphs: list[Paragraph], languages: list[str], count: int, settings: Settings, path: Path
) -> dict[tuple[str, str], list[str]]:
    """Generated questions by (content hash, language); what ``path`` holds is not asked again."""
    from qa.llm import get_chat_model, stream_chat

    done = read_rows(path)
    wanted = [(p, target_language(p, lang)) for lang in languages for p in paragraphs]
    todo = [(p, lang) for p, lang in wanted if f"{p.content_hash}:{lang}" not in done]
    if todo:
        template = PROMPT.read_text(encoding="utf-8")
        model = get_chat_model(settings)
        if hasattr(model, "max_tokens"):
            model.max_tokens = 400
        for n, (paragraph, lang) in enumerate(todo, start=1):
            t = time.perf_counter()
            prompt = template.format(count=count, language=language_name(lang), text=paragraph.text)
            reply = "".join(stream_chat(model, [("user", prompt)]))
            row: dict[str, Any] = {
                "id": f"{paragraph.content_hash}:{lang}",
                "label": paragraph.label,
                "lang": lang,
                "questions": parse_questions(reply),
                "reply": reply,
                "seconds": time.perf_counter() - t,
            }
            append_row(path, row)
            done[row["id"]] = row
            print(
                f"  [{n}/{len(todo)}] {paragraph.label} -> {lang}: {len(row['questions'])} questions,"
                f" {row['seconds']:.1f} s",
                flush=True,
            )
    seconds = [row["seconds"] for row in done.values()]
    if seconds:
        print(
            f"generation: p50 {statistics.median(seconds):.1f} s, max {max(seconds):.1f} s,"
            f" total {sum(seconds) / 60:.1f} min for {len(seconds)} paragraph-languages"
        )
    return {(row["id"].split(":")[0], row["lang"]): row["questions"] for row in done.values()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--questions", type=Path, default=PROJECT_ROOT / "reports" / "doc2query" / "questions.jsonl"
    )
    parser.add_argument("--backend", default="local", choices=["local", "openai"])
    parser.add_argument("--languages", default="en", help="comma-separated, e.g. en,own")
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--set", type=Path, default=DEFAULT_PATH, dest="eval_set")
    args = parser.parse_args()
    languages = args.languages.split(",")
    items = [item for item in load_known_answers(args.eval_set) if item.answerable]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            sources_dir=PROJECT_ROOT / "seeds", index_dir=Path(tmp) / "index", llm=args.backend
        )
        retriever = Retriever(settings)
        paragraphs = retriever.corpus.content_paragraphs()
        generated = generate_all(paragraphs, languages, args.count, settings, args.questions)
        embedder = retriever.embedder
        questions: list[str] = []
        owners: list[int] = []
        for i, p in enumerate(paragraphs):
            for lang in languages:
                for q in generated.get((p.content_hash, target_language(p, lang)), []):
                    questions.append(q)
                    owners.append(i)
        print(f"{len(questions)} generated questions for {len(paragraphs)} paragraphs")
        vectors = np.stack([embedder.embed_query_array(q) for q in questions])
        hub = rank.hubness(vectors, owners)
        owner_array = np.asarray(owners)
        keys = [(p.file, p.number) for p in paragraphs]
        texts = [p.text for p in paragraphs]
        rows: dict[str, dict[str, list[tuple[str, int, str]]]] = {}

        def put(name: str, item_id: str, values: np.ndarray) -> None:
            rows.setdefault(name, {})[item_id] = _order(values, keys, texts)

        for item in items:
            question = item.retrieval_query
            shipped, shipped_rank = shipped_scores(retriever, question, keys, settings.max_k)
            put("shipped", item.id, shipped)
            cos = vectors @ embedder.embed_query_array(question)
            for kind, values in (("plain", cos), ("corrected", 2 * cos - hub)):
                best = np.full(len(keys), -np.inf, dtype=np.float32)
                np.maximum.at(best, owner_array, values)
                best = np.where(np.isinf(best), np.min(best[~np.isinf(best)]), best)
                put(f"generated alone ({kind})", item.id, best)
                z = zscores(best)
                for w in (0.5, 1.0):
                    put(f"shipped + {w}·generated ({kind})", item.id, shipped + w * z)
                put(
                    f"shipped + generated ({kind}, rrf)",
                    item.id,
                    1 / (60 + shipped_rank) + 1 / (60 + ranks(best)),
                )
        for name, ranked in rows.items():
            _print(name, items, ranked)


if __name__ == "__main__":
    main()
