"""Plain dense retrieval (multilingual-e5-small over raw paragraphs, cosine) against the shipped
ranking (``qa.search``), on the known-answers set and on the two held-out sets.

    .venv/bin/python benchmarks/dense_baseline.py

The held-out sets (``tests/eval/heldout.jsonl``, ``tests/eval/fresh.jsonl``) were written after
every retrieval technique had been chosen on the main set; if the shipped ranking had been
fitted to the main set's questions, its gain over the plain baseline would shrink there. Printed: recall@1, recall@5 and MRR of both
rankings on the answerable items of each set. Uses the index of the current settings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from qa.config import load_settings
from qa.corpus import load_corpus
from qa.embeddings import get_embeddings
from qa.evalset import DEFAULT_PATH, FRESH_PATH, HELDOUT_PATH, load_known_answers, retrieval_metrics
from qa.retrieve import get_retriever


def main() -> None:
    settings = load_settings()
    paragraphs = load_corpus(Path(settings.sources_dir)).content_paragraphs()
    embeddings = get_embeddings(settings)
    vectors = embeddings.embed_documents_array([p.text for p in paragraphs])  # "passage: " form
    retriever = get_retriever(settings)
    for name, path in (
        ("known answers", DEFAULT_PATH),
        ("held out", HELDOUT_PATH),
        ("fresh", FRESH_PATH),
    ):
        items = [item for item in load_known_answers(path) if item.answerable]
        dense, shipped = {}, {}
        for item in items:
            query = embeddings.embed_query_array(item.retrieval_query)
            best = np.argsort(-(vectors @ query))[:5]
            dense[item.id] = [(paragraphs[j].file, paragraphs[j].number, paragraphs[j].text) for j in best]
            found = retriever.search(item.retrieval_query, k=5)
            shipped[item.id] = [(p.file, p.paragraph, p.text) for p in found]
        for label, ranked in (("plain dense", dense), ("shipped", shipped)):
            metrics = retrieval_metrics(items, ranked, k=5)
            print(
                f"{name} ({len(items)} answerable), {label}: recall@1 {metrics['recall@1']:.3f}, "
                f"recall@5 {metrics['recall@5']:.3f}, MRR {metrics['mrr']:.3f}"
            )


if __name__ == "__main__":
    main()
