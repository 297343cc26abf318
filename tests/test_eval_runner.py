"""The evaluation runner and its reports, driven by deterministic fake search and answer functions.

The fakes are built from the known-answers set and the real seed corpus, so the expected
figures follow from the data: a search that ranks evidence first scores 1.0, one that never
does scores 0.0, and so on.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qa.eval as qa_eval
from qa.cli import app
from qa.corpus import Corpus
from qa.errors import BackendError
from qa.eval import Checkpoint, EvalReport, History, run_answers, run_evaluation
from qa.evalset import KnownAnswer, evidence_paragraphs
from qa.models import Answer, Citation, Passage
from qa.report import failure_reasons, failure_texts, to_json, to_markdown, write_report

WRONG = ("004_f4e3faa662122174.txt", 14)  # "- Hartelijk dank!": never evidence


def _passage(corpus: Corpus, file: str, number: int, score: float = 0.5) -> Passage:
    p = corpus.paragraph(file, number)
    return Passage(file, number, p.text, score, p.lang)


def _by_query(items: Sequence[KnownAnswer]) -> dict[str, KnownAnswer]:
    table = {item.retrieval_query: item for item in items}
    table.update({item.question: item for item in items})
    return table


def perfect_search(items: Sequence[KnownAnswer], corpus: Corpus):  # type: ignore[no-untyped-def]
    """Evidence paragraphs first, then a filler."""
    lookup = _by_query(items)
    asked: list[str] = []

    def search(question: str, k: int) -> list[Passage]:
        asked.append(question)
        item = lookup[question]
        hits = [_passage(corpus, f, n) for f, n in sorted(evidence_paragraphs(item, corpus))]
        return (hits + [_passage(corpus, *WRONG)] * k)[:k]

    search.asked = asked  # type: ignore[attr-defined]
    return search


def missing_search(corpus: Corpus):  # type: ignore[no-untyped-def]
    """Never an evidence paragraph."""

    def search(question: str, k: int) -> list[Passage]:
        return [_passage(corpus, *WRONG)] * k

    return search


def answering_stream(items: Sequence[KnownAnswer], corpus: Corpus, *, lang_of_answer: str | None = None):  # type: ignore[no-untyped-def]
    """Answers every answerable item correctly (in the question, so language detection agrees),
    cites its evidence, abstains on the rest. Records the history it was given."""
    lookup = {item.question: item for item in items}
    seen_history: dict[str, History] = {}

    def stream(question: str, history: History) -> Iterator[str | Answer]:
        item = lookup[question]
        seen_history[item.id] = history
        if not item.answerable:
            text = {
                "en": "The articles do not say that.",
                "de": "Das steht nicht in den Artikeln.",
                "fr": "Les articles ne le disent pas.",
                "sv": "Det står inte i artiklarna.",
                "nl": "Dat staat niet in de artikelen.",
            }[item.lang]
            yield text
            yield Answer(question, text, [], False, item.lang, "fake")
            return
        facts = " ".join(group[0].rstrip("*") for group in item.answers)
        text = f"{item.question.rstrip(' ?')}: {facts}."
        file, number = sorted(evidence_paragraphs(item, corpus))[0]
        citation = Citation(file, number, corpus.paragraph(file, number).text)
        yield text[:10]
        yield text[10:] + " " + citation.marker()
        yield Answer(question, text + " " + citation.marker(), [citation], True, item.lang, "fake")

    stream.seen_history = seen_history  # type: ignore[attr-defined]
    return stream


# --- retrieval ---------------------------------------------------------------------------


def test_perfect_search_scores_one_and_follow_ups_use_their_standalone_form(
    items: list[KnownAnswer], corpus: Corpus
) -> None:
    search = perfect_search(items, corpus)
    report = run_evaluation(items, search, None, backend=None)
    assert report.retrieval["recall@1"] == 1.0
    assert report.retrieval["recall@5"] == 1.0
    assert report.retrieval["mrr"] == 1.0
    assert report.answers is None and report.outcomes == []
    follow_ups = [i for i in items if i.is_follow_up and i.answerable]
    assert follow_ups
    for item in follow_ups:
        assert item.standalone in search.asked
        assert item.question not in search.asked
    assert report.missed_targets() == []


def test_search_that_misses_is_reported_item_by_item(items: list[KnownAnswer], corpus: Corpus) -> None:
    report = run_evaluation(items, missing_search(corpus), None, backend=None)
    assert report.retrieval["recall@5"] == 0.0
    assert any(m.startswith("recall@5 0.000 < 0.97") for m in report.missed_targets())
    rows = to_json(report)["items"]
    answerable = [i for i in items if i.answerable]
    assert len(rows) == len(answerable)
    assert all(row["reasons"] == ["retrieval: no evidence paragraph in the top 5"] for row in rows)
    assert set(report.by_language) == {"en", "de", "fr", "sv", "nl"}
    assert all(m["recall@5"] == 0.0 for m in report.by_article.values())


# --- answers -----------------------------------------------------------------------------


def test_correct_answers_score_full_marks(items: list[KnownAnswer], corpus: Corpus) -> None:
    stream = answering_stream(items, corpus)
    report = run_evaluation(items, perfect_search(items, corpus), stream, backend="local")
    assert report.answers is not None
    for name in ("accuracy", "evidence_accuracy", "abstention", "citation_precision", "citation_recall"):
        assert report.answers[name] == 1.0, name
    assert report.answers["false_abstention"] == 0.0
    assert report.answers["language_match"] >= 0.9
    assert report.answers["n"] == len(items)
    # every item got its own history, as (question, answer) pairs
    for item in items:
        assert stream.seen_history[item.id] == list(item.history)
    assert report.latency["answer_p50"] is not None
    assert report.latency["first_token_p95"] is not None
    assert all(
        o.first_token_seconds is not None and o.first_token_seconds <= o.seconds for o in report.outcomes
    )
    assert set(report.targets) == {"retrieval", "answers"}


def test_wrong_answers_fail_with_reasons(items: list[KnownAnswer], corpus: Corpus) -> None:
    sample = [i for i in items if i.id in {"chapters-en", "unans-first-signer-en", "adoption-place-fr"}]

    def stream(question: str, history: History) -> Iterator[str | Answer]:
        wrong = Citation(*WRONG, corpus.paragraph(*WRONG).text)
        yield Answer(question, "Poland signed first, with 12 chapters.", [wrong], True, "en", "fake")

    report = run_evaluation(sample, perfect_search(sample, corpus), stream, backend="local")
    assert report.answers is not None
    assert report.answers["accuracy"] == 0.0
    assert report.answers["abstention"] == 0.0
    assert report.answers["citation_precision"] == 0.0
    by_id = {row["id"]: row for row in to_json(report)["items"]}
    assert "answer does not contain the expected facts" in by_id["chapters-en"]["reasons"]
    assert "no citation of an evidence paragraph" in by_id["chapters-en"]["reasons"]
    assert by_id["unans-first-signer-en"]["reasons"] == ["answered a question the articles do not answer"]
    assert any(
        "answer language en ≠ question language fr" in r for r in by_id["adoption-place-fr"]["reasons"]
    )
    # no str chunk: no time to first token
    assert all(o.first_token_seconds is None for o in report.outcomes)


def test_a_false_abstention_says_why_the_bot_abstained(
    items: list[KnownAnswer], corpus: Corpus, tmp_path: Path
) -> None:
    sample = [i for i in items if i.id == "chapters-en"]

    def stream(question: str, history: History) -> Iterator[str | Answer]:
        abstained = Answer(question, "The articles do not say.", [], False, "en", "fake")
        abstained.abstention_reason = "number 12 is in no source"
        yield abstained

    report = run_evaluation(sample, perfect_search(sample, corpus), stream, backend="local")
    row = to_json(report)["items"][0]
    assert row["reasons"] == ["abstained, but the articles answer it (number 12 is in no source)"]
    assert row["answer"]["abstention_reason"] == "number 12 is in no source"

    # An interrupted run's checkpoint keeps the reason for the resumed run.
    path = tmp_path / "answers.partial.jsonl"
    run_answers(sample, stream, checkpoint=Checkpoint(path, "local"))

    def not_asked_again(question: str, history: History) -> Iterator[str | Answer]:
        raise AssertionError("a recorded answer was asked again")

    outcomes, _ = run_answers(sample, not_asked_again, checkpoint=Checkpoint(path, "local", resume=True))
    assert outcomes[0].abstention_reason == "number 12 is in no source"


def test_words_left_in_another_language_are_a_reason_and_survive_a_resume(
    items: list[KnownAnswer], corpus: Corpus, tmp_path: Path
) -> None:
    sample = [i for i in items if i.id == "chapters-en"]
    file, number = sorted(evidence_paragraphs(sample[0], corpus))[0]
    text = "The Hanoi Convention is made of 9 Kapiteln and 71 articles, the article says."

    def stream(question: str, history: History) -> Iterator[str | Answer]:
        answer = Answer(
            question, text, [Citation(file, number, corpus.paragraph(file, number).text)], True, "en", "fake"
        )
        answer.foreign_words = {"de": ["Kapiteln"]}
        yield answer

    report = run_evaluation(sample, perfect_search(sample, corpus), stream, backend="local")
    assert report.answers is not None and report.answers["language_match"] == 0.0
    row = to_json(report)["items"][0]
    assert row["reasons"] == ["words left in another language (German: Kapiteln)"]
    assert row["answer"]["foreign_words"] == {"de": ["Kapiteln"]}

    path = tmp_path / "answers.partial.jsonl"
    run_answers(sample, stream, checkpoint=Checkpoint(path, "local"))

    def not_asked_again(question: str, history: History) -> Iterator[str | Answer]:
        raise AssertionError("a recorded answer was asked again")

    outcomes, _ = run_answers(sample, not_asked_again, checkpoint=Checkpoint(path, "local", resume=True))
    assert dict(outcomes[0].foreign_words) == {"de": ("Kapiteln",)} and not outcomes[0].language_ok


def test_backend_errors_are_recorded_and_the_run_goes_on(items: list[KnownAnswer], corpus: Corpus) -> None:
    good = answering_stream(items, corpus)
    calls = []

    def flaky(question: str, history: History) -> Iterator[str | Answer]:
        calls.append(question)
        if len(calls) == 2:
            raise BackendError("model server went away")
        return good(question, history)

    outcomes, details = run_answers(items[:4], flaky)
    assert [o.error is not None for o in outcomes] == [False, True, False, False]
    assert outcomes[1].error == "BackendError: model server went away"
    assert not outcomes[1].correct
    assert items[1].id not in details and items[0].id in details


def test_a_dead_backend_stops_the_run(items: list[KnownAnswer]) -> None:
    calls = []

    def dead(question: str, history: History) -> Iterator[str | Answer]:
        calls.append(question)
        raise BackendError("connection refused")

    with pytest.raises(BackendError, match="connection refused"):
        run_answers(items, dead)
    assert len(calls) == 3


def test_an_interrupted_run_resumes_from_its_checkpoint(
    items: list[KnownAnswer], corpus: Corpus, tmp_path: Path
) -> None:
    sample = items[:6]
    good = answering_stream(sample, corpus)
    asked: list[str] = []

    def killed_at_four(question: str, history: History) -> Iterator[str | Answer]:
        asked.append(question)
        if len(asked) == 4:
            raise KeyboardInterrupt  # the run is killed while the 4th answer is being made
        return good(question, history)

    path = tmp_path / "answers.partial.jsonl"
    with pytest.raises(KeyboardInterrupt):
        run_answers(sample, killed_at_four, checkpoint=Checkpoint(path, "local"))
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"backend": "local", "id": "half-writ')  # a line cut short by the kill

    asked.clear()

    def resumed(question: str, history: History) -> Iterator[str | Answer]:
        asked.append(question)
        return good(question, history)

    outcomes, details = run_answers(sample, resumed, checkpoint=Checkpoint(path, "local", resume=True))
    assert asked == [i.question for i in sample[3:]]  # only the unanswered ones are asked again
    assert [o.item.id for o in outcomes] == [i.id for i in sample]
    assert all(o.correct for o in outcomes)
    assert set(details) == {i.id for i in sample}
    restored = outcomes[0]
    assert restored.citations and restored.first_token_seconds is not None

    # another backend's answers, or a fresh (non-resumed) run, start from scratch
    asked.clear()
    run_answers(sample[:2], resumed, checkpoint=Checkpoint(path, "openai", resume=True))
    assert len(asked) == 2
    asked.clear()
    Checkpoint(path, "local")
    assert not path.exists()


def test_checkpoint_asks_again_after_an_error_or_a_changed_question(
    items: list[KnownAnswer], corpus: Corpus, tmp_path: Path
) -> None:
    sample = items[:2]
    path = tmp_path / "answers.partial.jsonl"
    calls: list[str] = []
    good = answering_stream(items, corpus)

    def first_fails(question: str, history: History) -> Iterator[str | Answer]:
        calls.append(question)
        if len(calls) == 1:
            raise BackendError("timeout")
        return good(question, history)

    outcomes, _ = run_answers(sample, first_fails, checkpoint=Checkpoint(path, "local"))
    assert outcomes[0].error is not None and outcomes[1].error is None
    calls.clear()
    edited = [sample[0], sample[1].model_copy(update={"question": "How many articles are there in total?"})]
    edited_stream = answering_stream([*items, edited[1]], corpus)

    def counting(question: str, history: History) -> Iterator[str | Answer]:
        calls.append(question)
        return edited_stream(question, history)

    run_answers(edited, counting, checkpoint=Checkpoint(path, "local", resume=True))
    assert calls == [edited[0].question, edited[1].question]


def test_extractive_is_judged_on_its_citations_not_its_language(
    items: list[KnownAnswer], corpus: Corpus
) -> None:
    item = next(i for i in items if i.id == "chapters-en")
    file, number = sorted(evidence_paragraphs(item, corpus))[0]
    text = corpus.paragraph(file, number).text  # quoted verbatim, in German

    def stream(question: str, history: History) -> Iterator[str | Answer]:
        yield text
        yield Answer(question, text, [Citation(file, number, text)], True, "en", "extractive")

    report = run_evaluation([item], perfect_search([item], corpus), stream, backend="extractive")
    assert report.answers is not None
    assert report.answers["evidence_accuracy"] == 1.0
    assert report.answers["language_match"] == 0.0
    assert failure_reasons(report.outcomes[0], on_evidence=True) == []
    assert failure_reasons(report.outcomes[0], on_evidence=False) == [
        "answer language de ≠ question language en"
    ]
    assert report.targets["answers"] == {"citation_precision": 0.90, "evidence_accuracy": 0.80}


# --- reports ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed_report(items: list[KnownAnswer], corpus: Corpus) -> EvalReport:
    """Correct answers except for two items, so the report has passes and failures."""
    good = answering_stream(items, corpus)

    def stream(question: str, history: History) -> Iterator[str | Answer]:
        if question in {items[0].question, items[-1].question}:
            yield Answer(question, "Vielleicht zwölf.", [], True, "de", "fake")
            return
        yield from good(question, history)

    report = run_evaluation(items, perfect_search(items, corpus), stream, backend="local")
    report.command = "qa eval --backend local"
    return report


def test_report_files_are_written_and_readable(mixed_report: EvalReport, tmp_path: Path) -> None:
    paths = write_report(mixed_report, tmp_path / "out")
    assert [p.name for p in paths] == ["report.json", "report.md", "chart.png"]
    data = json.loads(paths[0].read_text(encoding="utf-8"))
    assert data["backend"] == "local"
    assert data["failing"] == [mixed_report.outcomes[0].item.id, mixed_report.outcomes[-1].item.id]
    assert data["answers"]["accuracy"] < 1.0
    assert set(data["by_language"]) == {"en", "de", "fr", "sv", "nl"}
    assert data["machine"]["cores"]
    assert data["machine"]["llama.cpp"] not in ("", "not installed")  # figures depend on the build
    assert paths[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths[2].stat().st_size > 10_000
    markdown = paths[1].read_text(encoding="utf-8")
    first = mixed_report.outcomes[0].item
    assert f"### {first.id}" in markdown
    assert first.question in markdown
    assert "Vielleicht zwölf." in markdown
    assert "- expected: 9 | nine" in markdown
    assert "![metrics per language and per article](chart.png)" in markdown
    assert "`qa eval --backend local`" in markdown
    assert f"- llama.cpp built for: {data['machine']['llama.cpp']}" in markdown


def test_failure_texts_show_question_expected_got_and_citations(mixed_report: EvalReport) -> None:
    texts = failure_texts(mixed_report)
    assert len(texts) == 2
    assert "How many chapters" in texts[0]
    assert "expected: 9 | nine" in texts[0]
    assert "got: Vielleicht zwölf." in texts[0]
    assert "citations: (none)" in texts[0]


def test_markdown_without_answers(items: list[KnownAnswer], corpus: Corpus) -> None:
    report = run_evaluation(items[:5], perfect_search(items, corpus), None, backend=None)
    markdown = to_markdown(report, chart_name=None)
    assert "# Evaluation: (retrieval only)" in markdown
    assert "answer accuracy" not in markdown
    assert "All targets met." in markdown


# --- command line -------------------------------------------------------------------------


def test_cli_prints_tables_writes_report_and_checks_targets(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    mixed_report: EvalReport,
    items: list[KnownAnswer],
    corpus: Corpus,
) -> None:
    seen = {}
    missing = run_evaluation(items, missing_search(corpus), None, backend=None)
    assert missing.missed_targets() and not mixed_report.missed_targets()

    def fake_evaluate(settings, **kwargs):  # type: ignore[no-untyped-def]
        seen.update(kwargs)
        return missing if kwargs["only_retrieval"] else mixed_report

    monkeypatch.setattr(qa_eval, "evaluate", fake_evaluate)
    runner = CliRunner()
    result = runner.invoke(
        app, ["eval", "--backend", "local", "--report", str(tmp_path / "r"), "--limit", "7"]
    )
    assert result.exit_code == 0, result.output
    assert seen["backend"] == "local" and seen["limit"] == 7 and not seen["only_retrieval"]
    assert "answer accuracy" in result.output
    assert "time to first token" in result.output
    assert "expected: 9 | nine" in result.output
    # Failing items are printed as whole lines, not cut at the 80 columns of a non-terminal.
    shown = failure_texts(mixed_report, markup=False)[:3]
    long_lines = [line for text in shown for line in text.splitlines() if len(line) > 80]
    assert long_lines, "the check needs a failing item with a line longer than 80 characters"
    output_lines = result.output.splitlines()
    assert all(line in output_lines for line in long_lines), result.output
    assert (tmp_path / "r" / "report.md").is_file()
    passing = runner.invoke(app, ["eval", "--report", str(tmp_path / "r"), "--check"])
    assert passing.exit_code == 0, passing.output
    checked = runner.invoke(app, ["eval", "--only", "retrieval", "--report", str(tmp_path / "r2"), "--check"])
    assert checked.exit_code == 2
    assert "recall@5 0.000 < 0.97" in checked.output
    assert "retrieval: no evidence paragraph in the top 5" in checked.output


@pytest.mark.parametrize(
    ("args", "message"), [(["--backend", "gpt"], "--backend"), (["--only", "answers"], "--only")]
)
def test_cli_rejects_bad_options(args: list[str], message: str) -> None:
    from qa.errors import ConfigError

    result = CliRunner().invoke(app, ["eval", *args])
    assert isinstance(result.exception, ConfigError)
    assert message in str(result.exception)
