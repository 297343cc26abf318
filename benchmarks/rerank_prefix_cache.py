"""Could llama.cpp's prompt cache make ``QA_RERANK=llm`` cheaper? Each judgement, two ways.

    .venv/bin/python benchmarks/rerank_prefix_cache.py blank|passage [-n 30] [--reverse] [--fixed] [--out FILE]
    .venv/bin/python benchmarks/rerank_prefix_cache.py --compare FILE FILE

A judgement (``qa.rerank``) is one request whose user message is the passage, then the
question. The local backend sends a primer request first (``qa.local_llm.prefix_request``) so
that the part llama.cpp reuses from its cache is always read the same way, and a judgement
does not depend on what was asked before:

- ``blank`` (shipped): the primer is the request with the user message emptied, so every
  judgement reads the whole passage and question;
- ``passage``: the primer keeps the user message up to the question, so a passage already
  judged for an earlier question can come from llama.cpp's prompt cache (``cache_ram_mib``).

For the first N questions of the known-answer set without history (optionally in reverse order),
the top 5 paragraphs are judged with the shipped prompts in a fresh llama.cpp server (the
bundled model, the pipeline's settings). Prints the seconds per question (five judgements, p50
and mean) and the prompt tokens read per judgement (primer and judgement), and writes each
judgement's top log-probabilities of "yes" and "no" to FILE. With ``--fixed``, every paragraph
is shown as the same excerpt whatever the question (from its first sentence), so two prompts
never hold different excerpts of one paragraph. ``--compare`` counts the judgements two such
files share that are bit-for-bit the same: a layout that keeps the repeatability promise gives
the same figures whatever was asked before, so forward and reverse runs must agree.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

CUT = "Question:"  # where the passage part of the rerank prompt ends (prompts/rerank.txt)


def run(layout: str, n: int, reverse: bool, fixed: bool, out: Path) -> None:
    from common import backend_server

    from qa.answering import excerpt, full_paragraph
    from qa.config import load_settings
    from qa.evalset import load_known_answers
    from qa.local_llm import prefix_request
    from qa.prompts import render
    from qa.retrieve import get_retriever

    settings = load_settings()
    retriever = get_retriever(settings)
    server = backend_server(settings)
    system = render("rerank_system")
    items = [k for k in load_known_answers() if not k.history][:n]
    per_question, tokens, judgements = [], [], []
    for item in reversed(items) if reverse else items:
        started = time.perf_counter()
        for p in retriever.search(item.question, settings.top_k):
            centre = None if fixed else p.sentence
            shown = excerpt(full_paragraph(retriever, p).text, centre, settings.answer_source_chars)
            user = render("rerank", passage=shown, question=item.question)
            request: dict[str, Any] = {
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
                "max_tokens": 1,
                "temperature": 0.0,
                "cache_prompt": True,
                "logprobs": True,
                "top_logprobs": 10,
            }
            primer = prefix_request(request)
            if layout == "passage":
                primer["messages"][-1] = {"role": "user", "content": user[: user.index(CUT)]}
            primed = server.handle_chat_completions(primer)
            reply = server.handle_chat_completions(request)
            tokens.append(primed["timings"]["prompt_n"] + reply["timings"]["prompt_n"])
            top = reply["choices"][0]["logprobs"]["content"][0]["top_logprobs"]
            logprobs = {alt["token"]: alt["logprob"] for alt in top}
            judgements.append([item.id, p.file, p.paragraph, logprobs.get("yes"), logprobs.get("no")])
        per_question.append(time.perf_counter() - started)
    out.write_text(json.dumps(judgements), encoding="utf-8")
    print(
        f"{layout}{' (reverse order)' if reverse else ''}{' (fixed excerpts)' if fixed else ''}: five judgements p50 {statistics.median(per_question):.2f} s, "
        f"mean {statistics.mean(per_question):.2f} s ({len(per_question)} questions); prompt tokens read per "
        f"judgement p50 {statistics.median(tokens):.0f}, mean {statistics.mean(tokens):.0f}; written to {out}"
    )


def compare(first: Path, second: Path) -> None:
    one = {tuple(j[:3]): j[3:] for j in json.loads(first.read_text(encoding="utf-8"))}
    two = {tuple(j[:3]): j[3:] for j in json.loads(second.read_text(encoding="utf-8"))}
    shared = one.keys() & two.keys()
    same = sum(one[k] == two[k] for k in shared)
    gap = max((abs((one[k][0] or 0.0) - (two[k][0] or 0.0)) for k in shared), default=0.0)
    print(f"{same} of {len(shared)} judgements identical; largest gap in log P(yes) {gap:.3f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("layout", nargs="?", choices=["blank", "passage"])
    parser.add_argument("-n", type=int, default=30, help="questions (default 30)")
    parser.add_argument("--reverse", action="store_true", help="ask the questions in reverse order")
    parser.add_argument("--fixed", action="store_true", help="one excerpt per paragraph, from its start")
    parser.add_argument("--out", type=Path, help="where to write the judgements")
    parser.add_argument("--compare", nargs=2, type=Path, metavar="FILE")
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
    elif args.layout:
        name = args.layout + ("-fixed" if args.fixed else "") + ("-reverse" if args.reverse else "")
        default = Path(f"reports/rerank-cache/{name}.json")
        out = args.out or default
        out.parent.mkdir(parents=True, exist_ok=True)
        run(args.layout, args.n, args.reverse, args.fixed, out)
    else:
        parser.error("give a layout or --compare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
