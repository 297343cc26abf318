"""Time to the first word for chat questions and their follow-ups, with repeatable answers on and off.

    .venv/bin/python benchmarks/followup_latency.py [--runs 2]

Four question-and-follow-up pairs in four languages are asked through the local backend as the
web chat asks them (the follow-up with the conversation's history, so it is condensed first),
after one warm-up question, once with ``QA_LOCAL_REPEATABLE`` on and once off per run, each in a
fresh process (llama.cpp keeps earlier prompts in its cache, so a second mode in the same process
would find the first mode's prompts there). Follow-ups
usually retrieve the sources of the question before, which llama.cpp's prompt cache can reuse
only with repeatable answers off (see docs/answering.md, "Repeatable answers"). Prints each mode's times.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from rich.console import Console
from rich.table import Table

import qa
from qa.config import load_settings
from qa.local_llm import LocalChatModel
from qa.retrieve import get_retriever

PAIRS = [
    ("How many chapters does the Hanoi Convention have?", "And how many articles?"),
    ("Wer leitete die Zeremonie?", "Und wann fand sie statt?"),
    ("Qui est Ghada Waly ?", "Et qu'a-t-elle salué ?"),
    ("Hur många länder deltog i ceremonin?", "Och vem tog emot delegationerna?"),
]


def measure(repeatable: bool) -> tuple[list[float], list[float]]:
    settings = load_settings().model_copy(update={"llm": "local", "local_repeatable": repeatable})
    retriever = get_retriever(settings)
    model = LocalChatModel.from_settings(settings)
    qa.answer("What is the Hanoi Convention?", settings=settings, retriever=retriever, chat_model=model)
    firsts, follow_ups = [], []
    for question, follow_up in PAIRS:
        first = qa.answer(question, settings=settings, retriever=retriever, chat_model=model)
        firsts.append(first.timings.get("first_token", first.timings["total"]))
        history = [(question, first.text)]
        second = qa.answer(
            follow_up, history=history, settings=settings, retriever=retriever, chat_model=model
        )
        follow_ups.append(second.timings.get("first_token", second.timings["total"]))
    return firsts, follow_ups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--mode", choices=["on", "off"], help=argparse.SUPPRESS)  # one measurement
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(measure(args.mode == "on")))
        return
    table = Table("run", "repeatable", "first questions (s)", "follow-ups (s)", "follow-ups p50 (s)")
    for run in range(1, args.runs + 1):
        for mode in ("on", "off"):
            out = subprocess.run(
                [sys.executable, __file__, "--mode", mode], check=True, capture_output=True, text=True
            ).stdout
            firsts, follow_ups = json.loads(out.strip().splitlines()[-1])
            table.add_row(
                str(run),
                mode,
                " ".join(f"{t:.2f}" for t in firsts),
                " ".join(f"{t:.2f}" for t in follow_ups),
                f"{statistics.median(follow_ups):.2f}",
            )
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
