"""How fast the local model reads an answer's prompt under llama.cpp settings (first-token time).

    .venv/bin/python benchmarks/prompt_speed.py [-n 30] ['{"flash_attn_type": 0}' ...]

Builds the answer prompts of the first N known-answer questions without history (the shipped
retrieval and prompt: system prompt, the best ``QA_ANSWER_PASSAGES`` excerpts, the question),
then, for the default settings and each JSON object of ``xllamacpp.CommonParams`` attributes
given, loads the bundled model in a fresh process and sends each prompt as the pipeline does
(the system prompt primed first, see ``qa.local_llm.prefix_request``), generating 8 tokens.
Prints llama.cpp's own timings: prompt tokens read, seconds to read them (p50 / p95), tokens
read per second, and milliseconds per generated token. Most of the time to an answer's first
word is the prompt's reading. See benchmarks/README.md ("Time to the first word").
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time


def measure(config: dict[str, object], n: int) -> str:
    import xllamacpp
    from common import percentiles

    from qa.answering import build_messages
    from qa.config import load_settings
    from qa.evalset import load_known_answers
    from qa.local_llm import DEFAULT_CTX
    from qa.local_model import model_path
    from qa.retrieve import get_retriever

    settings = load_settings()
    retriever = get_retriever(settings)
    prompts: list[list[dict[str, str]]] = []
    for item in [k for k in load_known_answers() if not k.history][:n]:
        passages = retriever.search(item.question, settings.top_k)[: settings.passages_for("local")]
        messages = build_messages(item.question, passages, item.lang, settings.answer_source_chars)
        prompts.append([{"role": role, "content": text} for role, text in messages])
    params = xllamacpp.CommonParams()
    params.model.path = str(model_path(settings))
    params.n_ctx = DEFAULT_CTX
    params.n_parallel = 1
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = 2
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.sampling.temp = 0.0
    params.sampling.top_k = 1
    params.verbosity = 0
    for key, value in config.items():
        setattr(params, key, value)
    server = xllamacpp.Server(params)
    seconds, tokens, per_token = [], [], []
    for chat in prompts:
        primer = [dict(m) for m in chat]
        primer[-1]["content"] = ""
        server.handle_chat_completions(
            {"messages": primer, "max_tokens": 0, "temperature": 0.0, "cache_prompt": True}
        )
        request = {"messages": chat, "max_tokens": 8, "temperature": 0.0, "cache_prompt": True}
        timings = server.handle_chat_completions(request)["timings"]
        seconds.append(timings["prompt_ms"] / 1000)
        tokens.append(timings["prompt_n"])
        per_token.append(timings["predicted_per_token_ms"])
    p50, p95 = percentiles(seconds)
    return (
        f"{json.dumps(config) or '{}'}: prompt tokens p50 {statistics.median(tokens):.0f}, read in p50 "
        f"{p50:.2f} s / p95 {p95:.2f} s, {sum(tokens) / sum(seconds):.0f} tokens/s; "
        f"{statistics.median(per_token):.0f} ms per generated token"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=30, help="questions (default 30)")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child process: measure this config
    parser.add_argument("configs", nargs="*", help="JSON objects of CommonParams attributes")
    args = parser.parse_args()
    if args.one is not None:
        print(measure(json.loads(args.one), args.n), flush=True)
        return 0
    for config in ["{}", *args.configs]:
        started = time.perf_counter()
        child = [sys.executable, __file__, "-n", str(args.n), "--one", config]
        subprocess.run(child, check=True)
        print(f"  ({time.perf_counter() - started:.0f} s with loading)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
