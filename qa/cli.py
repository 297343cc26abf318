"""The ``qa`` command line. Errors from the package become a message and a non-zero exit here."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from qa.config import Settings, load_settings
from qa.errors import QAError

if TYPE_CHECKING:
    from collections.abc import Set as AbstractSet

    from qa.models import Answer, Citation
    from qa.translation import Translator

app = typer.Typer(
    name="qa",
    help="Multilingual question answering over news articles, with paragraph citations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True, soft_wrap=True, highlight=False)


def settings_from(ctx: typer.Context) -> Settings:
    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


@app.callback()
def _root(
    ctx: typer.Context,
    sources: Annotated[
        Path | None, typer.Option("--sources", help="Sources folder (overrides QA_SOURCES_DIR).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details to stderr.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    overrides: dict[str, object] = {}
    if sources is not None:
        overrides["sources_dir"] = sources
    ctx.obj = load_settings(**overrides)


@app.command()
def corpus(ctx: typer.Context) -> None:
    """List the source files and their paragraphs (number, language, boilerplate flag)."""
    from qa.corpus import load_corpus

    settings = settings_from(ctx)
    loaded = load_corpus(settings.sources_dir)
    table = Table("¶", "lang", "indexed", "text")
    for doc in loaded.documents:
        table.add_section()
        table.add_row("", doc.lang, "", f"[bold]{doc.file}[/bold]")
        for p in doc.paragraphs:
            table.add_row(str(p.number), p.lang, "no" if p.boilerplate else "yes", p.text[:90])
    console.print(table)
    for name, reason in loaded.skipped.items():
        err_console.print(f"[yellow]skipped[/yellow] {name}: {reason}")


@app.command()
def index(
    ctx: typer.Context,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Re-embed everything from scratch.")] = False,
) -> None:
    """Build or update the search index (only new or changed paragraphs are embedded)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from qa.embeddings import get_embeddings
    from qa.index import build_index

    settings = settings_from(ctx)
    with Progress(
        TextColumn("embedding"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("embed", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report, _ = build_index(settings, get_embeddings(settings), rebuild=rebuild, progress=advance)
    console.print(f"index: {report.summary()}", highlight=False, soft_wrap=True)


@app.command()
def search(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question, in any language.")],
    k: Annotated[int, typer.Option("-k", "--k", help="How many passages to show.")] = 5,
    rerank: Annotated[
        bool,
        typer.Option("--rerank", help="Reorder the top QA_TOP_K with the language model (as QA_RERANK=llm)."),
    ] = False,
) -> None:
    """Show the paragraphs that best match a question: `file ¶n  score  text`."""
    from qa.retrieve import Retriever
    from qa.retrieve import search as search_passages

    settings = settings_from(ctx)
    if rerank:
        settings = settings.model_copy(update={"rerank": "llm"})
    passages = search_passages(question, k, settings=settings, retriever=Retriever(settings))
    width = max(20, console.width - 40)
    for p in passages:
        text = p.text if len(p.text) <= width else p.text[: width - 1] + "…"
        judged = f"  p(yes) {p.relevance:.2f}" if p.relevance is not None else ""
        console.print(f"[bold]{p.label}[/bold]  {p.score:.3f}{judged}  {text}", highlight=False)


@app.command("eval")
def eval_command(
    ctx: typer.Context,
    backend: Annotated[
        str | None,
        typer.Option(
            "--backend",
            help="openai | local | extractive (default: QA_LLM; else openai when a key is set, else local).",
        ),
    ] = None,
    only: Annotated[
        str | None, typer.Option("--only", help="`retrieval`: score retrieval only, no answers.")
    ] = None,
    report_dir: Annotated[
        Path, typer.Option("--report", help="Folder for report.json, report.md and chart.png.")
    ] = Path("eval-report"),
    set_path: Annotated[
        Path | None,
        typer.Option("--set", help="Known-answers JSONL (default: tests/eval/known_answers.jsonl)."),
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N items.")] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit with code 2 when a target is missed.")] = False,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Reuse the answers an interrupted run left in the report folder."),
    ] = False,
    show_failures: Annotated[int, typer.Option("--failures", min=0, help="Failing items to print.")] = 10,
    compare: Annotated[
        Path | None,
        typer.Option(
            "--compare",
            help="An earlier report folder: print what moved and which items were fixed or broken "
            "(also written to comparison.md). May be the --report folder itself.",
        ),
    ] = None,
) -> None:
    """Run the known-answers set: retrieval and answer metrics, latency, and a report folder."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    from qa.compare import load_report
    from qa.errors import ConfigError
    from qa.eval import evaluate
    from qa.evalset import DEFAULT_PATH
    from qa.report import console_tables, failure_texts, legend, to_json, write_report

    if backend is not None and backend not in ("openai", "local", "extractive"):
        raise ConfigError(f"--backend must be openai, local or extractive, not {backend!r}")
    if only is not None and only != "retrieval":
        raise ConfigError(f"--only accepts only 'retrieval', not {only!r}")
    # Read first: a bad path fails before a long run, and the run may overwrite this very report.
    baseline = load_report(compare) if compare is not None else None
    settings = settings_from(ctx)
    command = "qa eval" + "".join(
        f" {flag} {value}"
        for flag, value in (("--backend", backend), ("--only", only), ("--set", set_path), ("--limit", limit))
        if value is not None
    )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        result = evaluate(
            settings,
            backend=backend,
            only_retrieval=only == "retrieval",
            set_path=set_path or DEFAULT_PATH,
            limit=limit,
            progress=advance,
            checkpoint=report_dir / "answers.partial.jsonl",
            resume=resume,
        )
    result.command = command
    for table in console_tables(result):
        console.print(table)
    console.print(legend(), style="dim", highlight=False)
    failing = failure_texts(result)
    # Whole lines (a terminal wraps them; a log or a pipe keeps them greppable, not cut at 80).
    for text in failing[:show_failures]:
        console.print(text, highlight=False, soft_wrap=True)
    if len(failing) > show_failures:
        console.print(
            f"… and {len(failing) - show_failures} more failing items in the report.",
            highlight=False,
            soft_wrap=True,
        )
    paths = write_report(result, report_dir)
    if baseline is not None and compare is not None:
        paths.append(_print_comparison(baseline, compare, to_json(result), report_dir))
    console.print(f"report: {', '.join(str(p) for p in paths)}", highlight=False, soft_wrap=True)
    missed = result.missed_targets()
    if missed:
        err_console.print(f"[yellow]targets missed:[/yellow] {'; '.join(missed)}")
        if check:
            raise typer.Exit(2)


def _print_comparison(
    before: dict[str, Any], before_path: Path, after: dict[str, Any], after_path: Path
) -> Path:
    """Print the comparison of two reports and write it to ``comparison.md`` in ``after_path``."""
    from qa.compare import compare_reports, comparison_markdown, comparison_tables, summary_line

    comparison = compare_reports(before, after, before_name=str(before_path), after_name=str(after_path))
    for table in comparison_tables(comparison):
        console.print(table)
    console.print(summary_line(comparison), highlight=False)
    after_path.mkdir(parents=True, exist_ok=True)
    out = after_path / "comparison.md"
    out.write_text(comparison_markdown(comparison), encoding="utf-8")
    return out


@app.command("compare")
def compare_command(
    before: Annotated[Path, typer.Argument(help="The earlier report folder (or its report.json).")],
    after: Annotated[Path, typer.Argument(help="The later report folder (or its report.json).")],
) -> None:
    """Compare two `qa eval` reports: figures side by side, items fixed and broken."""
    from qa.compare import load_report

    old, new = load_report(before), load_report(after)
    folder = after if after.is_dir() else after.parent
    out = _print_comparison(old, before, new, folder)
    console.print(f"written: {out}", highlight=False)


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question, in any language.")],
    backend: Annotated[
        str | None,
        typer.Option(
            "--backend",
            help="openai | local | extractive (default: QA_LLM, else openai with a key, else local).",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole answer as JSON (no streaming).")
    ] = False,
    translate: Annotated[
        bool,
        typer.Option(
            "--translate",
            help="Under each cited paragraph written in another language than the question, a machine "
            "translation into the question's language (needs a language model).",
        ),
    ] = False,
) -> None:
    """Answer a question from the articles, streaming the answer, then the cited paragraphs."""
    import json

    from qa.answering import stream_answer
    from qa.errors import ConfigError
    from qa.models import Answer

    settings = settings_from(ctx)
    if backend is not None:
        if backend not in ("openai", "local", "extractive"):
            raise ConfigError(f"--backend must be openai, local or extractive, not {backend!r}")
        settings = settings.model_copy(update={"llm": backend})
    translator = _citation_translator(settings) if translate else None  # refused before any work
    final: Answer | None = None
    streamed: list[str] = []
    try:
        for item in stream_answer(question, settings=settings):
            if isinstance(item, Answer):
                final = item
            elif not as_json:
                streamed.append(item)
                console.out(item, end="", highlight=False)
    except KeyboardInterrupt:
        if streamed:
            console.print()
        err_console.print("[yellow]interrupted:[/yellow] no answer (its citations were not checked yet)")
        raise typer.Exit(130) from None
    assert final is not None
    names = _article_names(settings) if translator is not None else frozenset()
    if as_json:
        result = final.to_dict()
        if translator is not None:
            result["translations"] = [
                {"file": c.file, "paragraph": c.paragraph}
                | _translate_quietly(translator, c.text, final.lang, source_lang, names)
                for c in final.citations
                if (source_lang := _citation_language(final, c)) != final.lang
            ]
        console.out(json.dumps(result, ensure_ascii=False, indent=2), highlight=False)
        return
    if "".join(streamed) != final.text:
        # Grounding or a fallback replaced what was streamed: show the final text.
        console.print("\n[dim]final answer:[/dim]", highlight=False)
        console.out(final.text, end="", highlight=False)
    console.print()
    if final.fallback:
        err_console.print(
            f"[yellow]note:[/yellow] answered by the {final.fallback} fallback because the "
            f"{final.backend} backend failed: {final.fallback_reason}"
        )
    if final.abstention_reason:
        err_console.print(f"[dim]no answer: {escape(final.abstention_reason)}[/dim]", highlight=False)
    if final.foreign_words:
        from qa.translation import foreign_words_notice

        err_console.print(
            f"[yellow]note:[/yellow] {escape(foreign_words_notice(final.foreign_words))}",
            highlight=False,
        )
    for citation in final.citations:
        console.print()
        console.print(f"[bold]{citation.marker()}[/bold]", highlight=False)
        # The paragraph as one line (a terminal wraps it), so a pipe can grep or copy it whole.
        console.print(citation.text, highlight=False, markup=False, soft_wrap=True)
        source_lang = _citation_language(final, citation)
        if translator is not None and source_lang != final.lang:
            _print_translation(translator, citation.text, final.lang, source_lang, names)


def _citation_translator(settings: Settings) -> Translator:
    from qa.errors import ConfigError
    from qa.translation import Translator

    translator = Translator(settings)
    if not translator.available:
        raise ConfigError(
            "--translate needs a language model; QA_LLM=extractive has none (use --backend local)"
        )
    return translator


def _article_names(settings: Settings) -> frozenset[str]:
    """The articles' names (:func:`qa.grounding.corpus_names`), which a translation must keep;
    from the retriever ``stream_answer`` used, so nothing is read again."""
    from qa.answering import corpus_of
    from qa.grounding import corpus_names
    from qa.retrieve import get_retriever

    corpus = corpus_of(get_retriever(settings))
    return corpus_names(corpus) if corpus is not None else frozenset()


def _citation_language(answer: Answer, citation: Citation) -> str | None:
    """The language of a cited paragraph, as retrieval recorded it (detected when not retrieved)."""
    from qa.lang import detect_language

    for passage in answer.passages:
        if (passage.file, passage.paragraph) == (citation.file, citation.paragraph):
            return passage.lang
    return detect_language(citation.text)


def _translate_quietly(
    translator: Translator, text: str, lang: str, source_lang: str | None, names: AbstractSet[str]
) -> dict[str, Any]:
    from qa.translation import Translation

    *_, final = translator.stream(text, lang, source_lang, names)
    assert isinstance(final, Translation)
    return {"lang": lang, "text": final.text, "backend": final.backend, "problems": list(final.problems)}


def _print_translation(
    translator: Translator, text: str, lang: str, source_lang: str | None, names: AbstractSet[str]
) -> None:
    """The machine translation of a cited paragraph, streamed under it and labelled, then what its
    checks found."""
    from qa.prompts import language_name
    from qa.translation import Translation

    shown = ""
    streaming = True
    console.print(
        f"[dim]machine translation into {language_name(lang)} (may contain errors; the paragraph above is "
        "the source):[/dim]",
        highlight=False,
        soft_wrap=True,
    )
    for item in translator.stream(text, lang, source_lang, names):
        if isinstance(item, Translation):
            if item.text != shown:  # the reply's wrapping was removed at the end: show it clean
                if shown:
                    console.print("\n[dim]clean:[/dim]", highlight=False)
                console.out(item.text, end="", highlight=False)
            console.print()
            for problem in item.problems:
                err_console.print(f"[yellow]check this one:[/yellow] {escape(problem)}", highlight=False)
        elif streaming and item.startswith(shown):
            console.out(item[len(shown) :], end="", highlight=False)
            shown = item
        else:
            streaming = False


def main() -> None:
    """Console-script entry point: run the app, turning QAError into a clean message and exit code 1."""
    try:
        app()
    except QAError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
