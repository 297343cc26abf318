"""Loading errors, answer matching and the metric functions of qa.evalset, on small hand-made data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.evalset import (
    THRESHOLDS,
    AnswerOutcome,
    EvalSetError,
    KnownAnswer,
    alternative_matches,
    answer_matches,
    answer_metrics,
    failures,
    first_hit_rank,
    is_hit,
    language_text,
    load_known_answers,
    percentile,
    retrieval_metrics,
    strip_citations,
)

F0 = "000_471dacd1b07f6ea5.txt"
F2 = "002_fdb1f30901b7e10f.txt"
P_CHAPTERS_DE = "Die Hanoi-Konvention, bestehend aus 9 Kapiteln und 71 Artikeln, ist das Ergebnis"
P_CHAPTERS_FR = "La Convention de Hanoï, composée de 9 chapitres et de 71 articles, est le fruit"
P_OTHER = "Die Unterzeichnungszeremonie der Hanoi-Konvention ist ein wichtiges internationales Ereignis"


def _item(**overrides: object) -> KnownAnswer:
    data: dict[str, object] = {
        "id": "chapters",
        "question": "How many chapters and articles?",
        "lang": "en",
        "answerable": True,
        "answers": [["9", "nine", "neun"], ["71"]],
        "evidence": [
            {"file": F0, "contains": "9 Kapiteln und 71 Artikeln"},
            {"file": F2, "contains": "9 chapitres et de 71 articles"},
        ],
    }
    data.update(overrides)
    return KnownAnswer.model_validate(data)


UNANSWERABLE = KnownAnswer.model_validate(
    {"id": "first-signer", "question": "Who signed first?", "lang": "en", "answerable": False}
)


# --- loading ---------------------------------------------------------------------------


def _write(tmp_path: Path, *rows: object) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def test_load_reads_items(tmp_path: Path) -> None:
    row = _item().model_dump(mode="json")
    items = load_known_answers(_write(tmp_path, row, "", UNANSWERABLE.model_dump(mode="json")))
    assert [i.id for i in items] == ["chapters", "first-signer"]
    assert items[0].answers[1] == ("71",)


def test_load_names_the_line_of_bad_json(tmp_path: Path) -> None:
    path = _write(tmp_path, UNANSWERABLE.model_dump(mode="json"), "{not json")
    with pytest.raises(EvalSetError, match="line 2: not valid JSON"):
        load_known_answers(path)


def test_load_rejects_answerable_item_without_evidence(tmp_path: Path) -> None:
    row = _item().model_dump(mode="json")
    row["evidence"] = []
    with pytest.raises(EvalSetError, match=r"line 1: .*needs 'answers' and 'evidence'"):
        load_known_answers(_write(tmp_path, row))


def test_load_rejects_unknown_language_and_fields(tmp_path: Path) -> None:
    row = UNANSWERABLE.model_dump(mode="json")
    with pytest.raises(EvalSetError, match="lang"):
        load_known_answers(_write(tmp_path, {**row, "lang": "vi"}))
    with pytest.raises(EvalSetError, match="answer_text"):
        load_known_answers(_write(tmp_path, {**row, "answer_text": "x"}))


def test_load_rejects_duplicate_ids(tmp_path: Path) -> None:
    row = UNANSWERABLE.model_dump(mode="json")
    with pytest.raises(EvalSetError, match="line 2: duplicate id 'first-signer'"):
        load_known_answers(_write(tmp_path, row, row))


def test_load_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EvalSetError, match="Cannot read"):
        load_known_answers(tmp_path / "nope.jsonl")


# --- matching --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alternative", "text", "expected"),
    [
        ("9", "It has 9 chapters.", True),
        ("9", "In 2019 it had 19 drafts.", False),
        ("9", "9.", True),
        ("nine", "Nine chapters", True),
        ("nio", "Konventionen har nio kapitel", True),
        ("nio", "Europeiska unionen", False),
        ("ratif*", "Les pays doivent ratifier la convention", True),
        ("ratif*", "zu ratifizieren", True),
        ("Luong Cuong", "président Lương Cường", True),
        ("Hanoi", "la Convention de Hanoï", True),
        ("asia-pacific", "the Asia–Pacific region", True),
        ("après-midi", "dans l'apres midi", True),
        ("S-shape*", "the S-shaped country", True),
        ("24/7", "a 24/7 mechanism", True),
        ("24/7", "a 24/75 mechanism", False),
        ("AI", "governance of AI.", True),
        ("AI", "the aim is clear", False),
    ],
)
def test_alternative_matching(alternative: str, text: str, expected: bool) -> None:
    assert alternative_matches(alternative, text) is expected


def test_answer_needs_every_group() -> None:
    item = _item()
    assert answer_matches(item, "Neun Kapitel und 71 Artikel [000_471dacd1b07f6ea5.txt ¶6].")
    assert not answer_matches(item, "It has 9 chapters.")
    assert not answer_matches(item, "It has 71 articles.")


def test_unanswerable_item_never_matches() -> None:
    assert not answer_matches(UNANSWERABLE, "anything at all")


def test_is_hit_requires_file_and_phrase() -> None:
    item = _item()
    assert is_hit(item, F0, P_CHAPTERS_DE)
    assert is_hit(item, F2, P_CHAPTERS_FR)
    assert not is_hit(item, F2, P_CHAPTERS_DE)  # right phrase, wrong file
    assert not is_hit(item, F0, P_OTHER)
    assert not is_hit(UNANSWERABLE, F0, P_CHAPTERS_DE)


# --- retrieval metrics -----------------------------------------------------------------


def test_retrieval_metrics_count_ranks() -> None:
    a = _item(id="a")
    b = _item(id="b")
    c = _item(id="c")
    ranked = {
        "a": [(F0, 6, P_CHAPTERS_DE), (F0, 3, P_OTHER)],  # rank 1
        "b": [(F0, 3, P_OTHER), (F0, 3, P_OTHER), (F2, 6, P_CHAPTERS_FR)],  # rank 3
        "c": [(F0, 3, P_OTHER)] * 5 + [(F0, 6, P_CHAPTERS_DE)],  # rank 6: outside top 5
    }
    metrics = retrieval_metrics([a, b, c, UNANSWERABLE], ranked, k=5)
    assert metrics["recall@1"] == pytest.approx(1 / 3)
    assert metrics["recall@5"] == pytest.approx(2 / 3)
    assert metrics["mrr"] == pytest.approx((1 + 1 / 3) / 3)
    assert metrics["n"] == 3
    assert first_hit_rank(c, ranked["c"]) == 6


def test_retrieval_metrics_refuse_missing_rankings() -> None:
    with pytest.raises(ValueError, match="no ranking"):
        retrieval_metrics([_item()], {})


# --- answer metrics --------------------------------------------------------------------


def test_answer_metrics() -> None:
    good = AnswerOutcome(
        _item(id="good"), "9 chapters and 71 articles", True, ((F0, 6, P_CHAPTERS_DE),), "en"
    )
    half_cited = AnswerOutcome(
        _item(id="half"), "9 Kapitel, 71 Artikel", True, ((F0, 6, P_CHAPTERS_DE), (F0, 3, P_OTHER)), "de"
    )
    abstained = AnswerOutcome(_item(id="abst"), "Not in the articles.", False, (), "en")
    wrong = AnswerOutcome(_item(id="wrong"), "It has 12 chapters.", True, ((F0, 3, P_OTHER),), "en")
    right_abstention = AnswerOutcome(UNANSWERABLE, "The articles do not say.", False, (), "en")
    bad_answer = AnswerOutcome(
        UNANSWERABLE.model_copy(update={"id": "u2"}), "France.", True, ((F0, 3, P_OTHER),), "fr"
    )
    metrics = answer_metrics([good, half_cited, abstained, wrong, right_abstention, bad_answer])
    assert metrics["accuracy"] == pytest.approx(2 / 4)
    assert metrics["evidence_accuracy"] == pytest.approx(2 / 4)
    assert metrics["false_abstention"] == pytest.approx(1 / 4)
    assert metrics["abstention"] == pytest.approx(1 / 2)
    assert metrics["citation_precision"] == pytest.approx(2 / 4)  # unanswerable citations not counted
    assert metrics["citation_recall"] == pytest.approx(2 / 4)
    assert metrics["language_match"] == pytest.approx(4 / 6)  # "half" (de) and "u2" (fr) miss


def test_errors_count_as_wrong() -> None:
    broken = AnswerOutcome(_item(), "", False, (), None, error="BackendError: down")
    metrics = answer_metrics([broken])
    assert metrics["accuracy"] == 0.0
    assert metrics["false_abstention"] == 0.0
    assert metrics["errors"] == 1


def test_percentile() -> None:
    assert percentile([], 50) is None
    assert percentile([3.0], 95) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([float(i) for i in range(1, 101)], 95) == pytest.approx(95.05)


def test_thresholds_are_one_mapping_of_every_target() -> None:
    assert THRESHOLDS["retrieval"] == {"recall@5": 0.97, "mrr": 0.85}
    for backend in ("local", "openai"):
        assert THRESHOLDS[backend] == {
            "accuracy": 0.90,
            "abstention": 0.80,
            "citation_precision": 0.90,
            "language_match": 0.90,
        }
    assert THRESHOLDS["extractive"]["citation_precision"] == 0.90
    with pytest.raises(TypeError):
        THRESHOLDS["local"]["accuracy"] = 0.1  # type: ignore[index]


def test_failures_lists_missed_targets() -> None:
    assert failures({"a": 0.95, "b": 0.5}, {"a": 0.9, "b": 0.8}) == ["b 0.500 < 0.80"]
    assert failures({"a": 0.95}, {"a": 0.9}) == []


# --- answer language ---------------------------------------------------------------------


def test_strip_citations() -> None:
    text = "Es hat 9 Kapitel [000_471dacd1b07f6ea5.txt ¶6] und 71 Artikel [002_fdb1f30901b7e10f.txt ¶6]."
    assert strip_citations(text) == "Es hat 9 Kapitel und 71 Artikel ."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9", None),
        ("Luong Cuong. [000_471dacd1b07f6ea5.txt ¶2]", None),
        ("Krzysztof Gawkowski met Bui Thanh Son.", None),  # one word of its own: neutral
        ("Die Konvention hat 9 Kapitel.", "Die Konvention hat Kapitel"),
        ("Le président Lương Cường a présidé la cérémonie.", "Le président a présidé la cérémonie"),
    ],
)
def test_language_text_masks_names_numbers_and_citations(text: str, expected: str | None) -> None:
    assert language_text(text) == expected


def test_neutral_answers_count_as_language_match() -> None:
    item = _item()
    neutral = AnswerOutcome(item, "9 / 71", True, (), None)
    wrong = AnswerOutcome(item, "Neun Kapitel und 71 Artikel.", True, (), "de")
    metrics = answer_metrics([neutral, wrong])
    assert metrics["language_match"] == 0.5
    assert metrics["language_undetermined"] == 1


def test_words_left_in_another_language_are_no_language_match() -> None:
    item = _item()
    mixed = AnswerOutcome(
        item,
        "The convention has 9 chapters, says het Verdrag.",
        True,
        (),
        item.lang,
        foreign_words={"nl": ("Verdrag",)},
    )
    short = AnswerOutcome(
        item, "Generalsekreterare", True, (), None, foreign_words={"sv": ("Generalsekreterare",)}
    )
    clean = AnswerOutcome(item, "9", True, (), None)
    metrics = answer_metrics([mixed, short, clean])
    assert metrics["language_match"] == pytest.approx(1 / 3)
    assert metrics["foreign_words"] == 2
    assert not mixed.language_ok and not short.language_ok and clean.language_ok
