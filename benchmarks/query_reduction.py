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
from pathlib import Path

import numpy as np
import wordfreq
from common import answerable_items, replica_corpus
from pivot_index import _print

from qa import rank
from qa.answering import question_language
from qa.embeddings import sparse_dot
from qa.evalset import DEFAULT_PATH

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
    items = answerable_items(args.eval_set)
    with replica_corpus() as corpus:
        embedder = corpus.embedder
        split = corpus.sentences
        owners = np.asarray([i for i, ss in enumerate(split) for _ in ss])
        vectors = embedder.embed_documents_array([s for ss in split for s in ss])
        hub = rank.hubness(vectors, owners)

        def dense_z(query: np.ndarray) -> np.ndarray:
            best = np.full(len(corpus.keys), -np.inf)
            np.maximum.at(best, owners, 2 * (vectors @ query) - hub)
            return rank.language_zscores(best, corpus.langs)

        rows: dict[str, dict[str, list[tuple[str, int, str]]]] = {}
        for item in items:
            question = item.retrieval_query
            reduced = reduce_question(question, question_language(question))
            if args.show:
                print(f"{item.id}: {question}  ->  {reduced}")
            query = embedder.embed_query_array(question)
            query_reduced = embedder.embed_query_array(reduced)
            query_sparse = embedder.sparse_query(question)
            sparse = rank.SPARSE_WEIGHT * rank._zscores(
                np.asarray([sparse_dot(query_sparse, d) for d in corpus.sparse_docs])
            )
            shipped = dense_z(query)
            second = dense_z(query_reduced)
            mean = query + query_reduced
            mean /= np.linalg.norm(mean)
            for name, top5 in {
                "qa.search (shipped)": corpus.searched(question),
                "replica of shipped": corpus.top(shipped + sparse),
                "reduced alone": corpus.top(second + sparse),
                "shipped + 0.5 reduced": corpus.top(shipped + 0.5 * second + sparse),
                "shipped + 1.0 reduced": corpus.top(shipped + 1.0 * second + sparse),
                "mean vector": corpus.top(dense_z(mean) + sparse),
            }.items():
                rows.setdefault(name, {})[item.id] = top5
        for name, ranked in rows.items():
            _print(name, items, ranked)


if __name__ == "__main__":
    main()
