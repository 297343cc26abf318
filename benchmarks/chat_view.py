"""Where the web chat leaves a finished answer: replays stored answers in a real browser.

    .venv/bin/python benchmarks/chat_view.py reports/local/report.json [--width 390] [--limit N]

Takes the answers of a ``qa eval --report`` run (those to first questions that found an answer,
with their citations), serves the real chat on loopback with a backend that gives back exactly
those answers, asks each question in a fresh page of headless Chromium (Debian's ``chromium``)
and, once the reply is finished and the chat has stopped scrolling, records whether the answer
text is inside the chat's visible area and how tall the reply is. Prints how many answers were
out of view and the reply heights (p50 / max). An experiment script, not a test: see the
docs/web-chat.md.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qa.config import PROJECT_ROOT, Settings
from qa.corpus import Corpus, load_corpus
from qa.models import Answer, Citation
from qa.web import SCROLL_BOX_JS, build_app, launch_options

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SETTLE_MS = 800  # after the reply is final: time for the chat to finish scrolling
# [answer text top, bottom, scroll box top, bottom, reply height]
PLACEMENT_JS = f"""el => {{
    const box = ({SCROLL_BOX_JS})(el);
    const r = el.getBoundingClientRect();
    const b = box ? box.getBoundingClientRect() : {{top: 0, bottom: window.innerHeight}};
    return [r.top, r.bottom, b.top, b.bottom, el.closest('.qa-answer').getBoundingClientRect().height];
}}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stored_answers(report_path: Path, corpus: Corpus) -> dict[str, Answer]:
    """The report's answers to first questions that found an answer, by question."""
    answers = {}
    for item in json.loads(report_path.read_text(encoding="utf-8"))["items"]:
        got = item["answer"]
        if item["history"] or not got or not got["found"]:
            continue
        citations = []
        for ref in got["citations"]:
            file, number = ref.rsplit(" ¶", 1)
            citations.append(Citation(file, int(number), corpus.paragraph(file, int(number)).text))
        answers[item["question"]] = Answer(
            question=item["question"], text=got["text"], citations=citations, found=True,
            lang=item["lang"], backend="replay",
        )  # fmt: skip
    return answers


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("report", type=Path, help="report.json of a qa eval run")
    parser.add_argument("--width", type=int, default=1400, help="window width in CSS pixels")
    parser.add_argument("--height", type=int, default=1000)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            sources_dir=PROJECT_ROOT / "seeds", index_dir=Path(tmp) / "index", llm="extractive"
        )
        corpus = load_corpus(settings.sources_dir)
        answers = stored_answers(args.report, corpus)
        questions = list(answers)[: args.limit]

        def stream(question: str, _history: Any) -> Iterator[str | Answer]:
            yield answers[question].text
            yield answers[question]

        def answer(question: str, _history: Any = None) -> Answer:
            return answers[question]

        app = build_app(settings, stream_fn=stream, answer_fn=answer, corpus_fn=lambda: corpus)
        app.launch(**launch_options(settings, server_port=free_port(), prevent_thread_lock=True, quiet=True))
        out_of_view: list[str] = []
        heights: list[float] = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for question in questions:
                    page = browser.new_page(viewport={"width": args.width, "height": args.height})
                    page.goto(app.local_url or "")
                    page.locator("#qa-question textarea").fill(question)
                    page.keyboard.press("Enter")
                    page.wait_for_selector("#qa-chat .qa-answer:not(.qa-streaming)", timeout=60_000)
                    page.wait_for_timeout(SETTLE_MS)
                    top, bottom, box_top, box_bottom, height = page.locator(
                        "#qa-chat .qa-answer-text"
                    ).evaluate(PLACEMENT_JS)
                    if not (box_top - 1 <= top and bottom <= box_bottom + 1):
                        out_of_view.append(question)
                    heights.append(height)
                    page.close()
                browser.close()
        finally:
            app.close()
    print(
        f"width {args.width} px: {len(questions)} answers, {len(out_of_view)} out of view once finished;"
        f" reply height p50 {statistics.median(heights):.0f} px, max {max(heights):.0f} px"
    )
    for question in out_of_view:
        print(f"  out of view: {question}")


if __name__ == "__main__":
    main()
