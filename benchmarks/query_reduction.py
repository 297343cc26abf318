"""The question with its language's most frequent words left out, as a second dense query.

    .venv/bin/python benchmarks/query_reduction.py [--set tests/eval/known_answers.jsonl] [--show]

Most of retrieval's misses are multilingual-e5-small's same-language pull: a Dutch question
ranks a generic Dutch paragraph first. A question's function words ("Waar staat … voor?",
"Vilket år skulle …") carry its language and little of what it asks; its content words,
names and numbers carry what it asks, and many of them are close to their translations
(cognates) or the same in every language. So the question is also embedded without the
``TOP_WORDS`` most frequent words of its language (wordfreq's list; the language told as
`qa.answering.question_language` tells it; numbers and capitalised words after the first are
always kept),
and that "reduced" query is used:

- alone, in place of the question (dense part only; the latent terms stay the question's);
- as a second dense score, each paragraph's best hubness-corrected sentence standardised per
  language as the shipped one is, added with weight 0.5 or 1.0;
- averaged with the question's vector (normalised) in place of it.

An exact offline replica of `qa.rank` (as in ``sentence_windows.py``; it must reproduce
`qa.search`'s figures) scores every paragraph. Prints recall@1, recall@5 and MRR, with MRR on
both halves, for the answerable items of ``--set``; ``--show`` prints each reduced question.
The decision rule was committed with this script, before any run: see benchmarks/README.md.

This is an experiment, not part of the pipeline.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

import numpy as np
import wordfreq
from pivot_index import _print

from qa import rank
from qa.answering import question_language
from qa.config import PROJECT_ROOT, Settings
from qa.embeddings import sparse_dot
from qa.evalset import DEFAULT_PATH, load_known_answers
from qa.index import split_sentences
from qa.retrieve import Retriever

TOP_WORDS = 100  # fixed before any run: about the size of a usual stop-word list
_TOKEN = re.compile(r"[\w][\w'’/-]*", re.UNICODE)


def reduce_question(question: str, lang: str) -> str:
    """``question`` without its language's ``TOP_WORDS`` most frequent words (capitalised words
    are kept, except the first, which a question capitalises anyway); the question itself when
    nothing would be left."""
    common = set(wordfreq.top_n_list(lang, TOP_WORDS))
    kept = [
        token
        for position, token in enumerate(_TOKEN.findall(question))
        if (position > 0 and token[0].isupper())
        or any(ch.isdigit() for ch in token)
        or token.casefold() not in common
    ]
    return " ".join(kept) if kept else question


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", type=Path, default=DEFAULT_PATH, dest="eval_set")
    parser.add_argument("--show", action="store_true", help="print each reduced question")
    args = parser.parse_args()
    items = [item for item in load_known_answers(args.eval_set) if item.answerable]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            sources_dir=PROJECT_ROOT / "seeds", index_dir=Path(tmp) / "index", llm="extractive"
        )
        retriever = Retriever(settings)
        embedder = retriever.embedder
        paragraphs = retriever.corpus.content_paragraphs()
        keys = [(p.file, p.number) for p in paragraphs]
        texts = [p.text for p in paragraphs]
        langs = [p.lang for p in paragraphs]
        sparse_docs = embedder.sparse_documents(texts)
        split = [split_sentences(p.text) for p in paragraphs]
        flat = [s for ss in split for s in ss]
        owners = np.asarray([i for i, ss in enumerate(split) for _ in ss])
        vectors = embedder.embed_documents_array(flat)
        hub = rank.hubness(vectors, owners)

        def dense_z(query: np.ndarray) -> np.ndarray:
            best = np.full(len(paragraphs), -np.inf)
            np.maximum.at(best, owners, 2 * (vectors @ query) - hub)
            return rank.language_zscores(best, langs)

        rows: dict[str, dict[str, list[tuple[str, int, str]]]] = {}

        def keep(name: str, item_id: str, total: np.ndarray) -> None:
            order = sorted(range(len(paragraphs)), key=lambda i: (-total[i], keys[i]))[:5]
            rows.setdefault(name, {})[item_id] = [(keys[i][0], keys[i][1], texts[i]) for i in order]

        for item in items:
            question = item.retrieval_query
            found = retriever.search(question, k=5)
            rows.setdefault("qa.search (shipped)", {})[item.id] = [
                (p.file, p.paragraph, p.text) for p in found
            ]
            reduced = reduce_question(question, question_language(question))
            if args.show:
                print(f"{item.id}: {question}  ->  {reduced}")
            query = embedder.embed_query_array(question)
            query_reduced = embedder.embed_query_array(reduced)
            sparse = rank.SPARSE_WEIGHT * rank._zscores(
                np.asarray([sparse_dot(embedder.sparse_query(question), d) for d in sparse_docs])
            )
            shipped = dense_z(query)
            second = dense_z(query_reduced)
            mean = query + query_reduced
            mean /= np.linalg.norm(mean)
            keep("replica of shipped", item.id, shipped + sparse)
            keep("reduced alone", item.id, second + sparse)
            keep("shipped + 0.5 reduced", item.id, shipped + 0.5 * second + sparse)
            keep("shipped + 1.0 reduced", item.id, shipped + 1.0 * second + sparse)
            keep("mean vector", item.id, dense_z(mean) + sparse)
        for name, ranked in rows.items():
            _print(name, items, ranked)


if __name__ == "__main__":
    main()
