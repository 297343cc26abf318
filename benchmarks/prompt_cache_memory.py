"""Memory and speed of the local backend with llama.cpp's prompt cache at several sizes.

    .venv/bin/python benchmarks/prompt_cache_memory.py [--questions 30] [--sizes 8192 256 0]

llama.cpp keeps the states of earlier prompts in RAM (its prompt cache, ``QA_LOCAL_CACHE_MIB``)
so that a prompt sharing a start with one of them (the system prompt, after a translation or a
follow-up's condensing request used the slot) need not be read again. For each size, in a fresh
process (the model and the cache are per process), the first N items of the known-answers set
are answered in order as ``qa eval`` asks them (follow-ups with their history), and the process's
resident memory (VmRSS) is read after loading and after every answer. Prints, per size, the
memory after the warm-up answer and at the end, the growth, and the time to the first word
(p50 / p95). 8192 MiB is llama.cpp's own default.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

import qa
from qa.config import load_settings
from qa.evalset import load_known_answers, percentile
from qa.local_llm import LocalChatModel
from qa.retrieve import get_retriever


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (this measures on Linux only)")


def measure(cache_mib: int, questions: int) -> dict[str, list[float]]:
    settings = load_settings().model_copy(update={"llm": "local", "local_cache_mib": cache_mib})
    retriever = get_retriever(settings)
    model = LocalChatModel.from_settings(settings)
    qa.answer("What is the Hanoi Convention?", settings=settings, retriever=retriever, chat_model=model)
    memory, first_words = [rss_mib()], []
    for item in load_known_answers()[:questions]:
        result = qa.answer(
            item.question,
            history=list(item.history) or None,
            settings=settings,
            retriever=retriever,
            chat_model=model,
        )
        first_words.append(result.timings.get("first_token", result.timings["total"]))
        memory.append(rss_mib())
    return {"memory": memory, "first_words": first_words}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--sizes", type=int, nargs="+", default=[8192, 256, 0])
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)  # one measurement
    args = parser.parse_args()
    if args.size is not None:
        print(json.dumps(measure(args.size, args.questions)))
        return
    table = Table(
        "cache (MiB)",
        "RSS after warm-up (MiB)",
        "RSS at the end (MiB)",
        "growth (MiB)",
        "first word p50 / p95 (s)",
    )
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--size", str(size), "--questions", str(args.questions)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        row = json.loads(out.strip().splitlines()[-1])
        memory, first_words = row["memory"], row["first_words"]
        table.add_row(
            str(size),
            f"{memory[0]:.0f}",
            f"{memory[-1]:.0f}",
            f"{memory[-1] - memory[0]:.0f}",
            f"{percentile(first_words, 50):.2f} / {percentile(first_words, 95):.2f}",
        )
        print(json.dumps({"size": size} | row), flush=True)
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
