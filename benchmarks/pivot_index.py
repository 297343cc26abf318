"""Document translation at indexing time: every paragraph also embedded in other languages.

    .venv/bin/python benchmarks/pivot_index.py [--languages en,de,fr,sv,nl]
        [--translations FILE] [--question-translations FILE] [--backend local|openai]

multilingual-e5-small ranks a paragraph higher when it is in the question's language, whatever
it says (the "same-language pull" that `qa.rank` corrects with per-language standardisation).
With every paragraph also embedded in one language, the pull is the same for all of them.
Step 1 asks the configured LLM (default: the bundled local model) to translate every indexed
paragraph of the seed articles into each of ``--languages`` it is not written in, with the
answer pipeline's own translation prompt (`prompts/translate.txt`), and stores the replies in
FILE (default ``reports/pivot-index/translations.jsonl``, one row per content hash and
language; an interrupted run resumes). Step 2 ranks the paragraphs for every answerable
known-answer question and prints recall@1, recall@5 and MRR, with MRR on both halves:

- shipped: `qa.search` as it is;
- L alone (paragraph / sentence / sentence+sparse): the paragraphs as they read in language L
  (the original where it is in L), by the cosine of the whole paragraph, by its best
  hubness-corrected sentence (2·cos − hub, as `qa.rank` scores sentences), and by that plus the
  latent-term scores, standardised;
- shipped + L: the last of those added to the shipped ranking's z-score; "(rrf)": the two
  orders fused by reciprocal rank (k = 60) instead;
- shipped + all: every language's added;
- question's language …: L chosen per question as the question's language (the question and
  the paragraphs it is compared with then share one language), alone, added to the shipped
  ranking, and with English added too;
- en question …: the question in English as well (translate-test), when
  ``--question-translations`` names the cache of `english_pivot.py` (question → English).

This is an experiment, not part of the pipeline: see benchmarks/README.md for the figures.
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
from common import append_row, read_rows

from qa import rank
from qa.config import PROJECT_ROOT, Settings
from qa.corpus import Paragraph
from qa.embeddings import sparse_dot
from qa.evalset import DEFAULT_PATH, KnownAnswer, load_known_answers, retrieval_metrics
from qa.extractive import split_sentences
from qa.prompts import language_name, render
from qa.rank import _zscores as zscores
from qa.retrieve import Retriever

Ranked = list[tuple[str, int, str]]
Query = tuple[np.ndarray, Any]


def translate_all(
    paragraphs: list[Paragraph], languages: list[str], settings: Settings, path: Path
) -> dict[tuple[str, str], str]:
    """Every paragraph in each of ``languages`` it is not written in, by (content hash, language);
    what ``path`` already holds is not asked again."""
    from qa.llm import get_chat_model, stream_chat
    from qa.translation import unwrap as _unwrap

    done = read_rows(path)
    todo = [
        (p, lang)
        for lang in languages
        for p in paragraphs
        if p.lang != lang and f"{p.content_hash}:{lang}" not in done
    ]
    if todo:
        model = get_chat_model(settings)
        if hasattr(model, "max_tokens"):
            model.max_tokens = 1024  # a paragraph, not a short answer
        for n, (paragraph, lang) in enumerate(todo, start=1):
            t = time.perf_counter()
            prompt = render(
                "translate",
                text=paragraph.text,
                source=language_name(paragraph.lang),
                language=language_name(lang),
            )
            text = _unwrap("".join(stream_chat(model, [("user", prompt)])))
            row: dict[str, Any] = {
                "id": f"{paragraph.content_hash}:{lang}",
                "label": paragraph.label,
                "lang": lang,
                "text": text,
                "seconds": time.perf_counter() - t,
            }
            append_row(path, row)
            done[row["id"]] = row
            print(f"  [{n}/{len(todo)}] {paragraph.label} -> {lang}: {row['seconds']:.1f} s", flush=True)
    for lang in languages:
        seconds = [row["seconds"] for row in done.values() if row["lang"] == lang]
        if seconds:
            print(
                f"translation into {lang}: p50 {statistics.median(seconds):.1f} s, max {max(seconds):.1f} s,"
                f" total {sum(seconds) / 60:.1f} min for {len(seconds)} paragraphs"
            )
    return {(row["id"].split(":")[0], row["lang"]): row["text"] for row in done.values()}


class Pivot:
    """Paragraph scores against one version of every paragraph (e.g. all of them in English)."""

    def __init__(self, retriever: Retriever, texts: list[str]) -> None:
        embedder = retriever.embedder
        self.para_vectors = embedder.embed_documents_array(texts)
        sentences: list[str] = []
        owners: list[int] = []
        for i, text in enumerate(texts):
            parts = split_sentences(text) or [text]
            sentences += parts
            owners += [i] * len(parts)
        self.owners = np.asarray(owners)
        self.sent_vectors = embedder.embed_documents_array(sentences)
        self.hub = rank.hubness(self.sent_vectors, owners)
        self.sparse = embedder.sparse_documents(texts)

    def scores(self, query: Query) -> dict[str, np.ndarray]:
        """By paragraph cosine, by best corrected sentence, and the latter plus latent terms."""
        vector, query_sparse = query
        corrected = 2 * (self.sent_vectors @ vector) - self.hub
        sent = np.full(len(self.para_vectors), -np.inf, dtype=np.float32)
        np.maximum.at(sent, self.owners, corrected)
        sparse = np.asarray([sparse_dot(query_sparse, v) for v in self.sparse], dtype=np.float32)
        return {
            "paragraph": self.para_vectors @ vector,
            "sentence": sent,
            "sentence+sparse": zscores(sent) + rank.SPARSE_WEIGHT * zscores(sparse),
        }


def encode(retriever: Retriever, question: str) -> Query:
    """The question's dense vector and latent terms, computed once for every version."""
    embedder = retriever.embedder
    return np.asarray(embedder.embed_query_array(question), dtype=np.float32), embedder.sparse_query(question)


