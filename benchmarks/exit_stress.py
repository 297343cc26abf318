"""Stress: end a process while another thread streams from the bundled local model, many times.

    .venv/bin/python benchmarks/exit_stress.py [--runs 120] [--parallel 2] [--busy-every 3]

Runs the script of ``tests/reliability/test_interrupts.py``'s exit test (a daemon thread streams
a long reply; the main thread ends as soon as the first text arrives, at a random moment within
the next second for every other run) ``--runs`` times, ``--parallel`` at a time, with a busy
loop beside every ``--busy-every``-th run, and counts how the processes ended. A crash at exit
is rare and depends on timing, which one test run cannot show: before the model was unloaded at
exit this script segfaulted 7 times in 120 runs here, and 0 times after (docs/reliability.md). Set
``QA_MODEL_CACHE_DIR`` etc. as for the app; the model is assembled first if needed.
"""

from __future__ import annotations

import argparse
import collections
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.progress import track
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.reliability
from tests.reliability.helpers import EXIT_WHILE_STREAMING, run_child


def run_once(index: int, busy_every: int) -> int:
    busy = None
    if busy_every and index % busy_every == 0:
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        settings = {k: v for k, v in os.environ.items() if k.startswith("QA_")}  # as for the app
        return run_child(EXIT_WHILE_STREAMING, str(index % 2), timeout=600, **settings).returncode
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=120)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--busy-every", type=int, default=3, help="0: no busy loop")
    args = parser.parse_args()
    from qa.config import Settings
    from qa.local_model import model_path

    model_path(Settings())  # assemble the bundled model once, before the runs
    started = time.perf_counter()
    with ThreadPoolExecutor(args.parallel) as pool:
        futures = [pool.submit(run_once, i, args.busy_every) for i in range(1, args.runs + 1)]
        codes = collections.Counter(f.result() for f in track(futures, description="runs"))
    table = Table("exit code", "meaning", "runs")
    for code, count in sorted(codes.items()):
        meaning = "clean" if code == 0 else f"signal {-code}" if code < 0 else "error"
        table.add_row(str(code), meaning, str(count))
    console = Console()
    console.print(table)
    console.print(f"{args.runs} runs, {args.parallel} at a time, in {time.perf_counter() - started:.0f} s")
    return 0 if set(codes) == {0} else 1


if __name__ == "__main__":
    sys.exit(main())
