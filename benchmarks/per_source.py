"""Experiment: ask the model about one source at a time instead of all of them at once.

    .venv/bin/python benchmarks/per_source.py [--report DIR] [--limit N]

The shipped pipeline shows the local model the best ``QA_ANSWER_PASSAGES`` (3) paragraphs as
numbered sources in one prompt. Here the same checks run on a cascade: the model sees the best
paragraph alone; when it says that source does not answer (or its answer fails the grounding
checks), it sees the next one alone, and so on; the first answer that passes is the answer, citing
that paragraph (plus any other retrieved paragraph the number check adds). Nothing answers: the
bot abstains. The idea: a 1.5B model reads one short source better than three, and an answer
tied to one paragraph cannot cite the wrong one of three. The cost: an abstention takes up to
three calls, each with a shorter prompt.

Writes the usual report (report.json, report.md, chart.png) into DIR (default
``reports/per-source``) so it can be compared item by item with ``qa eval --backend local``.
This is an experiment, not part of the pipeline: see docs/answering.md.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from common import evaluate_local

import qa.answering as answering
from qa.config import PROJECT_ROOT
from qa.models import Answer
from qa.prompts import message


class PerSourceRun(answering._Run):
    """``_Run`` whose LLM step asks about the retrieved paragraphs one at a time, best first."""

    def _generate(self, model: Any) -> Iterator[str | Answer]:
        retrieved = list(self.passages)
        shown = retrieved[: self.settings.passages_for("local")]
        not_found = message("not_found", self.lang)
        attempts = 0
        try:
            for passage in shown:
                attempts += 1
                self.passages = [passage]
                first_before = self._first_token
                streamed = False
                final: Answer | None = None
                for item in super()._generate(model):
                    if isinstance(item, Answer):
                        final = item
                    elif item != not_found:
                        streamed = True
                        yield item
                assert final is not None
                if final.found:
                    final.passages = shown
                    final.timings["attempts"] = attempts
                    yield final
                    return
                if not streamed:
                    self._first_token = first_before  # the abstention message was not shown
        finally:
            self.passages = retrieved
        self.timings["attempts"] = attempts
        yield from self._abstain(shown, "no source answered on its own")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, default=PROJECT_ROOT / "reports" / "per-source")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()

    answering._Run = PerSourceRun  # type: ignore[misc]  # the experiment's only change
    evaluate_local(args.report, args.limit)


if __name__ == "__main__":
    main()
