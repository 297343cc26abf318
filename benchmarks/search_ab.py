"""Interleaved A/B of search latency: another version of qa/retrieve.py against the working tree's.

    git show 01c0126:qa/retrieve.py > /tmp/old_retrieve.py
    .venv/bin/python benchmarks/search_ab.py /tmp/old_retrieve.py [--index-dir DIR] [--rounds 2]

Both retrievers run in one process on one index with one model, question by question in turn,
so other jobs on the machine weigh on both alike (a plain before/after run does not compare
well on a shared machine). Prints wall-clock p50/p95 and the median CPU time per search.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import tempfile
import time
from pathlib import Path

import qa.retrieve as current
from qa.config import PROJECT_ROOT, Settings
from qa.evalset import DEFAULT_PATH, load_known_answers


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("old", type=Path, help="the other retrieve.py")
    parser.add_argument("--index-dir", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("old_retrieve", args.old)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {args.old}")
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            sources_dir=PROJECT_ROOT / "seeds", index_dir=args.index_dir or Path(tmp) / "index"
        )
        new_retriever = current.Retriever(settings)
        old_retriever = old.Retriever(settings, embedder=new_retriever.embedder)
        questions = [item.question for item in load_known_answers(DEFAULT_PATH)]
        new_retriever.search(questions[0])  # builds the index if needed, warms both
        old_retriever.search(questions[0])
        samples: dict[str, tuple[list[float], list[float]]] = {"old": ([], []), "new": ([], [])}
        for _ in range(args.rounds):
            for question in questions:
                for name, retriever in (("old", old_retriever), ("new", new_retriever)):
                    wall, cpu = time.perf_counter(), time.process_time()
                    retriever.search(question, k=5)
                    samples[name][0].append((time.perf_counter() - wall) * 1000)
                    samples[name][1].append((time.process_time() - cpu) * 1000)
    load = Path("/proc/loadavg").read_text().split()[0]
    for name, (walls, cpus) in samples.items():
        ordered = sorted(walls)
        p95 = ordered[round(0.95 * (len(ordered) - 1))]
        print(
            f"{name}: wall p50 {statistics.median(ordered):.1f} ms, p95 {p95:.1f} ms; "
            f"CPU median {statistics.median(cpus):.1f} ms (n={len(ordered)}, load average {load})"
        )


if __name__ == "__main__":
    main()
