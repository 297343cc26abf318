"""Retrieval quality of `qa.search` on the known-answer set: recall@1, recall@5, MRR.

    .venv/bin/python benchmarks/retrieval_quality.py [--index-dir DIR] [--show-misses]

Uses the real pipeline (bundled model, embedded Chroma) on the seed articles; the index goes to
a temporary folder unless --index-dir is given (reuse one to skip re-embedding).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from qa.config import PROJECT_ROOT, Settings
from qa.evalset import DEFAULT_PATH, THRESHOLDS, first_hit_rank, load_known_answers, retrieval_metrics
from qa.retrieve import Retriever


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--index-dir", type=Path, default=None)
    parser.add_argument("--show-misses", action="store_true")
    parser.add_argument("-k", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = args.index_dir or Path(tmp) / "index"
        settings = Settings(sources_dir=PROJECT_ROOT / "seeds", index_dir=index_dir)
        retriever = Retriever(settings)
        items = [item for item in load_known_answers(DEFAULT_PATH) if item.answerable]
        ranked = {}
        for item in items:
            passages = retriever.search(item.retrieval_query, k=args.k)
            ranked[item.id] = [(p.file, p.paragraph, p.text) for p in passages]
        metrics = retrieval_metrics(items, ranked, k=args.k)
        halves = [retrieval_metrics(items[i::2], ranked, k=args.k) for i in (0, 1)]
        targets = THRESHOLDS["retrieval"]
        print(
            f"n={len(items)}  recall@1 {metrics['recall@1']:.3f}  recall@{args.k} {metrics[f'recall@{args.k}']:.3f}"
            f"  MRR {metrics['mrr']:.3f}   (halves: MRR {halves[0]['mrr']:.3f} / {halves[1]['mrr']:.3f};"
            f" targets recall@5 {targets['recall@5']}, MRR {targets['mrr']})"
        )
        if args.show_misses:
            for item in items:
                rank = first_hit_rank(item, ranked[item.id])
                if rank != 1:
                    got = ", ".join(f"{f[:3]}¶{n}" for f, n, _ in ranked[item.id])
                    print(f"  rank {rank}: {item.id}: {item.retrieval_query}  ->  {got}")


if __name__ == "__main__":
    main()
