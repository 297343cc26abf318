"""The web chat's "Translate ¶n" for every indexed paragraph: speed, and what the checks flag.

    .venv/bin/python benchmarks/translate_sources.py [--languages en] [--limit N] [--backend local]

Translates each indexed paragraph of the seed articles into each of ``--languages`` it is not
written in, through :class:`qa.translation.Translator` exactly as the article viewer does (one
fresh translator, so nothing comes from its cache), and prints the time to the first words and
to the whole translation (p50 / p95), how many translations the checks flagged and why, and
the flagged ones. Translations are stored in ``reports/translate-sources/LANG.jsonl`` for
reading. An experiment script, not a test: see the docs/web-chat.md.
"""

from __future__ import annotations

import argparse
import collections
import json
import time
from pathlib import Path

from qa.config import PROJECT_ROOT, Settings
from qa.corpus import load_corpus
from qa.evalset import percentile
from qa.translation import Translation, Translator


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--languages", default="en", help="comma-separated, e.g. en,de")
    parser.add_argument("--limit", type=int, default=None, help="only the first N paragraphs")
    parser.add_argument("--backend", default="local", choices=["local", "openai"])
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "reports" / "translate-sources")
    args = parser.parse_args()
    settings = Settings(sources_dir=PROJECT_ROOT / "seeds", llm=args.backend)
    paragraphs = load_corpus(settings.sources_dir).content_paragraphs()[: args.limit]
    translator = Translator(settings)
    args.out.mkdir(parents=True, exist_ok=True)
    for lang in args.languages.split(","):
        first: list[float] = []
        whole: list[float] = []
        reasons: collections.Counter[str] = collections.Counter()
        flagged: list[Translation] = []
        todo = [p for p in paragraphs if p.lang != lang]
        with (args.out / f"{lang}.jsonl").open("w", encoding="utf-8") as out:
            for n, paragraph in enumerate(todo, start=1):
                start = time.perf_counter()
                first_seen: float | None = None
                result: Translation | None = None
                for item in translator.stream(paragraph.text, lang, paragraph.lang):
                    if isinstance(item, Translation):
                        result = item
                    elif item and first_seen is None:
                        first_seen = time.perf_counter() - start
                assert result is not None
                seconds = time.perf_counter() - start
                whole.append(seconds)
                if first_seen is not None:
                    first.append(first_seen)
                for problem in result.problems:
                    reasons[problem.split(":")[0]] += 1
                if result.problems:
                    flagged.append(result)
                row = {"paragraph": paragraph.label, "from": paragraph.lang, "to": lang, "seconds": seconds}
                out.write(
                    json.dumps(row | {"text": result.text, "problems": result.problems}, ensure_ascii=False)
                )
                out.write("\n")
                print(
                    f"[{n}/{len(todo)}] {paragraph.label} {paragraph.lang}->{lang} {seconds:.1f} s {result.problems or ''}"
                )
        print(
            f"\ninto {lang}: {len(todo)} paragraphs; first words p50 / p95 "
            f"{percentile(first, 50):.2f} / {percentile(first, 95):.2f} s; whole p50 / p95 "
            f"{percentile(whole, 50):.2f} / {percentile(whole, 95):.2f} s, max {max(whole):.1f} s; "
            f"flagged {len(flagged)} ({dict(reasons)})"
        )
        for result in flagged:
            print(f"  - {result.problems}: {result.text[:160]}")


if __name__ == "__main__":
    main()
