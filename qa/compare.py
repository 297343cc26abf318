"""Two evaluation reports side by side: which figures moved, which items a change fixed or broke.

Works on the ``report.json`` files ``qa eval`` writes (:func:`qa.report.to_json`), so a run can
be compared with any earlier one, also of another commit. With answers in both reports an
item's verdict is the accuracy one (answerable: the expected facts were given; unanswerable: the
bot abstained); with retrieval only, the rank of the first evidence paragraph.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.errors import InputError

if TYPE_CHECKING:
    from rich.table import Table

REPORT_FILE = "report.json"

# (section of report.json, key, label), in the order they are shown.
METRICS: tuple[tuple[str, str, str], ...] = (
    ("retrieval", "recall@1", "retrieval recall@1"),
    ("retrieval", "recall@5", "retrieval recall@5"),
    ("retrieval", "mrr", "retrieval MRR@5"),
    ("answers", "accuracy", "answer accuracy"),
    ("answers", "evidence_accuracy", "evidence accuracy"),
    ("answers", "abstention", "abstention (unanswerable)"),
    ("answers", "false_abstention", "false abstentions"),
    ("answers", "citation_precision", "citation precision"),
    ("answers", "citation_recall", "citation recall"),
    ("answers", "language_match", "answer-language match"),
    ("latency", "first_token_p50", "time to first token p50 (s)"),
    ("latency", "answer_p50", "whole answer p50 (s)"),
)


class ReportFileError(InputError):
    """A report to compare with is missing or is not a ``qa eval`` report."""


@dataclass(frozen=True)
class ItemChange:
    """One item whose verdict changed between the two runs."""

    id: str
    lang: str
    question: str
    before: str
    after: str
    before_citations: tuple[str, ...] = ()
    after_citations: tuple[str, ...] = ()


@dataclass
class Comparison:
    before: str
    after: str
    judged_on: str  # "answers" or "retrieval"
    metrics: list[tuple[str, float | None, float | None]]
    fixed: list[ItemChange] = field(default_factory=list)
    broken: list[ItemChange] = field(default_factory=list)
    # Same verdict, but another answer text or other citations (answers) or another rank (retrieval).
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    only_before: list[str] = field(default_factory=list)
    only_after: list[str] = field(default_factory=list)


def load_report(path: Path) -> dict[str, Any]:
    """The report in ``path``: a ``qa eval --report`` folder or its ``report.json``."""
    file = path / REPORT_FILE if path.is_dir() else path
    if not file.is_file():
        raise ReportFileError(
            f"No evaluation report at {file}: give a folder a `qa eval --report DIR` run wrote, or its {REPORT_FILE}"
        )
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportFileError(f"{file} cannot be read as JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ReportFileError(f"{file} is not a `qa eval` report (it has no list of items)")
    for row in data["items"]:
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            raise ReportFileError(f"{file} is not a `qa eval` report (an item has no id)")
    return data


def describe(report: dict[str, Any], name: str) -> str:
    """``name`` with the run's backend and start time, e.g. ``reports/local (local, 2026-12-05T01:30)``."""
    backend = report.get("backend") or "retrieval only"
    started = str(report.get("started") or "")[:16]
    return f"{name} ({backend}{', ' + started if started else ''})"


def _metric(report: dict[str, Any], section: str, key: str) -> float | None:
    value = (report.get(section) or {}).get(key)
    return float(value) if isinstance(value, int | float) else None


def _answer_text(answer: dict[str, Any]) -> str:
    if answer.get("error"):
        return f"error: {answer['error']}"
    text = " ".join(str(answer.get("text") or "").split())
    return text if answer.get("found") else f"(abstained) {text}"


def _rank(row: dict[str, Any]) -> int | None:
    retrieval = row.get("retrieval") or {}
    rank = retrieval.get("rank")
    return rank if isinstance(rank, int) else None


def _rank_text(rank: int | None) -> str:
    return f"rank {rank}" if rank is not None else "no evidence in the top 5"


