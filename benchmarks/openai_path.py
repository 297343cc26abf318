"""The ``openai`` backend over the whole known-answers set, against a real OpenAI-compatible server.

    .venv/bin/python benchmarks/openai_path.py [--report reports/openai-path] [--compare reports/X]
                                               [--limit N] [--set tests/eval/heldout.jsonl]

No API key reaches this machine, so the ``openai`` backend's evaluation test skips. What can be
measured here is the path itself: the official ``openai`` client under langchain-openai, structured
output requested as OpenAI's ``response_format`` JSON schema, streaming over HTTP, token
log-probabilities, retries and timeouts, with every check of the pipeline on top. This script
starts llama.cpp's own OpenAI-compatible HTTP server (xllamacpp, as the backend tests do) on
127.0.0.1 at a free port, with a random API key, serving the bundled model, and runs the product's
``qa eval --backend openai`` in a child process with ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``
pointing at it. The figures are then those of the bundled 1.5B model reached over the ``openai``
path, to compare with ``qa eval --backend local`` (``--compare`` with a local run's report folder
prints which answers differ); they say nothing about a stronger model behind the same path.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
from pathlib import Path

from common import backend_server

from qa.config import PROJECT_ROOT, load_settings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, default=PROJECT_ROOT / "reports" / "openai-path")
    parser.add_argument("--compare", type=Path, help="a report folder to compare with (a local run)")
    parser.add_argument("--limit", type=int, help="only the first N items")
    parser.add_argument("--set", type=Path, help="a known-answers JSONL (default: the main set)")
    args = parser.parse_args()

    settings = load_settings()
    key = secrets.token_urlsafe(24)
    # The server the local backend runs in-process, here listening on loopback with its parameters.
    server = backend_server(settings, api_key=key)
    base_url = server.listening_address + "/v1"
    print(f"llama.cpp server on {base_url} (bundled model)", flush=True)
    env = {
        **os.environ,
        "QA_LLM": "openai",
        "OPENAI_BASE_URL": base_url,
        "OPENAI_API_KEY": key,
        "QA_MODEL": "bundled-gguf",  # llama.cpp serves one model whatever the name
    }
    command = [sys.executable, "-m", "qa", "eval", "--backend", "openai", "--report", str(args.report)]
    if args.compare:
        command += ["--compare", str(args.compare)]
    if args.limit:
        command += ["--limit", str(args.limit)]
    if args.set:
        command += ["--set", str(args.set)]
    try:
        return subprocess.run(command, env=env, check=False).returncode
    finally:
        del server


if __name__ == "__main__":
    raise SystemExit(main())
