"""Comparing two evaluation reports (``qa compare``, ``qa eval --compare``), on reports the real
runner wrote from deterministic fake search and answer functions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import qa.eval as qa_eval
from qa.cli import app
from qa.compare import ReportFileError, compare_reports, comparison_markdown, load_report
from qa.corpus import Corpus
from qa.eval import History, run_evaluation
from qa.evalset import KnownAnswer
from qa.models import Answer
from qa.report import to_json, write_report
from tests.test_eval_runner import answering_stream, missing_search, perfect_search


@pytest.fixture(scope="module")
def good(items: list[KnownAnswer], corpus: Corpus) -> dict[str, Any]:
    """Every item right."""
    return to_json(
        run_evaluation(items, perfect_search(items, corpus), answering_stream(items, corpus), backend="local")
    )


def _breaking(items: list[KnownAnswer], corpus: Corpus, broken: set[str]):  # type: ignore[no-untyped-def]
    right = answering_stream(items, corpus)
    by_question = {item.question: item for item in items}

    def stream(question: str, history: History) -> Iterator[str | Answer]:
        if by_question[question].id in broken:
            yield Answer(question, "Vielleicht zwölf.", [], True, "de", "fake")
            return
        yield from right(question, history)

    return stream


@pytest.fixture(scope="module")
def two_wrong(items: list[KnownAnswer], corpus: Corpus) -> dict[str, Any]:
    """Right except an answerable item given a wrong answer and an unanswerable one answered."""
    answerable = next(i for i in items if i.answerable)
    unanswerable = next(i for i in items if not i.answerable)
    stream = _breaking(items, corpus, {answerable.id, unanswerable.id})
    return to_json(run_evaluation(items, perfect_search(items, corpus), stream, backend="local"))


def test_a_report_compared_with_itself_changes_nothing(good: dict[str, Any]) -> None:
    comparison = compare_reports(good, good)
    assert comparison.judged_on == "answers"
    assert not comparison.fixed and not comparison.broken and not comparison.changed
    assert comparison.unchanged == len(good["items"])
    assert all(old == new for _label, old, new in comparison.metrics)


def test_items_that_went_wrong_are_broken_and_the_reverse_fixed(
    good: dict[str, Any], two_wrong: dict[str, Any]
) -> None:
    wrong = [row["id"] for row in two_wrong["items"] if not row["answer"]["correct"]]
    assert len(wrong) == 2
    forward = compare_reports(good, two_wrong)
    assert [c.id for c in forward.broken] == wrong and not forward.fixed
    assert forward.broken[0].after == "Vielleicht zwölf."
    assert forward.broken[1].before.startswith("(abstained) ")  # the unanswerable one
    assert forward.unchanged == len(good["items"]) - 2
    metrics = {label: (old, new) for label, old, new in forward.metrics}
    assert metrics["answer accuracy"][0] == 1.0 > metrics["answer accuracy"][1]
    assert metrics["abstention (unanswerable)"][0] == 1.0 > metrics["abstention (unanswerable)"][1]
    backward = compare_reports(two_wrong, good)
    assert [c.id for c in backward.fixed] == wrong and not backward.broken


def test_retrieval_only_reports_are_compared_by_rank(items: list[KnownAnswer], corpus: Corpus) -> None:
    hits = to_json(run_evaluation(items, perfect_search(items, corpus), None, backend=None))
    misses = to_json(run_evaluation(items, missing_search(corpus), None, backend=None))
    comparison = compare_reports(hits, misses)
    assert comparison.judged_on == "retrieval"
    answerable = [i.id for i in items if i.answerable]
    assert [c.id for c in comparison.broken] == answerable
    assert (
        comparison.broken[0].before == "rank 1" and comparison.broken[0].after == "no evidence in the top 5"
    )
    assert {label for label, _o, _n in comparison.metrics} == {
        "retrieval recall@1",
        "retrieval recall@5",
        "retrieval MRR@5",
    }


def test_items_in_only_one_report_are_listed_not_compared(
    items: list[KnownAnswer], corpus: Corpus, good: dict[str, Any]
) -> None:
    first_ten = to_json(
        run_evaluation(
            items[:10], perfect_search(items, corpus), answering_stream(items, corpus), backend="local"
        )
    )
    comparison = compare_reports(good, first_ten)
    assert sorted(comparison.only_before) == sorted(i.id for i in items[10:]) and not comparison.only_after
    assert comparison.unchanged == 10


def test_markdown_lists_the_changed_items(good: dict[str, Any], two_wrong: dict[str, Any]) -> None:
    markdown = comparison_markdown(compare_reports(good, two_wrong, before_name="old", after_name="new"))
    assert markdown.startswith("# Comparison: old (local, ")
    assert "## Broken (2)" in markdown and "## Fixed (0)" in markdown
    assert "- after: Vielleicht zwölf." in markdown
    assert "| answer accuracy | 1.000 |" in markdown


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No evaluation report at"),
        ("{not json", "cannot be read as JSON"),
        ('{"backend": "local"}', "is not a `qa eval` report"),
        ('{"items": [{"question": "?"}]}', "an item has no id"),
    ],
)
def test_a_bad_report_is_a_clear_error(tmp_path: Path, content: str | None, message: str) -> None:
    if content is not None:
        (tmp_path / "report.json").write_text(content, encoding="utf-8")
    with pytest.raises(ReportFileError, match=message):
        load_report(tmp_path)


def _write(report: dict[str, Any], folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    return folder


def test_qa_compare_prints_and_writes_the_comparison(
    tmp_path: Path, good: dict[str, Any], two_wrong: dict[str, Any]
) -> None:
    before, after = _write(good, tmp_path / "a"), _write(two_wrong, tmp_path / "b")
    result = CliRunner().invoke(
        app, ["compare", str(before), str(after / "report.json")], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "broken (2)" in result.output and "Vielleicht zwölf." in result.output
    assert "0 fixed, 2 broken, 0 otherwise changed" in result.output
    assert "## Broken (2)" in (after / "comparison.md").read_text(encoding="utf-8")


def test_eval_compare_reads_the_baseline_before_the_run_overwrites_it(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    items: list[KnownAnswer],
    corpus: Corpus,
    good: dict[str, Any],
) -> None:
    """``--compare`` may name the ``--report`` folder itself: the previous run there is the baseline."""
    answerable = next(i for i in items if i.answerable)
    worse = run_evaluation(
        items, perfect_search(items, corpus), _breaking(items, corpus, {answerable.id}), backend="local"
    )
    monkeypatch.setattr(qa_eval, "evaluate", lambda settings, **kwargs: worse)
    folder = _write(good, tmp_path / "r")
    result = CliRunner().invoke(
        app, ["eval", "--report", str(folder), "--compare", str(folder)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "0 fixed, 1 broken" in result.output
    assert json.loads((folder / "report.json").read_text(encoding="utf-8"))["answers"]["accuracy"] < 1.0
    assert answerable.id in (folder / "comparison.md").read_text(encoding="utf-8")


def test_eval_compare_with_a_missing_report_fails_before_running(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def must_not_run(settings, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("the evaluation ran")

    monkeypatch.setattr(qa_eval, "evaluate", must_not_run)
    result = CliRunner().invoke(app, ["eval", "--compare", str(tmp_path / "nothing")])
    assert isinstance(result.exception, ReportFileError)
    assert "No evaluation report at" in str(result.exception)


def test_write_report_output_is_what_compare_reads(
    tmp_path: Path, items: list[KnownAnswer], corpus: Corpus
) -> None:
    report = run_evaluation(
        items[:5], perfect_search(items, corpus), answering_stream(items, corpus), backend="local"
    )
    write_report(report, tmp_path / "out")
    loaded = load_report(tmp_path / "out")
    assert compare_reports(loaded, loaded).unchanged == 5
