"""Words an answer leaves in another language: how often, and whether the model can mend them.

    .venv/bin/python benchmarks/foreign_words.py scan [REPORT_JSON ...]
    .venv/bin/python benchmarks/foreign_words.py retry REPORT_JSON
    .venv/bin/python benchmarks/foreign_words.py translate REPORT_JSON

``scan`` runs `qa.grounding.foreign_words` over every distinct answer of stored `qa eval` reports
of the language-model backends (default: every `reports/*/report.json`; the sources are each
item's top three retrieved paragraphs, as the answer prompt shows them) and prints what it flags,
to be read one by one. ``retry`` asks the configured model again, for every answer of REPORT_JSON
with such words: the same prompt, its first reply, and a note naming the words ("Your answer
keeps words that are not French (Dutch: Buitenlandse, Zaken). Write the answer again, …").
``translate`` gives those answers to the answer stage's translation (`prompts/translate.txt`),
from the language of the words into the question's. Both print the reply, the words left in it
and the time it took. See benchmarks/README.md, "Words left in a source's language".
"""

from __future__ import annotations

import argparse
import glob
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from qa.answering import build_messages, full_paragraph
from qa.config import load_settings
from qa.corpus import load_corpus
from qa.grounding import answer_schema, corpus_names, foreign_words, parse_reply
from qa.llm import chat, get_chat_model
from qa.models import Passage
from qa.prompts import language_name
from qa.retrieve import get_retriever
from qa.translation import foreign_words_note, read_translation, unwrap

NOTE = (
    "Your answer keeps words that are not {language} ({words}). Write the answer again, all of it "
    "in {language}, from the same sources. Reply with the JSON object."
)


def _asked(item: dict[str, Any]) -> str:
    standalone = (item.get("answer") or {}).get("standalone_question") or ""
    return f"{item['question']} {standalone}".strip()


def scan(paths: list[str]) -> None:
    settings = load_settings()
    corpus = load_corpus(settings.sources_dir)
    names = corpus_names(corpus)
    paragraphs = {
        f"{d.file} ¶{p.number}": Passage(d.file, p.number, p.text, 0.0, p.lang)
        for d in corpus.documents
        for p in d.paragraphs
    }
    seen: set[tuple[str, str]] = set()
    flagged = 0
    for path in paths:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
        if report.get("backend") in (None, "extractive"):  # quotes are in the article's language
            continue
        for item in report["items"]:
            answer = item.get("answer") or {}
            text = answer.get("text") or ""
            if not answer.get("found") or (item["question"], text) in seen:
                continue
            seen.add((item["question"], text))
            top = ((item.get("retrieval") or {}).get("top") or [])[: settings.passages_for("local")]
            sources = [paragraphs[label] for label in top if label in paragraphs]
            found = foreign_words(text, item["lang"], sources, asked=_asked(item), names=names)
            if found:
                flagged += 1
                print(f"{item['id']:30} {item['lang']}  {foreign_words_note(found)}\n    {text}")
    print(f"\n{flagged} of {len(seen)} distinct answers keep words of another language")


def mend(path: str, how: str) -> None:
    settings = load_settings()
    model = get_chat_model(settings)
    retriever = get_retriever(settings)
    names = corpus_names(retriever.corpus)
    report = json.loads(Path(path).read_text(encoding="utf-8"))
    mended = 0
    cases = [item for item in report["items"] if (item.get("answer") or {}).get("foreign_words")]
    for item in cases:
        lang, query = item["lang"], (item["answer"].get("standalone_question") or item["question"])
        passages = retriever.search(query, settings.top_k)
        context = [full_paragraph(retriever, p) for p in passages[: settings.passages_for("local")]]
        messages = build_messages(query, context, lang, settings.answer_source_chars)
        first = "".join(chat(model, messages, settings, schema=answer_schema(len(context))))
        text = parse_reply(first).text
        before = foreign_words(text, lang, context, asked=_asked(item), names=names)
        if not before:  # answered otherwise today (the stored answer went through translation)
            print(f"{item['id']}: first reply keeps no foreign word: {text!r}")
            continue
        start = time.perf_counter()
        if how == "retry":
            note = NOTE.format(language=language_name(lang), words=foreign_words_note(before))
            turns = [*messages, ("assistant", first), ("user", note)]
            second = parse_reply(
                "".join(chat(model, turns, settings, schema=answer_schema(len(context))))
            ).text
        else:
            source = Counter(other for other, words in before.items() for _ in words).most_common(1)[0][0]
            second = unwrap("".join(read_translation(model, text, lang, settings, source_lang=source)))
        seconds = time.perf_counter() - start
        after = foreign_words(second, lang, context, asked=_asked(item), names=names)
        mended += not after
        print(
            f"{item['id']} ({lang})\n  before: {text!r}  [{foreign_words_note(before)}]\n"
            f"  after:  {second!r}  [{foreign_words_note(after) or 'none left'}]  {seconds:.1f} s"
        )
    print(f"\n{mended} of {len(cases)} answers keep no foreign word after the {how}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("scan", "retry", "translate"))
    parser.add_argument(
        "reports", nargs="*", help="report.json files (scan: default every reports/*/report.json)"
    )
    args = parser.parse_args()
    if args.mode == "scan":
        scan(args.reports or sorted(glob.glob("reports/*/report.json")))
    elif len(args.reports) != 1:
        parser.error(f"{args.mode} takes one report.json")
    else:
        mend(args.reports[0], args.mode)


if __name__ == "__main__":
    main()
