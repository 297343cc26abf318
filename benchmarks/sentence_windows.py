"""Sentences indexed with their neighbour: windows of two consecutive sentences of a paragraph.

    .venv/bin/python benchmarks/sentence_windows.py [--set tests/eval/known_answers.jsonl]

A sentence that refers back ("Deze belangrijke gebeurtenis kan op drie aspecten worden
beoordeeld.", "this important event" being the ceremony named in the sentence before) is
embedded without what it refers to. An exact offline replica of the shipped ranking (`qa.rank`:
best hubness-corrected unit per paragraph, standardised per language, plus the latent terms
at weight 0.5) is run with three kinds of units: the sentences (the shipped ranking; the
replica must reproduce `qa.search`'s figures), the two-sentence windows (a one-sentence
paragraph is its own window), and both. Prints recall@1, recall@5 and MRR, with MRR on both
halves, for the answerable items of ``--set``.

This is an experiment, not part of the pipeline: see benchmarks/README.md for the figures.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np
from common import answerable_items, replica_corpus
from pivot_index import _print

from qa import rank
from qa.embeddings import sparse_dot
from qa.evalset import DEFAULT_PATH


def windows(sentences: list[str]) -> list[str]:
    """Every two consecutive sentences, joined; a single sentence alone."""
    if len(sentences) < 2:
        return list(sentences)
    return [f"{a} {b}" for a, b in itertools.pairwise(sentences)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--set", type=Path, default=DEFAULT_PATH, dest="eval_set")
    args = parser.parse_args()
    items = answerable_items(args.eval_set)
    with replica_corpus() as corpus:
        embedder, split = corpus.embedder, corpus.sentences
        kinds = {
            "sentences (replica of shipped)": split,
            "windows of two": [windows(s) for s in split],
            "sentences + windows": [s + (windows(s) if len(s) > 1 else []) for s in split],
        }
        units: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        cache: dict[str, np.ndarray] = {}
        for name, per_paragraph in kinds.items():
            flat = [u for us in per_paragraph for u in us]
            owners = np.asarray([i for i, us in enumerate(per_paragraph) for _ in us])
            todo = [u for u in dict.fromkeys(flat) if u not in cache]
            if todo:
                for u, v in zip(todo, embedder.embed_documents_array(todo), strict=True):
                    cache[u] = v
            vectors = np.stack([cache[u] for u in flat])
            units[name] = (vectors, owners, rank.hubness(vectors, owners))
        rows: dict[str, dict[str, list[tuple[str, int, str]]]] = {}
        for item in items:
            question = item.retrieval_query
            rows.setdefault("qa.search (shipped)", {})[item.id] = corpus.searched(question)
            query = embedder.embed_query_array(question)
            query_sparse = embedder.sparse_query(question)
            sparse = np.asarray([sparse_dot(query_sparse, d) for d in corpus.sparse_docs])
            for name, (vectors, owners, hub) in units.items():
                corrected = 2 * (vectors @ query) - hub
                best = np.full(len(corpus.keys), -np.inf)
                np.maximum.at(best, owners, corrected)
                total = rank.language_zscores(best, corpus.langs) + rank.SPARSE_WEIGHT * rank._zscores(sparse)
                rows.setdefault(name, {})[item.id] = corpus.top(total)
        for name, ranked in rows.items():
            _print(name, items, ranked)


if __name__ == "__main__":
    main()