def shipped_scores(
    retriever: Retriever, question: str, keys: list[tuple[str, int]], k: int
) -> tuple[np.ndarray, np.ndarray]:
    """`qa.search`'s ranking as one value per paragraph of ``keys``: its scores standardised (a
    paragraph it did not return gets the lowest), and its positions (1 = first; the number of
    paragraphs for one it did not return)."""
    base = np.full(len(keys), np.nan, dtype=np.float32)
    positions = np.full(len(keys), len(keys), dtype=np.float32)
    for position, p in enumerate(retriever.search(question, k=k), start=1):
        i = keys.index((p.file, p.paragraph))
        base[i], positions[i] = p.score, position
    return zscores(np.where(np.isnan(base), np.nanmin(base), base)), positions


def ranks(values: np.ndarray) -> np.ndarray:
    """1 for the best value, 2 for the next…"""
    out = np.empty(len(values))
    out[np.argsort(-values, kind="stable")] = np.arange(1, len(values) + 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--translations", type=Path, default=PROJECT_ROOT / "reports" / "pivot-index" / "translations.jsonl"
    )
    parser.add_argument("--backend", default="local", choices=["local", "openai"])
    parser.add_argument("--languages", default="en", help="comma-separated, e.g. en,de,fr,sv,nl")
    parser.add_argument("--question-translations", type=Path, default=None)
    args = parser.parse_args()
    languages = args.languages.split(",")
    asked_in_english: dict[str, str] = {}
    if args.question_translations is not None:
        asked_in_english = json.loads(args.question_translations.read_text(encoding="utf-8"))
    items = [item for item in load_known_answers(DEFAULT_PATH) if item.answerable]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            sources_dir=PROJECT_ROOT / "seeds", index_dir=Path(tmp) / "index", llm=args.backend
        )
        retriever = Retriever(settings)
        paragraphs = retriever.corpus.content_paragraphs()
        translated = translate_all(paragraphs, languages, settings, args.translations)
        versions = {
            lang: Pivot(
                retriever,
                [p.text if p.lang == lang else translated[(p.content_hash, lang)] for p in paragraphs],
            )
            for lang in languages
        }
        keys = [(p.file, p.number) for p in paragraphs]
        texts = [p.text for p in paragraphs]
        rows: dict[str, dict[str, Ranked]] = {}

        def put(name: str, item: KnownAnswer, values: np.ndarray) -> None:
            rows.setdefault(name, {})[item.id] = _order(values, keys, texts)

        for item in items:
            question = item.retrieval_query
            shipped, shipped_rank = shipped_scores(retriever, question, keys, settings.max_k)
            put("shipped", item, shipped)
            query = encode(retriever, question)
            by_lang = {lang: pivot.scores(query) for lang, pivot in versions.items()}
            best = {lang: zscores(scores["sentence+sparse"]) for lang, scores in by_lang.items()}
            for lang, scores in by_lang.items():
                for kind, values in scores.items():
                    put(f"{lang} alone ({kind})", item, values)
                put(f"shipped + {lang}", item, shipped + best[lang])
                put(f"shipped + {lang} (rrf)", item, 1 / (60 + shipped_rank) + 1 / (60 + ranks(best[lang])))
            if len(versions) > 1:
                put("shipped + all", item, shipped + sum(best.values()))
                if item.lang in versions:
                    own = best[item.lang]
                    put("question's language alone", item, own)
                    put("shipped + question's language", item, shipped + own)
                    if "en" in versions:  # for an English question, the same as the row above
                        en = best["en"] if item.lang != "en" else 0
                        put("shipped + question's language + en", item, shipped + own + en)
            if asked_in_english and "en" in versions:
                en_question = asked_in_english.get(question, question) if item.lang != "en" else question
                en = zscores(versions["en"].scores(encode(retriever, en_question))["sentence+sparse"])
                put("en question, en alone", item, en)
                put("shipped + en question on en", item, shipped + en)
        for name, ranked in rows.items():
            _print(name, items, ranked)


def _order(values: np.ndarray, keys: list[tuple[str, int]], texts: list[str]) -> Ranked:
    order = np.argsort(-values, kind="stable")[:5]
    return [(keys[i][0], keys[i][1], texts[i]) for i in order]


def _print(name: str, items: list[KnownAnswer], ranked: dict[str, Ranked]) -> None:
    def metric(subset: list[KnownAnswer]) -> dict[str, float]:
        return retrieval_metrics(subset, ranked, k=5)

    whole = metric(items)
    halves = [metric(items[i::2])["mrr"] for i in (0, 1)]
    print(
        f"{name:18s} recall@1 {whole['recall@1']:.3f}  recall@5 {whole['recall@5']:.3f}"
        f"  MRR {whole['mrr']:.3f}  halves {halves[0]:.3f} / {halves[1]:.3f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
