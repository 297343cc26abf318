"""Evaluation reports: ``report.json``, ``report.md``, ``chart.png`` and the console tables.

Failing items are listed with question, expected answer, what came back and its citations,
so a person can see why an item failed without rerunning anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from qa.evalset import AnswerOutcome, answer_matches

if TYPE_CHECKING:
    from rich.table import Table

    from qa.eval import EvalReport, RetrievalRecord

K = 5
# Metric names as shown to people, in display order.
LABELS = {
    "recall@1": "retrieval recall@1",
    "recall@5": "retrieval recall@5",
    "mrr": "retrieval MRR@5",
    "accuracy": "answer accuracy",
    "evidence_accuracy": "evidence accuracy (cites an evidence paragraph)",
    "citation_precision": "citation precision",
    "citation_recall": "citation recall",
    "abstention": "abstention accuracy (unanswerable)",
    "false_abstention": "false abstentions (answerable)",
    "language_match": "answer-language match",
    "language_undetermined": "answers too short to tell their language",
    "foreign_words": "answers with words left in another language",
    "errors": "items that failed with an error",
}
_COUNTS = {"language_undetermined", "foreign_words", "errors", "n"}
# Short column names for the per-language / per-article tables in a terminal.
SHORT = {
    "recall@5": "R@5",
    "mrr": "MRR",
    "accuracy": "acc",
    "evidence_accuracy": "evid",
    "abstention": "abst",
    "citation_precision": "citeP",
    "language_match": "lang",
}
_CHART_METRICS = (
    "recall@5",
    "accuracy",
    "evidence_accuracy",
    "abstention",
    "citation_precision",
    "language_match",
)


def _label(file: str, paragraph: int) -> str:
    return f"{file} ¶{paragraph}"


def _judged_on_evidence(report: EvalReport) -> bool:
    """The extractive backend quotes articles verbatim: judge it on its citations, not its wording."""
    return report.backend == "extractive"


def failure_reasons(outcome: AnswerOutcome, *, on_evidence: bool) -> list[str]:
    """Why one answer counts as a failure (empty list: it passed)."""
    item = outcome.item
    if outcome.error is not None:
        return [f"error: {outcome.error}"]
    reasons = []
    if not item.answerable:
        if outcome.found:
            reasons.append("answered a question the articles do not answer")
    elif not outcome.found:
        why = f" ({outcome.abstention_reason})" if outcome.abstention_reason else ""
        reasons.append(f"abstained, but the articles answer it{why}")
    else:
        if not on_evidence and not answer_matches(item, outcome.text):
            reasons.append("answer does not contain the expected facts")
        wrong = len(outcome.citations) - outcome.correct_citations
        if outcome.correct_citations == 0:
            reasons.append("no citation of an evidence paragraph")
        elif wrong:
            reasons.append(f"{wrong} of {len(outcome.citations)} citations are not evidence")
    if not on_evidence and outcome.wrong_language:
        reasons.append(f"answer language {outcome.answer_lang} ≠ question language {item.lang}")
    if not on_evidence and outcome.foreign_words:
        from qa.translation import foreign_words_note

        reasons.append(f"words left in another language ({foreign_words_note(outcome.foreign_words)})")
    return reasons


def _retrieval_item(record: RetrievalRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "rank": record.rank,
        "seconds": round(record.seconds, 4),
        "top": [_label(f, n) for f, n, _t in record.ranked[:K]],
    }


def items_table(report: EvalReport) -> list[dict[str, Any]]:
    """One JSON-ready record per item: question, expected, retrieval, answer, verdict."""
    records = {r.item.id: r for r in report.retrieval_records}
    outcomes = {o.item.id: o for o in report.outcomes}
    items = [r.item for r in report.retrieval_records] + [o.item for o in report.outcomes]
    seen: set[str] = set()
    rows = []
    on_evidence = _judged_on_evidence(report)
    for item in items:
        if item.id in seen:
            continue
        seen.add(item.id)
        record = records.get(item.id)
        row: dict[str, Any] = {
            "id": item.id,
            "question": item.question,
            "lang": item.lang,
            "answerable": item.answerable,
            "history": [list(h) for h in item.history],
            "expected": item.expected(),
            "evidence": [{"file": ev.file, "contains": ev.contains} for ev in item.evidence],
            "retrieval": _retrieval_item(record),
            "answer": None,
            "reasons": [],
        }
        if record is not None and (record.rank is None or record.rank > K):
            row["reasons"].append(f"retrieval: no evidence paragraph in the top {K}")
        outcome = outcomes.get(item.id)
        if outcome is not None:
            row["answer"] = {
                "text": outcome.text,
                "found": outcome.found,
                "lang": outcome.answer_lang,
                "citations": [_label(f, n) for f, n, _t in outcome.citations],
                "correct_citations": outcome.correct_citations,
                "correct": outcome.correct,
                "evidence_correct": outcome.evidence_correct,
                "seconds": round(outcome.seconds, 3),
                "first_token_seconds": None
                if outcome.first_token_seconds is None
                else round(outcome.first_token_seconds, 3),
                "error": outcome.error,
                "abstention_reason": outcome.abstention_reason,
                "foreign_words": {lang: list(words) for lang, words in outcome.foreign_words.items()},
                **report.answer_details.get(item.id, {}),
            }
            row["reasons"].extend(failure_reasons(outcome, on_evidence=on_evidence))
        rows.append(row)
    return rows


def to_json(report: EvalReport) -> dict[str, Any]:
    rows = items_table(report)
    return {
        "set": report.set_path,
        "backend": report.backend,
        "started": report.started,
        "duration_seconds": round(report.duration_seconds, 1),
        "command": report.command,
        "machine": report.machine,
        "settings": report.settings,
        "targets": report.targets,
        "missed_targets": report.missed_targets(),
        "retrieval": report.retrieval,
        "answers": report.answers,
        "latency": report.latency,
        "by_language": report.by_language,
        "by_article": report.by_article,
        "failing": [row["id"] for row in rows if row["reasons"]],
        "items": rows,
    }


def _fmt(value: float | None, *, seconds: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:.2f} s" if seconds else f"{value:.3f}"


def summary_rows(report: EvalReport) -> list[tuple[str, str, str, str]]:
    """(metric, value, target, status) for every headline figure of the run."""
    rows = []
    for section, metrics in (("retrieval", report.retrieval), ("answers", report.answers or {})):
        targets = report.targets.get(section, {})
        for name, label in LABELS.items():
            if name not in metrics or (section == "retrieval") != (name in ("recall@1", "recall@5", "mrr")):
                continue
            target = targets.get(name)
            status = "" if target is None else ("pass" if metrics[name] >= target else "FAIL")
            value = str(int(metrics[name])) if name in _COUNTS else _fmt(metrics[name])
            rows.append((label, value, "" if target is None else f">= {target:.2f}", status))
    return rows


def latency_rows(report: EvalReport) -> list[tuple[str, str, str]]:
    lat = report.latency
    rows = [
        (
            "retrieval",
            _fmt(lat.get("retrieval_p50"), seconds=True),
            _fmt(lat.get("retrieval_p95"), seconds=True),
        )
    ]
    if report.answers is not None:
        rows.append(
            ("answer", _fmt(lat.get("answer_p50"), seconds=True), _fmt(lat.get("answer_p95"), seconds=True))
        )
        rows.append(
            (
                "time to first token",
                _fmt(lat.get("first_token_p50"), seconds=True),
                _fmt(lat.get("first_token_p95"), seconds=True),
            )
        )
    return rows


def _breakdown_columns(groups: dict[str, dict[str, float]]) -> list[str]:
    present = {name for metrics in groups.values() for name in metrics}
    return [name for name in ("recall@5", "mrr", *_CHART_METRICS[1:]) if name in present]


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [
        "| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in row) + " |" for row in rows
    ]
    return "\n".join(lines)


def _breakdown_md(title: str, groups: dict[str, dict[str, float]]) -> str:
    columns = _breakdown_columns(groups)
    rows = [
        [name, str(int(metrics.get("n", 0)))]
        + [_fmt(metrics.get(c)) if c in metrics else "" for c in columns]
        for name, metrics in groups.items()
    ]
    return f"### {title}\n\n" + _md_table([title.split()[-1], "items", *columns], rows)


def to_markdown(report: EvalReport, chart_name: str | None = "chart.png") -> str:
    data = to_json(report)
    m = report.machine
    backend = report.backend or "(retrieval only)"
    parts = [
        f"# Evaluation: {backend}",
        "",
        f"- date: {report.started}",
        f"- machine: {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('memory', '?')}, {m.get('os', '?')}, "
        f"Python {m.get('python', '?')}",
        f"- settings: {', '.join(f'{k}={v}' for k, v in report.settings.items() if v is not None)}",
        f"- set: {report.set_path} ({len(data['items'])} items), run took {report.duration_seconds:.0f} s",
    ]
    if "llama.cpp" in m:
        parts.insert(3, f"- llama.cpp built for: {m['llama.cpp']}")
    if report.command:
        parts.append(f"- reproduce: `{report.command}`")
    parts += [
        "",
        "## Summary",
        "",
        _md_table(["metric", "value", "target", ""], [list(r) for r in summary_rows(report)]),
    ]
    missed = report.missed_targets()
    parts += ["", "All targets met." if not missed else "Targets missed: " + "; ".join(missed)]
    parts += ["", "## Latency", "", _md_table(["", "p50", "p95"], [list(r) for r in latency_rows(report)])]
    parts += ["", "## Breakdown", "", _breakdown_md("per language", report.by_language)]
    parts += ["", _breakdown_md("per article", report.by_article)]
    if chart_name:
        parts += ["", f"![metrics per language and per article]({chart_name})"]
    failing = [row for row in data["items"] if row["reasons"]]
    parts += ["", f"## Failing items ({len(failing)})", ""]
    for row in failing:
        parts.append(f"### {row['id']} ({row['lang']})")
        parts.append("")
        for question, answer in row["history"]:
            parts.append(f"- earlier: {question} → {answer}")
        parts.append(f"- question: {row['question']}")
        parts.append(f"- expected: {row['expected']}")
        if row["evidence"]:
            parts.append(
                "- evidence: " + "; ".join(f"{e['file']} «{e['contains']}»" for e in row["evidence"])
            )
        if row["retrieval"] is not None:
            top = ", ".join(row["retrieval"]["top"])
            parts.append(f"- retrieved (rank of first hit {row['retrieval']['rank'] or '–'}): {top}")
        if row["answer"] is not None:
            answer = row["answer"]
            got = answer["error"] or answer["text"].replace("\n", " ")
            parts.append(
                f"- got ({'found' if answer['found'] else 'abstained'}, {answer['lang'] or '?'}): {got}"
            )
            parts.append(f"- citations: {', '.join(answer['citations']) or '(none)'}")
        parts.append("- why: " + "; ".join(row["reasons"]))
        parts.append("")
    return "\n".join(parts).rstrip() + "\n"


def plot_chart(report: EvalReport, path: Path) -> None:
    """Grouped bars of the metrics per question language and per article (one colour per metric)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    palette = [plt.get_cmap("tab10")(i) for i in range(10)]
    colours = {name: palette[i] for i, name in enumerate(_CHART_METRICS)}
    fig, axes = plt.subplots(2, 1, figsize=(11, 8.5), layout="constrained")
    handles: dict[str, Any] = {}
    for ax, (title, groups) in zip(
        axes, (("per question language", report.by_language), ("per article", report.by_article)), strict=True
    ):
        columns = [c for c in _breakdown_columns(groups) if c != "mrr"]
        names = list(groups)
        width = 0.8 / max(len(columns), 1)
        for i, column in enumerate(columns):
            values = [groups[name].get(column, 0.0) for name in names]
            positions = [x + (i - (len(columns) - 1) / 2) * width for x in range(len(names))]
            handles[column] = ax.bar(positions, values, width, color=colours[column], label=LABELS[column])
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels([name.split(".")[0] for name in names])
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("share")
        ax.set_title(f"{report.backend or 'retrieval only'}: {title}")
        ax.axhline(0.9, color="grey", linewidth=0.8, linestyle="--")
    ordered = [c for c in _CHART_METRICS if c in handles]
    fig.legend(
        [handles[c] for c in ordered],
        [LABELS[c] for c in ordered],
        loc="outside lower center",
        ncol=3,
        fontsize=8,
        frameon=False,
    )
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(report: EvalReport, folder: Path) -> list[Path]:
    """Write report.json, report.md and chart.png into ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path, chart_path = folder / "report.json", folder / "report.md", folder / "chart.png"
    json_path.write_text(json.dumps(to_json(report), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    plot_chart(report, chart_path)
    md_path.write_text(to_markdown(report, chart_path.name), encoding="utf-8")
    return [json_path, md_path, chart_path]


def failure_texts(report: EvalReport, *, markup: bool = True) -> list[str]:
    """One block per failing item: question, expected, got, citations, why (rich markup or plain)."""
    esc = escape if markup else str
    texts = []
    for row in items_table(report):
        if not row["reasons"]:
            continue
        head = f"✗ {row['id']}"
        lines = [
            f"{f'[bold red]{head}[/bold red]' if markup else head} ({row['lang']}) {esc(row['question'])}"
        ]
        lines += [f"  earlier: {esc(q)} → {esc(a)}" for q, a in row["history"]]
        lines.append(f"  expected: {esc(row['expected'])}")
        answer = row["answer"]
        if answer is not None:
            got = answer["error"] or answer["text"].replace("\n", " ")
            lines.append(f"  got: {esc(got[:300])}")
            lines.append(f"  citations: {', '.join(answer['citations']) or '(none)'}")
        if row["retrieval"] is not None:
            lines.append(f"  retrieved: {', '.join(row['retrieval']['top'])}")
        lines.append(f"  why: {esc('; '.join(row['reasons']))}")
        texts.append("\n".join(lines))
    return texts


def console_tables(report: EvalReport) -> list[Table]:
    """Rich tables for the terminal: summary with targets, latency, per language, per article."""
    from rich.table import Table

    summary = Table("metric", "value", "target", "", title=f"qa eval: {report.backend or 'retrieval only'}")
    for label, value, target, status in summary_rows(report):
        style = {"pass": "green", "FAIL": "bold red"}.get(status, "")
        summary.add_row(label, value, target, f"[{style}]{status}[/{style}]" if style else status)
    latency = Table("latency", "p50", "p95")
    for row in latency_rows(report):
        latency.add_row(*row)
    tables = [summary, latency]
    for title, groups in (("language", report.by_language), ("article", report.by_article)):
        columns = _breakdown_columns(groups)
        table = Table(title, "n", *(SHORT.get(c, c) for c in columns))
        for name, metrics in groups.items():
            table.add_row(
                name,
                str(int(metrics.get("n", 0))),
                *(_fmt(metrics.get(c)) if c in metrics else "" for c in columns),
            )
        tables.append(table)
    return tables


def legend() -> str:
    """What the short column names of the breakdown tables mean."""
    return "  ".join(f"{short}={LABELS[name].split(' (')[0]}" for name, short in SHORT.items())
