"""The ``qa`` command line. Errors from the package become a message and a non-zero exit here."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from qa.config import Settings, load_settings
from qa.errors import QAError

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
    console.print(f"index: {report.summary()}", highlight=False)


@app.command()
def search(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="The question, in any language.")],
    k: Annotated[int, typer.Option("-k", "--k", help="How many passages to show.")] = 5,
) -> None:
    """Show the paragraphs that best match a question: `file ¶n  score  text`."""
    from qa.retrieve import Retriever

    passages = Retriever(settings_from(ctx)).search(question, k)
    width = max(20, console.width - 40)
    for p in passages:
        text = p.text if len(p.text) <= width else p.text[: width - 1] + "…"
        console.print(f"[bold]{p.label}[/bold]  {p.score:.3f}  {text}", highlight=False)


def main() -> None:
    """Console-script entry point: run the app, turning QAError into a clean message and exit code 1."""
    try:
        app()
    except QAError as exc:
        err_console.print(f"[red]error:[/red] {exc}")
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
