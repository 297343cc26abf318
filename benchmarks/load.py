"""Load figures for docs/reliability.md: concurrent chat sessions against the web app.

    .venv/bin/python benchmarks/load.py                      # 50 sessions, extractive backend
    .venv/bin/python benchmarks/load.py --sessions 100       # more sessions
    .venv/bin/python benchmarks/load.py --backend local -n 5 # the bundled local model

Starts ``python app.py`` on a free loopback port (its own process, so its memory is its own),
on a freshly built index of the seed articles in a temporary folder. Each session is one
``gradio_client`` client holding a two-turn conversation (a known-answer question, then a
follow-up); all sessions are released at once. Prints per-turn latency percentiles (as the
clients saw them, queueing included), failures, and the server's resident memory before,
during and after the load, and its peak (VmHWM, start-up included).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests.reliability

from qa.config import PROJECT_ROOT, Settings
from qa.evalset import DEFAULT_PATH, load_known_answers
from qa.retrieve import get_retriever
from tests.reliability.helpers import LatencySummary, app_server
from tests.reliability.load import FOLLOW_UP, run_load


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--sessions", type=int, default=50)
    parser.add_argument("--backend", choices=["extractive", "local"], default="extractive")
    parser.add_argument("--turns", type=int, choices=[1, 2], default=2, help="1: no follow-up")
    args = parser.parse_args()

    questions = list(dict.fromkeys(i.question for i in load_known_answers(DEFAULT_PATH) if not i.history))
    conversations = [[questions[i % len(questions)], FOLLOW_UP][: args.turns] for i in range(args.sessions)]
    with tempfile.TemporaryDirectory(prefix="qa-load-") as tmp:
        work = Path(tmp)
        seeds = PROJECT_ROOT / "seeds"
        settings = Settings(_env_file=None, sources_dir=seeds, index_dir=work / "index")  # type: ignore[call-arg]
        print("building the index of the seeds ...", flush=True)
        get_retriever(settings).ensure_index()
        env = {
            "QA_SOURCES_DIR": str(seeds),
            "QA_INDEX_DIR": str(work / "index"),
            "QA_LLM": args.backend,
            "QA_LLM_FALLBACK": "none",
            "QA_MODEL_CACHE_DIR": os.environ.get("QA_MODEL_CACHE_DIR", str(work / "cache")),
        }
        with app_server(work, startup_timeout=300, **env) as server:
            from gradio_client import Client

            started = time.monotonic()
            Client(server.url, verbose=False).predict(questions[0], api_name="/ask")
            print(
                f"server pid {server.pid}; first answer (models loaded) after {time.monotonic() - started:.1f} s"
            )
            result = run_load(server.url, server.pid, conversations)
            alive = server.alive()
    load = os.getloadavg()
    print(f"backend {args.backend}: {args.sessions} sessions x {args.turns} turns, {result.seconds:.1f} s")
    for position in range(args.turns):
        times = [t.seconds for t in result.turns(position) if t.error is None]
        print(f"  turn {position + 1}: {LatencySummary.of(times)}")
    print(f"  all: {LatencySummary.of(result.latencies())}")
    print(
        f"  computing an answer (server side, without queueing): {LatencySummary.of(result.answer_times())}"
    )
    print(f"  failed or dropped: {len(result.errors())}; server alive after: {alive}")
    for error in result.errors()[:5]:
        print(f"    {error}")
    print(
        f"  server RSS: {result.rss_before_kib / 1024:.0f} MiB before, {result.load_peak_rss_kib / 1024:.0f} MiB"
        f" peak under load, {result.rss_after_kib / 1024:.0f} MiB after; VmHWM {result.peak_rss_kib / 1024:.0f} MiB"
    )
    print(
        f"  load average (1/5/15 min) at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores"
    )


if __name__ == "__main__":
    main()
