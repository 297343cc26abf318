"""The answer's JSON opening given to the local model (assistant prefill) instead of generated.

    QA_LOCAL_CACHE_MIB=0 .venv/bin/python benchmarks/answer_prefill.py [-n 21] [--compact]

Under the JSON-schema grammar the model spends several tokens on the reply's opening ("{", a
newline, indentation, the key) before the first word of the answer the chat can show. llama.cpp
continues a started assistant turn, so the opening can be sent as the start of the model's reply,
with a GBNF grammar for the rest. For the first N questions of the known-answers set without
history (the first one warms up and is left out), every prompt is answered the shipped way, then
every prompt with the opening given; the script prints the time to the answer's first character
(p50) and the whole reply, and how many parsed replies are the same. ``--compact`` gives the
opening as ``{"answer": "`` (what a person would write) instead of ``{\\n  "answer": "`` (what
the model writes under the shipped grammar). Run with llama.cpp's RAM prompt cache off
(``QA_LOCAL_CACHE_MIB=0``): with it on, the second pass finds the first pass's prompts in the
cache and reads none of them.
"""

from __future__ import annotations

import argparse
import json
import time

from common import percentiles

from qa.answering import AnswerFieldStreamer, build_messages, full_paragraph
from qa.config import load_settings
from qa.evalset import load_known_answers
from qa.grounding import answer_schema
from qa.llm import _stream_chunks, get_chat_model, structured_kwargs
from qa.retrieve import get_retriever


def grammar_after(opening_ws: str, n_sources: int) -> str:
    """GBNF for the reply after the opening: the answer's characters, then sources and found."""
    numbers = " | ".join(f'"{n}"' for n in range(n_sources, 0, -1))
    return "\n".join(
        [
            'root ::= chars "\\"" ws "," ws "\\"sources\\"" ws ":" ws "[" ws numbers? ws "]" ws "," ws '
            '"\\"found\\"" ws ":" ws ("true" | "false") ws "}"',
            'chars ::= ( [^"\\\\\\x00-\\x1f] | "\\\\" ( ["\\\\/bfnrt] | "u" hex hex hex hex ) )*',
            "hex ::= [0-9a-fA-F]",
            'numbers ::= number ( ws "," ws number )*',
            f"number ::= {numbers}",
            f"ws ::= {opening_ws}",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=21)
    parser.add_argument("--compact", action="store_true")
    args = parser.parse_args()
    opening = '{"answer": "' if args.compact else '{\n  "answer": "'
    whitespace = "[ \\t\\n]?" if args.compact else "[ \\t\\n]{0,8}"
    settings = load_settings()
    model = get_chat_model(settings)
    retriever = get_retriever(settings)
    items = [i for i in load_known_answers() if not i.history][: args.n]

    def run(messages: list[tuple[str, str]], options: dict, prefilled: bool) -> tuple[float, float, str]:
        start = time.perf_counter()
        first = None
        parts = []
        streamer = AnswerFieldStreamer()
        for chunk in _stream_chunks(model, messages, options):
            if not chunk.text:
                continue
            parts.append(chunk.text)
            shown = chunk.text if prefilled else streamer.feed(chunk.text)
            if first is None and shown.strip():
                first = time.perf_counter() - start
        total = time.perf_counter() - start
        return first if first is not None else total, total, "".join(parts)

    prompts = []
    for item in items:
        passages = [full_paragraph(retriever, p) for p in retriever.search(item.question, 5)]
        passages = passages[: settings.passages_for("local")]
        prompts.append((item, len(passages), build_messages(item.question, passages, item.lang)))
    shipped = [run(m, structured_kwargs(answer_schema(n)), False) for _, n, m in prompts]
    given = [
        run([*m, ("assistant", opening)], {"extra_body": {"grammar": grammar_after(whitespace, n)}}, True)
        for _, n, m in prompts
    ]
    same = 0
    for (item, _, _), a, b in list(zip(prompts, shipped, given, strict=True))[1:]:
        try:
            mine = json.loads(opening + b[2])
        except json.JSONDecodeError:
            mine = None
        if json.loads(a[2]) == mine:
            same += 1
        else:
            print(f"changed {item.id}: {a[2]!r:.100} -> {opening + b[2]!r:.100}")
    for name, rows in (("shipped", shipped[1:]), ("opening given", given[1:])):
        first = percentiles([r[0] for r in rows])
        total = percentiles([r[1] for r in rows])
        print(
            f"{name:14s} first answer character p50 {first[0]:.2f} s p95 {first[1]:.2f} s; whole reply p50 {total[0]:.2f} s"
        )
    print(f"same parsed reply: {same} of {len(prompts) - 1}")


if __name__ == "__main__":
    main()