def compare_reports(
    before: dict[str, Any], after: dict[str, Any], *, before_name: str = "before", after_name: str = "after"
) -> Comparison:
    """What changed from ``before`` to ``after`` (both as :func:`load_report` returns them)."""
    old = {row["id"]: row for row in before["items"]}
    new = {row["id"]: row for row in after["items"]}
    common = [item_id for item_id in new if item_id in old]
    with_answers = all(old[i].get("answer") is not None and new[i].get("answer") is not None for i in common)
    judged_on = "answers" if common and with_answers else "retrieval"
    pairs = [
        (label, _metric(before, section, key), _metric(after, section, key))
        for section, key, label in METRICS
    ]
    metrics = [
        (label, old_value, new_value)
        for label, old_value, new_value in pairs
        if (old_value, new_value) != (None, None)
    ]
    result = Comparison(
        describe(before, before_name),
        describe(after, after_name),
        judged_on,
        metrics,
        only_before=[i for i in old if i not in new],
        only_after=[i for i in new if i not in old],
    )
    for item_id in common:
        a, b = old[item_id], new[item_id]
        if judged_on == "answers":
            was, now = bool(a["answer"].get("correct")), bool(b["answer"].get("correct"))
            change = ItemChange(
                item_id,
                str(b.get("lang", "")),
                str(b.get("question", "")),
                _answer_text(a["answer"]),
                _answer_text(b["answer"]),
                tuple(a["answer"].get("citations") or ()),
                tuple(b["answer"].get("citations") or ()),
            )
            same = (change.before, change.before_citations) == (change.after, change.after_citations)
        else:
            old_rank, new_rank = _rank(a), _rank(b)
            was = old_rank is not None and (new_rank is None or old_rank <= new_rank)
            now = new_rank is not None and (old_rank is None or new_rank <= old_rank)
            change = ItemChange(
                item_id,
                str(b.get("lang", "")),
                str(b.get("question", "")),
                _rank_text(old_rank),
                _rank_text(new_rank),
            )
            same = old_rank == new_rank
        if now and not was:
            result.fixed.append(change)
        elif was and not now:
            result.broken.append(change)
        elif not same:
            result.changed.append(item_id)
        else:
            result.unchanged += 1
    return result


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _delta(before: float | None, after: float | None) -> str:
    if before is None or after is None:
        return ""
    return "±0" if abs(after - before) < 0.0005 else f"{after - before:+.3f}"


def _verbs(judged_on: str) -> tuple[str, str]:
    return ("fixed", "broken") if judged_on == "answers" else ("ranked higher", "ranked lower")


def summary_line(comparison: Comparison) -> str:
    better, worse = _verbs(comparison.judged_on)
    line = (
        f"{len(comparison.fixed)} {better}, {len(comparison.broken)} {worse}, "
        f"{len(comparison.changed)} otherwise changed, {comparison.unchanged} unchanged"
    )
    if comparison.only_before or comparison.only_after:
        line += (
            f"; {len(comparison.only_after)} items only in {comparison.after}, "
            f"{len(comparison.only_before)} only in {comparison.before} (not compared)"
        )
    return line


def comparison_tables(comparison: Comparison) -> list[Table]:
    """Rich tables: the figures side by side, then every item that was fixed or broken."""
    from rich.markup import escape
    from rich.table import Table

    figures = Table("metric", "before", "after", "change", title=f"{comparison.before} → {comparison.after}")
    for label, old, new in comparison.metrics:
        figures.add_row(label, _number(old), _number(new), _delta(old, new))
    tables = [figures]
    for title, changes, style in (
        (_verbs(comparison.judged_on)[0], comparison.fixed, "green"),
        (_verbs(comparison.judged_on)[1], comparison.broken, "red"),
    ):
        if not changes:
            continue
        table = Table(
            "item", "question", "before", "after", title=f"[{style}]{title} ({len(changes)})[/{style}]"
        )
        for change in changes:
            table.add_row(
                f"{escape(change.id)} ({change.lang})",
                escape(change.question),
                escape(_short(change.before)),
                escape(_short(change.after)),
            )
        tables.append(table)
    return tables


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def comparison_markdown(comparison: Comparison) -> str:
    """The comparison as Markdown (``comparison.md`` next to a report)."""
    parts = [
        f"# Comparison: {comparison.before} → {comparison.after}",
        "",
        f"Items judged on {comparison.judged_on}: {summary_line(comparison)}.",
        "",
        "| metric | before | after | change |",
        "|---|---|---|---|",
    ]
    parts += [
        f"| {label} | {_number(old)} | {_number(new)} | {_delta(old, new)} |"
        for label, old, new in comparison.metrics
    ]
    for title, changes in zip(
        _verbs(comparison.judged_on), (comparison.fixed, comparison.broken), strict=True
    ):
        parts += ["", f"## {title.capitalize()} ({len(changes)})", ""]
        if not changes:
            parts.append("None.")
        for change in changes:
            parts += [
                f"### {change.id} ({change.lang})",
                "",
                f"- question: {_md_cell(change.question)}",
                f"- before: {_md_cell(change.before)}"
                + (f" [{', '.join(change.before_citations)}]" if change.before_citations else ""),
                f"- after: {_md_cell(change.after)}"
                + (f" [{', '.join(change.after_citations)}]" if change.after_citations else ""),
                "",
            ]
    if comparison.changed:
        parts += ["", "## Otherwise changed", "", ", ".join(comparison.changed)]
    return "\n".join(parts).rstrip() + "\n"
