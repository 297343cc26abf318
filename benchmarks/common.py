"""Shared by the experiment scripts in this folder (run as ``python benchmarks/NAME.py``, which puts
this folder on ``sys.path``): reading a probe's questions, and running the evaluation of the local
backend with whatever an experiment changed."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from qa.config import Settings
from qa.eval import evaluate
from qa.report import console_tables, write_report


def questions_from_command_line(description: str, default: Path) -> list[str]:
    """The questions of the file named on the command line (one per line; ``default`` when none)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("questions", nargs="?", type=Path, default=default)
    args = parser.parse_args()
    lines = args.questions.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


def evaluate_local(report_dir: Path, limit: int | None = None) -> None:
    """``qa eval --backend local --resume --report REPORT_DIR`` in this process, so that what the
    calling experiment patched (e.g. ``qa.answering._Run``) is what answers; prints the tables."""

    def progress(stage: str, done: int, total: int) -> None:
        print(f"\r{stage} {done}/{total}", end="", flush=True)

    report = evaluate(
        Settings(),
        backend="local",
        limit=limit,
        progress=progress,
        checkpoint=report_dir / "answers.partial.jsonl",
        resume=True,
    )
    print()
    console = Console(width=120)
    for table in console_tables(report):
        console.print(table)
    for path in write_report(report, report_dir):
        print(path)
