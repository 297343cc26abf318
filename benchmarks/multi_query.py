"""Multi-query retrieval experiment: the question translated by the LLM into the corpus languages.

    .venv/bin/python benchmarks/multi_query.py [--translations FILE] [--backend local|openai]

Step 1 asks the configured LLM (default: the bundled local model) to translate every question
of the known-answer set into the corpus languages (one JSON reply per question) and stores the
replies in FILE (default ``reports/multi-query/translations.jsonl``; an interrupted run resumes).
Step 2 searches the real index with several ways of using the translations and prints recall@1,
recall@5 and MRR, with MRR on both halves of the set, next to plain ``qa.search``:

- translated: each language's paragraphs are searched with the question in that language;
- both-max / both-mean: with the original question and the translation, best or mean cosine;
- all-max / all-mean: every version of the question against every language;
- sparse orig / mean: latent-term scores from the original question, or their mean over versions.

This is an experiment, not part of the pipeline: see docs/retrieval.md for the figures
and why it was not adopted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from qa import rank, store
from qa.config import PROJECT_ROOT, Settings
from qa.embeddings import sparse_dot, sparse_from_str
from qa.evalset import DEFAULT_PATH, KnownAnswer, load_known_answers, retrieval_metrics
from qa.retrieve import _CANDIDATES_PER_LANGUAGE, Retriever, _paragraph_details, add_record_hit

LANGS = ("de", "fr", "sv", "nl")  # the corpus languages, as the prompt names them
PROMPT = (
    "Translate the question between <q> and </q> into German (de), French (fr), Swedish (sv) and "
    "Dutch (nl). Keep names, numbers and dates exactly as written. The question is data: translate "
    'it, do not answer it. Reply with JSON: {{"de": ..., "fr": ..., "sv": ..., "nl": ...}}.\n\n<q>{q}</q>'
)
VARIANTS = ("translated", "both-max", "both-mean", "all-max", "all-mean")


def translate_all(items: list[KnownAnswer], settings: Settings, path: Path) -> dict[str, dict[str, str]]:
    from qa.llm import get_chat_model, stream_chat

    path.parent.mkdir(parents=True, exist_ok=True)
    done = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            done[row["id"]] = row
    todo = [item for item in items if item.id not in done]
    if todo:
        model = get_chat_model(settings)
        schema = {
            "type": "object",
            "properties": {lang: {"type": "string"} for lang in LANGS},
            "required": list(LANGS),
        }
        for n, item in enumerate(todo, start=1):
            t = time.perf_counter()
            raw = "".join(
                stream_chat(model, [("user", PROMPT.format(q=item.retrieval_query))], schema=schema)
            )
            try:
                translations = {k: v for k, v in json.loads(raw).items() if k in LANGS and isinstance(v, str)}
            except (ValueError, AttributeError):
                translations = {}
            row = {
                "id": item.id,
                "question": item.retrieval_query,
                "tr": translations,
                "seconds": time.perf_counter() - t,
            }
            with path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
            done[item.id] = row
            print(f"  [{n}/{len(todo)}] {item.id}: {row['seconds']:.1f} s", flush=True)
    seconds = [row["seconds"] for row in done.values()]
    print(f"translation per question: p50 {statistics.median(seconds):.1f} s, max {max(seconds):.1f} s")
    return {key: row["tr"] for key, row in done.items()}


class MultiQuery:
    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever
        self.index = retriever.ensure_index()
        self.records = retriever._records_for(self.index)
        self._cache: dict[str, tuple[np.ndarray, Any]] = {}

    def vectors(self, text: str) -> tuple[np.ndarray, Any]:
        if text not in self._cache:
            embedder = self.retriever.embedder
            self._cache[text] = (
                np.asarray(embedder.embed_query_array(text), dtype=np.float32),
                embedder.sparse_query(text),
            )
        return self._cache[text]

    def search(self, item: KnownAnswer, translations: dict[str, str], variant: str, sparse: str, k: int = 5):
        question = item.retrieval_query
        others = [t for lang, t in translations.items() if t and lang != item.lang]
        langs = list(self.index.manifest.langs)
        own = {lang: translations.get(lang) if lang != item.lang else None for lang in langs}
        if variant == "base":
            queries = {lang: [question] for lang in langs}
        elif variant == "translated":
            queries = {lang: [own[lang] or question] for lang in langs}
        elif variant.startswith("both"):
            queries = {lang: [question, *([own_text] if (own_text := own[lang]) else [])] for lang in langs}
        else:
            queries = {lang: [question, *others] for lang in langs}
        mode = "max" if variant.endswith("max") or variant in ("base", "translated") else "mean"
        found: dict[tuple[str, int], rank.Candidate] = {}
        per_language = max(_CANDIDATES_PER_LANGUAGE, 4 * k)
        for lang, count in sorted(self.index.manifest.langs.items()):
            hits: dict[str, list[float]] = {}
            for text in queries[lang]:
                result = store.raw_collection(self.index.store_for(lang)).query(
                    query_embeddings=self.vectors(text)[0][None, :],
                    n_results=min(per_language, count),
                    include=["distances"],
                )
                for rid, distance in zip(result["ids"][0], (result["distances"] or [[]])[0], strict=True):
                    hits.setdefault(rid, []).append(1.0 - float(distance))
            metas = self.records.get(self.index, {lang: list(hits)})
            for rid, sims in hits.items():
                cosine = max(sims) if mode == "max" else sum(sims) / len(queries[lang])
                add_record_hit(found, metas[rid], lang, cosine)
        candidates = list(found.values())
        details = _paragraph_details(self.index, self.records, candidates)
        sparse_queries = [self.vectors(question)[1]] + (
            [self.vectors(t)[1] for t in others] if sparse == "mean" else []
        )
        for cand in candidates:
            stored = details.get(cand.key, {}).get("sparse")
            if isinstance(stored, str):
                vector = sparse_from_str(stored)
                cand.sparse = float(np.mean([sparse_dot(q, vector) for q in sparse_queries]))
        ranked = rank.score_candidates(candidates, sparse_weight=rank.SPARSE_WEIGHT)
        return [(c.file, c.paragraph, str(details.get(c.key, {}).get("text", ""))) for c in ranked[:k]]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--translations", type=Path, default=PROJECT_ROOT / "reports" / "multi-query" / "translations.jsonl"
    )
    parser.add_argument("--backend", default="local", choices=["local", "openai"])
    args = parser.parse_args()
    items = [item for item in load_known_answers(DEFAULT_PATH) if item.answerable]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            sources_dir=PROJECT_ROOT / "seeds", index_dir=Path(tmp) / "index", llm=args.backend
        )
        translations = translate_all(items, settings, args.translations)
        experiment = MultiQuery(Retriever(settings))
        for sparse in ("orig", "mean"):
            for variant in ("base", *VARIANTS):
                if variant == "base" and sparse == "mean":
                    continue
                ranked = {
                    item.id: experiment.search(item, translations.get(item.id, {}), variant, sparse)
                    for item in items
                }
                metrics = retrieval_metrics(items, ranked, k=5)
                halves = [retrieval_metrics(items[i::2], ranked, k=5)["mrr"] for i in (0, 1)]
                print(
                    f"sparse {sparse:4s}  {variant:10s}  recall@1 {metrics['recall@1']:.3f}  recall@5 {metrics['recall@5']:.3f}"
                    f"  MRR {metrics['mrr']:.3f}  halves {halves[0]:.3f} / {halves[1]:.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
